/**
 * What the client remembers between requests, per document (RFC 4825 §7.11: every
 * resource of a document shares the document's ETag):
 * - the document's latest ETag, from any response about it, for conditional writes;
 * - per fetched URI, the ETag and body it was last fetched with, for conditional GETs:
 *   a 304 then hands back the remembered body. Remembering per URI (not per document)
 *   matters: a 304 for `.../~~/a` must not be taken as the content of `.../~~/b`.
 * Bounded: the least recently used URIs are forgotten first.
 */
export interface CachedResource {
  readonly etag: string;
  readonly body: string;
  readonly contentType: string | null;
}

export class EtagCache {
  readonly #documents = new Map<string, string>();
  readonly #resources = new Map<string, CachedResource & { readonly document: string }>();
  readonly #maxResources: number;
  readonly #maxBodyChars: number;

  /**
   * @param maxResources fetched URIs remembered at once
   * @param maxBodyChars larger bodies are not kept (their ETag still is)
   */
  constructor(options: { maxResources?: number; maxBodyChars?: number } = {}) {
    this.#maxResources = options.maxResources ?? 256;
    this.#maxBodyChars = options.maxBodyChars ?? 8 * 1024 * 1024;
  }

  /** The latest ETag known for a document (keyed by its URI without node selector). */
  documentEtag(document: string): string | undefined {
    return this.#documents.get(document);
  }

  setDocumentEtag(document: string, etag: string): void {
    this.#documents.set(document, etag);
  }

  /** The document is gone (deleted, or a 404): forget it and everything fetched from it. */
  forgetDocument(document: string): void {
    this.#documents.delete(document);
    for (const [uri, r] of this.#resources) if (r.document === document) this.#resources.delete(uri);
  }

  resource(uri: string): CachedResource | undefined {
    const r = this.#resources.get(uri);
    if (r === undefined) return undefined;
    this.#resources.delete(uri);
    this.#resources.set(uri, r);
    return r;
  }

  setResource(uri: string, document: string, value: CachedResource): void {
    this.#resources.delete(uri);
    if (value.body.length > this.#maxBodyChars) return;
    this.#resources.set(uri, { ...value, document });
    while (this.#resources.size > this.#maxResources) {
      const oldest = this.#resources.keys().next().value;
      if (oldest === undefined) break;
      this.#resources.delete(oldest);
    }
  }

  forgetResource(uri: string): void {
    this.#resources.delete(uri);
  }

  clear(): void {
    this.#documents.clear();
    this.#resources.clear();
  }
}
