/**
 * RFC 5261 patches between two versions of a document: each one is put into an
 * xcap-diff document, validated against the RFC 5874 schema and applied by an
 * independent applier (test/helpers/xml-patch.ts); the result must equal the new
 * version. Edits come from the XCAP operations themselves and from generated
 * whole-document rewrites.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import { buildXcapDiff, documentItem } from '../../src/xcap/diff.js';
import { deleteNode, putAttribute, putElement } from '../../src/xcap/operations.js';
import { computePatch } from '../../src/xcap/patch.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';
import { applyXcapDiff, canonicalOf } from '../helpers/xml-patch.js';

const validator = SchemaValidator.load('xcap-diff.xsd');
const RL = 'urn:ietf:params:xml:ns:resource-lists';
const CR = 'urn:ietf:params:xml:ns:common-policy';

const BUDDIES = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>
    <entry uri="sip:carol@example.com"><display-name>Carol</display-name></entry>
  </list>
  <list name="work"/>
</resource-lists>
`;

const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="${CR}">
  <cr:rule id="a1">
    <cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions>
    <cr:actions><sub-handling>allow</sub-handling></cr:actions>
  </cr:rule>
</cr:ruleset>
`;

/** Patches `before` → `after`, checks schema validity and that applying it gives `after`; returns the diff text. */
function roundTrip(before: string, after: string): { diff: string; ops: number } {
  const item = documentItem('resource-lists/users/sip:alice@example.com/index', { content: before, etag: 'e1' }, { content: after, etag: 'e2' }, { patch: true });
  assert.equal(item.kind, 'document');
  const diff = buildXcapDiff('http://xcap.example.com/xcap-root', [item]);
  assert.deepEqual(validator.validate(diff), [], diff);
  if (item.kind === 'document') assert.notEqual(item.patch, null, 'a patch was expected');
  assert.equal(applyXcapDiff(before, diff), canonicalOf(after), diff);
  return { diff, ops: item.kind === 'document' ? (item.patch?.length ?? 0) : 0 };
}

function edit(source: string, selector: string, op: 'put-element' | 'put-attribute' | 'delete', body = '', bindings = new Map<string, string>(), ns = RL): string {
  const document = parseXmlDocument(source);
  const parsed = parseNodeSelector(selector, { defaultNamespace: ns, bindings });
  if (op === 'put-element') return putElement(document, parsed, body).source;
  if (op === 'put-attribute') return putAttribute(document, parsed, body).source;
  return deleteNode(document, parsed).source;
}

