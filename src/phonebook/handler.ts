/**
 * The XCAP handling of phone books (com.counterpath.tbook), for Snom deskphones and
 * Bria. RFC 4825 everywhere, with three differences the phones need:
 *
 * 1. What a user reads is their personal book with the shared company directory
 *    (`global/<same document name>`) merged in; what they write is split again and
 *    only the personal part is stored (see compose.ts). Its entity tag names both
 *    versions: `<personal>~<shared>`. Without a shared directory the stored
 *    document is served byte for byte under its own tag.
 * 2. A whole-document PUT from a copy older than the current version is merged,
 *    not refused or blindly stored (see merge.ts). The base is the version the
 *    If-Match names, or else the version this device was last given (phones PUT
 *    without If-Match); with neither, nothing is deleted. When the merged result
 *    is not what the client sent, the ETag answered names the client's copy, so
 *    its next conditional GET fetches the merged document instead of a 304.
 * 3. Any XML-ish Content-Type is accepted on a document PUT, and Latin-1 bodies are
 *    transcoded. Unusual values the phone wrote are reported in `X-Xcapd-Warning`.
 *
 * Element and attribute operations work on the composed document and keep RFC 4825's
 * strict preconditions; the global tree (the shared directory itself, written by
 * administrators) is plain XCAP.
 */
import { createHash } from 'node:crypto';
import { phonebook, PHONEBOOK_DOCUMENT_TYPES, reviewPhonebook } from '../appusages/usages/phonebook.js';
import { validateDocument } from '../appusages/validate-document.js';
import type { AppUsage } from '../appusages/types.js';
import { evaluatePreconditions, parseEntityTags, type Preconditions } from '../service/preconditions.js';
import type { DocumentChange, UsageRequestHandler, XcapRequest, XcapResponse } from '../service/xcap-service.js';
import type { DocumentKey, Mutation, Storage, StoredDocument } from '../storage/types.js';
import {
  MethodNotAllowedError,
  NotFoundError,
  PreconditionFailedError,
  UnsupportedMediaTypeError,
  XcapConflictError,
} from '../xcap/errors.js';
import {
  decodeUtf8Body,
  deleteNode,
  getNode,
  parseDocumentBody,
  putAttribute,
  putElement,
  XCAP_ATTRIBUTE_MIME,
  XCAP_ELEMENT_MIME,
} from '../xcap/operations.js';
import type { NodeSelector } from '../xcap/selector.js';
import { buildXcapPath } from '../xcap/uri.js';
import type { XmlDocument, XmlParseLimits } from '../xcap/xml/tree.js';
import { decodePhonebookBody } from './body.js';
import { composePhonebook, hasEntries, personalPart } from './compose.js';
import { DeviceCopies, deviceIdOf, type DeviceCopy } from './device-copies.js';
import { mergePhonebooks, summarizeMerge } from './merge.js';
import {
  canonicalEntry,
  EMPTY_PHONEBOOK,
  phonebookFromDocument,
  samePhonebook,
  serializePhonebook,
  type PhonebookListInfo,
  type PhonebookModel,
} from './model.js';

export interface PhonebookHandlerOptions {
  readonly storage: Storage;
  readonly limits?: Partial<XmlParseLimits> | undefined;
  readonly onChange?: ((change: DocumentChange) => void) | undefined;
}

/** The handlers XcapService uses unless told otherwise: the phone book's. */
export function defaultUsageHandlers(options: PhonebookHandlerOptions): ReadonlyMap<string, UsageRequestHandler> {
  return new Map([[phonebook.auid, new PhonebookHandler(options)]]);
}

/** A user's document as clients see it. */
interface View {
  readonly personalDoc: StoredDocument | null;
  readonly sharedDoc: StoredDocument | null;
  /** Parsed on first use: a periodic GET answered 304 never needs it. */
  readonly personal: PhonebookModel;
  /** The shared directory when it has entries, else null. */
  readonly shared: PhonebookModel | null;
  /** Null when there is nothing to read. */
  readonly content: string | null;
  readonly etag: string | null;
}

