/**
 * Small pieces every storage backend needs to behave identically: entity tags,
 * key comparison, and the check of what a mutator returned.
 */
import { randomFillSync } from 'node:crypto';
import type { DocumentKey, Mutation, UniqueClaim } from './types.js';

/**
 * Entity tags are `${counter in base 36}-${8 random hex digits}`. The counter comes
 * from the database and is advanced inside the write transaction, so it only grows,
 * is shared by every writer on the database, and survives a document's deletion and
 * re-creation: no two written versions get the same counter. The random part keeps
 * a database restored from an old backup (whose counter rewound) from handing out a
 * tag a client still holds for a different version.
 */
export function makeEtag(counter: bigint | number): string {
  return `${counter.toString(36)}-${randomHex8()}`;
}

/** Random bytes drawn a page at a time: one system call per thousand tags instead of one per tag. */
const entropy = Buffer.alloc(4096);
let entropyUsed = entropy.length;

function randomHex8(): string {
  if (entropyUsed + 4 > entropy.length) {
    randomFillSync(entropy);
    entropyUsed = 0;
  }
  const hex = entropy.toString('hex', entropyUsed, entropyUsed + 4);
  entropyUsed += 4;
  return hex;
}

/** The counter part of a tag made by `makeEtag`; null for any other shape (e.g. imported from elsewhere). */
export function etagCounter(etag: string): bigint | null {
  const match = /^([0-9a-z]{1,12})-[0-9a-f]{8}$/.exec(etag);
  if (!match) return null;
  let value = 0n;
  for (const digit of match[1] ?? '') value = value * 36n + BigInt(parseInt(digit, 36));
  return value;
}

/** One string per document (the four parts never contain NUL), for maps keyed by document. */
export function documentId(key: DocumentKey): string {
  return `${key.auid}\0${key.tree}\0${key.owner}\0${key.path}`;
}

export function sameKey(a: DocumentKey, b: DocumentKey): boolean {
  return a.auid === b.auid && a.tree === b.tree && a.owner === b.owner && a.path === b.path;
}

export function copyKey(key: DocumentKey): DocumentKey {
  return { auid: key.auid, tree: key.tree, owner: key.owner, path: key.path };
}

/** Mutators are caller code; a malformed answer must fail loudly, not write garbage. */
export function checkMutation(mutation: Mutation | undefined): asserts mutation is Mutation {
  const kind = (mutation as { kind?: unknown } | null | undefined)?.kind;
  if (kind !== 'none' && kind !== 'put' && kind !== 'delete') {
    throw new TypeError(`updateDocument: the mutator returned an unknown mutation ${JSON.stringify(kind)}`);
  }
  if (kind === 'put' && typeof (mutation as { content?: unknown }).content !== 'string') {
    throw new TypeError('updateDocument: a put mutation needs string content');
  }
}

/** The claims without repetitions, in their first order. */
export function distinctClaims(claims: readonly UniqueClaim[]): UniqueClaim[] {
  const seen = new Set<string>();
  const result: UniqueClaim[] = [];
  for (const claim of claims) {
    const id = JSON.stringify([claim.scope, claim.value]);
    if (seen.has(id)) continue;
    seen.add(id);
    result.push({ scope: claim.scope, value: claim.value });
  }
  return result;
}

export const DEFAULT_SCAN_LIMIT = 100;

export function scanLimit(limit: number | undefined): number {
  const value = limit ?? DEFAULT_SCAN_LIMIT;
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`scan limit must be a positive integer, got ${value}`);
  return value;
}
