import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import {
  inScopeNamespaces,
  parseAttributeValue,
  parseXmlDocument,
  parseXmlFragment,
} from '../../../src/xcap/xml/parser.js';
import { escapeAttribute, escapeText } from '../../../src/xcap/xml/escape.js';
import {
  XML_NAMESPACE,
  XmlSyntaxError,
  type XmlDocument,
  type XmlElement,
  type XmlNode,
  type XmlText,
} from '../../../src/xcap/xml/tree.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';

function elements(root: XmlElement): XmlElement[] {
  const out: XmlElement[] = [root];
  for (const child of root.children) if (child.kind === 'element') out.push(...elements(child));
  return out;
}

function child(element: XmlElement, index: number): XmlNode {
  const node = element.children[index];
  assert.ok(node, `child ${index} of <${element.qname}>`);
  return node;
}

function childElement(element: XmlElement, index: number): XmlElement {
  const node = child(element, index);
  assert.equal(node.kind, 'element');
  return node as XmlElement;
}

function text(node: XmlNode): string {
  assert.equal(node.kind, 'text');
  return (node as XmlText).value;
}

/** Asserts that parsing throws an XmlSyntaxError with this reason and a message matching `message`. */
function rejects(
  source: string,
  reason: XmlSyntaxError['reason'],
  message: RegExp,
  parse: (s: string) => unknown = (s) => parseXmlDocument(s),
  positioned = true,
): XmlSyntaxError {
  let caught: unknown;
  try {
    parse(source);
  } catch (error) {
    caught = error;
  }
  assert.ok(caught instanceof XmlSyntaxError, `expected an XmlSyntaxError for ${JSON.stringify(source)}, got ${String(caught)}`);
  assert.equal(caught.reason, reason, caught.message);
  assert.match(caught.message, message);
  if (positioned) assert.match(caught.message, /^line \d+, column \d+: /);
  return caught;
}

const RESOURCE_LISTS = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}" xmlns:cp="urn:example:cp">
  <list name="friends">
    <!-- close friends -->
    <entry uri="sip:bob@example.com" cp:copy='yes'>
      <display-name>Bob &amp; Alice</display-name>
    </entry>
    <entry uri="sip:carol@example.com"/>
    <?app hint?>
  </list>
