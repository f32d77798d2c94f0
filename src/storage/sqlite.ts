/**
 * The SQLite storage backend, on better-sqlite3 (one synchronous connection per
 * instance). Several xcapd worker processes may open the same file: WAL mode lets
 * readers proceed while one of them writes, and every write runs in a
 * `BEGIN IMMEDIATE` transaction so writers take the file's write lock up front.
 */

import { mkdirSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { checkMutation, copyKey, documentId, etagCounter, makeEtag, sameKey, scanLimit } from './backend-helpers.js';
import { KeyedQueue } from './keyed-queue.js';
import { sqliteMigrations } from './sqlite-migrations.js';
import type { SqliteMigration } from './sqlite-migrations.js';
import { ClaimConflictError } from './types.js';
import type {
  DocumentKey,
  DocumentMutator,
  DocumentQuery,
  DocumentSummary,
  Mutation,
  ScanOptions,
  Storage,
  StorageTransaction,
  StoredDocument,
  Tree,
  UniqueClaim,
  UpdateOptions,
  UpdateResult,
  UserRecord,
  UserSummary,
} from './types.js';

export interface SqliteStorageOptions {
  /** A file path, or `:memory:` for a private in-memory database (tests). */
  readonly file: string;
  /** How long to wait for another process holding the write lock; default 5000 ms. */
  readonly busyTimeoutMs?: number;
  /** Opens an existing, fully migrated database for reading only. */
  readonly readonly?: boolean;
}

const DEFAULT_BUSY_TIMEOUT_MS = 5000;
/** Optimistic rounds of a document write before its mutator runs inside the write transaction. */
const OPTIMISTIC_ROUNDS = 4;
/** Attempts to take a busy write lock on the next turn of the event loop, before pausing. */
const LOCK_RETRIES_WITHOUT_PAUSE = 32;
/** Upper bound of one pause between attempts to take the write lock. */
const MAX_LOCK_RETRY_DELAY_MS = 10;

type Db = Database.Database;

interface DocumentRow {
  readonly content: string;
  readonly etag: string;
  readonly updated_at: number;
}

interface SummaryRow {
  readonly auid: string;
  readonly tree: Tree;
  readonly owner: string;
  readonly path: string;
  readonly etag: string;
  readonly updated_at: number;
  readonly size: number;
}

interface ClaimHolderRow {
  readonly auid: string;
  readonly tree: Tree;
  readonly owner: string;
  readonly path: string;
}

interface ScanRow extends DocumentRow {
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
  readonly admin: number;
  readonly created_at: number;
}

type KeyParams = [auid: string, tree: string, owner: string, path: string];

/**
 * Taking the write lock without freezing the event loop.
 *
 * A plain `BEGIN IMMEDIATE` waits for a busy lock inside SQLite's busy handler,
 * which blocks this process's thread for up to the busy timeout. When the holder is
 * another connection in the *same* process (two storages on one file) that is
 * awaiting its mutator, the holder can never finish while we block: a deadlock until
 * the timeout. So the lock is tried with the busy timeout switched off and retried
 * after short asynchronous pauses until the same deadline. Every other statement
 * keeps the ordinary busy timeout.
 */
class WriteLock {
  private readonly begin;

  constructor(
    private readonly db: Db,
    private readonly busyTimeoutMs: number,
    private readonly description: string,
  ) {
    this.begin = db.prepare('BEGIN IMMEDIATE');
  }

  async acquire(): Promise<void> {
    const deadline = Date.now() + this.busyTimeoutMs;
    let delay = 1;
    let retries = 0;
    for (;;) {
      // Not a prepared statement: SQLite applies busy_timeout when the PRAGMA is
      // compiled, so re-running a prepared one would change nothing.
      this.db.exec('PRAGMA busy_timeout = 0');
      try {
        this.begin.run();
        return;
      } catch (error) {
        if (!isBusyError(error)) throw error;
        if (Date.now() >= deadline) {
          throw new Error(
            `${this.description}: the database stayed locked by another writer for more than ${this.busyTimeoutMs} ms`,
            { cause: error },
          );
        }
      } finally {
        this.db.exec(`PRAGMA busy_timeout = ${this.busyTimeoutMs}`);
      }
      // Another process's write transaction lasts a fraction of a millisecond: retry on the
      // next turns of the event loop first (serving other requests meanwhile), then back off.
      if (++retries <= LOCK_RETRIES_WITHOUT_PAUSE) {
        await yieldToEventLoop();
        continue;
      }
      await sleep(delay + Math.random() * delay);
      delay = Math.min(delay * 2, MAX_LOCK_RETRY_DELAY_MS);
    }
  }
}

function isBusyError(error: unknown): boolean {
  return error instanceof Database.SqliteError && error.code.startsWith('SQLITE_BUSY');
}

function isMemoryFile(file: string): boolean {
  return file === ':memory:' || file === '';
}

function rollbackQuietly(db: Db): void {
  // SQLite itself rolls back on some errors (e.g. SQLITE_FULL); a second ROLLBACK
  // would then fail and hide the original error.
  if (!db.inTransaction) return;
  try {
    db.exec('ROLLBACK');
  } catch {
    // The original error is the one worth reporting.
  }
}

function keyParams(key: DocumentKey): KeyParams {
  return [key.auid, key.tree, key.owner, key.path];
}

async function migrate(
  db: Db,
  lock: WriteLock,
  migrations: readonly SqliteMigration[],
  readonly: boolean,
  description: string,
): Promise<void> {
  const latest = migrations.at(-1)?.version ?? 0;
  const appliedVersions = (): Set<number> => {
    const table = db
      .prepare("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'")
      .get();
    if (table === undefined) return new Set();
    const rows = db.prepare('SELECT version FROM schema_migrations').all() as { version: number }[];
    return new Set(rows.map((row) => row.version));
  };
  const pendingMigrations = (): SqliteMigration[] => {
    const applied = appliedVersions();
    const newest = Math.max(0, ...applied);
    if (newest > latest) {
      throw new Error(
        `${description}: the database schema is at version ${newest}, newer than this xcapd supports (${latest}); ` +
          'upgrade xcapd to use this database',
      );
    }
    return migrations.filter((migration) => !applied.has(migration.version));
  };

  if (pendingMigrations().length === 0) return;
  if (readonly) {
    throw new Error(
      `${description}: the database schema is not up to date (or not created yet); open it read-write once to migrate it`,
    );
  }

  await lock.acquire();
  try {
    db.exec(
      'CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, applied_at INTEGER NOT NULL)',
    );
    // Another process may have migrated while we waited for the lock.
    const pending = pendingMigrations();
    const record = db.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)');
    for (const migration of pending) {
      db.exec(migration.sql);
      record.run(migration.version, Date.now());
    }
    db.exec('COMMIT');
  } catch (error) {
    rollbackQuietly(db);
    throw error;
  }
}

