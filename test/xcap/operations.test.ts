import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XcapConflictError, NotFoundError, MethodNotAllowedError } from '../../src/xcap/errors.js';
import { deleteNode, getNode, putAttribute, putElement, decodeUtf8Body, parseDocumentBody } from '../../src/xcap/operations.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';

const NO_NS = { defaultNamespace: '', bindings: new Map<string, string>() };

// RFC 4825 §8.2.3: the document the insertion examples start from.
const ROOT_DOC = `<?xml version="1.0"?>
<root>
 <el1 att="first"/>
 <el1 att="second"/>
 <!-- comment -->
 <el2 att="first"/>
</root>`;

function sel(text: string, ctx = NO_NS) {
  return parseNodeSelector(text, { ...ctx, defaultNamespace: ctx.defaultNamespace });
}

/** The RFC's examples are in no namespace; an empty default namespace maps to null. */
function noNamespace(text: string) {
  const s = parseNodeSelector(text, { defaultNamespace: 'x', bindings: new Map() });
  return {
    ...s,
    steps: s.steps.map((st) => ({ ...st, name: st.name && { ...st.name, namespace: null } })),
  };
}

function put(doc: string, selector: string, body: string) {
  return putElement(parseXmlDocument(doc), noNamespace(selector), body).source;
}

