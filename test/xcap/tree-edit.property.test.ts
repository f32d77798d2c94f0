/**
 * adoptEdit must give exactly the tree the parser makes of the edited source. On
 * random documents, random sequences of edits (element PUT replacing and inserting,
 * element DELETE, attribute PUT and DELETE) are applied one after another to the same
 * adopted tree, and after each one the tree is compared, node by node and field by
 * field, with a fresh parse of the new source.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XcapConflictError, XcapError } from '../../src/xcap/errors.js';
import { adoptEdit, deleteNode, getNode, putAttribute, putElement, type EditResult } from '../../src/xcap/operations.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { inScopeNamespaces, parseXmlDocument } from '../../src/xcap/xml/parser.js';
import type { XmlDocument, XmlElement, XmlNode } from '../../src/xcap/xml/tree.js';
import {
  CONTEXT,
  NAMESPACES,
  allElements,
  attrRaw,
  bodyWrapping,
  childElements,
  choices as choicesArb,
  documentText,
  elementSpec,
  pathTo,
  pick,
  sameExpandedName,
  selectorName,
  writeElement,
  type ElementSpec,
} from './support/random-documents.js';

// ---------------------------------------------------------------------------
// Comparing trees

/** Asserts that `actual` is `expected` in every field of every node, and that `actual`'s parent pointers are right. */
function assertSameTree(actual: XmlDocument, expected: XmlDocument): void {
  assert.equal(actual.source, expected.source, 'source');
  assert.equal(actual.declarationEnd, expected.declarationEnd, 'declarationEnd');
  assert.equal(actual.declaredEncoding, expected.declaredEncoding, 'declaredEncoding');
  assert.deepEqual(Object.keys(actual).sort(), Object.keys(expected).sort(), 'document fields');
  assertSameNode(actual.root, expected.root, null, 'root');
}

function assertSameFields(actual: object, expected: object, skip: readonly string[], where: string): void {
  const keys = Object.keys(expected).filter((k) => !skip.includes(k));
  assert.deepEqual(Object.keys(actual).filter((k) => !skip.includes(k)).sort(), [...keys].sort(), `${where}: fields`);
  for (const k of keys) {
    assert.equal((actual as Record<string, unknown>)[k], (expected as Record<string, unknown>)[k], `${where}.${k}`);
  }
}

function assertSameNode(actual: XmlNode, expected: XmlNode, actualParent: XmlElement | null, where: string): void {
  if (actual.kind !== 'element' || expected.kind !== 'element') {
    assertSameFields(actual, expected, [], where);
    return;
  }
  assertSameFields(actual, expected, ['attributes', 'namespaceDeclarations', 'children', 'parent'], where);
  assert.equal(actual.parent, actualParent, `${where}: parent pointer`);
  assert.equal(actual.attributes.length, expected.attributes.length, `${where}: attribute count`);
  actual.attributes.forEach((a, i) => assertSameFields(a, expected.attributes[i]!, [], `${where}@${i}`));
  assert.equal(actual.namespaceDeclarations.length, expected.namespaceDeclarations.length, `${where}: declaration count`);
  actual.namespaceDeclarations.forEach((d, i) => assertSameFields(d, expected.namespaceDeclarations[i]!, [], `${where}:xmlns${i}`));
  assert.equal(actual.children.length, expected.children.length, `${where}: child count`);
  actual.children.forEach((c, i) => assertSameNode(c, expected.children[i]!, actual, `${where}/${i}`));
}

/** Child indexes from the root down to `e`, and a check that `e` belongs to `document`. */
function indexPath(document: XmlDocument, e: XmlElement): number[] {
  const path: number[] = [];
  let x = e;
  while (x.parent !== null) {
    path.unshift(x.parent.children.indexOf(x));
    x = x.parent;
  }
  assert.equal(x, document.root, 'the element is in this tree');
  return path;
}

// ---------------------------------------------------------------------------
// Random edits

const selector = (text: string) => parseNodeSelector(text, CONTEXT);

