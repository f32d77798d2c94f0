/**
 * Element and attribute operations on documents with non-ASCII text and several
 * namespaces: prefixed roots, default namespaces redeclared and undeclared inside,
 * bodies that lean on the document's prefixes or declare their own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NotFoundError, XcapConflictError } from '../../src/xcap/errors.js';
import { decodeUtf8Body, deleteNode, getNode, parseDocumentBody, putAttribute, putElement } from '../../src/xcap/operations.js';
import { selectElements } from '../../src/xcap/select.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { buildXcapPath, parseXcapPath } from '../../src/xcap/uri.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const CP = 'counterpath:properties';
const isConflict = (kind: string) => (e: unknown): boolean => e instanceof XcapConflictError && e.conflict === kind;

/** Parses a selector as a client would send it: built into a URI, then parsed back by the server. */
function viaUri(nodeSelector: string, bindings: Record<string, string> = {}, defaultNamespace = RL) {
  const path = buildXcapPath({ document: { auid: 'resource-lists', tree: 'users', xui: 'sip:jürgen@example.de', path: 'index' }, nodeSelector, namespaceBindings: bindings });
  assert.match(path, /^[\x21-\x7e]+$/, 'the URI is ASCII');
  const u = parseXcapPath(path);
  return parseNodeSelector(u.nodeSelector!, { defaultNamespace, bindings: u.namespaceBindings });
}

