/**
 * Who is asking: HTTP Digest (RFC 7616) or Basic (RFC 7617) against the user store,
 * an identity header from a trusted proxy, or nobody (auth mode none, for a lab).
 *
 * Digest usernames are the user part (`alice`), the realm the user's SIP domain,
 * as python-xcaplib, OpenXCAP and Kamailio do; the domain of the user comes from
 * the realm or, failing that, from the XUI in the request URI.
 */
import type { IncomingMessage } from 'node:http';
import type { Requester } from '../appusages/types.js';
import { basicChallenge, parseBasicAuthorization } from '../auth/basic.js';
import { DigestAuthenticator } from '../auth/digest-server.js';
import { FailureRateLimiter } from '../auth/rate-limiter.js';
import { basicPasswordMatches, digestHa1, storageUserDirectory, type DirectoryUser, type UserDirectory } from '../auth/user-directory.js';
import { domainPart, InvalidUserIdError, normalizeUserId } from '../auth/user-id.js';
import type { Storage } from '../storage/types.js';

export type AuthMode = 'digest' | 'basic' | 'none';

export interface AuthenticatorOptions {
  readonly mode: AuthMode;
  readonly storage: Storage;
  /** Where users come from; default: xcapd's own users in `storage`. */
  readonly users?: UserDirectory;
  /** A fixed realm for every request; by default the realm is the domain of the XUI in the request (or `defaultRealm`). */
  readonly realm?: string | null;
  /** The realm for requests that name no user (the global tree); empty: derived from the Host header. */
  readonly defaultRealm: string;
  /** Addresses whose identity headers are believed (an IMS proxy, the SIP server). */
  readonly trustedProxies?: readonly string[];
  readonly identityHeaders?: readonly string[];
  readonly digestSecret?: Buffer;
  readonly nonceLifetimeMs?: number;
  readonly rateLimiter?: FailureRateLimiter;
}

export type AuthOutcome =
  | { readonly ok: true; readonly requester: Requester; readonly authenticationInfo?: string }
  | { readonly ok: false; readonly status: 401 | 429; readonly headers: Record<string, string | string[]>; readonly message: string };

interface CheckResult {
  readonly user?: DirectoryUser;
  /** The Digest nonce had expired: the client re-signs without asking its user. */
  readonly stale?: boolean;
  readonly authenticationInfo?: string;
}

const REALM_CACHE_MS = 30_000;

export const DEFAULT_IDENTITY_HEADERS = ['x-xcap-asserted-identity', 'x-3gpp-asserted-identity', 'x-3gpp-intended-identity'];

export class Authenticator {
  private readonly digest: DigestAuthenticator;
  private readonly limiter: FailureRateLimiter;
  private readonly trusted: ReadonlySet<string>;
  private readonly identityHeaders: readonly string[];
  private readonly users: UserDirectory;

  constructor(private readonly options: AuthenticatorOptions) {
    this.users = options.users ?? storageUserDirectory(options.storage);
    this.digest = new DigestAuthenticator({
      realm: (hint) => this.realmFor(hint ?? null),
      ...(options.users ? { algorithms: options.users.digestHashes } : {}),
      ...(options.digestSecret ? { secret: options.digestSecret } : {}),
      ...(options.nonceLifetimeMs ? { nonceLifetimeMs: options.nonceLifetimeMs } : {}),
    });
    this.limiter = options.rateLimiter ?? new FailureRateLimiter();
    this.trusted = new Set(options.trustedProxies ?? []);
    this.identityHeaders = (options.identityHeaders ?? DEFAULT_IDENTITY_HEADERS).map((h) => h.toLowerCase());
  }

  get mode(): AuthMode {
    return this.options.mode;
  }

  /** The realm a request is challenged in: the fixed one, or the domain of the user it names. */
  realmFor(xui: string | null, host?: string): string {
    if (this.options.realm) return this.options.realm;
    if (xui) {
      try {
        const domain = domainPart(normalizeUserId(xui));
        if (domain) return domain;
      } catch (e) {
        if (!(e instanceof InvalidUserIdError)) throw e;
      }
    }
    return this.options.defaultRealm || realmFromHost(host);
  }

  /**
   * The realm for a request. A request that names no user (the global tree) can only
   * be answered in a realm the users' password digests were made for: when the host
   * gives none of those, and all users share one realm, that one is used.
   */
  private async requestRealm(xui: string | null, host: string | undefined): Promise<string> {
    const realm = this.realmFor(xui, host);
    if (xui || this.options.realm || this.options.defaultRealm) return realm;
    const known = await this.knownRealms();
    return known.length === 1 ? known[0]! : realm;
  }

  private realmCache: { readonly at: number; readonly realms: readonly string[] } | null = null;

  private async knownRealms(): Promise<readonly string[]> {
    const now = Date.now();
    if (this.realmCache && now - this.realmCache.at < REALM_CACHE_MS) return this.realmCache.realms;
    const { realms } = await this.options.storage.userSummary();
    this.realmCache = { at: now, realms };
    return realms;
  }

