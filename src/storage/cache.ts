/**
 * A bounded in-memory copy of recently used documents in front of a storage backend.
 *
 * A cached copy is served only when it is provably current. On SQLite a change token
 * (`PRAGMA data_version` plus the connection's own writes) that has not moved since
 * the copy was last confirmed proves that no document changed, by any path; when it
 * has moved, or on PostgreSQL, which has no such token, the database is asked for
 * the document's entity tag (one indexed lookup instead of the content). Entity tags
 * are never reused, so an equal tag means equal content.
 */
import { LRUCache } from 'lru-cache';
import { documentId } from './backend-helpers.js';
import type {
  DocumentKey,
  DocumentMutator,
  DocumentQuery,
  DocumentSummary,
  ExternalChange,
  ScanOptions,
  Storage,
  StoredDocument,
  UniqueClaim,
  UpdateOptions,
  UpdateResult,
  UserRecord,
  UserSummary,
} from './types.js';

export interface DocumentCacheOptions {
  /** Most memory the cached documents may take, in bytes (their text, counted as UTF-16). */
  readonly maxBytes: number;
}

/** Per-entry bookkeeping the text alone does not account for (objects, the key, the LRU's links). */
const ENTRY_OVERHEAD_BYTES = 256;
/**
 * Bounds of how many documents read once are remembered (by key only) so that a second
 * read caches them. Within them the number follows how many documents the cache
 * holds: a document read again only after more others than the cache can keep would
 * be gone by its next read, and caching it would only churn the heap.
 */
const SEEN_ONCE_MIN = 256;
const SEEN_ONCE_MAX = 16_384;
/** The size assumed of a document before any is cached. */
const TYPICAL_ENTRY_BYTES = 4096;

interface Entry {
  readonly document: StoredDocument;
  /** The backend's change token when this copy was last known current; null: check the tag. */
  verifiedAt: number | null;
}

export interface DocumentCacheStats {
  readonly hits: number;
  /** Reads answered from memory after the database confirmed the entity tag. */
  readonly revalidated: number;
  readonly misses: number;
  readonly entries: number;
  readonly bytes: number;
}

export class CachingStorage implements Storage {
  readonly description: string;
  private readonly entries: LRUCache<string, Entry>;
  private hits = 0;
  private revalidated = 0;
  private misses = 0;
  private readonly unsubscribe: (() => void) | undefined;
  /**
   * Keys of documents read once and not cached: a document is cached when it is
   * read a second time (or written), so a stream of one-off reads — 100,000 users'
   * phones each fetching their own list — does not keep evicting the documents
   * that are read again and again, nor fill the heap with copies that are never reused.
   */
  private seenOnce = new Set<string>();
  /** Present exactly when the backend's is (code tells shared databases apart by it). */
  readonly onExternalChange?: (listener: (change: ExternalChange) => void) => () => void;

  constructor(
    private readonly backend: Storage,
    options: DocumentCacheOptions,
  ) {
    this.description = backend.description;
    this.entries = new LRUCache<string, Entry>({
      maxSize: Math.max(1, Math.floor(options.maxBytes)),
      sizeCalculation: (entry) => entry.document.content.length * 2 + ENTRY_OVERHEAD_BYTES,
    });
    // Only to free memory early: correctness never waits for a notification.
    this.unsubscribe = backend.onExternalChange?.((change) => this.forget(change));
    if (backend.onExternalChange) this.onExternalChange = (listener) => backend.onExternalChange!(listener);
  }

  stats(): DocumentCacheStats {
    return { hits: this.hits, revalidated: this.revalidated, misses: this.misses, entries: this.entries.size, bytes: this.entries.calculatedSize };
  }

