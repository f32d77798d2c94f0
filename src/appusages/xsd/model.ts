/**
 * The compiled form of a set of schemas: element and attribute declarations,
 * complex types with their content automata and attribute uses, wildcards, and the
 * global components by expanded name. Built by compiler.ts, read by validator.ts.
 */
import { ContentAutomaton, type Particle } from './content-model.js';
import { ANY_SIMPLE_TYPE, SimpleType, XSD_NAMESPACE, simpleTypeDerivesFrom } from './simple-types.js';

export const XSI_NAMESPACE = 'http://www.w3.org/2001/XMLSchema-instance';

export type TypeDefinition = ComplexType | SimpleType;

/** Where a component was declared, for messages: `file:line`. */
export type SourceRef = string;

export function expandedName(namespace: string | null, localName: string): string {
  return namespace === null ? localName : `{${namespace}}${localName}`;
}

export class ElementDecl {
  /** Set by the compiler once the type is known (declarations may refer to each other). */
  type: TypeDefinition = ANY_SIMPLE_TYPE;
  /** Declarations whose substitution group this one heads, directly. */
  readonly substitutes: ElementDecl[] = [];
  substitutionHead: ElementDecl | null = null;

  constructor(
    readonly localName: string,
    readonly namespace: string | null,
    readonly abstract: boolean,
    readonly global: boolean,
    readonly source: SourceRef,
  ) {}

  get label(): string {
    return expandedName(this.namespace, this.localName);
  }

  /** This declaration and every one that may substitute for it, transitively. */
  substitutionClosure(): ElementDecl[] {
    const closure: ElementDecl[] = [];
    const visit = (decl: ElementDecl): void => {
      if (closure.includes(decl)) return;
      closure.push(decl);
      for (const member of decl.substitutes) visit(member);
    };
    visit(this);
    return closure;
  }
}

export class AttributeDecl {
  type: SimpleType = ANY_SIMPLE_TYPE;

  constructor(
    readonly localName: string,
    readonly namespace: string | null,
    readonly global: boolean,
    readonly source: SourceRef,
  ) {}

  get label(): string {
    return this.namespace === null ? `'${this.localName}'` : `'{${this.namespace}}${this.localName}'`;
  }
}

export interface AttributeUse {
  readonly decl: AttributeDecl;
  readonly required: boolean;
}

export type ProcessContents = 'strict' | 'lax' | 'skip';

/** A namespace constraint: any namespace, any but one (and never none), or a set (null for no namespace). */
export type NamespaceConstraint =
  | { readonly kind: 'any' }
  | { readonly kind: 'not'; readonly namespace: string | null }
  | { readonly kind: 'set'; readonly namespaces: ReadonlySet<string | null> };

export class Wildcard {
  constructor(
    readonly constraint: NamespaceConstraint,
    readonly processContents: ProcessContents,
  ) {}

  allows(namespace: string | null): boolean {
    const constraint = this.constraint;
    switch (constraint.kind) {
      case 'any':
        return true;
      case 'not':
        // XSD 1.0: ##other excludes unqualified names as well as the target namespace.
        return namespace !== null && namespace !== constraint.namespace;
      case 'set':
        return constraint.namespaces.has(namespace);
    }
  }

  /** Whether some namespace (or no namespace) is allowed by both. */
  overlaps(other: Wildcard): boolean {
    const a = this.constraint;
    const b = other.constraint;
    if (a.kind === 'any' || b.kind === 'any') return true;
    if (a.kind === 'set') return [...a.namespaces].some((ns) => other.allows(ns));
    if (b.kind === 'set') return [...b.namespaces].some((ns) => this.allows(ns));
    return true;
  }

  describe(): string {
    const constraint = this.constraint;
    switch (constraint.kind) {
      case 'any':
        return 'an element of any namespace';
      case 'not':
        return constraint.namespace === null
          ? 'an element of any namespace'
          : `an element of a namespace other than ${constraint.namespace}`;
      case 'set':
        return `an element of ${[...constraint.namespaces].map((ns) => ns ?? 'no namespace').join(' or ')}`;
    }
  }
}

export type ContentKind = 'empty' | 'element-only' | 'mixed' | 'simple';

export interface ComplexContent {
  readonly base: TypeDefinition | null;
  readonly derivation: 'extension' | 'restriction';
  readonly contentKind: ContentKind;
  /** The content particle, null for empty and simple content. */
  readonly particle: Particle | null;
  /** The type of the character content, for simple content only. */
  readonly simpleType: SimpleType | null;
  readonly attributeUses: readonly AttributeUse[];
  readonly attributeWildcard: Wildcard | null;
}

