/**
 * The PostgreSQL storage backend, on `postgres` (porsager): a connection pool that
 * several xcapd nodes share one database through.
 *
 * Across nodes, every write to a document is one transaction that first takes a
 * transaction-scoped advisory lock on the document's key — which also covers a
 * key with no row yet — and then reads the row `FOR UPDATE`; so writes to one
 * document are serialized on every node and none is lost. Entity tag counters come
 * from a sequence, allocated after the lock: per document they only grow. Claims
 * rest on the UNIQUE (scope, value) key of `unique_claims`; two nodes claiming the
 * same value at the same moment meet at that index and exactly one wins.
 *
 * Every committed change is announced with NOTIFY on `xcapd_changes` (sent by the
 * commit itself, never for a rolled-back write), which `onExternalChange` turns
 * into events for changes made by other nodes.
 */

import { randomBytes } from 'node:crypto';
import postgres from 'postgres';
import {
  checkMutation,
  copyKey,
  distinctClaims,
  etagCounter,
  makeEtag,
  sameKey,
  scanLimit,
} from './backend-helpers.js';
import { postgresMigrations } from './postgres-migrations.js';
import type { PostgresMigration } from './postgres-migrations.js';
import { ClaimConflictError } from './types.js';
import type {
  DocumentKey,
  DocumentMutator,
  DocumentQuery,
  DocumentSummary,
  ExternalChange,
  Mutation,
  ScanOptions,
  Storage,
  StorageTransaction,
  StoredDocument,
  Tree,
  UniqueClaim,
  UpdateResult,
  UserRecord,
  UserSummary,
} from './types.js';

export interface PostgresStorageOptions {
  /** `postgres://user:password@host:port/database?sslmode=...` (or `postgresql://`). */
  readonly url: string;
  /** Most connections this instance opens at once; default 10. LISTEN uses one more. */
  readonly poolSize?: number;
  /**
   * Apply missing schema migrations on open (default). When false, a database whose
   * schema is not current is refused (run `xcapd migrate` first).
   */
  readonly migrate?: boolean;
  /** Seconds to wait for a connection; default 10. */
  readonly connectTimeoutSeconds?: number;
  /** Errors of background work (the LISTEN connection); by default they are dropped. */
  readonly onBackgroundError?: (error: Error) => void;
}

export const DEFAULT_POSTGRES_POOL_SIZE = 10;
export const CHANGE_CHANNEL = 'xcapd_changes';
/** Advisory lock namespaces (the first key of the two-int4 form): 'xcap' and 'xcaq'. */
const MIGRATION_LOCK_CLASS = 0x78636170;
const DOCUMENT_LOCK_CLASS = 0x78636171;
/** PostgreSQL refuses NOTIFY payloads of 8000 bytes or more. */
const MAX_NOTIFY_PAYLOAD_BYTES = 7900;
/** A claim's holder can vanish between our failed insert and our look-up; try again this often. */
const CLAIM_ATTEMPTS = 5;

type Sql = postgres.Sql;
type Tx = postgres.TransactionSql;
/** Either the pool or a transaction: both run tagged-template queries. */
type Queryable = Sql | Tx;

interface DocumentRow {
  readonly content: string;
  readonly etag: string;
  readonly updated_at: string;
}

interface FullDocumentRow extends DocumentRow {
  readonly auid: string;
  readonly tree: Tree;
  readonly owner: string;
  readonly path: string;
}

interface SummaryRow {
  readonly auid: string;
  readonly tree: Tree;
  readonly owner: string;
  readonly path: string;
  readonly etag: string;
  readonly updated_at: string;
  readonly size: number;
}

interface KeyRow {
  readonly auid: string;
  readonly tree: Tree;
  readonly owner: string;
  readonly path: string;
}

interface UserRow {
  readonly id: string;
  readonly realm: string;
  readonly ha1_md5: string;
  readonly ha1_sha256: string;
  readonly admin: boolean;
  readonly created_at: string;
}

/** What travels in a NOTIFY: the sending instance, the key (null when it did not fit) and the new tag. */
interface ChangePayload {
  readonly node: string;
  readonly key: [auid: string, tree: Tree, owner: string, path: string] | null;
  readonly etag: string | null;
}

