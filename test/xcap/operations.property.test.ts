/**
 * Property tests of the document operations on generated documents. The generator
 * writes each document itself and records where every element and attribute went,
 * so the expectations below come from the generator, not from the parser under test.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { NotFoundError, XcapConflictError } from '../../src/xcap/errors.js';
import { deleteNode, getNode, putAttribute, putElement } from '../../src/xcap/operations.js';
import { selectElements } from '../../src/xcap/select.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { parseAttributeValue, parseXmlDocument } from '../../src/xcap/xml/parser.js';

const NAMESPACES = ['urn:x:one', 'urn:x:two', 'urn:x:three'] as const;
/** The application usage's default document namespace in these tests. */
const DEFAULT_NS = NAMESPACES[0];
/** The URI query binds n0, n1, n2 to the three namespaces. */
const CONTEXT = { defaultNamespace: DEFAULT_NS, bindings: new Map(NAMESPACES.map((ns, i) => [`n${i}`, ns])) };
const LOCALS = ['a', 'b', 'c'] as const;
const RUNS = 200;

// ---------------------------------------------------------------------------
// The model and its serialization

interface AttrSpec {
  /** Index into NAMESPACES, or null for an unprefixed attribute. */
  readonly ns: number | null;
  readonly local: string;
  readonly value: string;
  readonly ws: string;
  readonly quote: '"' | "'";
}

interface ElementSpec {
  readonly ns: number;
  readonly local: string;
  /** Written with this prefix, or unprefixed (declaring the default namespace when needed). */
  readonly prefix: string | null;
  /** Declare the namespace even when it is already in scope. */
  readonly redundant: boolean;
  readonly attrs: readonly AttrSpec[];
  readonly children: readonly NodeSpec[];
  readonly selfClose: boolean;
  readonly spaceBeforeClose: boolean;
}

type NodeSpec = { readonly kind: 'element'; readonly element: ElementSpec } | { readonly kind: 'other'; readonly text: string };

interface AttrInfo {
  readonly ns: string | null;
  readonly local: string;
  readonly value: string;
  /** Where the whitespace before the attribute starts. */
  readonly wsStart: number;
  readonly start: number;
  readonly valueStart: number;
  readonly valueEnd: number;
  readonly end: number;
}

interface ElementInfo {
  readonly ns: string;
  readonly local: string;
  readonly qname: string;
  readonly parent: ElementInfo | null;
  readonly children: ElementInfo[];
  readonly attrs: AttrInfo[];
  /** Prefix → namespace in scope on this element ('' = default), as a parser should see it. */
  readonly scope: ReadonlyMap<string, string>;
  start: number;
  /** Just past the `>` (or `/>`) of the start tag. */
  startTagEnd: number;
  /** The start tag text between the name and `>` / `/>`, trailing space excluded. */
  attributeText: string;
  endTagStart: number;
  end: number;
  selfClosing: boolean;
}

interface Generated {
  readonly source: string;
  readonly root: ElementInfo;
  readonly elements: readonly ElementInfo[];
}

