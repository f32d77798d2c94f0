/**
 * The `xcap-diff` SIP event package (RFC 5875) on xcapd's own SIP endpoint: a client
 * SUBSCRIBEs with a resource-lists body naming documents, elements, attributes or
 * collections (`resource-lists/`, `resource-lists/users/sip:joe@example.com/`), gets
 * a first NOTIFY with the ETags (and component contents) of what exists, and a NOTIFY
 * after changes, in the mode it asked for (`diff-processing`: no-patching, the
 * default; xcap-patching; aggregate) or a simpler one.
 *
 * Dialogs follow RFC 6665: refresh and un-subscribe (Expires: 0) in the dialog, a
 * final NOTIFY (`terminated;reason=timeout`) at expiry. As RFC 5875 §4.7 requires, a
 * new NOTIFY waits for the 200 to the previous one, and a NOTIFY that fails ends the
 * subscription. Changes are collected for at least `minNotifyIntervalMs` between
 * NOTIFYs (§4.10 suggests five seconds).
 *
 * Subscribers authenticate with SIP Digest against xcapd's users (realm: the domain
 * of the From URI, or the configured realm), unless authentication is off or the
 * request comes from a trusted proxy (then P-Asserted-Identity, else From, names the
 * user). Only documents the user may read appear (RFC 5875 §4.7).
 */
import type { Logger } from 'pino';
import type { AppUsageRegistry } from '../../appusages/registry.js';
import type { AppUsage, Requester } from '../../appusages/types.js';
import { DigestAuthenticator } from '../../auth/digest-server.js';
import { authorize } from '../../auth/policy.js';
import { domainPart, InvalidUserIdError, normalizeUserId, toXui } from '../../auth/user-id.js';
import type { DocumentKey, Storage } from '../../storage/types.js';
import { digestHa1, storageUserDirectory, type DirectoryUser, type UserDirectory } from '../../auth/user-directory.js';
import {
  componentItem,
  documentSel,
  renderDiffItem,
  renderXcapDiff,
  XCAP_DIFF_MIME,
  type DiffItem,
} from '../../xcap/diff.js';
import { XcapError } from '../../xcap/errors.js';
import { parseXcapPath, percentDecode, stripRoot, type DocumentSelector } from '../../xcap/uri.js';
import { parseXmlDocument } from '../../xcap/xml/parser.js';
import type { XmlElement } from '../../xcap/xml/tree.js';
import type { PatchOperation } from '../../xcap/patch.js';
import type { ChangeEvent } from '../change-event.js';
import type { ChangeSink } from '../dispatcher.js';
import type { Counter, Metrics } from '../metrics.js';
import {
  parseCSeq,
  parseEvent,
  parseNameAddr,
  parseSipUri,
  SipHeaders,
  SipParseError,
  type SipRequest,
} from './message.js';
import { randomTag, SipTimeoutError, type SipEndpoint, type SipPeer, type SipTarget } from './transport.js';

export type DiffProcessing = 'no-patching' | 'xcap-patching' | 'aggregate';

const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';
const RESOURCE_LISTS_MIME = 'application/resource-lists+xml';

export interface XcapDiffSubscriptionOptions {
  readonly endpoint: SipEndpoint;
  readonly storage: Storage;
  /** Who may subscribe; xcapd's own users by default. */
  readonly users?: UserDirectory;
  readonly registry: AppUsageRegistry;
  /** Maps an XCAP URI (below the root) to its usage and storage key; throws XcapError (404) when it names nothing. */
  readonly resolve: (uri: ReturnType<typeof parseXcapPath>) => { usage: AppUsage; key: DocumentKey };
  /** The absolute XCAP root, written in every NOTIFY. */
  readonly xcapRoot: () => string;
  /** The XCAP root path (e.g. `/xcap-root`), to accept absolute entry URIs. */
  readonly rootPath: string;
  readonly auth: 'digest' | 'none';
  /** A fixed Digest realm; empty: the domain of the From URI. */
  readonly realm?: string;
  readonly digestSecret?: Buffer;
  readonly trustedProxies?: readonly string[];
  readonly defaultExpires?: number;
  readonly minExpires?: number;
  readonly maxExpires: number;
  readonly minNotifyIntervalMs: number;
  readonly notifyTimeoutMs: number;
  readonly maxSubscriptions?: number;
  readonly logger: Logger;
  readonly metrics: Metrics;
}