</resource-lists>
`;

describe('parseXmlDocument: structure and offsets', () => {
  const doc = parseXmlDocument(RESOURCE_LISTS);

  test('records the XML declaration', () => {
    assert.equal(doc.declarationEnd, RESOURCE_LISTS.indexOf('?>') + 2);
    assert.equal(doc.declaredEncoding, 'UTF-8');
    assert.equal(doc.source, RESOURCE_LISTS);
  });

  test('every element slice reproduces its source exactly', () => {
    const all = elements(doc.root);
    assert.deepEqual(
      all.map((e) => e.qname),
      ['resource-lists', 'list', 'entry', 'display-name', 'entry'],
    );
    const expected = [
      RESOURCE_LISTS.slice(RESOURCE_LISTS.indexOf('<resource-lists'), RESOURCE_LISTS.lastIndexOf('\n')),
      RESOURCE_LISTS.slice(RESOURCE_LISTS.indexOf('<list'), RESOURCE_LISTS.indexOf('</list>') + 7),
      RESOURCE_LISTS.slice(RESOURCE_LISTS.indexOf('<entry'), RESOURCE_LISTS.indexOf('</entry>') + 8),
      '<display-name>Bob &amp; Alice</display-name>',
      '<entry uri="sip:carol@example.com"/>',
    ];
    assert.deepEqual(
      all.map((e) => RESOURCE_LISTS.slice(e.start, e.end)),
      expected,
    );
  });

  test('start and end tag offsets', () => {
    const entry = childElement(childElement(doc.root, 1), 3);
    assert.equal(RESOURCE_LISTS.slice(entry.start, entry.startTagEnd), `<entry uri="sip:bob@example.com" cp:copy='yes'>`);
    assert.equal(RESOURCE_LISTS.slice(entry.endTagStart, entry.end), '</entry>');
    assert.equal(entry.selfClosing, false);
    const carol = childElement(childElement(doc.root, 1), 5);
    assert.equal(carol.selfClosing, true);
    assert.equal(carol.endTagStart, carol.end);
    assert.equal(carol.startTagEnd, carol.end);
    assert.deepEqual(carol.children, []);
  });

  test('attribute offsets, quotes and values', () => {
    const entry = childElement(childElement(doc.root, 1), 3);
    const [uri, copy] = entry.attributes;
    assert.ok(uri && copy);
    assert.equal(RESOURCE_LISTS.slice(uri.start, uri.end), 'uri="sip:bob@example.com"');
    assert.equal(RESOURCE_LISTS.slice(uri.valueStart, uri.valueEnd), 'sip:bob@example.com');
    assert.equal(uri.value, 'sip:bob@example.com');
    assert.equal(uri.quote, '"');
    assert.equal(RESOURCE_LISTS.slice(copy.start, copy.end), "cp:copy='yes'");
    assert.equal(copy.quote, "'");
    assert.equal(RESOURCE_LISTS.slice(copy.valueStart, copy.valueEnd), 'yes');
  });

  test('parents link back', () => {
    for (const e of elements(doc.root)) {
      for (const c of e.children) if (c.kind === 'element') assert.equal(c.parent, e);
    }
    assert.equal(doc.root.parent, null);
  });

  test('keeps whitespace, comments and PIs as nodes, with exact spans', () => {
    const list = childElement(doc.root, 1);
    assert.deepEqual(
      list.children.map((n) => n.kind),
      ['text', 'comment', 'text', 'element', 'text', 'element', 'text', 'pi', 'text'],
    );
    assert.equal(text(child(list, 0)), '\n    ');
    const comment = child(list, 1);
    assert.equal(RESOURCE_LISTS.slice(comment.start, comment.end), '<!-- close friends -->');
    const pi = child(list, 7);
    assert.equal(pi.kind === 'pi' && pi.target, 'app');
    assert.equal(RESOURCE_LISTS.slice(pi.start, pi.end), '<?app hint?>');
    // Every child span is contiguous with the next: nothing is lost for splicing.
    let at = list.startTagEnd;
    for (const node of list.children) {
      assert.equal(node.start, at);
      at = node.end;
    }
    assert.equal(at, list.endTagStart);
  });

  test('references in text are expanded into one text node', () => {
    const name = childElement(childElement(childElement(doc.root, 1), 3), 1);
    assert.equal(name.children.length, 1);
    const node = child(name, 0);
    assert.equal(text(node), 'Bob & Alice');
    assert.equal(RESOURCE_LISTS.slice(node.start, node.end), 'Bob &amp; Alice');
  });

  test('CDATA is its own node, between text nodes', () => {
    const source = '<a>x &lt; <![CDATA[<raw> & ]]]]> y</a>';
    const a = parseXmlDocument(source).root;
    assert.deepEqual(
      a.children.map((n) => n.kind),
      ['text', 'cdata', 'text'],
    );
    assert.equal(text(child(a, 0)), 'x < ');
    const cdata = child(a, 1);
    assert.equal(cdata.kind === 'cdata' && cdata.value, '<raw> & ]]');
    assert.equal(source.slice(cdata.start, cdata.end), '<![CDATA[<raw> & ]]]]>');
    assert.equal(text(child(a, 2)), ' y');
  });

  test('character references, decimal and hex, including astral characters', () => {
    const a = parseXmlDocument('<a v="&#65;&#x42;&#x1F600;">&#169;&#xa9;&#128512;&quot;&apos;&gt;</a>').root;
    assert.equal(a.attributes[0]?.value, 'AB😀');
    assert.equal(text(child(a, 0)), '©©😀"\'>');
  });

  test('end tags may have whitespace before >', () => {
    const source = '<a><b></b \n></a\t>';
    const doc = parseXmlDocument(source);
    assert.equal(doc.root.end, source.length);
    const b = childElement(doc.root, 0);
    assert.equal(source.slice(b.endTagStart, b.end), '</b \n>');
  });

  test('whitespace around = and inside tags', () => {
    const source = '<a  x = "1"\n\ty=\'2\' />';
    const a = parseXmlDocument(source).root;
    assert.deepEqual(
      a.attributes.map((x) => [x.qname, x.value, source.slice(x.start, x.end)]),
      [
        ['x', '1', 'x = "1"'],
        ['y', '2', "y='2'"],
      ],
    );
    assert.equal(a.selfClosing, true);
  });

  test('a document without a declaration', () => {
    const doc = parseXmlDocument('<a/>');
    assert.equal(doc.declarationEnd, 0);
    assert.equal(doc.declaredEncoding, null);
  });

  test('comments and PIs before and after the root, and a declaration with standalone', () => {
    const source = `<?xml version='1.1' standalone="yes" ?>\n<!-- c --><?p x?>\n<a/>\n<!-- d -->\n`;
    const doc = parseXmlDocument(source);
    assert.equal(doc.root.start, source.indexOf('<a/>'));
    assert.equal(doc.declaredEncoding, null);
    assert.equal(source.slice(0, doc.declarationEnd), `<?xml version='1.1' standalone="yes" ?>`);
  });

  test('a PI whose target only starts with xml is fine', () => {
    const doc = parseXmlDocument('<?xml version="1.0"?><?xml-stylesheet href="s.xsl"?><a><?xml-x?></a>');
    const pi = child(doc.root, 0);
    assert.equal(pi.kind === 'pi' && pi.target, 'xml-x');
  });

  test('a leading byte order mark is skipped; offsets still index the given string', () => {
    const source = '\uFEFF<?xml version="1.0"?><a>x</a>';
    const doc = parseXmlDocument(source);
    assert.equal(doc.root.start, 22);
    assert.equal(source.slice(doc.root.start, doc.root.end), '<a>x</a>');
    assert.equal(doc.declarationEnd, 22);
    assert.equal(parseXmlDocument('\uFEFF<a/>').root.start, 1);
  });
});

describe('parseXmlDocument: non-ASCII and line ends', () => {
  test('non-ASCII names and text', () => {
    const source = '<名前 Straße="Müller"><Ωmega>Grüße 😀 日本語</Ωmega><x😀/></名前>';
    const root = parseXmlDocument(source).root;
    assert.equal(root.localName, '名前');
    assert.equal(root.attributes[0]?.qname, 'Straße');
    assert.equal(root.attributes[0]?.value, 'Müller');
    const omega = childElement(root, 0);
    assert.equal(omega.qname, 'Ωmega');
    assert.equal(text(child(omega, 0)), 'Grüße 😀 日本語');
    assert.equal(source.slice(omega.start, omega.end), '<Ωmega>Grüße 😀 日本語</Ωmega>');
    const emojiNamed = childElement(root, 1);
    assert.equal(emojiNamed.qname, 'x😀');
    assert.equal(source.slice(emojiNamed.start, emojiNamed.end), '<x😀/>');
  });

  test('error columns count characters, not UTF-16 units', () => {
    rejects('<a>😀😀&bad;</a>', 'syntax', /^line 1, column 6: undefined entity &bad;/);
  });

  test('CRLF and CR become LF in text values; offsets stay in the source', () => {
    const source = '<a>\r\n  x\ry\r\n</a>';
    const a = parseXmlDocument(source).root;
    const node = child(a, 0);
    assert.equal(text(node), '\n  x\ny\n');
    assert.equal(source.slice(node.start, node.end), '\r\n  x\ry\r\n');
  });

  test('CRLF in CDATA is normalized too', () => {
    const cdata = child(parseXmlDocument('<a><![CDATA[x\r\ny]]></a>').root, 0);
    assert.equal(cdata.kind === 'cdata' && cdata.value, 'x\ny');
  });

  test('a CR written as a reference is kept', () => {
    assert.equal(text(child(parseXmlDocument('<a>x&#13;&#xD;y</a>').root, 0)), 'x\r\ry');
  });

  test('errors report lines after CRLF, CR and LF', () => {
    rejects('<a>\r\n<b>\r</c>\n</a>', 'syntax', /^line 3, column 1: end tag <\/c> does not match start tag <b>/);
  });
});

describe('parseXmlDocument: attribute value normalization (XML 1.0 §3.3.3)', () => {
  test('literal tab, LF and CR become spaces; CRLF becomes one space', () => {
    const a = parseXmlDocument('<a v="x\ty\nz\r\nw\rv"/>').root;
    assert.equal(a.attributes[0]?.value, 'x y z w v');
  });

  test('whitespace character references are kept as the character', () => {
    const a = parseXmlDocument('<a v="x&#9;y&#10;z&#13;w&#x20;"/>').root;
    assert.equal(a.attributes[0]?.value, 'x\ty\nz\rw ');
  });

  test('no trimming or collapsing of spaces (CDATA attributes)', () => {
    assert.equal(parseXmlDocument('<a v="  x   y  "/>').root.attributes[0]?.value, '  x   y  ');
  });

  test('entities and > in values', () => {
    const a = parseXmlDocument(`<a v='&lt;&amp;&gt;&quot;"&apos;]]>'/>`).root;
    assert.equal(a.attributes[0]?.value, `<&>""']]>`);
  });
});