function escapeValue(value: string, quote: '"' | "'"): string {
  const refs: Record<string, string> = { '&': '&amp;', '<': '&lt;', '"': '&quot;', "'": '&apos;', '\t': '&#9;', '\n': '&#10;', '\r': '&#13;' };
  return value.replace(quote === '"' ? /[&<"\t\n\r]/g : /[&<'\t\n\r]/g, (c) => refs[c]!);
}

/**
 * Writes an element in the given scope and returns what was written where.
 * `base` is the offset the text will have in the final document.
 */
function writeElement(spec: ElementSpec, scope: ReadonlyMap<string, string>, parent: ElementInfo | null, base: number): { text: string; info: ElementInfo; all: ElementInfo[] } {
  const all: ElementInfo[] = [];
  let out = '';
  const at = (): number => base + out.length;
  const uri = NAMESPACES[spec.ns]!;
  const inner = new Map(scope);
  const declarations: string[] = [];
  const declare = (prefix: string, ns: string, force: boolean): void => {
    if (!force && inner.get(prefix) === ns) return;
    inner.set(prefix, ns);
    declarations.push(prefix === '' ? ` xmlns="${ns}"` : ` xmlns:${prefix}="${ns}"`);
  };
  declare(spec.prefix ?? '', uri, spec.redundant);
  // Attribute prefixes t0..t2 are always bound to the same namespace, so they never clash.
  for (const a of spec.attrs) if (a.ns !== null) declare(`t${a.ns}`, NAMESPACES[a.ns]!, false);
  const qname = spec.prefix === null ? spec.local : `${spec.prefix}:${spec.local}`;
  const info: ElementInfo = {
    ns: uri, local: spec.local, qname, parent, children: [], attrs: [], scope: inner,
    start: at(), startTagEnd: 0, attributeText: '', endTagStart: 0, end: 0, selfClosing: false,
  };
  all.push(info);
  out += `<${qname}`;
  const attributesFrom = out.length;
  out += declarations.join('');
  for (const a of spec.attrs) {
    const wsStart = at();
    out += a.ws;
    const start = at();
    out += `${a.ns === null ? a.local : `t${a.ns}:${a.local}`}=${a.quote}`;
    const valueStart = at();
    out += escapeValue(a.value, a.quote);
    const valueEnd = at();
    out += a.quote;
    info.attrs.push({ ns: a.ns === null ? null : NAMESPACES[a.ns]!, local: a.local, value: a.value, wsStart, start, valueStart, valueEnd, end: at() });
  }
  info.attributeText = out.slice(attributesFrom);
  if (spec.spaceBeforeClose) out += ' ';
  if (spec.children.length === 0 && spec.selfClose) {
    out += '/>';
    info.startTagEnd = info.endTagStart = info.end = at();
    info.selfClosing = true;
    return { text: out, info, all };
  }
  out += '>';
  info.startTagEnd = at();
  for (const child of spec.children) {
    if (child.kind === 'other') {
      out += child.text;
      continue;
    }
    const written = writeElement(child.element, inner, info, at());
    out += written.text;
    info.children.push(written.info);
    all.push(...written.all);
  }
  info.endTagStart = at();
  out += `</${qname}>`;
  info.end = at();
  return { text: out, info, all };
}

function generate(prolog: string, root: ElementSpec, epilog: string): Generated {
  const written = writeElement(root, new Map(), null, prolog.length);
  return { source: prolog + written.text + epilog, root: written.info, elements: written.all };
}

// ---------------------------------------------------------------------------
// Arbitraries

const textPiece = fc.constantFrom('x', ' ', '\n  ', 'Müller', '東京', '😀', '&amp;', '&lt;', '&gt;', '&#x4E2D;', '"', "'", '>', 'ß');
const otherNode = fc.oneof(
  { weight: 4, arbitrary: fc.array(textPiece, { minLength: 1, maxLength: 3 }).map((a) => a.join('')) },
  { weight: 1, arbitrary: fc.constantFrom('<!-- c -->', '<!--Grüße-->', '<!-- a-b -->') },
  { weight: 1, arbitrary: fc.constantFrom('<?pi data?>', '<![CDATA[<not> & an element]]>') },
);
const attrValue = fc.array(fc.constantFrom('v', 'ü', '名', '😀', '&', '<', '>', '"', "'", ' ', 'sip:x@y', '\t'), { maxLength: 4 }).map((a) => a.join(''));
const attrSpec = fc.record({
  ns: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }),
  local: fc.constantFrom('id', 'k', 'm'),
  value: attrValue,
  ws: fc.constantFrom(' ', ' ', '\n    ', '\t'),
  quote: fc.constantFrom('"' as const, "'" as const),
});
const attrList = fc.uniqueArray(attrSpec, { maxLength: 3, selector: (a) => `${a.ns}:${a.local}` });

