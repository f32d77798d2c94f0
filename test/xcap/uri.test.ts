import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BadRequestError, NotFoundError } from '../../src/xcap/errors.js';
import { selectElements } from '../../src/xcap/select.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import {
  buildXcapPath,
  encodeNodeSelector,
  encodePathSegment,
  normalizeRootPath,
  parseXcapPath,
  parseXmlnsQuery,
  percentDecode,
  stripRoot,
  type DocumentSelector,
  type XcapUri,
} from '../../src/xcap/uri.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';

const NO_BINDINGS = new Map<string, string>();

function users(auid: string, xui: string, path: string): DocumentSelector {
  return { auid, tree: 'users', xui, path };
}

function uri(document: DocumentSelector, nodeSelector: string | null = null, bindings: Record<string, string> = {}): XcapUri {
  return { document, nodeSelector, namespaceBindings: new Map(Object.entries(bindings)) };
}

const isBadRequest = (e: unknown): boolean => e instanceof BadRequestError && e.status === 400;
const isNotFound = (e: unknown): boolean => e instanceof NotFoundError && e.status === 404;

describe('the XCAP root', () => {
  test('a configured root is normalized to a leading and no trailing slash', () => {
    assert.equal(normalizeRootPath('/xcap-root'), '/xcap-root');
    assert.equal(normalizeRootPath('/xcap-root/'), '/xcap-root');
    assert.equal(normalizeRootPath('/xcap-root///'), '/xcap-root');
    assert.equal(normalizeRootPath('xcap-root'), '/xcap-root');
    assert.equal(normalizeRootPath(' /services/xcap/ '), '/services/xcap');
    assert.equal(normalizeRootPath('/'), '');
    assert.equal(normalizeRootPath(''), '');
  });

  test('the default root is stripped from the request target', () => {
    const root = normalizeRootPath('/xcap-root');
    assert.equal(stripRoot('/xcap-root/resource-lists/users/sip:a@b/index', root), 'resource-lists/users/sip:a@b/index');
    assert.equal(stripRoot('/xcap-root/a/global/index?xmlns(a=urn:a)', root), 'a/global/index?xmlns(a=urn:a)');
    assert.equal(stripRoot('/xcap-root', root), '');
    assert.equal(stripRoot('/xcap-root/', root), '');
  });

  test('targets outside the root are not ours', () => {
    const root = '/xcap-root';
    assert.equal(stripRoot('/xcap-rootx/resource-lists/global/index', root), null);
    assert.equal(stripRoot('/other/resource-lists/global/index', root), null);
    assert.equal(stripRoot('/xcap', root), null);
    assert.equal(stripRoot('*', root), null);
  });

  test('a root of several segments, configured with a trailing slash', () => {
    const root = normalizeRootPath('/services/xcap/');
    assert.equal(stripRoot('/services/xcap/resource-lists/global/index', root), 'resource-lists/global/index');
    assert.equal(stripRoot('/services/resource-lists/global/index', root), null);
  });

  test('the server root itself ("")', () => {
    const root = normalizeRootPath('/');
    assert.equal(stripRoot('/resource-lists/users/sip:a@b/index', root), 'resource-lists/users/sip:a@b/index');
    assert.equal(stripRoot('/', root), '');
    assert.equal(stripRoot('resource-lists/global/index', root), null);
  });
});

