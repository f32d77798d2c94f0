/**
 * One spelling per user. A normalized id is `user@domain` for SIP identities and
 * `tel:+number` for telephone numbers:
 * - `sip:` / `sips:` name the same user, so the scheme is dropped;
 * - the domain is lower-cased (host names are case-insensitive), the user part is
 *   kept as is (SIP user parts are case-sensitive, RFC 3261 §19.1.4) but
 *   percent-decoded, since `%41` and `A` are the same user part;
 * - password, port, URI parameters and headers identify nothing and are dropped;
 * - `<sip:...>`, `"Alice" <sip:...>` and the quoted `"<sip:...>"` /
 *   `"sip:..."` forms of X-3GPP-Intended-Identity are accepted.
 * A scheme-less `user@domain` is taken as already normalized (no percent-decoding),
 * which makes normalization idempotent; for the same reason a user part may not
 * contain whitespace, `:`, `"`, `<` or `>`, not even percent-encoded.
 */

export class InvalidUserIdError extends Error {
  override readonly name = 'InvalidUserIdError';
  readonly input: string;

  constructor(input: string, reason: string) {
    super(`invalid user id ${JSON.stringify(input)}: ${reason}`);
    this.input = input;
  }
}

const CONTROL_CHARS = /[\u0000-\u001f\u007f]/;
/**
 * Refused even percent-encoded: they would make a normalized id read back as
 * something else (a scheme, a display name), breaking idempotency.
 */
