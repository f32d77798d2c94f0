/**
 * SIP messages (RFC 3261 §7, §20, §25): parsing what arrives, writing what goes out.
 * Strict where mistakes would be dangerous (start line, Content-Length, sizes) and
 * tolerant where real user agents differ (compact header names, case, folded lines,
 * several values in one header).
 */

export interface SipRequest {
  readonly kind: 'request';
  readonly method: string;
  readonly uri: string;
  readonly headers: SipHeaders;
  readonly body: Buffer;
}

export interface SipResponse {
  readonly kind: 'response';
  readonly status: number;
  readonly reason: string;
  readonly headers: SipHeaders;
  readonly body: Buffer;
}

export type SipMessage = SipRequest | SipResponse;

export class SipParseError extends Error {
  override readonly name = 'SipParseError';
}

/** RFC 3261 §7.3.3 compact forms, plus the RFC 6665 ones used by event packages. */
const COMPACT: Readonly<Record<string, string>> = {
  i: 'call-id',
  m: 'contact',
  e: 'content-encoding',
  l: 'content-length',
  c: 'content-type',
  f: 'from',
  s: 'subject',
  k: 'supported',
  t: 'to',
  v: 'via',
  o: 'event',
  u: 'allow-events',
};

/** Headers whose values may be written as a comma-separated list in one line. */
const LIST_HEADERS = new Set(['via', 'route', 'record-route', 'contact', 'allow', 'supported', 'require', 'accept', 'allow-events']);

const CANONICAL: Readonly<Record<string, string>> = {
  'call-id': 'Call-ID',
  cseq: 'CSeq',
  'www-authenticate': 'WWW-Authenticate',
  'sip-etag': 'SIP-ETag',
  'sip-if-match': 'SIP-If-Match',
  'min-expires': 'Min-Expires',
};

export const MAX_MESSAGE_BYTES = 256 * 1024;

export class SipHeaders {
  private readonly entries: [string, string][] = [];

  static of(pairs: readonly (readonly [string, string])[]): SipHeaders {
    const h = new SipHeaders();
    for (const [n, v] of pairs) h.add(n, v);
    return h;
  }

  /** The first value (after list splitting) of a header, or undefined. */
  get(name: string): string | undefined {
    const key = normalizeName(name);
    return this.entries.find((e) => e[0] === key)?.[1];
  }

  getAll(name: string): string[] {
    const key = normalizeName(name);
    return this.entries.filter((e) => e[0] === key).map((e) => e[1]);
  }

  has(name: string): boolean {
    return this.get(name) !== undefined;
  }

  add(name: string, value: string): this {
    if (/[\r\n]/.test(value)) throw new TypeError(`a SIP header value may not contain a line break (${name})`);
    this.entries.push([normalizeName(name), value]);
    return this;
  }

  set(name: string, value: string): this {
    this.delete(name);
    return this.add(name, value);
  }

  delete(name: string): void {
    const key = normalizeName(name);
    for (let i = this.entries.length - 1; i >= 0; i--) if (this.entries[i]![0] === key) this.entries.splice(i, 1);
  }

  [Symbol.iterator](): IterableIterator<[string, string]> {
    return this.entries[Symbol.iterator]();
  }
}

function normalizeName(name: string): string {
  const lower = name.trim().toLowerCase();
  return COMPACT[lower] ?? lower;
}

function displayName(name: string): string {
  return CANONICAL[name] ?? name.replace(/(^|-)([a-z])/g, (_, dash: string, c: string) => dash + c.toUpperCase());
}

/** Splits a header value at commas that are not inside quotes or angle brackets. */
export function splitList(value: string): string[] {
  const out: string[] = [];
  let cur = '';
  let quoted = false;
  let angle = 0;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i]!;
    if (quoted) {
      cur += ch;
      if (ch === '\\' && i + 1 < value.length) cur += value[++i];
      else if (ch === '"') quoted = false;
      continue;
    }
    if (ch === '"') quoted = true;
    else if (ch === '<') angle++;
    else if (ch === '>') angle = Math.max(0, angle - 1);
    else if (ch === ',' && angle === 0) {
      if (cur.trim() !== '') out.push(cur.trim());
      cur = '';
      continue;
    }
    cur += ch;
  }
  if (cur.trim() !== '') out.push(cur.trim());
  return out;
}

/**
 * Parses one complete message. On UDP the datagram is the message; a Content-Length,
 * when present, must not exceed what is there (extra bytes are ignored, §18.3).
 */