describe('parseXmlDocument: namespaces', () => {
  test('default namespace applies to elements, not to unprefixed attributes', () => {
    const root = parseXmlDocument(`<r xmlns="${RL}" a="1"><c/></r>`).root;
    assert.equal(root.namespace, RL);
    assert.equal(root.prefix, null);
    assert.equal(childElement(root, 0).namespace, RL);
    assert.equal(root.attributes[0]?.namespace, null);
    assert.deepEqual(root.namespaceDeclarations, [{ prefix: '', uri: RL, start: 3, end: 3 + `xmlns="${RL}"`.length }]);
  });

  test('namespace declarations are not attributes', () => {
    const root = parseXmlDocument('<r xmlns="urn:a" xmlns:p="urn:p" x="1"/>').root;
    assert.deepEqual(
      root.attributes.map((a) => a.qname),
      ['x'],
    );
    assert.deepEqual(
      root.namespaceDeclarations.map((d) => [d.prefix, d.uri]),
      [
        ['', 'urn:a'],
        ['p', 'urn:p'],
      ],
    );
  });

  test('prefixed elements and attributes', () => {
    const root = parseXmlDocument('<p:r xmlns:p="urn:p" xmlns:q="urn:q" q:x="1" y="2"><q:c p:z="3"/></p:r>').root;
    assert.equal(root.qname, 'p:r');
    assert.equal(root.prefix, 'p');
    assert.equal(root.localName, 'r');
    assert.equal(root.namespace, 'urn:p');
    const [x, y] = root.attributes;
    assert.deepEqual([x?.prefix, x?.localName, x?.namespace], ['q', 'x', 'urn:q']);
    assert.deepEqual([y?.prefix, y?.localName, y?.namespace], [null, 'y', null]);
    const c = childElement(root, 0);
    assert.equal(c.namespace, 'urn:q');
    assert.equal(c.attributes[0]?.namespace, 'urn:p');
  });

  test('a prefix may be used in the start tag before its declaration', () => {
    const root = parseXmlDocument('<p:r p:a="1" xmlns:p="urn:p"/>').root;
    assert.equal(root.namespace, 'urn:p');
    assert.equal(root.attributes[0]?.namespace, 'urn:p');
  });

  test('redeclared prefixes and defaults, scoped to the element', () => {
    const root = parseXmlDocument(
      '<p:r xmlns:p="urn:1" xmlns="urn:d"><p:c xmlns:p="urn:2"><p:g/></p:c><p:s/><e xmlns="urn:e"/><f/></p:r>',
    ).root;
    const c = childElement(root, 0);
    assert.equal(c.namespace, 'urn:2');
    assert.equal(childElement(c, 0).namespace, 'urn:2');
    assert.equal(childElement(root, 1).namespace, 'urn:1');
    assert.equal(childElement(root, 2).namespace, 'urn:e');
    assert.equal(childElement(root, 3).namespace, 'urn:d');
  });

  test('xmlns="" undeclares the default namespace', () => {
    const root = parseXmlDocument('<r xmlns="urn:d"><a xmlns=""><b/></a><c/></r>').root;
    const a = childElement(root, 0);
    assert.equal(a.namespace, null);
    assert.equal(childElement(a, 0).namespace, null);
    assert.equal(childElement(root, 1).namespace, 'urn:d');
  });

  test('the xml prefix is predeclared and may be declared to its own URI', () => {
    const root = parseXmlDocument(`<r xml:lang="en"><c xmlns:xml="${XML_NAMESPACE}" xml:space="preserve"/></r>`).root;
    assert.equal(root.attributes[0]?.namespace, XML_NAMESPACE);
    assert.equal(childElement(root, 0).attributes[0]?.namespace, XML_NAMESPACE);
  });

  test('unbound prefixes are refused, on elements and on attributes', () => {
    rejects('<p:a/>', 'namespace', /prefix p of the element <p:a> is not bound/);
    rejects('<a q:x="1"/>', 'namespace', /prefix q of the attribute q:x is not bound/);
    // The declaration on a sibling does not count.
    rejects('<r><a xmlns:p="urn:p"/><p:b/></r>', 'namespace', /prefix p of the element <p:b>/);
  });

  test('the same expanded attribute name twice is refused', () => {
    rejects('<a xmlns:p="urn:x" xmlns:q="urn:x" p:n="1" q:n="2"/>', 'namespace', /same expanded name \{urn:x\}n/);
    // Different namespaces, or one unprefixed, are fine.
    parseXmlDocument('<a xmlns:p="urn:x" xmlns:q="urn:y" p:n="1" q:n="2" n="3"/>');
  });

  test('the same expanded attribute name among many attributes', () => {
    const decls = Array.from({ length: 20 }, (_, i) => `xmlns:p${i}="urn:${i}"`).join(' ');
    const attrs = Array.from({ length: 20 }, (_, i) => `p${i}:n="${i}"`).join(' ');
    assert.equal(parseXmlDocument(`<a ${decls} ${attrs}/>`).root.attributes.length, 20);
    rejects(`<a ${decls} xmlns:dup="urn:7" ${attrs} dup:n="x"/>`, 'namespace', /attributes p7:n and dup:n .* \{urn:7\}n/);
  });

  test('deep scopes with many declarations resolve correctly', () => {
    const depth = 100;
    let open = '';
    for (let d = 0; d < depth; d++) {
      open += `<s ${Array.from({ length: 20 }, (_, i) => `xmlns:p${i}="urn:${d}:${i}"`).join(' ')}>`;
    }
    const leaves = '<p3:leaf/><leaf/>'.repeat(2000);
    const root = parseXmlDocument(`<r xmlns="urn:d">${open}${leaves}${'</s>'.repeat(depth)}<p3:after xmlns:p3="urn:x"/></r>`).root;
    let inner = childElement(root, 0);
    while (inner.children[0]?.kind === 'element' && (inner.children[0] as XmlElement).qname === 's') inner = childElement(inner, 0);
    assert.equal(childElement(inner, 0).namespace, `urn:${depth - 1}:3`);
    assert.equal(childElement(inner, 1).namespace, 'urn:d');
    assert.equal(childElement(root, 1).namespace, 'urn:x');
  });

  test('Namespaces 1.0 rules on declarations', () => {
    rejects('<a xmlns:p=""/>', 'namespace', /xmlns:p="" is not allowed/);
    rejects('<a xmlns:xml="urn:other"/>', 'namespace', /prefix xml may only be bound to/);
    rejects(`<a xmlns:x="${XML_NAMESPACE}"/>`, 'namespace', /only the prefix xml may be bound/);
    rejects(`<a xmlns="${XML_NAMESPACE}"/>`, 'namespace', /only the prefix xml may be bound/);
    rejects('<a xmlns:xmlns="urn:x"/>', 'namespace', /prefix xmlns must not be declared/);
    rejects('<a xmlns:p="http://www.w3.org/2000/xmlns/"/>', 'namespace', /no prefix may be bound/);
    rejects('<xmlns:a/>', 'namespace', /must not have the prefix xmlns/);
  });

  test('names must be QNames', () => {
    rejects('<a:b:c xmlns:a="urn:a"/>', 'namespace', /more than one colon/);
    rejects('<:a/>', 'namespace', /empty prefix or local part/);
    rejects('<a: xmlns:a="urn:a"/>', 'namespace', /empty prefix or local part/);
    rejects('<a:1 xmlns:a="urn:a"/>', 'namespace', /local part of the name a:1/);
    rejects('<a x:y:z="1"/>', 'namespace', /more than one colon/);
    rejects('<a><?a:b?></a>', 'namespace', /must not contain a colon/);
  });
});

