/**
 * Random XML documents for property tests of the tree operations, rich in what a
 * patched tree can get wrong: comments, PIs, CDATA, non-ASCII and astral characters,
 * CR and CR LF, `]` and `>` next to element boundaries, references, namespace
 * prefixes and default namespaces declared, redeclared and undeclared, empty-element
 * tags, whitespace-only and mixed text. Selectors for elements of a parsed tree are
 * built from that tree.
 */
import fc from 'fast-check';
import type { NamespaceContext } from '../../../src/xcap/selector.js';
import type { XmlDocument, XmlElement } from '../../../src/xcap/xml/tree.js';

export const NAMESPACES = ['urn:x:one', 'urn:x:two'] as const;
/** The URI query binds n0 and n1; unprefixed selector names are in the first namespace. */
export const CONTEXT: NamespaceContext = {
  defaultNamespace: NAMESPACES[0],
  bindings: new Map(NAMESPACES.map((ns, i) => [`n${i}`, ns])),
};

export interface AttrSpec {
  /** Index into NAMESPACES (written with prefix t0 or t1), or null for no namespace. */
  readonly ns: number | null;
  readonly local: string;
  /** The value as written between the quotes (references and literal whitespace included). */
  readonly raw: string;
  readonly ws: string;
  readonly quote: '"' | "'";
}

export interface ElementSpec {
  /** Index into NAMESPACES, or null for no namespace (unprefixed, with the default undeclared). */
  readonly ns: number | null;
  readonly local: string;
  readonly prefix: 'p' | 'q' | null;
  /** Declare the namespace even when it is in scope already. */
  readonly redundant: boolean;
  readonly attrs: readonly AttrSpec[];
  readonly children: readonly NodeSpec[];
  readonly selfClose: boolean;
  /** Whitespace before the `>` or `/>` of the start tag. */
  readonly tagSpace: string;
}

export type NodeSpec = { readonly kind: 'element'; readonly element: ElementSpec } | { readonly kind: 'other'; readonly text: string };

/** Writes `spec` where the bindings `scope` (prefix → URI, '' the default namespace) are in scope. */
export function writeElement(spec: ElementSpec, scope: ReadonlyMap<string, string>): string {
  const inner = new Map(scope);
  let declarations = '';
  const declare = (prefix: string, uri: string, force: boolean): void => {
    if (!force && (inner.get(prefix) ?? '') === uri) return;
    inner.set(prefix, uri);
    declarations += prefix === '' ? ` xmlns="${uri}"` : ` xmlns:${prefix}="${uri}"`;
  };
  const prefix = spec.ns === null ? null : spec.prefix;
  declare(prefix ?? '', spec.ns === null ? '' : NAMESPACES[spec.ns]!, spec.redundant && spec.ns !== null);
  for (const a of spec.attrs) if (a.ns !== null) declare(`t${a.ns}`, NAMESPACES[a.ns]!, false);
  const qname = prefix === null ? spec.local : `${prefix}:${spec.local}`;
  let out = `<${qname}${declarations}`;
  for (const a of spec.attrs) out += `${a.ws}${a.ns === null ? a.local : `t${a.ns}:${a.local}`}=${a.quote}${a.raw}${a.quote}`;
  out += spec.tagSpace;
  if (spec.children.length === 0 && spec.selfClose) return `${out}/>`;
  out += '>';
  for (const child of spec.children) out += child.kind === 'other' ? child.text : writeElement(child.element, inner);
  return `${out}</${qname}>`;
}

const textPiece = fc.constantFrom(
  'x', ' ', '\n  ', '\r\n', '\r', '\t', 'Müller', '東京', '😀', '𝄞', '&amp;', '&lt;', '&#13;', '&#x1F600;', ']', '>', 'ß', '\u00a0', 'a b',
);
const markup = fc.constantFrom(
  '<!-- c -->', '<!--Grüße 😀-->', '<?pi data?>', '<?q?>', '<![CDATA[<not> & an element]]>', '<![CDATA[]]>', '<![CDATA[\r\n]]]>',
);
export const otherNode: fc.Arbitrary<string> = fc.oneof(
  { weight: 5, arbitrary: fc.array(textPiece, { minLength: 1, maxLength: 4 }).map((a) => a.join('')) },
  { weight: 2, arbitrary: markup },
);

const valuePiece = fc.constantFrom('v', 'ü', '名', '😀', '&amp;', '&lt;', '&quot;', '&#9;', '&#x10FFFF;', '\t', '\n', '\r\n', ' ', 'sip:x@y', '>');
export const attrRaw: fc.Arbitrary<string> = fc.array(valuePiece, { maxLength: 4 }).map((a) => a.join(''));