function elementSpec(depth: number): fc.Arbitrary<ElementSpec> {
  const children: fc.Arbitrary<NodeSpec[]> =
    depth <= 0
      ? fc.array(otherNode.map((text) => ({ kind: 'other' as const, text })), { maxLength: 1 })
      : fc.array(
          fc.oneof(
            { weight: 3, arbitrary: elementSpec(depth - 1).map((element) => ({ kind: 'element' as const, element })) },
            { weight: 2, arbitrary: otherNode.map((text) => ({ kind: 'other' as const, text })) },
          ),
          { maxLength: 5 },
        );
  return fc.record({
    ns: fc.integer({ min: 0, max: 2 }),
    local: fc.constantFrom(...LOCALS),
    prefix: fc.constantFrom(null, null, 'p', 'q'),
    redundant: fc.constantFrom(false, false, true),
    attrs: attrList,
    children,
    selfClose: fc.boolean(),
    spaceBeforeClose: fc.boolean(),
  });
}

const documentArb: fc.Arbitrary<Generated> = fc
  .tuple(
    fc.constantFrom('', '<?xml version="1.0" encoding="UTF-8"?>\n', '<?xml version="1.0"?>', '<!-- head -->\n'),
    elementSpec(3),
    fc.constantFrom('', '\n', '\n<!-- tail -->\n'),
  )
  .map(([prolog, root, epilog]) => generate(prolog, root, epilog));

// ---------------------------------------------------------------------------
// Selectors from the model

type StepStyle = 'name' | 'star';

function sameName(a: ElementInfo, ns: string, local: string): boolean {
  return a.ns === ns && a.local === local;
}

function namespaceIndex(ns: string): number {
  return (NAMESPACES as readonly string[]).indexOf(ns);
}

/** How a selector names an element: unprefixed (default namespace) when allowed, else n0..n2. */
function elementName(ns: string, local: string, unprefixed: boolean): string {
  return unprefixed && ns === DEFAULT_NS ? local : `n${namespaceIndex(ns)}:${local}`;
}

/** A position-based step that picks `e` among its siblings. */
function positionStep(e: ElementInfo, style: StepStyle, unprefixed: boolean): string {
  const siblings = e.parent === null ? [e] : e.parent.children;
  if (style === 'star') return `*[${siblings.indexOf(e) + 1}]`;
  const named = siblings.filter((s) => sameName(s, e.ns, e.local));
  return `${elementName(e.ns, e.local, unprefixed)}[${named.indexOf(e) + 1}]`;
}

function pathTo(e: ElementInfo, choices: readonly boolean[]): string[] {
  const chain: ElementInfo[] = [];
  for (let x: ElementInfo | null = e; x !== null; x = x.parent) chain.unshift(x);
  return chain.map((x, i) => positionStep(x, choices[(2 * i) % choices.length] ? 'star' : 'name', choices[(2 * i + 1) % choices.length] ?? true));
}

const selector = (text: string) => parseNodeSelector(text, CONTEXT);
const pick = <T>(items: readonly T[], n: number): T => items[n % items.length]!;
const choicesArb = fc.array(fc.boolean(), { minLength: 1, maxLength: 12 });

/** new = old[0:from] + middle + old[to:], nothing else changed. */
function assertOneSplice(before: string, after: string, from: number, to: number, middle?: string): void {
  assert.ok(after.startsWith(before.slice(0, from)), 'the text before the changed node is untouched');
  assert.ok(after.endsWith(before.slice(to)), 'the text after the changed node is untouched');
  assert.ok(after.length >= from + before.length - to, 'prefix and suffix do not overlap');
  if (middle !== undefined) assert.equal(after.slice(from, after.length - (before.length - to)), middle);
}

// ---------------------------------------------------------------------------
// A generated element to put

function bodyArb(ns: fc.Arbitrary<number>, local: fc.Arbitrary<string>): fc.Arbitrary<ElementSpec> {
  return fc.record({
    ns,
    local,
    prefix: fc.constantFrom(null, 'p', 'q', 'r'),
    redundant: fc.boolean(),
    attrs: attrList,
    children: fc.array(
      fc.oneof(
        otherNode.map((text) => ({ kind: 'other' as const, text })),
        elementSpec(1).map((element) => ({ kind: 'element' as const, element })),
      ),
      { maxLength: 3 },
    ),
    selfClose: fc.boolean(),
    spaceBeforeClose: fc.boolean(),
  });
}

