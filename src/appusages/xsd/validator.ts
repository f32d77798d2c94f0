/**
 * Validation of a parsed document (src/xcap/xml/tree.ts) against a compiled schema
 * (model.ts), with libxml2's verdicts.
 *
 * Besides XSD validation proper, three checks libxml2 makes while parsing are
 * repeated here, because our parser does not make them and the verdicts must
 * agree: namespace declarations must hold URIs libxml2 can parse (uri-syntax.ts),
 * xml:id values must be NCNames, and they must be unique, among themselves and
 * with every value of an attribute of type xs:ID. Those checks cover the whole
 * document, including the parts validation skips.
 *
 * Other libxml2 behaviour reproduced on purpose: an element of empty content may not
 * contain even white space; element-only content may not contain a CDATA section,
 * even an empty one; xsi:nil is refused on every declared element (no declaration
 * of ours is nillable), whatever its value, and ignored on undeclared ones; unknown
 * xsi: attributes are ordinary attributes.
 *
 * Issues carry a source offset; line numbers are computed only when issues are
 * reported.
 */
import { isNcName } from '../../xcap/xml/escape.js';
import { inScopeNamespaces } from '../../xcap/xml/parser.js';
import { XML_NAMESPACE, XMLNS_NAMESPACE, type XmlAttribute, type XmlDocument, type XmlElement } from '../../xcap/xml/tree.js';
import type { ContentAutomaton, ContentTransition } from './content-model.js';
import { collapseWhitespace, isBlankString, isNcNameLoose, stripBlanks } from './lexical.js';
import {
  ANY_TYPE,
  ComplexType,
  XSI_NAMESPACE,
  expandedName,
  typeDerivesFrom,
  type AttributeDecl,
  type ElementDecl,
  type SchemaModel,
  type TypeDefinition,
  type Wildcard,
} from './model.js';
import { SimpleType, XSD_NAMESPACE, builtinSimpleType, quote } from './simple-types.js';
import { isUriReference } from './uri-syntax.js';

const QNAME = builtinSimpleType('QName');

export interface SchemaValidationIssue {
  /** Human-readable, suitable for an xcap-error phrase, e.g. `line 4: element {ns}entry: attribute 'foo' is not allowed`. */
  message: string;
  /** 1-based line of the offending element or attribute in the validated text. */
  line: number | null;
}

/** Past this many, issues are counted but not reported one by one. */
const MAX_ISSUES = 100;

function elementName(element: XmlElement): string {
  return expandedName(element.namespace, element.localName);
}

function attributeName(attribute: XmlAttribute): string {
  return attribute.namespace === null ? `'${attribute.localName}'` : `'{${attribute.namespace}}${attribute.localName}'`;
}

/** xsi: attributes that are never subject to attribute declarations or wildcards. */
function isXsiMeta(localName: string): boolean {
  return localName === 'type' || localName === 'nil' || localName === 'schemaLocation' || localName === 'noNamespaceSchemaLocation';
}

export class ValidationRun {
  private readonly offsets: number[] = [];
  private readonly messages: string[] = [];
  private suppressed = 0;
  /** Every ID value seen: xml:id values as written, xs:ID attribute values stripped of white space. */
  readonly ids = new Set<string>();

  constructor(private readonly model: SchemaModel) {}

  get failed(): boolean {
    return this.offsets.length > 0;
  }

  private report(offset: number, message: string): void {
    if (this.offsets.length >= MAX_ISSUES) {
      this.suppressed += 1;
      return;
    }
    this.offsets.push(offset);
    this.messages.push(message);
  }

  /** The issues found, with line numbers counted in `source`. */
  issues(source: string): SchemaValidationIssue[] {
    const issues: SchemaValidationIssue[] = [];
    let cursor = 0;
    let line = 1;
    for (let i = 0; i < this.offsets.length; i += 1) {
      const offset = this.offsets[i]!;
      if (offset < cursor) {
        cursor = 0;
        line = 1;
      }
      for (let nl = source.indexOf('\n', cursor); nl >= 0 && nl < offset; nl = source.indexOf('\n', nl + 1)) line += 1;
      cursor = offset;
      issues.push({ message: `line ${line}: ${this.messages[i]!}`, line });
    }
    if (this.suppressed > 0) issues.push({ message: `${this.suppressed} more issues not shown`, line: null });
    return issues;
  }

