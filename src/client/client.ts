/**
 * The XCAP client: documents, elements, attributes and namespace bindings of one
 * user's (or another user's, or the global) documents on any RFC 4825 server.
 *
 * Semantics worth knowing:
 * - put* is XCAP's create-or-replace. insert* creates only, replace* replaces only.
 *   For documents they are one conditional PUT (`If-None-Match: *` / `If-Match`).
 *   For elements and attributes HTTP offers no such condition (RFC 4825 §8.2.6: an
 *   element PUT with `If-None-Match: *` always fails), so the client fetches the
 *   document, checks locally whether the selector selects something, and PUTs with
 *   `If-Match: <the ETag of the version it checked>`: if anyone changed the document
 *   in between, the server answers 412 and the client checks again (3 tries).
 * - ETags are tracked per document (`etag: 'auto'`, the default): a GET of a URI
 *   fetched before sends If-None-Match and a 304 comes back as
 *   `{ notModified: true }` with the remembered body; writes send If-Match with the
 *   document's latest ETag once one is known, so a change made by someone else since
 *   is refused (412) rather than overwritten. `etag: 'none'` turns both off for a
 *   call; an explicit ETag string makes it `If-Match: <etag>`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { DigestAlgorithm } from '../auth/digest-hash.js';
import { InvalidUserIdError, normalizeUserId, toXui, userPart } from '../auth/user-id.js';
import { XCAP_ATTRIBUTE_MIME, XCAP_ELEMENT_MIME } from '../xcap/operations.js';
import { findAttribute, selectElements } from '../xcap/select.js';
import { buildXcapPath, type DocumentSelector, type Tree } from '../xcap/uri.js';
import { parseXmlDocument } from '../xcap/xml/parser.js';
import type { XmlDocument } from '../xcap/xml/tree.js';
import { ApplicationTable, type ApplicationDefinition, type ApplicationInfo } from './applications.js';
import { attributeBody, attributeValueOf, type AttributeStyle } from './att-value.js';
import { RequestSigner, type AuthMode, type SignedHeaders } from './auth.js';
import { CapabilitiesFormatError, parseXcapCaps, parseXcapDirectory, type DirectoryFolder, type XcapCapabilities } from './capabilities.js';
import {
  AlreadyExistsError,
  ClientConfigError,
  NotFoundError,
  PreconditionFailedError,
  ProtocolError,
  UnauthorizedError,
  UsageError,
  errorForResponse,
  type ErrorContext,
} from './errors.js';
import { EtagCache } from './etag-cache.js';
import { NodeSelectorBuilder, parseSelectorText, resolveSelector, type ResolvedSelector, type SelectorInput, type SelectorKind } from './selector-builder.js';
import { HttpTransport, type HttpExchange, type HttpResponse, type TlsOptions } from './transport.js';
import { parseXcapRoot, XcapRootError, type XcapRoot } from './xcap-root.js';

export const CLIENT_USER_AGENT = 'xcapd-client/0.1';
const CHECKED_WRITE_ATTEMPTS = 3;

export interface XcapClientOptions {
  /** e.g. `https://xcap.example.com/xcap-root` */
  readonly xcapRoot: string;
  /** `sip:alice@example.com`, `alice@example.com` or `tel:+15551234`. */
  readonly user: string;
  readonly password?: string;
  /** Default: `auto` with a password, `none` without. */
  readonly auth?: AuthMode;
  /** The name to authenticate as; default the user part (`alice`), as OpenXCAP, Kamailio and xcapd expect. */
  readonly authUsername?: string;
  /** Sent on every request, e.g. `{ name: 'X-3GPP-Intended-Identity', value: '"sip:alice@example.com"' }`. */
  readonly identityHeader?: { readonly name: string; readonly value: string };
  readonly tls?: TlsOptions;
  /** Bound on each HTTP exchange; default 30 s. */
  readonly timeoutMs?: number;
  /** Extra or overriding application usages by AUID. */
  readonly applications?: Readonly<Record<string, ApplicationDefinition>>;
  /** false: no ETag tracking at all; or a cache shared between clients. */
  readonly etagCache?: boolean | EtagCache;
  /** How attribute values are written: RFC 4825's quoted AttValue (default) or bare, as OpenXCAP's own tests do. */
  readonly attributeStyle?: AttributeStyle;
  /** Digest algorithms in order of preference; default SHA-256-sess, SHA-256, MD5-sess, MD5. */
  readonly digestPreference?: readonly DigestAlgorithm[];
  /** Headers sent on every request (after the client's own, before per-call ones). */
  readonly headers?: Readonly<Record<string, string>>;
  readonly keepAlive?: boolean;
  /** Called once per HTTP exchange (retries and auth round trips included). */
  readonly onExchange?: (exchange: HttpExchange) => void;
}

