/**
 * The HTTP shell: raw request target → XCAP URI, authentication, body, the service,
 * the response. Built on node:http because XCAP needs the request target exactly as
 * sent (frameworks decode or normalize it).
 */
import { createServer as createHttpServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createHttpsServer } from 'node:https';
import { readFileSync } from 'node:fs';
import type { AddressInfo } from 'node:net';
import type { Logger } from 'pino';
import type { Requester } from '../appusages/types.js';
import { ConfigError, DEFAULT_CONFIG, parseListen, type ServerConfig } from '../config.js';
import { rewritePhoneTarget } from '../phonebook/phone-url.js';
import { XcapService, type DocumentChange, type XcapMethod, type XcapRequest, type XcapResponse } from '../service/xcap-service.js';
import { CachingStorage } from '../storage/cache.js';
import type { Storage } from '../storage/types.js';
import { ParsedDocumentCache } from '../service/parsed-documents.js';
import type { UserDirectory } from '../auth/user-directory.js';
import { MethodNotAllowedError, NotFoundError, PayloadTooLargeError, ServiceUnavailableError, XcapError } from '../xcap/errors.js';
import { normalizeRootPath, parseXcapPath, stripRoot } from '../xcap/uri.js';
import { Authenticator } from './authenticate.js';
import { readBody } from './body.js';
import { ByteBudget } from './byte-budget.js';

const XCAP_METHODS = new Set<string>(['GET', 'HEAD', 'PUT', 'DELETE']);
const ALLOW = 'GET, HEAD, PUT, DELETE';

export interface XcapHttpServerOptions {
  readonly config: ServerConfig;
  readonly storage: Storage;
  readonly logger: Logger;
  readonly onChange?: (change: DocumentChange) => void;
  /** Where users come from (e.g. the SIP server's subscriber table); default: xcapd's users in `storage`. */
  readonly users?: UserDirectory;
  /** The change feed (src/notify/feed.ts), served at its path outside the XCAP root with XCAP's authentication. */
  readonly feed?: ChangeFeedEndpoint;
  /** Served at GET /metrics (Prometheus text format), without authentication like /health. */
  readonly metrics?: { render(): string };
  /**
   * Where authenticated PUTs and DELETEs are carried out instead of this process's
   * service (with --workers: the one worker that writes, so that writers never race
   * across processes). Refusals come back as rendered responses.
   */
  readonly writes?: (request: XcapRequest) => Promise<XcapResponse>;
}

export interface ChangeFeedEndpoint {
  readonly path: string;
  serve(req: IncomingMessage, res: ServerResponse, requester: Requester, query: URLSearchParams): void;
  close(): Promise<void>;
}

export interface RunningServer {
  readonly server: Server;
  /** e.g. `http://127.0.0.1:8080` */
  readonly origin: string;
  /** e.g. `http://127.0.0.1:8080/xcap-root` */
  readonly rootUrl: string;
  readonly service: XcapService;
  /** Carries out a request another worker process forwarded to this one (see `writes`). */
  readonly handleForwarded: (request: XcapRequest) => Promise<XcapResponse>;
  close(): Promise<void>;
}

export class XcapHttpHandler {
  readonly service: XcapService;
  private readonly authenticator: Authenticator;
  private readonly rootPath: string;
  private readonly secure: boolean;
  /** Snom phones' root-less directory URLs → XCAP URIs; null when switched off. */
  private readonly phoneTarget: ((target: string) => string | null) | null;
  /** Request bodies held by this process, read here or forwarded to it. */
  private readonly bodies: ByteBudget;