export const MERGE_HEADER = 'X-Xcapd-Merge';
export const WARNING_HEADER = 'X-Xcapd-Warning';

function quote(etag: string): string {
  return `"${etag}"`;
}

function sharedKeyOf(key: DocumentKey): DocumentKey {
  return { auid: key.auid, tree: 'global', owner: '', path: key.path };
}

/** The tag a client's own copy is answered with after a merge produced something else. */
function copyEtag(model: PhonebookModel): string {
  const digest = createHash('sha256');
  for (const e of model.entries.map((x) => canonicalEntry(x)).sort()) digest.update(e).update('\n');
  return `c.${digest.digest('base64url').slice(0, 22)}`;
}

/** Lists of the incoming document first, then those only the server had. */
function unionLists(first: readonly PhonebookListInfo[], second: readonly PhonebookListInfo[]): PhonebookListInfo[] {
  return [...first, ...second.filter((l) => !first.some((f) => f.name === l.name))];
}

export class PhonebookHandler implements UsageRequestHandler {
  private readonly storage: Storage;
  private readonly limits: Partial<XmlParseLimits> | undefined;
  private readonly onChange: ((change: DocumentChange) => void) | undefined;
  private readonly copies: DeviceCopies;
  private sharedCache: { etag: string; model: PhonebookModel } | null = null;

  constructor(options: PhonebookHandlerOptions) {
    this.storage = options.storage;
    this.limits = options.limits;
    this.onChange = options.onChange;
    this.copies = new DeviceCopies(options.storage);
  }

  async handle(request: XcapRequest, target: { usage: AppUsage; key: DocumentKey; selector: NodeSelector | null }): Promise<XcapResponse> {
    const { usage, key, selector } = target;
    if (selector?.terminal?.kind === 'namespace' && request.method !== 'GET' && request.method !== 'HEAD') {
      throw new MethodNotAllowedError('namespace bindings can only be read', ['GET', 'HEAD']);
    }
    switch (request.method) {
      case 'GET':
      case 'HEAD':
        return this.get(request, key, selector);
      case 'PUT':
        if (selector === null && key.tree === 'users') return this.putDocument(request, usage, key);
        return this.edit(request, usage, key, selector);
      case 'DELETE':
        return this.edit(request, usage, key, selector);
    }
  }

  // -------------------------------------------------------------------------
  // Reading

  private parseModel(content: string): PhonebookModel {
    return phonebookFromDocument(parseDocumentBody(content));
  }

  private sharedModel(doc: StoredDocument | null): PhonebookModel | null {
    if (doc === null) return null;
    if (this.sharedCache?.etag !== doc.etag) this.sharedCache = { etag: doc.etag, model: this.parseModel(doc.content) };
    return hasEntries(this.sharedCache.model) ? this.sharedCache.model : null;
  }

  private viewOf(key: DocumentKey, personalDoc: StoredDocument | null, sharedDoc: StoredDocument | null): View {
    let parsed: PhonebookModel | null = null;
    const parsePersonal = () => (parsed ??= personalDoc === null ? EMPTY_PHONEBOOK : this.parseModel(personalDoc.content));
    const shared = key.tree === 'users' ? this.sharedModel(sharedDoc) : null;
    if (shared === null) {
      return {
        personalDoc,
        sharedDoc,
        get personal() {
          return parsePersonal();
        },
        shared,
        content: personalDoc?.content ?? null,
        etag: personalDoc?.etag ?? null,
      };
    }
    const personal = parsePersonal();
    return {
      personalDoc,
      sharedDoc,
      personal,
      shared,
      content: serializePhonebook(composePhonebook(personal, shared)),
      etag: `${personalDoc?.etag ?? ''}~${sharedDoc!.etag}`,
    };
  }

  private async readView(key: DocumentKey, read: (k: DocumentKey) => Promise<StoredDocument | null>): Promise<View> {
    const personalDoc = await read(key);
    const sharedDoc = key.tree === 'users' ? await read(sharedKeyOf(key)) : null;
    return this.viewOf(key, personalDoc, sharedDoc);
  }