describe('document selectors (RFC 4825 §6.2)', () => {
  test('the RFC example: users tree, SIP XUI, index', () => {
    assert.deepEqual(parseXcapPath('resource-lists/users/sip:joe@example.com/index'), uri(users('resource-lists', 'sip:joe@example.com', 'index')));
  });

  test('the global tree has no XUI', () => {
    assert.deepEqual(parseXcapPath('xcap-caps/global/index'), uri({ auid: 'xcap-caps', tree: 'global', xui: null, path: 'index' }));
  });

  test('a percent-encoded XUI means the same as a raw one', () => {
    const expected = uri(users('resource-lists', 'sip:alice@example.com', 'index'));
    assert.deepEqual(parseXcapPath('resource-lists/users/sip%3Aalice%40example.com/index'), expected);
    assert.deepEqual(parseXcapPath('resource-lists/users/sip%3aalice%40example.com/index'), expected);
    assert.deepEqual(parseXcapPath('resource-lists/users/sip:alice@example.com/index'), expected);
  });

  test('tel: XUIs and XUIs with encoded "/" "?" and non-ASCII', () => {
    assert.equal(parseXcapPath('pres-rules/users/tel:+1-201-555-0123/index').document.xui, 'tel:+1-201-555-0123');
    assert.equal(parseXcapPath('pres-rules/users/tel%3A%2B1-201-555-0123/index').document.xui, 'tel:+1-201-555-0123');
    assert.equal(parseXcapPath('resource-lists/users/sip:a%2Fb%3Fc@example.com/index').document.xui, 'sip:a/b?c@example.com');
    assert.equal(parseXcapPath('resource-lists/users/sip:m%C3%BCller@example.com/index').document.xui, 'sip:müller@example.com');
  });

  test('the vendor-tree AUID and percent-encoded AUID characters', () => {
    assert.equal(parseXcapPath('org.openmobilealliance.pres-rules/users/sip:a@b/pres-rules').document.auid, 'org.openmobilealliance.pres-rules');
    assert.equal(parseXcapPath('simservs.ngn.etsi.org/users/sip:a@b/simservs.xml').document.auid, 'simservs.ngn.etsi.org');
    assert.equal(parseXcapPath('resource%2Dlists/global/index').document.auid, 'resource-lists');
  });

  test('sub-directories below the home and global directories', () => {
    assert.deepEqual(
      parseXcapPath('resource-lists/users/sip:a@example.com/dir/sub/doc.xml'),
      uri(users('resource-lists', 'sip:a@example.com', 'dir/sub/doc.xml')),
    );
    assert.deepEqual(parseXcapPath('rls-services/global/a/b'), uri({ auid: 'rls-services', tree: 'global', xui: null, path: 'a/b' }));
    assert.equal(parseXcapPath('resource-lists/users/sip:a@b/M%C3%BCller%20list').document.path, 'Müller list');
  });

  test('URIs naming a directory or nothing are not found', () => {
    for (const path of [
      '',
      'resource-lists',
      'resource-lists/',
      'resource-lists/users',
      'resource-lists/users/',
      'resource-lists/users/sip:a@b',
      'resource-lists/users/sip:a@b/',
      'resource-lists/users/sip:a@b/dir/',
      'resource-lists/global',
      'resource-lists/global/',
      'resource-lists/global/dir/',
      'resource-lists/people/sip:a@b/index',
      'resource-lists/Users/sip:a@b/index',
      'resource-lists/users/sip:a@b/?xmlns(a=urn:a)',
    ]) {
      assert.throws(() => parseXcapPath(path), isNotFound, path);
    }
  });

  test('empty, dot and encoded-slash path segments are bad requests', () => {
    for (const path of [
      'resource-lists/users/sip:a@b//index',
      'resource-lists/users/sip:a@b/./index',
      'resource-lists/users/sip:a@b/../index',
      'resource-lists/users/sip:a@b/dir/..',
      'resource-lists/global/x%2Fy',
      'resource-lists/global/%2E%2E',
      'resource-lists/users/./index',
      'resource-lists/users/%2E%2E/index',
      '../users/sip:a@b/index',
      '%2E/global/index',
    ]) {
      assert.throws(() => parseXcapPath(path), isBadRequest, path);
    }
  });
});

