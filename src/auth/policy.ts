/**
 * Who may read and write what (RFC 4825 §5.7): users read and write their own users
 * tree; everyone reads the global tree and only administrators write it. An
 * application usage may widen (or narrow) this for its documents.
 */
import type { Access, AppUsage, Requester } from '../appusages/types.js';
import type { DocumentKey } from '../storage/types.js';
import { toXui } from './user-id.js';

export function authorize(requester: Requester, key: DocumentKey, access: Access, usage: AppUsage): boolean {
  if (requester.admin) return true;
  const decided = usage.authorize?.(requester, key, access);
  if (decided !== undefined) return decided;
  if (requester.userId === null) return false;
  if (key.tree === 'global') return access === 'read';
  return toXui(requester.userId) === key.owner;
}