/** The URL with its password removed, for logs. */
export function describePostgresUrl(url: string): string {
  try {
    const parsed = new URL(url);
    parsed.password = '';
    parsed.search = '';
    return parsed.toString().replace(/:@/, '@');
  } catch {
    return url.replace(/:\/\/([^:@/]*):[^@/]*@/, '://$1@').replace(/\?.*$/, '');
  }
}

export function isPostgresUrl(url: string): boolean {
  return /^postgres(ql)?:\/\//i.test(url.trim());
}

function compareText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

function lockName(key: DocumentKey): string {
  // Text parameters cannot carry NUL, and JSON keeps the four parts apart unambiguously.
  return JSON.stringify([key.auid, key.tree, key.owner, key.path]);
}

function keyOf(row: KeyRow): DocumentKey {
  return { auid: row.auid, tree: row.tree, owner: row.owner, path: row.path };
}

function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    realm: row.realm,
    ha1Md5: row.ha1_md5,
    ha1Sha256: row.ha1_sha256,
    admin: row.admin,
    createdAt: Number(row.created_at),
  };
}

function changePayload(node: string, key: DocumentKey, etag: string | null): string {
  const full = JSON.stringify({ node, key: [key.auid, key.tree, key.owner, key.path], etag } satisfies ChangePayload);
  if (Buffer.byteLength(full, 'utf8') <= MAX_NOTIFY_PAYLOAD_BYTES) return full;
  return JSON.stringify({ node, key: null, etag: null } satisfies ChangePayload);
}

function parseChangePayload(text: string): ChangePayload | null {
  try {
    const value = JSON.parse(text) as Partial<ChangePayload>;
    if (typeof value.node !== 'string') return null;
    const key = Array.isArray(value.key) && value.key.length === 4 && value.key.every((part) => typeof part === 'string') ? value.key : null;
    return { node: value.node, key, etag: typeof value.etag === 'string' ? value.etag : null };
  } catch {
    return null;
  }
}

function checkMigrationOrder(migrations: readonly PostgresMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`PostgreSQL migration #${index + 1} has version ${migration.version}; versions must be 1, 2, 3, …`);
    }
  });
}

async function appliedVersions(sql: Queryable): Promise<Set<number>> {
  const [table] = await sql<{ name: string | null }[]>`SELECT to_regclass('schema_migrations')::text AS name`;
  if (table?.name === null || table?.name === undefined) return new Set();
  const rows = await sql<{ version: number }[]>`SELECT version FROM schema_migrations`;
  return new Set(rows.map((row) => row.version));
}

function pendingMigrations(applied: Set<number>, description: string): PostgresMigration[] {
  const latest = postgresMigrations.at(-1)?.version ?? 0;
  const newest = Math.max(0, ...applied);
  if (newest > latest) {
    throw new Error(
      `${description}: the database schema is at version ${newest}, newer than this xcapd supports (${latest}); ` +
        'upgrade xcapd to use this database',
    );
  }
  return postgresMigrations.filter((migration) => !applied.has(migration.version));
}

/**
 * Applies the missing migrations; returns how many. Nodes starting together queue
 * on one advisory lock, and each re-reads what is applied once it holds the lock.
 */
async function migrate(sql: Sql, description: string, allowed: boolean): Promise<number> {
  // The common case — already current — needs neither DDL rights nor the lock.
  if (pendingMigrations(await appliedVersions(sql), description).length === 0) return 0;
  if (!allowed) {
    throw new Error(`${description}: the database schema is not up to date (or not created yet); run "xcapd migrate" first`);
  }
  return sql.begin(async (tx) => {
    await tx`SELECT pg_advisory_xact_lock(${MIGRATION_LOCK_CLASS}, 0)`;
    await tx`CREATE TABLE IF NOT EXISTS schema_migrations (
      version integer PRIMARY KEY, description text NOT NULL, applied_at bigint NOT NULL)`;
    const pending = pendingMigrations(await appliedVersions(tx), description);
    for (const migration of pending) {
      await tx.unsafe(migration.sql);
      await tx`INSERT INTO schema_migrations (version, description, applied_at)
               VALUES (${migration.version}, ${migration.description}, ${Date.now()})`;
    }
    return pending.length;
  });
}

