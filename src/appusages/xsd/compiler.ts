/**
 * Compiles schema documents (see schema-loader.ts) into the model of model.ts.
 *
 * Exactly the XSD 1.0 constructs our schemas use are supported; anything else
 * stops the load with "unsupported XSD feature X in file:line", so that nothing a
 * schema says is silently ignored:
 *
 * - global and local element declarations (name, ref, type, anonymous types,
 *   minOccurs/maxOccurs, form, abstract, substitutionGroup);
 * - complex types: sequence and choice (nested, with occurrence bounds), xs:any
 *   (##any, ##other, ##local, ##targetNamespace, namespace lists; strict, lax,
 *   skip), mixed content, empty content, simpleContent extension,
 *   complexContent extension and complexContent restriction of xs:anyType;
 * - attributes (name, ref, type, anonymous simple types, use required/optional,
 *   default, form), attribute groups, xs:anyAttribute;
 * - simple types: restriction with enumeration and pattern facets, union;
 * - xs:import by schemaLocation; the built-in types of simple-types.ts.
 *
 * Not supported (they make the load fail): xs:include, xs:redefine, xs:group,
 * xs:all, xs:list, identity constraints, nillable="true", fixed values, block and
 * final, prohibited attributes, facets other than enumeration and pattern,
 * simpleContent restriction, complexContent restriction of a type other than
 * xs:anyType, attribute groups with wildcards, the built-in types IDREF(S),
 * ENTITY/ENTITIES, NOTATION and NMTOKENS, and occurrence bounds other than
 * minOccurs 0 or 1 with maxOccurs 1 or unbounded (see content-model.ts).
 */
import { inScopeNamespaces } from '../../xcap/xml/parser.js';
import { XML_NAMESPACE, type XmlElement } from '../../xcap/xml/tree.js';
import type { Particle } from './content-model.js';
import {
  ANY_TYPE,
  AttributeDecl,
  ComplexType,
  ComponentTable,
  ElementDecl,
  Wildcard,
  typeDerivesFrom,
  type AttributeUse,
  type ComplexContent,
  type ContentKind,
  type NamespaceConstraint,
  type ProcessContents,
  type SchemaModel,
  type TypeDefinition,
} from './model.js';
import { XsdPattern } from './regex.js';
import {
  XsdSchemaError,
  invalid,
  isXsd,
  unsupported,
  where,
  xsdChildren,
  type SchemaDocument,
} from './schema-loader.js';
import {
  ANY_SIMPLE_TYPE,
  RestrictedType,
  SimpleType,
  UnionType,
  XSD_NAMESPACE,
  builtinSimpleType,
  normalizeWhiteSpace,
} from './simple-types.js';

interface Located {
  readonly document: SchemaDocument;
  readonly node: XmlElement;
}

interface AttributeContent {
  readonly uses: AttributeUse[];
  readonly wildcard: Wildcard | null;
}

/** The attribute values of an XSD element, refusing unqualified attributes it does not expect. */
function attributesOf(document: SchemaDocument, node: XmlElement, allowed: readonly string[]): Map<string, string> {
  const values = new Map<string, string>();
  for (const a of node.attributes) {
    // Attributes of other namespaces are annotations by definition (XSD 1.0 §3.15).
    if (a.namespace !== null) continue;
    if (!allowed.includes(a.localName)) unsupported(document, node, `xs:${node.localName}/@${a.localName}`);
    values.set(a.localName, a.value.trim());
  }
  return values;
}

function booleanAttribute(document: SchemaDocument, node: XmlElement, value: string | undefined): boolean {
  if (value === undefined || value === 'false' || value === '0') return false;
  if (value === 'true' || value === '1') return true;
  return invalid(document, node, `'${value}' is not a boolean`);
}

function occurrences(document: SchemaDocument, node: XmlElement, attributes: Map<string, string>): { min: number; max: number } {
  const count = (text: string | undefined, fallback: number): number => {
    if (text === undefined) return fallback;
    if (text === 'unbounded') return Infinity;
    if (!/^[0-9]+$/.test(text)) invalid(document, node, `'${text}' is not an occurrence count`);
    return Number.parseInt(text, 10);
  };
  const min = count(attributes.get('minOccurs'), 1);
  const max = count(attributes.get('maxOccurs'), 1);
  if (min === Infinity) invalid(document, node, 'minOccurs cannot be unbounded');
  if (max < min) invalid(document, node, `maxOccurs (${max}) is less than minOccurs (${min})`);
  return { min, max };
}

