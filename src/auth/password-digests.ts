/**
 * What we store instead of passwords: HA1 = H(username ":" realm ":" password) for
 * each hash Digest may ask for. Basic credentials are checked by recomputing the
 * HA1 from the offered password, so the clear password never needs to be kept.
 */
import { hashHex, timingSafeEqualStrings } from './digest-hash.js';
import type { DigestHashName } from './digest-hash.js';

export interface PasswordDigests {
  readonly ha1Md5: string;
  readonly ha1Sha256: string;
}

/** Lower-case hex HA1; all three inputs are hashed as UTF-8. */
export function ha1(algorithm: DigestHashName, username: string, realm: string, password: string): string {
  return hashHex(algorithm, Buffer.from(`${username}:${realm}:${password}`, 'utf8'));
}

export function makePasswordDigests(username: string, realm: string, password: string): PasswordDigests {
  return {
    ha1Md5: ha1('MD5', username, realm, password),
    ha1Sha256: ha1('SHA-256', username, realm, password),
  };
}

/** True when `password` is the one the stored HA1 was made from. */
export function passwordMatchesHa1(
  storedHa1: string,
  algorithm: DigestHashName,
  username: string,
  realm: string,
  password: string,
): boolean {
  return timingSafeEqualStrings(ha1(algorithm, username, realm, password), storedHa1.toLowerCase());
}