/** One `<entry uri>` of the subscription body, resolved. */
type Resource =
  | { readonly kind: 'document'; readonly entry: string; readonly key: DocumentKey; readonly usage: AppUsage }
  | {
      readonly kind: 'component';
      readonly entry: string;
      readonly key: DocumentKey;
      readonly usage: AppUsage;
      readonly nodeSelector: string;
      readonly bindings: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'collection'; readonly entry: string; readonly auid: string; readonly tree: 'users' | 'global' | null; readonly owner: string | null };

interface Subscription {
  readonly callId: string;
  readonly localTag: string;
  readonly remoteTag: string;
  readonly localUri: string;
  readonly remoteUri: string;
  remoteTarget: string;
  readonly routeSet: readonly string[];
  localCseq: number;
  remoteCseq: number;
  peer: SipPeer;
  readonly requester: Requester;
  readonly eventId: string | null;
  mode: DiffProcessing;
  resources: Resource[];
  expiresAt: number;
  expiry: NodeJS.Timeout | null;
  /** Per document sel: the last ETag reported (null: reported absent). */
  known: Map<string, string | null>;
  /** Per component entry: what was last reported. */
  components: Map<string, string>;
  pending: ChangeEvent[];
  fullStatePending: boolean;
  finalPending: 'timeout' | 'unsubscribed' | 'deactivated' | null;
  busy: boolean;
  lastNotifyAt: number;
  throttle: NodeJS.Timeout | null;
  ended: boolean;
}

export class XcapDiffSubscriptions implements ChangeSink {
  readonly name = 'sip-xcap-diff';
  readonly servesLocalClients = true;
  private readonly subscriptions = new Map<string, Subscription>();
  private readonly digest: DigestAuthenticator;
  private readonly users: UserDirectory;
  private readonly notifies: Counter;
  private idleWaiters: (() => void)[] = [];

  constructor(private readonly options: XcapDiffSubscriptionOptions) {
    this.users = options.users ?? storageUserDirectory(options.storage);
    this.digest = new DigestAuthenticator({
      realm: (hint) => options.realm || hint || 'xcapd',
      algorithms: ['MD5'],
      ...(options.digestSecret ? { secret: options.digestSecret } : {}),
    });
    this.notifies = options.metrics.counter('xcapd_sip_notify_total', 'xcap-diff NOTIFY requests sent, by outcome');
    options.metrics.gauge('xcapd_sip_subscriptions', 'Active xcap-diff SIP subscriptions', () => this.subscriptions.size);
  }

  get size(): number {
    return this.subscriptions.size;
  }

  wantsPatches(): boolean {
    for (const s of this.subscriptions.values()) if (s.mode !== 'no-patching') return true;
    return false;
  }

  wantsComponents(): boolean {
    return this.subscriptions.size > 0;
  }

  // -------------------------------------------------------------------------
  // Requests

  handleRequest(request: SipRequest, peer: SipPeer): void {
    const endpoint = this.options.endpoint;
    switch (request.method) {
      case 'SUBSCRIBE':
        this.subscribe(request, peer).catch((e: unknown) => {
          this.options.logger.error({ err: e }, 'SUBSCRIBE handling failed');
          endpoint.respond(request, peer, 500, 'Server Internal Error');
        });
        return;
      case 'OPTIONS':
        endpoint.respond(request, peer, 200, 'OK', [
          ['Allow', 'SUBSCRIBE, OPTIONS'],
          ['Allow-Events', 'xcap-diff'],
          ['Accept', RESOURCE_LISTS_MIME],
        ]);
        return;
      case 'ACK':
        return;
      default:
        endpoint.respond(request, peer, 405, 'Method Not Allowed', [['Allow', 'SUBSCRIBE, OPTIONS']]);
    }
  }

