/**
 * xs:anyURI values and namespace declarations are accepted exactly when libxml2
 * accepts them (its RFC 3986 parser, with its own particularities).
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { collapseWhitespace } from '../../../src/appusages/xsd/lexical.js';
import { isAnyUri, isUriReference } from '../../../src/appusages/xsd/uri-syntax.js';
import { CONTEXTS, assertSameValueVerdicts, pieces, sample } from './values.js';

const EDGE_CASES = [
  '', ' ', ':', 'a:', ':a', '1a:b', '-a:b', 'a+-.:b', 'sip:alice@example.com', 'sip:a@b@c', 'http://a@b@c/', 'a%2', 'a%', '%41', '%zz',
  'http://[::1]/', 'http://[::1', 'http://[vx]/', 'http://[::1]x/', 'http://a]/', 'http://a[/', 'http://a:b:c/', 'http://a:99999999999/',
  'http://a:2147483647/', 'http://a:2147483648/', 'http://h:/', '//h:x/', '//h:8', 'a#b#c', 'a?b?c', '#', '?', '//', '[', ']', 'a[b]',
  'http://ex.com/[x]', 'x#[a]', 'http://u:p@h:8/p?q#f', 'mailto:x', 'a\\b', 'é', 'sip:jürgen@example.com', 'a^b', 'a`b', 'a{b', "a'b",
  "a'b:c", 'a b', ' a ', 'a\tb', 'c:/x', 'C:\\x', 'c:', 'a/b:c', './a:b', '../../x', 'http:', 'http::', 'x::y', '/', '/a//b', 'a//b',
  'urn:ietf:params:xml:ns:resource-lists', 'http://[1:2:3:4:5:6:7:8:9]/', 'http://%41/', 'http://a%zz/', 'http://1.2.3.4/', 'http://1.2.3/',
];

const URI_PIECES = [
  'a', 'Z', '0', '9', ':', '/', '//', '?', '#', '[', ']', '@', '%', '%2f', '%G1', '-', '.', '_', '~', '!', '$', '&', "'", '(', ')', '*',
  '+', ',', ';', '=', ' ', 'é', '<', '"', '{', '|', '\\', '^', '`', 'http:', 'sip:', '::1', '8080',
];

describe('xs:anyURI', () => {
  test('edge cases and random values, in attributes and element content', () => {
    const values = [...EDGE_CASES, ...sample(pieces(URI_PIECES, 9), 500)];
    const attribute = assertSameValueVerdicts(CONTEXTS.anyUriAttribute, values);
    assert.ok(attribute.accepted > 100 && attribute.refused > 100, JSON.stringify(attribute));
    assertSameValueVerdicts(CONTEXTS.anyUriText, values);
  });

  test('namespace declarations are checked without any replacement', () => {
    const result = assertSameValueVerdicts(CONTEXTS.namespaceDeclaration, [...EDGE_CASES, ...sample(pieces(URI_PIECES, 7), 300, 4825)]);
    assert.ok(result.accepted > 50 && result.refused > 50, JSON.stringify(result));
  });

  test('the shortcuts (common URI shapes, values that parse as written) change no verdict', () => {
    const reference = (value: string): boolean =>
      value === '' || isUriReference(collapseWhitespace(value).replace(/[\u0000-\u0020\u007f-\uffff<>"{}|\\^`']/g, '_'));
    const shaped = fc
      .tuple(
        fc.constantFrom('sip', 'http', 'a+b', '1x', ''),
        fc.constantFrom(':', '://', ':/', '//'),
        pieces(['user', '@', 'example.com', ':', '5060', '/', 'a', '%20', '?', '#', '[', ']', ' ', 'é', ';', '='], 6),
      )
      .map((parts) => parts.join(''));
    fc.assert(
      fc.property(fc.oneof(shaped, pieces(URI_PIECES, 10)), (value) => {
        assert.equal(isAnyUri(value), reference(value), value);
      }),
      { numRuns: 3000, seed: 3986 },
    );
  });
});