describe('patches for XCAP operations', () => {
  test('an element appended after its last sibling is one <add pos="after">', () => {
    const after = edit(BUDDIES, 'resource-lists/list[@name="friends"]/entry[@uri="sip:dave@example.com"]', 'put-element', '<entry uri="sip:dave@example.com"/>');
    const { diff, ops } = roundTrip(BUDDIES, after);
    assert.equal(ops, 1);
    assert.match(diff, /<d:add sel="\/resource-lists\/list\[1\]\/entry\[2\]" pos="after" xmlns="urn:ietf:params:xml:ns:resource-lists"><entry uri="sip:dave@example.com"\/><\/d:add>/);
  });

  test('an element put into an empty element', () => {
    const after = edit(BUDDIES, 'resource-lists/list[@name="work"]/entry', 'put-element', '<entry uri="sip:erin@example.com"/>');
    const { ops } = roundTrip(BUDDIES, after);
    assert.equal(ops, 1);
  });

  test('a replaced element is a <replace> of that element only', () => {
    const after = edit(BUDDIES, 'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]', 'put-element', '<entry uri="sip:bob@example.com"><display-name>Robert</display-name></entry>');
    const { diff } = roundTrip(BUDDIES, after);
    assert.match(diff, /<d:replace sel="\/resource-lists\/list\[1\]\/entry\[1\]\/display-name\/text\(\)\[1\]"[^>]*>Robert<\/d:replace>/);
  });

  test('a deleted element is one <remove>, the whitespace around it joining up', () => {
    const after = edit(BUDDIES, 'resource-lists/list[@name="friends"]/entry[@uri="sip:carol@example.com"]', 'delete');
    const { diff, ops } = roundTrip(BUDDIES, after);
    assert.equal(ops, 1);
    assert.match(diff, /<d:remove sel="\/resource-lists\/list\[1\]\/entry\[2\]"/);
  });

  test('attribute added, changed and removed', () => {
    const added = edit(BUDDIES, 'resource-lists/list[@name="work"]/@display', 'put-attribute', '"Work mates"');
    assert.match(roundTrip(BUDDIES, added).diff, /<d:add sel="\/resource-lists\/list\[2\]" type="@display"[^>]*>Work mates<\/d:add>/);
    const changed = edit(added, 'resource-lists/list[@name="work"]/@display', 'put-attribute', '"Colleagues &amp; co"');
    assert.match(roundTrip(added, changed).diff, /<d:replace sel="\/resource-lists\/list\[2\]\/@display"[^>]*>Colleagues &amp; co<\/d:replace>/);
    const removed = edit(changed, 'resource-lists/list[@name="work"]/@display', 'delete');
    assert.match(roundTrip(changed, removed).diff, /<d:remove sel="\/resource-lists\/list\[2\]\/@display"/);
  });

  test('prefixed pres-rules: selectors use the document prefixes, declared on each operation', () => {
    const bindings = new Map([['cr', CR]]);
    const after = edit(RULES, 'cr:ruleset/cr:rule[@id="a1"]/cr:actions/sub-handling', 'put-element', '<sub-handling>block</sub-handling>', bindings, 'urn:ietf:params:xml:ns:pres-rules');
    const { diff } = roundTrip(RULES, after);
    assert.match(diff, /sel="\/cr:ruleset\/cr:rule\/cr:actions\/sub-handling\/text\(\)\[1\]"/);
    assert.match(diff, /xmlns:cr="urn:ietf:params:xml:ns:common-policy"/);
  });

  test('a new rule element inserted before the first one', () => {
    const bindings = new Map([['cr', CR]]);
    const after = edit(RULES, 'cr:ruleset/cr:rule[1]', 'put-element', '<cr:rule id="z0"><cr:conditions/><cr:actions/></cr:rule>', bindings, 'urn:ietf:params:xml:ns:pres-rules');
    // The selector names the existing first rule, so the element replaces it.
    roundTrip(RULES, after);
  });
});

describe('patches for whole-document changes', () => {
  test('identical documents: no operations (body-not-changed)', () => {
    const a = parseXmlDocument(BUDDIES);
    assert.deepEqual(computePatch(a, parseXmlDocument(BUDDIES.replace('<?xml version="1.0" encoding="UTF-8"?>', ''))), []);
    const item = documentItem('x/users/sip:a@b/index', { content: BUDDIES, etag: '1' }, { content: BUDDIES, etag: '2' }, { patch: true });
    const diff = buildXcapDiff('http://x/', [item]);
    assert.match(diff, /<d:body-not-changed\/>/);
    assert.deepEqual(validator.validate(diff), []);
  });

  test('several separate changes in one rewrite', () => {
    const after = BUDDIES.replace('Bob<', 'Bobby<').replace('sip:carol@example.com', 'sip:caroline@example.com').replace('<list name="work"/>', '<list name="work"><entry uri="sip:x@example.com"/></list>');
    roundTrip(BUDDIES, after);
  });

  test('a renamed root is replaced whole', () => {
    const after = `<rl:resource-lists xmlns:rl="${RL}"><rl:list/></rl:resource-lists>`;
    roundTrip(BUDDIES, after);
    const other = '<other xmlns="urn:x"><a/></other>';
    const { diff } = roundTrip(BUDDIES, other);
    assert.match(diff, /<d:replace sel="\/\*">/);
  });

  test('comments and processing instructions inside the root', () => {
    const withComment = BUDDIES.replace('<list name="work"/>', '<!-- later --><list name="work"/><?app x?>');
    roundTrip(BUDDIES, withComment);
    roundTrip(withComment, withComment.replace('later', 'sooner'));
    roundTrip(withComment, BUDDIES);
  });

  test('a change outside the root element has no patch', () => {
    const a = parseXmlDocument(BUDDIES);
    const b = parseXmlDocument(`<!-- note -->\n${BUDDIES.replace(/^<\?xml[^>]*>\n/, '')}`);
    assert.equal(computePatch(a, b), null);
  });

  test('an element whose namespace has no binding is named with *', () => {
    const before = `<r xmlns="urn:a"><x xmlns=""><y/><y/></x></r>`;
    const after = `<r xmlns="urn:a"><x xmlns=""><y/><y k="v"/></x></r>`;
    const { diff } = roundTrip(before, after);
    assert.match(diff, /sel="\/\*\/x\/y\[2\]" type="@k"/);
  });

  test('a patch longer than the limit is not given', () => {
    const big = `<r xmlns="urn:a">${'<e/>'.repeat(50)}</r>`;
    const other = `<r xmlns="urn:a">${'<f/>'.repeat(50)}</r>`;
    assert.equal(computePatch(parseXmlDocument(big), parseXmlDocument(other), { maxLength: 100 }), null);
    assert.notEqual(computePatch(parseXmlDocument(big), parseXmlDocument(other)), null);
  });
});