  async getDocument(key: DocumentKey): Promise<StoredDocument | null> {
    const id = documentId(key);
    const entry = this.entries.get(id);
    const keep = entry !== undefined || this.seenOnce.has(id);
    // Read before the database is asked, so that a write committed meanwhile shows up as a changed
    // token later; not needed for a document that will not be kept (reading it costs a read transaction).
    const token = keep ? (this.backend.documentChangeToken?.() ?? null) : null;
    if (entry !== undefined) {
      if (token !== null && entry.verifiedAt === token) {
        this.hits++;
        return entry.document;
      }
      if (this.backend.documentEtag) {
        const etag = await this.backend.documentEtag(key);
        if (etag === entry.document.etag) {
          entry.verifiedAt = token;
          this.revalidated++;
          return entry.document;
        }
      }
    }
    this.misses++;
    const document = await this.backend.getDocument(key);
    if (keep) {
      this.seenOnce.delete(id);
      this.remember(id, document, token);
    } else {
      if (this.seenOnce.size >= this.seenOnceLimit()) this.seenOnce = new Set();
      this.seenOnce.add(id);
    }
    return document;
  }

  async updateDocument<T>(
    key: DocumentKey,
    mutate: DocumentMutator<T>,
    options?: UpdateOptions,
  ): Promise<UpdateResult<T>> {
    const id = documentId(key);
    const cached = this.entries.peek(id)?.document;
    try {
      const outcome = await this.backend.updateDocument(key, mutate, cached ? { ...options, likelyCurrent: cached } : options);
      this.remember(id, outcome.document, outcome.changeToken ?? null);
      return outcome;
    } catch (e) {
      // The write may have committed before failing (a lost connection after COMMIT, say).
      this.entries.delete(id);
      throw e;
    }
  }

  /** About as many keys as the cache holds documents of the sizes it holds now. */
  private seenOnceLimit(): number {
    const average = this.entries.size > 0 ? this.entries.calculatedSize / this.entries.size : TYPICAL_ENTRY_BYTES;
    return Math.min(SEEN_ONCE_MAX, Math.max(SEEN_ONCE_MIN, Math.floor(this.entries.maxSize / average)));
  }

  private remember(id: string, document: StoredDocument | null, token: number | null): void {
    if (document === null) this.entries.delete(id);
    else this.entries.set(id, { document, verifiedAt: token });
  }

  private forget(change: ExternalChange): void {
    if (change.key === null) this.entries.clear();
    else this.entries.delete(documentId(change.key));
  }

  // --- everything else passes through -------------------------------------------

  documentEtag(key: DocumentKey): Promise<string | null> {
    if (this.backend.documentEtag) return this.backend.documentEtag(key);
    return this.backend.getDocument(key).then((d) => d?.etag ?? null);
  }

  listDocuments(query: DocumentQuery): Promise<DocumentSummary[]> {
    return this.backend.listDocuments(query);
  }

  getUser(id: string): Promise<UserRecord | null> {
    return this.backend.getUser(id);
  }

  putUser(user: UserRecord): Promise<void> {
    return this.backend.putUser(user);
  }

  removeUser(id: string): Promise<boolean> {
    return this.backend.removeUser(id);
  }

  listUsers(): Promise<UserRecord[]> {
    return this.backend.listUsers();
  }

  userSummary(): Promise<UserSummary> {
    return this.backend.userSummary();
  }

  scanDocuments(options?: ScanOptions<DocumentKey>): Promise<StoredDocument[]> {
    if (!this.backend.scanDocuments) throw new Error(`${this.description} cannot scan documents`);
    return this.backend.scanDocuments(options);
  }

  scanUsers(options?: ScanOptions<string>): Promise<UserRecord[]> {
    if (!this.backend.scanUsers) throw new Error(`${this.description} cannot scan users`);
    return this.backend.scanUsers(options);
  }

  async restoreDocument(document: StoredDocument, claims: readonly UniqueClaim[]): Promise<void> {
    if (!this.backend.restoreDocument) throw new Error(`${this.description} cannot restore documents`);
    this.entries.delete(documentId(document.key));
    try {
      await this.backend.restoreDocument(document, claims);
    } finally {
      this.entries.delete(documentId(document.key));
    }
  }

  async close(): Promise<void> {
    this.unsubscribe?.();
    this.entries.clear();
    await this.backend.close();
  }
}