describe('the node selector separator (RFC 4825 §6)', () => {
  const doc = users('resource-lists', 'sip:a@example.com', 'index');

  test('"~~" splits the document selector from the node selector', () => {
    assert.deepEqual(parseXcapPath('resource-lists/users/sip:a@example.com/index/~~/resource-lists/list'), uri(doc, 'resource-lists/list'));
  });

  test('"%7E%7E" is equivalent to "~~", in either case and mixed', () => {
    for (const sep of ['%7E%7E', '%7e%7e', '~%7E', '%7E~']) {
      assert.deepEqual(parseXcapPath(`resource-lists/users/sip:a@example.com/index/${sep}/resource-lists/list`), uri(doc, 'resource-lists/list'), sep);
    }
  });

  test('the first "~~" is the separator, later ones belong to the node selector', () => {
    const p = parseXcapPath('resource-lists/users/sip:a@example.com/index/~~/resource-lists/list[@name="/~~/"]');
    assert.equal(p.nodeSelector, 'resource-lists/list[@name="/~~/"]');
    assert.equal(p.document.path, 'index');
  });

  test('"~~" inside a segment is no separator', () => {
    assert.equal(parseXcapPath('resource-lists/users/sip:a@b/in~~dex').document.path, 'in~~dex');
    assert.equal(parseXcapPath('resource-lists/users/sip:a@b/~~x/index').document.path, '~~x/index');
  });

  test('a missing or empty node selector is a bad request', () => {
    for (const path of [
      'resource-lists/users/sip:a@b/index/~~',
      'resource-lists/users/sip:a@b/index/~~/',
      'resource-lists/users/sip:a@b/index/%7E%7E',
      'resource-lists/users/sip:a@b/index/~~?xmlns(a=urn:a)',
      'resource-lists/users/sip:a@b/index/~~/?xmlns(a=urn:a)',
    ]) {
      assert.throws(() => parseXcapPath(path), isBadRequest, path);
    }
  });

  test('the node selector is percent-decoded as a whole', () => {
    assert.equal(
      parseXcapPath('resource-lists/users/sip:a@b/index/~~/resource-lists/list%5b@name=%22friends%22%5d').nodeSelector,
      'resource-lists/list[@name="friends"]',
    );
    assert.equal(
      parseXcapPath('a/global/index/~~/r/l%5B%40n%3D%22%C3%80%E3%82%A2%20x%2Fy%22%5D/%40uri').nodeSelector,
      'r/l[@n="Àア x/y"]/@uri',
    );
  });

  test('a document URI with no separator has no node selector', () => {
    assert.equal(parseXcapPath('resource-lists/users/sip:a@b/index').nodeSelector, null);
  });
});

describe('the query: namespace bindings (RFC 4825 §6.4)', () => {
  test('no query, no bindings', () => {
    assert.deepEqual(parseXcapPath('a/global/index/~~/x').namespaceBindings, NO_BINDINGS);
    assert.deepEqual(parseXmlnsQuery(''), NO_BINDINGS);
  });

  test('one xmlns() part', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:test:namespace1-uri)'), new Map([['a', 'urn:test:namespace1-uri']]));
  });

  test('several parts, directly concatenated or separated by whitespace', () => {
    const expected = new Map([
      ['a', 'urn:test:namespace1-uri'],
      ['b', 'urn:test:namespace2-uri'],
    ]);
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace2-uri)'), expected);
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:test:namespace1-uri) xmlns(b=urn:test:namespace2-uri)'), expected);
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:test:namespace1-uri)%20xmlns(b=urn:test:namespace2-uri)'), expected);
  });

  test('space around "=" is allowed (XmlnsSchemeData)', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(a = urn:a)'), new Map([['a', 'urn:a']]));
  });

  test('a later part for the same prefix wins', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:one)xmlns(a=urn:two)'), new Map([['a', 'urn:two']]));
  });

  test('"^" escapes "(", ")" and "^"', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:x^(1^)^^2)'), new Map([['a', 'urn:x(1)^2']]));
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:x%5E(1%5E))'), new Map([['a', 'urn:x(1)']]));
  });

  test('balanced parentheses need no escape', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(a=urn:x(1))'), new Map([['a', 'urn:x(1)']]));
  });

  test('a percent-encoded query means the same', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns%28a%3Durn%3Aa%29'), new Map([['a', 'urn:a']]));
    assert.deepEqual(parseXmlnsQuery('xmlns(a=http%3A%2F%2Fexample.com%2Fns%3Fv%3D1)'), new Map([['a', 'http://example.com/ns?v=1']]));
  });

  test('parts of other XPointer schemes are ignored', () => {
    assert.deepEqual(parseXmlnsQuery('element(/1/2)xmlns(a=urn:a)'), new Map([['a', 'urn:a']]));
    assert.deepEqual(parseXmlnsQuery("xmlns(a=urn:a)xpointer(id('x')/b)"), new Map([['a', 'urn:a']]));
    assert.deepEqual(parseXmlnsQuery('foo:bar(anything^)here)xmlns(b=urn:b)'), new Map([['b', 'urn:b']]));
  });

  test('rebinding "xml" is ignored; binding "xmlns" is refused', () => {
    assert.deepEqual(parseXmlnsQuery('xmlns(xml=urn:evil)xmlns(a=urn:a)'), new Map([['a', 'urn:a']]));
    assert.throws(() => parseXmlnsQuery('xmlns(xmlns=urn:x)'), isBadRequest);
  });

  test('malformed queries are bad requests', () => {
    for (const q of [
      'foo',
      'xmlns',
      'xmlns(a=urn:a',
      'xmlns(a=urn:a)junk',
      'xmlns(a=urn:a))',
      'xmlns()',
      'xmlns(a)',
      'xmlns(=urn:a)',
      'xmlns(1a=urn:a)',
      'xmlns(a:b=urn:a)',
      'xmlns(a=)',
      'xmlns(a=urn^x)',
      'xmlns(a=urn:a^',
      '(a=urn:a)',
      ')',
      '1x(a)',
      'a=b',
    ]) {
      assert.throws(() => parseXmlnsQuery(q), isBadRequest, q);
    }
  });

  test('the query of a full path is parsed with the node selector', () => {
    const p = parseXcapPath('test/users/sip:joe@example.com/index/~~/foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace2-uri)');
    assert.deepEqual(
      p,
      uri(users('test', 'sip:joe@example.com', 'index'), 'foo/a:bar/b:baz', { a: 'urn:test:namespace1-uri', b: 'urn:test:namespace2-uri' }),
    );
  });
});