// ---------------------------------------------------------------------------
// Generated documents and rewrites

interface Node {
  readonly tag: 'a' | 'b' | 'p:c';
  readonly attrs: readonly (readonly [string, string])[];
  readonly children: readonly (Node | string)[];
}

const textArb = fc.constantFrom('', ' ', '\n  ', 'x', 'y z', '&amp;', '<![CDATA[q<]]>', '<!--c-->');
const attrArb = fc.uniqueArray(fc.tuple(fc.constantFrom('k', 'm', 'p:n'), fc.constantFrom('1', '2', 'v w')), {
  maxLength: 2,
  selector: (t) => t[0],
});
const nodeArb: fc.Arbitrary<Node> = fc.letrec<{ node: Node }>((tie) => ({
  node: fc.record({
    tag: fc.constantFrom('a' as const, 'b' as const, 'p:c' as const),
    attrs: attrArb,
    children: fc.array(fc.oneof({ maxDepth: 3, depthIdentifier: 'tree' }, textArb, tie('node')), { maxLength: 4 }),
  }),
})).node;

function write(node: Node): string {
  const attrs = node.attrs.map(([k, v]) => ` ${k}="${v}"`).join('');
  const inner = node.children.map((c) => (typeof c === 'string' ? c : write(c))).join('');
  return inner === '' ? `<${node.tag}${attrs}/>` : `<${node.tag}${attrs}>${inner}</${node.tag}>`;
}

function documentOf(children: readonly (Node | string)[]): string {
  return `<root xmlns="urn:t" xmlns:p="urn:p">${children.map((c) => (typeof c === 'string' ? c : write(c))).join('')}</root>`;
}

/** A second version: some children kept, some changed, some new, in some order. */
const pairArb = fc
  .array(fc.oneof(nodeArb, textArb), { maxLength: 6 })
  .chain((children) =>
    fc.tuple(
      fc.constant(children),
      fc.array(
        fc.oneof(
          fc.nat({ max: Math.max(0, children.length - 1) }).map((i) => children[i] ?? ''),
          nodeArb,
          textArb,
        ),
        { maxLength: 7 },
      ),
    ),
  );

describe('generated rewrites', () => {
  test('every patch validates and transforms the old version into the new one', () => {
    fc.assert(
      fc.property(pairArb, ([before, after]) => {
        const a = documentOf(before);
        const b = documentOf(after);
        roundTrip(a, b);
      }),
      { numRuns: 300 },
    );
  });

  test('small edits deep in a tree give small patches', () => {
    fc.assert(
      fc.property(fc.array(nodeArb, { minLength: 1, maxLength: 5 }), fc.nat(), (children, pick) => {
        const a = documentOf(children);
        const target = children[pick % children.length]!;
        const changed = { ...target, attrs: [...target.attrs.filter(([k]) => k !== 'z'), ['z', 'new'] as const] };
        const b = documentOf(children.map((c) => (c === target ? changed : c)));
        const { ops } = roundTrip(a, b);
        assert.ok(ops <= 1, `expected at most one operation, got ${ops}`);
      }),
      { numRuns: 200 },
    );
  });
});