/** Whether the particle can match any element at all. */
function hasElementPositions(particle: Particle | null): boolean {
  if (particle === null || particle.max === 0) return false;
  if (particle.kind === 'element' || particle.kind === 'wildcard') return true;
  return particle.particles.some(hasElementPositions);
}

export class SchemaCompiler {
  private readonly elements = new ComponentTable<ElementDecl>();
  private readonly attributes = new ComponentTable<AttributeDecl>();
  private readonly types = new ComponentTable<TypeDefinition>();

  private readonly elementSources = new Map<ElementDecl, Located>();
  private readonly attributeSources = new Map<AttributeDecl, Located>();
  private readonly complexSources = new Map<ComplexType, Located>();
  private readonly simpleSources = new ComponentTable<Located>();
  private readonly groupSources = new ComponentTable<Located>();

  private readonly simpleTypes = new Map<XmlElement, SimpleType>();
  private readonly simpleInProgress = new Set<XmlElement>();
  private readonly groups = new Map<XmlElement, AttributeContent>();
  private readonly groupsInProgress = new Set<XmlElement>();
  private readonly elementTypesInProgress = new Set<ElementDecl>();
  private readonly elementTypesResolved = new Set<ElementDecl>();
  private readonly complexInProgress = new Set<ComplexType>();
  private readonly complexTypes: ComplexType[] = [];
  private readonly attributeDecls: AttributeDecl[] = [];

  constructor(private readonly documents: readonly SchemaDocument[]) {}

  compile(): SchemaModel {
    for (const document of this.documents) this.registerGlobals(document);
    for (const decl of this.elementSources.keys()) this.resolveGlobalElementType(decl);
    for (const decl of this.attributeSources.keys()) this.resolveGlobalAttributeType(decl);
    // Anonymous types found while defining others join the list as it is walked.
    for (let i = 0; i < this.complexTypes.length; i += 1) this.defineComplexType(this.complexTypes[i]!);
    for (const [namespace, name] of this.pendingSimpleNames()) this.globalSimpleType(namespace, name);
    this.linkSubstitutionGroups();
    for (const type of this.complexTypes) {
      try {
        type.buildAutomaton();
      } catch (error) {
        throw new XsdSchemaError(`invalid schema: ${(error as Error).message} (${type.source})`);
      }
    }
    const idAttributeNames = new ComponentTable<true>();
    idAttributeNames.add(XML_NAMESPACE, 'id', true);
    for (const decl of this.attributeDecls) if (decl.type.isId) idAttributeNames.add(decl.namespace, decl.localName, true);
    return {
      file: this.documents[0]!.file,
      elements: this.elements,
      attributes: this.attributes,
      types: this.types,
      idAttributeNames,
    };
  }

  /* ----------------------------------------------------------------------------------------------
   * Global components
   * -------------------------------------------------------------------------------------------- */

  private registerGlobals(document: SchemaDocument): void {
    const tns = document.targetNamespace;
    for (const node of xsdChildren(document, document.root)) {
      const name = (): string => {
        const value = node.attributes.find((a) => a.namespace === null && a.localName === 'name')?.value;
        if (value === undefined) invalid(document, node, `a global xs:${node.localName} without a name`);
        return value;
      };
      const duplicate = (): never => invalid(document, node, `a second global xs:${node.localName} named '${name()}'`);
      switch (node.localName) {
        case 'import':
          break;
        case 'element': {
          const attributes = attributesOf(document, node, ['name', 'type', 'substitutionGroup', 'abstract', 'id', 'nillable']);
          if (booleanAttribute(document, node, attributes.get('nillable'))) unsupported(document, node, 'nillable="true"');
          const decl = new ElementDecl(name(), tns, booleanAttribute(document, node, attributes.get('abstract')), true, where(document, node));
          if (!this.elements.add(tns, decl.localName, decl)) duplicate();
          this.elementSources.set(decl, { document, node });
          break;
        }
        case 'attribute': {
          const decl = new AttributeDecl(name(), tns, true, where(document, node));
          if (!this.attributes.add(tns, decl.localName, decl)) duplicate();
          this.attributeSources.set(decl, { document, node });
          this.attributeDecls.push(decl);
          break;
        }
        case 'complexType': {
          const type = this.complexShell(document, node, name(), tns);
          if (!this.types.add(tns, name(), type) || this.simpleSources.get(tns, name()) !== undefined) duplicate();
          break;
        }
        case 'simpleType':
          if (this.types.get(tns, name()) !== undefined || !this.simpleSources.add(tns, name(), { document, node })) duplicate();
          break;
        case 'attributeGroup':
          if (!this.groupSources.add(tns, name(), { document, node })) duplicate();
          break;
        default:
          unsupported(document, node, `xs:${node.localName}`);
      }
    }
  }

