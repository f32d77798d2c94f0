/**
 * The RFC 7616 arithmetic (HA1, HA2, response, rspauth), shared by the server and
 * the client so both sides compute digests with exactly the same code.
 *
 * Encoding rule: protocol strings (nonce, cnonce, nc, qop, method, uri, realm as it
 * travelled in a header) are "byte strings" as Node hands header values over (one
 * char per octet), so they are hashed as latin1 whenever every char fits in an
 * octet, which reproduces the octets the peer actually hashed; anything wider can
 * only be a genuine Unicode string and is hashed as UTF-8. User names and passwords
 * typed by people are always hashed as UTF-8 (RFC 7616 `charset=UTF-8`).
 */
import { createHash, timingSafeEqual } from 'node:crypto';

export type DigestAlgorithm = 'MD5' | 'MD5-sess' | 'SHA-256' | 'SHA-256-sess';
export type DigestHashName = 'MD5' | 'SHA-256';

export const DIGEST_ALGORITHMS: readonly DigestAlgorithm[] = ['MD5', 'MD5-sess', 'SHA-256', 'SHA-256-sess'];

const NODE_HASH: Record<DigestHashName, string> = { MD5: 'md5', 'SHA-256': 'sha256' };

/** RFC 7616: algorithm names compare case-insensitively and default to MD5 when absent. */
export function parseDigestAlgorithm(value: string | undefined): DigestAlgorithm | null {
  if (value === undefined) return 'MD5';
  const upper = value.toUpperCase();
  for (const algorithm of DIGEST_ALGORITHMS) {
    if (algorithm.toUpperCase() === upper) return algorithm;
  }
  return null;
}

export function baseHashOf(algorithm: DigestAlgorithm): DigestHashName {
  return algorithm.startsWith('SHA-256') ? 'SHA-256' : 'MD5';
}

export function isSessionAlgorithm(algorithm: DigestAlgorithm): boolean {
  return algorithm.endsWith('-sess');
}

/** Octets of a protocol string (see the module comment for why latin1 first). */
export function protocolBytes(text: string): Buffer {
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) > 0xff) return Buffer.from(text, 'utf8');
  }
  return Buffer.from(text, 'latin1');
}

export function hashHex(hash: DigestHashName, data: Buffer | string): string {
  const bytes = typeof data === 'string' ? protocolBytes(data) : data;
  return createHash(NODE_HASH[hash]).update(bytes).digest('hex');
}

/** H(a ":" b ":" ...) over protocol strings. */
export function hashJoined(hash: DigestHashName, parts: readonly string[]): string {
  return hashHex(hash, parts.join(':'));
}

/** The -sess variants fold the nonce and cnonce of the request into HA1 (RFC 7616 §3.4.2). */
export function effectiveHa1(algorithm: DigestAlgorithm, ha1: string, nonce: string, cnonce: string): string {
  if (!isSessionAlgorithm(algorithm)) return ha1;
  return hashJoined(baseHashOf(algorithm), [ha1, nonce, cnonce]);
}

export interface ResponseInput {
  readonly algorithm: DigestAlgorithm;
  /** H(username:realm:password), lower-case hex, never the session form. */
  readonly ha1: string;
  readonly nonce: string;
  /** Absent for the RFC 2069 form (no qop). */
  readonly qop?: 'auth';
  readonly nc?: string;
  readonly cnonce?: string;
  /** The method for a request digest; '' for rspauth (RFC 7616 §3.5). */
  readonly method: string;
  readonly uri: string;
}

export function digestResponse(input: ResponseInput): string {
  const hash = baseHashOf(input.algorithm);
  const cnonce = input.cnonce ?? '';
  const ha1 = effectiveHa1(input.algorithm, input.ha1.toLowerCase(), input.nonce, cnonce);
  const ha2 = hashJoined(hash, [input.method, input.uri]);
  if (input.qop === undefined) return hashJoined(hash, [ha1, input.nonce, ha2]);
  return hashJoined(hash, [ha1, input.nonce, input.nc ?? '', cnonce, input.qop, ha2]);
}

/**
 * Equality whose running time depends only on the lengths, never on where the
 * strings differ; lengths of digests are public so leaking them costs nothing.
 */
export function timingSafeEqualStrings(a: string, b: string): boolean {
  const left = Buffer.from(a, 'utf8');
  const right = Buffer.from(b, 'utf8');
  if (left.length !== right.length) {
    timingSafeEqual(left, left);
    return false;
  }
  return timingSafeEqual(left, right);
}