  private async get(request: XcapRequest, key: DocumentKey, selector: NodeSelector | null): Promise<XcapResponse> {
    const view = await this.readView(key, (k) => this.storage.getDocument(k));
    if (view.content === null || view.etag === null) throw new NotFoundError('no such document');
    let body = view.content;
    let contentType = phonebook.mimeType;
    if (selector !== null) {
      const node = getNode(parseDocumentBody(view.content), selector);
      body = node.body;
      contentType = node.contentType;
    }
    const precondition = evaluatePreconditions(request.preconditions, view.etag, 'read');
    if (selector === null && request.method === 'GET' && key.tree === 'users') await this.rememberCopy(request, key, view);
    const headers = { ETag: quote(view.etag), 'Cache-Control': 'no-cache' };
    if (precondition === 'not-modified') return { status: 304, headers, body: null };
    return { status: 200, headers: { ...headers, 'Content-Type': contentType }, body };
  }

  /** Records what a device was served; reads the record first, so a 304 usually writes and parses nothing. */
  private async rememberCopy(request: XcapRequest, key: DocumentKey, view: View): Promise<void> {
    const device = deviceIdOf(request.requester.userId, request.client);
    if ((await this.copies.etagOf(key, device)) !== view.etag) await this.copies.remember(key, device, { etag: view.etag!, personal: view.personal, shared: view.shared });
  }

  // -------------------------------------------------------------------------
  // Writing

  private validate(usage: AppUsage, document: XmlDocument, key: DocumentKey): string[] {
    validateDocument(usage, document, key);
    return reviewPhonebook(document);
  }

  private checkDocumentType(contentType: string | null | undefined): void {
    const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
    if (type !== '' && !PHONEBOOK_DOCUMENT_TYPES.has(type)) {
      throw new UnsupportedMediaTypeError(`a phone book needs an XML Content-Type (application/resource-lists+xml, application/xml, text/xml), not ${type}`);
    }
  }

  private notify(request: XcapRequest, key: DocumentKey, previous: StoredDocument | null, current: StoredDocument | null, changed: boolean): void {
    if (changed) this.onChange?.({ key, previous, current, nodeSelector: request.uri.nodeSelector, requester: request.requester });
  }

