/**
 * xcap-diff documents (RFC 5874): every document made here is validated against the
 * RFC's schema (src/schemas/xcap-diff.xsd) and read back with the XML parser.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import {
  buildXcapDiff,
  componentItem,
  componentSel,
  documentItem,
  documentSel,
  renderDiffItem,
  renderXcapDiff,
  XCAP_DIFF_NAMESPACE,
} from '../../src/xcap/diff.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';
import type { XmlElement } from '../../src/xcap/xml/tree.js';
import { applyXcapDiff, canonicalOf } from '../helpers/xml-patch.js';

const validator = SchemaValidator.load('xcap-diff.xsd');
const ROOT = 'https://xcap.example.com/xcap-root';
const RL = 'urn:ietf:params:xml:ns:resource-lists';
const ALICE_RL = { auid: 'resource-lists', tree: 'users' as const, xui: 'sip:alice@example.com', path: 'index' };

const V1 = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>
  </list>
</resource-lists>
`;
const V2 = V1.replace('</entry>\n', '</entry><entry uri="sip:carol@example.com"/>\n');

function valid(diff: string): XmlElement {
  assert.deepEqual(validator.validate(diff), [], diff);
  const root = parseXmlDocument(diff).root;
  assert.equal(root.namespace, XCAP_DIFF_NAMESPACE);
  assert.equal(root.localName, 'xcap-diff');
  assert.equal(root.attributes.find((a) => a.localName === 'xcap-root')?.value, ROOT);
  return root;
}

function children(e: XmlElement): XmlElement[] {
  return e.children.filter((c): c is XmlElement => c.kind === 'element');
}

function attr(e: XmlElement, name: string): string | undefined {
  return e.attributes.find((a) => a.localName === name && a.namespace === null)?.value;
}

describe('sel values', () => {
  test('documents: relative to the XCAP root, path segments percent-encoded', () => {
    assert.equal(documentSel(ALICE_RL), 'resource-lists/users/sip:alice@example.com/index');
    assert.equal(documentSel({ auid: 'rls-services', tree: 'global', xui: null, path: 'index' }), 'rls-services/global/index');
    assert.equal(documentSel({ ...ALICE_RL, path: 'my buddies/list#1' }), 'resource-lists/users/sip:alice@example.com/my%20buddies/list%231');
  });

  test('components: ~~, the node selector with [ ] " encoded, the xmlns() query', () => {
    assert.equal(
      componentSel(ALICE_RL, 'resource-lists/list[@name="friends"]'),
      'resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D',
    );
    assert.equal(
      componentSel({ ...ALICE_RL, auid: 'pres-rules' }, 'cr:ruleset/cr:rule[1]/@id', new Map([['cr', 'urn:ietf:params:xml:ns:common-policy']])),
      'pres-rules/users/sip:alice@example.com/index/~~/cr:ruleset/cr:rule%5B1%5D/@id?xmlns(cr=urn:ietf:params:xml:ns:common-policy)',
    );
  });
});

describe('document reports', () => {
  test('created: new-etag only; removed: previous-etag only; changed: both with the patch', () => {
    const sel = documentSel(ALICE_RL);
    const created = documentItem(sel, null, { content: V1, etag: 'e1' }, { patch: true });
    const changed = documentItem(sel, { content: V1, etag: 'e1' }, { content: V2, etag: 'e2' }, { patch: true });
    const removed = documentItem(sel, { content: V2, etag: 'e2' }, null, { patch: true });
    const diff = buildXcapDiff(ROOT, [created, changed, removed]);
    const [c, m, r] = children(valid(diff));
    assert.equal(attr(c!, 'new-etag'), 'e1');
    assert.equal(attr(c!, 'previous-etag'), undefined);
    assert.equal(children(c!).length, 0);
    assert.equal(attr(m!, 'previous-etag'), 'e1');
    assert.equal(attr(m!, 'new-etag'), 'e2');
    assert.deepEqual(children(m!).map((e) => e.localName), ['add']);
    assert.equal(attr(r!, 'previous-etag'), 'e2');
    assert.equal(attr(r!, 'new-etag'), undefined);
    assert.equal(applyXcapDiff(V1, diff), canonicalOf(V2));
  });

  test('without patching: both etags and no content, so the client fetches', () => {
    const item = documentItem(documentSel(ALICE_RL), { content: V1, etag: 'e1' }, { content: V2, etag: 'e2' }, { patch: false });
    const [m] = children(valid(buildXcapDiff(ROOT, [item])));
    assert.equal(children(m!).length, 0);
    assert.equal(attr(m!, 'new-etag'), 'e2');
  });

  test('the fragment prefix avoids the prefixes the document uses', () => {
    const a = `<d:resource-lists xmlns:d="${RL}"><d:list name="x"/></d:resource-lists>`;
    const b = `<d:resource-lists xmlns:d="${RL}"><d:list name="y"/></d:resource-lists>`;
    const item = documentItem(documentSel(ALICE_RL), { content: a, etag: '1' }, { content: b, etag: '2' }, { patch: true });
    const fragment = renderDiffItem(item);
    assert.match(fragment, /^<xd:document xmlns:xd="urn:ietf:params:xml:ns:xcap-diff"/);
    assert.match(fragment, /<xd:replace sel="\/d:resource-lists\/d:list\/@name" xmlns:d="urn:ietf:params:xml:ns:resource-lists">y<\/xd:replace>/);
    const diff = renderXcapDiff(ROOT, [fragment]);
    valid(diff);
    assert.equal(applyXcapDiff(a, diff), canonicalOf(b));
  });

  test('an empty diff is valid', () => {
    valid(renderXcapDiff(ROOT, []));
  });
});

describe('component reports', () => {
  const context = { defaultNamespace: RL };

  test('an element: its text as in the source, with the namespaces in scope declared around it', () => {
    const selector = 'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]';
    const item = componentItem(componentSel(ALICE_RL, selector), V1, selector, context);
    assert.ok(item && item.kind === 'element' && item.exists);
    const fragment = renderDiffItem(item);
    assert.equal(
      fragment,
      `<d:element xmlns:d="${XCAP_DIFF_NAMESPACE}" sel="resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22sip:bob@example.com%22%5D" xmlns="${RL}"><entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry></d:element>`,
    );
    const [e] = children(valid(renderXcapDiff(ROOT, [fragment])));
    const [entry] = children(e!);
    assert.equal(entry!.namespace, RL);
    assert.equal(attr(entry!, 'uri'), 'sip:bob@example.com');
  });

  test('an element that is gone, or whose document is gone: exists="0"', () => {
    const selector = 'resource-lists/list/entry[@uri="sip:zed@example.com"]';
    const gone = componentItem('s1', V1, selector, context);
    const noDocument = componentItem('s2', null, 'resource-lists/list', context);
    const diff = buildXcapDiff(ROOT, [gone!, noDocument!]);
    const [a, b] = children(valid(diff));
    assert.equal(attr(a!, 'exists'), '0');
    assert.equal(attr(b!, 'exists'), '0');
    assert.equal(children(a!).length, 0);
  });

  test('an attribute: its plain value; exists="0" once removed', () => {
    const selector = 'resource-lists/list/@name';
    const present = componentItem('a1', V1, selector, context);
    assert.deepEqual(present, { kind: 'attribute', sel: 'a1', exists: true, value: 'friends' });
    const absent = componentItem('a2', V1, 'resource-lists/list/@display-name', context);
    const diff = buildXcapDiff(ROOT, [present!, absent!]);
    const [p, q] = children(valid(diff));
    assert.equal((p!.children[0] as { value: string }).value, 'friends');
    assert.equal(attr(q!, 'exists'), '0');
  });

  test('a too large element is reported without content; namespace selectors are not reported', () => {
    const item = componentItem('big', V1, 'resource-lists/list', { ...context, maxContentLength: 10 });
    assert.ok(item && item.kind === 'element' && item.exists && item.content === null);
    const [e] = children(valid(buildXcapDiff(ROOT, [item])));
    assert.equal(e!.children.length, 0);
    assert.equal(attr(e!, 'exists'), undefined);
    assert.equal(componentItem('ns', V1, 'resource-lists/namespace::*', context), null);
    assert.equal(componentItem('bad', V1, 'resource-lists/[', context), null);
  });
});