export interface OperationOptions {
  /** Document name (path below the user's or global directory); default the application's (`index`, `pres-rules`, ...). */
  readonly document?: string;
  readonly tree?: Tree;
  /** Another user's documents (third-party XUI); default the client's user. */
  readonly xui?: string;
  /** 'auto' (default): tracked ETags; 'none': unconditional; a value: `If-Match: <value>`. */
  readonly etag?: 'auto' | 'none' | (string & {});
  /** `If-None-Match: *` or an ETag. */
  readonly ifNoneMatch?: string;
  /** Extra request headers; they override the client's. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Prefix → namespace for prefixes used in a text selector. */
  readonly namespaces?: Readonly<Record<string, string>>;
}

export interface GetOptions extends OperationOptions {
  /** 'result' (default): a 304 is a `{ notModified: true }` result; 'error': a NotModifiedError. */
  readonly notModified?: 'result' | 'error';
}

export interface PutDocumentOptions extends OperationOptions {
  /** Default the application's MIME type. */
  readonly contentType?: string;
}

export interface ResponseInfo {
  readonly status: number;
  readonly statusText: string;
  readonly url: string;
  /** The document's ETag after the operation (null when the server sent none). */
  readonly etag: string | null;
  readonly headers: IncomingHttpHeaders;
}

export interface FetchedResource extends ResponseInfo {
  readonly notModified: false;
  readonly contentType: string | null;
  readonly body: string;
}

export interface NotModifiedResource extends ResponseInfo {
  readonly notModified: true;
  readonly etag: string;
  /** What this URI held when last fetched, if remembered. */
  readonly body: string | null;
  readonly contentType: string | null;
}

export type GetResult = FetchedResource | NotModifiedResource;

export type AttributeResult = (FetchedResource & { readonly value: string }) | (NotModifiedResource & { readonly value: string | null });

export type NamespaceBindingsResult = GetResult & {
  /** Prefix → namespace in scope at the element ('' for the default namespace); null for a 304 without remembered body. */
  readonly bindings: ReadonlyMap<string, string> | null;
};

export interface WriteResult extends ResponseInfo {
  /** 201: the document, element or attribute did not exist before. */
  readonly created: boolean;
}

export interface CapabilitiesResult extends XcapCapabilities {
  readonly etag: string | null;
}

export interface DirectoryResult {
  readonly folders: readonly DirectoryFolder[];
  readonly etag: string | null;
}

interface Target {
  readonly app: ApplicationInfo;
  readonly document: DocumentSelector;
  /** Request target of the document alone: the ETag cache key. */
  readonly documentTarget: string;
  /** Full request target (with node selector and query). */
  readonly target: string;
  readonly url: string;
  readonly selector: ResolvedSelector | null;
}

interface Conditions {
  readonly ifMatch?: string;
  readonly ifNoneMatch?: string;
}

export class XcapClient {
  readonly root: XcapRoot;
  /** The normalized user id (`alice@example.com`). */
  readonly user: string;
  /** The user's XUI (`sip:alice@example.com`). */
  readonly xui: string;
  readonly applications: ApplicationTable;
  readonly etags: EtagCache | null;
  readonly #transport: HttpTransport;
  readonly #signer: RequestSigner;
  readonly #options: XcapClientOptions;

