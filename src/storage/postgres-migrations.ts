/**
 * The PostgreSQL schema, as an ordered list of steps, like `sqlite-migrations.ts`.
 * A database records every step it has applied in `schema_migrations`; opening it
 * applies the missing ones under an advisory lock, so nodes starting at the same
 * moment apply each step once. Steps are never edited once released.
 *
 * Key columns use the "C" collation so that ordering is by code point, exactly as
 * SQLite's BINARY collation orders UTF-8 text: listings and exports come out in the
 * same order on both backends.
 */

export interface PostgresMigration {
  /** Strictly increasing, starting at 1. */
  readonly version: number;
  readonly description: string;
  /** One or more SQL statements, run as one simple query inside the migration transaction. */
  readonly sql: string;
}

export const postgresMigrations: readonly PostgresMigration[] = [
  {
    version: 1,
    description: 'documents, unique claims, users, etag sequence',
    sql: `
      CREATE TABLE documents (
        auid text COLLATE "C" NOT NULL,
        tree text COLLATE "C" NOT NULL CHECK (tree IN ('users', 'global')),
        owner text COLLATE "C" NOT NULL,
        path text COLLATE "C" NOT NULL,
        content text NOT NULL,
        -- UTF-8 byte length, kept so listings need not read the content.
        size integer NOT NULL,
        etag text NOT NULL,
        updated_at bigint NOT NULL,
        PRIMARY KEY (auid, tree, owner, path)
      );
      -- The xcap-directory of a user lists every document of that owner.
      CREATE INDEX documents_by_owner ON documents (owner, auid);

      CREATE TABLE unique_claims (
        scope text COLLATE "C" NOT NULL,
        value text COLLATE "C" NOT NULL,
        auid text COLLATE "C" NOT NULL,
        tree text COLLATE "C" NOT NULL,
        owner text COLLATE "C" NOT NULL,
        path text COLLATE "C" NOT NULL,
        PRIMARY KEY (scope, value),
        FOREIGN KEY (auid, tree, owner, path)
          REFERENCES documents (auid, tree, owner, path) ON DELETE CASCADE
      );
      CREATE INDEX unique_claims_by_document ON unique_claims (auid, tree, owner, path);

      CREATE TABLE users (
        id text COLLATE "C" NOT NULL PRIMARY KEY,
        realm text NOT NULL,
        ha1_md5 text NOT NULL,
        ha1_sha256 text NOT NULL,
        admin boolean NOT NULL,
        created_at bigint NOT NULL
      );

      -- CACHE 1: a node must not reserve a block of values ahead, or another node's
      -- later write could get a smaller counter than an earlier one.
      CREATE SEQUENCE etag_counter AS bigint MINVALUE 1 START 1 CACHE 1 NO CYCLE;
    `,
  },
];
