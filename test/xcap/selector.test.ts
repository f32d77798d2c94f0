import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { BadRequestError, NotFoundError } from '../../src/xcap/errors.js';
import { getNode } from '../../src/xcap/operations.js';
import { selectElements } from '../../src/xcap/select.js';
import { formatNodeSelector, parseNodeSelector, type NamespaceContext, type ResolvedName, type Step } from '../../src/xcap/selector.js';
import { parseXcapPath } from '../../src/xcap/uri.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';
import { XML_NAMESPACE, type XmlDocument } from '../../src/xcap/xml/tree.js';

const DEF = 'urn:test:default';
const P = 'urn:test:p';
const Q = 'urn:test:q';
const CTX: NamespaceContext = { defaultNamespace: DEF, bindings: new Map([['p', P], ['q', Q]]) };

const el = (localName: string, prefix: string | null = null, namespace: string = prefix === null ? DEF : CTX.bindings.get(prefix)!): ResolvedName => ({ prefix, localName, namespace });
const att = (localName: string, prefix: string | null = null): ResolvedName => ({
  prefix,
  localName,
  namespace: prefix === null ? null : prefix === 'xml' ? XML_NAMESPACE : CTX.bindings.get(prefix)!,
});
const step = (name: ResolvedName | null, position: number | null = null, attributeTest: { name: ResolvedName; value: string } | null = null): Step => ({
  name,
  position,
  attributeTest,
});

function parse(text: string, ctx: NamespaceContext = CTX) {
  return parseNodeSelector(text, ctx);
}

const isBadRequest = (e: unknown): boolean => e instanceof BadRequestError && e.status === 400;

/** The text an element selection picks out of a document's source. */
function selectedText(document: XmlDocument, text: string, ctx: NamespaceContext): string[] {
  return selectElements(document, parse(text, ctx).steps).map((e) => document.source.slice(e.start, e.end));
}