  validateRoot(root: XmlElement): void {
    const decl = this.model.elements.get(root.namespace, root.localName);
    if (decl === undefined) {
      this.report(root.start, `element ${elementName(root)}: no global element declaration of the schema matches the root element`);
      this.scanUnvisited(root);
      return;
    }
    this.element(root, decl, decl.type);
  }

  /** Validates `element` as an instance of `decl` (null when a lax wildcard admitted it undeclared) with type `type`. */
  element(element: XmlElement, decl: ElementDecl | null, type: TypeDefinition): void {
    const hasXsi = this.documentChecks(element);
    if (decl !== null && decl.abstract) {
      this.report(element.start, `element ${elementName(element)}: the element is abstract and cannot appear in a document`);
      this.scanChildren(element);
      return;
    }
    if (hasXsi) {
      const effective = this.instanceType(element, decl, type);
      if (effective === null) {
        this.scanChildren(element);
        return;
      }
      type = effective;
    }
    if (type.kind === 'simple') {
      this.simpleTypeAttributes(element);
      this.simpleContent(element, type);
      return;
    }
    this.attributes(element, type);
    switch (type.contentKind) {
      case 'simple':
        this.simpleContent(element, type.simpleType!);
        return;
      case 'empty':
        this.emptyContent(element);
        return;
      default:
        this.children(element, type.automaton!, type.contentKind === 'mixed', 'all');
    }
  }

  /**
   * The part of element() that looks at `element`'s start tag only: the parser's
   * checks and its attributes against `type`, the type element() would validate it
   * with (null where validation skips it). Its content is not looked at.
   */
  startTag(element: XmlElement, type: TypeDefinition | null): void {
    this.documentChecks(element);
    if (type === null) return;
    if (type.kind === 'simple') this.simpleTypeAttributes(element);
    else this.attributes(element, type);
  }

  /** An element of a simple type may have no attributes but xsi: ones. */
  private simpleTypeAttributes(element: XmlElement): void {
    for (const attribute of element.attributes) {
      if (attribute.namespace === XSI_NAMESPACE && isXsiMeta(attribute.localName)) continue;
      this.report(attribute.start, `element ${elementName(element)}: attribute ${attributeName(attribute)} is not allowed`);
    }
  }