describe('inScopeNamespaces', () => {
  test('nearest declaration wins, xml is always there', () => {
    const root = parseXmlDocument('<r xmlns="urn:d" xmlns:p="urn:1" xmlns:q="urn:q"><c xmlns:p="urn:2"><g/></c></r>').root;
    const g = childElement(childElement(root, 0), 0);
    assert.deepEqual(
      inScopeNamespaces(g),
      new Map([
        ['p', 'urn:2'],
        ['', 'urn:d'],
        ['q', 'urn:q'],
        ['xml', XML_NAMESPACE],
      ]),
    );
  });

  test('an undeclared default namespace is absent', () => {
    const root = parseXmlDocument('<r xmlns="urn:d"><c xmlns=""/></r>').root;
    assert.equal(inScopeNamespaces(childElement(root, 0)).has(''), false);
    assert.equal(inScopeNamespaces(root).get(''), 'urn:d');
  });

  test('a document without declarations has only xml', () => {
    assert.deepEqual(inScopeNamespaces(parseXmlDocument('<r/>').root), new Map([['xml', XML_NAMESPACE]]));
  });
});

describe('parseXmlDocument: well-formedness errors', () => {
  test('mismatched end tag, with the position and both names', () => {
    const source = '<resource-lists>\n  <list>\n    <entry></list>\n';
    const error = rejects(source, 'syntax', /^line 3, column 12: end tag <\/list> does not match start tag <entry>/);
    assert.equal(error.offset, source.indexOf('</list>'));
  });

  test('unclosed elements and tags', () => {
    rejects('<a><b></b>', 'syntax', /end of input: element <a> started at line 1, column 1 is not closed/);
    rejects('<a', 'syntax', /end of input inside the start tag <a>/);
    rejects('<a x="1"', 'syntax', /end of input inside the start tag <a>/);
    rejects('<a></a', 'syntax', /expected '>' to close the end tag <\/a>/);
    rejects('<a></a b>', 'syntax', /expected '>' to close the end tag <\/a>/);
    rejects('<a/', 'syntax', /expected '>' after '\/'/);
    rejects('<a></>', 'syntax', /expected an element name after '<\/'/);
    rejects('<a></ab>', 'syntax', /end tag <\/ab> does not match start tag <a>/);
  });

  test('root element rules', () => {
    rejects('', 'syntax', /no root element/);
    rejects('  <!-- only a comment -->  ', 'syntax', /no root element/);
    rejects('<a/><b/>', 'syntax', /only one root element/);
    rejects('hello<a/>', 'syntax', /text is not allowed before the root element/);
    rejects('<a/>hello', 'syntax', /text is not allowed after the root element/);
    rejects('<a/>&amp;', 'syntax', /text is not allowed after the root element/);
    rejects('<a/><![CDATA[x]]>', 'syntax', /CDATA section is not allowed outside the root element/);
  });

  test('bad names', () => {
    rejects('<1a/>', 'syntax', /expected an element name after '<'/);
    rejects('< a/>', 'syntax', /expected an element name/);
    rejects('<a 1="x"/>', 'syntax', /expected an attribute name/);
    rejects('<a\u00D7/>', 'syntax', /expected whitespace, '>' or '\/>' in the start tag <a>/);
  });

  test('attribute syntax', () => {
    rejects('<a x/>', 'syntax', /expected '=' after the attribute name x/);
    rejects('<a x=1/>', 'syntax', /value of the attribute x must be in quotes/);
    rejects('<a x="1/>', 'syntax', /value of the attribute x is not closed/);
    rejects(`<a x="1'/>`, 'syntax', /value of the attribute x is not closed/);
    rejects('<a x="1"y="2"/>', 'syntax', /expected whitespace, '>' or '\/>' in the start tag <a>/);
    rejects('<a x="a<b"/>', 'syntax', /'<' is not allowed in the value of the attribute x/);
  });

  test('duplicate attributes', () => {
    rejects('<a x="1" x="2"/>', 'syntax', /attribute x appears more than once/);
    rejects('<a xmlns:p="urn:1" xmlns:p="urn:2"/>', 'syntax', /attribute xmlns:p appears more than once/);
    rejects('<a xmlns="urn:1" xmlns="urn:2"/>', 'syntax', /attribute xmlns appears more than once/);
    // Past the point where a set takes over from the linear scan.
    const many = Array.from({ length: 40 }, (_, i) => `a${i}="${i}"`).join(' ');
    rejects(`<e ${many} a33="again"/>`, 'syntax', /attribute a33 appears more than once/);
    assert.equal(parseXmlDocument(`<e ${many}/>`).root.attributes.length, 40);
  });

  test('references', () => {
    rejects('<a>&nbsp;</a>', 'syntax', /undefined entity &nbsp;/);
    rejects('<a x="&foo;"/>', 'syntax', /undefined entity &foo;/);
    rejects('<a>a & b</a>', 'syntax', /'&' must start an entity or character reference/);
    rejects('<a>&amp</a>', 'syntax', /entity reference &amp is not terminated by ';'/);
    rejects('<a x="&lt"/>', 'syntax', /entity reference &lt is not terminated/);
    rejects('<a>&#;</a>', 'syntax', /malformed character reference/);
    rejects('<a>&#x;</a>', 'syntax', /malformed character reference/);
    rejects('<a>&#X41;</a>', 'syntax', /malformed character reference/);
    rejects('<a>&#12a;</a>', 'syntax', /malformed character reference/);
    rejects('<a>&#65</a>', 'syntax', /malformed character reference/);
  });

  test('character references must name legal characters', () => {
    for (const ref of ['&#0;', '&#x0;', '&#1;', '&#xB;', '&#xD800;', '&#xDFFF;', '&#xFFFE;', '&#xFFFF;', '&#x110000;', '&#99999999999999999999;']) {
      rejects(`<a>${ref}</a>`, 'syntax', /does not refer to a legal XML character/);
      rejects(`<a v="${ref}"/>`, 'syntax', /does not refer to a legal XML character/);
    }
  });

  test('illegal characters anywhere', () => {
    for (const bad of ['\u0000', '\u0001', '\u0008', '\u000B', '\u000C', '\u001F', '\uFFFE', '\uFFFF']) {
      const code = bad.charCodeAt(0).toString(16).toUpperCase().padStart(4, '0');
      rejects(`<a>${bad}</a>`, 'syntax', new RegExp(`character U\\+${code} is not allowed`));
      rejects(`<a x="${bad}"/>`, 'syntax', /is not allowed in XML/);
      rejects(`<a><!-- ${bad} --></a>`, 'syntax', /is not allowed in XML/);
      rejects(`<a${bad}/>`, 'syntax', /is not allowed in XML/);
    }
  });

  test('unpaired surrogates are refused, pairs are fine', () => {
    rejects('<a>\uD83D</a>', 'syntax', /unpaired surrogate U\+D83D/);
    rejects('<a>\uDE00x</a>', 'syntax', /unpaired surrogate U\+DE00/);
    rejects('<a>\uDE00\uD83D</a>', 'syntax', /unpaired surrogate U\+DE00/);
    rejects('<a x="\uD83D"/>', 'syntax', /unpaired surrogate/);
    assert.equal(text(child(parseXmlDocument('<a>\uD83D\uDE00</a>').root, 0)), '😀');
    // The first offending character is the one reported.
    rejects('<a>\uD800\u0001</a>', 'syntax', /^line 1, column 4: unpaired surrogate U\+D800/);
    rejects('<a>\u0001\uD800</a>', 'syntax', /^line 1, column 4: character U\+0001/);
    assert.equal(text(child(parseXmlDocument(`<a>${'😀'.repeat(1000)}</a>`).root, 0)).length, 2000);
  });

  test(']]> is not allowed in text', () => {
    rejects('<a>x]]>y</a>', 'syntax', /']]>' is not allowed in text/);
    rejects('<a><![CDATA[x]]>]]></a>', 'syntax', /']]>' is not allowed in text/);
    // ]] and > apart are fine.
    assert.equal(text(child(parseXmlDocument('<a>]] > ]></a>').root, 0)), ']] > ]>');
  });

  test('comments', () => {
    rejects('<a><!-- a -- b --></a>', 'syntax', /'--' is not allowed inside a comment/);
    rejects('<a><!-- a ---></a>', 'syntax', /may not end with '--->'/);
    rejects('<!-- x --- --><a/>', 'syntax', /'--' is not allowed inside a comment/);
    rejects('<a><!-- open</a>', 'syntax', /comment is not closed/);
    rejects('<a><!- x --></a>', 'syntax', /expected a comment or a CDATA section/);
    const doc = parseXmlDocument('<a><!----><!-- - --></a>');
    assert.deepEqual(
      doc.root.children.map((n) => n.kind),
      ['comment', 'comment'],
    );
  });

  test('processing instructions', () => {
    rejects('<a><?xml version="1.0"?></a>', 'syntax', /XML declaration is only allowed at the very start/);
    rejects(' <?xml version="1.0"?><a/>', 'syntax', /XML declaration is only allowed at the very start/);
    rejects('<a/><?xml version="1.0"?>', 'syntax', /XML declaration is only allowed at the very start/);
    rejects('<a><?XmL x?></a>', 'syntax', /target XmL is reserved/);
    rejects('<a><?pi</a>', 'syntax', /expected whitespace or '\?>'/);
    rejects('<a><?pi x</a>', 'syntax', /processing instruction is not closed/);
    rejects('<a><? pi?></a>', 'syntax', /expected a processing instruction target/);
  });

  test('CDATA sections must be closed', () => {
    rejects('<a><![CDATA[x</a>', 'syntax', /CDATA section is not closed/);
  });

  test('the XML declaration', () => {
    rejects('<?xml?><a/>', 'syntax', /must start with a version/);
    rejects('<?xml encoding="UTF-8"?><a/>', 'syntax', /'encoding' is out of place/);
    rejects('<?xml version="1.0" standalone="yes" encoding="UTF-8"?><a/>', 'syntax', /'encoding' is out of place/);
    rejects('<?xml version="1.0" version="1.0"?><a/>', 'syntax', /'version' is out of place/);
    rejects('<?xml version="2.0"?><a/>', 'syntax', /unsupported XML version '2.0'/);
    rejects('<?xml version="1.0" encoding="8bit"?><a/>', 'syntax', /invalid encoding name '8bit'/);
    rejects('<?xml version="1.0" standalone="maybe"?><a/>', 'syntax', /standalone must be 'yes' or 'no'/);
    rejects('<?xml version="1.0" foo="bar"?><a/>', 'syntax', /unknown item 'foo'/);
    rejects('<?xml version="1.0\'?><a/>', 'syntax', /must start with a version/);
    rejects('<?xml version="1.0"encoding="UTF-8"?><a/>', 'syntax', /expected '\?>'/);
    rejects('<?xml version="1.0"', 'syntax', /expected '\?>'/);
    assert.equal(parseXmlDocument('<?xml version="1.0" encoding=\'iso-8859-1\'?><a/>').declaredEncoding, 'iso-8859-1');
    const spaced = '<?xml\tversion = "1.0"\n encoding= "utf-8"  standalone ="no" ?>\n<a/>';
    const doc = parseXmlDocument(spaced);
    assert.equal(doc.declaredEncoding, 'utf-8');
    assert.equal(doc.declarationEnd, spaced.indexOf('?>') + 2);
  });

  test('unexpected markup declarations', () => {
    rejects('<!ELEMENT a ANY><a/>', 'syntax', /unexpected '<!'/);
    rejects('<a><!ENTITY x "y"></a>', 'syntax', /unexpected '<!'/);
  });
});

