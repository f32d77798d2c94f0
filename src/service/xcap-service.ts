/**
 * The XCAP resource semantics of RFC 4825 §8, independent of HTTP: given who asks,
 * what URI, which method, body and preconditions, produce the response or the
 * refusal. Every change is one atomic read-modify-write in storage, with the
 * preconditions checked against the version being changed.
 */
import { createHash } from 'node:crypto';
import { LRUCache } from 'lru-cache';
import { AppUsageRegistry } from '../appusages/registry.js';
import { validateDocument, type ChangedPart } from '../appusages/validate-document.js';
import type { AppUsage, Requester } from '../appusages/types.js';
import { authorize } from '../auth/policy.js';
import { InvalidUserIdError, normalizeUserId, toXui } from '../auth/user-id.js';
import {
  ClaimConflictError,
  type DocumentKey,
  type Mutation,
  type Storage,
  type StoredDocument,
  type UniqueClaim,
} from '../storage/types.js';
import {
  ForbiddenError,
  MethodNotAllowedError,
  NotFoundError,
  UnsupportedMediaTypeError,
  XcapConflictError,
} from '../xcap/errors.js';
import {
  adoptEdit,
  decodeUtf8Body,
  deleteNode,
  getNode,
  parseDocumentBody,
  putAttribute,
  putElement,
  XCAP_ATTRIBUTE_MIME,
  XCAP_ELEMENT_MIME,
  type EditResult,
} from '../xcap/operations.js';
import { evaluatePreconditions, type Preconditions } from './preconditions.js';
import type { ParsedDocumentCache } from './parsed-documents.js';
import { documentId } from '../storage/backend-helpers.js';
import { KeyedQueue } from '../storage/keyed-queue.js';
import { defaultUsageHandlers } from '../phonebook/handler.js';
import { parseNodeSelector, type NodeSelector } from '../xcap/selector.js';
import { buildXcapPath, type XcapUri } from '../xcap/uri.js';
import type { XmlDocument, XmlElement, XmlParseLimits } from '../xcap/xml/tree.js';

export type XcapMethod = 'GET' | 'HEAD' | 'PUT' | 'DELETE';

export interface XcapRequest {
  readonly method: XcapMethod;
  readonly uri: XcapUri;
  readonly requester: Requester;
  readonly body?: Uint8Array;
  /** The Content-Type header, as sent (null when absent). */
  readonly contentType?: string | null;
  readonly preconditions?: Preconditions;
  /** The absolute XCAP root URI the client used, e.g. `http://xcap.example.com/xcap-root`. */
  readonly rootUri: string;
  /** Where the request came from, for usages that tell a user's devices apart (the phone book). */
  readonly client?: { readonly address: string; readonly userAgent: string };
}

export interface XcapResponse {
  readonly status: number;
  readonly headers: Record<string, string>;
  readonly body: string | null;
}

/** A change that was committed, for notifiers (xcap-diff, presence servers). */
export interface DocumentChange {
  readonly key: DocumentKey;
  readonly previous: StoredDocument | null;
  readonly current: StoredDocument | null;
  /** The node selector of the changed node, null for a whole-document change. */
  readonly nodeSelector: string | null;
  /** The prefixes the node selector uses, from the request URI's xmlns() query. */
  readonly namespaceBindings?: ReadonlyMap<string, string>;
  readonly requester: Requester;
  /**
   * True when `previous` and `current` carry ETags but not the texts (a change
   * relayed from another worker process): no patch or changed component can be made.
   */
  readonly contentOmitted?: boolean;
}

export interface XcapServiceOptions {
  readonly storage: Storage;
  readonly registry?: AppUsageRegistry;
  readonly limits?: Partial<XmlParseLimits>;
  /** Called after every committed change; must not throw. */
  readonly onChange?: (change: DocumentChange) => void;
  /** Handlers that take over whole application usages, by AUID; by default the phone book's. */
  readonly usageHandlers?: ReadonlyMap<string, UsageRequestHandler>;
  /** Parsed trees of recently used documents; without it every element GET and write parses the document. */
  readonly parsedDocuments?: ParsedDocumentCache;
}

