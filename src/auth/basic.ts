/** The Basic scheme (RFC 7617) with `charset="UTF-8"`. */
import { formatChallenge } from './digest-header.js';

export interface BasicCredentials {
  readonly username: string;
  readonly password: string;
}

// RFC 7617 §2: neither the user-id nor the password may contain control characters.
const CONTROL_CHARS = /[\u0000-\u001f\u007f-\u009f]/;
const BASIC_VALUE = /^basic[ \t]+([A-Za-z0-9+/]+={0,2})[ \t]*$/i;

/** Null for anything that is not well-formed Basic credentials in UTF-8. */
export function parseBasicAuthorization(headerValue: unknown): BasicCredentials | null {
  if (typeof headerValue !== 'string') return null;
  const encoded = BASIC_VALUE.exec(headerValue)?.[1];
  // A length of 1 mod 4 cannot come out of any base64 encoder.
  if (encoded === undefined || encoded.length % 4 === 1) return null;
  const unpadded = encoded.replace(/=+$/, '');
  if (encoded.length !== unpadded.length && encoded.length % 4 !== 0) return null;
  let decoded: string;
  try {
    decoded = new TextDecoder('utf-8', { fatal: true }).decode(Buffer.from(unpadded, 'base64'));
  } catch {
    return null;
  }
  // The user-id cannot contain a colon, so the first one separates; the password may.
  const colon = decoded.indexOf(':');
  if (colon <= 0) return null;
  const username = decoded.slice(0, colon);
  const password = decoded.slice(colon + 1);
  if (CONTROL_CHARS.test(username) || CONTROL_CHARS.test(password)) return null;
  return { username, password };
}

export function basicChallenge(realm: string): string {
  return formatChallenge('Basic', [
    ['realm', realm],
    ['charset', 'UTF-8'],
  ]);
}

/** The Authorization value a client sends (used by the client library and tests). */
export function basicAuthorization(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, 'utf8').toString('base64')}`;
}