  private complexShell(document: SchemaDocument, node: XmlElement, name: string | null, namespace: string | null): ComplexType {
    const type = new ComplexType(name, namespace, where(document, node));
    this.complexSources.set(type, { document, node });
    this.complexTypes.push(type);
    return type;
  }

  private *pendingSimpleNames(): IterableIterator<[string | null, string]> {
    for (const { document, node } of this.simpleSources.values()) {
      yield [document.targetNamespace, node.attributes.find((a) => a.localName === 'name' && a.namespace === null)!.value];
    }
  }

  private resolveGlobalElementType(decl: ElementDecl): TypeDefinition {
    if (this.elementTypesResolved.has(decl)) return decl.type;
    const { document, node } = this.elementSources.get(decl)!;
    if (this.elementTypesInProgress.has(decl)) invalid(document, node, 'circular substitution groups');
    this.elementTypesInProgress.add(decl);
    const typeName = node.attributes.find((a) => a.namespace === null && a.localName === 'type')?.value;
    const headName = node.attributes.find((a) => a.namespace === null && a.localName === 'substitutionGroup')?.value;
    let type = this.declaredElementType(document, node, typeName);
    if (type === null && headName !== undefined) {
      // Without a type of its own, a member has the type of its group's head.
      type = this.resolveGlobalElementType(this.globalElement(document, node, headName));
    }
    decl.type = type ?? ANY_TYPE;
    this.elementTypesInProgress.delete(decl);
    this.elementTypesResolved.add(decl);
    return decl.type;
  }

  private resolveGlobalAttributeType(decl: AttributeDecl): void {
    const { document, node } = this.attributeSources.get(decl)!;
    const attributes = attributesOf(document, node, ['name', 'type', 'default', 'id']);
    decl.type = this.attributeType(document, node, attributes.get('type'));
    this.checkDefault(document, node, decl, attributes.get('default'));
  }

  private linkSubstitutionGroups(): void {
    for (const [member, { document, node }] of this.elementSources) {
      const headName = node.attributes.find((a) => a.namespace === null && a.localName === 'substitutionGroup')?.value;
      if (headName === undefined) continue;
      const head = this.globalElement(document, node, headName);
      if (!typeDerivesFrom(member.type, head.type)) {
        invalid(document, node, `the type of ${member.label} is not derived from the type of its substitution group head ${head.label}`);
      }
      member.substitutionHead = head;
      head.substitutes.push(member);
    }
  }

  /* ----------------------------------------------------------------------------------------------
   * Names
   * -------------------------------------------------------------------------------------------- */

  private resolveQName(document: SchemaDocument, node: XmlElement, qname: string): [string | null, string] {
    const value = qname.trim();
    const colon = value.indexOf(':');
    const prefix = colon < 0 ? '' : value.slice(0, colon);
    const local = colon < 0 ? value : value.slice(colon + 1);
    const namespace = inScopeNamespaces(node).get(prefix);
    if (namespace === undefined && prefix !== '') invalid(document, node, `the prefix of '${value}' is not declared`);
    return [namespace ?? null, local];
  }

  private globalElement(document: SchemaDocument, node: XmlElement, qname: string): ElementDecl {
    const [namespace, local] = this.resolveQName(document, node, qname);
    return this.elements.get(namespace, local) ?? invalid(document, node, `no global element declaration '${qname}'`);
  }

  private globalAttribute(document: SchemaDocument, node: XmlElement, qname: string): AttributeDecl {
    const [namespace, local] = this.resolveQName(document, node, qname);
    return this.attributes.get(namespace, local) ?? invalid(document, node, `no global attribute declaration '${qname}'`);
  }

  private typeByName(document: SchemaDocument, node: XmlElement, qname: string): TypeDefinition {
    const [namespace, local] = this.resolveQName(document, node, qname);
    if (namespace === XSD_NAMESPACE) {
      if (local === 'anyType') return ANY_TYPE;
      let builtin: SimpleType | undefined;
      try {
        builtin = builtinSimpleType(local);
      } catch (error) {
        unsupported(document, node, (error as Error).message);
      }
      return builtin ?? invalid(document, node, `xs:${local} is not a built-in type`);
    }
    return this.types.get(namespace, local) ?? this.globalSimpleType(namespace, local) ?? invalid(document, node, `no type '${qname}'`);
  }