describe('parseXmlDocument: DTDs are refused', () => {
  test('a plain DOCTYPE', () => {
    const error = rejects('<?xml version="1.0"?>\n<!DOCTYPE a>\n<a/>', 'doctype', /DTDs are not supported/);
    assert.equal(error.offset, 22);
  });

  test('XXE', () => {
    rejects(
      '<?xml version="1.0"?><!DOCTYPE foo [<!ENTITY xxe SYSTEM "file:///etc/passwd">]><foo>&xxe;</foo>',
      'doctype',
      /document type declarations/,
    );
  });

  test('billion laughs', () => {
    const lol = [
      '<?xml version="1.0"?>',
      '<!DOCTYPE lolz [',
      ' <!ENTITY lol "lol">',
      ...Array.from({ length: 9 }, (_, i) => ` <!ENTITY lol${i + 1} "${`&lol${i === 0 ? '' : i};`.repeat(10)}">`),
      ']>',
      '<lolz>&lol9;</lolz>',
    ].join('\n');
    rejects(lol, 'doctype', /DTDs are not supported/);
  });

  test('a DOCTYPE inside the root or in a fragment', () => {
    rejects('<a><!DOCTYPE a></a>', 'doctype', /DTDs/);
    rejects('<!DOCTYPE a><a/>', 'doctype', /DTDs/, (s) => parseXmlFragment(s, new Map()));
  });
});

