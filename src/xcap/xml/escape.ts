/**
 * XML lexical helpers: escaping for text and attribute values, and the character
 * classes of XML 1.0 (Fifth Edition) §2.2 (Char) and §2.3 (NameStartChar, NameChar).
 */

const TEXT_SPECIALS = /[&<>\r]/;
const TEXT_SPECIALS_GLOBAL = /[&<>\r]/g;
const TEXT_REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '>': '&gt;',
  // A literal CR would come back as LF after line-end normalization.
  '\r': '&#13;',
};

/** Escapes character data so that it parses back to exactly `s`. */
export function escapeText(s: string): string {
  if (!TEXT_SPECIALS.test(s)) return s;
  return s.replace(TEXT_SPECIALS_GLOBAL, (c) => TEXT_REPLACEMENTS[c] ?? c);
}

const ATTRIBUTE_REPLACEMENTS: Readonly<Record<string, string>> = {
  '&': '&amp;',
  '<': '&lt;',
  '"': '&quot;',
  "'": '&apos;',
  // Literal whitespace other than space would be normalized to a space (XML 1.0 §3.3.3).
  '\t': '&#9;',
  '\n': '&#10;',
  '\r': '&#13;',
};
const ATTRIBUTE_SPECIALS_DOUBLE = /[&<"\t\n\r]/g;
const ATTRIBUTE_SPECIALS_SINGLE = /[&<'\t\n\r]/g;

/**
 * Escapes an attribute value for writing between `quote` characters, so that it
 * parses back to exactly `s`.
 */
export function escapeAttribute(s: string, quote: '"' | "'" = '"'): string {
  const specials = quote === '"' ? ATTRIBUTE_SPECIALS_DOUBLE : ATTRIBUTE_SPECIALS_SINGLE;
  specials.lastIndex = 0;
  if (!specials.test(s)) return s;
  specials.lastIndex = 0;
  return s.replace(specials, (c) => ATTRIBUTE_REPLACEMENTS[c] ?? c);
}

/** XML 1.0 §2.2 Char: tab, LF, CR and the Unicode ranges minus surrogates, U+FFFE and U+FFFF. */
export function isXmlChar(codePoint: number): boolean {
  if (codePoint < 0x20) return codePoint === 0x9 || codePoint === 0xa || codePoint === 0xd;
  if (codePoint <= 0xd7ff) return true;
  if (codePoint < 0xe000) return false;
  if (codePoint <= 0xfffd) return true;
  return codePoint >= 0x10000 && codePoint <= 0x10ffff;
}

/** Bits of {@link ASCII_NAME_CLASS}. */
export const NAME_START = 1;
export const NAME_CHAR = 2;

/** Name character classes of the ASCII range, indexed by code unit. */
export const ASCII_NAME_CLASS: Uint8Array = (() => {
  const table = new Uint8Array(128);
  const mark = (from: number, to: number, bits: number): void => {
    for (let c = from; c <= to; c++) table[c] = bits;
  };
  mark(0x41, 0x5a, NAME_START | NAME_CHAR); // A-Z
  mark(0x61, 0x7a, NAME_START | NAME_CHAR); // a-z
  mark(0x5f, 0x5f, NAME_START | NAME_CHAR); // _
  mark(0x3a, 0x3a, NAME_START | NAME_CHAR); // :
  mark(0x30, 0x39, NAME_CHAR); // 0-9
  mark(0x2d, 0x2e, NAME_CHAR); // - .
  return table;
})();

/** NameStartChar for a code point >= 0x80 (the ASCII part is in {@link ASCII_NAME_CLASS}). */
export function isNonAsciiNameStartChar(cp: number): boolean {
  return (
    (cp >= 0xc0 && cp <= 0xd6) ||
    (cp >= 0xd8 && cp <= 0xf6) ||
    (cp >= 0xf8 && cp <= 0x2ff) ||
    (cp >= 0x370 && cp <= 0x37d) ||
    (cp >= 0x37f && cp <= 0x1fff) ||
    (cp >= 0x200c && cp <= 0x200d) ||
    (cp >= 0x2070 && cp <= 0x218f) ||
    (cp >= 0x2c00 && cp <= 0x2fef) ||
    (cp >= 0x3001 && cp <= 0xd7ff) ||
    (cp >= 0xf900 && cp <= 0xfdcf) ||
    (cp >= 0xfdf0 && cp <= 0xfffd) ||
    (cp >= 0x10000 && cp <= 0xeffff)
  );
}

/** NameChar for a code point >= 0x80. */
export function isNonAsciiNameChar(cp: number): boolean {
  return (
    isNonAsciiNameStartChar(cp) ||
    cp === 0xb7 ||
    (cp >= 0x300 && cp <= 0x36f) ||
    (cp >= 0x203f && cp <= 0x2040)
  );
}

export function isNameStartChar(cp: number): boolean {
  return cp < 0x80 ? (ASCII_NAME_CLASS[cp]! & NAME_START) !== 0 : isNonAsciiNameStartChar(cp);
}

export function isNameChar(cp: number): boolean {
  return cp < 0x80 ? (ASCII_NAME_CLASS[cp]! & NAME_CHAR) !== 0 : isNonAsciiNameChar(cp);
}

/** XML 1.0 §2.3 Name. */
export function isXmlName(s: string): boolean {
  if (s.length === 0) return false;
  let first = true;
  for (const ch of s) {
    const cp = ch.codePointAt(0)!;
    if (first ? !isNameStartChar(cp) : !isNameChar(cp)) return false;
    first = false;
  }
  return true;
}

/** Namespaces in XML 1.0 §3 NCName: a Name without any colon. */
export function isNcName(s: string): boolean {
  return !s.includes(':') && isXmlName(s);
}