  constructor(options: XcapClientOptions) {
    this.#options = options;
    try {
      this.root = parseXcapRoot(options.xcapRoot);
    } catch (e) {
      if (e instanceof XcapRootError) throw new ClientConfigError(e.message);
      throw e;
    }
    try {
      this.user = normalizeUserId(options.user);
      this.xui = toXui(options.user);
    } catch (e) {
      if (e instanceof InvalidUserIdError) throw new ClientConfigError(`${e.message} (expected sip:user@domain, user@domain or tel:+number)`);
      throw e;
    }
    if (options.timeoutMs !== undefined && !(options.timeoutMs > 0)) throw new ClientConfigError('timeoutMs must be a positive number');
    this.applications = new ApplicationTable(options.applications);
    this.etags = options.etagCache === false ? null : options.etagCache instanceof EtagCache ? options.etagCache : new EtagCache();
    const password = options.password;
    this.#signer = new RequestSigner({
      mode: options.auth ?? (password === undefined ? 'none' : 'auto'),
      username: options.authUsername ?? userPart(this.user),
      ...(password === undefined ? {} : { password }),
      ...(options.digestPreference ? { digestPreference: options.digestPreference } : {}),
      ...(options.identityHeader ? { identityHeader: options.identityHeader } : {}),
    });
    this.#transport = new HttpTransport({
      root: this.root,
      timeoutMs: options.timeoutMs ?? 30_000,
      ...(options.tls ? { tls: options.tls } : {}),
      ...(options.keepAlive === undefined ? {} : { keepAlive: options.keepAlive }),
      ...(options.onExchange ? { onExchange: options.onExchange } : {}),
    });
  }

  /** The scheme authentication settled on (`Digest MD5 realm="example.com"`), once a challenge was answered. */
  get authScheme(): string | null {
    return this.#signer.scheme;
  }

  /** The absolute URL an operation would use. */
  url(auid: string, selector?: SelectorInput | ResolvedSelector | null, options: OperationOptions = {}): string {
    return this.#target(auid, selector ?? null, options, 'GET').url;
  }

  /** Closes kept-alive connections; the client stays usable (new ones are opened). */
  close(): void {
    this.#transport.close();
  }

  // ---- documents ---------------------------------------------------------

  async getDocument(auid: string, options: GetOptions = {}): Promise<GetResult> {
    return this.get(auid, null, options);
  }

  /** Creates or replaces the document. */
  async putDocument(auid: string, body: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    return this.put(auid, null, body, options);
  }

  /** Creates the document; AlreadyExistsError when it exists (`If-None-Match: *`). */
  async insertDocument(auid: string, body: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    return this.insert(auid, null, body, options);
  }

  /** Replaces the document; NotFoundError when it does not exist (`If-Match`). */
  async replaceDocument(auid: string, body: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    return this.replace(auid, null, body, options);
  }

  async deleteDocument(auid: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.delete(auid, null, options);
  }

  // ---- elements ----------------------------------------------------------

  async getElement(auid: string, selector: SelectorInput, options: GetOptions = {}): Promise<GetResult> {
    return this.get(auid, this.#require(selector, 'element', 'getElement', options), options);
  }

  /** Creates or replaces the element the selector selects (the body is one XML element). */
  async putElement(auid: string, selector: SelectorInput, element: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.put(auid, this.#require(selector, 'element', 'putElement', options), element, options);
  }

  /** Creates the element; AlreadyExistsError when the selector already selects one. */
  async insertElement(auid: string, selector: SelectorInput, element: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.insert(auid, this.#require(selector, 'element', 'insertElement', options), element, options);
  }

  /** Replaces the element; NotFoundError when the selector selects none. */
  async replaceElement(auid: string, selector: SelectorInput, element: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.replace(auid, this.#require(selector, 'element', 'replaceElement', options), element, options);
  }

  async deleteElement(auid: string, selector: SelectorInput, options: OperationOptions = {}): Promise<WriteResult> {
    return this.delete(auid, this.#require(selector, 'element', 'deleteElement', options), options);
  }

  // ---- attributes --------------------------------------------------------

  /** The attribute's value, unquoted and unescaped (`sip:bob@example.com`). */
  async getAttribute(auid: string, selector: SelectorInput, options: GetOptions = {}): Promise<AttributeResult> {
    const result = await this.get(auid, this.#require(selector, 'attribute', 'getAttribute', options), options);
    if (result.notModified) return { ...result, value: result.body === null ? null : attributeValueOf(result.body) };
    return { ...result, value: attributeValueOf(result.body) };
  }

  /** Creates or sets the attribute to `value` (given plain; the client quotes and escapes it). */
  async putAttribute(auid: string, selector: SelectorInput, value: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.put(auid, this.#require(selector, 'attribute', 'putAttribute', options), value, options);
  }

  async insertAttribute(auid: string, selector: SelectorInput, value: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.insert(auid, this.#require(selector, 'attribute', 'insertAttribute', options), value, options);
  }

  async replaceAttribute(auid: string, selector: SelectorInput, value: string, options: OperationOptions = {}): Promise<WriteResult> {
    return this.replace(auid, this.#require(selector, 'attribute', 'replaceAttribute', options), value, options);
  }

  async deleteAttribute(auid: string, selector: SelectorInput, options: OperationOptions = {}): Promise<WriteResult> {
    return this.delete(auid, this.#require(selector, 'attribute', 'deleteAttribute', options), options);
  }

  // ---- namespace bindings --------------------------------------------------

  /** The namespace bindings in scope at an element (RFC 4825 §10); give the element's selector. */
  async getNamespaceBindings(auid: string, elementSelector: SelectorInput, options: GetOptions = {}): Promise<NamespaceBindingsResult> {
    let input: SelectorInput = elementSelector;
    if (input instanceof NodeSelectorBuilder) {
      if (input.kind === 'element') input = input.namespaces();
    } else if (resolveSelector(input, options.namespaces).kind === 'element') {
      input = appendNamespaceStep(input);
    }
    const resolved = this.#require(input, 'namespaces', 'getNamespaceBindings', options);
    const result = await this.get(auid, resolved, options);
    return { ...result, bindings: result.body === null ? null : this.#bindingsOf(result.body, result) };
  }

  // ---- any node, chosen by the selector (what the CLI uses) ----------------

  /** GET of the document (no selector) or of the node the selector selects. */
  async get(auid: string, selector: SelectorInput | ResolvedSelector | null, options: GetOptions = {}): Promise<GetResult> {
    const t = this.#target(auid, selector, options, 'GET');
    const cached = this.etags?.resource(t.target);
    const auto = (options.etag ?? 'auto') === 'auto';
    const conditions: Conditions = {
      ...this.#ifMatchOption(options),
      ...(options.ifNoneMatch !== undefined
        ? { ifNoneMatch: quoteEtag(options.ifNoneMatch) }
        : auto && cached
          ? { ifNoneMatch: cached.etag }
          : {}),
    };
    const response = await this.#send('GET', t, options, conditions);
    const info = responseInfo(response, t);
    if (response.status === 304) {
      if (options.notModified === 'error') throw errorForResponse({ ...this.#context('GET', t, response), status: 304 });
      const etag = info.etag ?? conditions.ifNoneMatch ?? '';
      const remembered = cached && cached.etag === etag ? cached : undefined;
      return { ...info, notModified: true, etag, body: remembered?.body ?? null, contentType: remembered?.contentType ?? null };
    }
    const contentType = headerValue(response.headers['content-type']);
    if (info.etag !== null) this.etags?.setResource(t.target, t.documentTarget, { etag: info.etag, body: response.body, contentType });
    return { ...info, notModified: false, contentType, body: response.body };
  }

  /**
   * PUT: create or replace. For an attribute selector `content` is the plain value;
   * otherwise the document or element text.
   */
  async put(auid: string, selector: SelectorInput | ResolvedSelector | null, content: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    const t = this.#target(auid, selector, options, 'PUT');
    const conditions: Conditions = {
      ...this.#autoIfMatch(t, options),
      ...this.#ifMatchOption(options),
      ...(options.ifNoneMatch !== undefined ? { ifNoneMatch: quoteEtag(options.ifNoneMatch) } : {}),
    };
    return this.#write('PUT', t, options, conditions, content);
  }

  async delete(auid: string, selector: SelectorInput | ResolvedSelector | null, options: OperationOptions = {}): Promise<WriteResult> {
    const t = this.#target(auid, selector, options, 'DELETE');
    const conditions: Conditions = {
      ...this.#autoIfMatch(t, options),
      ...this.#ifMatchOption(options),
      ...(options.ifNoneMatch !== undefined ? { ifNoneMatch: quoteEtag(options.ifNoneMatch) } : {}),
    };
    return this.#write('DELETE', t, options, conditions);
  }

  /** Creates only: see the module comment for how this is made safe for elements and attributes. */
  async insert(auid: string, selector: SelectorInput | ResolvedSelector | null, content: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    const t = this.#target(auid, selector, options, 'PUT');
    if (t.selector === null) {
      try {
        return await this.#write('PUT', t, options, { ifNoneMatch: '*' }, content);
      } catch (e) {
        if (e instanceof PreconditionFailedError) {
          throw new AlreadyExistsError(this.#context('PUT', t, e), 'the document already exists (use put or replace to overwrite it)');
        }
        throw e;
      }
    }
    return this.#checkedNodeWrite('insert', t, options, content);
  }

  /** Replaces only: NotFoundError when there is nothing to replace. */
  async replace(auid: string, selector: SelectorInput | ResolvedSelector | null, content: string | Buffer, options: PutDocumentOptions = {}): Promise<WriteResult> {
    const t = this.#target(auid, selector, options, 'PUT');
    if (t.selector === null) {
      const explicit = this.#ifMatchOption(options).ifMatch;
      const known = (options.etag ?? 'auto') === 'auto' ? this.etags?.documentEtag(t.documentTarget) : undefined;
      const ifMatch = explicit ?? known ?? '*';
      try {
        return await this.#write('PUT', t, options, { ifMatch }, content);
      } catch (e) {
        if (e instanceof PreconditionFailedError && ifMatch === '*') {
          throw new NotFoundError(this.#context('PUT', t, e), 'the document does not exist (use put or insert to create it)');
        }
        throw e;
      }
    }
    return this.#checkedNodeWrite('replace', t, options, content);
  }

  // ---- discovery -----------------------------------------------------------

  /** The server's xcap-caps: the AUIDs, extensions and namespaces it supports. */
  async capabilities(options: GetOptions = {}): Promise<CapabilitiesResult> {
    const result = await this.get('xcap-caps', null, { tree: 'global', document: 'index', ...options });
    const body = await this.#bodyOf(result, 'xcap-caps', { tree: 'global', document: 'index', ...options });
    try {
      return { ...parseXcapCaps(body), etag: result.etag };
    } catch (e) {
      throw this.#formatError(e, result);
    }
  }

  /** The user's documents, one folder per application usage (OMA xcap-directory). */
  async directory(options: GetOptions = {}): Promise<DirectoryResult> {
    const auid = 'org.openmobilealliance.xcap-directory';
    const result = await this.get(auid, null, options);
    const body = await this.#bodyOf(result, auid, options);
    try {
      return { folders: parseXcapDirectory(body), etag: result.etag };
    } catch (e) {
      throw this.#formatError(e, result);
    }
  }

  // ---- internals -----------------------------------------------------------

  #require(selector: SelectorInput, kind: SelectorKind, operation: string, options: OperationOptions): ResolvedSelector {
    const resolved = resolveSelector(selector, options.namespaces);
    if (resolved.kind !== kind) {
      const what = { element: 'an element', attribute: 'an attribute', namespaces: 'namespace bindings (namespace::*)' };
      throw new UsageError(
        { method: operation, url: this.root.url, status: null },
        `${operation} needs a selector of ${what[kind]}, but '${resolved.text}' selects ${what[resolved.kind]}`,
      );
    }
    return resolved;
  }

  #target(auid: string, selector: SelectorInput | ResolvedSelector | null, options: OperationOptions, method: string): Target {
    if (typeof auid !== 'string' || auid === '' || auid.includes('/')) {
      throw new UsageError({ method, url: this.root.url, status: null }, `invalid application usage ${JSON.stringify(auid)}`);
    }
    const app = this.applications.resolve(auid);
    if (options.tree === 'global' && options.xui !== undefined) {
      throw new UsageError({ method, url: this.root.url, status: null }, 'the global tree has no users: give either tree: "global" or an xui');
    }
    const tree: Tree = options.tree ?? (options.xui !== undefined ? 'users' : app.defaultTree);
    const path = options.document ?? app.defaultDocument;
    if (path === '' || path.split('/').some((s) => s === '' || s === '.' || s === '..')) {
      throw new UsageError({ method, url: this.root.url, status: null }, `invalid document name ${JSON.stringify(path)}`);
    }
    const xui = tree === 'users' ? (options.xui === undefined ? this.xui : xuiOf(options.xui)) : null;
    const document: DocumentSelector = { auid, tree, xui, path };
    const resolved = selector === null ? null : isResolved(selector) ? selector : resolveSelector(selector, options.namespaces);
    const documentTarget = `${this.root.path}/${buildXcapPath({ document })}`;
    const target =
      resolved === null
        ? documentTarget
        : `${this.root.path}/${buildXcapPath({ document, nodeSelector: resolved.text, ...(resolved.bindings.size > 0 ? { namespaceBindings: resolved.bindings } : {}) })}`;
    if (resolved?.kind === 'namespaces' && method !== 'GET') {
      throw new UsageError({ method, url: this.root.origin + target, status: null }, 'namespace bindings can only be read (RFC 4825 §7.10)');
    }
    return { app, document, documentTarget, target, url: this.root.origin + target, selector: resolved };
  }

  #ifMatchOption(options: OperationOptions): Conditions {
    const e = options.etag;
    if (e === undefined || e === 'auto' || e === 'none') return {};
    return { ifMatch: quoteEtag(e) };
  }

  #autoIfMatch(t: Target, options: OperationOptions): Conditions {
    if ((options.etag ?? 'auto') !== 'auto' || options.ifNoneMatch !== undefined) return {};
    const known = this.etags?.documentEtag(t.documentTarget);
    return known === undefined ? {} : { ifMatch: known };
  }

  async #write(method: 'PUT' | 'DELETE', t: Target, options: PutDocumentOptions, conditions: Conditions, content?: string | Buffer): Promise<WriteResult> {
    let body: Buffer | undefined;
    let contentType: string | undefined;
    if (method === 'PUT') {
      if (content === undefined) throw new UsageError(this.#context(method, t), 'PUT needs a body');
      if (t.selector?.kind === 'attribute') {
        body = Buffer.from(attributeBody(Buffer.isBuffer(content) ? content.toString('utf8') : content, this.#options.attributeStyle), 'utf8');
        contentType = XCAP_ATTRIBUTE_MIME;
      } else {
        body = Buffer.isBuffer(content) ? content : Buffer.from(content, 'utf8');
        contentType = t.selector === null ? (options.contentType ?? t.app.mimeType) : XCAP_ELEMENT_MIME;
      }
    }
    const response = await this.#send(method, t, options, conditions, body, contentType);
    return { ...responseInfo(response, t), created: response.status === 201 };
  }

  /**
   * insert / replace of an element or attribute: check against a fetched version of
   * the document, then write conditioned on that version's ETag.
   */
  async #checkedNodeWrite(mode: 'insert' | 'replace', t: Target, options: PutDocumentOptions, content: string | Buffer): Promise<WriteResult> {
    const explicit = this.#ifMatchOption(options).ifMatch;
    const documentOptions: GetOptions = {
      ...(options.document === undefined ? {} : { document: options.document }),
      ...(options.tree === undefined ? {} : { tree: options.tree }),
      ...(options.xui === undefined ? {} : { xui: options.xui }),
      ...(options.etag === undefined ? {} : { etag: options.etag }),
      ...(options.headers === undefined ? {} : { headers: options.headers }),
      notModified: 'result',
    };
    for (let attempt = 1; ; attempt++) {
      let version: { body: string; etag: string | null } | null;
      try {
        const fetched = await this.get(t.document.auid, null, documentOptions);
        version = { body: await this.#bodyOf(fetched, t.document.auid, documentOptions), etag: fetched.etag };
      } catch (e) {
        if (!(e instanceof NotFoundError)) throw e;
        version = null;
      }
      if (version === null) {
        if (mode === 'replace') throw new NotFoundError(this.#context('PUT', t), 'the document does not exist, so there is nothing to replace');
        // Nothing can exist in a missing document; the server says whether a parent can be made.
        return this.#write('PUT', t, options, explicit ? { ifMatch: explicit } : {}, content);
      }
      const found = this.#countSelected(version.body, t);
      if (mode === 'insert' && found > 0) {
        throw new AlreadyExistsError(
          this.#context('PUT', t),
          found === 1 ? `'${t.selector!.text}' already selects a node (use put or replace to overwrite it)` : `'${t.selector!.text}' selects ${found} elements`,
        );
      }
      if (mode === 'replace' && found !== 1) {
        throw new NotFoundError(this.#context('PUT', t), found === 0 ? `'${t.selector!.text}' selects nothing to replace (use put or insert to create it)` : `'${t.selector!.text}' selects ${found} elements, not one`);
      }
      const ifMatch = explicit ?? version.etag ?? undefined;
      try {
        return await this.#write('PUT', t, options, ifMatch === undefined ? {} : { ifMatch }, content);
      } catch (e) {
        const retry = e instanceof PreconditionFailedError && explicit === undefined && attempt < CHECKED_WRITE_ATTEMPTS;
        if (!retry) throw e;
      }
    }
  }

  /** How many nodes the target's selector selects in a document version (2+ means an invalid, ambiguous selector). */
  #countSelected(body: string, t: Target): number {
    let document: XmlDocument;
    try {
      document = parseXmlDocument(body);
    } catch (e) {
      throw new ProtocolError(this.#context('GET', t), `the document is not well-formed XML: ${(e as Error).message}`);
    }
    const selector = t.selector!;
    const defaultNamespace = t.app.namespace ?? document.root.namespace ?? '';
    const parsed = parseSelectorText(selector.text, selector.bindings, defaultNamespace);
    const elements = selectElements(document, parsed.steps);
    if (elements.length !== 1) return elements.length;
    const terminal = parsed.terminal;
    if (terminal?.kind === 'attribute') return findAttribute(elements[0]!, terminal.name) ? 1 : 0;
    return 1;
  }

  /** The body of a GET result; a 304 without remembered body is fetched again unconditionally. */
  async #bodyOf(result: GetResult, auid: string, options: GetOptions): Promise<string> {
    if (!result.notModified) return result.body;
    if (result.body !== null) return result.body;
    const again = await this.get(auid, null, { ...options, etag: 'none', notModified: 'result' });
    if (again.notModified) throw new ProtocolError({ method: 'GET', url: again.url, status: 304 }, 'the server answered 304 to an unconditional GET');
    return again.body;
  }

  #bindingsOf(body: string, result: GetResult): Map<string, string> {
    try {
      const root = parseXmlDocument(body).root;
      return new Map(root.namespaceDeclarations.map((d) => [d.prefix, d.uri]));
    } catch (e) {
      throw new ProtocolError({ method: 'GET', url: result.url, status: result.status }, `the namespace bindings are not well-formed XML: ${(e as Error).message}`);
    }
  }

  #formatError(e: unknown, result: GetResult): unknown {
    if (e instanceof CapabilitiesFormatError) return new ProtocolError({ method: 'GET', url: result.url, status: result.status }, e.message);
    return e;
  }

  #context(method: string, t: Target, from?: { status: number | null; statusText?: string; headers?: IncomingHttpHeaders; body?: string } | HttpResponse): ErrorContext {
    return {
      method,
      url: t.url,
      status: from?.status ?? null,
      ...(from?.statusText === undefined ? {} : { statusText: from.statusText }),
      ...(from?.headers === undefined ? {} : { headers: from.headers }),
      ...(from?.body === undefined ? {} : { body: from.body }),
    };
  }

  /** One request with authentication (at most one retry after a 401) and ETag bookkeeping. Non-2xx/304 answers throw. */
  async #send(method: string, t: Target, options: OperationOptions, conditions: Conditions, body?: Buffer, contentType?: string): Promise<HttpResponse> {
    const base: Record<string, string> = { 'User-Agent': CLIENT_USER_AGENT, ...(this.#options.headers ?? {}) };
    if (contentType !== undefined) base['Content-Type'] = contentType;
    if (conditions.ifMatch !== undefined) base['If-Match'] = conditions.ifMatch;
    if (conditions.ifNoneMatch !== undefined) base['If-None-Match'] = conditions.ifNoneMatch;
    const space = t.document.xui ?? 'global';
    let response: HttpResponse;
    let sent: SignedHeaders;
    for (let attempt = 0; ; attempt++) {
      sent = this.#signer.headersFor(method, t.target, space);
      response = await this.#transport.send({
        method,
        target: t.target,
        headers: { ...base, ...sent.headers, ...(options.headers ?? {}) },
        ...(body === undefined ? {} : { body }),
      });
      if (response.status !== 401 || attempt > 0) break;
      if (!this.#signer.challenged(response.headersDistinct['www-authenticate'] ?? [], sent, space)) break;
    }
    const signed = sent.signed;
    this.#track(method, t, response);
    if (response.status === 401) {
      const challenges = response.headersDistinct['www-authenticate'] ?? [];
      const reason =
        this.#signer.problem ??
        (!this.#signer.hasPassword
          ? 'the server asks for a password and none was given'
          : signed
            ? `the server refused the credentials of '${this.#options.authUsername ?? userPart(this.user)}'${this.#signer.scheme ? ` (${this.#signer.scheme})` : ''}`
            : 'the server refused the request without asking for credentials it could use');
      throw new UnauthorizedError(this.#context(method, t, response), reason, challenges, signed);
    }
    this.#signer.accept(headerValue(response.headers['authentication-info']) ?? undefined, sent);
    if ((response.status >= 200 && response.status < 300) || (response.status === 304 && method === 'GET')) return response;
    throw errorForResponse({ ...this.#context(method, t, response), status: response.status });
  }

  #track(method: string, t: Target, response: HttpResponse): void {
    const cache = this.etags;
    if (cache === null) return;
    const etag = headerValue(response.headers.etag);
    const ok = response.status >= 200 && response.status < 300;
    if (t.selector === null && (response.status === 404 || (ok && method === 'DELETE'))) {
      cache.forgetDocument(t.documentTarget);
      return;
    }
    if (etag !== null && (ok || response.status === 304)) cache.setDocumentEtag(t.documentTarget, etag);
    if (response.status === 404 && method === 'GET') cache.forgetResource(t.target);
  }
}

function isResolved(s: SelectorInput | ResolvedSelector): s is ResolvedSelector {
  return typeof s === 'object' && !(s instanceof NodeSelectorBuilder);
}

function appendNamespaceStep(text: string): string {
  const q = text.indexOf('?xmlns(');
  if (q < 0) return `${text.replace(/\/+$/, '')}/namespace::*`;
  return `${text.slice(0, q).replace(/\/+$/, '')}/namespace::*${text.slice(q)}`;
}

/** Another user's XUI: user ids are normalized to `sip:user@domain`; anything else is taken as written. */
function xuiOf(xui: string): string {
  try {
    return toXui(xui);
  } catch {
    return xui;
  }
}

/** python-xcaplib and users write ETags without quotes; HTTP needs them. */
function quoteEtag(etag: string): string {
  const e = etag.trim();
  if (e === '*' || e.startsWith('"') || e.startsWith('W/"')) return e;
  return `"${e}"`;
}

function headerValue(v: string | string[] | undefined): string | null {
  if (v === undefined) return null;
  return Array.isArray(v) ? (v[0] ?? null) : v;
}

function responseInfo(response: HttpResponse, t: Target): ResponseInfo {
  return { status: response.status, statusText: response.statusText, url: t.url, etag: headerValue(response.headers.etag), headers: response.headers };
}