/** The body text for `spec`, written as it would be placed under `parent` (relying on the prefixes in scope there). */
function bodyText(spec: ElementSpec, parent: ElementInfo | null, extraAttribute = ''): string {
  const text = writeElement(spec, parent?.scope ?? new Map(), null, 0).text;
  if (extraAttribute === '') return text;
  const nameEnd = 1 + (spec.prefix === null ? spec.local : `${spec.prefix}:${spec.local}`).length;
  return `${text.slice(0, nameEnd)} ${extraAttribute}${text.slice(nameEnd)}`;
}

// ---------------------------------------------------------------------------

describe('GET on generated documents', () => {
  test('(a) an element picked by position-based steps comes back exactly as written', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), choicesArb, (g, n, choices) => {
        const e = pick(g.elements, n);
        const doc = parseXmlDocument(g.source);
        const r = getNode(doc, selector(pathTo(e, choices).join('/')));
        assert.equal(r.body, g.source.slice(e.start, e.end));
        assert.equal(r.contentType, 'application/xcap-el+xml');
      }),
      { numRuns: RUNS },
    );
  });

  test('(a) each attribute comes back as an AttValue of its value', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), fc.nat(), choicesArb, (g, n, m, choices) => {
        const e = pick(g.elements, n);
        fc.pre(e.attrs.length > 0);
        const a = pick(e.attrs, m);
        const name = a.ns === null ? a.local : elementName(a.ns, a.local, false);
        const r = getNode(parseXmlDocument(g.source), selector(`${pathTo(e, choices).join('/')}/@${name}`));
        assert.match(r.body, /^"[^"]*"$/);
        assert.equal(parseAttributeValue(r.body.slice(1, -1)), a.value);
      }),
      { numRuns: RUNS },
    );
  });

  test('(a) namespace::* lists exactly the bindings in scope, under the element\'s own name', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), choicesArb, (g, n, choices) => {
        const e = pick(g.elements, n);
        const r = getNode(parseXmlDocument(g.source), selector(`${pathTo(e, choices).join('/')}/namespace::*`));
        const root = parseXmlDocument(r.body).root;
        assert.equal(root.qname, e.qname);
        assert.deepEqual(root.attributes, []);
        assert.deepEqual(root.children, []);
        assert.deepEqual(new Map(root.namespaceDeclarations.map((d) => [d.prefix, d.uri])), e.scope);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('PUT of an element on generated documents', () => {
  test('(b, d) replacement: GET(PUT(x)) == x, and only the element\'s text changed', () => {
    fc.assert(
      fc.property(
        documentArb,
        fc.nat(),
        choicesArb,
        fc.constantFrom('name', 'star', 'attr'),
        bodyArb(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...LOCALS)),
        (g, n, choices, lastStyle, spec) => {
          const e = pick(g.elements, n);
          const steps = [...pathTo(e, choices).slice(0, -1), positionStep(e, lastStyle === 'star' ? 'star' : 'name', choices[0] ?? true)];
          let body: ElementSpec = spec;
          if (lastStyle === 'attr') {
            fc.pre(e.parent !== null);
            // Give the element a unique attribute value (through the operation itself), then select it by that.
            const uid = 'u-unique';
            const tagged = putAttribute(parseXmlDocument(g.source), selector(`${steps.join('/')}/@uid`), `"${uid}"`);
            const target = selectElements(tagged.document, selector(steps.join('/')).steps)[0]!;
            const text = bodyText({ ...spec, ns: namespaceIndex(e.ns), local: e.local }, e.parent, `uid="${uid}"`);
            const sel = selector([...steps.slice(0, -1), `${elementName(e.ns, e.local, choices[0] ?? true)}[@uid="${uid}"]`].join('/'));
            const r = putElement(tagged.document, sel, text);
            assert.equal(r.created, false);
            assertOneSplice(tagged.source, r.source, target.start, target.end, text);
            assert.equal(getNode(r.document, sel).body, text);
            return;
          }
          if (lastStyle === 'name' || e.parent === null) {
            body = { ...spec, ns: namespaceIndex(e.ns), local: e.local };
          }
          const text = bodyText(body, e.parent);
          const sel = selector(steps.join('/'));
          const r = putElement(parseXmlDocument(g.source), sel, text);
          assert.equal(r.created, false);
          assertOneSplice(g.source, r.source, e.start, e.end, text);
          assert.equal(getNode(r.document, sel).body, text);
        },
      ),
      { numRuns: RUNS },
    );
  });

  test('(b, d) insertion by name[@uid], name[n][@uid], *[n][@uid], *[@uid]: at the §8.2.3 place, GET(PUT(x)) == x', () => {
    fc.assert(
      fc.property(
        documentArb,
        fc.nat(),
        choicesArb,
        fc.constantFrom('name', 'name-pos', 'star-pos', 'star'),
        fc.nat(),
        bodyArb(fc.integer({ min: 0, max: 2 }), fc.constantFrom(...LOCALS)),
        (g, n, choices, style, k, spec) => {
          const parent = pick(g.elements, n);
          const uid = 'u-fresh';
          const text = bodyText(spec, parent, `uid="${uid}"`);
          const ns = NAMESPACES[spec.ns]!;
          const named = parent.children.filter((c) => sameName(c, ns, spec.local));
          const all = parent.children;
          const name = elementName(ns, spec.local, choices[0] ?? true);
          // Positions up to one past the end can be filled; one more cannot.
          const count = style === 'name-pos' ? named.length : all.length;
          const position = 1 + (k % (count + 2));
          const last =
            style === 'name' ? `${name}[@uid="${uid}"]`
            : style === 'name-pos' ? `${name}[${position}][@uid="${uid}"]`
            : style === 'star-pos' ? `*[${position}][@uid="${uid}"]`
            : `*[@uid="${uid}"]`;
          const sel = selector([...pathTo(parent, choices), last].join('/'));
          const doc = parseXmlDocument(g.source);
          const positional = style === 'name-pos' || style === 'star-pos';
          if (positional && position > count + 1) {
            assert.throws(() => putElement(doc, sel, text), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
            return;
          }
          const r = putElement(doc, sel, text);
          assert.equal(r.created, true);
          assert.equal(getNode(r.document, sel).body, text);
          if (parent.selfClosing) {
            const expected = `<${parent.qname}${parent.attributeText}>${text}</${parent.qname}>`;
            assertOneSplice(g.source, r.source, parent.start, parent.end, expected);
            return;
          }
          // RFC 4825 §8.2.3: where the new element must go.
          const counted = positional ? (style === 'name-pos' ? named : all) : [];
          let at: number;
          if (!positional) {
            const lastNamed = style === 'name' ? named[named.length - 1] : undefined;
            at = lastNamed ? lastNamed.end : parent.endTagStart;
          } else if (position === 1) {
            at = counted.length > 0 ? counted[0]!.start : parent.endTagStart;
          } else {
            at = counted[position - 2]!.end;
          }
          assertOneSplice(g.source, r.source, at, at, text);
        },
      ),
      { numRuns: RUNS },
    );
  });
});

describe('DELETE of an element on generated documents', () => {
  test('(c, d) afterwards the URI selects nothing, and only the element\'s text is gone; otherwise cannot-delete', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), choicesArb, fc.constantFrom('name', 'star', 'bare'), (g, n, choices, lastStyle) => {
        const e = pick(g.elements, n);
        const doc = parseXmlDocument(g.source);
        const steps = pathTo(e, choices);
        if (e.parent === null) {
          assert.throws(() => deleteNode(doc, selector(steps.join('/'))), (x: unknown) => x instanceof XcapConflictError && x.conflict === 'cannot-delete');
          return;
        }
        const siblings = e.parent.children;
        const named = siblings.filter((s) => sameName(s, e.ns, e.local));
        let last: string;
        let stillSelects: boolean;
        if (lastStyle === 'bare') {
          fc.pre(named.length === 1);
          last = elementName(e.ns, e.local, choices[0] ?? true);
          stillSelects = false;
        } else {
          last = positionStep(e, lastStyle, choices[0] ?? true);
          const counted = lastStyle === 'star' ? siblings : named;
          stillSelects = counted.indexOf(e) < counted.length - 1;
        }
        const sel = selector([...steps.slice(0, -1), last].join('/'));
        if (stillSelects) {
          assert.throws(() => deleteNode(doc, sel), (x: unknown) => x instanceof XcapConflictError && x.conflict === 'cannot-delete');
          return;
        }
        const r = deleteNode(doc, sel);
        assertOneSplice(g.source, r.source, e.start, e.end, '');
        assert.deepEqual(selectElements(r.document, sel.steps), []);
        assert.throws(() => getNode(r.document, sel), NotFoundError);
        assert.throws(() => deleteNode(r.document, sel), NotFoundError);
      }),
      { numRuns: RUNS },
    );
  });
});