type EditSpec =
  | { readonly kind: 'replace'; readonly n: number; readonly choices: boolean[]; readonly named: boolean; readonly body: ElementSpec; readonly wrap: [string, string] }
  | {
      readonly kind: 'insert';
      readonly n: number;
      readonly choices: boolean[];
      readonly style: 'name' | 'name-pos' | 'star-pos' | 'star';
      readonly k: number;
      readonly body: ElementSpec;
      readonly wrap: [string, string];
    }
  | { readonly kind: 'delete'; readonly n: number; readonly choices: boolean[] }
  | { readonly kind: 'put-attribute'; readonly n: number; readonly choices: boolean[]; readonly ns: number | null; readonly local: string; readonly raw: string; readonly quote: '"' | "'" }
  | { readonly kind: 'delete-attribute'; readonly n: number; readonly m: number; readonly choices: boolean[] };

const bodySpec = elementSpec(2, 3);
const editSpec: fc.Arbitrary<EditSpec> = fc.oneof(
  fc.record({ kind: fc.constant('replace' as const), n: fc.nat(), choices: choicesArb, named: fc.boolean(), body: bodySpec, wrap: bodyWrapping }),
  fc.record({
    kind: fc.constant('insert' as const),
    n: fc.nat(),
    choices: choicesArb,
    style: fc.constantFrom('name' as const, 'name-pos' as const, 'star-pos' as const, 'star' as const),
    k: fc.nat(),
    body: bodySpec,
    wrap: bodyWrapping,
  }),
  fc.record({ kind: fc.constant('delete' as const), n: fc.nat(), choices: choicesArb }),
  fc.record({
    kind: fc.constant('put-attribute' as const),
    n: fc.nat(),
    choices: choicesArb,
    ns: fc.constantFrom(null, null, 0, 1),
    local: fc.constantFrom('id', 'k', 'm', 'new'),
    raw: attrRaw,
    quote: fc.constantFrom('"' as const, "'" as const),
  }),
  fc.record({ kind: fc.constant('delete-attribute' as const), n: fc.nat(), m: fc.nat(), choices: choicesArb }),
);

/** One operation to run on a tree: how to compute it, and what its changed element must be. */
interface Operation {
  readonly label: string;
  readonly run: (document: XmlDocument) => EditResult;
  /** Checks `result.changedElement` (in the adopted tree), given the tree the edit was computed on. */
  readonly checkChanged: (result: EditResult, adopted: XmlDocument) => void;
}

function qnameForSelector(namespace: string | null, localName: string): string | null {
  return namespace === null ? localName : selectorName(namespace, localName, false);
}