describe('the §6.3 grammar, production by production', () => {
  test('by-name', () => {
    assert.deepEqual(parse('foo'), { steps: [step(el('foo'))], terminal: null, text: 'foo' });
  });
  test('"*" matches any name', () => {
    assert.deepEqual(parse('*').steps, [step(null)]);
    assert.deepEqual(parse('foo/*/*').steps, [step(el('foo')), step(null), step(null)]);
  });
  test('by-pos', () => {
    assert.deepEqual(parse('foo/bar[3]').steps, [step(el('foo')), step(el('bar'), 3)]);
    assert.deepEqual(parse('foo/*[2]').steps, [step(el('foo')), step(null, 2)]);
    assert.deepEqual(parse('foo[007]').steps, [step(el('foo'), 7)]);
  });
  test('position = 1*DIGIT, so 0 parses (and can select nothing)', () => {
    assert.deepEqual(parse('foo[0]').steps, [step(el('foo'), 0)]);
  });
  test('by-attr, with either quote', () => {
    assert.deepEqual(parse('foo/bar[@a="x"]').steps[1], step(el('bar'), null, { name: att('a'), value: 'x' }));
    assert.deepEqual(parse("foo/*[@a='x y']").steps[1], step(null, null, { name: att('a'), value: 'x y' }));
    assert.deepEqual(parse('foo/bar[@a=""]').steps[1], step(el('bar'), null, { name: att('a'), value: '' }));
  });
  test('by-pos-attr: position first, then the attribute test', () => {
    assert.deepEqual(parse('foo/bar[2][@a="x"]').steps[1], step(el('bar'), 2, { name: att('a'), value: 'x' }));
    assert.deepEqual(parse('foo/*[2][@a="x"]').steps[1], step(null, 2, { name: att('a'), value: 'x' }));
  });
  test('attribute-selector terminal', () => {
    assert.deepEqual(parse('foo/bar/@a'), { steps: [step(el('foo')), step(el('bar'))], terminal: { kind: 'attribute', name: att('a') }, text: 'foo/bar/@a' });
    assert.deepEqual(parse('foo/@p:a').terminal, { kind: 'attribute', name: att('a', 'p') });
  });
  test('namespace-selector terminal', () => {
    assert.deepEqual(parse('foo/bar/namespace::*'), { steps: [step(el('foo')), step(el('bar'))], terminal: { kind: 'namespace' }, text: 'foo/bar/namespace::*' });
  });
  test('prefixed QNames resolve through the bindings', () => {
    assert.deepEqual(parse('p:foo/q:bar[@p:a="1"]/@q:b'), {
      steps: [step(el('foo', 'p')), step(el('bar', 'q'), null, { name: att('a', 'p'), value: '1' })],
      terminal: { kind: 'attribute', name: att('b', 'q') },
      text: 'p:foo/q:bar[@p:a="1"]/@q:b',
    });
  });
  test('unprefixed elements are in the default document namespace, unprefixed attributes in none', () => {
    const s = parse('foo[@a="1"]/@b');
    assert.equal(s.steps[0]!.name!.namespace, DEF);
    assert.equal(s.steps[0]!.attributeTest!.name.namespace, null);
    assert.equal(s.terminal?.kind === 'attribute' && s.terminal.name.namespace, null);
  });
  test('an application usage without a default namespace', () => {
    // RFC 4825 §6.3: with no default document namespace, unprefixed names are in no namespace.
    const s = parse('foo/bar', { defaultNamespace: '', bindings: new Map() });
    assert.deepEqual(s.steps.map((x) => x.name?.localName), ['foo', 'bar']);
  });
  test('the xml prefix needs no binding', () => {
    assert.deepEqual(parse('foo/@xml:lang').terminal, { kind: 'attribute', name: att('lang', 'xml') });
    assert.deepEqual(parse('foo[@xml:lang="de"]').steps[0]!.attributeTest, { name: att('lang', 'xml'), value: 'de' });
  });
  test('non-ASCII names and values', () => {
    assert.deepEqual(parse('Übersicht/名前[@ключ="值 😀"]').steps, [step(el('Übersicht')), step(el('名前'), null, { name: att('ключ'), value: '值 😀' })]);
  });
});

describe('attribute values are XML AttValues', () => {
  const value = (text: string) => parse(`foo[@a=${text}]`).steps[0]!.attributeTest!.value;
  test('entity and character references are decoded', () => {
    assert.equal(value('"&quot;x&quot;"'), '"x"');
    assert.equal(value('"a&amp;b"'), 'a&b');
    assert.equal(value('"&#x22;"'), '"');
    assert.equal(value('"&#34;"'), '"');
    assert.equal(value("'&apos;'"), "'");
    assert.equal(value('"&lt;&gt;"'), '<>');
    assert.equal(value('"&#x1F600;"'), '😀');
  });
  test('the other quote may appear raw', () => {
    assert.equal(value(`'say "hi"'`), 'say "hi"');
    assert.equal(value(`"it's"`), "it's");
  });
  test('"/" "]" "[" "@" "=" inside a value are just characters', () => {
    assert.equal(value('"a/b]c[d@e=f"'), 'a/b]c[d@e=f');
    assert.deepEqual(parse('foo/bar[@a="x/y"]/baz').steps.length, 3);
  });
});