describe('a prefixed root element and non-ASCII content', () => {
  const ALICE = '<rl:entry uri="sip:李@example.cn"><rl:display-name>李小龍 🐉</rl:display-name></rl:entry>';
  const SOURCE = `<?xml version="1.0" encoding="UTF-8"?>
<!-- Grüße aus Köln 😀 -->
<rl:resource-lists xmlns:rl="${RL}" xmlns:cp="${CP}">
  <rl:list name="Freunde – Grüße">
    <rl:entry uri="sip:m%C3%BCller@example.com"><rl:display-name>Jürgen Müller</rl:display-name><cp:note>東京 😀 &amp; &lt;ß&gt;</cp:note></rl:entry>
    ${ALICE}
  </rl:list>
  <rl:list name="空"/>
</rl:resource-lists>
`;
  const doc = parseDocumentBody(decodeUtf8Body(Buffer.from(SOURCE, 'utf8')));

  test('unprefixed steps match the prefixed elements by expanded name', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/list[@name="Freunde – Grüße"]/entry[@uri="sip:李@example.cn"]')).body, ALICE);
    assert.equal(getNode(doc, viaUri('x:resource-lists/x:list[1]/x:entry[2]', { x: RL })).body, ALICE);
  });

  test('attribute GET with non-ASCII and emoji', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/list[1]/@name')).body, '"Freunde – Grüße"');
    assert.equal(getNode(doc, viaUri('resource-lists/list[2]/@name')).body, '"空"');
  });

  test('an element in another namespace, and its text with references kept as written', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/list[1]/entry[1]/c:note', { c: CP })).body, '<cp:note>東京 😀 &amp; &lt;ß&gt;</cp:note>');
    assert.throws(() => getNode(doc, viaUri('resource-lists/list[1]/entry[1]/note')), NotFoundError);
  });

  test('namespace::* on a prefixed element', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/namespace::*')).body, `<rl:resource-lists xmlns:rl="${RL}" xmlns:cp="${CP}"/>`);
    assert.equal(getNode(doc, viaUri('resource-lists/list[1]/entry[2]/namespace::*')).body, `<rl:entry xmlns:rl="${RL}" xmlns:cp="${CP}"/>`);
  });

  test('replacing an element with a body using the document\'s prefixes (declared only in the document)', () => {
    const body = '<rl:entry uri="sip:😀@example.com"><rl:display-name>Ünïcödé 名前</rl:display-name><cp:note>ok</cp:note></rl:entry>';
    const sel = viaUri('resource-lists/list[1]/entry[2]');
    const r = putElement(doc, sel, body);
    assert.equal(r.created, false);
    assert.equal(r.source, SOURCE.replace(ALICE, body));
    assert.equal(getNode(r.document, sel).body, body);
    assert.equal(getNode(r.document, viaUri('resource-lists/list[1]/entry[2]/c:note', { c: CP })).body, '<cp:note>ok</cp:note>');
  });

  test('inserting by an emoji attribute value', () => {
    const body = '<rl:entry uri="sip:🐙@example.com"/>';
    const sel = viaUri('resource-lists/list[1]/entry[@uri="sip:🐙@example.com"]');
    const r = putElement(doc, sel, body);
    assert.equal(r.created, true);
    assert.equal(r.source, SOURCE.replace(ALICE, ALICE + body));
    assert.equal(getNode(r.document, sel).body, body);
  });

  test('inserting into the empty-element list', () => {
    const body = '<rl:entry uri="sip:ø@example.no"/>';
    const r = putElement(doc, viaUri('resource-lists/list[@name="空"]/entry'), body);
    assert.equal(r.source, SOURCE.replace('<rl:list name="空"/>', `<rl:list name="空">${body}</rl:list>`));
  });

  test('an unprefixed body in a document with no default namespace is in no namespace: cannot-insert', () => {
    assert.throws(() => putElement(doc, viaUri('resource-lists/list[1]/entry[@uri="sip:x@y"]'), '<entry uri="sip:x@y"/>'), isConflict('cannot-insert'));
  });

  test('a body declaring its own default namespace keeps the declaration', () => {
    const body = `<entry xmlns="${RL}" uri="sip:ça@example.fr"><display-name>Ça va</display-name></entry>`;
    const sel = viaUri('resource-lists/list[1]/entry[@uri="sip:ça@example.fr"]');
    const r = putElement(doc, sel, body);
    assert.equal(r.source, SOURCE.replace(ALICE, ALICE + body));
    assert.equal(getNode(r.document, sel).body, body);
    assert.equal(getNode(r.document, viaUri('resource-lists/list[1]/entry[3]/display-name')).body, '<display-name>Ça va</display-name>');
  });

  test('a body declaring some other default namespace is cannot-insert', () => {
    assert.throws(() => putElement(doc, viaUri('resource-lists/list[1]/entry[@uri="sip:x@y"]'), '<entry xmlns="urn:other" uri="sip:x@y"/>'), isConflict('cannot-insert'));
  });

  test('a body redeclaring a document prefix locally', () => {
    const body = '<cp:entry xmlns:cp="urn:ietf:params:xml:ns:resource-lists" uri="sip:z@z"/>';
    const r = putElement(doc, viaUri('resource-lists/list[1]/entry[@uri="sip:z@z"]'), body);
    assert.equal(r.source, SOURCE.replace(ALICE, ALICE + body));
  });

  test('a body using an undeclared prefix is not well-formed', () => {
    assert.throws(
      () => putElement(doc, viaUri('resource-lists/list[1]/entry[@uri="sip:x@y"]'), '<rl:entry uri="sip:x@y"><zz:a/></rl:entry>'),
      (e: unknown) => e instanceof XcapConflictError && (e.conflict === 'not-well-formed' || e.conflict === 'not-xml-frag'),
    );
  });

  test('attribute PUT of non-ASCII values keeps every other character', () => {
    const sel = viaUri('resource-lists/list[1]/entry[1]/@uri');
    const r = putAttribute(doc, sel, '"sip:👩‍👩‍👧@例え.jp"');
    assert.equal(r.source, SOURCE.replace('sip:m%C3%BCller@example.com', 'sip:👩‍👩‍👧@例え.jp'));
    assert.equal(getNode(r.document, sel).body, '"sip:👩‍👩‍👧@例え.jp"');
    const created = putAttribute(r.document, viaUri('resource-lists/list[1]/entry[1]/@名前'), '"値"');
    assert.equal(created.source, r.source.replace('uri="sip:👩‍👩‍👧@例え.jp"', 'uri="sip:👩‍👩‍👧@例え.jp" 名前="値"'));
  });

  test('a namespaced attribute: the document\'s prefix is reused', () => {
    const sel = viaUri('resource-lists/list[2]/@c:flag', { c: CP });
    const r = putAttribute(doc, sel, '"ja"');
    assert.equal(r.source, SOURCE.replace('<rl:list name="空"/>', '<rl:list name="空" cp:flag="ja"/>'));
    assert.equal(deleteNode(r.document, sel).source, SOURCE);
  });

  test('DELETE by a CJK attribute value leaves the surrounding whitespace', () => {
    const sel = viaUri('resource-lists/list[1]/entry[@uri="sip:李@example.cn"]');
    const r = deleteNode(doc, sel);
    assert.equal(r.source, SOURCE.replace(ALICE, ''));
    assert.deepEqual(selectElements(r.document, sel.steps), []);
  });

  test('DELETE of an emoji-valued attribute', () => {
    const withEmoji = putAttribute(doc, viaUri('resource-lists/list[1]/@icon'), '"🐉"');
    assert.equal(deleteNode(withEmoji.document, viaUri('resource-lists/list[1]/@icon')).source, SOURCE);
  });
});

