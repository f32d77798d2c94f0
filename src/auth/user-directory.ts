/**
 * Where the users xcapd authenticates come from: its own user table (the storage),
 * or the SIP server's (a Kamailio or OpenSIPS `subscriber` table, see
 * subscriber-directory.ts). Authentication asks a directory for a user and then
 * for the HA1 a Digest answer needs, or checks a Basic password.
 */
import { timingSafeEqual } from 'node:crypto';
import type { DigestHashName } from './digest-hash.js';
import { ha1, passwordMatchesHa1 } from './password-digests.js';
import { userPart } from './user-id.js';
import type { Storage } from '../storage/types.js';

export interface DirectoryUser {
  /** The normalized id, `alice@example.com`. */
  readonly id: string;
  /** The realm the stored HA1 values were made for. */
  readonly realm: string;
  /** hex(MD5(user part ":" realm ":" password)), or null when not known. */
  readonly ha1Md5: string | null;
  /** hex(SHA-256(user part ":" realm ":" password)), or null when not known. */
  readonly ha1Sha256: string | null;
  /**
   * hex(MD5(user@domain ":" realm ":" password)) — Kamailio's `ha1b` — for clients
   * that send the whole address as their Digest username.
   */
  readonly ha1bMd5?: string | null;
  /** The password itself, where the directory keeps it in clear text (Kamailio can). */
  readonly clearPassword?: string | null;
  readonly admin: boolean;
}

export interface UserDirectory {
  /** For logs, e.g. `subscriber table in postgres://sip@db/kamailio`. */
  readonly description: string;
  /**
   * The Digest hashes this directory can serve, offered in this order. SHA-256 is
   * listed only when users have a SHA-256 HA1 or a clear password; MD5 always
   * comes first (python-xcaplib reads only the first challenge).
   */
  readonly digestHashes: readonly DigestHashName[];
  getUser(id: string): Promise<DirectoryUser | null>;
  close(): Promise<void>;
}

/** xcapd's own users, kept in the storage with both HA1 values. */
export function storageUserDirectory(storage: Storage): UserDirectory {
  return {
    description: `xcapd users in ${storage.description}`,
    digestHashes: ['MD5', 'SHA-256'],
    getUser: (id) => storage.getUser(id),
    // The storage belongs to whoever opened it.
    close: async () => undefined,
  };
}

/**
 * The HA1 that verifies a Digest answer from `digestUsername` in `realm`, or null
 * when this user cannot be checked that way (then the answer fails as from an
 * unknown user).
 */
export function digestHa1(user: DirectoryUser, digestUsername: string, realm: string, hash: DigestHashName): string | null {
  if (user.clearPassword) return ha1(hash, digestUsername, realm, user.clearPassword);
  if (realm !== user.realm) return null;
  if (digestUsername.includes('@')) {
    // Only a hash made over the whole address can verify it.
    return hash === 'MD5' && digestUsername.toLowerCase() === user.id.toLowerCase() ? (user.ha1bMd5 ?? null) : null;
  }
  return (hash === 'MD5' ? user.ha1Md5 : user.ha1Sha256) ?? null;
}

/** Checks a Basic password against whatever the directory keeps. */
export function basicPasswordMatches(user: DirectoryUser, password: string): boolean {
  if (user.clearPassword) {
    const given = Buffer.from(password, 'utf8');
    const stored = Buffer.from(user.clearPassword, 'utf8');
    return given.length === stored.length && timingSafeEqual(given, stored);
  }
  const name = userPart(user.id);
  if (user.ha1Md5) return passwordMatchesHa1(user.ha1Md5, 'MD5', name, user.realm, password);
  if (user.ha1Sha256) return passwordMatchesHa1(user.ha1Sha256, 'SHA-256', name, user.realm, password);
  if (user.ha1bMd5) return passwordMatchesHa1(user.ha1bMd5, 'MD5', user.id, user.realm, password);
  return false;
}