describe('every syntax error is a BadRequestError', () => {
  const cases = [
    '', '/', 'a/', '/a', 'a//b', 'a[', 'a[]', 'a[x]', 'a[1', 'a[1]]', 'a]', 'a[@]', 'a[@b]', 'a[@b=]', 'a[@b=c]',
    'a[@b="c]', "a[@b='c]", 'a[@b="c"', 'a[@b="<"]', 'a[@b="&"]', 'a[@b="&foo;"]', 'a[@b="&#0;"]', 'a[@b="&#xD800;"]',
    'a[@b="c"][1]', 'a[1][2]', 'a[1][@b="c"][@d="e"]', 'a[-1]', 'a[ 1]', 'a[1 ]', 'a[@b = "c"]', 'a[@b="c" ]',
    'a[99999999999]', '1a', 'a b', ' a', 'a ', 'a:b:c', ':a', 'a:', '-a', '.a', '@a', 'a/@b/c', 'a/@', 'a/@1', 'a/@b[1]',
    'a/namespace::*/b', 'a/namespace::', 'a/namespace::x', 'namespace::*', '**', '*a', 'a*', '*:a', 'a:*', 'text()', 'a/..',
    'a/.', 'a|b', 'a[@b="c"]x', 'a/b[position()=1]', 'a[last()]', '//a', 'a/@*', 'a\u0000', 'a/b\n', '"a"',
  ];
  for (const text of cases) {
    test(JSON.stringify(text), () => {
      assert.throws(() => parse(text), isBadRequest);
    });
  }
  test('the message says where', () => {
    assert.throws(() => parse('foo/bar[x]'), (e: unknown) => e instanceof BadRequestError && /character 9/.test(e.message));
  });
  test('more steps than allowed', () => {
    assert.throws(() => parse(Array(1000).fill('a').join('/')), isBadRequest);
  });
});

describe('unbound prefixes are 400 and name the prefix', () => {
  for (const text of ['zz:foo', 'foo/zz:bar', 'foo[@zz:a="1"]', 'foo/@zz:a', 'foo/zz:bar/namespace::*', 'foo/bar[2][@zz:a="1"]']) {
    test(text, () => {
      assert.throws(() => parse(text), (e: unknown) => isBadRequest(e) && (e as Error).message.includes("'zz'"));
    });
  }
  test('"xmlns" is never bound', () => {
    assert.throws(() => parse('foo[@xmlns:p="urn:test:p"]'), (e: unknown) => isBadRequest(e) && (e as Error).message.includes("'xmlns'"));
  });
});

describe('random text never throws anything but BadRequestError', () => {
  test('property', () => {
    const piece = fc.constantFrom('a', 'p:', 'zz:', ':', '/', '*', '[', ']', '@', '=', '"', "'", '1', '0', '&amp;', '&', '&#', ';', '<', ' ', 'namespace::*', 'ü', '😀', '\uD800', '(', ')', '.');
    fc.assert(
      fc.property(fc.array(piece, { maxLength: 20 }).map((a) => a.join('')), (text) => {
        try {
          const s = parse(text);
          assert.ok(s.steps.length >= 1);
        } catch (e) {
          assert.ok(isBadRequest(e), `${text}: ${String(e)}`);
        }
      }),
      { numRuns: 2000 },
    );
  });
});

describe('formatNodeSelector writes what parseNodeSelector reads', () => {
  test('property: parse(format(steps)) gives the same steps', () => {
    const name = fc.constantFrom('a', 'é', '名');
    const resolvedElement = fc.oneof(
      fc.constant(null),
      name.map((l) => el(l)),
      name.map((l) => el(l, 'p')),
    );
    const resolvedAttribute = fc.oneof(name.map((l) => att(l)), name.map((l) => att(l, 'q')), fc.constant(att('lang', 'xml')));
    const value = fc.array(fc.constantFrom('v', '"', "'", '&', '<', '>', ']', '/', ' ', '\t', '\n', '\r', '😀', '&amp;'), { maxLength: 6 }).map((a) => a.join(''));
    const st = fc.record({
      name: resolvedElement,
      position: fc.option(fc.integer({ min: 1, max: 50 }), { nil: null }),
      attributeTest: fc.option(fc.record({ name: resolvedAttribute, value }), { nil: null }),
    });
    const terminal = fc.oneof(fc.constant(null), fc.constant({ kind: 'namespace' as const }), resolvedAttribute.map((n) => ({ kind: 'attribute' as const, name: n })));
    fc.assert(
      fc.property(fc.array(st, { minLength: 1, maxLength: 4 }), terminal, (steps, t) => {
        const text = formatNodeSelector(steps, t);
        const parsed = parse(text);
        assert.deepEqual(parsed.steps, steps.map((s) => ({ ...s, attributeTest: s.attributeTest && { ...s.attributeTest } })));
        assert.deepEqual(parsed.terminal, t === null ? null : { ...t });
      }),
      { numRuns: 500 },
    );
  });
});

