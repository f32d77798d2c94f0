import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { escapeAttribute, escapeText, isNcName, isXmlChar, isXmlName } from '../../../src/xcap/xml/escape.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';

describe('escapeText', () => {
  test('escapes the markup characters', () => {
    assert.equal(escapeText('a < b && c > d'), 'a &lt; b &amp;&amp; c &gt; d');
  });

  test('leaves quotes, whitespace and non-ASCII alone', () => {
    assert.equal(escapeText(`"it's"\t\nMüller 名前 😀`), `"it's"\t\nMüller 名前 😀`);
  });

  test('escapes CR, which line-end normalization would otherwise turn into LF', () => {
    assert.equal(escapeText('a\r\nb'), 'a&#13;\nb');
  });

  test('makes ]]> harmless', () => {
    assert.equal(escapeText(']]>'), ']]&gt;');
  });

  test('returns the same string when nothing needs escaping', () => {
    assert.equal(escapeText('plain'), 'plain');
    assert.equal(escapeText(''), '');
  });
});

describe('escapeAttribute', () => {
  test('escapes the double quote by default, not the single quote', () => {
    assert.equal(escapeAttribute(`a"b'c`), `a&quot;b'c`);
  });

  test('escapes the single quote when that is the delimiter, not the double quote', () => {
    assert.equal(escapeAttribute(`a"b'c`, "'"), `a"b&apos;c`);
  });

  test('escapes & and < and the whitespace that normalization would change', () => {
    assert.equal(escapeAttribute('x&y<z\tq\nr\rs'), 'x&amp;y&lt;z&#9;q&#10;r&#13;s');
  });

  test('leaves > and spaces alone', () => {
    assert.equal(escapeAttribute('a > b'), 'a > b');
  });

  test('escaped values round-trip through the parser', () => {
    const alphabet = fc.constantFrom('a', ' ', '\t', '\n', '\r', '&', '<', '>', '"', "'", 'ü', '名', '😀', ';', '#');
    fc.assert(
      fc.property(fc.string({ unit: alphabet, maxLength: 30 }), fc.constantFrom<'"' | "'">('"', "'"), (value, quote) => {
        const doc = parseXmlDocument(`<a v=${quote}${escapeAttribute(value, quote)}${quote}>${escapeText(value)}</a>`);
        assert.equal(doc.root.attributes[0]?.value, value);
        const text = doc.root.children[0];
        assert.equal(text === undefined ? '' : text.kind === 'text' ? text.value : null, value);
      }),
      { numRuns: 300 },
    );
  });
});

describe('isXmlChar', () => {
  test('accepts tab, LF, CR and the allowed ranges', () => {
    for (const cp of [0x9, 0xa, 0xd, 0x20, 0xd7ff, 0xe000, 0xfffd, 0x10000, 0x1f600, 0x10ffff]) {
      assert.equal(isXmlChar(cp), true, cp.toString(16));
    }
  });

  test('refuses other control characters, surrogates, U+FFFE, U+FFFF and beyond U+10FFFF', () => {
    for (const cp of [0x0, 0x1, 0x8, 0xb, 0xc, 0x1f, 0xd800, 0xdbff, 0xdc00, 0xdfff, 0xfffe, 0xffff, 0x110000]) {
      assert.equal(isXmlChar(cp), false, cp.toString(16));
    }
  });
});

describe('isXmlName and isNcName', () => {
  test('accept ASCII names', () => {
    for (const name of ['a', 'A', '_', 'entry', 'display-name', 'a.b', 'x1', '_-.9']) {
      assert.equal(isXmlName(name), true, name);
      assert.equal(isNcName(name), true, name);
    }
  });

  test('accept non-ASCII names from the NameStartChar and NameChar ranges', () => {
    for (const name of ['Müller', 'ñ', '名前', 'Ελληνικά', 'a·b', 'e\u0301', 'x\u203F', '\u{10000}', 'a\u{EFFFF}', '😀']) {
      assert.equal(isXmlName(name), true, name);
    }
  });

  test('refuse names with a bad first character', () => {
    for (const name of ['', '1a', '-a', '.a', '·a', '\u0301a', '\u203Fa', ' a']) {
      assert.equal(isXmlName(name), false, JSON.stringify(name));
    }
  });

  test('refuse names with characters outside NameChar', () => {
    for (const name of ['a b', 'a<', 'a&b', 'a/b', 'a\u00D7b', 'a\u037Eb', 'a\uD800', 'a\u{F0000}']) {
      assert.equal(isXmlName(name), false, JSON.stringify(name));
    }
  });

  test('colons: allowed in Names, not in NCNames', () => {
    for (const name of [':', 'a:b', ':a', 'a:', 'a:b:c']) {
      assert.equal(isXmlName(name), true, name);
      assert.equal(isNcName(name), false, name);
    }
  });
});
