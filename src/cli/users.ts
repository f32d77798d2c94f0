/** Making user records from what an operator types. */
import { makePasswordDigests } from '../auth/password-digests.js';
import { domainPart, InvalidUserIdError, normalizeUserId, userPart } from '../auth/user-id.js';
import type { ServerConfig } from '../config.js';
import type { UserRecord } from '../storage/types.js';

export class UserCommandError extends Error {
  override readonly name = 'UserCommandError';
}

/**
 * The realm a user's password digests are made for: the configured fixed realm, else
 * the user's SIP domain — what clients such as python-xcaplib sign with.
 */
export function realmForUser(id: string, config: Pick<ServerConfig, 'realm' | 'defaultRealm'>): string {
  return config.realm || domainPart(id) || config.defaultRealm || 'xcap';
}

export function createUserRecord(
  input: string,
  password: string,
  admin: boolean,
  config: Pick<ServerConfig, 'realm' | 'defaultRealm'>,
  createdAt = Date.now(),
): UserRecord {
  let id: string;
  try {
    id = normalizeUserId(input);
  } catch (e) {
    if (e instanceof InvalidUserIdError) throw new UserCommandError(`'${input}' is not a user id like alice@example.com`);
    throw e;
  }
  if (password === '') throw new UserCommandError('the password may not be empty');
  const realm = realmForUser(id, config);
  const digests = makePasswordDigests(userPart(id), realm, password);
  return { id, realm, ha1Md5: digests.ha1Md5, ha1Sha256: digests.ha1Sha256, admin, createdAt };
}