describe('evaluation: predicates prune in order, each step picks exactly one', () => {
  const doc = parseXmlDocument(
    `<r xmlns="${DEF}" xmlns:p="${P}"><e a="1"/><p:e a="1"/><e a="2"/><f a="1"/><e a="1" b="x"/></r>`,
  );
  const pick = (text: string) => selectedText(doc, text, CTX);
  test('the position counts among the siblings that match the name', () => {
    assert.deepEqual(pick('r/e[2]'), ['<e a="2"/>']);
    assert.deepEqual(pick('r/p:e[1]'), ['<p:e a="1"/>']);
    assert.deepEqual(pick('r/*[2]'), ['<p:e a="1"/>']);
    assert.deepEqual(pick('r/f[1]'), ['<f a="1"/>']);
    assert.deepEqual(pick('r/e[4]'), []);
    assert.deepEqual(pick('r/e[0]'), []);
  });
  test('an attribute test keeps all that match: several is invalid', () => {
    assert.equal(pick('r/e[@a="1"]').length, 2);
    assert.equal(pick('r/*[@a="1"]').length, 4);
    assert.deepEqual(pick('r/e[@b="x"]'), ['<e a="1" b="x"/>']);
  });
  test('by-pos-attr: the n-th, and it must have the value', () => {
    assert.deepEqual(pick('r/e[3][@a="1"]'), ['<e a="1" b="x"/>']);
    assert.deepEqual(pick('r/e[2][@a="1"]'), []);
    assert.deepEqual(pick('r/*[4][@a="1"]'), ['<f a="1"/>']);
  });
  test('the root step', () => {
    assert.equal(pick('r').length, 1);
    assert.equal(pick('*').length, 1);
    assert.equal(pick('r[1]').length, 1);
    assert.deepEqual(pick('r[2]'), []);
    assert.deepEqual(pick('p:r'), []);
  });
  test('a namespace declaration is not an attribute', () => {
    assert.deepEqual(pick(`r[@xmlns="${DEF}"]`), []);
    assert.throws(() => getNode(doc, parse('r/@xmlns')), NotFoundError);
  });
  test('a step that picks several stops the evaluation', () => {
    assert.equal(pick('r/e/x').length, 3);
  });
});

