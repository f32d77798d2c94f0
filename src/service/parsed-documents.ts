/**
 * Parsed trees of the current versions of recently used documents, so that a GET of
 * an element or a write does not parse the whole document again.
 *
 * A tree is filed under its document and entity tag: a tag names one content for
 * ever (tags are never reused), so a tree found under the tag the storage just
 * reported is the tree of exactly that content. Trees are used synchronously by
 * whoever gets them; a write removes its tree from the cache before the edit updates
 * it in place, and files the result under the new tag after the commit.
 */
import { LRUCache } from 'lru-cache';
import { documentId } from '../storage/backend-helpers.js';
import type { DocumentKey } from '../storage/types.js';
import type { XmlDocument } from '../xcap/xml/tree.js';

/** A parsed tree takes about nine times its text's length in memory (measured on resource-lists). */
const TREE_BYTES_PER_CHARACTER = 10;
const ENTRY_OVERHEAD_BYTES = 512;

interface Entry {
  readonly etag: string;
  readonly tree: XmlDocument;
}

export class ParsedDocumentCache {
  private readonly entries: LRUCache<string, Entry>;

  constructor(maxBytes: number) {
    this.entries = new LRUCache<string, Entry>({
      maxSize: Math.max(1, Math.floor(maxBytes)),
      sizeCalculation: (entry) => entry.tree.source.length * TREE_BYTES_PER_CHARACTER + ENTRY_OVERHEAD_BYTES,
    });
  }

  /** The tree of `stored`, parsed by `parse` on a miss and kept. Use it before the next await. */
  read(key: DocumentKey, stored: { readonly content: string; readonly etag: string }, parse: (content: string) => XmlDocument): XmlDocument {
    const id = documentId(key);
    const entry = this.entries.get(id);
    if (entry !== undefined && entry.etag === stored.etag) return entry.tree;
    const tree = parse(stored.content);
    this.entries.set(id, { etag: stored.etag, tree });
    return tree;
  }

  /** Files the tree of a version just committed. */
  put(key: DocumentKey, etag: string, tree: XmlDocument): void {
    this.entries.set(documentId(key), { etag, tree });
  }

  forget(key: DocumentKey): void {
    this.entries.delete(documentId(key));
  }
}