describe('parseXmlDocument: limits', () => {
  test('maxLength', () => {
    const error = rejects(
      '<a>0123456789</a>',
      'too-large',
      /^the XML text is 17 characters long, more than the limit of 10$/,
      (s) => parseXmlDocument(s, { maxLength: 10 }),
      false,
    );
    assert.equal(error.offset, 10);
    assert.equal(parseXmlDocument('<a>12</a>', { maxLength: 9 }).root.qname, 'a');
  });

  test('maxDepth', () => {
    const nested = (n: number) => '<a>'.repeat(n) + '</a>'.repeat(n);
    assert.equal(elements(parseXmlDocument(nested(5), { maxDepth: 5 }).root).length, 5);
    rejects(nested(6), 'too-deep', /nested more than 5 deep/, (s) => parseXmlDocument(s, { maxDepth: 5 }));
    rejects('<a><a><a/></a></a>', 'too-deep', /nested more than 2 deep/, (s) => parseXmlDocument(s, { maxDepth: 2 }));
  });

  test('the default depth limit stops deep nesting cheaply', () => {
    rejects('<a>'.repeat(100_000), 'too-deep', /nested more than 256 deep/);
  });

  test('maxAttributes counts namespace declarations too', () => {
    assert.equal(parseXmlDocument('<a x="1" y="2"/>', { maxAttributes: 2 }).root.attributes.length, 2);
    rejects('<a x="1" y="2" z="3"/>', 'too-large', /more than 2 attributes/, (s) => parseXmlDocument(s, { maxAttributes: 2 }));
    rejects('<a xmlns="urn:x" y="2" z="3"/>', 'too-large', /more than 2 attributes/, (s) =>
      parseXmlDocument(s, { maxAttributes: 2 }),
    );
  });
});

describe('parseXmlFragment', () => {
  const scope = new Map([
    ['', RL],
    ['cp', 'urn:example:cp'],
  ]);

  test('a single element, offsets into the fragment', () => {
    const source = '<entry uri="sip:a@example.com"><display-name>A</display-name></entry>';
    const entry = parseXmlFragment(source, scope);
    assert.equal(entry.qname, 'entry');
    assert.equal(entry.namespace, RL);
    assert.equal(entry.start, 0);
    assert.equal(entry.end, source.length);
    assert.equal(entry.parent, null);
    assert.equal(childElement(entry, 0).namespace, RL);
  });

  test('surrounding whitespace, comments, PIs and a leading XML declaration', () => {
    const source = '<?xml version="1.0" encoding="UTF-8"?>\n<!-- new -->\n  <entry uri="x"/>\n<?done?>\n';
    const entry = parseXmlFragment(source, scope);
    assert.equal(source.slice(entry.start, entry.end), '<entry uri="x"/>');
  });

  test('prefixes resolve through the fragment first, then inScope', () => {
    const e = parseXmlFragment('<cp:entry xmlns:x="urn:x" x:a="1" cp:b="2"/>', scope);
    assert.equal(e.namespace, 'urn:example:cp');
    assert.deepEqual(
      e.attributes.map((a) => a.namespace),
      ['urn:x', 'urn:example:cp'],
    );
    const own = parseXmlFragment('<cp:entry xmlns:cp="urn:own" xmlns="urn:d"><c/></cp:entry>', scope);
    assert.equal(own.namespace, 'urn:own');
    assert.equal(childElement(own, 0).namespace, 'urn:d');
  });

  test('unbound prefixes are still refused', () => {
    rejects('<zz:entry/>', 'namespace', /prefix zz/, (s) => parseXmlFragment(s, scope));
  });

  test('an empty default in inScope means no namespace', () => {
    assert.equal(parseXmlFragment('<a/>', new Map([['', '']])).namespace, null);
    assert.equal(parseXmlFragment('<a/>', new Map()).namespace, null);
  });

  test('inScopeNamespaces of a fragment includes the bindings it was parsed in', () => {
    const e = parseXmlFragment('<entry xmlns:x="urn:x"><c xmlns=""/></entry>', scope);
    assert.deepEqual(
      inScopeNamespaces(e),
      new Map([
        ['x', 'urn:x'],
        ['', RL],
        ['cp', 'urn:example:cp'],
        ['xml', XML_NAMESPACE],
      ]),
    );
    assert.equal(inScopeNamespaces(childElement(e, 0)).has(''), false);
  });

  test('not a single element: the message starts so, the position comes last', () => {
    const frag = (s: string) => parseXmlFragment(s, scope);
    const notSingle = (source: string, detail: RegExp): XmlSyntaxError => {
      const error = rejects(source, 'syntax', /^not a single element: /, frag, false);
      assert.match(error.message, detail);
      return error;
    };
    const two = notSingle('<a/><b/>', /^not a single element: more than one top-level element \(line 1, column 5\)$/);
    assert.equal(two.offset, 4);
    notSingle('just text', /text outside the element/);
    notSingle('<a/> trailing', /text outside the element \(line 1, column 6\)/);
    notSingle('x<a/>', /text outside the element/);
    notSingle('', /no element found/);
    notSingle(' <!-- c --> ', /no element found/);
    notSingle('<![CDATA[x]]>', /CDATA section outside the element/);
    notSingle('<a/>\n<!-- ok -->\n<b/>', /more than one top-level element \(line 3, column 1\)/);
  });

  test('other errors keep their own message', () => {
    rejects('<a></b>', 'syntax', /end tag <\/b> does not match/, (s) => parseXmlFragment(s, scope));
  });
});