export class ComplexType {
  readonly kind = 'complex' as const;
  // Plain fields rather than getters: the validator reads them for every element.
  base: TypeDefinition | null = null;
  contentKind: ContentKind = 'empty';
  /** The type of the character content, for simple content only. */
  simpleType: SimpleType | null = null;
  attributeWildcard: Wildcard | null = null;
  requiredAttributes: readonly AttributeUse[] = [];
  /** The automaton of element-only and mixed content; null for empty and simple content (and until built). */
  automaton: ContentAutomaton | null = null;
  private content: ComplexContent | null = null;
  private readonly unqualifiedUses = new Map<string, AttributeUse>();
  private readonly qualifiedUses = new Map<string, Map<string, AttributeUse>>();

  constructor(
    readonly name: string | null,
    readonly namespace: string | null,
    readonly source: SourceRef,
  ) {}

  get label(): string {
    if (this.name === null) return `the anonymous type at ${this.source}`;
    return this.namespace === XSD_NAMESPACE ? `xs:${this.name}` : expandedName(this.namespace, this.name);
  }

  get defined(): boolean {
    return this.content !== null;
  }

  /** Gives the type its content; done once, by the compiler. */
  define(content: ComplexContent): void {
    if (this.content !== null) throw new Error(`${this.label} is defined twice`);
    this.content = content;
    this.base = content.base;
    this.contentKind = content.contentKind;
    this.simpleType = content.simpleType;
    this.attributeWildcard = content.attributeWildcard;
    for (const use of content.attributeUses) {
      const { namespace, localName } = use.decl;
      if (namespace === null) {
        this.unqualifiedUses.set(localName, use);
      } else {
        let byName = this.qualifiedUses.get(namespace);
        if (byName === undefined) this.qualifiedUses.set(namespace, (byName = new Map()));
        byName.set(localName, use);
      }
    }
    this.requiredAttributes = content.attributeUses.filter((use) => use.required);
  }

  /** Builds the content automaton; done once all element declarations are complete. */
  buildAutomaton(): void {
    const { particle, contentKind } = this.definition;
    if (contentKind === 'element-only' || contentKind === 'mixed') {
      this.automaton = particle === null ? ContentAutomaton.empty() : ContentAutomaton.build(particle, this.label);
    }
  }

  get definition(): ComplexContent {
    if (this.content === null) throw new Error(`${this.label} is used before it is defined`);
    return this.content;
  }

  attributeUse(namespace: string | null, localName: string): AttributeUse | undefined {
    return namespace === null ? this.unqualifiedUses.get(localName) : this.qualifiedUses.get(namespace)?.get(localName);
  }
}

/**
 * xs:anyType, the type of elements declared without one and of elements a lax
 * wildcard admits without a declaration: any attributes and any content, each
 * validated where a global declaration for it exists.
 */
export const ANY_TYPE: ComplexType = (() => {
  const type = new ComplexType('anyType', XSD_NAMESPACE, 'XML Schema');
  const lax = new Wildcard({ kind: 'any' }, 'lax');
  type.define({
    base: null,
    derivation: 'restriction',
    contentKind: 'mixed',
    particle: { kind: 'wildcard', wildcard: lax, min: 0, max: Infinity },
    simpleType: null,
    attributeUses: [],
    attributeWildcard: lax,
  });
  type.buildAutomaton();
  return type;
})();

/** Whether `type` is `ancestor` or derived from it (the test xsi:type must pass). */
export function typeDerivesFrom(type: TypeDefinition, ancestor: TypeDefinition): boolean {
  if (ancestor === ANY_TYPE || type === ancestor) return true;
  let current: TypeDefinition | null = type;
  while (current instanceof ComplexType) {
    current = current.base;
    if (current === ancestor) return true;
  }
  return current !== null && ancestor instanceof SimpleType && simpleTypeDerivesFrom(current, ancestor);
}

/** A table of components by expanded name. */
export class ComponentTable<T> {
  private readonly byNamespace = new Map<string | null, Map<string, T>>();

  get(namespace: string | null, localName: string): T | undefined {
    return this.byNamespace.get(namespace)?.get(localName);
  }

  /** Adds `component`; false if the name is taken. */
  add(namespace: string | null, localName: string, component: T): boolean {
    let byName = this.byNamespace.get(namespace);
    if (byName === undefined) this.byNamespace.set(namespace, (byName = new Map()));
    if (byName.has(localName)) return false;
    byName.set(localName, component);
    return true;
  }

  *values(): IterableIterator<T> {
    for (const byName of this.byNamespace.values()) yield* byName.values();
  }
}

export interface SchemaModel {
  /** The schema file the model was compiled from, relative to the schema directory. */
  readonly file: string;
  readonly elements: ComponentTable<ElementDecl>;
  readonly attributes: ComponentTable<AttributeDecl>;
  readonly types: ComponentTable<TypeDefinition>;
  /**
   * Attribute names some declaration gives an ID type, plus xml:id: the only
   * attributes whose values can clash with an ID (used by incremental validation).
   */
  readonly idAttributeNames: ComponentTable<true>;
}