/** The operations `spec` stands for on `document`, in order (a DELETE may first tag its element); empty when it does not apply. */
function plan(document: XmlDocument, spec: EditSpec, uid: string): Operation[] {
  const elements = allElements(document);
  const e = pick(elements, spec.n);
  const steps = pathTo(document, e, spec.choices);
  const pathOfE = indexPath(document, e);
  const samePath = (expected: number[]) => (r: EditResult, adopted: XmlDocument) => assert.deepEqual(indexPath(adopted, r.changedElement), expected);
  switch (spec.kind) {
    case 'replace': {
      const name = spec.named ? selectorName(e.namespace, e.localName, spec.choices[0] ?? true) : null;
      const siblings = e.parent === null ? [e] : childElements(e.parent);
      const last =
        name === null ? `*[${siblings.indexOf(e) + 1}]` : `${name}[${siblings.filter((s) => sameExpandedName(s, e)).indexOf(e) + 1}]`;
      const body: ElementSpec =
        name === null ? spec.body : { ...spec.body, ns: e.namespace === null ? null : e.namespace === CONTEXT.defaultNamespace ? 0 : 1, local: e.localName };
      const text = writeElement(body, e.parent === null ? new Map() : inScopeNamespaces(e.parent));
      const sel = selector([...steps.slice(0, -1), last].join('/'));
      return [
        {
          label: `replace ${sel.text}`,
          run: (d) => putElement(d, sel, spec.wrap[0] + text + spec.wrap[1]),
          checkChanged: (r, adopted) => {
            assert.deepEqual(indexPath(adopted, r.changedElement), pathOfE);
            assert.equal(r.source.slice(r.changedElement.start, r.changedElement.end), text);
          },
        },
      ];
    }
    case 'insert': {
      const attrs = [...spec.body.attrs, { ns: null, local: 'uid', raw: uid, ws: ' ', quote: '"' as const }];
      const body: ElementSpec = { ...spec.body, attrs };
      const text = writeElement(body, inScopeNamespaces(e));
      const ns = body.ns === null ? null : NAMESPACES[body.ns]!;
      const name = selectorName(ns, body.local, spec.choices[0] ?? true);
      const style = name === null && (spec.style === 'name' || spec.style === 'name-pos') ? 'star-pos' : spec.style;
      const kids = childElements(e);
      const count = style === 'name-pos' ? kids.filter((c) => c.namespace === ns && c.localName === body.local).length : kids.length;
      const position = 1 + (spec.k % (count + 1));
      const test = `[@uid="${uid}"]`;
      const last =
        style === 'name' ? `${name}${test}` : style === 'name-pos' ? `${name}[${position}]${test}` : style === 'star-pos' ? `*[${position}]${test}` : `*${test}`;
      const sel = selector([...steps, last].join('/'));
      return [
        {
          label: `insert ${sel.text}`,
          run: (d) => putElement(d, sel, spec.wrap[0] + text + spec.wrap[1]),
          checkChanged: (r, adopted) => {
            assert.equal(r.source.slice(r.changedElement.start, r.changedElement.end), text);
            assert.deepEqual(indexPath(adopted, r.changedElement.parent!), pathOfE);
          },
        },
      ];
    }
    case 'delete': {
      if (e.parent === null) return [];
      const parentPath = pathOfE.slice(0, -1);
      const siblings = childElements(e.parent);
      const named = siblings.filter((s) => sameExpandedName(s, e));
      const name = selectorName(e.namespace, e.localName, spec.choices[0] ?? true);
      const deleteBy = (last: string): Operation => {
        const sel = selector([...steps.slice(0, -1), last].join('/'));
        return { label: `delete ${sel.text}`, run: (d) => deleteNode(d, sel), checkChanged: samePath(parentPath) };
      };
      if (name !== null && named[named.length - 1] === e) return [deleteBy(`${name}[${named.length}]`)];
      if (siblings[siblings.length - 1] === e) return [deleteBy(`*[${siblings.length}]`)];
      // In the middle: tag the element, then delete it by its tag (an attribute PUT and a DELETE in a row).
      const tag = selector(`${steps.join('/')}/@uid`);
      return [
        { label: `tag ${tag.text}`, run: (d) => putAttribute(d, tag, `"${uid}"`), checkChanged: samePath(pathOfE) },
        deleteBy(`*[@uid="${uid}"]`),
      ];
    }
    case 'put-attribute': {
      const ns = spec.ns === null ? null : NAMESPACES[spec.ns]!;
      const sel = selector(`${steps.join('/')}/@${qnameForSelector(ns, spec.local)}`);
      return [{ label: `put ${sel.text}`, run: (d) => putAttribute(d, sel, `${spec.quote}${spec.raw}${spec.quote}`), checkChanged: samePath(pathOfE) }];
    }
    case 'delete-attribute': {
      if (e.attributes.length === 0) return [];
      const a = pick(e.attributes, spec.m);
      const qname = qnameForSelector(a.namespace, a.localName);
      if (qname === null) return [];
      const sel = selector(`${steps.join('/')}/@${qname}`);
      return [{ label: `delete ${sel.text}`, run: (d) => deleteNode(d, sel), checkChanged: samePath(pathOfE) }];
    }
  }
}

interface Tally {
  adopted: number;
  refused: number;
  broken: number;
}

/**
 * Runs `operation` on the adopted tree `current` and checks the adopted result;
 * returns the tree to go on with. Also runs it on a fresh parse of the same source,
 * which must give the same edit, and whose lazily parsed `changedElement` must be
 * the same element.
 */
