/**
 * Syntax of `WWW-Authenticate` / `Authorization` values (RFC 9110 §11, RFC 7616):
 * challenges and credentials made of an auth-scheme followed by a token68 or by a
 * comma-separated list of `name=token` / `name="quoted string"` parameters.
 *
 * Parsers never throw: anything that does not parse yields null, because header
 * values come straight from the network.
 */

export interface AuthChallenge {
  /** As written (compare case-insensitively). */
  readonly scheme: string;
  /** Parameter names lower-cased; values unquoted and unescaped. */
  readonly params: ReadonlyMap<string, string>;
  readonly token68?: string;
}

/** `form` defaults to quoted; a token form whose value is not a token falls back to quoted. */
export type AuthParamEntry = readonly [name: string, value: string, form?: 'quoted' | 'token'];

/**
 * Parameter names RFC 7616 defines. Used only to recover the `uri` of clients that
 * put bare `"` into it: a quote ends such a uri when a known parameter follows.
 */
const DIGEST_PARAM_NAMES = new Set([
  'username',
  'username*',
  'realm',
  'nonce',
  'uri',
  'response',
  'algorithm',
  'cnonce',
  'opaque',
  'qop',
  'nc',
  'userhash',
  'charset',
  'domain',
  'stale',
]);

// Control characters other than HTAB can never be part of a field value.
const FORBIDDEN_CHARS = /[\u0000-\u0008\u000a-\u001f\u007f]/;

function isTchar(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    '!#$%&\'*+-.^_`|~'.includes(String.fromCharCode(code))
  );
}

function isToken68Char(code: number): boolean {
  return (
    (code >= 0x30 && code <= 0x39) ||
    (code >= 0x41 && code <= 0x5a) ||
    (code >= 0x61 && code <= 0x7a) ||
    '-._~+/'.includes(String.fromCharCode(code))
  );
}

export function isToken(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) if (!isTchar(value.charCodeAt(i))) return false;
  return true;
}

function skipWhitespace(input: string, at: number): number {
  let i = at;
  while (i < input.length && (input[i] === ' ' || input[i] === '\t')) i++;
  return i;
}

/** Skips whitespace and the empty list elements the #rule allows (`a, , b`). */
function skipListSeparators(input: string, at: number): number {
  let i = skipWhitespace(input, at);
  while (i < input.length && input[i] === ',') i = skipWhitespace(input, i + 1);
  return i;
}

function scanToken(input: string, at: number): number {
  let i = at;
  while (i < input.length && isTchar(input.charCodeAt(i))) i++;
  return i;
}

function scanToken68(input: string, at: number): number {
  let i = at;
  while (i < input.length && isToken68Char(input.charCodeAt(i))) i++;
  if (i === at) return at;
  while (i < input.length && input[i] === '=') i++;
  return i;
}

/** Whitespace then end of value or a list comma. */
function atElementEnd(input: string, at: number): boolean {
  const i = skipWhitespace(input, at);
  return i === input.length || input[i] === ',';
}

/** A `name =` starts here (as opposed to the auth-scheme of the next challenge). */
function startsAuthParam(input: string, at: number): boolean {
  const nameEnd = scanToken(input, at);
  return nameEnd > at && input[skipWhitespace(input, nameEnd)] === '=';
}

interface Scanned {
  readonly value: string;
  readonly end: number;
}

function readQuotedString(input: string, at: number): Scanned | null {
  let value = '';
  let runStart = at + 1;
  for (let i = at + 1; i < input.length; i++) {
    const c = input[i];
    if (c === '"') return { value: value + input.slice(runStart, i), end: i + 1 };
    if (c === '\\') {
      if (i + 1 >= input.length) return null;
      value += input.slice(runStart, i) + input[i + 1];
      i++;
      runStart = i + 1;
    }
  }
  return null;
}