  private attributes(element: XmlElement, type: ComplexType): void {
    const attributes = element.attributes;
    let required = 0;
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes[i]!;
      const namespace = attribute.namespace;
      if (namespace === XSI_NAMESPACE && isXsiMeta(attribute.localName)) continue;
      const use = type.attributeUse(namespace, attribute.localName);
      if (use !== undefined) {
        if (use.required) required += 1;
        this.attributeValue(element, attribute, use.decl);
        continue;
      }
      const wildcard = type.attributeWildcard;
      if (wildcard !== null && wildcard.allows(namespace)) {
        if (wildcard.processContents === 'skip') continue;
        const decl = this.model.attributes.get(namespace, attribute.localName);
        if (decl !== undefined) this.attributeValue(element, attribute, decl);
        else if (wildcard.processContents === 'strict') {
          this.report(
            attribute.start,
            `element ${elementName(element)}: attribute ${attributeName(attribute)} has no global declaration, which the strict attribute wildcard demands`,
          );
        }
        continue;
      }
      this.report(attribute.start, `element ${elementName(element)}: attribute ${attributeName(attribute)} is not allowed`);
    }
    const requiredUses = type.requiredAttributes;
    if (required < requiredUses.length) {
      for (const use of requiredUses) {
        const { namespace, localName } = use.decl;
        if (!attributes.some((a) => a.localName === localName && a.namespace === namespace)) {
          this.report(element.start, `element ${elementName(element)}: the required attribute ${use.decl.label} is missing`);
        }
      }
    }
  }

  private attributeValue(element: XmlElement, attribute: XmlAttribute, decl: AttributeDecl): void {
    const type = decl.type;
    const problem = type.check(attribute.value) ?? this.qnamePrefix(element, type, attribute.value);
    if (problem !== null) {
      this.report(attribute.start, `element ${elementName(element)}: attribute ${attributeName(attribute)}: ${problem}`);
      return;
    }
    // xml:id is registered as such, as libxml2's parser does (see xmlId).
    if (type.isId && !(attribute.namespace === XML_NAMESPACE && attribute.localName === 'id')) {
      this.registerId(stripBlanks(attribute.value), attribute.start, element);
    }
  }

  /** A QName value's prefix must be in scope. */
  private qnamePrefix(element: XmlElement, type: SimpleType, raw: string): string | null {
    if (type.builtin !== QNAME) return null;
    const value = collapseWhitespace(raw);
    const colon = value.indexOf(':');
    if (colon < 0 || inScopeNamespaces(element).has(value.slice(0, colon))) return null;
    return `the prefix of the QName ${quote(value)} is not declared`;
  }

  private registerId(value: string, offset: number, element: XmlElement): void {
    if (this.ids.has(value)) {
      this.report(offset, `element ${elementName(element)}: the ID ${quote(value)} is used more than once in the document`);
    } else {
      this.ids.add(value);
    }
  }

  private simpleContent(element: XmlElement, type: SimpleType): void {
    let value = '';
    let elements = false;
    for (const child of element.children) {
      if (child.kind === 'text' || child.kind === 'cdata') {
        value = value === '' ? child.value : value + child.value;
      } else if (child.kind === 'element') {
        if (!elements) {
          this.report(child.start, `element ${elementName(element)}: child elements are not allowed in content of ${type.label}`);
          elements = true;
        }
        this.scanUnvisited(child);
      }
    }
    if (elements) return;
    const problem = type.check(value) ?? this.qnamePrefix(element, type, value);
    if (problem !== null) this.report(element.start, `element ${elementName(element)}: ${problem}`);
  }

  private emptyContent(element: XmlElement): void {
    let text = false;
    let elements = false;
    for (const child of element.children) {
      if (child.kind === 'element') {
        if (!elements) this.report(child.start, `element ${elementName(child)}: not expected, element ${elementName(element)} must be empty`);
        elements = true;
        this.scanUnvisited(child);
      } else if ((child.kind === 'text' || child.kind === 'cdata') && !text) {
        this.report(child.start, `element ${elementName(element)}: no character content is allowed, not even white space (the content must be empty)`);
        text = true;
      }
    }
  }

  /**
   * Validates the children of `element` against `automaton`, entering the children
   * `enter` says: all of them, none (they are matched but not validated), or the one
   * given.
   */
  children(element: XmlElement, automaton: ContentAutomaton, mixed: boolean, enter: XmlElement | 'all' | 'none'): void {
    let state = automaton.start;
    let broken = false;
    let textReported = mixed;
    const children = element.children;
    for (let i = 0; i < children.length; i += 1) {
      const child = children[i]!;
      if (child.kind === 'element') {
        if (broken) {
          if (enter === 'all') this.scanUnvisited(child);
          continue;
        }
        const transition = state.next(child.namespace, child.localName);
        if (transition === undefined) {
          const expected =
            state.expected.length === 0 ? `nothing more is allowed in element ${elementName(element)}` : `expected ${state.describeExpected()}`;
          this.report(child.start, `element ${elementName(child)}: not expected here; ${expected}`);
          broken = true;
          if (enter === 'all' || child === enter) this.scanUnvisited(child);
          continue;
        }
        state = transition.target;
        if (enter === 'all' || child === enter) this.matched(child, transition);
      } else if (!textReported && (child.kind === 'cdata' || (child.kind === 'text' && !isBlankString(child.value)))) {
        this.report(
          child.start,
          child.kind === 'cdata'
            ? `element ${elementName(element)}: a CDATA section is not allowed in element-only content`
            : `element ${elementName(element)}: character content other than white space is not allowed (element-only content)`,
        );
        textReported = true;
      }
    }
    if (!broken && !state.final) {
      this.report(element.start, `element ${elementName(element)}: content is incomplete; expected ${state.describeExpected()}`);
    }
  }

  private matched(child: XmlElement, transition: ContentTransition): void {
    if (transition.decl !== null) this.element(child, transition.decl, transition.decl.type);
    else this.wildcardElement(child, transition.wildcard!);
  }

  private wildcardElement(element: XmlElement, wildcard: Wildcard): void {
    if (wildcard.processContents === 'skip') {
      this.scanUnvisited(element);
      return;
    }
    const decl = this.model.elements.get(element.namespace, element.localName);
    if (decl !== undefined) {
      this.element(element, decl, decl.type);
    } else if (wildcard.processContents === 'strict') {
      this.report(element.start, `element ${elementName(element)}: no global element declaration matches it, which the strict wildcard demands`);
      this.scanUnvisited(element);
    } else {
      // RFC 4825 §8.2.5: elements of namespaces the server does not know are allowed where the schema has xs:any.
      this.element(element, null, ANY_TYPE);
    }
  }

  /**
   * The type `element` is validated with once its xsi: attributes are considered;
   * null (after reporting) when they make it invalid.
   */
  private instanceType(element: XmlElement, decl: ElementDecl | null, declared: TypeDefinition): TypeDefinition | null {
    let type = declared;
    for (const attribute of element.attributes) {
      if (attribute.namespace !== XSI_NAMESPACE) continue;
      if (attribute.localName === 'nil' && decl !== null) {
        this.report(attribute.start, `element ${elementName(element)}: xsi:nil is not allowed, the element is not nillable`);
        return null;
      }
      if (attribute.localName !== 'type') continue;
      const named = resolveXsiType(this.model, element, attribute.value);
      if (typeof named === 'string') {
        this.report(attribute.start, `element ${elementName(element)}: xsi:type ${quote(attribute.value)}: ${named}`);
        return null;
      }
      if (!typeDerivesFrom(named, declared)) {
        this.report(
          attribute.start,
          `element ${elementName(element)}: xsi:type ${quote(attribute.value)} is not derived from the declared type of the element`,
        );
        return null;
      }
      type = named;
    }
    return type;
  }

  /**
   * The checks libxml2 makes while parsing (see the module comment), for one element.
   * Returns whether the element has xsi: attributes.
   */
  private documentChecks(element: XmlElement): boolean {
    const attributes = element.attributes;
    const declarations = element.namespaceDeclarations;
    if (attributes.length === 0 && declarations.length === 0) return false;
    for (let i = 0; i < declarations.length; i += 1) {
      const declaration = declarations[i]!;
      if (declaration.uri !== '' && !isUriReference(declaration.uri)) {
        const name = declaration.prefix === '' ? 'xmlns' : `xmlns:${declaration.prefix}`;
        this.report(declaration.start, `element ${elementName(element)}: ${name}: ${quote(declaration.uri)} is not a valid URI`);
      }
    }
    let xsi = false;
    for (let i = 0; i < attributes.length; i += 1) {
      const attribute = attributes[i]!;
      if (attribute.namespace === XML_NAMESPACE) {
        if (attribute.localName === 'id') this.xmlId(element, attribute);
      } else if (attribute.namespace === XSI_NAMESPACE) {
        xsi = true;
      }
    }
    return xsi;
  }

  private xmlId(element: XmlElement, attribute: XmlAttribute): void {
    // As libxml2's parser: the value is checked with surrounding white space allowed, and registered as written.
    if (!isNcNameLoose(attribute.value)) {
      this.report(attribute.start, `element ${elementName(element)}: xml:id ${quote(attribute.value)} is not an NCName`);
    }
    this.registerId(attribute.value, attribute.start, element);
  }

  /** Document checks for an element and its subtree that validation does not enter. */
  scanUnvisited(element: XmlElement): void {
    this.documentChecks(element);
    this.scanChildren(element);
  }

  private scanChildren(element: XmlElement): void {
    for (const child of element.children) if (child.kind === 'element') this.scanUnvisited(child);
  }
}