export async function openPostgresStorage(options: PostgresStorageOptions): Promise<PostgresStorage> {
  const poolSize = options.poolSize ?? DEFAULT_POSTGRES_POOL_SIZE;
  if (!Number.isSafeInteger(poolSize) || poolSize < 1) {
    throw new RangeError(`the PostgreSQL pool size must be a positive integer, got ${poolSize}`);
  }
  if (!isPostgresUrl(options.url)) throw new Error(`not a PostgreSQL URL: ${describePostgresUrl(options.url)}`);
  checkMigrationOrder(postgresMigrations);
  const description = describePostgresUrl(options.url);
  const sql = postgres(options.url, {
    max: poolSize,
    connect_timeout: options.connectTimeoutSeconds ?? 10,
    idle_timeout: 60,
    // Only built-in types are used; skipping the type query saves a round trip per connection.
    fetch_types: false,
    onnotice: () => undefined,
    connection: { application_name: 'xcapd' },
  });
  try {
    const applied = await migrate(sql, description, options.migrate ?? true);
    return new PostgresStorage(sql, description, applied, options.onBackgroundError);
  } catch (error) {
    await sql.end({ timeout: 1 }).catch(() => undefined);
    throw new Error(`${description}: ${(error as Error).message}`, { cause: error });
  }
}

const LIST_FILTERS = ['auid', 'tree', 'owner'] as const;

export class PostgresStorage implements Storage {
  /** Tells this instance's own NOTIFYs apart from other nodes'. */
  readonly nodeId = randomBytes(8).toString('hex');
  private closing: Promise<void> | null = null;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly changeListeners = new Set<(change: ExternalChange) => void>();
  private listening: Promise<{ unlisten(): Promise<void> } | null> | null = null;
  private listenCount = 0;

  /** Use `openPostgresStorage`. */
  constructor(
    private readonly sql: Sql,
    readonly description: string,
    /** How many migrations opening applied (0 when the schema was current). */
    readonly migrationsApplied: number,
    private readonly onBackgroundError?: (error: Error) => void,
  ) {}

  getDocument(key: DocumentKey): Promise<StoredDocument | null> {
    return this.track(() => this.readDocument(this.sql, key));
  }

  documentEtag(key: DocumentKey): Promise<string | null> {
    return this.track(async () => {
      const [row] = await this.sql<{ etag: string }[]>`
        SELECT etag FROM documents
        WHERE auid = ${key.auid} AND tree = ${key.tree} AND owner = ${key.owner} AND path = ${key.path}`;
      return row?.etag ?? null;
    });
  }

  /**
   * See `Storage.updateDocument`. The mutator runs while this transaction holds a
   * pooled connection and the document's lock; it must not itself write to this
   * storage.
   *
   * A put whose content equals the current content writes nothing, claims
   * included, and keeps the entity tag.
   */
  updateDocument<T>(
    key: DocumentKey,
    mutate: DocumentMutator<T>,
  ): Promise<UpdateResult<T>> {
    return this.track(() =>
      this.sql.begin(async (tx) => {
        const { previous, counter } = await this.lockAndRead(tx, key);
        let active = true;
        const storageTx: StorageTransaction = {
          findClaim: async (scope, value) => {
            if (!active) throw new Error('this storage transaction has already ended');
            const holder = await this.claimHolder(tx, scope, value);
            return holder === null || sameKey(holder, key) ? null : holder;
          },
          get: async (otherKey) => {
            if (!active) throw new Error('this storage transaction has already ended');
            return this.readDocument(tx, otherKey);
          },
        };
        let outcome: { mutation: Mutation; result: T };
        try {
          outcome = await mutate(previous, storageTx);
        } finally {
          active = false;
        }
        checkMutation((outcome as { mutation?: Mutation } | null | undefined)?.mutation);
        const document = await this.applyMutation(tx, key, previous, outcome.mutation, counter);
        const changed = document !== previous;
        return { result: outcome.result, previous, document, changed };
      }),
    ) as Promise<UpdateResult<T>>;
  }

