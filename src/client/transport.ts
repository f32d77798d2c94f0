/**
 * One HTTP exchange with the XCAP server over node:http(s): the request target goes
 * out exactly as built (XCAP URIs must not be re-encoded, and the Digest `uri` must
 * equal it), on keep-alive connections, with a bound on the whole exchange.
 */
import { Agent as HttpAgent, request as httpRequest, type IncomingHttpHeaders, type IncomingMessage } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';
import { NetworkError, TimeoutError } from './errors.js';
import type { XcapRoot } from './xcap-root.js';

export interface HttpRequest {
  readonly method: string;
  /** Path and query, sent as is. */
  readonly target: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: Buffer;
}

export interface HttpResponse {
  readonly status: number;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  /** Every header as the list of its values (WWW-Authenticate may repeat). */
  readonly headersDistinct: Readonly<Record<string, string[]>>;
  readonly body: string;
}

/** What a caller's `onExchange` hook sees, once per HTTP request sent (retries included). */
export interface HttpExchange {
  readonly url: string;
  readonly request: HttpRequest;
  readonly response?: HttpResponse;
  readonly error?: Error;
  readonly durationMs: number;
}

export interface TlsOptions {
  /** false accepts any certificate (self-signed test servers); only when asked. */
  readonly rejectUnauthorized?: boolean;
  /** Extra trusted CA certificates (PEM). */
  readonly ca?: string | Buffer | readonly (string | Buffer)[];
}

export interface TransportOptions {
  readonly root: XcapRoot;
  /** Bound on one exchange, from connecting to the last body byte. */
  readonly timeoutMs: number;
  readonly tls?: TlsOptions;
  readonly keepAlive?: boolean;
  readonly onExchange?: (exchange: HttpExchange) => void;
}

export class HttpTransport {
  readonly #options: TransportOptions;
  readonly #agent: HttpAgent | HttpsAgent;

  constructor(options: TransportOptions) {
    this.#options = options;
    const keepAlive = options.keepAlive ?? true;
    if (options.root.protocol === 'https:') {
      const tls = options.tls ?? {};
      this.#agent = new HttpsAgent({
        keepAlive,
        maxSockets: 8,
        rejectUnauthorized: tls.rejectUnauthorized ?? true,
        ...(tls.ca === undefined ? {} : { ca: tls.ca as string | Buffer | (string | Buffer)[] }),
      });
    } else {
      this.#agent = new HttpAgent({ keepAlive, maxSockets: 8 });
    }
  }

  /** Full URL of a request target, for messages. */
  urlOf(target: string): string {
    return this.#options.root.origin + target;
  }

  async send(request: HttpRequest): Promise<HttpResponse> {
    const started = performance.now();
    const url = this.urlOf(request.target);
    try {
      const response = await this.#sendWithReuseRetry(request);
      this.#options.onExchange?.({ url, request, response, durationMs: performance.now() - started });
      return response;
    } catch (e) {
      const error = this.#asNetworkError(e, request, url);
      this.#options.onExchange?.({ url, request, error, durationMs: performance.now() - started });
      throw error;
    }
  }

  /** Releases the kept-alive connections so that the process can exit. */
  close(): void {
    this.#agent.destroy();
  }

  async #sendWithReuseRetry(request: HttpRequest): Promise<HttpResponse> {
    try {
      return await this.#sendOnce(request);
    } catch (e) {
      // A kept-alive connection the server closed meanwhile: every XCAP method is
      // idempotent, so sending again on a fresh connection is safe.
      if ((e as { reusedSocket?: boolean }).reusedSocket && (e as NodeJS.ErrnoException).code === 'ECONNRESET') {
        return this.#sendOnce(request);
      }
      throw e;
    }
  }

  #sendOnce(request: HttpRequest): Promise<HttpResponse> {
    const { root, timeoutMs } = this.#options;
    const send = root.protocol === 'https:' ? httpsRequest : httpRequest;
    const headers: Record<string, string> = { ...request.headers };
    if (request.body !== undefined) headers['Content-Length'] = String(request.body.length);
    return new Promise<HttpResponse>((resolve, reject) => {
      const req = send(
        {
          host: root.hostname,
          port: root.port,
          method: request.method,
          path: request.target,
          headers,
          agent: this.#agent,
        },
        (res: IncomingMessage) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () => {
            clearTimeout(timer);
            resolve({
              status: res.statusCode ?? 0,
              statusText: res.statusMessage ?? '',
              headers: res.headers,
              headersDistinct: res.headersDistinct as Record<string, string[]>,
              body: Buffer.concat(chunks).toString('utf8'),
            });
          });
          res.on('error', (e) => {
            clearTimeout(timer);
            reject(e);
          });
        },
      );
      const timer = setTimeout(() => {
        req.destroy(new TimeoutError({ method: request.method, url: this.urlOf(request.target), status: null }, `no complete answer within ${timeoutMs} ms`, 'ETIMEDOUT'));
      }, timeoutMs);
      req.on('error', (e: Error) => {
        clearTimeout(timer);
        Object.assign(e, { reusedSocket: req.reusedSocket });
        reject(e);
      });
      req.end(request.body);
    });
  }

  #asNetworkError(e: unknown, request: HttpRequest, url: string): NetworkError {
    if (e instanceof NetworkError) return e;
    const err = e as NodeJS.ErrnoException;
    const code = typeof err.code === 'string' ? err.code : null;
    const context = { method: request.method, url, status: null };
    return new NetworkError(context, describeNetworkFailure(code, err.message, this.#options.root.origin), code, e);
  }
}

function describeNetworkFailure(code: string | null, message: string, origin: string): string {
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot connect to ${origin}: connection refused (is the server running, and is the XCAP root right?)`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot resolve the host of ${origin}`;
    case 'ECONNRESET':
      return `the connection to ${origin} was reset`;
    case 'EHOSTUNREACH':
    case 'ENETUNREACH':
      return `${origin} is unreachable`;
    case 'DEPTH_ZERO_SELF_SIGNED_CERT':
    case 'SELF_SIGNED_CERT_IN_CHAIN':
    case 'UNABLE_TO_VERIFY_LEAF_SIGNATURE':
    case 'CERT_HAS_EXPIRED':
    case 'ERR_TLS_CERT_ALTNAME_INVALID':
      return `the TLS certificate of ${origin} is not trusted (${code}); give its CA, or accept it explicitly (rejectUnauthorized: false / --insecure)`;
    default:
      return `cannot talk to ${origin}: ${message}`;
  }
}