/** The type an xsi:type value names, or why it names none. */
export function resolveXsiType(model: SchemaModel, element: XmlElement, value: string): TypeDefinition | string {
  const colon = value.indexOf(':');
  const prefix = colon < 0 ? '' : value.slice(0, colon);
  const local = colon < 0 ? value : value.slice(colon + 1);
  if ((prefix !== '' && !isNcName(prefix)) || !isNcName(local)) return 'not a QName';
  const namespace = inScopeNamespaces(element).get(prefix);
  if (namespace === undefined && prefix !== '') return `the prefix '${prefix}' is not declared`;
  if (namespace === XSD_NAMESPACE) {
    if (local === 'anyType') return ANY_TYPE;
    try {
      return builtinSimpleType(local) ?? 'no such type';
    } catch (error) {
      return (error as Error).message;
    }
  }
  return model.types.get(namespace ?? null, local) ?? 'no such type';
}

/*
 * Incremental validation. Each function below validates what one kind of edit can
 * change in a document that was valid before it, so that its verdict is the one
 * validate() would give, and returns null (validate everything) where that cannot
 * be established cheaply.
 *
 * Some checks need no repeating. Removing an element or an attribute
 * only removes IDs, so it cannot make an ID clash; nothing else in a document
 * refers to what was removed, because the compiler refuses xs:IDREF(S) and
 * identity constraints (xs:key, xs:keyref, xs:unique), the only ways a schema has
 * to make one part of a document depend on another. Should the compiler ever
 * support them, removals must check them here.
 */