/**
 * Handles every request to one application usage's documents, after the service has
 * resolved and authorized it: for usages whose stored documents are not simply what
 * clients read and write (the phone book merges a shared directory and stale PUTs).
 */
export interface UsageRequestHandler {
  handle(request: XcapRequest, target: { usage: AppUsage; key: DocumentKey; selector: NodeSelector | null }): Promise<XcapResponse>;
}

/**
 * python-xcaplib (and `curl -d`) send this on a whole-document PUT; it says nothing
 * about the body, so it is treated like a missing Content-Type: the AUID decides.
 */
const UNSPECIFIED_CONTENT_TYPES = new Set(['application/x-www-form-urlencoded']);

/** What a write makes of the current version: an edit of it, a whole new document, or its deletion. */
type NextVersion = (current: StoredDocument | null) => Promise<EditResult | { document: XmlDocument; source: string; created: boolean } | 'delete'>;

/** Parsed node selectors kept (a selector is at most a few hundred bytes, its parse a few objects). */
const SELECTOR_CACHE_ENTRIES = 2048;

export class XcapService {
  readonly registry: AppUsageRegistry;
  private readonly storage: Storage;
  private readonly limits: Partial<XmlParseLimits> | undefined;
  private readonly onChange: ((change: DocumentChange) => void) | undefined;
  private readonly usageHandlers: ReadonlyMap<string, UsageRequestHandler>;
  private readonly parsedDocuments: ParsedDocumentCache | null;
  private readonly documentWrites = new KeyedQueue();
  private readonly selectors = new LRUCache<string, NodeSelector>({ max: SELECTOR_CACHE_ENTRIES });

  constructor(options: XcapServiceOptions) {
    this.storage = options.storage;
    this.parsedDocuments = options.parsedDocuments ?? null;
    this.registry = options.registry ?? new AppUsageRegistry();
    this.limits = options.limits;
    this.onChange = options.onChange;
    this.usageHandlers =
      options.usageHandlers ?? defaultUsageHandlers({ storage: this.storage, limits: this.limits, onChange: this.onChange });
  }

  /** `resolved`: what `resolve(request.uri)` gave, when the caller already needed it. */
  async handle(request: XcapRequest, resolved = this.resolve(request.uri)): Promise<XcapResponse> {
    const { usage, key } = resolved;
    const access = request.method === 'GET' || request.method === 'HEAD' ? 'read' : 'write';
    if (!authorize(request.requester, key, access, usage)) {
      throw new ForbiddenError(
        request.requester.userId === null
          ? 'authentication required'
          : `${request.requester.userId} may not ${access} ${key.tree === 'global' ? 'the global tree' : `the documents of ${key.owner}`}`,
      );
    }
    const selector = request.uri.nodeSelector === null ? null : this.parseSelector(request.uri, usage);
    const handler = this.usageHandlers.get(usage.auid);
    if (handler) return handler.handle(request, { usage, key, selector });
    switch (request.method) {
      case 'GET':
      case 'HEAD':
        return this.get(request, usage, key, selector);
      case 'PUT':
        return this.put(request, usage, key, selector);
      case 'DELETE':
        return this.delete(request, usage, key, selector);
    }
  }

  /** The application usage and storage key a URI names (404 for unknown AUIDs and trees). */
  resolve(uri: XcapUri): { usage: AppUsage; key: DocumentKey } {
    const d = uri.document;
    const usage = this.registry.get(d.auid);
    if (!usage) throw new NotFoundError(`no application usage ${d.auid} on this server`);
    if (!usage.trees.includes(d.tree)) throw new NotFoundError(`${d.auid} has no documents in the ${d.tree} tree`);
    let owner = '';
    if (d.tree === 'users') {
      try {
        owner = toXui(normalizeUserId(d.xui ?? ''));
      } catch (e) {
        if (e instanceof InvalidUserIdError) throw new NotFoundError(`'${d.xui}' is not a user identifier (XUI)`);
        throw e;
      }
    }
    return { usage, key: { auid: d.auid, tree: d.tree, owner, path: d.path } };
  }