function checkMigrationOrder(migrations: readonly SqliteMigration[]): void {
  migrations.forEach((migration, index) => {
    if (migration.version !== index + 1) {
      throw new Error(`SQLite migration #${index + 1} has version ${migration.version}; versions must be 1, 2, 3, …`);
    }
  });
}

export async function openSqliteStorage(options: SqliteStorageOptions): Promise<SqliteStorage> {
  const { file } = options;
  const busyTimeoutMs = options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS;
  const readonly = options.readonly ?? false;
  if (!Number.isSafeInteger(busyTimeoutMs) || busyTimeoutMs < 0) {
    throw new RangeError(`busyTimeoutMs must be a non-negative integer, got ${busyTimeoutMs}`);
  }
  checkMigrationOrder(sqliteMigrations);
  const description = `sqlite:${file}`;

  if (!readonly && !isMemoryFile(file)) mkdirSync(dirname(resolve(file)), { recursive: true });
  const db = new Database(file, { readonly, fileMustExist: readonly, timeout: busyTimeoutMs });
  try {
    if (!readonly) {
      // WAL persists in the file; in-memory databases keep their 'memory' journal.
      const journalMode = db.pragma('journal_mode = WAL', { simple: true });
      if (!isMemoryFile(file) && journalMode !== 'wal') {
        // Without WAL, readers in other worker processes would block behind writers.
        throw new Error(`${description}: could not switch the database to WAL mode (got ${String(journalMode)})`);
      }
      db.pragma('synchronous = NORMAL');
    }
    db.pragma('foreign_keys = ON');
    const lock = new WriteLock(db, busyTimeoutMs, description);
    await migrate(db, lock, sqliteMigrations, readonly, description);
    return new SqliteStorage(db, lock, description, readonly);
  } catch (error) {
    db.close();
    throw error;
  }
}