/** The name of an attribute, as in XmlAttribute. */
export interface AttributeName {
  readonly namespace: string | null;
  readonly localName: string;
}

/** Stands for the type of an element validation does not enter (under a skip wildcard). */
const UNVALIDATED = Symbol('unvalidated');

/**
 * The type validate() gives `target`, established from the path to it: each
 * ancestor's content is matched up to the next element of the path (without
 * validating anything), and xsi:type is followed. UNVALIDATED when validation
 * does not enter `target` (it or an ancestor is matched by a skip wildcard); null
 * when anything on the way does not validate, or is unusual.
 */
function typeInContext(model: SchemaModel, target: XmlElement): TypeDefinition | typeof UNVALIDATED | null {
  const path: XmlElement[] = [];
  for (let e: XmlElement | null = target; e !== null; e = e.parent) path.push(e);
  path.reverse();
  const root = path[0]!;
  const rootDecl = model.elements.get(root.namespace, root.localName);
  if (rootDecl === undefined || rootDecl.abstract) return null;
  let type = silentInstanceType(model, root, rootDecl, rootDecl.type);
  for (let depth = 1; depth < path.length; depth += 1) {
    if (!(type instanceof ComplexType) || type.automaton === null) return null;
    const next = path[depth]!;
    const transition = transitionOf(type.automaton, path[depth - 1]!, next);
    if (transition === null) return null;
    if (transition.decl !== null) {
      if (transition.decl.abstract) return null;
      type = silentInstanceType(model, next, transition.decl, transition.decl.type);
      continue;
    }
    const wildcard = transition.wildcard!;
    if (wildcard.processContents === 'skip') return UNVALIDATED;
    const decl = model.elements.get(next.namespace, next.localName);
    if ((decl === undefined && wildcard.processContents === 'strict') || decl?.abstract === true) return null;
    type = silentInstanceType(model, next, decl ?? null, decl?.type ?? ANY_TYPE);
  }
  return type;
}

/**
 * The automaton `type` validates its children with (and whether it is mixed), when changing the children
 * cannot change how the ones left alone are validated (ContentAutomaton.stableBindings);
 * null otherwise, and for content that has no automaton (empty and simple content,
 * which a valid document cannot have had child elements in).
 */
function stableContent(type: TypeDefinition): { automaton: ContentAutomaton; mixed: boolean } | null {
  if (!(type instanceof ComplexType) || type.automaton === null || !type.automaton.stableBindings) return null;
  return { automaton: type.automaton, mixed: type.contentKind === 'mixed' };
}

/**
 * Validates the subtree of `element` in its place in `document`: the sequence of
 * children (and character data) of its parent, the element itself with everything
 * in it, and the uniqueness of the IDs it holds against the rest of the document.
 *
 * This is the part of validate() an edit of that one subtree can change, provided
 * the parent's content model validates every element name the same way wherever it
 * occurs (so that the siblings are validated as before; see
 * ContentAutomaton.stableBindings). When that cannot be established, or when the
 * path to the element does not validate, or when an ID may clash, the whole
 * document is validated instead. Returns null to ask for that.
 */
export function validateSubtree(model: SchemaModel, document: XmlDocument, element: XmlElement): SchemaValidationIssue[] | null {
  const parent = element.parent;
  if (parent === null) return null;
  const parentType = typeInContext(model, parent);
  if (parentType === null) return null;
  const run = new ValidationRun(model);
  if (parentType === UNVALIDATED) {
    // Nothing under a skip wildcard is validated; only the parser's checks apply.
    run.scanUnvisited(element);
  } else {
    const content = stableContent(parentType);
    if (content === null) return null;
    run.children(parent, content.automaton, content.mixed, element);
  }
  if (run.ids.size > 0 && idClashesOutside(model, document.root, run.ids, element, 'subtree')) return null;
  return run.issues(document.source);
}