  private simpleTypeByName(document: SchemaDocument, node: XmlElement, qname: string): SimpleType {
    const type = this.typeByName(document, node, qname);
    if (!(type instanceof SimpleType)) invalid(document, node, `'${qname}' is not a simple type`);
    return type;
  }

  private globalSimpleType(namespace: string | null, local: string): SimpleType | undefined {
    const known = this.types.get(namespace, local);
    if (known instanceof SimpleType) return known;
    const source = this.simpleSources.get(namespace, local);
    if (source === undefined) return undefined;
    const type = this.simpleType(source.document, source.node, local);
    this.types.add(namespace, local, type);
    return type;
  }

  /* ----------------------------------------------------------------------------------------------
   * Element declarations and particles
   * -------------------------------------------------------------------------------------------- */

  /** The type given by a declaration's `type` attribute or anonymous type child; null when it has neither. */
  private declaredElementType(document: SchemaDocument, node: XmlElement, typeName: string | undefined): TypeDefinition | null {
    let type: TypeDefinition | null = typeName === undefined ? null : this.typeByName(document, node, typeName);
    for (const child of xsdChildren(document, node)) {
      if (child.localName !== 'complexType' && child.localName !== 'simpleType') {
        unsupported(document, child, `xs:${child.localName} in an element declaration`);
      }
      if (type !== null) invalid(document, child, 'an element declaration with two types');
      if (child.localName === 'complexType') {
        attributesOf(document, child, ['mixed', 'id']);
        type = this.complexShell(document, child, null, null);
      } else {
        type = this.simpleType(document, child, null);
      }
    }
    return type;
  }

  private particle(document: SchemaDocument, node: XmlElement): Particle {
    switch (node.localName) {
      case 'sequence':
      case 'choice': {
        const attributes = attributesOf(document, node, ['minOccurs', 'maxOccurs', 'id']);
        const particles = xsdChildren(document, node).map((child) => this.particle(document, child));
        return { kind: node.localName, particles, ...occurrences(document, node, attributes) };
      }
      case 'element':
        return this.elementParticle(document, node);
      case 'any': {
        const attributes = attributesOf(document, node, ['namespace', 'processContents', 'minOccurs', 'maxOccurs', 'id']);
        return { kind: 'wildcard', wildcard: this.wildcard(document, node, attributes), ...occurrences(document, node, attributes) };
      }
      default:
        return unsupported(document, node, `xs:${node.localName}`);
    }
  }

  private elementParticle(document: SchemaDocument, node: XmlElement): Particle {
    const attributes = attributesOf(document, node, ['name', 'ref', 'type', 'minOccurs', 'maxOccurs', 'form', 'id', 'nillable']);
    if (booleanAttribute(document, node, attributes.get('nillable'))) unsupported(document, node, 'nillable="true"');
    const bounds = occurrences(document, node, attributes);
    const ref = attributes.get('ref');
    if (ref !== undefined) {
      if (attributes.has('name') || attributes.has('type') || attributes.has('form')) {
        invalid(document, node, 'an element reference with its own name, type or form');
      }
      if (xsdChildren(document, node).length > 0) invalid(document, node, 'an element reference with a type');
      return { kind: 'element', decl: this.globalElement(document, node, ref), ...bounds };
    }
    const name = attributes.get('name') ?? invalid(document, node, 'a local element declaration without a name');
    const form = attributes.get('form');
    if (form !== undefined && form !== 'qualified' && form !== 'unqualified') invalid(document, node, `form="${form}"`);
    const qualified = form === undefined ? document.elementFormQualified : form === 'qualified';
    const decl = new ElementDecl(name, qualified ? document.targetNamespace : null, false, false, where(document, node));
    decl.type = this.declaredElementType(document, node, attributes.get('type')) ?? ANY_TYPE;
    return { kind: 'element', decl, ...bounds };
  }