const FORBIDDEN_IN_USER = /[\u0000-\u0020\u007f"<>:]/;
// Characters RFC 3261 never allows unescaped in a user part; anything else is tolerated.
const FORBIDDEN_IN_RAW_USER = /[\s"<>[\]\\^`{|}@]/;
const SIP_USER_SAFE = /[A-Za-z0-9\-_.!~*'()&=+$,;?/]/;
const HOST_NAME = /^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/;
const IPV6_REFERENCE = /^\[[0-9a-f:.]+\]$/;

function fail(input: string, reason: string): never {
  throw new InvalidUserIdError(input, reason);
}

/** Strips display names, angle brackets and the quoting 3GPP headers add. */
function addrSpecOf(input: string, text: string): string {
  if (text.startsWith('"')) {
    let i = 1;
    let quoted = '';
    for (; i < text.length && text[i] !== '"'; i++) {
      if (text[i] === '\\') i++;
      quoted += text[i] ?? '';
    }
    if (i >= text.length) fail(input, 'unterminated quoted string');
    const rest = text.slice(i + 1).trim();
    // Only a quoted identity, as in X-3GPP-Intended-Identity: "<sip:...>".
    if (rest === '') return addrSpecOf(input, quoted.trim());
    if (!rest.startsWith('<')) fail(input, 'display name without <uri>');
    return angleContent(input, rest);
  }
  const open = text.indexOf('<');
  if (open === -1) return text;
  if (/["<>]/.test(text.slice(0, open))) fail(input, 'malformed display name');
  return angleContent(input, text.slice(open));
}

function angleContent(input: string, text: string): string {
  if (!text.endsWith('>')) fail(input, 'missing >');
  const inner = text.slice(1, -1).trim();
  if (/[<>]/.test(inner)) fail(input, 'nested angle brackets');
  return inner;
}

function normalizeDomain(input: string, hostport: string): string {
  const host = hostport.toLowerCase();
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    const reference = host.slice(0, close + 1);
    const after = host.slice(close + 1);
    if (close === -1 || !IPV6_REFERENCE.test(reference) || !/^(:[0-9]+)?$/.test(after)) fail(input, 'bad host');
    return reference;
  }
  const [name = '', port, extra] = host.split(':');
  if (extra !== undefined || (port !== undefined && !/^[0-9]+$/.test(port))) fail(input, 'bad port');
  const withoutDot = name.endsWith('.') ? name.slice(0, -1) : name;
  if (!HOST_NAME.test(withoutDot)) fail(input, 'bad host');
  return withoutDot;
}

function normalizeSipUri(input: string, rest: string): string {
  const at = rest.indexOf('@');
  if (at === -1) fail(input, 'no user part');
  const userinfo = rest.slice(0, at);
  // RFC 3261 userinfo = user [":" password]; ":" is not a user character.
  const rawUser = userinfo.split(':', 1)[0] ?? '';
  if (rawUser === '') fail(input, 'empty user part');
  if (FORBIDDEN_IN_RAW_USER.test(rawUser) || CONTROL_CHARS.test(rawUser)) fail(input, 'bad character in user part');
  let user: string;
  try {
    user = decodeURIComponent(rawUser);
  } catch {
    fail(input, 'bad percent-encoding in user part');
  }
  if (FORBIDDEN_IN_USER.test(user)) fail(input, 'bad character in user part');
  const hostport = rest.slice(at + 1).split(/[;?]/, 1)[0] ?? '';
  return `${user}@${normalizeDomain(input, hostport)}`;
}

function normalizeTelUri(input: string, rest: string): string {
  // Parameters dropped; visual separators do not take part in comparison (RFC 3966 §4).
  const number = (rest.split(';', 1)[0] ?? '').replace(/[-.()]/g, '');
  if (/^\+[0-9]+$/.test(number)) return `tel:${number}`;
  if (/^[0-9A-Fa-f*#]*[0-9][0-9A-Fa-f*#]*$/.test(number)) return `tel:${number.toUpperCase()}`;
  return fail(input, 'bad telephone number');
}

function normalizeBare(input: string, text: string): string {
  const at = text.lastIndexOf('@');
  if (at <= 0) fail(input, 'expected user@domain');
  const user = text.slice(0, at);
  if (FORBIDDEN_IN_USER.test(user)) fail(input, 'bad character in user part');
  return `${user}@${normalizeDomain(input, text.slice(at + 1))}`;
}

export function normalizeUserId(input: string): string {
  if (typeof input !== 'string') throw new InvalidUserIdError(String(input), 'not a string');
  const addrSpec = addrSpecOf(input, input.trim());
  const scheme = /^([A-Za-z][A-Za-z0-9+.-]*):/.exec(addrSpec)?.[1]?.toLowerCase();
  if (scheme === undefined) return normalizeBare(input, addrSpec);
  const rest = addrSpec.slice(scheme.length + 1);
  if (scheme === 'sip' || scheme === 'sips') return normalizeSipUri(input, rest);
  if (scheme === 'tel') return normalizeTelUri(input, rest);
  return fail(input, `unsupported scheme ${scheme}`);
}

export function isTelUserId(id: string): boolean {
  return normalizeUserId(id).startsWith('tel:');
}

/** The user part (decoded), or the number of a tel id. */
export function userPart(id: string): string {
  const normalized = normalizeUserId(id);
  if (normalized.startsWith('tel:')) return normalized.slice(4);
  return normalized.slice(0, normalized.lastIndexOf('@'));
}

/** The lower-cased domain; null for tel ids, which have none. */
export function domainPart(id: string): string | null {
  const normalized = normalizeUserId(id);
  if (normalized.startsWith('tel:')) return null;
  return normalized.slice(normalized.lastIndexOf('@') + 1);
}

/** The XCAP User Identifier: `sip:user@domain` with the user part re-escaped; tel stays tel. */
export function toXui(id: string): string {
  const normalized = normalizeUserId(id);
  if (normalized.startsWith('tel:')) return normalized;
  const at = normalized.lastIndexOf('@');
  let user = '';
  for (const char of normalized.slice(0, at)) {
    if (SIP_USER_SAFE.test(char)) {
      user += char;
    } else {
      for (const byte of Buffer.from(char, 'utf8')) user += `%${byte.toString(16).toUpperCase().padStart(2, '0')}`;
    }
  }
  return `sip:${user}@${normalized.slice(at + 1)}`;
}
