/**
 * The storage seam: every backend (SQLite, PostgreSQL) offers exactly this.
 *
 * The one way to change a document is `update`, which hands the caller the current
 * version inside a transaction and writes what the caller returns, atomically. No
 * caller can forget a lock, and concurrent writers never lose an update.
 */

export type Tree = 'users' | 'global';

/** Identifies one document. */
export interface DocumentKey {
  readonly auid: string;
  readonly tree: Tree;
  /** The normalized XUI (e.g. `sip:alice@example.com`) in the users tree; '' in the global tree. */
  readonly owner: string;
  /** The document path below the user's (or global) directory, decoded, '/'-separated, e.g. `index` or `dir/buddies.xml`. */
  readonly path: string;
}

export interface StoredDocument {
  readonly key: DocumentKey;
  /** The document text (stored as UTF-8). */
  readonly content: string;
  /** The strong entity tag, without quotes. */
  readonly etag: string;
  /** Milliseconds since the epoch of the last change. */
  readonly updatedAt: number;
}

export interface DocumentSummary {
  readonly key: DocumentKey;
  readonly etag: string;
  readonly updatedAt: number;
  readonly size: number;
}

/**
 * A value some application usage needs to be unique across the whole server
 * (e.g. an rls-services service URI). Claims are kept per document and replaced on
 * each write of that document; a claim already held by another document fails the
 * write.
 */
export interface UniqueClaim {
  readonly scope: string;
  readonly value: string;
}

export type Mutation =
  | { readonly kind: 'none' }
  | { readonly kind: 'put'; readonly content: string; readonly claims?: readonly UniqueClaim[] }
  | { readonly kind: 'delete' };

/** What a mutator can read while it holds the document's write transaction. */
export interface StorageTransaction {
  /** Which document, other than the one being written, holds this claim (null if none). */
  findClaim(scope: string, value: string): Promise<DocumentKey | null>;
  get(key: DocumentKey): Promise<StoredDocument | null>;
}

/** Computes the mutation of a document from its current version, inside a write (see `Storage.updateDocument`). */
export type DocumentMutator<T> = (
  current: StoredDocument | null,
  tx: StorageTransaction,
) => Promise<{ mutation: Mutation; result: T }> | { mutation: Mutation; result: T };

export interface UpdateOptions {
  /**
   * The version the caller believes is current (a cached copy). A backend that
   * checks the version before committing anyway may start from it instead of
   * reading the document; when it is not current, the mutator simply runs again on
   * the version that is. Never required for correctness.
   */
  readonly likelyCurrent?: StoredDocument;
}

export interface UpdateResult<T> {
  readonly result: T;
  /** The document after the update (null when it does not exist). */
  readonly document: StoredDocument | null;
  /** The document before the update (null when it did not exist). */
  readonly previous: StoredDocument | null;
  /** Whether anything was written. */
  readonly changed: boolean;
  /**
   * The backend's `documentChangeToken` as of this write's commit, read inside the
   * transaction (backends with such a token): `document` is current for as long as
   * the token stays at this value.
   */
  readonly changeToken?: number;
}

/** Raised by `update` when a claim is held by another document; nothing is written. */
export class ClaimConflictError extends Error {
  override readonly name = 'ClaimConflictError';
  constructor(
    readonly claim: UniqueClaim,
    readonly holder: DocumentKey,
  ) {
    super(`${claim.scope} ${claim.value} is already used by another document`);
  }
}

export interface UserRecord {
  /** The normalized user id, `alice@example.com` (no `sip:` scheme). */
  readonly id: string;
  /** The Digest realm the password digests were made for. */
  readonly realm: string;
  /** hex(MD5(username ":" realm ":" password)), username being the user part. */
  readonly ha1Md5: string;
  /** hex(SHA-256(username ":" realm ":" password)). */
  readonly ha1Sha256: string;
  readonly admin: boolean;
  readonly createdAt: number;
}

export interface UserSummary {
  readonly count: number;
  /** Distinct realms of the users, at most two: enough to tell "one realm for all" apart. */
  readonly realms: readonly string[];
}

export interface DocumentQuery {
  readonly auid?: string;
  readonly tree?: Tree;
  readonly owner?: string;
}

/**
 * A change another node (another xcapd process on the same database) committed.
 * `key` null means "anything may have changed": the notification channel was
 * interrupted and changes may have been missed, so a cache must drop everything.
 */
export interface ExternalChange {
  readonly key: DocumentKey | null;
  /** The document's entity tag after the change; null when it was deleted (or key is null). */
  readonly etag: string | null;
}

/** One page of a key-ordered scan (exports); pass the last key back as `after` for the next page. */
export interface ScanOptions<K> {
  readonly after?: K;
  /** Page size; default 100. */
  readonly limit?: number;
}

export interface Storage {
  /** A short description for logs, e.g. `sqlite:./data/xcapd.sqlite`. */
  readonly description: string;

  getDocument(key: DocumentKey): Promise<StoredDocument | null>;

  /**
   * Runs `mutate` on the current version of the document inside one write
   * transaction and applies the mutation it returns. If `mutate` throws, nothing is
   * written and the error propagates. Writes to one document are serialized; the
   * entity tag of every written version is new and never reused.
   */
  updateDocument<T>(
    key: DocumentKey,
    mutate: DocumentMutator<T>,
    options?: UpdateOptions,
  ): Promise<UpdateResult<T>>;

  listDocuments(query: DocumentQuery): Promise<DocumentSummary[]>;

  getUser(id: string): Promise<UserRecord | null>;
  putUser(user: UserRecord): Promise<void>;
  /** Returns whether a user was removed. */
  removeUser(id: string): Promise<boolean>;
  listUsers(): Promise<UserRecord[]>;
  /** How many users there are and up to two of their distinct realms, cheaply (startup, realm choice). */
  userSummary(): Promise<UserSummary>;

  close(): Promise<void>;

  /**
   * The current entity tag of a document (null when it does not exist), without
   * reading its content: what a cache asks to know whether its copy is current.
   */
  documentEtag?(key: DocumentKey): Promise<string | null>;

  /**
   * A number that stays the same for as long as no document has been written —
   * through this instance or any other connection (another worker process, another
   * node) — and changes otherwise; read synchronously and cheaply (SQLite's
   * `PRAGMA data_version`). Absent where the backend cannot tell (PostgreSQL): a
   * cache must then ask `documentEtag` on every read.
   */
  documentChangeToken?(): number;

  /**
   * Subscribes to changes committed by *other* nodes sharing this database (the
   * PostgreSQL backend LISTENs for them; writes of this instance are not reported).
   * Present only on backends several nodes can share. Delivery is asynchronous, so
   * it is a hint (free memory early, tell feed clients), never a proof that a
   * cached copy is current. Returns the unsubscribe function.
   */
  onExternalChange?(listener: (change: ExternalChange) => void): () => void;

  /** Documents in key order (auid, tree, owner, path), a page at a time, for exports. */
  scanDocuments?(options?: ScanOptions<DocumentKey>): Promise<StoredDocument[]>;
  /** Users in id order, a page at a time, for exports. */
  scanUsers?(options?: ScanOptions<string>): Promise<UserRecord[]>;
  /**
   * Writes a document exactly as given — content, entity tag and time — with its
   * claims, replacing any current version (imports and restores). The entity tag
   * counter is advanced past the restored tag's, so later writes never reuse it.
   * Throws ClaimConflictError, writing nothing, when a claim is held elsewhere.
   */
  restoreDocument?(document: StoredDocument, claims: readonly UniqueClaim[]): Promise<void>;
}
