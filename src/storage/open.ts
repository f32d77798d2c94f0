/**
 * Picks the storage backend from the one setting operators write: a storage URL.
 */

import { openSqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

/**
 * Accepts `./path/file.sqlite` (any plain path), `:memory:`, `sqlite:./path`,
 * `sqlite:relative/path`, `sqlite:///abs/path` and `sqlite://./path`.
 * `postgres://` and `postgresql://` are recognised but not available yet.
 */
export async function openStorage(url: string): Promise<Storage> {
  return openSqliteStorage({ file: sqliteFileFromUrl(url) });
}

/** Exported for tests; throws for URLs that do not name an SQLite file. */
export function sqliteFileFromUrl(url: string): string {
  const trimmed = url.trim();
  if (trimmed === '') throw new Error('The storage URL is empty');
  // A scheme needs at least two letters, so Windows drive letters stay paths.
  const scheme = /^([a-z][a-z0-9+.-]+):/i.exec(trimmed)?.[1]?.toLowerCase();
  if (scheme === undefined) return trimmed;
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new Error('PostgreSQL storage is not available in this version of xcapd; use an SQLite file path');
  }
  if (scheme !== 'sqlite') {
    throw new Error(`Unsupported storage URL scheme "${scheme}:"; use an SQLite file path or sqlite:PATH`);
  }
  const rest = trimmed.slice('sqlite:'.length);
  // sqlite:///abs/path → /abs/path; sqlite://./rel → ./rel
  const file = rest.startsWith('//') ? rest.slice(2) : rest;
  if (file === '') throw new Error(`The storage URL "${url}" names no file`);
  return file;
}