  /** A whole-document PUT to a user's phone book: split off the shared part, merge if stale, store. */
  private async putDocument(request: XcapRequest, usage: AppUsage, key: DocumentKey): Promise<XcapResponse> {
    this.checkDocumentType(request.contentType);
    const decoded = decodePhonebookBody(request.body ?? new Uint8Array());
    const text = decoded.text;
    const incomingDoc = parseDocumentBody(text, this.limits);
    const notes = this.validate(usage, incomingDoc, key);
    if (decoded.note !== null) notes.unshift(decoded.note);
    const incoming = phonebookFromDocument(incomingDoc);

    const preconditions: Preconditions = request.preconditions ?? { ifMatch: null, ifNoneMatch: null };
    const ifMatch = preconditions.ifMatch === null ? null : parseEntityTags(preconditions.ifMatch);
    const device = deviceIdOf(request.requester.userId, request.client);
    const deviceCopy = await this.copies.get(key, device);
    const namedCopies: DeviceCopy[] = [];
    if (Array.isArray(ifMatch)) {
      for (const tag of ifMatch) {
        const copy = tag.opaque === deviceCopy?.etag ? deviceCopy : await this.copies.findByEtag(key, tag.opaque);
        if (copy) namedCopies.push(copy);
      }
    }

    let outcome!: {
      created: boolean;
      merged: string | null;
      stored: PhonebookModel;
      incomingPersonal: PhonebookModel;
      shared: PhonebookModel | null;
      sharedEtag: string | null;
    };
    const result = await this.storage.updateDocument(key, async (current, tx) => {
      const view = this.viewOf(key, current, await tx.get(sharedKeyOf(key)));
      evaluatePreconditions({ ifMatch: null, ifNoneMatch: preconditions.ifNoneMatch }, view.etag, 'write');
      // The base: 'current' (the client saw this version), a device copy, or null (unknown).
      let base: DeviceCopy | 'current' | null;
      if (ifMatch !== null) {
        if (view.etag === null) throw new PreconditionFailedError('precondition failed: If-Match was given but the document does not exist');
        if (ifMatch === '*' || ifMatch.some((t) => !t.weak && t.opaque === view.etag)) base = 'current';
        else base = namedCopies[0] ?? null;
      } else if (current === null || deviceCopy?.etag === view.etag) {
        // No personal book (never written, or deleted): the PUT creates it as sent.
        base = 'current';
      } else {
        base = deviceCopy;
      }
      // Directory entries as the client may hold them: as they are now, or as it was last given them.
      const sharedSeen = [view.shared, deviceCopy?.shared ?? null, ...namedCopies.map((c) => c.shared)];
      const incomingPersonal = personalPart(incoming, sharedSeen);
      const nothingSplitOff = incomingPersonal.entries.length === incoming.entries.length;
      let stored: PhonebookModel;
      let content: string;
      let merged: string | null = null;
      if (base === 'current') {
        stored = incomingPersonal;
        // Nothing was split off: keep the client's bytes, as XCAP does.
        content = nothingSplitOff ? text : serializePhonebook(stored);
      } else {
        const merge = mergePhonebooks(base === null ? null : base.personal.entries, view.personal.entries, incomingPersonal.entries);
        merged = `${base === null ? 'base unknown, nothing deleted' : 'stale copy'}: ${summarizeMerge(merge.report)}`;
        stored = { lists: unionLists(incomingPersonal.lists, view.personal.lists), entries: merge.entries };
        content = nothingSplitOff && samePhonebook(stored, incoming) ? text : serializePhonebook(stored);
      }
      let mutation: Mutation = { kind: 'put', content };
      if (current !== null && (current.content === content || (merged !== null && samePhonebook(stored, view.personal)))) {
        mutation = { kind: 'none' };
      } else if (content !== text) {
        this.validate(usage, parseDocumentBody(content), key);
      }
      outcome = {
        created: view.etag === null,
        merged,
        stored,
        incomingPersonal,
        shared: view.shared,
        sharedEtag: view.shared === null ? null : view.sharedDoc!.etag,
      };
      return { mutation, result: null };
    });
    this.notify(request, key, result.previous, result.document, result.changed);

    const personalEtag = result.document?.etag ?? '';
    const newEtag = outcome.sharedEtag === null ? personalEtag : `${personalEtag}~${outcome.sharedEtag}`;
    const served = composePhonebook(outcome.stored, outcome.shared);
    let answered: DeviceCopy;
    if (samePhonebook(served, incoming)) {
      answered = { etag: newEtag, personal: outcome.stored, shared: outcome.shared };
    } else {
      // The client holds its own copy, not the result: give it a tag of its own.
      const personal = new Set(outcome.incomingPersonal.entries);
      const sharedPart = { lists: incoming.lists, entries: incoming.entries.filter((e) => !personal.has(e)) };
      answered = { etag: copyEtag(incoming), personal: outcome.incomingPersonal, shared: hasEntries(sharedPart) ? sharedPart : null };
    }
    await this.copies.remember(key, device, answered);
    const headers: Record<string, string> = { ETag: quote(answered.etag) };
    if (outcome.merged !== null) headers[MERGE_HEADER] = outcome.merged;
    if (notes.length > 0) headers[WARNING_HEADER] = notes.join('; ');
    return { status: outcome.created ? 201 : 200, headers, body: null };
  }

