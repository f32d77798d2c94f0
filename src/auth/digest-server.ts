/**
 * Server side of HTTP Digest (RFC 7616): challenges, stateless nonces, and the
 * verification of Authorization credentials against stored HA1 values.
 *
 * Nonces carry their own proof of origin, `base64url(timestamp || random ||
 * HMAC(secret, timestamp || random || realm))`, so any process holding the secret
 * accepts them without shared state. Replay protection (nc strictly increasing per
 * nonce) is per process and bounded; a nonce whose counter was forgotten is
 * answered "stale" so the client silently takes a fresh one, never accepted again.
 */
import { createHmac, randomBytes } from 'node:crypto';
import {
  DIGEST_ALGORITHMS,
  baseHashOf,
  digestResponse,
  effectiveHa1,
  parseDigestAlgorithm,
  timingSafeEqualStrings,
} from './digest-hash.js';
import type { DigestAlgorithm, DigestHashName } from './digest-hash.js';
import {
  decodeExtValue,
  decodeHeaderText,
  formatAuthParams,
  formatChallenge,
  parseDigestCredentials,
  signedUriMatches,
} from './digest-header.js';
import type { AuthParamEntry } from './digest-header.js';

export type LookupHa1 = (username: string, realm: string, algorithm: DigestHashName) => Promise<string | null>;

export interface DigestAuthenticatorOptions {
  /** A fixed realm, or one chosen per request from a hint (e.g. the user in the XCAP path). */
  readonly realm: string | ((userHint?: string) => string);
  /**
   * Offered in this order, one challenge each. MD5 comes first by default because
   * python-xcaplib only reads the first WWW-Authenticate header. A `-sess` variant
   * is accepted whenever its base hash is listed.
   */
  readonly algorithms?: readonly DigestAlgorithm[];
  readonly nonceLifetimeMs?: number;
  /** Shared by every process that must accept the others' nonces; random by default. */
  readonly secret?: Buffer;
  readonly now?: () => number;
  /** Bound on the nonces whose last nc is remembered. */
  readonly maxTrackedNonces?: number;
  /** Nonces stamped this far in the future (clock skew between processes) are still accepted. */
  readonly clockSkewMs?: number;
}

export type DigestFailureReason =
  | 'missing'
  | 'malformed'
  | 'unknown-user'
  | 'bad-response'
  | 'stale'
  | 'replay'
  | 'uri-mismatch'
  | 'wrong-realm'
  | 'unsupported-algorithm';

export interface DigestSuccess {
  readonly ok: true;
  readonly username: string;
  readonly realm: string;
  readonly algorithm: DigestAlgorithm;
}

export interface DigestFailure {
  readonly ok: false;
  readonly reason: DigestFailureReason;
}

export type DigestVerification = DigestSuccess | DigestFailure;

export interface VerifyOptions {
  /**
   * The realm this request must be in. Otherwise the realm option decides, given
   * `userHint` or, without one, the user name from the credentials.
   */
  readonly realm?: string;
  readonly userHint?: string;
}

/** What rspauth needs; kept out of the result so HA1 never lands in a log line. */
interface ResponseAuthMaterial {
  readonly algorithm: DigestAlgorithm;
  readonly ha1: string;
  readonly nonce: string;
  readonly nonceIssuedAt: number;
  readonly nc: string;
  readonly cnonce: string;
  readonly uri: string;
}

const TIMESTAMP_BYTES = 8;
const RANDOM_BYTES = 12;
const MAC_BYTES = 32;
const NONCE_BYTES = TIMESTAMP_BYTES + RANDOM_BYTES + MAC_BYTES;
const NC_FORMAT = /^[0-9a-fA-F]{8}$/;

type NonceCheck = { readonly valid: true; readonly issuedAt: number } | { readonly valid: false };

function failure(reason: DigestFailureReason): DigestFailure {
  return { ok: false, reason };
}

export class DigestAuthenticator {
  readonly #realm: string | ((userHint?: string) => string);
  readonly #algorithms: readonly DigestAlgorithm[];
  readonly #acceptedHashes: ReadonlySet<DigestHashName>;
  readonly #lifetimeMs: number;
  readonly #clockSkewMs: number;
  readonly #now: () => number;
  readonly #maxTracked: number;
  readonly #nonceKey: Buffer;
  readonly #opaqueKey: Buffer;
  /** nonce → last nc seen; Map order is least recently used first. */
  readonly #lastNc = new Map<string, number>();
  /**
   * The latest issue time among evicted nonces. An untracked nonce issued no later
   * than this may have been evicted, so it is treated as stale, never as new.
   */
  #evictedUpTo = Number.NEGATIVE_INFINITY;
  readonly #material = new WeakMap<DigestSuccess, ResponseAuthMaterial>();