  listDocuments(query: DocumentQuery): Promise<DocumentSummary[]> {
    return this.track(async () => {
      const conditions = LIST_FILTERS.filter((name) => query[name] !== undefined).map(
        (name) => this.sql`${this.sql(name)} = ${query[name] as string}`,
      );
      const where =
        conditions.length === 0
          ? this.sql``
          : this.sql`WHERE ${conditions.reduce((all, condition) => this.sql`${all} AND ${condition}`)}`;
      const rows = await this.sql<SummaryRow[]>`
        SELECT auid, tree, owner, path, etag, updated_at, size FROM documents ${where}
        ORDER BY auid, tree, owner, path`;
      return rows.map((row) => ({ key: keyOf(row), etag: row.etag, updatedAt: Number(row.updated_at), size: row.size }));
    });
  }

  scanDocuments(options: ScanOptions<DocumentKey> = {}): Promise<StoredDocument[]> {
    return this.track(async () => {
      const limit = scanLimit(options.limit);
      const after = options.after;
      const rows =
        after === undefined
          ? await this.sql<FullDocumentRow[]>`
              SELECT auid, tree, owner, path, content, etag, updated_at FROM documents
              ORDER BY auid, tree, owner, path LIMIT ${limit}`
          : await this.sql<FullDocumentRow[]>`
              SELECT auid, tree, owner, path, content, etag, updated_at FROM documents
              WHERE (auid, tree, owner, path) > (${after.auid}, ${after.tree}, ${after.owner}, ${after.path})
              ORDER BY auid, tree, owner, path LIMIT ${limit}`;
      return rows.map((row) => ({ key: keyOf(row), content: row.content, etag: row.etag, updatedAt: Number(row.updated_at) }));
    });
  }

  restoreDocument(document: StoredDocument, claims: readonly UniqueClaim[]): Promise<void> {
    return this.track(() =>
      this.sql.begin(async (tx) => {
        await this.lockAndRead(tx, document.key);
        const counter = etagCounter(document.etag);
        if (counter !== null) {
          // GREATEST: the sequence only ever moves forward, also when restoring an old tag.
          await tx`SELECT setval('etag_counter', GREATEST(${counter.toString()}::bigint, (SELECT last_value FROM etag_counter)))`;
        }
        await this.writeWithClaims(tx, { ...document, key: copyKey(document.key) }, claims);
      }),
    ).then(() => undefined);
  }

  getUser(id: string): Promise<UserRecord | null> {
    return this.track(async () => {
      const [row] = await this.sql<UserRow[]>`
        SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users WHERE id = ${id}`;
      return row === undefined ? null : userFromRow(row);
    });
  }

  putUser(user: UserRecord): Promise<void> {
    return this.track(async () => {
      await this.sql`
        INSERT INTO users (id, realm, ha1_md5, ha1_sha256, admin, created_at)
        VALUES (${user.id}, ${user.realm}, ${user.ha1Md5}, ${user.ha1Sha256}, ${user.admin}, ${user.createdAt})
        ON CONFLICT (id) DO UPDATE SET
          realm = excluded.realm, ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256,
          admin = excluded.admin, created_at = excluded.created_at`;
    });
  }

  removeUser(id: string): Promise<boolean> {
    return this.track(async () => (await this.sql`DELETE FROM users WHERE id = ${id}`).count > 0);
  }

  listUsers(): Promise<UserRecord[]> {
    return this.track(async () => {
      const rows = await this.sql<UserRow[]>`
        SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users ORDER BY id`;
      return rows.map(userFromRow);
    });
  }

  userSummary(): Promise<UserSummary> {
    return this.track(async () => {
      const [count] = await this.sql<{ n: string }[]>`SELECT COUNT(*)::text AS n FROM users`;
      const realms = await this.sql<{ realm: string }[]>`SELECT DISTINCT realm FROM users LIMIT 2`;
      return { count: Number(count?.n ?? 0), realms: realms.map((r) => r.realm) };
    });
  }

  scanUsers(options: ScanOptions<string> = {}): Promise<UserRecord[]> {
    return this.track(async () => {
      const limit = scanLimit(options.limit);
      const rows =
        options.after === undefined
          ? await this.sql<UserRow[]>`
              SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users ORDER BY id LIMIT ${limit}`
          : await this.sql<UserRow[]>`
              SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users
              WHERE id > ${options.after} ORDER BY id LIMIT ${limit}`;
      return rows.map(userFromRow);
    });
  }

