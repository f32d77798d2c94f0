/**
 * Simple types: the XSD built-in datatypes and the types schemas derive from them
 * by restriction (with enumeration and pattern facets) or by union.
 *
 * A value is checked the way libxml2 checks it (see lexical.ts): the built-in type
 * at the root of an atomic type judges the value as written, then the facets of
 * each derivation step judge the value normalized by the type's whiteSpace facet.
 * All pattern facets of one step are alternatives; the steps must all hold.
 */
import {
  collapseWhitespace,
  isBase64Binary,
  isBoolean,
  isDateTimeOf,
  isDecimal,
  isDuration,
  isFloatingPoint,
  isHexBinary,
  isIntegerIn,
  isLanguage,
  isNameLoose,
  isNcNameLoose,
  isNmtokenLoose,
  isQNameLoose,
  replaceWhitespace,
  type DateTimeKind,
  type IntegerRange,
} from './lexical.js';
import type { XsdPattern } from './regex.js';
import { isAnyUri } from './uri-syntax.js';

export const XSD_NAMESPACE = 'http://www.w3.org/2001/XMLSchema';

export type WhiteSpace = 'preserve' | 'replace' | 'collapse';

/** Longest value quoted in full in a message. */
const QUOTED_VALUE_LIMIT = 80;

export function quote(value: string): string {
  const shown = value.length > QUOTED_VALUE_LIMIT ? `${value.slice(0, QUOTED_VALUE_LIMIT)}…` : value;
  return `'${shown}'`;
}

export function normalizeWhiteSpace(value: string, whiteSpace: WhiteSpace): string {
  if (whiteSpace === 'collapse') return collapseWhitespace(value);
  if (whiteSpace === 'replace') return replaceWhitespace(value);
  return value;
}

export abstract class SimpleType {
  readonly kind = 'simple' as const;

  constructor(
    readonly name: string | null,
    readonly namespace: string | null,
    /** The type this one is derived from; null for xs:anySimpleType. */
    readonly base: SimpleType | null,
  ) {}

  /** The built-in type an atomic type is (or restricts); null for a union. */
  abstract readonly builtin: BuiltinType | null;

  /** True for xs:ID and its restrictions, whose values must be unique in a document. */
  abstract readonly isId: boolean;

  /** Why `value` is not a valid value of this type, or null when it is. */
  abstract check(value: string): string | null;

  /** How messages name the type. */
  get label(): string {
    if (this.name === null) return 'an anonymous type';
    return this.namespace === XSD_NAMESPACE ? `xs:${this.name}` : `{${this.namespace ?? ''}}${this.name}`;
  }
}

export class BuiltinType extends SimpleType {
  override readonly builtin: BuiltinType = this;

  constructor(
    name: string,
    base: BuiltinType | null,
    readonly whiteSpace: WhiteSpace,
    private readonly lexical: (value: string) => boolean,
    override readonly isId: boolean,
    /** Whether equal normalized lexical forms mean equal values, so that enumerations can compare strings. */
    readonly comparesAsString: boolean,
  ) {
    super(name, XSD_NAMESPACE, base);
  }

  override check(value: string): string | null {
    return this.lexical(value) ? null : `${quote(value)} is not a valid value of type xs:${this.name}`;
  }
}

/** The facets one restriction step adds. */
export interface FacetStep {
  /** Allowed values, normalized; null when the step has no enumeration. */
  readonly enumeration: ReadonlySet<string> | null;
  /** Alternative patterns; null when the step has none. */
  readonly patterns: readonly XsdPattern[] | null;
}

interface OwnedFacetStep extends FacetStep {
  /** The type that added the step, as messages name it. */
  readonly owner: string;
}

export class RestrictedType extends SimpleType {
  override readonly builtin: BuiltinType;
  override readonly isId: boolean;
  private readonly steps: readonly OwnedFacetStep[];

  constructor(name: string | null, namespace: string | null, base: SimpleType, step: FacetStep) {
    super(name, namespace, base);
    if (base.builtin === null) throw new Error('a restriction of a union is not supported');
    this.builtin = base.builtin;
    this.isId = base.isId;
    const inherited = base instanceof RestrictedType ? base.steps : [];
    this.steps = step.enumeration === null && step.patterns === null ? inherited : [...inherited, { ...step, owner: this.label }];
  }

  override check(value: string): string | null {
    const problem = this.builtin.check(value);
    if (problem !== null || this.steps.length === 0) return problem;
    const normalized = normalizeWhiteSpace(value, this.builtin.whiteSpace);
    for (const step of this.steps) {
      if (step.patterns !== null && !step.patterns.some((pattern) => pattern.matches(normalized))) {
        return `${quote(normalized)} does not match the pattern${step.patterns.length > 1 ? 's' : ''} of ${step.owner}`;
      }
      if (step.enumeration !== null && !step.enumeration.has(normalized)) {
        const allowed = [...step.enumeration];
        const listed = allowed.slice(0, 12).map(quote).join(', ') + (allowed.length > 12 ? ', …' : '');
        return `${quote(normalized)} is not one of ${listed}`;
      }
    }
    return null;
  }
}

export class UnionType extends SimpleType {
  override readonly builtin = null;
  override readonly isId = false;

  constructor(
    name: string | null,
    namespace: string | null,
    readonly members: readonly SimpleType[],
    anySimpleType: SimpleType,
  ) {
    super(name, namespace, anySimpleType);
  }