  private wildcard(document: SchemaDocument, node: XmlElement, attributes: Map<string, string>): Wildcard {
    const tns = document.targetNamespace;
    const namespace = attributes.get('namespace') ?? '##any';
    let constraint: NamespaceConstraint;
    if (namespace === '##any') {
      constraint = { kind: 'any' };
    } else if (namespace === '##other') {
      constraint = { kind: 'not', namespace: tns };
    } else {
      const namespaces = new Set<string | null>();
      for (const token of namespace.split(/[ \t\n\r]+/).filter((t) => t !== '')) {
        if (token === '##targetNamespace') namespaces.add(tns);
        else if (token === '##local') namespaces.add(null);
        else if (token.startsWith('##')) invalid(document, node, `namespace="${namespace}"`);
        else namespaces.add(token);
      }
      constraint = { kind: 'set', namespaces };
    }
    const processContents = attributes.get('processContents') ?? 'strict';
    if (processContents !== 'strict' && processContents !== 'lax' && processContents !== 'skip') {
      invalid(document, node, `processContents="${processContents}"`);
    }
    return new Wildcard(constraint, processContents as ProcessContents);
  }

  /* ----------------------------------------------------------------------------------------------
   * Complex types
   * -------------------------------------------------------------------------------------------- */

  private defineComplexType(type: ComplexType): void {
    if (type.defined) return;
    const { document, node } = this.complexSources.get(type)!;
    if (this.complexInProgress.has(type)) invalid(document, node, `${type.label} is derived from itself`);
    this.complexInProgress.add(type);
    const attributes = attributesOf(document, node, type.name === null ? ['mixed', 'id'] : ['name', 'mixed', 'id']);
    const mixed = booleanAttribute(document, node, attributes.get('mixed'));
    const children = xsdChildren(document, node);
    const first = children[0];
    let content: ComplexContent;
    if (first !== undefined && isXsd(first, 'simpleContent')) {
      if (children.length > 1) invalid(document, children[1]!, 'content after xs:simpleContent');
      content = this.simpleContent(document, first);
    } else if (first !== undefined && isXsd(first, 'complexContent')) {
      if (children.length > 1) invalid(document, children[1]!, 'content after xs:complexContent');
      content = this.complexContent(document, first, mixed);
    } else {
      const { particle, attributeContent } = this.contentParts(document, children);
      content = {
        base: ANY_TYPE,
        derivation: 'restriction',
        contentKind: this.contentKind(particle, mixed),
        particle,
        simpleType: null,
        attributeUses: attributeContent.uses,
        attributeWildcard: attributeContent.wildcard,
      };
    }
    type.define(content);
    this.complexInProgress.delete(type);
  }

  private contentKind(particle: Particle | null, mixed: boolean): ContentKind {
    if (mixed) return 'mixed';
    return hasElementPositions(particle) ? 'element-only' : 'empty';
  }

  /** Splits the children of a type definition into its particle and its attribute declarations. */
  private contentParts(document: SchemaDocument, children: readonly XmlElement[]): { particle: Particle | null; attributeContent: AttributeContent } {
    let particle: Particle | null = null;
    const attributeNodes: XmlElement[] = [];
    for (const child of children) {
      if (child.localName === 'sequence' || child.localName === 'choice') {
        if (particle !== null || attributeNodes.length > 0) invalid(document, child, `a misplaced xs:${child.localName}`);
        particle = this.particle(document, child);
      } else if (child.localName === 'attribute' || child.localName === 'attributeGroup' || child.localName === 'anyAttribute') {
        attributeNodes.push(child);
      } else {
        unsupported(document, child, `xs:${child.localName} in a complex type`);
      }
    }
    return { particle, attributeContent: this.attributeContent(document, attributeNodes) };
  }

  private simpleContent(document: SchemaDocument, node: XmlElement): ComplexContent {
    attributesOf(document, node, ['id']);
    const [derivation, ...rest] = xsdChildren(document, node);
    if (derivation === undefined || rest.length > 0) invalid(document, node, 'xs:simpleContent needs exactly one derivation');
    if (!isXsd(derivation, 'extension')) unsupported(document, derivation, `xs:simpleContent/xs:${derivation.localName}`);
    const attributes = attributesOf(document, derivation, ['base', 'id']);
    const base = this.typeByName(document, derivation, attributes.get('base') ?? invalid(document, derivation, 'an extension without a base'));
    const { particle, attributeContent } = this.contentParts(document, xsdChildren(document, derivation));
    if (particle !== null) invalid(document, derivation, 'a particle in a simple content extension');
    let simpleType: SimpleType;
    let inherited: AttributeContent = { uses: [], wildcard: null };
    if (base instanceof SimpleType) {
      simpleType = base;
    } else {
      this.defineComplexType(base);
      if (base.contentKind !== 'simple' || base.simpleType === null) {
        invalid(document, derivation, `${base.label} does not have simple content`);
      }
      simpleType = base.simpleType;
      inherited = { uses: [...base.definition.attributeUses], wildcard: base.attributeWildcard };
    }
    return {
      base,
      derivation: 'extension',
      contentKind: 'simple',
      particle: null,
      simpleType,
      ...this.extendAttributes(document, derivation, inherited, attributeContent),
    };
  }