  /**
   * Changes committed by other instances on this database. The LISTEN connection
   * opens with the first subscriber. After it reconnects, listeners get one
   * `{ key: null }` event: what was committed meanwhile was not heard.
   */
  onExternalChange(listener: (change: ExternalChange) => void): () => void {
    this.assertOpen();
    this.changeListeners.add(listener);
    this.listening ??= this.startListening();
    return () => {
      this.changeListeners.delete(listener);
    };
  }

  /** Resolves once this instance is LISTENing (after `onExternalChange`); for tests and start-up ordering. */
  async listeningReady(): Promise<void> {
    await this.listening;
  }

  /** Lets running operations finish, then closes every connection. Calls made afterwards reject. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      const listening = await this.listening?.catch(() => null);
      await listening?.unlisten().catch(() => undefined);
      await this.sql.end({ timeout: 5 });
    })();
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new Error(`${this.description} is closed`);
  }

  /** Runs an operation unless closing, and remembers it so `close` can wait for it. */
  private track<R>(operation: () => Promise<R>): Promise<R> {
    try {
      this.assertOpen();
    } catch (error) {
      return Promise.reject(error);
    }
    const running = operation();
    this.inFlight.add(running);
    void running.then(
      () => this.inFlight.delete(running),
      () => this.inFlight.delete(running),
    );
    return running;
  }

  private async startListening(): Promise<{ unlisten(): Promise<void> } | null> {
    try {
      return await this.sql.listen(
        CHANGE_CHANNEL,
        (text) => this.receive(text),
        () => {
          this.listenCount += 1;
          if (this.listenCount > 1) this.emit({ key: null, etag: null });
        },
      );
    } catch (error) {
      this.onBackgroundError?.(new Error(`${this.description}: cannot LISTEN for other nodes' changes: ${(error as Error).message}`, { cause: error }));
      return null;
    }
  }

  private receive(text: string): void {
    const payload = parseChangePayload(text);
    if (payload === null || payload.node === this.nodeId) return;
    const key = payload.key === null ? null : { auid: payload.key[0], tree: payload.key[1], owner: payload.key[2], path: payload.key[3] };
    this.emit({ key, etag: key === null ? null : payload.etag });
  }

  private emit(change: ExternalChange): void {
    for (const listener of this.changeListeners) {
      try {
        listener(change);
      } catch (error) {
        this.onBackgroundError?.(error as Error);
      }
    }
  }

  /**
   * Takes the document's write lock (which exists whether or not the row does),
   * reads the row and draws the next entity tag counter. The three statements go
   * out together (one round trip) and run in order, so both the read and the
   * counter come after the lock: a later writer of this document always draws a
   * larger counter. A write that ends up writing nothing leaves a gap, which is
   * harmless: counters must grow and never repeat, not be consecutive.
   *
   * Queries of this driver start when first awaited, so pipelined ones are started
   * explicitly, in the order they must run.
   */
  private async lockAndRead(tx: Tx, key: DocumentKey): Promise<{ previous: StoredDocument | null; counter: bigint }> {
    const lock = tx`SELECT pg_advisory_xact_lock(${DOCUMENT_LOCK_CLASS}, hashtext(${lockName(key)}))`.execute();
    const read = tx<DocumentRow[]>`
      SELECT content, etag, updated_at FROM documents
      WHERE auid = ${key.auid} AND tree = ${key.tree} AND owner = ${key.owner} AND path = ${key.path}
      FOR UPDATE`.execute();
    const next = tx<{ value: string }[]>`SELECT nextval('etag_counter')::text AS value`.execute();
    const [, [row], [counter]] = await Promise.all([lock, read, next]);
    if (counter === undefined) throw new Error(`${this.description}: nextval returned no row`);
    const previous = row === undefined ? null : { key: copyKey(key), content: row.content, etag: row.etag, updatedAt: Number(row.updated_at) };
    return { previous, counter: BigInt(counter.value) };
  }

  private async readDocument(sql: Queryable, key: DocumentKey): Promise<StoredDocument | null> {
    const [row] = await sql<DocumentRow[]>`
      SELECT content, etag, updated_at FROM documents
      WHERE auid = ${key.auid} AND tree = ${key.tree} AND owner = ${key.owner} AND path = ${key.path}`;
    if (row === undefined) return null;
    return { key: copyKey(key), content: row.content, etag: row.etag, updatedAt: Number(row.updated_at) };
  }

