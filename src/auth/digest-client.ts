/**
 * Client side of HTTP Digest (RFC 7616): picks one of the server's challenges and
 * signs successive requests with it, reusing the nonce with an increasing nc until
 * the server says it is stale.
 */
import { randomBytes } from 'node:crypto';
import { baseHashOf, digestResponse, parseDigestAlgorithm } from './digest-hash.js';
import type { DigestAlgorithm } from './digest-hash.js';
import { formatAuthParams, parseAuthHeader, parseDigestChallenges, quoteString } from './digest-header.js';
import type { AuthChallenge, AuthParamEntry } from './digest-header.js';
import { ha1 } from './password-digests.js';

export interface DigestClientCredentials {
  /** Sent as given: python-xcaplib, OpenXCAP and Kamailio all expect the SIP user part only. */
  readonly username: string;
  readonly password: string;
}

export interface DigestClientOptions {
  /** Most preferred first; defaults to SHA-256-sess, SHA-256, MD5-sess, MD5. */
  readonly preference?: readonly DigestAlgorithm[];
  /**
   * Put the request target into `uri="..."` without escaping `"` and `\`, as
   * python-xcaplib does; only for interoperability tests against servers.
   */
  readonly rawQuotesInUri?: boolean;
  /** Source of client nonces (tests pin it to reproduce known vectors). */
  readonly cnonce?: () => string;
}

export type ChallengeInput = string | readonly string[] | readonly AuthChallenge[];

export class UnsupportedChallengeError extends Error {
  override readonly name = 'UnsupportedChallengeError';
}

const DEFAULT_PREFERENCE: readonly DigestAlgorithm[] = ['SHA-256-sess', 'SHA-256', 'MD5-sess', 'MD5'];

interface ChosenChallenge {
  readonly algorithm: DigestAlgorithm;
  /** Whether `algorithm=` appeared; when absent it is left out of the answer too. */
  readonly algorithmExplicit: boolean;
  readonly realm: string;
  readonly nonce: string;
  readonly opaque: string | undefined;
  /** 'auth' when offered; undefined for an RFC 2069 server that offers no qop. */
  readonly qop: 'auth' | undefined;
  readonly stale: boolean;
}

function toChallenges(input: ChallengeInput): AuthChallenge[] {
  if (typeof input === 'string') return parseDigestChallenges(input);
  const list = input as readonly (string | AuthChallenge)[];
  if (list.every((item) => typeof item === 'string')) return parseDigestChallenges(list as readonly string[]);
  return (list as readonly AuthChallenge[]).filter((c) => c.scheme.toLowerCase() === 'digest' && c.token68 === undefined);
}

/** Null when we cannot answer this challenge (unknown algorithm, only auth-int, no nonce). */
function usableChallenge(challenge: AuthChallenge): ChosenChallenge | null {
  const algorithmParam = challenge.params.get('algorithm');
  const algorithm = parseDigestAlgorithm(algorithmParam);
  const realm = challenge.params.get('realm');
  const nonce = challenge.params.get('nonce');
  if (algorithm === null || realm === undefined || nonce === undefined) return null;
  const qopParam = challenge.params.get('qop');
  let qop: 'auth' | undefined;
  if (qopParam !== undefined) {
    const offered = qopParam.split(',').map((q) => q.trim().toLowerCase());
    if (!offered.includes('auth')) return null;
    qop = 'auth';
  }
  return {
    algorithm,
    algorithmExplicit: algorithmParam !== undefined,
    realm,
    nonce,
    opaque: challenge.params.get('opaque'),
    qop,
    stale: challenge.params.get('stale')?.toLowerCase() === 'true',
  };
}

function choose(challenges: readonly AuthChallenge[], preference: readonly DigestAlgorithm[]): ChosenChallenge | null {
  let best: ChosenChallenge | null = null;
  let bestRank = Number.POSITIVE_INFINITY;
  for (const challenge of challenges) {
    const usable = usableChallenge(challenge);
    if (usable === null) continue;
    const rank = preference.indexOf(usable.algorithm);
    if (rank !== -1 && rank < bestRank) {
      best = usable;
      bestRank = rank;
    }
  }
  return best;
}

