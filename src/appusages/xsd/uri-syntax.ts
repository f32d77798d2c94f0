/**
 * URI reference syntax as libxml2 accepts it (its RFC 3986 parser, `xmlParseURI`),
 * for two checks libxml2 makes and our validator must repeat to agree with it:
 *
 * - `xs:anyURI` values: after whitespace collapsing, every character that may not
 *   appear literally in a URI (controls, space, non-ASCII, `<>"{}|\^` and the
 *   backquote and apostrophe) is replaced by '_', and the result must parse. So
 *   `sip:jürgen@example.com` is accepted but `%zz`, `a#b#c`, `http://h:/` (empty
 *   port) and `http://[::1` are not.
 * - Namespace declarations: libxml2's parser refuses a document whose `xmlns`
 *   URIs do not parse, with no replacement (so a space or a non-ASCII character
 *   makes the document unacceptable).
 *
 * The grammar is RFC 3986's, with libxml2's particularities: no Windows drive
 * letters, a host in brackets may hold anything up to the first ']', a port is
 * one or more digits that fit in a C int, and a fragment may contain '[' and ']'.
 */
import { collapseWhitespace } from './lexical.js';

const ALLOWED = new Uint8Array(128);
const UNRESERVED = 1;
const SUB_DELIM = 2;
const HEX = 4;
for (let c = 0; c < 128; c += 1) {
  const ch = String.fromCharCode(c);
  if (/[A-Za-z0-9\-._~]/.test(ch)) ALLOWED[c]! |= UNRESERVED;
  if (/[!$&'()*+,;=]/.test(ch)) ALLOWED[c]! |= SUB_DELIM;
  if (/[0-9A-Fa-f]/.test(ch)) ALLOWED[c]! |= HEX;
}

/** pchar without the percent-encoded triplets: unreserved, sub-delims, ':' and '@'. */
const PCHAR = new Uint8Array(128);
for (let c = 0; c < 128; c += 1) if ((ALLOWED[c]! & (UNRESERVED | SUB_DELIM)) !== 0 || c === 0x3a || c === 0x40) PCHAR[c] = 1;

function classOf(s: string, i: number): number {
  const c = s.charCodeAt(i);
  return c < 128 ? ALLOWED[c]! : 0;
}

function isAlpha(c: number): boolean {
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a);
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

function isPctEncoded(s: string, i: number): boolean {
  return s.charCodeAt(i) === 0x25 && (classOf(s, i + 1) & HEX) !== 0 && (classOf(s, i + 2) & HEX) !== 0;
}

/** pchar = unreserved / pct-encoded / sub-delims / ":" / "@" */
function isPchar(s: string, i: number): boolean {
  if ((classOf(s, i) & (UNRESERVED | SUB_DELIM)) !== 0) return true;
  const c = s.charCodeAt(i);
  return c === 0x3a || c === 0x40 || isPctEncoded(s, i);
}

/** The index past the character (or the percent-encoded triplet) at `i`. */
function advance(s: string, i: number): number {
  return s.charCodeAt(i) === 0x25 ? i + 3 : i + 1;
}

/** segment = *pchar, optionally without ':'; returns the index after it. */
function segment(s: string, i: number, noColon: boolean): number {
  const length = s.length;
  while (i < length) {
    const c = s.charCodeAt(i);
    if (c < 128 && PCHAR[c] === 1) {
      if (noColon && c === 0x3a) break;
      i += 1;
    } else if (c === 0x25 && isPctEncoded(s, i)) {
      i += 3;
    } else {
      break;
    }
  }
  return i;
}

/** *( "/" segment ) */
function slashSegments(s: string, i: number): number {
  while (s.charCodeAt(i) === 0x2f) i = segment(s, i + 1, false);
  return i;
}

const INT_MAX = 2147483647;

/** authority = [ userinfo "@" ] host [ ":" port ]; -1 when it does not parse. */
function authority(s: string, i: number): number {
  let j = i;
  while (
    j < s.length &&
    ((classOf(s, j) & (UNRESERVED | SUB_DELIM)) !== 0 || s.charCodeAt(j) === 0x3a || isPctEncoded(s, j))
  ) {
    j = advance(s, j);
  }
  if (s.charCodeAt(j) === 0x40) i = j + 1;
  if (s.charCodeAt(i) === 0x5b) {
    const close = s.indexOf(']', i + 1);
    if (close < 0) return -1;
    i = close + 1;
  } else {
    // libxml2 tries IPv4 first but always falls back to reg-name, which accepts the same text.
    while (i < s.length && ((classOf(s, i) & (UNRESERVED | SUB_DELIM)) !== 0 || isPctEncoded(s, i))) {
      i = advance(s, i);
    }
  }
  if (s.charCodeAt(i) === 0x3a) {
    i += 1;
    if (!isDigit(s.charCodeAt(i))) return -1;
    let port = 0;
    while (isDigit(s.charCodeAt(i))) {
      port = port * 10 + (s.charCodeAt(i) - 0x30);
      if (port > INT_MAX) return -1;
      i += 1;
    }
  }
  return i;
}

/** [ "?" query ] [ "#" fragment ], then the end of the string. */
function queryFragmentEnd(s: string, i: number): boolean {
  if (s.charCodeAt(i) === 0x3f) {
    i += 1;
    while (i < s.length && (isPchar(s, i) || s.charCodeAt(i) === 0x2f || s.charCodeAt(i) === 0x3f)) i = advance(s, i);
  }
  if (s.charCodeAt(i) === 0x23) {
    i += 1;
    while (i < s.length) {
      const c = s.charCodeAt(i);
      if (!(isPchar(s, i) || c === 0x2f || c === 0x3f || c === 0x5b || c === 0x5d)) break;
      i = advance(s, i);
    }
  }
  return i === s.length;
}

/** path-absolute = "/" [ segment-nz *( "/" segment ) ] */
function pathAbsolute(s: string, i: number): number {
  i += 1;
  if (!isPchar(s, i)) return i;
  return slashSegments(s, segment(s, i, false));
}

/** URI = scheme ":" hier-part [ "?" query ] [ "#" fragment ] */
function isAbsoluteUri(s: string): boolean {
  if (!isAlpha(s.charCodeAt(0))) return false;
  let i = 1;
  for (;;) {
    const c = s.charCodeAt(i);
    if (!(isAlpha(c) || isDigit(c) || c === 0x2b || c === 0x2d || c === 0x2e)) break;
    i += 1;
  }
  if (s.charCodeAt(i) !== 0x3a) return false;
  i += 1;
  if (s.charCodeAt(i) === 0x2f && s.charCodeAt(i + 1) === 0x2f) {
    i = authority(s, i + 2);
    if (i < 0) return false;
    i = slashSegments(s, i);
  } else if (s.charCodeAt(i) === 0x2f) {
    i = pathAbsolute(s, i);
  } else if (isPchar(s, i)) {
    i = slashSegments(s, segment(s, i, false));
  }
  return queryFragmentEnd(s, i);
}

/** relative-ref = relative-part [ "?" query ] [ "#" fragment ] */
function isRelativeRef(s: string): boolean {
  let i = 0;
  if (s.charCodeAt(0) === 0x2f && s.charCodeAt(1) === 0x2f) {
    i = authority(s, 2);
    if (i < 0) return false;
    i = slashSegments(s, i);
  } else if (s.charCodeAt(0) === 0x2f) {
    i = pathAbsolute(s, 0);
  } else if (isPchar(s, 0)) {
    // path-noscheme: the first segment may not contain ':'.
    if (s.charCodeAt(0) === 0x3a) return false;
    i = slashSegments(s, segment(s, 0, true));
  }
  return queryFragmentEnd(s, i);
}

/** True when libxml2's `xmlParseURI` accepts `s` as it is. */
export function isUriReference(s: string): boolean {
  return isAbsoluteUri(s) || isRelativeRef(s);
}

/** What libxml2 replaces by '_' before parsing (white space included, after collapsing). */
const LITERAL_UNSAFE = /[\u0000-\u0020\u007f-\uffff<>"{}|\\^`']/g;
const LITERAL_UNSAFE_ONE = new RegExp(LITERAL_UNSAFE.source);

/**
 * Shapes of the URIs documents are full of (sip:, tel:, mailto:, urn:, http://host/path),
 * recognized by V8's compiled regular expressions at a third of the cost of the
 * parser above. Each accepts a subset of what the parser accepts; anything else is
 * left to the parser.
 */
const OPAQUE_URI = /^[A-Za-z][A-Za-z0-9+.-]*:[A-Za-z0-9\-._~!$&'()*+,;=:@]+$/;
const HIERARCHICAL_URI = /^[A-Za-z][A-Za-z0-9+.-]*:\/\/[A-Za-z0-9\-._~!$&'()*+,;=]+(?::[0-9]{1,9})?(?:\/[A-Za-z0-9\-._~!$&'()*+,;=:@]*)*$/;

/**
 * True when `value` is an `xs:anyURI` as libxml2 checks it (see the module comment).
 * A value that parses as it is needs no rewriting (rewriting cannot make it invalid),
 * which spares the common case a second pass.
 */
export function isAnyUri(value: string): boolean {
  if (value.length === 0 || OPAQUE_URI.test(value) || HIERARCHICAL_URI.test(value) || isUriReference(value)) return true;
  if (!LITERAL_UNSAFE_ONE.test(value)) return false;
  return isUriReference(collapseWhitespace(value).replace(LITERAL_UNSAFE, '_'));
}