  constructor(options: DigestAuthenticatorOptions) {
    this.#realm = options.realm;
    this.#algorithms = options.algorithms ?? ['MD5', 'SHA-256'];
    if (this.#algorithms.length === 0) throw new RangeError('at least one digest algorithm is required');
    for (const algorithm of this.#algorithms) {
      if (!DIGEST_ALGORITHMS.includes(algorithm)) throw new RangeError(`unknown digest algorithm ${algorithm}`);
    }
    this.#acceptedHashes = new Set(this.#algorithms.map(baseHashOf));
    this.#lifetimeMs = options.nonceLifetimeMs ?? 300_000;
    this.#clockSkewMs = options.clockSkewMs ?? 30_000;
    this.#now = options.now ?? Date.now;
    this.#maxTracked = Math.max(1, options.maxTrackedNonces ?? 50_000);
    const secret = options.secret ?? randomBytes(32);
    // Separate keys so a value MACed for one purpose can never pass for the other.
    this.#nonceKey = createHmac('sha256', secret).update('xcapd digest nonce v1').digest();
    this.#opaqueKey = createHmac('sha256', secret).update('xcapd digest opaque v1').digest();
  }

  realmFor(userHint?: string): string {
    return typeof this.#realm === 'string' ? this.#realm : this.#realm(userHint);
  }

  /** One WWW-Authenticate value per configured algorithm, in the configured order. */
  challenge(options: { stale?: boolean; realm?: string; userHint?: string } = {}): string[] {
    const realm = options.realm ?? this.realmFor(options.userHint);
    const opaque = this.#opaque(realm);
    return this.#algorithms.map((algorithm) => {
      const entries: AuthParamEntry[] = [
        ['realm', realm],
        ['qop', 'auth'],
        ['algorithm', algorithm, 'token'],
        ['nonce', this.createNonce(realm)],
        ['opaque', opaque],
      ];
      if (options.stale === true) entries.push(['stale', 'true', 'token']);
      return formatChallenge('Digest', entries);
    });
  }

  createNonce(realm: string): string {
    const body = Buffer.alloc(TIMESTAMP_BYTES + RANDOM_BYTES);
    body.writeBigUInt64BE(BigInt(Math.max(0, Math.floor(this.#now()))), 0);
    randomBytes(RANDOM_BYTES).copy(body, TIMESTAMP_BYTES);
    return Buffer.concat([body, this.#nonceMac(body, realm)]).toString('base64url');
  }

  /**
   * Checks `Authorization` credentials (the raw header value or its parsed Digest
   * parameters) for a request. `requestTarget` is the raw request-target as
   * received (`req.url`); header values are expected as Node hands them over.
   */
  async verify(
    credentials: string | ReadonlyMap<string, string> | null | undefined,
    method: string,
    requestTarget: string,
    lookupHa1: LookupHa1,
    options: VerifyOptions = {},
  ): Promise<DigestVerification> {
    if (credentials === null || credentials === undefined) return failure('missing');
    let params: ReadonlyMap<string, string>;
    if (typeof credentials === 'string') {
      const parsed = parseDigestCredentials(credentials);
      if (parsed.kind === 'other-scheme') return failure('missing');
      if (parsed.kind === 'malformed') return failure('malformed');
      params = parsed.params;
    } else {
      params = credentials;
    }

    const realm = params.get('realm');
    const nonce = params.get('nonce');
    const uri = params.get('uri');
    const response = params.get('response');
    const qop = params.get('qop');
    const nc = params.get('nc');
    const cnonce = params.get('cnonce');
    const username = this.#username(params);
    if (realm === undefined || nonce === undefined || uri === undefined || response === undefined) {
      return failure('malformed');
    }
    if (username === null || params.get('userhash')?.toLowerCase() === 'true') return failure('malformed');
    // No qop is the RFC 2069 form: it has no nc, hence no replay protection. Every
    // client we know answers qop="auth" with qop=auth, so it is refused.
    if (qop?.toLowerCase() !== 'auth' || nc === undefined || !NC_FORMAT.test(nc) || !cnonce) {
      return failure('malformed');
    }
    const ncValue = Number.parseInt(nc, 16);
    if (ncValue === 0) return failure('malformed');

    const algorithm = parseDigestAlgorithm(params.get('algorithm'));
    if (algorithm === null || !this.#acceptedHashes.has(baseHashOf(algorithm))) {
      return failure('unsupported-algorithm');
    }
    const expectedRealm = options.realm ?? this.realmFor(options.userHint ?? username);
    if (realm !== expectedRealm) return failure('wrong-realm');
    if (!signedUriMatches(uri, requestTarget)) return failure('uri-mismatch');
    // A foreign opaque, like a foreign nonce, means the client holds state from a
    // server with another secret (e.g. restarted): it only needs a fresh challenge.
    const opaque = params.get('opaque');
    const nonceCheck =
      opaque !== undefined && opaque !== this.#opaque(realm) ? ({ valid: false } as const) : this.#checkNonce(nonce, realm);
    const storedHa1 = await lookupHa1(username, realm, baseHashOf(algorithm));
    if (storedHa1 === null) return failure('unknown-user');
    const expected = digestResponse({ algorithm, ha1: storedHa1, nonce, qop: 'auth', nc, cnonce, method, uri });
    if (!timingSafeEqualStrings(expected, response.toLowerCase())) return failure('bad-response');
    // RFC 7616 §3.3: stale only once the client has proven it knows the password.
    if (!nonceCheck.valid) return failure('stale');
    const replay = this.#recordNc(nonce, ncValue, nonceCheck.issuedAt);
    if (replay !== null) return failure(replay);

    const success: DigestSuccess = { ok: true, username, realm, algorithm };
    this.#material.set(success, {
      algorithm,
      ha1: storedHa1.toLowerCase(),
      nonce,
      nonceIssuedAt: nonceCheck.issuedAt,
      nc,
      cnonce,
      uri,
    });
    return success;
  }

  /**
   * `Authentication-Info` for a successful verification: rspauth proves to the
   * client that the server knows its HA1; `nextnonce` (by default once the nonce
   * is past half its lifetime) lets the client switch before it goes stale.
   */
  authenticationInfo(result: DigestSuccess, options: { nextnonce?: boolean | 'auto' } = {}): string {
    const material = this.#material.get(result);
    if (material === undefined) throw new TypeError('not a verification result of this authenticator');
    const rspauth = digestResponse({
      algorithm: material.algorithm,
      ha1: material.ha1,
      nonce: material.nonce,
      qop: 'auth',
      nc: material.nc,
      cnonce: material.cnonce,
      method: '',
      uri: material.uri,
    });
    const entries: AuthParamEntry[] = [
      ['rspauth', rspauth],
      ['qop', 'auth', 'token'],
      ['nc', material.nc, 'token'],
      ['cnonce', material.cnonce],
    ];
    const mode = options.nextnonce ?? 'auto';
    const halfLifeReached = this.#now() - material.nonceIssuedAt >= this.#lifetimeMs / 2;
    if (mode === true || (mode === 'auto' && halfLifeReached)) {
      entries.push(['nextnonce', this.createNonce(result.realm)]);
    }
    return formatAuthParams(entries);
  }

  /** How many nonces currently have a remembered nc (for metrics and tests). */
  get trackedNonceCount(): number {
    return this.#lastNc.size;
  }

  #username(params: ReadonlyMap<string, string>): string | null {
    const plain = params.get('username');
    const extended = params.get('username*');
    if (plain !== undefined && extended !== undefined) return null;
    if (extended !== undefined) return decodeExtValue(extended);
    if (plain === undefined || plain === '') return null;
    return decodeHeaderText(plain);
  }

  #opaque(realm: string): string {
    return createHmac('sha256', this.#opaqueKey).update(realm, 'utf8').digest('base64url').slice(0, 22);
  }

  #nonceMac(body: Buffer, realm: string): Buffer {
    return createHmac('sha256', this.#nonceKey).update(body).update(realm, 'utf8').digest();
  }

  #checkNonce(nonce: string, realm: string): NonceCheck {
    if (!/^[A-Za-z0-9_-]+$/.test(nonce)) return { valid: false };
    const bytes = Buffer.from(nonce, 'base64url');
    // Only the canonical spelling passes, so one nonce cannot get several nc counters.
    if (bytes.length !== NONCE_BYTES || bytes.toString('base64url') !== nonce) return { valid: false };
    const body = bytes.subarray(0, TIMESTAMP_BYTES + RANDOM_BYTES);
    const mac = bytes.subarray(TIMESTAMP_BYTES + RANDOM_BYTES);
    if (!this.#nonceMac(body, realm).equals(mac)) return { valid: false };
    const issuedAt = Number(bytes.readBigUInt64BE(0));
    const age = this.#now() - issuedAt;
    if (age > this.#lifetimeMs || age < -this.#clockSkewMs) return { valid: false };
    return { valid: true, issuedAt };
  }

  /** Null when accepted; checks and updates in one synchronous step. */
  #recordNc(nonce: string, nc: number, issuedAt: number): 'replay' | 'stale' | null {
    const last = this.#lastNc.get(nonce);
    if (last === undefined) {
      if (issuedAt <= this.#evictedUpTo) return 'stale';
    } else {
      if (nc <= last) return 'replay';
      this.#lastNc.delete(nonce);
    }
    this.#lastNc.set(nonce, nc);
    this.#evictOverflow();
    return null;
  }

  #evictOverflow(): void {
    while (this.#lastNc.size > this.#maxTracked) {
      const oldest = this.#lastNc.keys().next();
      if (oldest.done === true) return;
      this.#lastNc.delete(oldest.value);
      const issuedAt = Number(Buffer.from(oldest.value, 'base64url').readBigUInt64BE(0));
      this.#evictedUpTo = Math.max(this.#evictedUpTo, issuedAt);
    }
  }
}