  private complexContent(document: SchemaDocument, node: XmlElement, typeMixed: boolean): ComplexContent {
    const attributes = attributesOf(document, node, ['mixed', 'id']);
    const mixed = attributes.has('mixed') ? booleanAttribute(document, node, attributes.get('mixed')) : typeMixed;
    const [derivation, ...rest] = xsdChildren(document, node);
    if (derivation === undefined || rest.length > 0) invalid(document, node, 'xs:complexContent needs exactly one derivation');
    const derivationAttributes = attributesOf(document, derivation, ['base', 'id']);
    const baseName = derivationAttributes.get('base') ?? invalid(document, derivation, `an xs:${derivation.localName} without a base`);
    const base = this.typeByName(document, derivation, baseName);
    const { particle, attributeContent } = this.contentParts(document, xsdChildren(document, derivation));
    if (isXsd(derivation, 'restriction')) {
      if (base !== ANY_TYPE) unsupported(document, derivation, 'complexContent restriction of a type other than xs:anyType');
      return {
        base,
        derivation: 'restriction',
        contentKind: this.contentKind(particle, mixed),
        particle,
        simpleType: null,
        attributeUses: attributeContent.uses,
        attributeWildcard: attributeContent.wildcard,
      };
    }
    if (!isXsd(derivation, 'extension')) invalid(document, derivation, `xs:complexContent/xs:${derivation.localName}`);
    if (!(base instanceof ComplexType) || base === ANY_TYPE) {
      unsupported(document, derivation, `complexContent extension of ${baseName}`);
    }
    this.defineComplexType(base);
    if (base.contentKind === 'simple') invalid(document, derivation, `${base.label} has simple content`);
    const baseParticle = base.definition.particle;
    const combined: Particle | null =
      baseParticle === null || !hasElementPositions(baseParticle)
        ? particle
        : particle === null || !hasElementPositions(particle)
          ? baseParticle
          : { kind: 'sequence', particles: [baseParticle, particle], min: 1, max: 1 };
    const contentKind = this.contentKind(combined, mixed);
    if (base.contentKind !== 'empty' && (base.contentKind === 'mixed') !== mixed) {
      invalid(document, derivation, `an extension of ${base.label} must ${mixed ? 'not ' : ''}be mixed like its base`);
    }
    return {
      base,
      derivation: 'extension',
      contentKind,
      particle: combined,
      simpleType: null,
      ...this.extendAttributes(document, derivation, { uses: [...base.definition.attributeUses], wildcard: base.attributeWildcard }, attributeContent),
    };
  }

  /** Attribute uses and wildcard of an extension: the base's plus its own (XSD 1.0 §3.4.2). */
  private extendAttributes(
    document: SchemaDocument,
    node: XmlElement,
    base: AttributeContent,
    own: AttributeContent,
  ): { attributeUses: AttributeUse[]; attributeWildcard: Wildcard | null } {
    const uses = [...base.uses];
    for (const use of own.uses) {
      if (uses.some((u) => u.decl.localName === use.decl.localName && u.decl.namespace === use.decl.namespace)) {
        invalid(document, node, `attribute ${use.decl.label} is already declared by the base type`);
      }
      uses.push(use);
    }
    return { attributeUses: uses, attributeWildcard: this.wildcardUnion(document, node, base.wildcard, own.wildcard) };
  }

  private wildcardUnion(document: SchemaDocument, node: XmlElement, base: Wildcard | null, own: Wildcard | null): Wildcard | null {
    if (base === null) return own;
    if (own === null) return base;
    const a = base.constraint;
    const b = own.constraint;
    if (a.kind === 'any' || b.kind === 'any') return new Wildcard({ kind: 'any' }, own.processContents);
    if (a.kind === 'set' && b.kind === 'set') {
      return new Wildcard({ kind: 'set', namespaces: new Set([...a.namespaces, ...b.namespaces]) }, own.processContents);
    }
    if (a.kind === 'not' && b.kind === 'not' && a.namespace === b.namespace) return own;
    return unsupported(document, node, 'the union of these two attribute wildcards');
  }

