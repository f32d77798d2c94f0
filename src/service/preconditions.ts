/**
 * Conditional requests (RFC 9110 §13, RFC 4825 §8.5): If-Match and If-None-Match
 * against the one entity tag a document and all its parts share.
 */
import { PreconditionFailedError } from '../xcap/errors.js';

export interface Preconditions {
  /** The If-Match header as sent, or null. */
  readonly ifMatch: string | null;
  /** The If-None-Match header as sent, or null. */
  readonly ifNoneMatch: string | null;
}

interface EntityTag {
  readonly weak: boolean;
  readonly opaque: string;
}

/**
 * Parses an If-Match / If-None-Match value: `*` or a list of entity tags. A tag sent
 * without its quotes (as a shell leaves `--etag "abc"`) is taken as the opaque tag.
 */
export function parseEntityTags(value: string): '*' | EntityTag[] {
  const trimmed = value.trim();
  if (trimmed === '*') return '*';
  const tags: EntityTag[] = [];
  const re = /\s*(W\/)?(?:"([^"]*)"|([^\s,"]+))\s*(?:,|$)/gy;
  let m: RegExpExecArray | null;
  while (re.lastIndex < trimmed.length && (m = re.exec(trimmed)) !== null) {
    tags.push({ weak: m[1] !== undefined, opaque: m[2] ?? m[3] ?? '' });
    if (m[0] === '') break;
  }
  return tags;
}

/**
 * `mode`: 'read' for GET/HEAD (a matching If-None-Match is 304), 'write' for PUT and
 * DELETE of a document or node, 'write-node' for an element or attribute PUT, where
 * the document's tag stands for the node too, so `If-None-Match: *` always fails
 * (RFC 4825 §8.2.6). Throws 412; returns whether to answer 304.
 */
export function evaluatePreconditions(
  preconditions: Preconditions | undefined,
  currentEtag: string | null,
  mode: 'read' | 'write' | 'write-node',
): 'proceed' | 'not-modified' {
  if (!preconditions) return 'proceed';
  const { ifMatch, ifNoneMatch } = preconditions;
  if (ifMatch !== null) {
    const tags = parseEntityTags(ifMatch);
    const ok =
      currentEtag !== null && (tags === '*' || tags.some((t) => !t.weak && t.opaque === currentEtag));
    if (!ok) {
      throw new PreconditionFailedError(
        currentEtag === null
          ? 'precondition failed: If-Match was given but the document does not exist'
          : 'precondition failed: If-Match does not match the document\'s current entity tag',
      );
    }
  }
  if (ifNoneMatch !== null) {
    const tags = parseEntityTags(ifNoneMatch);
    const matches = currentEtag !== null && (tags === '*' || tags.some((t) => t.opaque === currentEtag));
    if (matches) {
      if (mode === 'read') return 'not-modified';
      throw new PreconditionFailedError(
        tags === '*'
          ? mode === 'write-node'
            ? 'precondition failed: If-None-Match: * never holds for an element or attribute, whose document exists (RFC 4825 §8.2.6)'
            : 'precondition failed: If-None-Match: * but the document exists'
          : 'precondition failed: If-None-Match matches the document\'s current entity tag',
      );
    }
  }
  return 'proceed';
}