  /** Parsed once per distinct selector: clients ask for the same few nodes again and again. */
  private parseSelector(uri: XcapUri, usage: AppUsage): NodeSelector {
    const text = uri.nodeSelector!;
    // Unambiguous whatever the selector holds: a namespace name never starts with '['.
    const key =
      uri.namespaceBindings.size === 0
        ? `${usage.defaultNamespace} ${text}`
        : JSON.stringify([usage.defaultNamespace, text, ...uri.namespaceBindings]);
    let selector = this.selectors.get(key);
    if (selector === undefined) {
      selector = parseNodeSelector(text, { defaultNamespace: usage.defaultNamespace, bindings: uri.namespaceBindings });
      this.selectors.set(key, selector);
    }
    return selector;
  }

  // -------------------------------------------------------------------------

  private async readDocument(usage: AppUsage, key: DocumentKey, rootUri: string): Promise<{ content: string; etag: string } | null> {
    const generated = await usage.generate?.(key, { storage: this.storage, registry: this.registry, rootUri });
    if (generated !== undefined && generated !== null) return { content: generated, etag: contentEtag(generated) };
    if (usage.isGenerated?.(key)) return null;
    const stored = await this.storage.getDocument(key);
    return stored && { content: stored.content, etag: stored.etag };
  }

  private async get(request: XcapRequest, usage: AppUsage, key: DocumentKey, selector: NodeSelector | null): Promise<XcapResponse> {
    const document = await this.readDocument(usage, key, request.rootUri);
    if (!document) throw new NotFoundError('no such document');
    let body: string;
    let contentType: string;
    if (selector === null) {
      body = document.content;
      contentType = usage.mimeType;
    } else {
      const node = getNode(this.treeFor(key, document), selector);
      body = node.body;
      contentType = node.contentType;
    }
    const precondition = evaluatePreconditions(request.preconditions, document.etag, 'read');
    const headers = { ETag: quoteEtag(document.etag), 'Cache-Control': 'no-cache' };
    if (precondition === 'not-modified') return { status: 304, headers, body: null };
    return { status: 200, headers: { ...headers, 'Content-Type': contentType }, body };
  }

  private async put(request: XcapRequest, usage: AppUsage, key: DocumentKey, selector: NodeSelector | null): Promise<XcapResponse> {
    if (selector?.terminal?.kind === 'namespace') {
      throw new MethodNotAllowedError('namespace bindings can only be read', ['GET', 'HEAD']);
    }
    if (usage.isGenerated?.(key)) {
      throw new MethodNotAllowedError(`${usage.auid} ${key.path} is maintained by the server`, ['GET', 'HEAD']);
    }
    if (usage.documentNames && !usage.documentNames.includes(key.path)) {
      throw new XcapConflictError(
        'constraint-failure',
        `${usage.auid} keeps only documents named ${usage.documentNames.join(', ')}, not ${key.path}`,
      );
    }
    const kind = selector === null ? 'document' : selector.terminal === null ? 'element' : 'attribute';
    this.checkContentType(request.contentType ?? null, kind, usage);
    const text = decodeUtf8Body(request.body ?? new Uint8Array());
    // A body that is not XML is refused before any lock is taken.
    const wholeDocument = kind === 'document' ? parseDocumentBody(text, this.limits) : null;

    const outcome = await this.update(key, usage, request, selector, async (current) => {
      if (wholeDocument !== null) {
        evaluatePreconditions(request.preconditions, current?.etag ?? null, 'write');
        return { document: wholeDocument, source: text, created: current === null };
      }
      if (selector === null) throw new TypeError('a node PUT without a node selector');
      if (current === null) throw this.noParent(request, key);
      evaluatePreconditions(request.preconditions, current.etag, 'write-node');
      const parsed = this.treeFor(key, current);
      let edit: EditResult;
      try {
        edit = kind === 'element' ? putElement(parsed, selector, text, this.limits) : putAttribute(parsed, selector, text, this.limits);
      } catch (e) {
        throw this.withAncestorUri(e, request, key);
      }
      return this.adopt(key, parsed, edit);
    });
    return {
      status: outcome.created ? 201 : 200,
      headers: { ETag: quoteEtag(outcome.etag ?? "") },
      body: null,
    };
  }