  /**
   * Element and attribute PUTs, DELETEs, and everything in the global tree: RFC 4825
   * on the document as the client sees it, the result split and stored.
   */
  private async edit(request: XcapRequest, usage: AppUsage, key: DocumentKey, selector: NodeSelector | null): Promise<XcapResponse> {
    const isPut = request.method === 'PUT';
    const kind = selector === null ? 'document' : selector.terminal === null ? 'element' : 'attribute';
    let text = '';
    let notes: string[] = [];
    if (isPut) {
      if (kind === 'document') {
        this.checkDocumentType(request.contentType);
        const decoded = decodePhonebookBody(request.body ?? new Uint8Array());
        text = decoded.text;
        if (decoded.note !== null) notes.push(decoded.note);
        parseDocumentBody(text, this.limits);
      } else {
        const type = (request.contentType ?? '').split(';')[0]!.trim().toLowerCase();
        const wanted = kind === 'element' ? XCAP_ELEMENT_MIME : XCAP_ATTRIBUTE_MIME;
        if (type !== wanted) throw new UnsupportedMediaTypeError(`an ${kind} PUT needs Content-Type: ${wanted}`);
        text = decodeUtf8Body(request.body ?? new Uint8Array());
      }
    }
    let created = false;
    let existed = false;
    let sharedEtag: string | null = null;
    const result = await this.storage.updateDocument(key, async (current, tx) => {
      const view = this.viewOf(key, current, key.tree === 'users' ? await tx.get(sharedKeyOf(key)) : null);
      existed = view.etag !== null;
      sharedEtag = view.shared === null ? null : view.sharedDoc!.etag;
      if (selector === null && !isPut) {
        if (current === null) throw new NotFoundError('no such document');
        evaluatePreconditions(request.preconditions, view.etag, 'write');
        return { mutation: { kind: 'delete' } as Mutation, result: null };
      }
      let edited: { source: string; document: XmlDocument; created: boolean };
      if (selector === null) {
        evaluatePreconditions(request.preconditions, view.etag, 'write');
        edited = { source: text, document: parseDocumentBody(text, this.limits), created: view.etag === null };
      } else {
        if (view.content === null || view.etag === null) {
          if (isPut) throw this.noParent(request, key);
          throw new NotFoundError('no such document');
        }
        const parsed = parseDocumentBody(view.content);
        try {
          if (isPut) {
            evaluatePreconditions(request.preconditions, view.etag, 'write-node');
            edited = kind === 'element' ? putElement(parsed, selector, text, this.limits) : putAttribute(parsed, selector, text, this.limits);
          } else {
            edited = deleteNode(parsed, selector, this.limits);
            evaluatePreconditions(request.preconditions, view.etag, 'write');
          }
        } catch (e) {
          throw this.withAncestor(e, request, key);
        }
      }
      created = edited.created;
      notes = [...notes, ...this.validate(usage, edited.document, key)];
      let content = edited.source;
      if (view.shared !== null) {
        content = serializePhonebook(personalPart(phonebookFromDocument(edited.document), [view.shared]));
        this.validate(usage, parseDocumentBody(content), key);
      }
      const mutation: Mutation = current?.content === content ? { kind: 'none' } : { kind: 'put', content };
      return { mutation, result: null };
    });
    this.notify(request, key, result.previous, result.document, result.changed);
    const headers: Record<string, string> = {};
    if (result.document !== null) headers.ETag = quote(sharedEtag === null ? result.document.etag : `${result.document.etag}~${sharedEtag}`);
    if (notes.length > 0) headers[WARNING_HEADER] = notes.join('; ');
    const status = isPut && (selector === null ? !existed : created) ? 201 : 200;
    return { status, headers, body: null };
  }

  /** An element PUT into a document that does not exist: the closest ancestor is the user's directory. */
  private noParent(request: XcapRequest, key: DocumentKey): XcapConflictError {
    const home = buildXcapPath({ document: { auid: key.auid, tree: key.tree, xui: request.uri.document.xui, path: 'x' } }).replace(/x$/, '');
    return new XcapConflictError('no-parent', 'the document does not exist', { ancestor: `${request.rootUri}/${home}` });
  }

  private withAncestor(e: unknown, request: XcapRequest, key: DocumentKey): unknown {
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