export function parseSipMessage(data: Buffer): SipMessage {
  if (data.length > MAX_MESSAGE_BYTES) throw new SipParseError('message too large');
  const end = data.indexOf('\r\n\r\n');
  if (end < 0) throw new SipParseError('no end of headers');
  const head = data.subarray(0, end).toString('utf8');
  const lines = unfold(head.split('\r\n'));
  const start = lines.shift() ?? '';
  const headers = new SipHeaders();
  for (const line of lines) {
    const colon = line.indexOf(':');
    if (colon <= 0) throw new SipParseError(`malformed header line ${JSON.stringify(line.slice(0, 60))}`);
    const name = line.slice(0, colon).trim();
    if (!/^[A-Za-z0-9!%*_+`'~.-]+$/.test(name)) throw new SipParseError(`malformed header name ${JSON.stringify(name)}`);
    const value = line.slice(colon + 1).trim();
    if (LIST_HEADERS.has(normalizeName(name)) && !(normalizeName(name) === 'contact' && value === '*')) {
      for (const part of splitList(value)) headers.add(name, part);
    } else {
      headers.add(name, value);
    }
  }
  let body = data.subarray(end + 4);
  const length = headers.get('content-length');
  if (length !== undefined) {
    if (!/^\d{1,7}$/.test(length)) throw new SipParseError(`bad Content-Length ${JSON.stringify(length)}`);
    const n = Number(length);
    if (n > body.length) throw new SipParseError('body shorter than Content-Length');
    body = body.subarray(0, n);
  }
  for (const required of ['via', 'call-id', 'cseq', 'from', 'to']) {
    if (!headers.has(required)) throw new SipParseError(`missing ${displayName(required)} header`);
  }
  const response = /^SIP\/2\.0 ([1-6]\d\d) ?(.*)$/.exec(start);
  if (response) return { kind: 'response', status: Number(response[1]), reason: response[2] ?? '', headers, body: Buffer.from(body) };
  const request = /^([A-Za-z]+) (\S+) SIP\/2\.0$/.exec(start);
  if (!request) throw new SipParseError(`malformed start line ${JSON.stringify(start.slice(0, 80))}`);
  return { kind: 'request', method: request[1]!.toUpperCase(), uri: request[2]!, headers, body: Buffer.from(body) };
}

function unfold(lines: string[]): string[] {
  const out: string[] = [];
  for (const line of lines) {
    if ((line.startsWith(' ') || line.startsWith('\t')) && out.length > 0) out[out.length - 1] += ` ${line.trim()}`;
    else out.push(line);
  }
  return out;
}

/** Writes a message, setting Content-Length from the body. */
export function serializeSipMessage(message: SipMessage): Buffer {
  const start = message.kind === 'request' ? `${message.method} ${message.uri} SIP/2.0` : `SIP/2.0 ${message.status} ${message.reason}`;
  let head = `${start}\r\n`;
  for (const [name, value] of message.headers) {
    if (name === 'content-length') continue;
    head += `${displayName(name)}: ${value}\r\n`;
  }
  head += `Content-Length: ${message.body.length}\r\n\r\n`;
  return Buffer.concat([Buffer.from(head, 'utf8'), message.body]);
}

/**
 * Frames messages on a stream (TCP, §18.3): headers up to the blank line, then exactly
 * Content-Length bytes (mandatory on streams). CRLF keep-alives between messages are
 * skipped (RFC 5626 §3.5.1).
 */
export class SipStreamFramer {
  private buffer: Buffer = Buffer.alloc(0);

  /** Appends data and returns the complete messages it finished. Throws on a malformed stream. */
  push(chunk: Buffer): Buffer[] {
    this.buffer = this.buffer.length === 0 ? chunk : Buffer.concat([this.buffer, chunk]);
    const out: Buffer[] = [];
    for (;;) {
      let skip = 0;
      while (skip + 1 < this.buffer.length && this.buffer[skip] === 0x0d && this.buffer[skip + 1] === 0x0a) skip += 2;
      if (skip > 0) this.buffer = this.buffer.subarray(skip);
      const end = this.buffer.indexOf('\r\n\r\n');
      if (end < 0) {
        if (this.buffer.length > MAX_MESSAGE_BYTES) throw new SipParseError('headers too large');
        return out;
      }
      const head = this.buffer.subarray(0, end).toString('latin1');
      const m = /^(?:content-length|l)[ \t]*:[ \t]*(\d+)[ \t]*$/im.exec(head);
      if (!m) throw new SipParseError('a message on a stream needs Content-Length');
      const total = end + 4 + Number(m[1]);
      if (total > MAX_MESSAGE_BYTES) throw new SipParseError('message too large');
      if (this.buffer.length < total) return out;
      out.push(Buffer.from(this.buffer.subarray(0, total)));
      this.buffer = this.buffer.subarray(total);
    }
  }
}

// ---------------------------------------------------------------------------
// Header values

export interface NameAddr {
  readonly display: string | null;
  readonly uri: string;
  readonly params: ReadonlyMap<string, string>;
}

/** `"Alice" <sip:alice@example.com>;tag=1` or `sip:alice@example.com;tag=1` (§20.10, §20.20). */
export function parseNameAddr(value: string): NameAddr {
  const v = value.trim();
  let display: string | null = null;
  let uri: string;
  let rest: string;
  const lt = v.indexOf('<');
  if (lt >= 0) {
    const gt = v.indexOf('>', lt);
    if (gt < 0) throw new SipParseError(`unclosed < in ${JSON.stringify(v)}`);
    const d = v.slice(0, lt).trim();
    display = d === '' ? null : d.replace(/^"(.*)"$/, '$1');
    uri = v.slice(lt + 1, gt).trim();
    rest = v.slice(gt + 1);
  } else {
    const semi = v.indexOf(';');
    uri = semi < 0 ? v : v.slice(0, semi);
    rest = semi < 0 ? '' : v.slice(semi);
  }
  if (!/^(sips?|tel):\S+$/i.test(uri)) throw new SipParseError(`not a SIP URI: ${JSON.stringify(uri)}`);
  return { display, uri, params: parseParams(rest) };
}

export function parseParams(text: string): Map<string, string> {
  const params = new Map<string, string>();
  for (const part of text.split(';')) {
    const p = part.trim();
    if (p === '') continue;
    const eq = p.indexOf('=');
    const name = (eq < 0 ? p : p.slice(0, eq)).trim().toLowerCase();
    const value = eq < 0 ? '' : p.slice(eq + 1).trim().replace(/^"(.*)"$/, '$1');
    params.set(name, value);
  }
  return params;
}

export interface Via {
  readonly transport: string;
  readonly host: string;
  readonly port: number | null;
  readonly params: ReadonlyMap<string, string>;
}

/** `SIP/2.0/UDP host:port;branch=z9hG4bK...` (§20.42). */
export function parseVia(value: string): Via {
  const m = /^SIP\s*\/\s*2\.0\s*\/\s*([A-Za-z]+)\s+(\[[^\]]+\]|[^\s;:]+)(?::(\d+))?\s*(;.*)?$/i.exec(value.trim());
  if (!m) throw new SipParseError(`malformed Via ${JSON.stringify(value)}`);
  return {
    transport: m[1]!.toUpperCase(),
    host: m[2]!.replace(/^\[(.*)\]$/, '$1'),
    port: m[3] === undefined ? null : Number(m[3]),
    params: parseParams(m[4] ?? ''),
  };
}

export function parseCSeq(value: string): { seq: number; method: string } {
  const m = /^(\d{1,10})\s+([A-Za-z]+)$/.exec(value.trim());
  if (!m) throw new SipParseError(`malformed CSeq ${JSON.stringify(value)}`);
  return { seq: Number(m[1]), method: m[2]!.toUpperCase() };
}

/** `xcap-diff; diff-processing=aggregate` → the package and its parameters (§RFC 6665 8.2.1). */
export function parseEvent(value: string): { package: string; params: Map<string, string> } {
  const semi = value.indexOf(';');
  const name = (semi < 0 ? value : value.slice(0, semi)).trim().toLowerCase();
  return { package: name, params: parseParams(semi < 0 ? '' : value.slice(semi)) };
}

export interface SipUriParts {
  readonly scheme: string;
  readonly user: string | null;
  readonly host: string;
  readonly port: number | null;
  readonly params: ReadonlyMap<string, string>;
}

/** The parts of a sip:/sips: URI needed to route to it. */
export function parseSipUri(uri: string): SipUriParts {
  const m = /^(sips?):(?:([^@;?]+)@)?(\[[^\]]+\]|[^:;?]+)(?::(\d+))?([^?]*)/i.exec(uri.trim());
  if (!m) throw new SipParseError(`not a SIP URI: ${JSON.stringify(uri)}`);
  return {
    scheme: m[1]!.toLowerCase(),
    user: m[2] ?? null,
    host: m[3]!.replace(/^\[(.*)\]$/, '$1'),
    port: m[4] === undefined ? null : Number(m[4]),
    params: parseParams(m[5] ?? ''),
  };
}