describe('RFC 4825 §6.4: namespace bindings for the selector', () => {
  const SOURCE = `<?xml version="1.0"?>
<foo xmlns="urn:test:default-namespace">
  <ns1:bar xmlns:ns1="urn:test:namespace1-uri"
           xmlns="urn:test:namespace1-uri">
    <baz/>
    <ns2:baz xmlns:ns2="urn:test:namespace2-uri"/>
  </ns1:bar>
  <ns3:hi xmlns:ns3="urn:test:namespace3-uri">
    <there/>
  </ns3:hi>
</foo>`;
  const doc = parseXmlDocument(SOURCE);
  const BASE = 'test/users/sip:joe@example.com/index/~~/';
  const select = (relative: string): string[] => {
    const u = parseXcapPath(BASE + relative);
    return selectedText(doc, u.nodeSelector!, { defaultNamespace: 'urn:test:default-namespace', bindings: u.namespaceBindings });
  };

  test('first URI: both prefixes bound to namespace1 select the first <baz>', () => {
    assert.deepEqual(select('foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace1-uri)'), ['<baz/>']);
  });
  test('second URI: b bound to namespace2 selects the second <baz>', () => {
    assert.deepEqual(select('foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace2-uri)'), ['<ns2:baz xmlns:ns2="urn:test:namespace2-uri"/>']);
  });
  test('third URI: a prefixed root step in the default namespace selects it too', () => {
    assert.deepEqual(
      select('d:foo/a:bar/b:baz?xmlns(a=urn:test:namespace1-uri)xmlns(b=urn:test:namespace2-uri)xmlns(d=urn:test:default-namespace)'),
      ['<ns2:baz xmlns:ns2="urn:test:namespace2-uri"/>'],
    );
  });
  test('names are compared expanded, never by the document\'s prefixes', () => {
    assert.deepEqual(select('foo/bar'), []);
    assert.deepEqual(select('foo/ns1:bar?xmlns(ns1=urn:test:namespace2-uri)'), []);
    assert.deepEqual(select('foo/*[1]/baz'), []);
    assert.equal(select('foo/*/baz').length, 2, 'the * step picks two elements, so evaluation stops there');
    assert.deepEqual(select('foo/*[1]/*[1]'), ['<baz/>']);
    assert.deepEqual(select('foo/x:hi/there?xmlns(x=urn:test:namespace3-uri)'), ['<there/>']);
  });
  test('an unbound prefix in the URI is 400', () => {
    const u = parseXcapPath(`${BASE}foo/a:bar`);
    assert.throws(() => parseNodeSelector(u.nodeSelector!, { defaultNamespace: 'urn:test:default-namespace', bindings: u.namespaceBindings }), isBadRequest);
  });

  test('§10: the namespace bindings of the first <baz>', () => {
    const u = parseXcapPath(`${BASE}df:foo/df2:bar/df2:baz/namespace::*?xmlns(df=urn:test:default-namespace)xmlns(df2=urn:test:namespace1-uri)`);
    const r = getNode(doc, parseNodeSelector(u.nodeSelector!, { defaultNamespace: 'urn:test:default-namespace', bindings: u.namespaceBindings }));
    assert.equal(r.contentType, 'application/xcap-ns+xml');
    // The RFC prints "urn:tes:namespace1-uri" for ns1, a typo: ns1 is declared as urn:test:namespace1-uri.
    assert.equal(r.body, '<baz xmlns="urn:test:namespace1-uri" xmlns:ns1="urn:test:namespace1-uri"/>');
  });
  test('§10: the returned element keeps the document\'s prefix and lists every binding in scope', () => {
    const ctx = { defaultNamespace: 'urn:test:default-namespace', bindings: new Map([['x', 'urn:test:namespace1-uri'], ['y', 'urn:test:namespace2-uri']]) };
    const r = getNode(doc, parseNodeSelector('foo/x:bar/y:baz/namespace::*', ctx));
    const declared = parseXmlDocument(r.body).root;
    assert.equal(declared.qname, 'ns2:baz');
    assert.deepEqual(declared.children, []);
    assert.deepEqual(declared.attributes, []);
    assert.deepEqual(
      new Map(declared.namespaceDeclarations.map((d) => [d.prefix, d.uri])),
      new Map([['', 'urn:test:namespace1-uri'], ['ns1', 'urn:test:namespace1-uri'], ['ns2', 'urn:test:namespace2-uri']]),
    );
    assert.equal(getNode(doc, parseNodeSelector('foo/namespace::*', ctx)).body, '<foo xmlns="urn:test:default-namespace"/>');
  });
});