/** After a bare quote: does the raw uri end here? (see DIGEST_PARAM_NAMES) */
function closesRawUri(input: string, at: number): boolean {
  let i = skipWhitespace(input, at);
  if (i === input.length) return true;
  if (input[i] !== ',') return false;
  i = skipListSeparators(input, i);
  if (i === input.length) return true;
  const nameEnd = scanToken(input, i);
  if (nameEnd === i || input[skipWhitespace(input, nameEnd)] !== '=') return false;
  return DIGEST_PARAM_NAMES.has(input.slice(i, nameEnd).toLowerCase());
}

/**
 * python-xcaplib signs request targets such as `.../list[@name="friends"]` and sends
 * them inside `uri="..."` without escaping. A conforming quoted-string is used when
 * one parses and is followed by a list comma or the end; otherwise the value runs
 * raw (no unescaping: that client does not escape) up to the first quote that is
 * followed by the end or by `, <known parameter>=`.
 */
function readUriValue(input: string, at: number): Scanned | null {
  const conforming = readQuotedString(input, at);
  if (conforming !== null && atElementEnd(input, conforming.end)) return conforming;
  for (let q = input.indexOf('"', at + 1); q !== -1; q = input.indexOf('"', q + 1)) {
    if (closesRawUri(input, q + 1)) return { value: input.slice(at + 1, q), end: q + 1 };
  }
  return null;
}

/** Parses one `name = value` into `params`; returns the index after it or null. */
function readAuthParam(input: string, at: number, params: Map<string, string>): number | null {
  const nameEnd = scanToken(input, at);
  if (nameEnd === at) return null;
  const name = input.slice(at, nameEnd).toLowerCase();
  let i = skipWhitespace(input, nameEnd);
  if (input[i] !== '=') return null;
  i = skipWhitespace(input, i + 1);
  let scanned: Scanned | null;
  if (input[i] === '"') {
    scanned = name === 'uri' ? readUriValue(input, i) : readQuotedString(input, i);
  } else {
    const valueEnd = scanToken(input, i);
    scanned = valueEnd === i ? null : { value: input.slice(i, valueEnd), end: valueEnd };
  }
  // RFC 7616 §3.3 / §3.4: every parameter occurs at most once.
  if (scanned === null || params.has(name)) return null;
  params.set(name, scanned.value);
  return scanned.end;
}

/**
 * All challenges (or credentials) in one header value, e.g. a WWW-Authenticate
 * carrying `Digest ..., algorithm=MD5, Digest ..., algorithm=SHA-256, Basic ...`.
 * Null when any part is malformed or the value holds no challenge at all.
 */
export function parseAuthHeader(input: unknown): AuthChallenge[] | null {
  if (typeof input !== 'string' || FORBIDDEN_CHARS.test(input)) return null;
  const challenges: AuthChallenge[] = [];
  let i = skipListSeparators(input, 0);
  while (i < input.length) {
    const schemeEnd = scanToken(input, i);
    if (schemeEnd === i) return null;
    const scheme = input.slice(i, schemeEnd);
    const params = new Map<string, string>();
    let token68: string | undefined;
    const afterScheme = skipWhitespace(input, schemeEnd);
    i = afterScheme;
    if (!atElementEnd(input, afterScheme)) {
      if (afterScheme === schemeEnd) return null;
      const token68End = scanToken68(input, afterScheme);
      if (token68End > afterScheme && atElementEnd(input, token68End)) {
        token68 = input.slice(afterScheme, token68End);
        i = skipWhitespace(input, token68End);
      } else {
        for (;;) {
          const next = readAuthParam(input, i, params);
          if (next === null) return null;
          i = skipWhitespace(input, next);
          if (i === input.length) break;
          if (input[i] !== ',') return null;
          i = skipListSeparators(input, i);
          if (i === input.length || !startsAuthParam(input, i)) break;
        }
      }
    }
    challenges.push(token68 === undefined ? { scheme, params } : { scheme, params, token68 });
    i = skipListSeparators(input, i);
  }
  return challenges.length > 0 ? challenges : null;
}

function isScheme(challenge: AuthChallenge, scheme: string): boolean {
  return challenge.scheme.toLowerCase() === scheme.toLowerCase();
}