  /* ----------------------------------------------------------------------------------------------
   * Attributes
   * -------------------------------------------------------------------------------------------- */

  private attributeContent(document: SchemaDocument, nodes: readonly XmlElement[]): AttributeContent {
    const uses: AttributeUse[] = [];
    let wildcard: Wildcard | null = null;
    const add = (use: AttributeUse, node: XmlElement): void => {
      if (uses.some((u) => u.decl.localName === use.decl.localName && u.decl.namespace === use.decl.namespace)) {
        invalid(document, node, `attribute ${use.decl.label} is declared twice`);
      }
      uses.push(use);
    };
    for (const node of nodes) {
      switch (node.localName) {
        case 'attribute':
          add(this.attributeUse(document, node), node);
          break;
        case 'attributeGroup': {
          const attributes = attributesOf(document, node, ['ref', 'id']);
          const ref = attributes.get('ref') ?? invalid(document, node, 'an attribute group reference without ref');
          const group = this.attributeGroup(document, node, ref);
          if (group.wildcard !== null) unsupported(document, node, 'an attribute group with xs:anyAttribute');
          for (const use of group.uses) add(use, node);
          break;
        }
        case 'anyAttribute': {
          if (wildcard !== null) invalid(document, node, 'two xs:anyAttribute');
          const attributes = attributesOf(document, node, ['namespace', 'processContents', 'id']);
          wildcard = this.wildcard(document, node, attributes);
          break;
        }
        default:
          unsupported(document, node, `xs:${node.localName} among attribute declarations`);
      }
    }
    return { uses, wildcard };
  }

  private attributeGroup(document: SchemaDocument, node: XmlElement, qname: string): AttributeContent {
    const [namespace, local] = this.resolveQName(document, node, qname);
    const source = this.groupSources.get(namespace, local) ?? invalid(document, node, `no attribute group '${qname}'`);
    const known = this.groups.get(source.node);
    if (known !== undefined) return known;
    if (this.groupsInProgress.has(source.node)) invalid(source.document, source.node, 'an attribute group that contains itself');
    this.groupsInProgress.add(source.node);
    attributesOf(source.document, source.node, ['name', 'id']);
    const content = this.attributeContent(source.document, xsdChildren(source.document, source.node));
    this.groupsInProgress.delete(source.node);
    this.groups.set(source.node, content);
    return content;
  }

  private attributeUse(document: SchemaDocument, node: XmlElement): AttributeUse {
    const attributes = attributesOf(document, node, ['name', 'ref', 'type', 'use', 'default', 'form', 'id']);
    const use = attributes.get('use') ?? 'optional';
    if (use === 'prohibited') unsupported(document, node, 'use="prohibited"');
    if (use !== 'optional' && use !== 'required') invalid(document, node, `use="${use}"`);
    const ref = attributes.get('ref');
    let decl: AttributeDecl;
    if (ref !== undefined) {
      if (attributes.has('name') || attributes.has('type') || attributes.has('form') || xsdChildren(document, node).length > 0) {
        invalid(document, node, 'an attribute reference with its own name, type or form');
      }
      decl = this.globalAttribute(document, node, ref);
    } else {
      const name = attributes.get('name') ?? invalid(document, node, 'an attribute declaration without a name');
      const form = attributes.get('form');
      if (form !== undefined && form !== 'qualified' && form !== 'unqualified') invalid(document, node, `form="${form}"`);
      const qualified = form === undefined ? document.attributeFormQualified : form === 'qualified';
      decl = new AttributeDecl(name, qualified ? document.targetNamespace : null, false, where(document, node));
      decl.type = this.attributeType(document, node, attributes.get('type'));
      this.attributeDecls.push(decl);
    }
    this.checkDefault(document, node, decl, attributes.get('default'));
    if (use === 'required' && attributes.has('default')) invalid(document, node, 'a required attribute with a default');
    return { decl, required: use === 'required' };
  }

  private attributeType(document: SchemaDocument, node: XmlElement, typeName: string | undefined): SimpleType {
    let type: SimpleType | null = typeName === undefined ? null : this.simpleTypeByName(document, node, typeName);
    for (const child of xsdChildren(document, node)) {
      if (type !== null || !isXsd(child, 'simpleType')) invalid(document, child, `xs:${child.localName} in an attribute declaration`);
      type = this.simpleType(document, child, null);
    }
    return type ?? ANY_SIMPLE_TYPE;
  }

