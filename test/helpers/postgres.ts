/**
 * Fresh PostgreSQL databases for tests: each test suite gets its own uniquely named
 * database on the machine's server and drops it afterwards.
 *
 * The server is `XCAPD_TEST_POSTGRES_URL` (any database on it that the user may
 * connect to; it is used to create and drop the test databases), by default
 * `postgres://postgres@127.0.0.1:5432/postgres`.
 */
import { randomBytes } from 'node:crypto';
import postgres from 'postgres';

export const POSTGRES_ADMIN_URL = process.env.XCAPD_TEST_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres';

export interface TestDatabase {
  readonly name: string;
  /** The URL of the new database. */
  readonly url: string;
  drop(): Promise<void>;
}

/** A connection to the admin database, closed by `run` when done. */
export async function withAdminConnection<T>(run: (sql: postgres.Sql) => Promise<T>): Promise<T> {
  const sql = postgres(POSTGRES_ADMIN_URL, { max: 1, onnotice: () => undefined, connect_timeout: 5, fetch_types: false });
  try {
    return await run(sql);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ECONNREFUSED' || code === 'ENOTFOUND' || code === 'CONNECT_TIMEOUT') {
      throw new Error(
        `These tests need PostgreSQL at ${POSTGRES_ADMIN_URL} (set XCAPD_TEST_POSTGRES_URL to use another server): ${(error as Error).message}`,
        { cause: error },
      );
    }
    throw error;
  } finally {
    await sql.end({ timeout: 1 });
  }
}

export function databaseUrl(name: string): string {
  const url = new URL(POSTGRES_ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

/**
 * Creates `xcapd_test_<label>_<random>`. Commits in it are not flushed to disk
 * (synchronous_commit off): the same semantics, a fraction of the time.
 */
export async function createTestDatabase(label = 'db'): Promise<TestDatabase> {
  const name = `xcapd_test_${label.replace(/[^a-z0-9_]/gi, '_').toLowerCase().slice(0, 20)}_${randomBytes(5).toString('hex')}`;
  await withAdminConnection(async (sql) => {
    await sql.unsafe(`CREATE DATABASE "${name}"`);
    await sql.unsafe(`ALTER DATABASE "${name}" SET synchronous_commit = off`);
  });
  let dropped: Promise<void> | null = null;
  return {
    name,
    url: databaseUrl(name),
    drop() {
      dropped ??= withAdminConnection(async (sql) => {
        await sql.unsafe(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      });
      return dropped;
    },
  };
}