  private async claimHolder(sql: Queryable, scope: string, value: string): Promise<DocumentKey | null> {
    const [row] = await sql<KeyRow[]>`
      SELECT auid, tree, owner, path FROM unique_claims WHERE scope = ${scope} AND value = ${value}`;
    return row === undefined ? null : keyOf(row);
  }

  /** Returns the document as it now stands; `previous` itself when nothing was written. */
  private async applyMutation(
    tx: Tx,
    key: DocumentKey,
    previous: StoredDocument | null,
    mutation: Mutation,
    counter: bigint,
  ): Promise<StoredDocument | null> {
    switch (mutation.kind) {
      case 'none':
        return previous;
      case 'delete':
        if (previous === null) return null;
        // Claims go with the row (ON DELETE CASCADE).
        await Promise.all([
          tx`DELETE FROM documents
             WHERE auid = ${key.auid} AND tree = ${key.tree} AND owner = ${key.owner} AND path = ${key.path}`.execute(),
          this.announce(tx, key, null),
        ]);
        return null;
      case 'put': {
        if (previous !== null && previous.content === mutation.content) return previous;
        const document: StoredDocument = {
          key: copyKey(key),
          content: mutation.content,
          etag: makeEtag(counter),
          updatedAt: Date.now(),
        };
        await this.writeWithClaims(tx, document, mutation.claims ?? []);
        return document;
      }
    }
  }

  /** Upserts the row, drops its old claims and queues the NOTIFY in one round trip, then inserts the new claims. */
  private async writeWithClaims(tx: Tx, document: StoredDocument, claims: readonly UniqueClaim[]): Promise<void> {
    const { key, content } = document;
    await Promise.all([
      tx`
        INSERT INTO documents (auid, tree, owner, path, content, size, etag, updated_at)
        VALUES (${key.auid}, ${key.tree}, ${key.owner}, ${key.path}, ${content},
                ${Buffer.byteLength(content, 'utf8')}, ${document.etag}, ${document.updatedAt})
        ON CONFLICT (auid, tree, owner, path) DO UPDATE SET
          content = excluded.content, size = excluded.size, etag = excluded.etag, updated_at = excluded.updated_at`.execute(),
      tx`DELETE FROM unique_claims
         WHERE auid = ${key.auid} AND tree = ${key.tree} AND owner = ${key.owner} AND path = ${key.path}`.execute(),
      this.announce(tx, key, document.etag),
    ]);
    // In one global order, so two writers claiming overlapping sets never deadlock at the index.
    const ordered = distinctClaims(claims).sort((a, b) => compareText(a.scope, b.scope) || compareText(a.value, b.value));
    for (const claim of ordered) await this.insertClaim(tx, key, claim);
  }

  /**
   * A concurrent writer of the same value makes this insert wait at the unique
   * index until that writer commits or rolls back; ON CONFLICT then tells which.
   */
  private async insertClaim(tx: Tx, key: DocumentKey, claim: UniqueClaim): Promise<void> {
    for (let attempt = 0; attempt < CLAIM_ATTEMPTS; attempt += 1) {
      const inserted = await tx`
        INSERT INTO unique_claims (scope, value, auid, tree, owner, path)
        VALUES (${claim.scope}, ${claim.value}, ${key.auid}, ${key.tree}, ${key.owner}, ${key.path})
        ON CONFLICT (scope, value) DO NOTHING`;
      if (inserted.count > 0) return;
      // Read committed: this statement sees the row the winner committed.
      const holder = await this.claimHolder(tx, claim.scope, claim.value);
      if (holder !== null) throw new ClaimConflictError({ scope: claim.scope, value: claim.value }, holder);
    }
    throw new Error(`${this.description}: the claim ${claim.scope} ${claim.value} kept changing hands; try again`);
  }

  /** Starts the NOTIFY at once (see lockAndRead); it is sent by the commit, not before. */
  private announce(tx: Tx, key: DocumentKey, etag: string | null): Promise<unknown> {
    return tx`SELECT pg_notify(${CHANGE_CHANNEL}, ${changePayload(this.nodeId, key, etag)})`.execute();
  }
}