describe('parseAttributeValue', () => {
  test('returns the normalized value', () => {
    assert.equal(parseAttributeValue('sip:bob@example.com'), 'sip:bob@example.com');
    assert.equal(parseAttributeValue('a &amp; b &lt; c &#x41;'), 'a & b < c A');
    assert.equal(parseAttributeValue('x\ty\r\nz&#10;'), 'x y z\n');
    assert.equal(parseAttributeValue(`both " and ' quotes`), `both " and ' quotes`);
    assert.equal(parseAttributeValue(''), '');
    assert.equal(parseAttributeValue('Müller 😀 >'), 'Müller 😀 >');
  });

  test('refuses what cannot be an attribute value', () => {
    const value = (s: string) => parseAttributeValue(s);
    rejects('a<b', 'syntax', /'<' is not allowed/, value);
    rejects('a & b', 'syntax', /'&' must start/, value);
    rejects('&nbsp;', 'syntax', /undefined entity/, value);
    rejects('&#0;', 'syntax', /legal XML character/, value);
    rejects('&amp', 'syntax', /not terminated/, value);
    rejects('\u0001', 'syntax', /not allowed in XML/, value);
  });
});

// ---- property tests -------------------------------------------------------------------

type GenNode =
  | {
      kind: 'element';
      prefix: 'p' | 'q' | null;
      local: string;
      declarations: { prefix: string; uri: string }[];
      attributes: { prefix: 'p' | 'q' | null; local: string; value: string; quote: '"' | "'" }[];
      children: GenNode[];
      selfClosing: boolean;
    }
  | { kind: 'text'; value: string }
  | { kind: 'cdata'; value: string }
  | { kind: 'comment'; value: string }
  | { kind: 'pi'; target: string; data: string };

const NAMES = ['a', 'entry', 'list', 'display-name', 'x.y', '_z', 'Müller', '名前', 'e\u0301', 'n😀'];
const TEXT_UNITS = fc.constantFrom('a', 'Z', ' ', '\n', '\t', '\r', '&', '<', '>', ']', '"', "'", 'ü', '日', '😀', ';', '-', '?');
const SAFE_UNITS = fc.constantFrom('a', 'Z', ' ', '\n', '\t', 'ü', '日', '😀', '<', '&', '>', '"');

const genNode: fc.Arbitrary<GenNode> = fc.letrec<{ node: GenNode; element: GenNode }>((tie) => ({
  node: fc.oneof(
    // At the depth limit oneof takes the first choice, so a leaf comes first.
    { depthSize: 'medium', maxDepth: 4 },
    {
      weight: 2,
      arbitrary: fc.record({ kind: fc.constant('text' as const), value: fc.string({ unit: TEXT_UNITS, minLength: 1, maxLength: 8 }) }),
    },
    { weight: 4, arbitrary: tie('element') },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('cdata' as const),
        value: fc.string({ unit: SAFE_UNITS, maxLength: 6 }).filter((s) => !s.includes(']]>')),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('comment' as const),
        value: fc.string({ unit: SAFE_UNITS, maxLength: 6 }).filter((s) => !s.includes('--') && !s.endsWith('-')),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('pi' as const),
        target: fc.constantFrom('pi', 'app', 'x-y'),
        data: fc.string({ unit: SAFE_UNITS, maxLength: 6 }).filter((s) => !s.includes('?>')),
      }),
    },
  ),
  element: fc.record({
    kind: fc.constant('element' as const),
    prefix: fc.constantFrom<'p' | 'q' | null>(null, 'p', 'q'),
    local: fc.constantFrom(...NAMES),
    declarations: fc
      .tuple(fc.constantFrom(null, 'urn:default2', ''), fc.boolean())
      .map(([defaultUri, redeclareP]) => [
        ...(defaultUri === null ? [] : [{ prefix: '', uri: defaultUri }]),
        ...(redeclareP ? [{ prefix: 'p', uri: 'urn:p2' }] : []),
      ]),
    attributes: fc.uniqueArray(
      fc.record({
        prefix: fc.constantFrom<'p' | 'q' | null>(null, 'p', 'q'),
        local: fc.constantFrom('uri', 'name', 'ü', 'a-b'),
        value: fc.string({ unit: TEXT_UNITS, maxLength: 8 }),
        quote: fc.constantFrom<'"' | "'">('"', "'"),
      }),
      { selector: (a) => `${a.prefix}:${a.local}`, maxLength: 4 },
    ),
    children: fc.array(tie('node'), { maxLength: 5 }),
    selfClosing: fc.boolean(),
  }),
}))
  .element;

function serialize(node: GenNode): string {
  switch (node.kind) {
    case 'text':
      return escapeText(node.value);
    case 'cdata':
      return `<![CDATA[${node.value}]]>`;
    case 'comment':
      return `<!--${node.value}-->`;
    case 'pi':
      return `<?${node.target} ${node.data}?>`;
    case 'element': {
      const qname = (node.prefix === null ? '' : `${node.prefix}:`) + node.local;
      const decls = node.declarations.map((d) => ` ${d.prefix === '' ? 'xmlns' : `xmlns:${d.prefix}`}="${d.uri}"`).join('');
      const attrs = node.attributes
        .map((a) => ` ${a.prefix === null ? '' : `${a.prefix}:`}${a.local}=${a.quote}${escapeAttribute(a.value, a.quote)}${a.quote}`)
        .join('');
      if (node.selfClosing && node.children.length === 0) return `<${qname}${decls}${attrs}/>`;
      return `<${qname}${decls}${attrs}>${node.children.map(serialize).join('')}</${qname}>`;
    }
  }
}