  constructor(private readonly options: XcapHttpServerOptions) {
    const { config, storage } = options;
    this.bodies = new ByteBudget(Math.max(config.maxBodyBytes, config.maxBodyBytesInFlight ?? DEFAULT_CONFIG.maxBodyBytesInFlight));
    this.rootPath = normalizeRootPath(config.root);
    this.secure = config.tlsCert !== '';
    const cacheBytes = (config.cacheMb ?? DEFAULT_CONFIG.cacheMb) * 1024 * 1024;
    this.service = new XcapService({
      storage: cacheBytes > 0 ? new CachingStorage(storage, { maxBytes: cacheBytes / 4 }) : storage,
      ...(cacheBytes > 0 ? { parsedDocuments: new ParsedDocumentCache((cacheBytes * 3) / 4) } : {}),
      ...(options.onChange ? { onChange: options.onChange } : {}),
    });
    this.authenticator = new Authenticator({
      mode: config.auth,
      storage,
      ...(options.users ? { users: options.users } : {}),
      realm: config.realm || null,
      defaultRealm: config.defaultRealm,
      trustedProxies: config.trustedProxies,
      nonceLifetimeMs: config.nonceLifetime * 1000,
      ...(config.digestSecret ? { digestSecret: Buffer.from(config.digestSecret, 'utf8') } : {}),
    });
    const phonePath = config.phonePath ?? DEFAULT_CONFIG.phonePath;
    const phoneAuid = config.phoneAuid ?? DEFAULT_CONFIG.phoneAuid;
    if (phonePath !== 'off' && !this.service.registry.get(phoneAuid)) throw new ConfigError(`phoneAuid: no application usage ${phoneAuid}`);
    const registry = this.service.registry;
    this.phoneTarget =
      phonePath === 'off'
        ? null
        : (target) => rewritePhoneTarget(target, { phonePath, auid: phoneAuid, rootPath: this.rootPath, isRegisteredAuid: (a) => registry.get(a) !== undefined });
  }

  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    const started = process.hrtime.bigint();
    let user: string | null = null;
    this.dispatch(req, res, (r) => {
      user = r.userId;
    })
      .catch((e: unknown) => this.fail(res, e))
      .finally(() => {
        const ms = Number(process.hrtime.bigint() - started) / 1e6;
        this.options.logger.info(
          { method: req.method, url: req.url, status: res.statusCode, ms: Math.round(ms * 100) / 100, user, client: req.socket.remoteAddress },
          'request',
        );
      });
  };

  private async dispatch(req: IncomingMessage, res: ServerResponse, identified: (r: Requester) => void): Promise<void> {
    const target = req.url ?? '/';
    if (target === '/health' || target.startsWith('/health?')) {
      send(res, 200, { 'Content-Type': 'application/json' }, '{"status":"ok"}\n', req.method === 'HEAD');
      return;
    }
    if (this.options.metrics && (target === '/metrics' || target.startsWith('/metrics?'))) {
      send(res, 200, { 'Content-Type': 'text/plain; version=0.0.4; charset=utf-8' }, this.options.metrics.render(), req.method === 'HEAD');
      return;
    }
    const feed = this.options.feed;
    if (feed && (target === feed.path || target.startsWith(`${feed.path}?`))) {
      await this.serveFeed(req, res, feed, identified);
      return;
    }
    // Digest signs the target as sent (req.url); only the XCAP parsing sees the rewritten one.
    const relative = stripRoot(this.phoneTarget?.(target) ?? target, this.rootPath);
    if (relative === null) throw new NotFoundError(`not an XCAP URI: the XCAP root is ${this.rootPath || '/'}`);
    const method = req.method ?? 'GET';
    if (!XCAP_METHODS.has(method)) {
      if (method === 'OPTIONS') {
        send(res, 200, { Allow: ALLOW }, null, true);
        return;
      }
      throw new MethodNotAllowedError(`${method} is not an XCAP method`, ALLOW.split(', '));
    }
    const uri = parseXcapPath(relative);
    // Resolve before authenticating so an unknown AUID is a 404 without a challenge round trip.
    const resolved = this.service.resolve(uri);
    const auth = await this.authenticator.authenticate(req, uri.document.xui);
    if (!auth.ok) {
      await drain(req);
      send(res, auth.status, { ...auth.headers, 'Content-Type': 'text/plain; charset=utf-8' }, `${auth.message}\n`, method === 'HEAD');
      return;
    }
    identified(auth.requester);
    const body = method === 'PUT' ? await this.readHeldBody(req, res) : undefined;
    const request: XcapRequest = {
      method: method as XcapMethod,
      uri,
      requester: auth.requester,
      ...(body ? { body } : {}),
      contentType: req.headers['content-type'] ?? null,
      preconditions: { ifMatch: header(req, 'if-match'), ifNoneMatch: header(req, 'if-none-match') },
      rootUri: this.rootUri(req),
      client: { address: req.socket.remoteAddress ?? '', userAgent: header(req, 'user-agent') ?? '' },
    };
    const writes = this.options.writes;
    const response = writes && (method === 'PUT' || method === 'DELETE') ? await writes(request) : await this.service.handle(request, resolved);
    const headers: Record<string, string | string[]> = { ...response.headers };
    if (auth.authenticationInfo) headers['Authentication-Info'] = auth.authenticationInfo;
    send(res, response.status, headers, response.body, method === 'HEAD');
  }

  /** Reads a PUT body when this process can hold it now; it counts as held until the response is done. */
  private async readHeldBody(req: IncomingMessage, res: ServerResponse): Promise<Buffer> {
    const max = this.options.config.maxBodyBytes;
    const declared = Number(req.headers['content-length']);
    // A body of unknown length may be as long as maxBodyBytes.
    const bytes = Number.isSafeInteger(declared) && declared >= 0 ? Math.min(declared, max) : max;
    res.once('close', this.hold(bytes));
    return readBody(req, max);
  }

  /** Counts `bytes` of body as held, or refuses with 503; returns what gives them back. */
  private hold(bytes: number): () => void {
    if (!this.bodies.tryTake(bytes)) {
      throw new ServiceUnavailableError('the server is holding as many request bodies as it may; try again shortly');
    }
    return () => this.bodies.give(bytes);
  }

  private async serveFeed(req: IncomingMessage, res: ServerResponse, feed: ChangeFeedEndpoint, identified: (r: Requester) => void): Promise<void> {
    if (req.method !== 'GET') throw new MethodNotAllowedError('the change feed is read with GET', ['GET']);
    const query = new URLSearchParams((req.url ?? '').split('?')[1] ?? '');
    const auth = await this.authenticator.authenticate(req, query.get('user'));
    if (!auth.ok) {
      send(res, auth.status, { ...auth.headers, 'Content-Type': 'text/plain; charset=utf-8' }, `${auth.message}\n`, false);
      return;
    }
    identified(auth.requester);
    feed.serve(req, res, auth.requester, query);
  }

  /** The absolute XCAP root as this client reached it (for `no-parent` ancestors and directory entries). */
  private rootUri(req: IncomingMessage): string {
    const host = req.headers.host;
    const config = this.options.config;
    const authority = host && /^[A-Za-z0-9.\-_~]+(:\d+)?$|^\[[0-9A-Fa-f:.]+\](:\d+)?$/.test(host) ? host : config.listen;
    return `${this.secure ? 'https' : 'http'}://${authority}${this.rootPath}`;
  }

  private fail(res: ServerResponse, e: unknown): void {
    if (res.headersSent) {
      res.destroy();
      return;
    }
    // The body was not read: the connection cannot carry another request.
    if (e instanceof PayloadTooLargeError || (e instanceof ServiceUnavailableError && !res.req.readableEnded)) res.setHeader('Connection', 'close');
    const response = errorResponse(e, this.options.logger, res.req.url);
    send(res, response.status, response.headers, response.body, res.req.method === 'HEAD' && response.status !== 500);
  }

  /** The service's answer to a request another process forwarded (see `writes`), refusals rendered. */
  async handleForwarded(request: XcapRequest): Promise<XcapResponse> {
    let release = (): void => undefined;
    try {
      release = this.hold(request.body?.byteLength ?? 0);
      return await this.service.handle(request);
    } catch (e) {
      return errorResponse(e, this.options.logger, request.uri.document.path);
    } finally {
      release();
    }
  }
}

