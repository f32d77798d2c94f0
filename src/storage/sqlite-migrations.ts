/**
 * The SQLite schema, as an ordered list of steps. A database records every step it
 * has applied in `schema_migrations`; opening it applies the missing ones. Steps are
 * never edited once released — a schema change is a new step at the end.
 *
 * The SQL stays close to what PostgreSQL also accepts (plain types, composite keys,
 * `ON CONFLICT` upserts elsewhere) so the later PostgreSQL schema can mirror it.
 */

export interface SqliteMigration {
  /** Strictly increasing, starting at 1. */
  readonly version: number;
  readonly description: string;
  /** One or more SQL statements, run with `exec`. */
  readonly sql: string;
}

export const sqliteMigrations: readonly SqliteMigration[] = [
  {
    version: 1,
    description: 'documents, unique claims, users, etag counter',
    sql: `
      CREATE TABLE documents (
        auid TEXT NOT NULL,
        tree TEXT NOT NULL CHECK (tree IN ('users', 'global')),
        owner TEXT NOT NULL,
        path TEXT NOT NULL,
        content TEXT NOT NULL,
        -- UTF-8 byte length, kept so listings need not read the content.
        size INTEGER NOT NULL,
        etag TEXT NOT NULL,
        updated_at INTEGER NOT NULL,
        PRIMARY KEY (auid, tree, owner, path)
      );

      CREATE TABLE unique_claims (
        scope TEXT NOT NULL,
        value TEXT NOT NULL,
        auid TEXT NOT NULL,
        tree TEXT NOT NULL,
        owner TEXT NOT NULL,
        path TEXT NOT NULL,
        PRIMARY KEY (scope, value),
        FOREIGN KEY (auid, tree, owner, path)
          REFERENCES documents (auid, tree, owner, path) ON DELETE CASCADE
      );
      CREATE INDEX unique_claims_by_document ON unique_claims (auid, tree, owner, path);

      CREATE TABLE users (
        id TEXT NOT NULL PRIMARY KEY,
        realm TEXT NOT NULL,
        ha1_md5 TEXT NOT NULL,
        ha1_sha256 TEXT NOT NULL,
        admin INTEGER NOT NULL,
        created_at INTEGER NOT NULL
      );

      -- A single row; see the etag comment in sqlite.ts.
      CREATE TABLE etag_counter (
        id INTEGER NOT NULL PRIMARY KEY CHECK (id = 1),
        value INTEGER NOT NULL
      );
      INSERT INTO etag_counter (id, value) VALUES (1, 0);
    `,
  },
];