describe('element insertion (RFC 4825 §8.2.3 examples)', () => {
  test('1: after the last same-named sibling, before the comment and whitespace', () => {
    const expected = ROOT_DOC.replace('<el1 att="second"/>', '<el1 att="second"/><el1 att="third"/>');
    for (const s of ['root/el1[@att="third"]', 'root/el1[3][@att="third"]', 'root/*[3][@att="third"]']) {
      assert.equal(put(ROOT_DOC, s, '<el1 att="third"/>'), expected, s);
    }
  });
  test('2: a new name goes at the very end of the parent', () => {
    assert.equal(put(ROOT_DOC, 'root/el3', '<el3 att="first"/>'), ROOT_DOC.replace('\n</root>', '\n<el3 att="first"/></root>'));
  });
  test('3: after the last el2', () => {
    const expected = ROOT_DOC.replace('<el2 att="first"/>', '<el2 att="first"/><el2 att="2"/>');
    assert.equal(put(ROOT_DOC, 'root/el2[@att="2"]', '<el2 att="2"/>'), expected);
    assert.equal(put(ROOT_DOC, 'root/el2[2][@att="2"]', '<el2 att="2"/>'), expected);
  });
  test('4: *[2] goes after the first child element', () => {
    const expected = ROOT_DOC.replace('<el1 att="first"/>', '<el1 att="first"/><el2 att="2"/>');
    assert.equal(put(ROOT_DOC, 'root/*[2][@att="2"]', '<el2 att="2"/>'), expected);
  });
  test('5: el2[1] goes just before the first el2', () => {
    const expected = ROOT_DOC.replace('<el2 att="first"/>', '<el2 att="2"/><el2 att="first"/>');
    assert.equal(put(ROOT_DOC, 'root/el2[1][@att="2"]', '<el2 att="2"/>'), expected);
  });
  test('a position past the end is cannot-insert', () => {
    assert.throws(() => put(ROOT_DOC, 'root/el1[4][@att="x"]', '<el1 att="x"/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
  });
  test('a body the selector would not select is cannot-insert', () => {
    assert.throws(() => put(ROOT_DOC, 'root/el1[@att="x"]', '<el1 att="y"/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
    assert.throws(() => put(ROOT_DOC, 'root/el3', '<el4/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
  });
  test('into an empty-element tag', () => {
    assert.equal(put('<root><a/></root>', 'root/a/b', '<b/>'), '<root><a><b/></a></root>');
    assert.equal(put('<root><a x="1" /></root>', 'root/a/b', '<b/>'), '<root><a x="1"><b/></a></root>');
  });
  test('replacement keeps everything else', () => {
    assert.equal(put(ROOT_DOC, 'root/el2', '<el2 att="new"> x </el2>'), ROOT_DOC.replace('<el2 att="first"/>', '<el2 att="new"> x </el2>'));
  });
  test('no parent', () => {
    assert.throws(() => put(ROOT_DOC, 'root/el9/x', '<x/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'no-parent' && e.ancestorSelector === 'root');
  });
  test('not a single element', () => {
    assert.throws(() => put(ROOT_DOC, 'root/el3', '<el3/><el3/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-xml-frag');
    assert.throws(() => put(ROOT_DOC, 'root/el3', '<el3>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-xml-frag');
  });
});

describe('get, attributes, delete', () => {
  const RL = 'urn:ietf:params:xml:ns:resource-lists';
  const ctx = { defaultNamespace: RL, bindings: new Map<string, string>() };
  const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}" xmlns:cp="counterpath:properties">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob Müller</display-name></entry>
    <entry uri="sip:carol@example.com"/>
  </list>
</resource-lists>`;
  const doc = parseXmlDocument(DOC);
  test('element get returns the element as written', () => {
    const r = getNode(doc, sel('resource-lists/list[@name="friends"]/entry[1]', ctx));
    assert.equal(r.body, '<entry uri="sip:bob@example.com"><display-name>Bob Müller</display-name></entry>');
    assert.equal(r.contentType, 'application/xcap-el+xml');
  });
  test('attribute get is an AttValue', () => {
    const r = getNode(doc, sel('resource-lists/list/entry[2]/@uri', ctx));
    assert.equal(r.body, '"sip:carol@example.com"');
  });
  test('namespace bindings', () => {
    const r = getNode(doc, sel('resource-lists/list/namespace::*', ctx));
    assert.equal(r.body, `<list xmlns="${RL}" xmlns:cp="counterpath:properties"/>`);
  });
  test('several matches select nothing', () => {
    assert.throws(() => getNode(doc, sel('resource-lists/list/entry', ctx)), NotFoundError);
  });
  test('attribute put replaces and creates', () => {
    const a = putAttribute(doc, sel('resource-lists/list/entry[2]/@uri', ctx), '"sip:dave@example.com"');
    assert.equal(a.created, false);
    assert.equal(a.source, DOC.replace('sip:carol@', 'sip:dave@'));
    const b = putAttribute(doc, sel('resource-lists/list/entry[2]/@foo', ctx), 'a&amp;b');
    assert.equal(b.created, true);
    assert.equal(b.source, DOC.replace('<entry uri="sip:carol@example.com"/>', '<entry uri="sip:carol@example.com" foo="a&amp;b"/>'));
    assert.throws(() => putAttribute(doc, sel('resource-lists/list/entry[@uri="sip:carol@example.com"]/@uri', ctx), 'sip:x@y'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert');
    assert.throws(() => putAttribute(doc, sel('resource-lists/list/entry[2]/@uri', ctx), 'a<b'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-xml-att-value');
  });
  test('delete element and the idempotency rule', () => {
    const r = deleteNode(doc, sel('resource-lists/list/entry[2]', ctx));
    assert.equal(r.source, DOC.replace('<entry uri="sip:carol@example.com"/>', ''));
    assert.throws(() => deleteNode(doc, sel('resource-lists/list/entry[1]', ctx)), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-delete');
    const byAttr = deleteNode(doc, sel('resource-lists/list/entry[@uri="sip:bob@example.com"]', ctx));
    assert.ok(!byAttr.source.includes('bob'));
  });
  test('delete attribute', () => {
    const r = deleteNode(doc, sel('resource-lists/list/@name', ctx));
    assert.equal(r.source, DOC.replace(' name="friends"', ''));
  });
  test('namespace selectors cannot be written', () => {
    assert.throws(() => deleteNode(doc, sel('resource-lists/list/namespace::*', ctx)), MethodNotAllowedError);
  });
  test('body checks', () => {
    assert.throws(() => decodeUtf8Body(Buffer.from([0x3c, 0x61, 0xff, 0x3e])), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-utf-8');
    assert.throws(() => parseDocumentBody('<?xml version="1.0" encoding="ISO-8859-1"?><a/>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-utf-8');
    assert.throws(() => parseDocumentBody('<a><b></a>'), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-well-formed');
  });
});