/** The response for a refusal (its status and body), or a logged 500 for anything else. */
export function errorResponse(e: unknown, logger: Logger, url: string | undefined): XcapResponse {
  if (e instanceof XcapError) {
    const { contentType, body } = e.render();
    return { status: e.status, headers: { ...e.headers, 'Content-Type': contentType }, body };
  }
  logger.error({ err: e, url }, 'internal error');
  return { status: 500, headers: { 'Content-Type': 'text/plain; charset=utf-8' }, body: 'internal server error\n' };
}

function header(req: IncomingMessage, name: string): string | null {
  const v = req.headers[name];
  if (v === undefined) return null;
  return Array.isArray(v) ? v.join(', ') : v;
}

function send(
  res: ServerResponse,
  status: number,
  headers: Record<string, string | string[]>,
  body: string | null,
  headOnly: boolean,
): void {
  res.statusCode = status;
  for (const [k, v] of Object.entries(headers)) res.setHeader(k, v);
  if (body !== null) res.setHeader('Content-Length', Buffer.byteLength(body, 'utf8'));
  else if (status !== 304 && status !== 204) res.setHeader('Content-Length', 0);
  // A string, not a Buffer: node then sends the head and the body in one write.
  res.end(headOnly || body === null ? undefined : body, 'utf8');
}

/** Reads and discards what the client still sends, so a keep-alive connection stays usable. */
async function drain(req: IncomingMessage): Promise<void> {
  if (req.readableEnded) return;
  await new Promise<void>((resolve) => {
    let seen = 0;
    req.on('data', (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > 64 * 1024) {
        req.destroy();
        resolve();
      }
    });
    req.on('end', resolve);
    req.on('error', () => resolve());
    req.on('close', resolve);
  });
}

/** Starts listening; resolves once the port is bound. */
export async function startXcapServer(options: XcapHttpServerOptions): Promise<RunningServer> {
  const { config } = options;
  const handler = new XcapHttpHandler(options);
  const server =
    config.tlsCert !== ''
      ? createHttpsServer({ cert: readFileSync(config.tlsCert), key: readFileSync(config.tlsKey) }, handler.handle)
      : createHttpServer(handler.handle);
  server.keepAliveTimeout = 65_000;
  // A client may half-close its side once the request is sent; without this, node
  // drops the answer of any request still awaiting storage (always so on PostgreSQL).
  (server as { httpAllowHalfOpen?: boolean }).httpAllowHalfOpen = true;
  server.headersTimeout = 66_000;
  server.requestTimeout = 120_000;
  const { host, port } = parseListen(config.listen);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const shownHost = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  const origin = `${config.tlsCert !== '' ? 'https' : 'http'}://${shownHost}:${address.port}`;
  return {
    server,
    origin,
    rootUrl: `${origin}${normalizeRootPath(config.root)}`,
    service: handler.service,
    handleForwarded: (request) => handler.handleForwarded(request),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        // Change feed streams never end by themselves.
        void options.feed?.close();
      }),
  };
}