describe('default namespaces redeclared and undeclared on inner elements', () => {
  const EXT = 'urn:example:ext';
  const SOURCE = `<resource-lists xmlns="${RL}">
 <list name="a">
  <ext xmlns="${EXT}"><item n="1">Ärger</item></ext>
  <plain xmlns=""><item n="1"/></plain>
  <entry uri="sip:a@b"/>
 </list>
</resource-lists>`;
  const doc = parseDocumentBody(SOURCE);

  test('elements below a redeclared default namespace are in that namespace', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/list/e:ext/e:item', { e: EXT })).body, '<item n="1">Ärger</item>');
    assert.throws(() => getNode(doc, viaUri('resource-lists/list/ext')), NotFoundError);
    assert.equal(getNode(doc, viaUri('resource-lists/list/*[1]/*[1]/@n')).body, '"1"');
  });

  test('elements below xmlns="" are in no namespace: only * reaches them', () => {
    assert.throws(() => getNode(doc, viaUri('resource-lists/list/plain')), NotFoundError);
    assert.equal(getNode(doc, viaUri('resource-lists/list/*[2]/*')).body, '<item n="1"/>');
    // No default namespace in scope there, so none is listed.
    assert.equal(getNode(doc, viaUri('resource-lists/list/*[2]/*/namespace::*')).body, '<item/>');
  });

  test('namespace::* under a redeclared default namespace', () => {
    assert.equal(getNode(doc, viaUri('resource-lists/list/e:ext/e:item/namespace::*', { e: EXT })).body, `<item xmlns="${EXT}"/>`);
  });

  test('an unprefixed body inherits the default namespace of the place it goes', () => {
    const r = putElement(doc, viaUri('resource-lists/list/e:ext/e:item[@n="2"]', { e: EXT }), '<item n="2"/>');
    assert.equal(r.source, SOURCE.replace('Ärger</item>', 'Ärger</item><item n="2"/>'));
    const s = putElement(doc, viaUri('resource-lists/list/entry[@uri="sip:c@d"]'), '<entry uri="sip:c@d"/>');
    assert.equal(s.source, SOURCE.replace('<entry uri="sip:a@b"/>', '<entry uri="sip:a@b"/><entry uri="sip:c@d"/>'));
  });

  test('a body for the no-namespace part, selected by *', () => {
    const r = putElement(doc, viaUri('resource-lists/list/*[2]/*[2][@n="2"]'), '<item n="2"/>');
    assert.equal(r.source, SOURCE.replace('<item n="1"/></plain>', '<item n="1"/><item n="2"/></plain>'));
  });

  test('replacing the redeclaring element keeps everything else', () => {
    const body = `<ext xmlns="${EXT}" v="2"/>`;
    const r = putElement(doc, viaUri('resource-lists/list/e:ext', { e: EXT }), body);
    assert.equal(r.source, SOURCE.replace(`<ext xmlns="${EXT}"><item n="1">Ärger</item></ext>`, body));
  });
});

describe('non-ASCII element names', () => {
  const SOURCE = '<Übersicht xmlns="urn:ü"><Eintrag Schlüssel="α">Straße</Eintrag><Eintrag Schlüssel="β"/></Übersicht>';
  const doc = parseDocumentBody(SOURCE);
  test('selected through a percent-encoded URI', () => {
    const path = 'x/global/index/~~/%C3%9Cbersicht/Eintrag%5B@Schl%C3%BCssel=%22%CE%B1%22%5D';
    const sel = parseNodeSelector(parseXcapPath(path).nodeSelector!, { defaultNamespace: 'urn:ü', bindings: new Map() });
    assert.equal(getNode(doc, sel).body, '<Eintrag Schlüssel="α">Straße</Eintrag>');
  });
  test('PUT and DELETE', () => {
    const sel = viaUri('Übersicht/Eintrag[@Schlüssel="γ"]', {}, 'urn:ü');
    const r = putElement(doc, sel, '<Eintrag Schlüssel="γ">€</Eintrag>');
    assert.equal(r.source, SOURCE.replace('</Übersicht>', '<Eintrag Schlüssel="γ">€</Eintrag></Übersicht>'));
    assert.equal(deleteNode(r.document, sel).source, SOURCE);
  });
});

describe('bodies as bytes', () => {
  test('UTF-8 with and without a BOM decodes to the same text', () => {
    const text = '<e>Müller 東京 😀</e>';
    assert.equal(decodeUtf8Body(Buffer.from(text, 'utf8')), text);
    assert.equal(decodeUtf8Body(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text, 'utf8')])), text);
  });
  test('Latin-1 bytes are not UTF-8', () => {
    assert.throws(() => decodeUtf8Body(Buffer.from('<e>Müller</e>', 'latin1')), isConflict('not-utf-8'));
  });
});