  override check(value: string): string | null {
    // Like libxml2, each member judges the value with its own white space handling.
    for (const member of this.members) if (member.check(value) === null) return null;
    return `${quote(value)} is not valid for any member type of ${this.label}`;
  }
}

const ANY = (): boolean => true;

function integerType(range: IntegerRange): (value: string) => boolean {
  return (value) => isIntegerIn(value, range);
}

function dateType(kind: DateTimeKind): (value: string) => boolean {
  return (value) => isDateTimeOf(kind, value);
}

const builtins = new Map<string, BuiltinType>();

function define(
  name: string,
  base: string | null,
  whiteSpace: WhiteSpace,
  lexical: (value: string) => boolean,
  options: { id?: boolean; comparesAsString?: boolean } = {},
): void {
  const baseType = base === null ? null : builtins.get(base)!;
  builtins.set(
    name,
    new BuiltinType(name, baseType, whiteSpace, lexical, options.id ?? false, options.comparesAsString ?? false),
  );
}

const asString = { comparesAsString: true };

define('anySimpleType', null, 'preserve', ANY);
define('string', 'anySimpleType', 'preserve', ANY, asString);
define('normalizedString', 'string', 'replace', ANY, asString);
define('token', 'normalizedString', 'collapse', ANY, asString);
define('language', 'token', 'collapse', isLanguage, asString);
define('NMTOKEN', 'token', 'collapse', isNmtokenLoose, asString);
define('Name', 'token', 'collapse', isNameLoose, asString);
define('NCName', 'Name', 'collapse', isNcNameLoose, asString);
define('ID', 'NCName', 'collapse', isNcNameLoose, { id: true, comparesAsString: true });
define('anyURI', 'anySimpleType', 'collapse', isAnyUri, asString);
define('boolean', 'anySimpleType', 'collapse', isBoolean);
define('decimal', 'anySimpleType', 'collapse', isDecimal);
define('integer', 'decimal', 'collapse', integerType({}));
define('nonPositiveInteger', 'integer', 'collapse', integerType({ max: 0n }));
define('negativeInteger', 'nonPositiveInteger', 'collapse', integerType({ max: -1n }));
define('long', 'integer', 'collapse', integerType({ min: -(2n ** 63n), max: 2n ** 63n - 1n }));
define('int', 'long', 'collapse', integerType({ min: -(2n ** 31n), max: 2n ** 31n - 1n }));
define('short', 'int', 'collapse', integerType({ min: -(2n ** 15n), max: 2n ** 15n - 1n }));
define('byte', 'short', 'collapse', integerType({ min: -128n, max: 127n }));
define('nonNegativeInteger', 'integer', 'collapse', integerType({ min: 0n }));
define('unsignedLong', 'nonNegativeInteger', 'collapse', integerType({ min: 0n, max: 2n ** 64n - 1n }));
define('unsignedInt', 'unsignedLong', 'collapse', integerType({ min: 0n, max: 2n ** 32n - 1n }));
define('unsignedShort', 'unsignedInt', 'collapse', integerType({ min: 0n, max: 65535n }));
define('unsignedByte', 'unsignedShort', 'collapse', integerType({ min: 0n, max: 255n }));
define('positiveInteger', 'nonNegativeInteger', 'collapse', integerType({ min: 1n }));
define('float', 'anySimpleType', 'collapse', isFloatingPoint);
define('double', 'anySimpleType', 'collapse', isFloatingPoint);
define('duration', 'anySimpleType', 'collapse', isDuration);
for (const kind of ['dateTime', 'date', 'time', 'gYear', 'gYearMonth', 'gMonth', 'gMonthDay', 'gDay'] as const) {
  define(kind, 'anySimpleType', 'collapse', dateType(kind));
}
define('hexBinary', 'anySimpleType', 'collapse', isHexBinary);
// The prefix of a QName value must also be declared where the value is; the validator checks that.
define('QName', 'anySimpleType', 'collapse', isQNameLoose);
define('base64Binary', 'anySimpleType', 'collapse', isBase64Binary);

/**
 * Built-in types that are deliberately not implemented, with the reason; a schema
 * using one fails to load.
 */
const UNSUPPORTED_BUILTINS: Readonly<Record<string, string>> = {
  NOTATION: 'notations need DTD declarations',
  IDREF: 'ID references are not checked',
  IDREFS: 'list types are not supported',
  ENTITY: 'entities need DTD declarations',
  ENTITIES: 'entities need DTD declarations',
  NMTOKENS: 'list types are not supported',
};

export const ANY_SIMPLE_TYPE: BuiltinType = builtins.get('anySimpleType')!;

/**
 * The built-in simple type `name` of the XSD namespace; undefined for names that are
 * not simple built-in types; throws for those this validator does not support.
 */
export function builtinSimpleType(name: string): BuiltinType | undefined {
  const type = builtins.get(name);
  if (type !== undefined) return type;
  const reason = UNSUPPORTED_BUILTINS[name];
  if (reason !== undefined) throw new Error(`the built-in type xs:${name} is not supported (${reason})`);
  return undefined;
}

/** Whether `type` is `ancestor` or derived from it (through restrictions, or as a member of a union `ancestor`). */
export function simpleTypeDerivesFrom(type: SimpleType, ancestor: SimpleType): boolean {
  for (let current: SimpleType | null = type; current !== null; current = current.base) {
    if (current === ancestor) return true;
  }
  return ancestor instanceof UnionType && ancestor.members.some((member) => simpleTypeDerivesFrom(type, member));
}