  private checkDefault(document: SchemaDocument, node: XmlElement, decl: AttributeDecl, value: string | undefined): void {
    // A default changes nothing in what is valid, but it must be a value of the type.
    if (value === undefined) return;
    const problem = decl.type.check(value);
    if (problem !== null) invalid(document, node, `the default of attribute ${decl.label}: ${problem}`);
  }

  /* ----------------------------------------------------------------------------------------------
   * Simple types
   * -------------------------------------------------------------------------------------------- */

  private simpleType(document: SchemaDocument, node: XmlElement, name: string | null): SimpleType {
    const known = this.simpleTypes.get(node);
    if (known !== undefined) return known;
    if (this.simpleInProgress.has(node)) invalid(document, node, 'a simple type derived from itself');
    this.simpleInProgress.add(node);
    attributesOf(document, node, name === null ? ['id'] : ['name', 'id']);
    const namespace = name === null ? null : document.targetNamespace;
    const [derivation, ...rest] = xsdChildren(document, node);
    if (derivation === undefined || rest.length > 0) invalid(document, node, 'xs:simpleType needs exactly one derivation');
    let type: SimpleType;
    switch (derivation.localName) {
      case 'restriction':
        type = this.restriction(document, derivation, name, namespace);
        break;
      case 'union':
        type = this.union(document, derivation, name, namespace);
        break;
      default:
        return unsupported(document, derivation, `xs:${derivation.localName}`);
    }
    this.simpleInProgress.delete(node);
    this.simpleTypes.set(node, type);
    return type;
  }

  private restriction(document: SchemaDocument, node: XmlElement, name: string | null, namespace: string | null): SimpleType {
    const attributes = attributesOf(document, node, ['base', 'id']);
    const baseName = attributes.get('base');
    let base: SimpleType | null = baseName === undefined ? null : this.simpleTypeByName(document, node, baseName);
    const enumeration: string[] = [];
    const patterns: XsdPattern[] = [];
    for (const child of xsdChildren(document, node)) {
      if (child.localName === 'simpleType') {
        if (base !== null) invalid(document, child, 'a restriction with two base types');
        base = this.simpleType(document, child, null);
        continue;
      }
      if (child.localName !== 'enumeration' && child.localName !== 'pattern') {
        unsupported(document, child, `facet xs:${child.localName}`);
      }
      const facetAttributes = attributesOf(document, child, ['value', 'id']);
      // Facet values are used as written: attributesOf trims, which a pattern or an enumeration must not be.
      const value = child.attributes.find((a) => a.namespace === null && a.localName === 'value')?.value;
      if (value === undefined || !facetAttributes.has('value')) invalid(document, child, `xs:${child.localName} without a value`);
      if (child.localName === 'pattern') {
        try {
          patterns.push(new XsdPattern(value));
        } catch (error) {
          unsupported(document, child, (error as Error).message);
        }
      } else {
        enumeration.push(value);
      }
    }
    if (base === null) invalid(document, node, 'a restriction without a base type');
    const builtin = base.builtin;
    if (builtin === null) unsupported(document, node, 'restriction of a union type');
    if (enumeration.length > 0 && !builtin.comparesAsString) {
      unsupported(document, node, `enumeration facet on a type derived from xs:${builtin.name}`);
    }
    const allowed = new Set<string>();
    for (const value of enumeration) {
      const problem = base.check(value);
      if (problem !== null) invalid(document, node, `enumeration value: ${problem}`);
      allowed.add(normalizeWhiteSpace(value, builtin.whiteSpace));
    }
    return new RestrictedType(name, namespace, base, {
      enumeration: enumeration.length > 0 ? allowed : null,
      patterns: patterns.length > 0 ? patterns : null,
    });
  }

  private union(document: SchemaDocument, node: XmlElement, name: string | null, namespace: string | null): SimpleType {
    const attributes = attributesOf(document, node, ['memberTypes', 'id']);
    const members: SimpleType[] = [];
    for (const qname of (attributes.get('memberTypes') ?? '').split(/[ \t\n\r]+/).filter((t) => t !== '')) {
      members.push(this.simpleTypeByName(document, node, qname));
    }
    for (const child of xsdChildren(document, node)) {
      if (!isXsd(child, 'simpleType')) invalid(document, child, `xs:${child.localName} in a union`);
      members.push(this.simpleType(document, child, null));
    }
    if (members.length === 0) invalid(document, node, 'a union without member types');
    return new UnionType(name, namespace, members, ANY_SIMPLE_TYPE);
  }
}
