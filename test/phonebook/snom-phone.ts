/**
 * A Snom deskphone's directory client, as seeds 000/001 describe it: it builds its
 * URL from xcap_directory_auid, the identity's user and registrar and
 * xcap_dir_doc_name, GETs it (conditionally once it has an ETag), and PUTs the
 * whole document back after a local change, without If-Match. It answers Digest
 * challenges with the identity's credentials, or sends Basic up front.
 */
import { DigestClientSession } from '../../src/auth/digest-client.js';
import { basic, rawRequest, type RawResponse } from '../helpers/xcapd.js';

export interface PhoneIdentity {
  readonly user: string;
  readonly registrar: string;
  readonly password: string;
}

export interface SnomPhoneOptions {
  readonly auth: 'digest' | 'basic';
  readonly userAgent?: string;
  /** xcap_directory_auid, '' by default. */
  readonly directoryAuid?: string;
  readonly documentName?: string;
  readonly contentType?: string | null;
}

export class SnomPhone {
  identity: PhoneIdentity;
  /** The ETag of the copy the phone holds. */
  etag: string | null = null;
  book: string | null = null;
  private digest: DigestClientSession | null = null;
  /** Every HTTP exchange, 401 challenges included. */
  readonly log: { method: string; path: string; status: number }[] = [];

  constructor(
    private readonly origin: string,
    identity: PhoneIdentity,
    private readonly options: SnomPhoneOptions,
  ) {
    this.identity = identity;
  }

  /** Switching identity clears the phone's directory (seed 001). */
  switchIdentity(identity: PhoneIdentity): void {
    this.identity = identity;
    this.etag = null;
    this.book = null;
    this.digest = null;
  }

  path(identity: PhoneIdentity = this.identity): string {
    const auid = this.options.directoryAuid ?? '';
    return `/${auid === '' ? '' : `${auid}/`}users/sip:${identity.user}@${identity.registrar}/${this.options.documentName ?? 'tbook.xml'}`;
  }

  async request(method: string, path: string, headers: Record<string, string> = {}, body?: string | Buffer): Promise<RawResponse> {
    const send = async (authorization: string | null) => {
      const r = await rawRequest(this.origin, {
        method,
        path,
        headers: { 'User-Agent': this.options.userAgent ?? 'snom370-SIP 8.7.3.25.5', ...headers, ...(authorization ? { Authorization: authorization } : {}) },
        ...(body === undefined ? {} : { body }),
      });
      this.log.push({ method, path, status: r.status });
      return r;
    };
    let response: RawResponse;
    if (this.options.auth === 'basic') {
      response = await send(basic(this.identity.user, this.identity.password));
    } else {
      response = await send(this.digest?.authorize(method, path) ?? null);
      if (response.status === 401) {
        const challenges = response.headersDistinct['www-authenticate'] ?? [];
        this.digest = new DigestClientSession(challenges, { username: this.identity.user, password: this.identity.password });
        response = await send(this.digest.authorize(method, path));
      }
    }
    return response;
  }

  /** The periodic fetch (xcap_tbook_sync_interval). */
  async sync(options: { conditional?: boolean } = {}): Promise<RawResponse> {
    const conditional = options.conditional ?? true;
    const r = await this.request('GET', this.path(), conditional && this.etag ? { 'If-None-Match': this.etag } : {});
    if (r.status === 200) {
      this.book = r.body;
      this.etag = r.headers.etag ?? null;
    }
    return r;
  }

  /** A local change: the whole document goes back. */
  async save(book: string): Promise<RawResponse> {
    this.book = book;
    const type = this.options.contentType === undefined ? 'text/xml' : this.options.contentType;
    const r = await this.request('PUT', this.path(), type === null ? {} : { 'Content-Type': type }, book);
    if (r.status === 200 || r.status === 201) this.etag = r.headers.etag ?? null;
    return r;
  }
}

export interface TestEntry {
  readonly id: string;
  readonly name: string;
  readonly props?: Readonly<Record<string, string>>;
}

/** A tbook.xml as a Snom phone writes it. */
export function tbook(entries: readonly TestEntry[]): string {
  const body = entries
    .map((e) => {
      const props = Object.entries(e.props ?? {})
        .map(([n, v]) => `\n      <cp:prop name="${n}" value="${v}"/>`)
        .join('');
      return `    <entry>\n      <display-name>${e.name}</display-name>\n      <cp:prop name="entry_id" value="${e.id}"/>${props}\n    </entry>\n`;
    })
    .join('');
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="counterpath:properties">\n' +
    `  <list name="Contact List">\n${body}  </list>\n</resource-lists>\n`
  );
}

/** entry_id → display name of the entries of a tbook.xml (a light regex read; the test documents are regular). */
export function entriesOf(xml: string): Map<string, string> {
  const out = new Map<string, string>();
  for (const m of xml.matchAll(/<entry[^>]*>\s*<display-name>([^<]*)<\/display-name>\s*<cp:prop name="entry_id" value="([^"]*)"\/>/g)) {
    out.set(m[2]!, m[1]!);
  }
  return out;
}

/** The value of a field of the entry with `id`. */
export function fieldOf(xml: string, id: string, name: string): string | undefined {
  const start = xml.indexOf(`value="${id}"`);
  if (start < 0) return undefined;
  const end = xml.indexOf('</entry>', start);
  const m = new RegExp(`<cp:prop name="${name.replace('#', '\\#')}" value="([^"]*)"`).exec(xml.slice(start, end));
  return m?.[1];
}