  private async delete(request: XcapRequest, usage: AppUsage, key: DocumentKey, selector: NodeSelector | null): Promise<XcapResponse> {
    if (selector?.terminal?.kind === 'namespace') {
      throw new MethodNotAllowedError('namespace bindings can only be read', ['GET', 'HEAD']);
    }
    if (usage.isGenerated?.(key)) {
      throw new MethodNotAllowedError(`${usage.auid} ${key.path} is maintained by the server`, ['GET', 'HEAD']);
    }
    const outcome = await this.update(key, usage, request, selector, async (current) => {
      if (current === null) throw new NotFoundError('no such document');
      if (selector === null) {
        evaluatePreconditions(request.preconditions, current.etag, 'write');
        return 'delete';
      }
      // A node that is not there is a 404 whatever the preconditions (RFC 9110 §13.2.1).
      const parsed = this.treeFor(key, current);
      const result = deleteNode(parsed, selector, this.limits);
      evaluatePreconditions(request.preconditions, current.etag, 'write');
      return this.adopt(key, parsed, result);
    });
    return {
      status: 200,
      headers: outcome.etag === null ? {} : { ETag: quoteEtag(outcome.etag) },
      body: null,
    };
  }

  // -------------------------------------------------------------------------

  /**
   * One atomic change: compute the new version from the current one, validate it
   * (schema, then the usage's constraints, RFC 4825 §8.2.5), and write it with the
   * server-wide values it claims.
   */
  private async update(
    key: DocumentKey,
    usage: AppUsage,
    request: XcapRequest,
    selector: NodeSelector | null,
    compute: NextVersion,
  ): Promise<{ created: boolean; etag: string | null }> {
    // One write of a document at a time, from reading it to filing its new tree: the next one then finds that tree.
    return this.documentWrites.run(documentId(key), () => this.updateNow(key, usage, request, selector, compute));
  }

  private async updateNow(
    key: DocumentKey,
    usage: AppUsage,
    request: XcapRequest,
    selector: NodeSelector | null,
    compute: NextVersion,
  ): Promise<{ created: boolean; etag: string | null }> {
    let created = false;
    let written: XmlDocument | null = null;
    try {
      const result = await this.storage.updateDocument(key, async (current) => {
        written = null;
        const edit = await compute(current);
        if (edit === 'delete') return { mutation: { kind: 'delete' } as Mutation, result: null };
        created = edit.created;
        // The stored version passed these checks when it was written; a node write is checked where it changed it.
        const changed = selector === null || !('changedElement' in edit) ? undefined : changedPart(selector, request.method, edit.changedElement);
        const claims = validateDocument(usage, edit.document, key, changed);
        if (this.parsedDocuments) written = edit.document;
        return { mutation: { kind: 'put', content: edit.source, claims } as Mutation, result: null };
      });
      const committed = result.document;
      if (committed !== null && written !== null && (written as XmlDocument).source === committed.content) {
        this.parsedDocuments?.put(key, committed.etag, written);
      } else {
        this.parsedDocuments?.forget(key);
      }
      if (result.changed) {
        this.onChange?.({
          key,
          previous: result.previous,
          current: result.document,
          nodeSelector: request.uri.nodeSelector,
          namespaceBindings: request.uri.namespaceBindings,
          requester: request.requester,
        });
      }
      return { created, etag: result.document?.etag ?? null };
    } catch (e) {
      this.parsedDocuments?.forget(key);
      if (e instanceof ClaimConflictError) throw this.claimConflict(usage, e.claim);
      throw e;
    }
  }