  private async subscribe(request: SipRequest, peer: SipPeer): Promise<void> {
    const endpoint = this.options.endpoint;
    const reply = (status: number, reason: string, extra: [string, string][] = []): void =>
      endpoint.respond(request, peer, status, reason, extra);
    const h = request.headers;

    const event = parseEvent(h.get('event') ?? '');
    if (event.package !== 'xcap-diff') return reply(489, 'Bad Event', [['Allow-Events', 'xcap-diff']]);
    const accept = h.getAll('accept').map((a) => a.split(';')[0]!.trim().toLowerCase());
    if (accept.length > 0 && !accept.some((a) => a === XCAP_DIFF_MIME || a === 'application/*' || a === '*/*')) {
      return reply(406, 'Not Acceptable', [['Accept', XCAP_DIFF_MIME]]);
    }
    const rawExpires = h.get('expires');
    if (rawExpires !== undefined && !/^\d{1,10}$/.test(rawExpires.trim())) return reply(400, 'Bad Expires');
    let expires = rawExpires === undefined ? (this.options.defaultExpires ?? 3600) : Number(rawExpires.trim());
    const minExpires = Math.min(this.options.minExpires ?? 60, this.options.maxExpires);
    if (expires > 0 && expires < minExpires) return reply(423, 'Interval Too Brief', [['Min-Expires', String(minExpires)]]);
    expires = Math.min(expires, this.options.maxExpires);

    let from, to, cseq;
    try {
      from = parseNameAddr(h.get('from')!);
      to = parseNameAddr(h.get('to')!);
      cseq = parseCSeq(h.get('cseq')!);
    } catch (e) {
      if (e instanceof SipParseError) return reply(400, e.message.slice(0, 80));
      throw e;
    }
    const fromTag = from.params.get('tag');
    if (!fromTag) return reply(400, 'Missing From tag');
    const callId = h.get('call-id')!;
    const toTag = to.params.get('tag');

    const requester = await this.identify(request, peer, from.uri);
    if (requester === null) return;

    const existing = toTag ? this.subscriptions.get(dialogKey(callId, toTag, fromTag)) : undefined;
    if (toTag && !existing) return reply(481, 'Subscription Does Not Exist');
    if (existing && existing.requester.userId !== requester.userId) return reply(403, 'Forbidden');
    if (existing && cseq.seq <= existing.remoteCseq) return reply(500, 'CSeq Out of Order');

    let resources: Resource[] | null = null;
    if (request.body.length > 0) {
      const type = (h.get('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== RESOURCE_LISTS_MIME) return reply(415, 'Unsupported Media Type', [['Accept', RESOURCE_LISTS_MIME]]);
      resources = this.parseResources(request.body.toString('utf8'), requester);
      if (resources === null) return reply(400, 'Bad resource list');
    } else if (!existing) {
      if (expires === 0) resources = [];
      else return reply(400, 'Missing resource list');
    }

    const mode = parseMode(event.params.get('diff-processing'));
    const contact = h.get('contact');
    let remoteTarget: string;
    try {
      remoteTarget = contact ? parseNameAddr(contact).uri : (existing?.remoteTarget ?? from.uri);
    } catch (e) {
      if (e instanceof SipParseError) return reply(400, 'Bad Contact');
      throw e;
    }

    let sub = existing;
    if (!sub) {
      if (this.subscriptions.size >= (this.options.maxSubscriptions ?? 10_000)) return reply(503, 'Service Unavailable', [['Retry-After', '60']]);
      sub = {
        callId,
        localTag: randomTag(),
        remoteTag: fromTag,
        localUri: to.uri,
        remoteUri: from.uri,
        remoteTarget,
        routeSet: h.getAll('record-route'),
        localCseq: 0,
        remoteCseq: cseq.seq,
        peer,
        requester,
        eventId: event.params.get('id') ?? null,
        mode,
        resources: resources ?? [],
        expiresAt: 0,
        expiry: null,
        known: new Map(),
        components: new Map(),
        pending: [],
        fullStatePending: false,
        finalPending: null,
        busy: false,
        lastNotifyAt: 0,
        throttle: null,
        ended: false,
      };
    } else {
      sub.remoteCseq = cseq.seq;
      sub.remoteTarget = remoteTarget;
      sub.peer = peer;
      sub.mode = mode;
      if (resources !== null) sub.resources = resources;
    }
    // A (re-)subscription is answered with the full state (RFC 5875 §4.7).
    sub.known = new Map();
    sub.components = new Map();
    sub.pending = [];
    sub.fullStatePending = true;

    endpoint.respond(
      request,
      peer,
      200,
      'OK',
      [
        ['Expires', String(expires)],
        ['Contact', this.contact(peer.transport)],
      ],
      undefined,
      sub.localTag,
    );

    const key = dialogKey(sub.callId, sub.localTag, sub.remoteTag);
    if (expires === 0) {
      sub.finalPending = existing ? 'unsubscribed' : 'timeout';
      sub.fullStatePending = !existing;
      this.subscriptions.set(key, sub);
    } else {
      sub.expiresAt = Date.now() + expires * 1000;
      if (sub.expiry) clearTimeout(sub.expiry);
      sub.expiry = setTimeout(() => this.expire(sub!), expires * 1000);
      this.subscriptions.set(key, sub);
    }
    this.pump(sub);
  }

  /** The requester, or null after answering the request (401/403). */
  private async identify(request: SipRequest, peer: SipPeer, fromUri: string): Promise<Requester | null> {
    const endpoint = this.options.endpoint;
    const trusted = (this.options.trustedProxies ?? []).includes(peer.address.replace(/^::ffff:/, ''));
    if (this.options.auth === 'none' || trusted) {
      const asserted = request.headers.get('p-asserted-identity');
      try {
        const id = normalizeUserId(asserted ? parseNameAddr(asserted).uri : fromUri);
        const user = await this.users.getUser(id);
        return { userId: id, admin: user?.admin ?? false };
      } catch (e) {
        if (e instanceof InvalidUserIdError || e instanceof SipParseError) {
          endpoint.respond(request, peer, 403, 'Forbidden');
          return null;
        }
        throw e;
      }
    }
    let domain: string | undefined;
    try {
      domain = domainPart(normalizeUserId(fromUri)) || undefined;
    } catch {
      domain = undefined;
    }
    const realm = this.digest.realmFor(domain);
    const header = request.headers.get('authorization');
    let found: DirectoryUser | null = null;
    if (header !== undefined) {
      const result = await this.digest.verify(header, request.method, request.uri, async (username, r) => {
        found = await this.findUser(username, r);
        return found ? digestHa1(found, username, r, 'MD5') : null;
      }, { realm });
      const user = found as DirectoryUser | null;
      if (result.ok && user) return { userId: user.id, admin: user.admin };
      if (!result.ok && (result.reason === 'stale' || result.reason === 'replay')) {
        endpoint.respond(request, peer, 401, 'Unauthorized', this.digest.challenge({ realm, stale: true }).map((c) => ['WWW-Authenticate', c] as [string, string]));
        return null;
      }
    }
    endpoint.respond(request, peer, 401, 'Unauthorized', this.digest.challenge({ realm }).map((c) => ['WWW-Authenticate', c] as [string, string]));
    return null;
  }

  private async findUser(username: string, realm: string): Promise<DirectoryUser | null> {
    try {
      const id = username.includes('@') || /^(sips?|tel):/i.test(username) ? normalizeUserId(username) : normalizeUserId(`${username}@${realm}`);
      return await this.users.getUser(id);
    } catch (e) {
      if (e instanceof InvalidUserIdError) return null;
      throw e;
    }
  }

  private contact(transport: 'udp' | 'tcp'): string {
    return `<sip:xcapd@${this.options.endpoint.sentBy}${transport === 'tcp' ? ';transport=tcp' : ''}>`;
  }

  /**
   * The flat list of `<entry uri>` in a resource-lists body (RFC 5875 §4.4), resolved;
   * null when the body is not a resource-lists document. Entries that name nothing
   * or that the user may not read are left out.
   */
  private parseResources(text: string, requester: Requester): Resource[] | null {
    let root: XmlElement;
    try {
      root = parseXmlDocument(text).root;
    } catch {
      return null;
    }
    if (root.namespace !== RESOURCE_LISTS_NS || root.localName !== 'resource-lists') return null;
    const entries: string[] = [];
    const walk = (e: XmlElement): void => {
      for (const c of e.children) {
        if (c.kind !== 'element' || c.namespace !== RESOURCE_LISTS_NS) continue;
        if (c.localName === 'list') walk(c);
        else if (c.localName === 'entry') {
          const uri = c.attributes.find((a) => a.localName === 'uri' && a.namespace === null)?.value;
          if (uri !== undefined && !entries.includes(uri)) entries.push(uri);
        }
      }
    };
    walk(root);
    const resources: Resource[] = [];
    for (const entry of entries.slice(0, 200)) {
      const resource = this.resolveEntry(entry);
      if (resource === null) continue;
      if (resource.kind !== 'collection' && !authorize(requester, resource.key, 'read', resource.usage)) continue;
      resources.push(resource);
    }
    return resources;
  }

  private resolveEntry(entry: string): Resource | null {
    let relative = entry.trim();
    if (/^https?:\/\//i.test(relative)) {
      let url: URL;
      try {
        url = new URL(relative);
      } catch {
        return null;
      }
      relative = `${url.pathname}${url.search}`;
    }
    if (relative.startsWith('/')) {
      const below = stripRoot(relative, this.options.rootPath);
      if (below === null) return null;
      relative = below;
    }
    if (relative.endsWith('/')) {
      let segments: string[];
      try {
        segments = relative.slice(0, -1).split('/').map((s) => percentDecode(s, 'collection'));
      } catch {
        return null;
      }
      const [auid, tree, xui, ...rest] = segments;
      if (!auid || rest.length > 0 || !this.options.registry.get(auid)) return null;
      if (tree === undefined) return { kind: 'collection', entry, auid, tree: null, owner: null };
      if (tree === 'global' && xui === undefined) return { kind: 'collection', entry, auid, tree: 'global', owner: null };
      if (tree !== 'users') return null;
      if (xui === undefined) return { kind: 'collection', entry, auid, tree: 'users', owner: null };
      try {
        return { kind: 'collection', entry, auid, tree: 'users', owner: toXui(normalizeUserId(xui)) };
      } catch {
        return null;
      }
    }
    try {
      const uri = parseXcapPath(relative);
      const { usage, key } = this.options.resolve(uri);
      if (uri.nodeSelector === null) return { kind: 'document', entry, key, usage };
      return { kind: 'component', entry, key, usage, nodeSelector: uri.nodeSelector, bindings: uri.namespaceBindings };
    } catch (e) {
      if (e instanceof XcapError) return null;
      throw e;
    }
  }

  // -------------------------------------------------------------------------
  // Changes

  accept(event: ChangeEvent): void {
    for (const sub of this.subscriptions.values()) {
      if (sub.ended || sub.finalPending !== null) continue;
      if (!sub.resources.some((r) => this.covers(r, event.key, sub.requester))) continue;
      sub.pending.push(event);
      if (sub.pending.length > 500) sub.pending.splice(0, sub.pending.length - 500);
      this.pump(sub);
    }
  }

  private covers(resource: Resource, key: DocumentKey, requester: Requester): boolean {
    if (resource.kind !== 'collection') return sameKey(resource.key, key);
    if (key.auid !== resource.auid) return false;
    if (resource.tree !== null && key.tree !== resource.tree) return false;
    if (resource.owner !== null && key.owner !== resource.owner) return false;
    const usage = this.options.registry.get(key.auid);
    return usage !== undefined && authorize(requester, key, 'read', usage);
  }

  /** Sends the next NOTIFY of a subscription when none is outstanding and one is due. */
  private pump(sub: Subscription): void {
    if (sub.busy || sub.ended) return;
    const due = sub.fullStatePending || sub.finalPending !== null;
    if (!due && sub.pending.length === 0) return this.checkIdle();
    if (!due) {
      const wait = sub.lastNotifyAt + this.options.minNotifyIntervalMs - Date.now();
      if (wait > 0) {
        sub.throttle ??= setTimeout(() => {
          sub.throttle = null;
          this.pump(sub);
        }, wait);
        return;
      }
    }
    sub.busy = true;
    void this.sendNext(sub).finally(() => {
      sub.busy = false;
      if (!sub.ended) this.pump(sub);
      else this.checkIdle();
    });
  }

  private async sendNext(sub: Subscription): Promise<void> {
    let fragments: string[];
    if (sub.fullStatePending) {
      sub.fullStatePending = false;
      sub.pending = [];
      fragments = await this.fullState(sub);
    } else if (sub.pending.length > 0) {
      const events = sub.pending;
      sub.pending = [];
      fragments = await this.changes(sub, events);
      if (fragments.length === 0 && sub.finalPending === null) return;
    } else {
      fragments = [];
    }
    const final = sub.finalPending;
    const state = final === null ? `active;expires=${Math.max(0, Math.round((sub.expiresAt - Date.now()) / 1000))}` : final === 'unsubscribed' ? 'terminated' : `terminated;reason=${final}`;
    const body = final === 'unsubscribed' || (final !== null && fragments.length === 0) ? null : renderXcapDiff(this.options.xcapRoot(), fragments);
    sub.lastNotifyAt = Date.now();
    const ok = await this.notify(sub, state, body);
    if (!ok || final !== null) this.end(sub);
  }

  private async fullState(sub: Subscription): Promise<string[]> {
    const fragments: string[] = [];
    for (const r of sub.resources) {
      if (r.kind === 'collection') {
        const query = { auid: r.auid, ...(r.tree ? { tree: r.tree } : {}), ...(r.owner ? { owner: r.owner } : {}) };
        for (const doc of await this.options.storage.listDocuments(query)) {
          if (!this.covers(r, doc.key, sub.requester)) continue;
          const sel = documentSel(selectorOf(doc.key));
          if (sub.known.has(sel)) continue;
          sub.known.set(sel, doc.etag);
          fragments.push(renderDiffItem({ kind: 'document', sel, previousEtag: null, newEtag: doc.etag, patch: null }));
        }
        continue;
      }
      const doc = await this.options.storage.getDocument(r.key);
      if (r.kind === 'document') {
        sub.known.set(r.entry, doc?.etag ?? null);
        if (doc) fragments.push(renderDiffItem({ kind: 'document', sel: r.entry, previousEtag: null, newEtag: doc.etag, patch: null }));
        continue;
      }
      const item = doc ? this.component(r, doc.content) : null;
      if (item && itemExists(item)) {
        const rendered = renderDiffItem(item);
        sub.components.set(r.entry, rendered);
        fragments.push(rendered);
      }
    }
    return fragments;
  }

  private async changes(sub: Subscription, events: readonly ChangeEvent[]): Promise<string[]> {
    const fragments: string[] = [];
    // Documents: in the order they changed, each reported once (aggregate, no-patching) or per change.
    const bySel = new Map<string, ChangeEvent[]>();
    const touchedComponents = new Set<string>();
    for (const e of events) {
      for (const r of sub.resources) {
        if (!this.covers(r, e.key, sub.requester)) continue;
        if (r.kind === 'component') {
          touchedComponents.add(r.entry);
          continue;
        }
        const sel = r.kind === 'document' ? r.entry : e.sel;
        const list = bySel.get(sel) ?? [];
        if (!list.includes(e)) list.push(e);
        bySel.set(sel, list);
      }
    }
    for (const [sel, list] of bySel) fragments.push(...this.documentReports(sub, sel, list));
    for (const r of sub.resources) {
      if (r.kind !== 'component' || !touchedComponents.has(r.entry)) continue;
      const doc = await this.options.storage.getDocument(r.key);
      const item = this.component(r, doc?.content ?? null);
      if (item === null) continue;
      const previous = sub.components.get(r.entry);
      if (!itemExists(item) && previous === undefined) continue;
      const rendered = renderDiffItem(item);
      if (rendered === previous) continue;
      if (itemExists(item)) sub.components.set(r.entry, rendered);
      else sub.components.delete(r.entry);
      fragments.push(rendered);
    }
    return fragments;
  }

  /** The `<document>` reports for one document's changes, chained from the last ETag reported. */
  private documentReports(sub: Subscription, sel: string, events: readonly ChangeEvent[]): string[] {
    let known = sub.known.get(sel) ?? null;
    const last = events[events.length - 1]!;
    const out: string[] = [];
    const plain = (previous: string | null, next: string | null): string =>
      renderDiffItem({ kind: 'document', sel, previousEtag: previous, newEtag: next, patch: null });
    const patchOf = (e: ChangeEvent): readonly PatchOperation[] | null =>
      e.report.kind === 'document' && e.previousEtag !== null && e.newEtag !== null ? e.report.patch : null;
    const chained = events.every((e, i) => e.previousEtag === (i === 0 ? known : events[i - 1]!.newEtag) && patchOf(e) !== null);
    if (sub.mode === 'no-patching' || !chained) {
      if (known !== last.newEtag) out.push(plain(known, last.newEtag));
    } else if (sub.mode === 'xcap-patching') {
      for (const e of events) out.push(renderDiffItem({ kind: 'document', sel, previousEtag: e.previousEtag, newEtag: e.newEtag, patch: patchOf(e) }));
    } else {
      const ops = events.flatMap((e) => patchOf(e) ?? []);
      out.push(renderDiffItem({ kind: 'document', sel, previousEtag: known, newEtag: last.newEtag, patch: ops }));
    }
    known = last.newEtag;
    sub.known.set(sel, known);
    return out;
  }

  private component(r: Extract<Resource, { kind: 'component' }>, content: string | null): DiffItem | null {
    return componentItem(r.entry, content, r.nodeSelector, {
      defaultNamespace: r.usage.defaultNamespace,
      namespaceBindings: r.bindings,
      maxContentLength: 64 * 1024,
    });
  }

  // -------------------------------------------------------------------------
  // NOTIFY

  /** Sends one NOTIFY; false when the subscription must end (no 2xx). */
  private async notify(sub: Subscription, state: string, body: string | null): Promise<boolean> {
    const headers = new SipHeaders();
    for (const route of sub.routeSet) headers.add('Route', route);
    headers
      .add('From', `<${sub.localUri}>;tag=${sub.localTag}`)
      .add('To', `<${sub.remoteUri}>;tag=${sub.remoteTag}`)
      .add('Call-ID', sub.callId)
      .add('CSeq', `${++sub.localCseq} NOTIFY`)
      .add('Contact', this.contact(sub.peer.transport))
      .add('Event', sub.eventId ? `xcap-diff;id=${sub.eventId}` : 'xcap-diff')
      .add('Subscription-State', state);
    if (body !== null) headers.add('Content-Type', XCAP_DIFF_MIME);
    let target: SipTarget;
    try {
      target = this.nextHop(sub);
    } catch (e) {
      this.options.logger.warn({ err: (e as Error).message, callId: sub.callId }, 'xcap-diff subscriber cannot be reached');
      this.notifies.inc({ outcome: 'unroutable' });
      return false;
    }
    try {
      const response = await this.options.endpoint.request(
        { kind: 'request', method: 'NOTIFY', uri: sub.remoteTarget, headers, body: Buffer.from(body ?? '', 'utf8') },
        target,
        { timeoutMs: this.options.notifyTimeoutMs, ...(sub.peer.socket ? { socket: sub.peer.socket } : {}) },
      );
      const ok = response.status >= 200 && response.status < 300;
      this.notifies.inc({ outcome: ok ? 'ok' : String(response.status) });
      if (!ok) this.options.logger.info({ callId: sub.callId, status: response.status }, 'xcap-diff NOTIFY refused; subscription ended');
      return ok;
    } catch (e) {
      this.notifies.inc({ outcome: e instanceof SipTimeoutError ? 'timeout' : 'error' });
      this.options.logger.info({ callId: sub.callId, err: (e as Error).message }, 'xcap-diff NOTIFY failed; subscription ended');
      return false;
    }
  }

  /** Where in-dialog requests go: the first route when there is a route set, else the remote target. */
  private nextHop(sub: Subscription): SipTarget {
    const hop = sub.routeSet.length > 0 ? parseNameAddr(sub.routeSet[0]!).uri : sub.remoteTarget;
    const uri = parseSipUri(hop);
    const param = uri.params.get('transport')?.toLowerCase();
    const transport = param === 'tcp' ? 'tcp' : param === 'udp' ? 'udp' : sub.peer.transport;
    return { transport, host: uri.host, port: uri.port ?? 5060 };
  }

  private expire(sub: Subscription): void {
    sub.expiry = null;
    if (sub.ended) return;
    sub.finalPending = 'timeout';
    this.pump(sub);
  }

  private end(sub: Subscription): void {
    sub.ended = true;
    if (sub.expiry) clearTimeout(sub.expiry);
    if (sub.throttle) clearTimeout(sub.throttle);
    this.subscriptions.delete(dialogKey(sub.callId, sub.localTag, sub.remoteTag));
  }

  private checkIdle(): void {
    for (const s of this.subscriptions.values()) if (s.busy || s.pending.length > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  /** Resolves when no NOTIFY is outstanding and no change waits (tests). */
  idle(): Promise<void> {
    for (const s of this.subscriptions.values()) {
      if (s.busy || (s.pending.length > 0 && s.throttle === null)) return new Promise((resolve) => this.idleWaiters.push(resolve));
    }
    return Promise.resolve();
  }

  /** Ends every subscription with a last NOTIFY (reason=deactivated: the subscriber may re-subscribe at once). */
  async close(): Promise<void> {
    const all = [...this.subscriptions.values()];
    await Promise.race([
      Promise.all(
        all.map(async (sub) => {
          if (sub.ended || sub.busy) return;
          sub.ended = true;
          await this.notify(sub, 'terminated;reason=deactivated', null);
        }),
      ),
      new Promise((resolve) => setTimeout(resolve, 1000).unref()),
    ]);
    for (const sub of all) this.end(sub);
  }
}

function dialogKey(callId: string, localTag: string, remoteTag: string): string {
  return `${callId}\u0000${localTag}\u0000${remoteTag}`;
}

function parseMode(value: string | undefined): DiffProcessing {
  const v = (value ?? '').toLowerCase();
  return v === 'xcap-patching' || v === 'aggregate' ? v : 'no-patching';
}

function sameKey(a: DocumentKey, b: DocumentKey): boolean {
  return a.auid === b.auid && a.tree === b.tree && a.owner === b.owner && a.path === b.path;
}

function selectorOf(key: DocumentKey): DocumentSelector {
  return { auid: key.auid, tree: key.tree, xui: key.tree === 'users' ? key.owner : null, path: key.path };
}

function itemExists(item: DiffItem): boolean {
  return item.kind === 'document' || item.exists;
}
