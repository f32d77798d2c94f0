import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { XcapConflictError, NotFoundError, MethodNotAllowedError } from '../../src/xcap/errors.js';
import { deleteNode, getNode, putAttribute, putElement, decodeUtf8Body, parseDocumentBody } from '../../src/xcap/operations.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';
import { parseXcapPath } from '../../src/xcap/uri.js';

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
  test('@xmlns is a namespace declaration, not an attribute: GET and DELETE select nothing, PUT is cannot-insert', () => {
    const isCannotInsert = (e: unknown) => e instanceof XcapConflictError && e.conflict === 'cannot-insert';
    assert.throws(() => getNode(doc, sel('resource-lists/@xmlns', ctx)), NotFoundError);
    assert.throws(() => deleteNode(doc, sel('resource-lists/@xmlns', ctx)), NotFoundError);
    // Written, it would move the entry into another namespace; the document must not change.
    assert.throws(() => putAttribute(doc, sel('resource-lists/list/entry[2]/@xmlns', ctx), '"urn:other"'), isCannotInsert);
    const declared = { defaultNamespace: RL, bindings: new Map([['xn', 'http://www.w3.org/2000/xmlns/']]) };
    assert.throws(() => putAttribute(doc, sel('resource-lists/list/entry[2]/@xn:cp', declared), '"urn:other"'), isCannotInsert);
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

const isConflict = (kind: string) => (e: unknown): boolean => e instanceof XcapConflictError && e.conflict === kind;

describe('RFC 4825 §13: the worked example, step by step', () => {
  const RL = 'urn:ietf:params:xml:ns:resource-lists';
  const ctx = { defaultNamespace: RL, bindings: new Map<string, string>() };
  const BASE = 'resource-lists/users/sip:bill@example.com/index/';
  const at = (relative: string) => parseNodeSelector(parseXcapPath(BASE + relative).nodeSelector!, ctx);
  const CREATED = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
  </list>
</resource-lists>`;
  const BOB = `<entry uri="sip:bob@example.com">
    <display-name>Bob Jones</display-name>
  </entry>`;
  const AFTER_BOB = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
  <entry uri="sip:bob@example.com">
    <display-name>Bob Jones</display-name>
  </entry></list>
</resource-lists>`;
  const CLOSE_FRIENDS = `<list name="close-friends">
   <entry uri="sip:joe@example.com">
     <display-name>Joe Smith</display-name>
   </entry>
   <entry uri="sip:nancy@example.com">
     <display-name>Nancy Gross</display-name>
   </entry>
   <entry uri="sip:petri@example.com">
     <display-name>Petri Aukia</display-name>
   </entry>
</list>`;

  test('PUT entry: it goes after the whitespace, right before </list>, and GET gives it back', () => {
    const r = putElement(parseDocumentBody(CREATED), at('~~/resource-lists/list%5b@name=%22friends%22%5d/entry'), BOB);
    assert.equal(r.source, AFTER_BOB);
    assert.equal(r.created, true);
    assert.equal(getNode(r.document, at('~~/resource-lists/list%5b@name=%22friends%22%5d/entry')).body, BOB);
  });

  test('PUT the nested list, DELETE Petri, GET Nancy\'s uri', () => {
    const nested = putElement(
      parseDocumentBody(AFTER_BOB),
      at('~~/resource-lists/list%5b@name=%22friends%22%5d/list%5b@name=%22close-friends%22%5d'),
      CLOSE_FRIENDS,
    );
    assert.equal(nested.source, AFTER_BOB.replace('</entry></list>', `</entry>${CLOSE_FRIENDS}</list>`));
    const petri = at('~~/resource-lists/list/list/entry%5b@uri=%22sip:petri@example.com%22%5d');
    const deleted = deleteNode(nested.document, petri);
    // The whitespace around the deleted element stays (RFC 4825 §8.4).
    assert.equal(
      deleted.source,
      nested.source.replace('<entry uri="sip:petri@example.com">\n     <display-name>Petri Aukia</display-name>\n   </entry>', ''),
    );
    assert.throws(() => deleteNode(deleted.document, petri), NotFoundError);
    assert.equal(getNode(deleted.document, at('~~/resource-lists/list/list/entry%5b2%5d/@uri')).body, '"sip:nancy@example.com"');
  });

  test('§7.4: changing the attribute an element is selected by is cannot-insert', () => {
    const doc = parseDocumentBody(AFTER_BOB);
    assert.throws(
      () => putElement(doc, at('~~/resource-lists/list/entry%5b@uri=%22sip:bob@example.com%22%5d'), '<entry uri="sip:robert@example.com"/>'),
      isConflict('cannot-insert'),
    );
    assert.throws(
      () => putAttribute(doc, at('~~/resource-lists/list/entry%5b@uri=%22sip:bob@example.com%22%5d/@uri'), '"sip:robert@example.com"'),
      isConflict('cannot-insert'),
    );
    // By position it works.
    const r = putAttribute(doc, at('~~/resource-lists/list/entry%5b1%5d/@uri'), '"sip:robert@example.com"');
    assert.equal(r.source, AFTER_BOB.replace('sip:bob@', 'sip:robert@'));
  });
});

describe('locating the parent (RFC 4825 §8.2.1)', () => {
  const DOC = '<r><l><e/></l><l/><m/></r>';
  test('a parent step that picks several elements is no-parent, not cannot-insert', () => {
    for (const s of ['r/l/e', 'r/l/x', 'r/l/e/x']) {
      assert.throws(() => put(DOC, s, `<${s.split('/').pop()}/>`), (e: unknown) => isConflict('no-parent')(e) && (e as XcapConflictError).ancestorSelector === 'r', s);
    }
  });
  test('the same for an attribute: its element is the parent', () => {
    const doc = parseXmlDocument(DOC);
    for (const s of ['r/l/@a', 'r/l/e/@a', 'r/x/@a']) {
      assert.throws(() => putAttribute(doc, noNamespace(s), '"1"'), (e: unknown) => isConflict('no-parent')(e) && (e as XcapConflictError).ancestorSelector === 'r', s);
    }
    assert.throws(() => putAttribute(doc, noNamespace('x/@a'), '"1"'), (e: unknown) => isConflict('no-parent')(e) && (e as XcapConflictError).ancestorSelector === '');
  });
  test('the parent is checked before the body (§8.2.1 before §8.2.2)', () => {
    assert.throws(() => put(DOC, 'r/x/y', '<y'), isConflict('no-parent'));
    assert.throws(() => putAttribute(parseXmlDocument(DOC), noNamespace('r/x/@a'), '"<"'), isConflict('no-parent'));
  });
  test('a last step that picks several is cannot-insert', () => {
    assert.throws(() => put(DOC, 'r/l', '<l/>'), isConflict('cannot-insert'));
  });
  test('the closest existing ancestor is as deep as it goes', () => {
    assert.throws(() => put('<r><a><b/></a></r>', 'r/a/b/c/d', '<d/>'), (e: unknown) => isConflict('no-parent')(e) && (e as XcapConflictError).ancestorSelector === 'r/a/b');
    assert.throws(() => put('<r/>', 'x/y', '<y/>'), (e: unknown) => isConflict('no-parent')(e) && (e as XcapConflictError).ancestorSelector === '');
  });
});

describe('more §8.2.3 cases', () => {
  test('*[@att] without a position goes at the end of the parent (Case 1, wildcard)', () => {
    assert.equal(put(ROOT_DOC, 'root/*[@att="z"]', '<el1 att="z"/>'), ROOT_DOC.replace('\n</root>', '\n<el1 att="z"/></root>'));
  });
  test('name[1] with no sibling of that name goes at the end', () => {
    assert.equal(put(ROOT_DOC, 'root/el3[1]', '<el3/>'), ROOT_DOC.replace('\n</root>', '\n<el3/></root>'));
  });
  test('*[1][@att] goes before every existing element', () => {
    assert.equal(put(ROOT_DOC, 'root/*[1][@att="0"]', '<el0 att="0"/>'), ROOT_DOC.replace('<el1 att="first"/>', '<el0 att="0"/><el1 att="first"/>'));
  });
  test('*[n] one past the last element goes right after it', () => {
    assert.equal(put(ROOT_DOC, 'root/*[4][@att="4"]', '<el9 att="4"/>'), ROOT_DOC.replace('<el2 att="first"/>', '<el2 att="first"/><el9 att="4"/>'));
    assert.throws(() => put(ROOT_DOC, 'root/*[5][@att="5"]', '<el9 att="5"/>'), isConflict('cannot-insert'));
  });
  test('position 0 can never be filled', () => {
    assert.throws(() => put(ROOT_DOC, 'root/el1[0][@att="x"]', '<el1 att="x"/>'), isConflict('cannot-insert'));
  });
  test('into <p></p>, an empty parent with an end tag', () => {
    assert.equal(put('<r><p></p></r>', 'r/p/c', '<c/>'), '<r><p><c/></p></r>');
    assert.throws(() => put('<r><p></p></r>', 'r/p/c[2]', '<c/>'), isConflict('cannot-insert'));
    assert.throws(() => put('<r><p/></r>', 'r/p/c[2]', '<c/>'), isConflict('cannot-insert'));
  });
  test('the root cannot be inserted, only replaced', () => {
    assert.throws(() => put('<r/>', 'x', '<x/>'), isConflict('cannot-insert'));
    assert.equal(put('<?xml version="1.0"?>\n<r/>\n', 'r', '<r a="1"/>'), '<?xml version="1.0"?>\n<r a="1"/>\n');
  });
  test('whitespace, comments and an XML declaration around the body are not stored', () => {
    assert.equal(put(ROOT_DOC, 'root/el3', '<?xml version="1.0" encoding="UTF-8"?>\n<!-- c -->\n<el3/>\n'), ROOT_DOC.replace('\n</root>', '\n<el3/></root>'));
  });
  test('body checks: not a single element, not well-formed, DTD', () => {
    for (const body of ['', '   ', 'text', '<el3/>text', '<el3/><!-- --><el3/>', '<el3><el3/>', '<el3/', '<el3 att=1/>', '<!DOCTYPE el3><el3/>', '<el3>&ent;</el3>', '<p:el3/>']) {
      assert.throws(() => put(ROOT_DOC, 'root/el3', body), (e: unknown) => e instanceof XcapConflictError && (e.conflict === 'not-xml-frag' || e.conflict === 'not-well-formed'), JSON.stringify(body));
    }
  });
});

describe('attribute bodies (RFC 4825 §7.7, §8.2.2)', () => {
  const doc = parseXmlDocument('<r a="1"/>');
  const set = (body: string) => putAttribute(doc, noNamespace('r/@a'), body).source;
  test('an AttValue in either quote, with references', () => {
    assert.equal(set('"2"'), '<r a="2"/>');
    assert.equal(set("'2'"), '<r a="2"/>');
    assert.equal(set('"&quot;&amp;&lt;&#x4E2D;"'), '<r a="&quot;&amp;&lt;中"/>');
    assert.equal(set(`'say "hi"'`), '<r a="say &quot;hi&quot;"/>');
    assert.equal(set('""'), '<r a=""/>');
  });
  test('GET returns what PUT stored', () => {
    const r = putAttribute(doc, noNamespace('r/@a'), '"&quot;x&apos; &amp; <"'.replace('<', '&lt;'));
    assert.equal(getNode(r.document, noNamespace('r/@a')).body, '"&quot;x\' &amp; &lt;"');
  });
  test('not an AttValue', () => {
    for (const body of ['"a"b"', '"x', '"x\'', '"<"', '"&"', '"&nope;"', '"&#0;"', '"x"\n']) {
      assert.throws(() => set(body), isConflict('not-xml-att-value'), JSON.stringify(body));
    }
  });
  test('a namespaced attribute gets a prefix declared when none is in scope', () => {
    const s = parseNodeSelector('r/@p:x', { defaultNamespace: 'urn:d', bindings: new Map([['p', 'urn:p']]) });
    const r = putAttribute(parseXmlDocument('<r xmlns="urn:d"/>'), s, '"1"');
    assert.equal(r.source, '<r xmlns="urn:d" xmlns:p="urn:p" p:x="1"/>');
    assert.equal(getNode(r.document, s).body, '"1"');
    const reuse = putAttribute(parseXmlDocument('<r xmlns="urn:d" xmlns:q="urn:p"/>'), s, '"1"');
    assert.equal(reuse.source, '<r xmlns="urn:d" xmlns:q="urn:p" q:x="1"/>');
  });
});