  private claimConflict(usage: AppUsage, claim: UniqueClaim): XcapConflictError {
    const described = usage.describeClaimConflict?.(claim) ?? { field: claim.scope, altValues: [] };
    return new XcapConflictError('uniqueness-failure', `${claim.value} is already used on this server`, {
      exists: [{ field: described.field, altValues: described.altValues }],
    });
  }

  private checkContentType(contentType: string | null, kind: 'document' | 'element' | 'attribute', usage: AppUsage): void {
    const type = contentType === null ? null : contentType.split(';')[0]!.trim().toLowerCase();
    if (kind === 'element') {
      if (type !== XCAP_ELEMENT_MIME) throw new UnsupportedMediaTypeError(`an element PUT needs Content-Type: ${XCAP_ELEMENT_MIME}`);
      return;
    }
    if (kind === 'attribute') {
      if (type !== XCAP_ATTRIBUTE_MIME) throw new UnsupportedMediaTypeError(`an attribute PUT needs Content-Type: ${XCAP_ATTRIBUTE_MIME}`);
      return;
    }
    if (type === null || type === '' || UNSPECIFIED_CONTENT_TYPES.has(type)) return;
    if (type !== usage.mimeType) {
      throw new UnsupportedMediaTypeError(`a ${usage.auid} document needs Content-Type: ${usage.mimeType}, not ${type}`);
    }
  }

  /**
   * The tree of the edited version, made by updating `parsed` — the cached tree of the
   * version edited — in place; it leaves the cache first, so that no reader meets it
   * half changed (the new tree is filed under the new ETag once committed).
   */
  private adopt(key: DocumentKey, parsed: XmlDocument, edit: EditResult): EditResult {
    this.parsedDocuments?.forget(key);
    adoptEdit(parsed, edit);
    return edit;
  }

  /** The parsed tree of a stored (or generated) version; use it before the next await. */
  private treeFor(key: DocumentKey, version: { readonly content: string; readonly etag: string }): XmlDocument {
    return this.parsedDocuments ? this.parsedDocuments.read(key, version, parseDocumentBody) : parseDocumentBody(version.content);
  }

  private noParent(request: XcapRequest, key: DocumentKey): XcapConflictError {
    const home = buildXcapPath({
      document: { auid: key.auid, tree: key.tree, xui: key.tree === 'users' ? request.uri.document.xui : null, path: 'x' },
    }).replace(/x$/, '');
    return new XcapConflictError('no-parent', 'the document does not exist', { ancestor: `${request.rootUri}/${home}` });
  }

  /** Completes a core `no-parent` (which knows only the selector) with the absolute ancestor URI. */
  private withAncestorUri(e: unknown, request: XcapRequest, key: DocumentKey): unknown {
    if (!(e instanceof XcapConflictError) || e.conflict !== 'no-parent' || e.ancestor !== null) return e;
    const d = request.uri.document;
    const path = buildXcapPath({
      document: { auid: d.auid, tree: d.tree, xui: d.xui, path: key.path },
      nodeSelector: e.ancestorSelector || null,
      namespaceBindings: e.ancestorSelector ? request.uri.namespaceBindings : undefined,
    });
    return e.withAncestor(`${request.rootUri}/${path}`);
  }
}

/** What a node PUT or DELETE changed, for validating just that (undefined: validate it all). */
function changedPart(selector: NodeSelector, method: XcapMethod, changedElement: XmlElement): ChangedPart | undefined {
  const terminal = selector.terminal;
  if (terminal?.kind === 'namespace') return undefined;
  if (terminal?.kind === 'attribute') {
    return { kind: 'attribute', element: changedElement, attribute: { namespace: terminal.name.namespace, localName: terminal.name.localName } };
  }
  return method === 'PUT' ? { kind: 'element', element: changedElement } : { kind: 'children', parent: changedElement };
}

export function quoteEtag(etag: string): string {
  return `"${etag}"`;
}

/** A strong validator for a generated document: the same bytes, the same tag. */
function contentEtag(content: string): string {
  return createHash('sha256').update(content).digest('base64url').slice(0, 22);
}