  /**
   * @param xui the XUI the request URI names, if any: it picks the realm and
   *   completes a bare username with its domain.
   */
  async authenticate(req: IncomingMessage, xui: string | null): Promise<AuthOutcome> {
    const asserted = this.assertedIdentity(req);
    if (asserted !== null) return asserted;
    if (this.options.mode === 'none') return { ok: true, requester: { userId: null, admin: true } };

    // Failures count per address and user name, so one user's typos (or an attack
    // on one account) do not lock out everyone behind the same NAT.
    const client = `${req.socket.remoteAddress ?? 'unknown'} ${claimedUsername(req.headers.authorization)}`;
    if (this.limiter.isBlocked(client)) {
      const seconds = Math.max(1, Math.ceil(this.limiter.retryAfterMs(client) / 1000));
      return { ok: false, status: 429, headers: { 'Retry-After': String(seconds) }, message: 'too many failed authentication attempts; try again later' };
    }
    const realm = await this.requestRealm(xui, req.headers.host);
    const header = req.headers.authorization;
    const result = this.options.mode === 'digest' ? await this.checkDigest(req, header, realm, xui) : await this.checkBasic(header, realm, xui);
    if (result.user) {
      this.limiter.recordSuccess(client);
      return {
        ok: true,
        requester: { userId: result.user.id, admin: result.user.admin },
        ...(result.authenticationInfo ? { authenticationInfo: result.authenticationInfo } : {}),
      };
    }
    if (header !== undefined && !result.stale) this.limiter.recordFailure(client);
    const challenges =
      this.options.mode === 'digest' ? this.digest.challenge({ realm, stale: result.stale === true }) : [basicChallenge(realm)];
    return {
      ok: false,
      status: 401,
      headers: { 'WWW-Authenticate': challenges },
      message: header === undefined ? 'authentication required' : 'wrong user name or password',
    };
  }

  private async checkDigest(
    req: IncomingMessage,
    header: string | undefined,
    realm: string,
    xui: string | null,
  ): Promise<CheckResult> {
    if (header === undefined || !/^digest\s/i.test(header)) return {};
    let found: DirectoryUser | undefined;
    const verification = await this.digest.verify(header, req.method ?? 'GET', req.url ?? '/', async (username, r, hash) => {
      const user = await this.findUser(username, r, xui);
      const ha1 = user ? digestHa1(user, username, r, hash) : null;
      if (!user || ha1 === null) return null;
      found = user;
      return ha1;
    }, { realm });
    if (verification.ok && found) {
      return { user: found, authenticationInfo: this.digest.authenticationInfo(verification) };
    }
    // A replayed nc with a valid digest is usually a client signing on several
    // connections at once: it gets a fresh nonce, like a stale one, and no strike.
    return { stale: !verification.ok && (verification.reason === 'stale' || verification.reason === 'replay') };
  }

  private async checkBasic(header: string | undefined, realm: string, xui: string | null): Promise<CheckResult> {
    const credentials = parseBasicAuthorization(header);
    if (!credentials) return {};
    const user = await this.findUser(credentials.username, realm, xui);
    if (!user) return {};
    return basicPasswordMatches(user, credentials.password) ? { user } : {};
  }

  /** `alice` → alice@<realm>, then alice@<domain of the XUI>; `alice@example.com` and `sip:alice@example.com` as they are. */
  private async findUser(username: string, realm: string, xui: string | null): Promise<DirectoryUser | null> {
    const candidates: string[] = [];
    try {
      if (username.includes('@') || /^(sips?|tel):/i.test(username)) {
        candidates.push(normalizeUserId(username));
      } else {
        candidates.push(normalizeUserId(`${username}@${realm}`));
        const domain = xui ? safeDomain(xui) : null;
        if (domain && domain !== realm.toLowerCase()) candidates.push(normalizeUserId(`${username}@${domain}`));
      }
    } catch (e) {
      if (e instanceof InvalidUserIdError) return null;
      throw e;
    }
    for (const id of candidates) {
      const user = await this.users.getUser(id);
      if (user) return user;
    }
    return null;
  }

  private assertedIdentity(req: IncomingMessage): AuthOutcome | null {
    if (this.trusted.size === 0 || !this.trusted.has(normalizeAddress(req.socket.remoteAddress))) return null;
    for (const name of this.identityHeaders) {
      const value = req.headers[name];
      if (typeof value !== 'string' || value.trim() === '') continue;
      try {
        return { ok: true, requester: { userId: normalizeUserId(value), admin: false } };
      } catch (e) {
        if (!(e instanceof InvalidUserIdError)) throw e;
      }
    }
    return null;
  }
}

/** The user name an Authorization header claims (unverified), for rate limiting only. */
function claimedUsername(header: string | undefined): string {
  if (!header) return '';
  const digest = /\busername="([^"]{0,256})"/i.exec(header);
  if (digest) return digest[1]!.toLowerCase();
  return parseBasicAuthorization(header)?.username.toLowerCase() ?? '';
}

/** `xcap.example.com:8080` → `example.com`. */
export function realmFromHost(host: string | undefined): string {
  const name = (host ?? '').replace(/:\d+$/, '').replace(/^\[(.*)\]$/, '$1').toLowerCase();
  if (name === '') return 'xcap';
  return name.startsWith('xcap.') && name.length > 5 ? name.slice(5) : name;
}

function safeDomain(xui: string): string | null {
  try {
    return domainPart(normalizeUserId(xui));
  } catch {
    return null;
  }
}

function normalizeAddress(address: string | undefined): string {
  if (!address) return '';
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}