/**
 * Validates the sequence of children of `parent` after one of them was removed:
 * the child elements against its content model (matched, not entered) and its
 * character data, which the removal may have joined. The children themselves are
 * not validated: they are validated the same way as before, given stable bindings
 * (see validateSubtree). Returns null to ask for validating everything.
 */
export function validateChildren(model: SchemaModel, document: XmlDocument, parent: XmlElement): SchemaValidationIssue[] | null {
  const type = typeInContext(model, parent);
  if (type === null) return null;
  if (type === UNVALIDATED) return [];
  const content = stableContent(type);
  if (content === null) return null;
  const run = new ValidationRun(model);
  run.children(parent, content.automaton, content.mixed, 'none');
  return run.issues(document.source);
}

function isTypeChanging(name: AttributeName): boolean {
  return name.namespace === XSI_NAMESPACE && (name.localName === 'type' || name.localName === 'nil');
}

/**
 * Validates the start tag of `element` after one of its attributes, `changed`, was
 * set or removed: its attributes against its type (required, allowed, their
 * values), the parser's checks of xml:id, and the uniqueness of the IDs it holds
 * against the rest of the document.
 *
 * xsi:type and xsi:nil change how the element and everything in it is validated:
 * a change of those validates everything. So does a change of an attribute that
 * is not named, when the element has one of them now; when it has neither, one may
 * have been removed, and the element's subtree is validated (validateSubtree).
 * Returns null to ask for validating everything.
 */
export function validateStartTag(
  model: SchemaModel,
  document: XmlDocument,
  element: XmlElement,
  changed?: AttributeName,
): SchemaValidationIssue[] | null {
  if (changed === undefined) {
    if (element.attributes.some(isTypeChanging)) return null;
    return validateSubtree(model, document, element);
  }
  if (isTypeChanging(changed) || changed.namespace === XMLNS_NAMESPACE) return null;
  const type = typeInContext(model, element);
  if (type === null) return null;
  const run = new ValidationRun(model);
  run.startTag(element, type === UNVALIDATED ? null : type);
  if (run.ids.size > 0 && idClashesOutside(model, document.root, run.ids, element, 'attributes')) return null;
  return run.issues(document.source);
}

/** The transition `container`'s content takes on its child `child`, or null if the content fails before. */
function transitionOf(automaton: ContentAutomaton, container: XmlElement, child: XmlElement): ContentTransition | null {
  let state = automaton.start;
  for (const node of container.children) {
    if (node.kind !== 'element') continue;
    const transition = state.next(node.namespace, node.localName);
    if (transition === undefined) return null;
    if (node === child) return transition;
    state = transition.target;
  }
  return null;
}

/** Like ValidationRun.instanceType, without reporting; anything unusual gives null (validate everything). */
function silentInstanceType(model: SchemaModel, element: XmlElement, decl: ElementDecl | null, declared: TypeDefinition): TypeDefinition | null {
  let type = declared;
  for (const attribute of element.attributes) {
    if (attribute.namespace !== XSI_NAMESPACE) continue;
    if (attribute.localName === 'nil' && decl !== null) return null;
    if (attribute.localName !== 'type') continue;
    const named = resolveXsiType(model, element, attribute.value);
    if (typeof named === 'string' || !typeDerivesFrom(named, declared)) return null;
    type = named;
  }
  return type;
}

/**
 * Whether an attribute that may hold an ID has one of `ids` (stripped or not),
 * outside `excluded`: its whole subtree, or only its own attributes (which the
 * run that collected `ids` has checked among themselves).
 */
function idClashesOutside(
  model: SchemaModel,
  root: XmlElement,
  ids: ReadonlySet<string>,
  excluded: XmlElement,
  extent: 'subtree' | 'attributes',
): boolean {
  const visit = (element: XmlElement): boolean => {
    if (element === excluded && extent === 'subtree') return false;
    if (element !== excluded) {
      for (const attribute of element.attributes) {
        if (model.idAttributeNames.get(attribute.namespace, attribute.localName) === undefined) continue;
        if (ids.has(attribute.value) || ids.has(stripBlanks(attribute.value))) return true;
      }
    }
    for (const child of element.children) if (child.kind === 'element' && visit(child)) return true;
    return false;
  };
  return visit(root);
}
