/**
 * Filling a fresh database through the storage API (not over HTTP, which would time
 * the loading instead of the serving): the 2 KB and the 10,000-entry document, one
 * document for each of the many users, and the user the authenticated scenarios
 * log in as.
 */
import { statSync } from 'node:fs';
import { toXui } from '../src/auth/user-id.js';
import { createUserRecord } from '../src/cli/users.js';
import { DEFAULT_CONFIG } from '../src/config.js';
import { openSqliteStorage } from '../src/storage/sqlite.js';
import type { DocumentKey, Storage } from '../src/storage/types.js';
import { LARGE_OWNER_ID, largeDocument, manyUserId, SMALL_OWNER, smallDocument } from './documents.js';

export interface LoadedData {
  readonly documents: number;
  readonly loadMs: number;
  readonly databaseBytes: number;
}

function keyOf(userId: string): DocumentKey {
  return { auid: 'resource-lists', tree: 'users', owner: toXui(userId), path: 'index' };
}

async function put(storage: Storage, userId: string, content: string): Promise<void> {
  await storage.updateDocument(keyOf(userId), () => ({ mutation: { kind: 'put', content }, result: null }));
}

export async function loadBenchData(file: string, manyUsers: number, progress: (done: number) => void = () => {}): Promise<LoadedData> {
  const started = performance.now();
  const storage = await openSqliteStorage({ file });
  try {
    await storage.putUser(createUserRecord(SMALL_OWNER.id, SMALL_OWNER.password, false, DEFAULT_CONFIG));
    await put(storage, SMALL_OWNER.id, smallDocument());
    await put(storage, LARGE_OWNER_ID, largeDocument());
    for (let n = 0; n < manyUsers; n++) {
      await put(storage, manyUserId(n), smallDocument(`-${n}`));
      if ((n + 1) % 10_000 === 0) progress(n + 1);
    }
  } finally {
    await storage.close();
  }
  let databaseBytes = 0;
  for (const suffix of ['', '-wal']) {
    try {
      databaseBytes += statSync(file + suffix).size;
    } catch {
      // No WAL left after a clean close.
    }
  }
  return { documents: manyUsers + 2, loadMs: performance.now() - started, databaseBytes };
}
