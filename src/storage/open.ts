/**
 * Picks the storage backend from the one setting operators write: a storage URL.
 */

import { isPostgresUrl, openPostgresStorage } from './postgres.js';
import { openSqliteStorage } from './sqlite.js';
import type { Storage } from './types.js';

/** Settings only some backends use; the others ignore them. */
export interface OpenStorageOptions {
  /** PostgreSQL: most pooled connections (default 10). */
  readonly poolSize?: number;
  /** PostgreSQL: apply missing migrations on open (default true). */
  readonly migrate?: boolean;
  /** PostgreSQL: errors of background work, such as the LISTEN connection. */
  readonly onBackgroundError?: (error: Error) => void;
}

/**
 * Accepts `./path/file.sqlite` (any plain path), `:memory:`, `sqlite:./path`,
 * `sqlite:relative/path`, `sqlite:///abs/path` and `sqlite://./path`.
 * `postgres://` and `postgresql://` URLs open the PostgreSQL backend.
 */
export async function openStorage(url: string, options: OpenStorageOptions = {}): Promise<Storage> {
  if (isPostgresUrl(url)) {
    return openPostgresStorage({
      url: url.trim(),
      ...(options.poolSize !== undefined ? { poolSize: options.poolSize } : {}),
      ...(options.migrate !== undefined ? { migrate: options.migrate } : {}),
      ...(options.onBackgroundError ? { onBackgroundError: options.onBackgroundError } : {}),
    });
  }
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
    throw new Error(`"${scheme}:" names a PostgreSQL database, not an SQLite file`);
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