describe('percent-encoding errors', () => {
  test('bad percent-encoding anywhere is a bad request', () => {
    for (const path of [
      'resource-lists/users/sip%zzalice/index',
      'resource-lists/users/sip:a@b/index%',
      'resource-lists/users/sip:a@b/index%4',
      'resource%GGlists/global/index',
      'resource-lists/users/sip:a@b/index/~~/a%5',
      'resource-lists/users/sip:a@b/index/~~/a[@b=%22%FF%22]',
      'resource-lists/users/sip:a@b/index/~~/a[@b=%22%C3%22]',
      'resource-lists/users/sip:a@b/index/~~/a[@b=%22%ED%A0%80%22]',
      'resource-lists/users/sip:a@b/index/~~/a?xmlns(a=urn:%G1)',
      'resource-lists/users/sip:a@b/index/~~/a?xmlns(a=urn:%E0%A4)',
      'resource-lists/users/sip%C0%AF/index',
    ]) {
      assert.throws(() => parseXcapPath(path), isBadRequest, path);
    }
    assert.throws(() => percentDecode('%', 'test'), isBadRequest);
    assert.equal(percentDecode('100%25', 'test'), '100%');
  });
});

describe('real clients spell the same URI differently', () => {
  const SS = 'http://uri.etsi.org/ngn/params/xml/simservs/xcap';
  const CP = 'urn:ietf:params:xml:ns:common-policy';
  const SIMSERVS = `<?xml version="1.0" encoding="UTF-8"?>
<simservs xmlns="${SS}" xmlns:cp="${CP}">
  <communication-diversion active="true">
    <cp:ruleset>
      <cp:rule id="call-diversion-busy"><cp:conditions/></cp:rule>
      <cp:rule id="call-diversion-unconditional"><cp:conditions/></cp:rule>
    </cp:ruleset>
  </communication-diversion>
</simservs>`;

  const doc = users('simservs.ngn.etsi.org', 'sip:+15551234@ims.example.com', 'simservs.xml');
  const expected = uri(doc, 'simservs/ss:communication-diversion/cp:ruleset/cp:rule[@id="call-diversion-unconditional"]', { ss: SS, cp: CP });
  const query = `?xmlns(ss=${SS})xmlns(cp=${CP})`;
  const base = 'simservs.ngn.etsi.org/users/sip:+15551234@ims.example.com/simservs.xml/~~/simservs/ss:communication-diversion/cp:ruleset';
  const spellings = {
    'python-xcaplib (raw [ ] " @ =)': `${base}/cp:rule[@id="call-diversion-unconditional"]${query}`,
    'Android (%5B@id=%22...%22%5D)': `${base}/cp:rule%5B@id=%22call-diversion-unconditional%22%5D${query}`,
    'everything encoded': `${base.replace('sip:+15551234@', 'sip%3A%2B15551234%40')}/cp%3Arule%5B%40id%3D%22call-diversion-unconditional%22%5D?xmlns%28ss%3D${encodeURIComponent(SS)}%29xmlns%28cp%3D${encodeURIComponent(CP)}%29`,
  };

  for (const [client, path] of Object.entries(spellings)) {
    test(`${client} parses to the same URI`, () => {
      assert.deepEqual(parseXcapPath(path), expected);
    });
  }

  test('and selects the same element', () => {
    const document = parseXmlDocument(SIMSERVS);
    const picked = Object.values(spellings).map((path) => {
      const p = parseXcapPath(path);
      const selector = parseNodeSelector(p.nodeSelector!, { defaultNamespace: SS, bindings: p.namespaceBindings });
      const found = selectElements(document, selector.steps);
      assert.equal(found.length, 1);
      return SIMSERVS.slice(found[0]!.start, found[0]!.end);
    });
    assert.deepEqual(picked, Array(picked.length).fill('<cp:rule id="call-diversion-unconditional"><cp:conditions/></cp:rule>'));
  });

  test('xcaplib attribute and namespace URIs', () => {
    assert.equal(
      parseXcapPath('resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/@uri').nodeSelector,
      'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/@uri',
    );
    assert.equal(parseXcapPath('resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list/namespace::*').nodeSelector, 'resource-lists/list/namespace::*');
  });
});