const attrSpec: fc.Arbitrary<AttrSpec> = fc.record({
  ns: fc.constantFrom(null, null, 0, 1),
  local: fc.constantFrom('id', 'k', 'm'),
  raw: attrRaw,
  ws: fc.constantFrom(' ', ' ', '\n    ', '\t', '\r\n '),
  quote: fc.constantFrom('"' as const, "'" as const),
});
const attrList = fc.uniqueArray(attrSpec, { maxLength: 3, selector: (a) => `${a.ns}:${a.local}` });

export function elementSpec(depth: number, maxChildren = 5): fc.Arbitrary<ElementSpec> {
  const children: fc.Arbitrary<NodeSpec[]> =
    depth <= 0
      ? fc.array(otherNode.map((text) => ({ kind: 'other' as const, text })), { maxLength: 2 })
      : fc.array(
          fc.oneof(
            { weight: 3, arbitrary: elementSpec(depth - 1, maxChildren).map((element) => ({ kind: 'element' as const, element })) },
            { weight: 3, arbitrary: otherNode.map((text) => ({ kind: 'other' as const, text })) },
          ),
          { maxLength: maxChildren },
        );
  return fc.record({
    ns: fc.constantFrom(0, 0, 0, 1, 1, null),
    local: fc.constantFrom('a', 'b', 'c'),
    prefix: fc.constantFrom(null, null, 'p' as const, 'q' as const),
    redundant: fc.constantFrom(false, false, true),
    attrs: attrList,
    children,
    selfClose: fc.boolean(),
    tagSpace: fc.constantFrom('', '', ' ', '\n'),
  });
}

export const documentText: fc.Arbitrary<string> = fc
  .tuple(
    fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>', '<!-- head -->\n', '<?pi x?>'),
    elementSpec(3),
    fc.constantFrom('', '\n', '\n<!-- tail -->\n', '<?end?>'),
  )
  .map(([prolog, root, epilog]) => prolog + writeElement(root, new Map()) + epilog);

/** What may surround an element body (RFC 4825 allows an XML declaration, comments, PIs and whitespace). */
export const bodyWrapping = fc.constantFrom<[string, string]>(['', ''], ['', ''], ['\n', '\n'], ['<?xml version="1.0"?>\n', ''], ['<!-- b -->', ' <?p?>']);

// ---------------------------------------------------------------------------
// Walking a parsed tree

export function allElements(document: XmlDocument): XmlElement[] {
  const out: XmlElement[] = [];
  const walk = (e: XmlElement): void => {
    out.push(e);
    for (const c of e.children) if (c.kind === 'element') walk(c);
  };
  walk(document.root);
  return out;
}

export function childElements(e: XmlElement): XmlElement[] {
  return e.children.filter((c): c is XmlElement => c.kind === 'element');
}

export function siblingsOf(document: XmlDocument, e: XmlElement): XmlElement[] {
  return e.parent === null ? [document.root] : childElements(e.parent);
}

export function sameExpandedName(a: XmlElement, b: XmlElement): boolean {
  return a.localName === b.localName && a.namespace === b.namespace;
}

/** How a selector names elements of this expanded name: null when only `*` can (no namespace). */
export function selectorName(namespace: string | null, localName: string, unprefixed: boolean): string | null {
  const index = (NAMESPACES as readonly (string | null)[]).indexOf(namespace);
  if (index < 0) return null;
  return unprefixed && index === 0 ? localName : `n${index}:${localName}`;
}

/** A step picking `e` by position among its siblings, named when `named` allows and the name can be written, else `*`. */
export function positionStep(document: XmlDocument, e: XmlElement, named: boolean, unprefixed: boolean): string {
  const siblings = siblingsOf(document, e);
  const name = named ? selectorName(e.namespace, e.localName, unprefixed) : null;
  if (name === null) return `*[${siblings.indexOf(e) + 1}]`;
  return `${name}[${siblings.filter((s) => sameExpandedName(s, e)).indexOf(e) + 1}]`;
}

/** Position-based steps from the root to `e`; `choices` picks named or `*` steps and prefixes. */
export function pathTo(document: XmlDocument, e: XmlElement, choices: readonly boolean[]): string[] {
  const chain: XmlElement[] = [];
  for (let x: XmlElement | null = e; x !== null; x = x.parent) chain.unshift(x);
  return chain.map((x, i) => positionStep(document, x, choices[(2 * i) % choices.length] ?? true, choices[(2 * i + 1) % choices.length] ?? true));
}

export const choices = fc.array(fc.boolean(), { minLength: 1, maxLength: 12 });

export function pick<T>(items: readonly T[], n: number): T {
  return items[n % items.length]!;
}