/** Header values must be octets: send a non-ASCII user name as its UTF-8 octets. */
function utf8Octets(text: string): string {
  return Buffer.from(text, 'utf8').toString('latin1');
}

export class DigestClientSession {
  readonly #credentials: DigestClientCredentials;
  readonly #preference: readonly DigestAlgorithm[];
  readonly #rawQuotesInUri: boolean;
  readonly #cnonce: () => string;
  #challenge: ChosenChallenge;
  #nc = 0;

  /** Throws UnsupportedChallengeError when no offered challenge can be answered. */
  constructor(challenges: ChallengeInput, credentials: DigestClientCredentials, options: DigestClientOptions = {}) {
    this.#credentials = credentials;
    this.#preference = options.preference ?? DEFAULT_PREFERENCE;
    this.#rawQuotesInUri = options.rawQuotesInUri ?? false;
    this.#cnonce = options.cnonce ?? (() => randomBytes(16).toString('hex'));
    const chosen = choose(toChallenges(challenges), this.#preference);
    if (chosen === null) throw new UnsupportedChallengeError('no usable Digest challenge offered');
    this.#challenge = chosen;
  }

  get algorithm(): DigestAlgorithm {
    return this.#challenge.algorithm;
  }

  get realm(): string {
    return this.#challenge.realm;
  }

  /** The Authorization value for one request; each call uses the next nc. */
  authorize(method: string, requestTarget: string): string {
    const challenge = this.#challenge;
    this.#nc++;
    const nc = this.#nc.toString(16).padStart(8, '0');
    const cnonce = this.#cnonce();
    const response = digestResponse({
      algorithm: challenge.algorithm,
      ha1: ha1(baseHashOf(challenge.algorithm), this.#credentials.username, challenge.realm, this.#credentials.password),
      nonce: challenge.nonce,
      method,
      uri: requestTarget,
      ...(challenge.qop === undefined ? {} : { qop: challenge.qop, nc, cnonce }),
    });
    const uri = this.#rawQuotesInUri ? `"${requestTarget}"` : quoteString(requestTarget);
    const before: AuthParamEntry[] = [
      ['username', utf8Octets(this.#credentials.username)],
      ['realm', challenge.realm],
      ['nonce', challenge.nonce],
    ];
    const after: AuthParamEntry[] = [];
    if (challenge.algorithmExplicit) after.push(['algorithm', challenge.algorithm, 'token']);
    if (challenge.qop !== undefined) {
      after.push(['qop', challenge.qop, 'token'], ['nc', nc, 'token'], ['cnonce', cnonce]);
    }
    after.push(['response', response]);
    if (challenge.opaque !== undefined) after.push(['opaque', challenge.opaque]);
    return `Digest ${formatAuthParams(before)}, uri=${uri}, ${formatAuthParams(after)}`;
  }

  /**
   * Takes the challenges of a new 401. Returns true when retrying makes sense
   * (stale=true: same credentials, fresh nonce); false means the server rejected
   * the credentials themselves. Either way the new nonce is adopted.
   */
  update(challenges: ChallengeInput): boolean {
    const chosen = choose(toChallenges(challenges), this.#preference);
    if (chosen === null) return false;
    this.#challenge = chosen;
    this.#nc = 0;
    return chosen.stale;
  }

  /** Adopts the `nextnonce` of an Authentication-Info header, if any. */
  acceptAuthenticationInfo(value: string | undefined): void {
    if (value === undefined) return;
    // The value is a bare parameter list; give it a scheme so the generic parser applies.
    const nextnonce = parseAuthHeader(`Info ${value}`)?.[0]?.params.get('nextnonce');
    if (nextnonce === undefined || nextnonce === this.#challenge.nonce) return;
    this.#challenge = { ...this.#challenge, nonce: nextnonce, stale: false };
    this.#nc = 0;
  }
}