/** What a parse must report for a generated tree: adjacent text merges, empty text vanishes. */
function expectedChildren(children: GenNode[]): GenNode[] {
  const out: GenNode[] = [];
  for (const c of children) {
    const last = out[out.length - 1];
    if (c.kind === 'text' && last?.kind === 'text') out[out.length - 1] = { kind: 'text', value: last.value + c.value };
    else out.push(c);
  }
  return out;
}

function assertMatchesModel(parsed: XmlElement, model: GenNode, scope: Map<string, string>): void {
  assert.equal(model.kind, 'element');
  if (model.kind !== 'element') return;
  const inner = new Map(scope);
  for (const d of model.declarations) inner.set(d.prefix, d.uri);
  const resolve = (prefix: string | null) => {
    const uri = inner.get(prefix ?? '');
    return uri === undefined || uri === '' ? null : uri;
  };
  assert.equal(parsed.localName, model.local);
  assert.equal(parsed.prefix, model.prefix);
  assert.equal(parsed.namespace, resolve(model.prefix));
  assert.deepEqual(
    parsed.attributes.map((a) => [a.prefix, a.localName, a.namespace, a.value]),
    model.attributes.map((a) => [a.prefix, a.local, a.prefix === null ? null : resolve(a.prefix), a.value]),
  );
  const kids = expectedChildren(model.children);
  assert.equal(parsed.children.length, kids.length);
  kids.forEach((k, i) => {
    const p = parsed.children[i]!;
    assert.equal(p.kind, k.kind);
    if (k.kind === 'element') assertMatchesModel(p as XmlElement, k, inner);
    else if (k.kind === 'text' || k.kind === 'cdata') assert.equal((p as { value: string }).value, k.value);
    else if (k.kind === 'pi') assert.equal(p.kind === 'pi' && p.target, k.target);
  });
}

/** Structural equality of two parsed elements, with `b`'s offsets shifted by `shift`. */
function assertEquivalent(a: XmlNode, b: XmlNode, shift: number): void {
  assert.equal(b.kind, a.kind);
  assert.equal(b.start + shift, a.start);
  assert.equal(b.end + shift, a.end);
  if (a.kind === 'element' && b.kind === 'element') {
    assert.deepEqual([b.qname, b.namespace, b.selfClosing], [a.qname, a.namespace, a.selfClosing]);
    assert.equal(b.startTagEnd + shift, a.startTagEnd);
    assert.equal(b.endTagStart + shift, a.endTagStart);
    assert.deepEqual(
      b.attributes.map((x) => [x.qname, x.namespace, x.value, x.valueStart + shift, x.valueEnd + shift]),
      a.attributes.map((x) => [x.qname, x.namespace, x.value, x.valueStart, x.valueEnd]),
    );
    assert.equal(b.children.length, a.children.length);
    a.children.forEach((c, i) => assertEquivalent(c, b.children[i]!, shift));
  } else if ((a.kind === 'text' || a.kind === 'cdata') && (b.kind === 'text' || b.kind === 'cdata')) {
    assert.equal(b.value, a.value);
  }
}

const ROOT_SCOPE = new Map([
  ['', 'urn:default'],
  ['p', 'urn:p1'],
  ['q', 'urn:q1'],
]);

function wrap(body: string): string {
  return `<?xml version="1.0"?>\n<root xmlns="urn:default" xmlns:p="urn:p1" xmlns:q="urn:q1">${body}</root>\n`;
}

describe('property tests', () => {
  test('generated trees parse to their model, and every element slice re-parses to the same element', () => {
    fc.assert(
      fc.property(genNode, (tree) => {
        const source = wrap(serialize(tree));
        const doc: XmlDocument = parseXmlDocument(source);
        const top = childElement(doc.root, 0);
        assertMatchesModel(top, tree, ROOT_SCOPE);
        for (const element of elements(top)) {
          const slice = source.slice(element.start, element.end);
          const context = inScopeNamespaces(element.parent!);
          const again = parseXmlFragment(slice, context);
          assertEquivalent(element, again, element.start);
        }
      }),
      { numRuns: 300 },
    );
  });

  test('random text never makes the parser throw anything but XmlSyntaxError', () => {
    const units = fc.constantFrom(
      '<', '>', '/', '=', '"', "'", '&', ';', '#', 'x', 'a', 'b', ':', '!', '-', '[', ']', '?', ' ', '\n', '\r',
      '\t', 'ü', '😀', '\uD800', '\u0000', '<a>', '</a>', '<b/>', 'xmlns', 'xmlns:p="u"', '&amp;', '&#x41;',
      '<!--', '-->', '<![CDATA[', ']]>', '<?xml', '<?', '?>', '<!DOCTYPE', 'p:',
    );
    const check = (s: string) => {
      try {
        parseXmlDocument(s);
      } catch (error) {
        if (!(error instanceof XmlSyntaxError)) throw error;
      }
      try {
        parseXmlFragment(s, ROOT_SCOPE);
      } catch (error) {
        if (!(error instanceof XmlSyntaxError)) throw error;
      }
    };
    fc.assert(fc.property(fc.string({ unit: units, maxLength: 40 }), check), { numRuns: 300 });
    fc.assert(fc.property(fc.string({ unit: 'binary', maxLength: 40 }), check), { numRuns: 300 });
  });

  test('mutated documents either parse with consistent offsets or throw XmlSyntaxError', () => {
    fc.assert(
      fc.property(
        genNode,
        fc.nat(),
        fc.nat({ max: 3 }),
        fc.constantFrom('', '<', '>', '&', '"', '/', ']]>', '--', 'x', ':'),
        (tree, at, remove, insert) => {
          const valid = wrap(serialize(tree));
          const cut = at % valid.length;
          const source = valid.slice(0, cut) + insert + valid.slice(cut + remove);
          let doc: XmlDocument;
          try {
            doc = parseXmlDocument(source);
          } catch (error) {
            if (error instanceof XmlSyntaxError) return;
            throw error;
          }
          for (const e of elements(doc.root)) {
            assert.ok(source.startsWith(`<${e.qname}`, e.start));
            assert.equal(source[e.startTagEnd - 1], '>');
            if (!e.selfClosing) assert.match(source.slice(e.endTagStart, e.end), new RegExp(`^</${e.qname}\\s*>$`));
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
