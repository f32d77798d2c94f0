/**
 * XSD regular expressions: their semantics, linear matching time, and the
 * character classes and XPath patterns of our schemas against libxml2.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { DECIMAL_DIGITS, INITIAL_NAME_CHARS, NAME_CHARS, contains } from '../../../src/appusages/xsd/char-classes.js';
import { XsdPattern, XsdRegexError } from '../../../src/appusages/xsd/regex.js';
import { CONTEXTS, assertSameValueVerdicts, pieces, sample } from './values.js';

function matches(pattern: string, value: string): boolean {
  return new XsdPattern(pattern).matches(value);
}

describe('XSD regular expression semantics', () => {
  test('a pattern matches the whole value; ^ and $ are ordinary characters', () => {
    assert.equal(matches('ab', 'ab'), true);
    assert.equal(matches('ab', 'xab'), false);
    assert.equal(matches('ab', 'abx'), false);
    assert.equal(matches('^a$', '^a$'), true);
    assert.equal(matches('^a$', 'a'), false);
    assert.equal(matches('', ''), true);
    assert.equal(matches('', 'a'), false);
    assert.equal(matches('a|', ''), true);
  });

  test('. is anything but line feed and carriage return', () => {
    assert.equal(matches('.', '\t'), true);
    assert.equal(matches('.', '\u2028'), true);
    assert.equal(matches('.', '𝒜'), true);
    assert.equal(matches('.', '\n'), false);
    assert.equal(matches('.', '\r'), false);
  });

  test('quantifiers, groups and alternatives', () => {
    assert.equal(matches('0(.[0-9]{0,3})?', '0.123'), true);
    assert.equal(matches('0(.[0-9]{0,3})?', '0.1234'), false);
    assert.equal(matches('a{2}', 'aa'), true);
    assert.equal(matches('a{2}', 'aaa'), false);
    assert.equal(matches('a{2,}', 'aaaaa'), true);
    assert.equal(matches('a{2,}', 'a'), false);
    assert.equal(matches('(ab|c)+', 'abcab'), true);
    assert.equal(matches('(ab|c)+', ''), false);
    assert.equal(matches('{}', '{}'), true);
  });

  test('character classes: ranges, negation, subtraction and escapes', () => {
    assert.equal(matches('[a-z-[aeiou]]+', 'xyz'), true);
    assert.equal(matches('[a-z-[aeiou]]+', 'xaz'), false);
    assert.equal(matches('[^a-c]', 'd'), true);
    assert.equal(matches('[^a-c]', 'b'), false);
    assert.equal(matches('[-a]', '-'), true);
    assert.equal(matches('[a-]', '-'), true);
    assert.equal(matches('[\\-\\[\\]]+', '-[]'), true);
    assert.equal(matches('\\s\\S', ' x'), true);
    assert.equal(matches('\\i\\c*', '_a.b-c:d'), true);
    assert.equal(matches('\\i', '1'), false);
    assert.equal(matches('\\I\\C', '1 '), true);
    assert.equal(matches('\\d\\D', '٣x'), true);
    assert.equal(matches('[\\d-[5]]', '5'), false);
    assert.equal(matches('𝒜{2}', '𝒜𝒜'), true);
  });

  test('character tables are libxml2\'s: XML 1.0 Appendix B letters, Unicode 4 digits', () => {
    // Ĳ is a letter of XML 1.0 5th edition, not of Appendix B; U+07C0 (NKo digit zero) is newer than Unicode 4.
    assert.equal(contains(INITIAL_NAME_CHARS, 0x132), false);
    assert.equal(contains(INITIAL_NAME_CHARS, 0xe9), true);
    assert.equal(contains(NAME_CHARS, 0xb7), true);
    assert.equal(contains(DECIMAL_DIGITS, 0x7c0), false);
    assert.equal(contains(DECIMAL_DIGITS, 0x1369), true);
  });

  test('malformed and unsupported patterns are refused', () => {
    for (const pattern of ['(a', 'a)', '[a', '[]', 'a{3,2}', 'x{', '*a', '\\q', '[z-a]', '\\p{L}', '\\w', 'a{1001}', '\\']) {
      assert.throws(() => new XsdPattern(pattern), XsdRegexError, pattern);
    }
  });

  test('matching time is linear, even where a backtracking matcher is exponential', () => {
    // The RFC 5261 XPath pattern of xcap-diff.xsd, as a JavaScript RegExp, takes about a second at 22 predicates.
    const xpath = new XsdPattern("(\\i\\c*|\\*)(\\[@\\i\\c*='(.)*'\\]|\\[\\d+\\])*");
    const value = `a${"[@a='x']".repeat(5000)}!`;
    const start = performance.now();
    assert.equal(xpath.matches(value), false);
    assert.equal(xpath.matches(value.slice(0, -1)), true);
    assert.ok(performance.now() - start < 1000, `${performance.now() - start} ms`);
  });
});

describe('against libxml2', () => {
  function codePoints(): number[] {
    const points: number[] = [];
    for (let c = 0x21; c < 0x3000; c += 3) points.push(c);
    for (let c = 0x3000; c < 0xfffe; c += 97) points.push(c);
    for (const c of [0x10000, 0x104a0, 0x1d7ce, 0x20000, 0xe0100, 0x10fffd]) points.push(c);
    return points.filter((c) => c < 0xd800 || c > 0xdfff);
  }

  test('\\i and \\c (through the add type pattern of xcap-diff.xsd)', () => {
    const points = codePoints();
    const initial = assertSameValueVerdicts(CONTEXTS.patchTypeAttribute, points.map((c) => `@${String.fromCodePoint(c)}`));
    const following = assertSameValueVerdicts(CONTEXTS.patchTypeAttribute, points.map((c) => `@a${String.fromCodePoint(c)}`));
    assert.ok(initial.accepted > 500 && following.accepted > initial.accepted, JSON.stringify({ initial, following }));
  });

  test('\\d (through the position predicates of the XPath pattern)', () => {
    const result = assertSameValueVerdicts(CONTEXTS.xpathAttribute, codePoints().map((c) => `a[${String.fromCodePoint(c)}]`));
    assert.ok(result.accepted >= 10, JSON.stringify(result));
  });

  test('random selectors against the XPath patterns of RFC 5261', () => {
    const step = fc
      .tuple(
        fc.constantFrom('a', 'rl:list', '*', 'x:b', 'entry'),
        fc.array(fc.constantFrom("[@name='x']", '[2]', '[rl:entry="y"]', "[.='z']", '[@a:b="q"]', "[@n='it''s']"), { maxLength: 2 }),
      )
      .map(([name, predicates]) => name + predicates.join(''));
    const selector = fc
      .tuple(
        fc.constantFrom('', '/', "id('k')/", 'id("k")/', 'id()/'),
        fc.array(step, { minLength: 1, maxLength: 4 }),
        fc.constantFrom('', '/@uri', '/@rl:x', '/text()', '/comment()[1]', '/namespace::x', "/processing-instruction('p')", '/processing-instruction()'),
      )
      .map(([start, steps, end]) => start + steps.join('/') + end);
    // Near misses: one character of a well-formed selector dropped or doubled.
    const nearMiss = fc.tuple(selector, fc.nat(), fc.boolean()).map(([value, at, drop]) => {
      const i = at % (value.length + 1);
      return drop ? value.slice(0, i) + value.slice(i + 1) : value.slice(0, i) + value.charAt(i) + value.slice(i);
    });
    const tokens = ['a', ':', '/', '[', ']', '@', "'", '=', '1', '*', '(', ')', '.', ' ', 'text()', 'namespace::'];
    const values = [...sample(selector, 300), ...sample(nearMiss, 300), ...sample(pieces(tokens, 8), 200)];
    const remove = assertSameValueVerdicts(CONTEXTS.xpathAttribute, values);
    const add = assertSameValueVerdicts(CONTEXTS.xpathAddAttribute, values);
    assertSameValueVerdicts(CONTEXTS.patchTypeAttribute, values);
    assert.ok(remove.accepted > 200 && remove.refused > 100 && add.accepted > 100, JSON.stringify({ remove, add }));
  });
});