function prepareStatements(db: Db) {
  return {
    commit: db.prepare('COMMIT'),
    getDocument: db.prepare<KeyParams, DocumentRow>(
      'SELECT content, etag, updated_at FROM documents WHERE auid = ? AND tree = ? AND owner = ? AND path = ?',
    ),
    upsertDocument: db.prepare<
      [auid: string, tree: string, owner: string, path: string, content: string, size: number, etag: string, updatedAt: number]
    >(
      `INSERT INTO documents (auid, tree, owner, path, content, size, etag, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (auid, tree, owner, path) DO UPDATE SET
         content = excluded.content, size = excluded.size, etag = excluded.etag, updated_at = excluded.updated_at`,
    ),
    deleteDocument: db.prepare<KeyParams>(
      'DELETE FROM documents WHERE auid = ? AND tree = ? AND owner = ? AND path = ?',
    ),
    nextEtagCounter: db.prepare<[], { value: number }>(
      'UPDATE etag_counter SET value = value + 1 WHERE id = 1 RETURNING value',
    ),
    claimHolder: db.prepare<[scope: string, value: string], ClaimHolderRow>(
      'SELECT auid, tree, owner, path FROM unique_claims WHERE scope = ? AND value = ?',
    ),
    insertClaim: db.prepare<[scope: string, value: string, ...KeyParams]>(
      'INSERT INTO unique_claims (scope, value, auid, tree, owner, path) VALUES (?, ?, ?, ?, ?, ?)',
    ),
    deleteClaimsOf: db.prepare<KeyParams>(
      'DELETE FROM unique_claims WHERE auid = ? AND tree = ? AND owner = ? AND path = ?',
    ),
    getUser: db.prepare<[id: string], UserRow>(
      'SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users WHERE id = ?',
    ),
    putUser: db.prepare<
      [id: string, realm: string, ha1Md5: string, ha1Sha256: string, admin: number, createdAt: number]
    >(
      `INSERT INTO users (id, realm, ha1_md5, ha1_sha256, admin, created_at) VALUES (?, ?, ?, ?, ?, ?)
       ON CONFLICT (id) DO UPDATE SET
         realm = excluded.realm, ha1_md5 = excluded.ha1_md5, ha1_sha256 = excluded.ha1_sha256,
         admin = excluded.admin, created_at = excluded.created_at`,
    ),
    removeUser: db.prepare<[id: string]>('DELETE FROM users WHERE id = ?'),
    scanDocumentsFirst: db.prepare<[limit: number], ScanRow>(
      `SELECT auid, tree, owner, path, content, etag, updated_at FROM documents
       ORDER BY auid, tree, owner, path LIMIT ?`,
    ),
    scanDocumentsAfter: db.prepare<[...KeyParams, limit: number], ScanRow>(
      `SELECT auid, tree, owner, path, content, etag, updated_at FROM documents
       WHERE (auid, tree, owner, path) > (?, ?, ?, ?) ORDER BY auid, tree, owner, path LIMIT ?`,
    ),
    scanUsersFirst: db.prepare<[limit: number], UserRow>(
      'SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users ORDER BY id LIMIT ?',
    ),
    scanUsersAfter: db.prepare<[after: string, limit: number], UserRow>(
      'SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users WHERE id > ? ORDER BY id LIMIT ?',
    ),
    raiseEtagCounter: db.prepare<[atLeast: number]>('UPDATE etag_counter SET value = MAX(value, ?) WHERE id = 1'),
    listUsers: db.prepare<[], UserRow>(
      'SELECT id, realm, ha1_md5, ha1_sha256, admin, created_at FROM users ORDER BY id',
    ),
    countUsers: db.prepare<[], { n: number }>('SELECT COUNT(*) AS n FROM users'),
    someRealms: db.prepare<[], { realm: string }>('SELECT DISTINCT realm FROM users LIMIT 2'),
    documentEtag: db
      .prepare<KeyParams, string>('SELECT etag FROM documents WHERE auid = ? AND tree = ? AND owner = ? AND path = ?')
      .pluck(),
    dataVersion: db.prepare<[], number>('PRAGMA data_version').pluck(),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

const LIST_FILTERS = ['auid', 'tree', 'owner'] as const;

function userFromRow(row: UserRow): UserRecord {
  return {
    id: row.id,
    realm: row.realm,
    ha1Md5: row.ha1_md5,
    ha1Sha256: row.ha1_sha256,
    admin: row.admin !== 0,
    createdAt: row.created_at,
  };
}

export class SqliteStorage implements Storage {
  private readonly statements: Statements;
  /** Statements for each combination of listDocuments filters, prepared on first use. */
  private readonly listStatements = new Map<string, Database.Statement<string[], SummaryRow>>();
  /**
   * The tail of this instance's write queue. better-sqlite3 gives us one connection,
   * and a transaction on it spans the awaits of its mutator, so a second write
   * started meanwhile would run inside the first one's transaction. Every write
   * therefore waits for the previous one to finish.
   */
  private writeTail: Promise<void> = Promise.resolve();
  /** Writes of one document in this process, one after another. */
  private readonly documentQueue = new KeyedQueue();
  /** Documents written or deleted through this connection, for {@link documentChangeToken}. */
  private documentWrites = 0;
  private closing: Promise<void> | null = null;

  /** Use `openSqliteStorage`. */
  constructor(
    private readonly db: Db,
    private readonly lock: WriteLock,
    readonly description: string,
    private readonly readonly: boolean,
  ) {
    this.statements = prepareStatements(db);
  }

  async getDocument(key: DocumentKey): Promise<StoredDocument | null> {
    this.assertOpen();
    return this.readDocument(key);
  }

  async documentEtag(key: DocumentKey): Promise<string | null> {
    this.assertOpen();
    return this.currentEtag(key);
  }

  /**
   * SQLite's data_version, which grows when another connection commits, plus this
   * connection's own document writes, which data_version does not count: the sum
   * changes whenever any document may have changed, by whatever path.
   */
  documentChangeToken(): number {
    this.assertOpen();
    return this.changeToken();
  }

  private changeToken(): number {
    return this.statements.dataVersion.get()! + this.documentWrites;
  }

  /**
   * See `Storage.updateDocument`. The mutator must not itself call write methods of
   * this storage: they queue behind the running write and would wait forever.
   *
   * A put whose content equals the current content writes nothing, claims
   * included (claims derive from content), and keeps the entity tag.
   *
   * The mutator runs outside the write transaction, so that other worker processes
   * can write while this one does its XML work: the transaction then only checks
   * that the document (and whatever else the mutator read) is still the version the
   * mutator saw, and writes. When another process wrote in between, the mutator runs
   * again on the new version; after a few such rounds it runs inside the transaction,
   * which always succeeds. Within this process writes to one document are queued.
   */
  async updateDocument<T>(
    key: DocumentKey,
    mutate: DocumentMutator<T>,
    options?: UpdateOptions,
  ): Promise<UpdateResult<T>> {
    this.assertWritable();
    return this.documentQueue.run(documentId(key), async () => {
      for (let round = 1; round < OPTIMISTIC_ROUNDS; round++) {
        // A copy the caller holds saves reading the text; the check before COMMIT tells whether it was current.
        const start = round === 1 && options?.likelyCurrent && sameKey(options.likelyCurrent.key, key) ? options.likelyCurrent : this.readDocument(key);
        const attempt = await this.tryOptimistic(key, start, mutate);
        if (attempt !== null) return attempt;
      }
      return this.enqueueWrite(async () => {
        const previous = this.readDocument(key);
        const outcome = await this.runMutator(key, previous, mutate, null);
        return this.commitMutation(key, previous, outcome);
      });
    });
  }

  /** One optimistic round: null when another connection changed what the mutator read. */
  private async tryOptimistic<T>(key: DocumentKey, previous: StoredDocument | null, mutate: DocumentMutator<T>): Promise<UpdateResult<T> | null> {
    const stillSo: (() => boolean)[] = [];
    let outcome: { mutation: Mutation; result: T };
    try {
      outcome = await this.runMutator(key, previous, mutate, stillSo);
    } catch (error) {
      // A refusal counts only if it was about the current version (a 404 for a node
      // another process has just added, say, is not); otherwise run again on that one.
      if (this.currentEtag(key) !== (previous?.etag ?? null)) return null;
      throw error;
    }
    return this.enqueueWrite(async () => {
      // Synchronous from here to COMMIT: no other code on this connection sees the half-applied write.
      if (this.currentEtag(key) !== (previous?.etag ?? null) || !stillSo.every((check) => check())) return null;
      return this.commitMutation(key, previous, outcome);
    });
  }

  /**
   * Runs the mutator with a transaction view; `stillSo` (optimistic rounds) collects
   * checks that what it read is unchanged, re-run inside the write transaction.
   */
  private async runMutator<T>(
    key: DocumentKey,
    previous: StoredDocument | null,
    mutate: DocumentMutator<T>,
    stillSo: (() => boolean)[] | null,
  ): Promise<{ mutation: Mutation; result: T }> {
    let active = true;
    const tx: StorageTransaction = {
      findClaim: async (scope, value) => {
        if (!active) throw new Error('this storage transaction has already ended');
        const holderOf = (): DocumentKey | null => {
          const holder = this.statements.claimHolder.get(scope, value);
          return holder === undefined || sameKey(holder, key) ? null : copyKey(holder);
        };
        const found = holderOf();
        stillSo?.push(() => {
          const now = holderOf();
          return now === null ? found === null : found !== null && sameKey(now, found);
        });
        return found;
      },
      get: async (otherKey) => {
        if (!active) throw new Error('this storage transaction has already ended');
        const document = this.readDocument(otherKey);
        const etag = document?.etag ?? null;
        stillSo?.push(() => this.currentEtag(otherKey) === etag);
        return document;
      },
    };
    let outcome: { mutation: Mutation; result: T };
    try {
      outcome = await mutate(previous, tx);
    } finally {
      active = false;
    }
    checkMutation((outcome as { mutation?: Mutation } | null | undefined)?.mutation);
    return outcome;
  }

  private commitMutation<T>(key: DocumentKey, previous: StoredDocument | null, outcome: { mutation: Mutation; result: T }): UpdateResult<T> {
    const document = this.applyMutation(key, previous, outcome.mutation);
    // Inside the write transaction no other connection can commit, so this is the token the commit leaves.
    return { result: outcome.result, previous, document, changed: document !== previous, changeToken: this.changeToken() };
  }

  private currentEtag(key: DocumentKey): string | null {
    return this.statements.documentEtag.get(...keyParams(key)) ?? null;
  }

  async listDocuments(query: DocumentQuery): Promise<DocumentSummary[]> {
    this.assertOpen();
    const filters = LIST_FILTERS.filter((name) => query[name] !== undefined);
    const rows = this.listStatement(filters).all(...filters.map((name) => query[name] as string));
    return rows.map((row) => ({
      key: { auid: row.auid, tree: row.tree, owner: row.owner, path: row.path },
      etag: row.etag,
      updatedAt: row.updated_at,
      size: row.size,
    }));
  }

  async getUser(id: string): Promise<UserRecord | null> {
    this.assertOpen();
    const row = this.statements.getUser.get(id);
    return row === undefined ? null : userFromRow(row);
  }

  async putUser(user: UserRecord): Promise<void> {
    this.assertWritable();
    await this.enqueueWrite(async () => {
      this.statements.putUser.run(
        user.id,
        user.realm,
        user.ha1Md5,
        user.ha1Sha256,
        user.admin ? 1 : 0,
        user.createdAt,
      );
    });
  }

  async removeUser(id: string): Promise<boolean> {
    this.assertWritable();
    return this.enqueueWrite(async () => this.statements.removeUser.run(id).changes > 0);
  }

  async listUsers(): Promise<UserRecord[]> {
    this.assertOpen();
    return this.statements.listUsers.all().map(userFromRow);
  }

  async userSummary(): Promise<UserSummary> {
    this.assertOpen();
    return { count: this.statements.countUsers.get()!.n, realms: this.statements.someRealms.all().map((r) => r.realm) };
  }

  async scanDocuments(options: ScanOptions<DocumentKey> = {}): Promise<StoredDocument[]> {
    this.assertOpen();
    const limit = scanLimit(options.limit);
    const rows =
      options.after === undefined
        ? this.statements.scanDocumentsFirst.all(limit)
        : this.statements.scanDocumentsAfter.all(...keyParams(options.after), limit);
    return rows.map((row) => ({
      key: { auid: row.auid, tree: row.tree, owner: row.owner, path: row.path },
      content: row.content,
      etag: row.etag,
      updatedAt: row.updated_at,
    }));
  }

  async scanUsers(options: ScanOptions<string> = {}): Promise<UserRecord[]> {
    this.assertOpen();
    const limit = scanLimit(options.limit);
    const rows =
      options.after === undefined
        ? this.statements.scanUsersFirst.all(limit)
        : this.statements.scanUsersAfter.all(options.after, limit);
    return rows.map(userFromRow);
  }

  /** See `Storage.restoreDocument`. */
  async restoreDocument(document: StoredDocument, claims: readonly UniqueClaim[]): Promise<void> {
    this.assertWritable();
    await this.enqueueWrite(async () => {
      const counter = etagCounter(document.etag);
      if (counter !== null && counter <= BigInt(Number.MAX_SAFE_INTEGER)) {
        this.statements.raiseEtagCounter.run(Number(counter));
      }
      this.writeDocument(document, claims);
    });
  }

  /** Lets queued writes finish, then closes the connection. Calls made afterwards reject. */
  close(): Promise<void> {
    this.closing ??= this.documentQueue
      .idle()
      .then(() => this.writeTail)
      .then(() => {
        this.db.close();
      });
    return this.closing;
  }

  private assertOpen(): void {
    if (this.closing !== null) throw new Error(`${this.description} is closed`);
  }

  private assertWritable(): void {
    this.assertOpen();
    if (this.readonly) throw new Error(`${this.description} was opened read-only`);
  }

  /** Runs `body` in a write transaction, after every write queued before it. */
  private enqueueWrite<R>(body: () => Promise<R>): Promise<R> {
    const run = this.writeTail.then(async () => {
      await this.lock.acquire();
      try {
        const result = await body();
        this.statements.commit.run();
        return result;
      } catch (error) {
        rollbackQuietly(this.db);
        throw error;
      }
    });
    this.writeTail = run.then(
      () => undefined,
      () => undefined,
    );
    return run;
  }

  private readDocument(key: DocumentKey): StoredDocument | null {
    const row = this.statements.getDocument.get(...keyParams(key));
    if (row === undefined) return null;
    return { key: copyKey(key), content: row.content, etag: row.etag, updatedAt: row.updated_at };
  }

  /** Returns the document as it now stands; `previous` itself when nothing was written. */
  private applyMutation(
    key: DocumentKey,
    previous: StoredDocument | null,
    mutation: Mutation,
  ): StoredDocument | null {
    switch (mutation.kind) {
      case 'none':
        return previous;
      case 'delete':
        if (previous === null) return null;
        this.statements.deleteClaimsOf.run(...keyParams(key));
        this.statements.deleteDocument.run(...keyParams(key));
        this.documentWrites++;
        return null;
      case 'put': {
        if (previous !== null && previous.content === mutation.content) return previous;
        const counter = this.statements.nextEtagCounter.get();
        if (counter === undefined) throw new Error(`${this.description}: the etag_counter row is missing`);
        const document: StoredDocument = {
          key: copyKey(key),
          content: mutation.content,
          etag: makeEtag(counter.value),
          updatedAt: Date.now(),
        };
        this.writeDocument(document, mutation.claims ?? []);
        return document;
      }
    }
  }

  /** Stores one version with its claims (inside a write transaction), counted for the change token. */
  private writeDocument(document: StoredDocument, claims: readonly UniqueClaim[]): void {
    this.documentWrites++;
    this.statements.upsertDocument.run(
      ...keyParams(document.key),
      document.content,
      Buffer.byteLength(document.content, 'utf8'),
      document.etag,
      document.updatedAt,
    );
    this.replaceClaims(document.key, claims);
  }

  private replaceClaims(key: DocumentKey, claims: readonly UniqueClaim[]): void {
    this.statements.deleteClaimsOf.run(...keyParams(key));
    for (const claim of claims) {
      const holder = this.statements.claimHolder.get(claim.scope, claim.value);
      if (holder !== undefined) {
        // Our own old claims are gone, so a holder that is us means the list repeats it.
        if (sameKey(holder, key)) continue;
        throw new ClaimConflictError({ scope: claim.scope, value: claim.value }, copyKey(holder));
      }
      this.statements.insertClaim.run(claim.scope, claim.value, ...keyParams(key));
    }
  }

  private listStatement(filters: readonly (typeof LIST_FILTERS)[number][]): Database.Statement<string[], SummaryRow> {
    const cacheKey = filters.join(',');
    let statement = this.listStatements.get(cacheKey);
    if (statement === undefined) {
      const where = filters.length === 0 ? '' : `WHERE ${filters.map((name) => `${name} = ?`).join(' AND ')}`;
      statement = this.db.prepare<string[], SummaryRow>(
        `SELECT auid, tree, owner, path, etag, updated_at, size FROM documents ${where} ORDER BY auid, tree, owner, path`,
      );
      this.listStatements.set(cacheKey, statement);
    }
    return statement;
  }
}
