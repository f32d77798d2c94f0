/**
 * How the client proves who it is. Digest (RFC 7616) is answered from the server's
 * challenge and then signed pre-emptively on every request with the same nonce and
 * a growing nc, so a session pays the 401 round trip once, not per request; Basic is
 * sent pre-emptively once known; an identity header (X-XCAP-Asserted-Identity,
 * X-3GPP-Intended-Identity) stands in for credentials behind a trusted proxy.
 */
import { basicAuthorization } from '../auth/basic.js';
import { DigestClientSession, UnsupportedChallengeError } from '../auth/digest-client.js';
import type { DigestAlgorithm } from '../auth/digest-hash.js';
import { parseAuthHeader, type AuthChallenge } from '../auth/digest-header.js';

/**
 * auto: answer whatever the server challenges with (Digest preferred, Basic only when
 * it offers nothing else); digest / basic: only that scheme (basic is sent at once);
 * none: never send credentials.
 */
export type AuthMode = 'auto' | 'digest' | 'basic' | 'none';

export interface SignerOptions {
  readonly mode: AuthMode;
  readonly username: string;
  readonly password?: string;
  readonly digestPreference?: readonly DigestAlgorithm[];
  readonly identityHeader?: { readonly name: string; readonly value: string };
}

export interface SignedHeaders {
  readonly headers: Record<string, string>;
  /** Whether an Authorization header was added. */
  readonly signed: boolean;
  /** The Digest realm signed for, if any: handed back to `challenged`. */
  readonly realm: string | null;
}

/**
 * Signs requests. Digest sessions are kept per realm, and each protection space (a
 * user's tree, the global tree) remembers its realm, so a client that alternates
 * between trees with different realms still signs each request right the first time.
 */
export class RequestSigner {
  readonly #options: SignerOptions;
  readonly #sessions = new Map<string, DigestClientSession>();
  readonly #realmOfSpace = new Map<string, string>();
  #lastRealm: string | null = null;
  #basic: boolean;
  /** Why the last challenge could not be answered, for the error message. */
  #problem: string | null = null;

  constructor(options: SignerOptions) {
    this.#options = options;
    this.#basic = options.mode === 'basic' && this.#hasPassword();
  }

  /** The scheme in use once known: `Digest SHA-256 realm="example.com"`, `Basic`, or null. */
  get scheme(): string | null {
    const session = this.#lastRealm === null ? undefined : this.#sessions.get(this.#lastRealm);
    if (session) return `Digest ${session.algorithm} realm="${session.realm}"`;
    return this.#basic ? 'Basic' : null;
  }

  get problem(): string | null {
    return this.#problem;
  }

  get hasPassword(): boolean {
    return this.#hasPassword();
  }

  /** @param space the protection space of the request (e.g. the XUI, or 'global'). */
  headersFor(method: string, target: string, space: string): SignedHeaders {
    const headers: Record<string, string> = {};
    const identity = this.#options.identityHeader;
    if (identity) headers[identity.name] = identity.value;
    if (this.#options.mode === 'none' || !this.#hasPassword()) return { headers, signed: false, realm: null };
    const realm = this.#realmOfSpace.get(space) ?? this.#lastRealm;
    const session = realm === null ? undefined : this.#sessions.get(realm);
    if (session) {
      headers.Authorization = session.authorize(method, target);
      return { headers, signed: true, realm: session.realm };
    }
    if (this.#basic) {
      headers.Authorization = basicAuthorization(this.#options.username, this.#options.password!);
      return { headers, signed: true, realm: null };
    }
    return { headers, signed: false, realm: null };
  }

  /**
   * Takes the WWW-Authenticate values of a 401 to a request signed as `sent`. True
   * when sending the request again is worth it: the first challenge of a realm, or a
   * stale nonce. False when the credentials themselves were refused or the challenge
   * cannot be answered.
   */
  challenged(values: readonly string[], sent: SignedHeaders, space: string): boolean {
    this.#problem = null;
    const mode = this.#options.mode;
    if (mode === 'none' || !this.#hasPassword()) return false;
    const challenges = values.flatMap((v) => parseAuthHeader(v) ?? []);
    const digest = challenges.filter((c) => isScheme(c, 'digest'));
    const basicOffered = challenges.some((c) => isScheme(c, 'basic'));

    if (mode !== 'basic' && digest.length > 0) {
      let fresh: DigestClientSession | null = null;
      try {
        fresh = new DigestClientSession(values, { username: this.#options.username, password: this.#options.password! }, {
          ...(this.#options.digestPreference ? { preference: this.#options.digestPreference } : {}),
        });
      } catch (e) {
        if (!(e instanceof UnsupportedChallengeError)) throw e;
        this.#problem = `the server's Digest challenges cannot be answered (offered: ${describeOffered(digest)}; supported: MD5, MD5-sess, SHA-256, SHA-256-sess with qop=auth)`;
      }
      if (fresh !== null) {
        this.#realmOfSpace.set(space, fresh.realm);
        this.#lastRealm = fresh.realm;
        this.#basic = false;
        const existing = this.#sessions.get(fresh.realm);
        // Refused although signed for this very realm: only a stale nonce is worth a retry.
        if (existing && sent.realm === fresh.realm) return existing.update(values);
        this.#sessions.set(fresh.realm, fresh);
        return true;
      }
      if (!(mode === 'auto' && basicOffered)) return false;
    }
    if (basicOffered && mode !== 'digest') {
      if (this.#basic && sent.signed) return false;
      this.#basic = true;
      return true;
    }
    if (this.#problem === null) {
      this.#problem = challenges.length === 0
        ? 'the server sent 401 without a usable WWW-Authenticate challenge'
        : `the server asks for ${[...new Set(challenges.map((c) => c.scheme))].join(', ')}, not for ${mode === 'auto' ? 'Digest or Basic' : mode === 'digest' ? 'Digest' : 'Basic'}`;
    }
    return false;
  }

  /** Adopts the `nextnonce` of an Authentication-Info header for the realm that was signed for. */
  accept(authenticationInfo: string | undefined, sent: SignedHeaders): void {
    if (sent.realm !== null) this.#sessions.get(sent.realm)?.acceptAuthenticationInfo(authenticationInfo);
  }

  #hasPassword(): boolean {
    return typeof this.#options.password === 'string';
  }
}

function isScheme(c: AuthChallenge, scheme: string): boolean {
  return c.scheme.toLowerCase() === scheme;
}

function describeOffered(challenges: readonly AuthChallenge[]): string {
  return challenges
    .map((c) => `${c.params.get('algorithm') ?? 'MD5'}${c.params.has('qop') ? ` qop=${c.params.get('qop')}` : ''}`)
    .join(', ');
}