describe('attributes on generated documents', () => {
  const attributeName = fc.record({ ns: fc.option(fc.integer({ min: 0, max: 2 }), { nil: null }), local: fc.constantFrom('id', 'k', 'm', 'new') });

  test('(e) PUT then GET gives the value back; only the start tag changed', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), choicesArb, attributeName, attrValue, fc.constantFrom('"' as const, "'" as const), (g, n, choices, name, value, quote) => {
        const e = pick(g.elements, n);
        const ns = name.ns === null ? null : NAMESPACES[name.ns]!;
        const qname = ns === null ? name.local : elementName(ns, name.local, false);
        const sel = selector(`${pathTo(e, choices).join('/')}/@${qname}`);
        const existing = e.attrs.find((a) => a.ns === ns && a.local === name.local);
        const r = putAttribute(parseXmlDocument(g.source), sel, `${quote}${escapeValue(value, quote)}${quote}`);
        assert.equal(r.created, existing === undefined);
        const got = getNode(r.document, sel).body;
        assert.equal(parseAttributeValue(got.slice(1, -1)), value);
        if (existing) {
          assertOneSplice(g.source, r.source, existing.valueStart, existing.valueEnd);
        } else {
          // A new attribute goes into the start tag, before its closing '>' or '/>'.
          assertOneSplice(g.source, r.source, e.start + 1 + e.qname.length, e.startTagEnd - (e.selfClosing ? 2 : 1));
        }
        // Every other attribute of the element is as it was.
        const after = selectElements(r.document, sel.steps)[0]!;
        const others = (attrs: readonly { namespace?: string | null; ns?: string | null; localName?: string; local?: string; value: string }[]) =>
          attrs.map((a) => `${a.namespace ?? a.ns ?? ''} ${a.localName ?? a.local} ${a.value}`).filter((s) => s !== `${ns ?? ''} ${name.local} ${value}`).sort();
        assert.deepEqual(others(after.attributes), others(e.attrs.filter((a) => !(a.ns === ns && a.local === name.local))));
      }),
      { numRuns: RUNS },
    );
  });

  test('(e) DELETE removes the attribute and the space before it, nothing else', () => {
    fc.assert(
      fc.property(documentArb, fc.nat(), fc.nat(), choicesArb, (g, n, m, choices) => {
        const e = pick(g.elements, n);
        fc.pre(e.attrs.length > 0);
        const a = pick(e.attrs, m);
        const qname = a.ns === null ? a.local : elementName(a.ns, a.local, false);
        const sel = selector(`${pathTo(e, choices).join('/')}/@${qname}`);
        const r = deleteNode(parseXmlDocument(g.source), sel);
        assertOneSplice(g.source, r.source, a.wsStart, a.end, '');
        assert.throws(() => getNode(r.document, sel), NotFoundError);
        assert.throws(() => deleteNode(r.document, sel), NotFoundError);
      }),
      { numRuns: RUNS },
    );
  });
});