function step(current: XmlDocument, operation: Operation, tally: Tally): XmlDocument {
  let result: EditResult;
  try {
    result = operation.run(current);
  } catch (e) {
    if (!(e instanceof XcapError)) throw e;
    tally.refused++;
    return current;
  }
  const fresh = operation.run(parseXmlDocument(current.source));
  assert.equal(fresh.source, result.source, 'the same edit on the adopted tree and on a fresh parse');
  assert.equal(fresh.created, result.created);
  let expected: XmlDocument;
  try {
    expected = parseXmlDocument(result.source);
  } catch {
    // The edit broke the document (text joining into `]]>`): adoptEdit says so, and leaves the tree alone.
    tally.broken++;
    assert.throws(() => adoptEdit(current, result), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-well-formed');
    assertSameTree(current, parseXmlDocument(current.source));
    return current;
  }
  const oldRoot = current.root;
  const adopted = adoptEdit(current, result);
  tally.adopted++;
  assertSameTree(adopted, expected);
  assert.equal(result.document, adopted, 'result.document is the adopted tree');
  const replacedRoot = operation.label.startsWith('replace') && result.changedElement.parent === null;
  if (!replacedRoot) assert.equal(adopted.root, oldRoot, 'the tree was patched, not parsed again');
  operation.checkChanged(result, adopted);
  assert.deepEqual(indexPath(fresh.document, fresh.changedElement), indexPath(adopted, result.changedElement));
  assert.equal(adoptEdit(current, result), adopted, 'adopting the same result again gives the same tree');
  return adopted;
}

const documentArb = documentText.filter((s) => {
  try {
    parseXmlDocument(s);
    return true;
  } catch {
    return false;
  }
});

describe('adoptEdit on generated documents', () => {
  test('a sequence of edits on one adopted tree gives, after each edit, exactly the tree a parse gives', () => {
    const tally: Tally = { adopted: 0, refused: 0, broken: 0 };
    fc.assert(
      fc.property(documentArb, fc.array(editSpec, { minLength: 1, maxLength: 6 }), (text, edits) => {
        let current = parseXmlDocument(text);
        edits.forEach((spec, i) => {
          for (const operation of plan(current, spec, `u${i}`)) current = step(current, operation, tally);
        });
      }),
      { numRuns: 400 },
    );
    // The generators must mostly produce edits that apply, or the property says little.
    assert.ok(tally.adopted > 800, `only ${tally.adopted} edits adopted (${tally.refused} refused)`);
  });

  for (const kind of ['replace', 'insert', 'delete', 'put-attribute', 'delete-attribute'] as const) {
    test(`${kind}: one edit of that kind`, () => {
      const tally: Tally = { adopted: 0, refused: 0, broken: 0 };
      fc.assert(
        fc.property(
          documentArb,
          editSpec.filter((s) => s.kind === kind),
          (text, spec) => {
            let current = parseXmlDocument(text);
            for (const operation of plan(current, spec, 'u0')) current = step(current, operation, tally);
          },
        ),
        { numRuns: 300 },
      );
      assert.ok(tally.adopted > 100, `only ${tally.adopted} edits adopted (${tally.refused} refused)`);
    });
  }
});


/** Text that can join into something else than the two values put together: CR LF, `]]>`. */
const boundaryText = fc
  .array(fc.constantFrom('\r', '\n', ']', ']]', ']]', '>', '>', ']>', 'x', ' ', '&#13;', '\r\n'), { maxLength: 3 })
  .map((a) => a.join(''));

describe('adoptEdit where a deleted element leaves two runs of text side by side', () => {
  test('the two text nodes become one, with the value a parse gives (CR LF, references), or the edit is refused as not well-formed', () => {
    const tally: Tally = { adopted: 0, refused: 0, broken: 0 };
    fc.assert(
      fc.property(
        fc.array(boundaryText, { minLength: 2, maxLength: 6 }),
        fc.nat(),
        fc.boolean(),
        (texts, n, wrapped) => {
          // <r> t0 <e i="0"/> t1 <e i="1"/> ... </r>, possibly one level down.
          let inner = texts[0]!;
          for (let i = 1; i < texts.length; i++) inner += `<e i="${i - 1}"/>${texts[i]}`;
          const source = wrapped ? `<r><!--x--><w>${inner}</w>\r</r>` : `<r>${inner}</r>`;
          let current: XmlDocument;
          try {
            current = parseXmlDocument(source);
          } catch {
            return;
          }
          const sel = selector(`${wrapped ? '*/*[1]' : '*'}/*[@i="${n % (texts.length - 1)}"]`);
          const operation: Operation = { label: `delete ${sel.text}`, run: (d) => deleteNode(d, sel), checkChanged: () => undefined };
          step(current, operation, tally);
        },
      ),
      { numRuns: 1000 },
    );
    assert.ok(tally.adopted > 300 && tally.broken >= 5, JSON.stringify(tally));
  });

  test('examples', () => {
    const cases: [string, string][] = [
      ['<r>a\r<x/>\nb</r>', 'a\nb'],
      ['<r>a&#13;<x/>\nb</r>', 'a\r\nb'],
      ['<r>a]<x/>]b</r>', 'a]]b'],
      ['<r> <x/> </r>', '  '],
    ];
    for (const [source, value] of cases) {
      const before = parseXmlDocument(source);
      const r = deleteNode(before, selector('*/*'));
      const after = adoptEdit(before, r);
      assertSameTree(after, parseXmlDocument(r.source));
      assert.deepEqual(after.root.children.map((c) => (c.kind === 'text' ? c.value : c.kind)), [value], source);
    }
    const before = parseXmlDocument('<r>a]]<x/>>b</r>');
    const r = deleteNode(before, selector('*/*'));
    assert.throws(() => adoptEdit(before, r), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-well-formed');
    assertSameTree(before, parseXmlDocument('<r>a]]<x/>>b</r>'));
  });
});

describe('adoptEdit: the cases that are not a plain splice', () => {
  const NS = 'xmlns="urn:x:one"';

  test('replacing the root element', () => {
    const before = parseXmlDocument(`<?xml version="1.0"?>\n<!--c--><a ${NS}><b/></a>\n<!--tail-->`);
    const r = putElement(before, selector('a'), ` <a ${NS} k="v"><c>😀</c></a> `);
    const after = adoptEdit(before, r);
    assertSameTree(after, parseXmlDocument(r.source));
    assert.equal(r.changedElement, after.root);
  });

  test('inserting into an empty-element tag, the root or further down', () => {
    for (const [source, sel] of [
      [`<a ${NS} k="1"  />`, 'a/b'],
      [`<a ${NS}><x/><b xmlns:p="urn:x:two"\n/><x/></a>`, 'a/b/p'],
      [`<a ${NS}><x/><b></b><x/></a>`, 'a/b/p'],
    ] as const) {
      const before = parseXmlDocument(source);
      const name = sel.split('/').pop()!;
      const r = putElement(before, selector(sel), `<${name}>t</${name}>`);
      assert.equal(r.created, true);
      const after = adoptEdit(before, r);
      assertSameTree(after, parseXmlDocument(r.source));
      assert.equal(r.source.slice(r.changedElement.start, r.changedElement.end), `<${name}>t</${name}>`);
      assert.equal(after.root, before.root, 'patched');
    }
  });

  test('an attribute that needs a namespace declaration of its own', () => {
    const before = parseXmlDocument(`<a ${NS}><b x="1"><c/></b><b/></a>`);
    const r = putAttribute(before, selector('a/b[1]/@n1:m'), '"v"');
    assert.match(r.source, /<b x="1" xmlns:n1="urn:x:two" n1:m="v">/);
    const after = adoptEdit(before, r);
    assertSameTree(after, parseXmlDocument(r.source));
    assert.equal(after.root, before.root, 'patched');
  });

  test('an xmlns attribute PUT, which would change what the names below mean, is refused and leaves the tree alone', () => {
    for (const [source, sel] of [
      ['<a xmlns:q="urn:x:one"><q:b><c/></q:b></a>', '*/*/@xmlns'],
      [`<a ${NS}><b><c/></b></a>`, 'a/b/@xmlns'],
    ] as const) {
      const before = parseXmlDocument(source);
      assert.throws(() => putAttribute(before, selector(sel), '"urn:x:two"'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
      assertSameTree(before, parseXmlDocument(source));
    }
  });

  test('more nesting than the limits allow: adoptEdit fails as result.document does, the tree is left alone', () => {
    const source = `<a ${NS}><b><c/></b></a>`;
    const before = parseXmlDocument(source);
    const r = putElement(before, selector('a/b/c'), '<c><d><e/></d></c>', { maxDepth: 4 });
    assert.throws(() => adoptEdit(before, r), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-well-formed');
    assertSameTree(before, parseXmlDocument(source));
    const longer = putElement(before, selector('a/b/c'), '<c>12345</c>', { maxLength: source.length + 2 });
    assert.throws(() => adoptEdit(before, longer), (e: unknown) => e instanceof XcapConflictError);
    assertSameTree(before, parseXmlDocument(source));
    const many = putAttribute(before, selector('a/b/@z'), '"1"', { maxAttributes: 0 });
    assert.throws(() => adoptEdit(before, many), (e: unknown) => e instanceof XcapConflictError);
    assertSameTree(before, parseXmlDocument(source));
  });

  test('a result computed on another tree, or on a tree already adopted, is parsed instead', () => {
    const source = `<a ${NS}><b/><b/></a>`;
    const one = parseXmlDocument(source);
    const other = parseXmlDocument(source);
    const r = putElement(one, selector('a/b[2]'), '<b k="2"/>');
    const after = adoptEdit(other, r);
    assertSameTree(after, parseXmlDocument(r.source));
    assertSameTree(other, parseXmlDocument(source));
    assertSameTree(one, parseXmlDocument(source));

    const base = parseXmlDocument(source);
    const first = putElement(base, selector('a/b[1]'), '<b k="1"/>');
    const second = putElement(base, selector('a/b[2]'), '<b k="two"/>');
    assertSameTree(adoptEdit(base, first), parseXmlDocument(first.source));
    assertSameTree(adoptEdit(base, second), parseXmlDocument(second.source));
  });

  test('the operations refuse a consumed document', () => {
    const before = parseXmlDocument(`<a ${NS}><b/></a>`);
    const r = putElement(before, selector('a/b'), '<b k="1"/>');
    const after = adoptEdit(before, r);
    for (const use of [
      () => getNode(before, selector('a/b')),
      () => putElement(before, selector('a/b'), '<b/>'),
      () => putAttribute(before, selector('a/b/@k'), '"2"'),
      () => deleteNode(before, selector('a/b')),
    ]) {
      assert.throws(use, /consumed by adoptEdit/);
    }
    assert.equal(getNode(after, selector('a/b/@k')).body, '"1"');
  });

  test('result.document parsed before adoptEdit: that tree is returned, the old one is not touched', () => {
    const source = `<a ${NS}><b/></a>`;
    const before = parseXmlDocument(source);
    const r = putElement(before, selector('a/b'), '<b k="1"/>');
    const parsed = r.document;
    assert.equal(adoptEdit(before, r), parsed);
    assertSameTree(before, parseXmlDocument(source));
    assert.equal(r.changedElement, parsed.root.children[0]);
  });

  test('a parent with 10,000 children: edits at the start, middle and end, one after another', () => {
    let source = `<a ${NS}>\n`;
    for (let i = 0; i < 10_000; i++) source += `  <b uri="u${i}"><n>N ${i}</n></b>\n`;
    source += '</a>\n';
    let current = parseXmlDocument(source);
    const edits: ((d: XmlDocument) => EditResult)[] = [
      (d) => putElement(d, selector('a/b[@uri="u5000"]'), '<b uri="u5000"><n>renamed</n></b>'),
      (d) => deleteNode(d, selector('a/b[@uri="u0"]')),
      (d) => putElement(d, selector('a/b[@uri="new"]'), '<b uri="new"/>'),
      (d) => putAttribute(d, selector('a/b[@uri="u9999"]/@k'), '"v"'),
      (d) => deleteNode(d, selector('a/b[@uri="u7000"]')),
      (d) => putElement(d, selector('a/b[1][@uri="first"]'), '<b uri="first"/>'),
    ];
    for (const edit of edits) {
      const r = edit(current);
      const adopted = adoptEdit(current, r);
      assertSameTree(adopted, parseXmlDocument(r.source));
      current = adopted;
    }
  });
});