describe('building URIs (client side)', () => {
  test('path segments keep pchar and encode the rest', () => {
    assert.equal(encodePathSegment('sip:alice@example.com'), 'sip:alice@example.com');
    assert.equal(encodePathSegment('tel:+1-201-555-0123'), 'tel:+1-201-555-0123');
    assert.equal(encodePathSegment('sip:a/b?c#d%e@x'), 'sip:a%2Fb%3Fc%23d%25e@x');
    assert.equal(encodePathSegment('Müller list'), 'M%C3%BCller%20list');
  });

  test('node selectors encode [ ] " and non-ASCII, keep "/" between steps', () => {
    assert.equal(encodeNodeSelector('resource-lists/list[@name="friends"]'), 'resource-lists/list%5B@name=%22friends%22%5D');
    assert.equal(encodeNodeSelector("r/l[@n='À']/@uri"), "r/l%5B@n='%C3%80'%5D/@uri");
    assert.equal(encodeNodeSelector('r/l[@n="a/b c?d#e%"]'), 'r/l%5B@n=%22a%2Fb%20c%3Fd%23e%25%22%5D');
  });

  test('the RFC §13 URI', () => {
    assert.equal(
      buildXcapPath({ document: users('resource-lists', 'sip:bill@example.com', 'index'), nodeSelector: 'resource-lists/list[@name="friends"]' }),
      'resource-lists/users/sip:bill@example.com/index/~~/resource-lists/list%5B@name=%22friends%22%5D',
    );
  });

  test('bindings go into the query, with "^" escapes', () => {
    assert.equal(
      buildXcapPath({
        document: { auid: 'test', tree: 'global', xui: null, path: 'index' },
        nodeSelector: 'foo/a:bar',
        namespaceBindings: { a: 'urn:x(1)' },
      }),
      'test/global/index/~~/foo/a:bar?xmlns(a=urn:x%5E(1%5E))',
    );
  });

  test('segments that cannot be written as one path segment are refused', () => {
    for (const bad of ['', '.', '..', '~~']) {
      assert.throws(() => buildXcapPath({ document: { auid: 'a', tree: 'global', xui: null, path: bad } }), TypeError, `path ${JSON.stringify(bad)}`);
      assert.throws(() => buildXcapPath({ document: users('a', bad, 'index') }), TypeError, `xui ${JSON.stringify(bad)}`);
      assert.throws(() => buildXcapPath({ document: { auid: bad, tree: 'global', xui: null, path: 'index' } }), TypeError, `auid ${JSON.stringify(bad)}`);
    }
    assert.throws(() => buildXcapPath({ document: { auid: 'a', tree: 'global', xui: null, path: 'x//y' } }), TypeError);
  });

  test('build then parse gives back what was built (property)', () => {
    const ncName = fc
      .tuple(fc.constantFrom('a', 'b', 'x', '_', 'é', 'Ü', '名', 'ア'), fc.array(fc.constantFrom('a', 'z', '0', '9', '-', '.', '_', 'ß', '前', '·'), { maxLength: 5 }))
      .map(([first, rest]) => first + rest.join(''))
      .filter((s) => !/^xml/i.test(s));
    const qname = fc.tuple(fc.option(ncName, { nil: undefined }), ncName).map(([p, l]) => (p === undefined ? l : `${p}:${l}`));
    // Every character a careless encoder could get wrong.
    const tricky = fc.constantFrom(
      'a', 'Z', '0', '-', '.', '_', '~', '~~', '!', '$', '&', "'", '(', ')', '*', '+', ',', ';', '=', ':', '@',
      '/', '?', '#', '[', ']', '%', '%25', '%7E', '"', ' ', '^', '<', '>', '\\', '{', '}', '|', '`',
      'ü', '€', '名', '😀', 'sip:', 'tel:+1',
    );
    const text = (min: number, max: number) => fc.array(tricky, { minLength: min, maxLength: max }).map((a) => a.join(''));
    const segment = text(1, 6).filter((s) => s !== '.' && s !== '..' && s !== '~~' && !/^(%7E|~)(%7E|~)$/i.test(s));
    const pathSegment = segment.filter((s) => !s.includes('/'));
    const attValue = text(0, 6);
    const quoteValue = (v: string): string => {
      const q = v.includes('"') ? "'" : '"';
      const escaped = v.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(q === '"' ? /"/g : /'/g, q === '"' ? '&quot;' : '&apos;');
      return `${q}${escaped}${q}`;
    };
    const step = fc
      .tuple(fc.oneof(fc.constant('*'), qname), fc.option(fc.integer({ min: 1, max: 99 }), { nil: undefined }), fc.option(fc.tuple(qname, attValue), { nil: undefined }))
      .map(([name, pos, test]) => `${name}${pos === undefined ? '' : `[${pos}]`}${test === undefined ? '' : `[@${test[0]}=${quoteValue(test[1])}]`}`);
    const terminal = fc.oneof(fc.constant(''), qname.map((q) => `/@${q}`), fc.constant('/namespace::*'));
    const nodeSelector = fc.option(
      fc.tuple(fc.array(step, { minLength: 1, maxLength: 4 }), terminal).map(([steps, t]) => steps.join('/') + t),
      { nil: null },
    );
    const namespaceUri = text(1, 8).filter((s) => s.trim() === s && s !== '');
    const bindings = fc.dictionary(ncName, namespaceUri, { maxKeys: 3 });
    const document = fc.oneof(
      fc.record({ auid: segment, tree: fc.constant('users' as const), xui: segment, path: fc.array(pathSegment, { minLength: 1, maxLength: 3 }).map((a) => a.join('/')) }),
      fc.record({ auid: segment, tree: fc.constant('global' as const), xui: fc.constant(null), path: fc.array(pathSegment, { minLength: 1, maxLength: 3 }).map((a) => a.join('/')) }),
    );
    // What may appear raw in a path and query (RFC 3986 pchar, "/", "?"), plus %XX.
    const URI_CHARS = /^(?:[A-Za-z0-9\-._~!$&'()*+,;=:@/?]|%[0-9A-F]{2})*$/;

    fc.assert(
      fc.property(document, nodeSelector, bindings, (doc, selector, b) => {
        const built = buildXcapPath({ document: doc, nodeSelector: selector, namespaceBindings: b });
        assert.match(built, URI_CHARS);
        const parsed = parseXcapPath(built);
        assert.deepEqual(parsed, { document: { ...doc }, nodeSelector: selector, namespaceBindings: new Map(Object.entries(b)) });
      }),
      { numRuns: 300 },
    );
  });
});