describe('RFC 4825 §13 examples', () => {
  const RL = 'urn:ietf:params:xml:ns:resource-lists';
  // The document after the §13 PUTs of the friends list, Bob, and the close-friends list.
  const SOURCE = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
  <entry uri="sip:bob@example.com">
    <display-name>Bob Jones</display-name>
  </entry><list name="close-friends">
   <entry uri="sip:joe@example.com">
     <display-name>Joe Smith</display-name>
   </entry>
   <entry uri="sip:nancy@example.com">
     <display-name>Nancy Gross</display-name>
   </entry>
   <entry uri="sip:petri@example.com">
     <display-name>Petri Aukia</display-name>
   </entry>
</list></list>
</resource-lists>`;
  const doc = parseXmlDocument(SOURCE);
  const ctx = { defaultNamespace: RL, bindings: new Map<string, string>() };
  const BASE = 'resource-lists/users/sip:bill@example.com/index/';
  const fromUri = (relative: string) => parseNodeSelector(parseXcapPath(BASE + relative).nodeSelector!, ctx);

  test('resource-lists/list/list/entry[@uri="sip:petri@example.com"] (the DELETE of Petri)', () => {
    const s = fromUri('~~/resource-lists/list/list/entry%5b@uri=%22sip:petri@example.com%22%5d');
    assert.deepEqual(
      selectElements(doc, s.steps).map((e) => SOURCE.slice(e.start, e.end)),
      ['<entry uri="sip:petri@example.com">\n     <display-name>Petri Aukia</display-name>\n   </entry>'],
    );
  });
  test('resource-lists/list/list/entry[2]/@uri is "sip:nancy@example.com"', () => {
    const r = getNode(doc, fromUri('~~/resource-lists/list/list/entry%5b2%5d/@uri'));
    assert.equal(r.body, '"sip:nancy@example.com"');
    assert.equal(r.contentType, 'application/xcap-att+xml');
  });
  test('resource-lists/list[@name="friends"] and the nested list', () => {
    assert.equal(selectElements(doc, fromUri('~~/resource-lists/list%5b@name=%22friends%22%5d').steps).length, 1);
    const nested = selectElements(doc, fromUri('~~/resource-lists/list%5b@name=%22friends%22%5d/list%5b@name=%22close-friends%22%5d').steps);
    assert.equal(nested.length, 1);
    assert.ok(SOURCE.slice(nested[0]!.start).startsWith('<list name="close-friends">'));
  });
  test('resource-lists/list/entry picks Bob, the only entry directly in the outer list', () => {
    assert.equal(getNode(doc, parse('resource-lists/list/entry/@uri', ctx)).body, '"sip:bob@example.com"');
  });
});

describe('RFC 4825 Figure 3 (watcherinfo)', () => {
  const WI = 'urn:ietf:params:xml:ns:watcherinfo';
  const SOURCE = `<?xml version="1.0"?>
<watcherinfo xmlns="urn:ietf:params:xml:ns:watcherinfo"
             version="0" state="full">
  <watcher-list resource="sip:professor@example.net"
                package="presence">
    <watcher status="active"
             id="8ajksjda7s"
             duration-subscribed="509"
             event="approved">sip:userA@example.net</watcher>
    <watcher status="pending"
             id="hh8juja87s997-ass7"
             display-name="Mr. Subscriber"
             event="subscribe">sip:userB@example.org</watcher>
  </watcher-list>
</watcherinfo>`;
  const doc = parseXmlDocument(SOURCE);
  const ctx = { defaultNamespace: WI, bindings: new Map<string, string>() };

  test('watcherinfo/watcher-list/watcher[@id="8ajksjda7s"] selects the first <watcher>', () => {
    const first = SOURCE.slice(SOURCE.indexOf('<watcher status="active"'), SOURCE.indexOf('</watcher>') + '</watcher>'.length);
    assert.deepEqual(selectedText(doc, 'watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]', ctx), [first]);
    assert.equal(getNode(doc, parse('watcherinfo/watcher-list/watcher[@id="8ajksjda7s"]', ctx)).body, first);
  });
  test('§7.4: *[2] is the second watcher; *[2][@id="hhggff"] selects nothing (an insertion)', () => {
    assert.deepEqual(selectedText(doc, 'watcherinfo/watcher-list/*[2]/@id', ctx).length, 1);
    assert.equal(getNode(doc, parse('watcherinfo/watcher-list/*[2]/@id', ctx)).body, '"hh8juja87s997-ass7"');
    assert.deepEqual(selectedText(doc, 'watcherinfo/watcher-list/*[2][@id="hhggff"]', ctx), []);
  });
  test('the unprefixed root step is in the default document namespace', () => {
    assert.deepEqual(selectedText(doc, 'watcherinfo', { defaultNamespace: 'urn:other', bindings: new Map() }), []);
  });
});