/**
 * The Digest challenges among one or several WWW-Authenticate values (Node may
 * join repeated headers with ", " or hand them over as an array). Malformed values
 * are skipped rather than failing the lot.
 */
export function parseDigestChallenges(values: string | readonly string[] | undefined): AuthChallenge[] {
  if (values === undefined) return [];
  const list = typeof values === 'string' ? [values] : values;
  const found: AuthChallenge[] = [];
  for (const value of list) {
    for (const challenge of parseAuthHeader(value) ?? []) {
      if (isScheme(challenge, 'Digest') && challenge.token68 === undefined) found.push(challenge);
    }
  }
  return found;
}

export type CredentialsParse =
  | { readonly kind: 'digest'; readonly params: ReadonlyMap<string, string> }
  | { readonly kind: 'other-scheme'; readonly scheme: string }
  | { readonly kind: 'malformed' };

/** Classifies an Authorization value: Digest parameters, some other scheme, or garbage. */
export function parseDigestCredentials(input: unknown): CredentialsParse {
  const parsed = parseAuthHeader(input);
  if (parsed === null || parsed.length !== 1) return { kind: 'malformed' };
  const [credentials] = parsed as [AuthChallenge];
  if (!isScheme(credentials, 'Digest')) return { kind: 'other-scheme', scheme: credentials.scheme };
  if (credentials.token68 !== undefined || credentials.params.size === 0) return { kind: 'malformed' };
  return { kind: 'digest', params: credentials.params };
}

/**
 * The uri a client signed must designate the request target (RFC 7616 §3.4.6).
 * Compared as exact strings, after the bare-quote recovery above: both sides are
 * the octets the client put on the wire, so no normalization could make a genuine
 * client match that did not already, and any normalization would widen what a
 * captured signature can be replayed against.
 */
export function signedUriMatches(signedUri: string, requestTarget: string): boolean {
  return signedUri === requestTarget;
}

/** `"..."` with `"` and `\` escaped. */
export function quoteString(value: string): string {
  return `"${value.replace(/["\\]/g, '\\$&')}"`;
}

export function formatAuthParams(entries: readonly AuthParamEntry[]): string {
  return entries
    .map(([name, value, form]) => {
      if (!isToken(name)) throw new TypeError(`not a parameter name: ${JSON.stringify(name)}`);
      // A CR or LF here would let configuration text inject header lines.
      if (FORBIDDEN_CHARS.test(value)) throw new TypeError(`control character in parameter ${name}`);
      return `${name}=${form === 'token' && isToken(value) ? value : quoteString(value)}`;
    })
    .join(', ');
}

export function formatChallenge(scheme: string, entries: readonly AuthParamEntry[]): string {
  if (!isToken(scheme)) throw new TypeError(`not an auth-scheme: ${JSON.stringify(scheme)}`);
  return entries.length === 0 ? scheme : `${scheme} ${formatAuthParams(entries)}`;
}

/**
 * RFC 8187 ext-value (`UTF-8''J%C3%A4s%C3%B8n`), as used by `username*`. Only
 * UTF-8 is accepted; null when malformed.
 */
export function decodeExtValue(value: string): string | null {
  const match = /^([A-Za-z0-9!#$%&+^_`{}~-]+)'[A-Za-z0-9-]*'((?:[A-Za-z0-9!#$&+.^_`|~-]|%[0-9A-Fa-f]{2})*)$/.exec(value);
  if (match === null || match[1]?.toUpperCase() !== 'UTF-8') return null;
  try {
    return decodeURIComponent(match[2] ?? '');
  } catch {
    return null;
  }
}

/**
 * Node decodes header octets as latin1. Text that people typed (user names) arrives
 * as UTF-8 octets, so re-read it as UTF-8 when it is valid UTF-8.
 */
export function decodeHeaderText(value: string): string {
  let ascii = true;
  for (let i = 0; i < value.length; i++) {
    const code = value.charCodeAt(i);
    if (code > 0xff) return value;
    if (code > 0x7f) ascii = false;
  }
  if (ascii) return value;
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(value, 'latin1'));
  } catch {
    return value;
  }
}
