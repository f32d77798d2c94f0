/**
 * Typed failures of the client. Every one extends XcapClientError and knows the
 * request it belongs to (method, URL) and, when the server answered, the status;
 * callers branch with `instanceof`. A 409's xcap-error body (RFC 4825 §11) is parsed
 * into `ConflictError.detail`.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { XCAP_ERROR_NAMESPACE } from '../xcap/errors.js';
import { parseXmlDocument } from '../xcap/xml/parser.js';
import type { XmlElement } from '../xcap/xml/tree.js';
import { childElements, textOf } from './xml-read.js';

export interface ErrorContext {
  readonly method: string;
  readonly url: string;
  /** The HTTP status, or null when no answer came (network errors, client-side checks). */
  readonly status: number | null;
  readonly statusText?: string;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: string;
}

export class XcapClientError extends Error {
  override readonly name: string = 'XcapClientError';
  readonly method: string;
  readonly url: string;
  readonly status: number | null;
  readonly statusText: string;
  readonly headers: IncomingHttpHeaders;
  /** The response body, '' when there was none. */
  readonly body: string;
  /** What went wrong, without the request: the message is `<status> <text>: <reason> (<METHOD> <url>)`. */
  readonly reason: string;

  constructor(context: ErrorContext, reason: string, options?: { cause?: unknown }) {
    const status = context.status === null ? '' : `${context.status} ${context.statusText ?? ''}`.trim() + ': ';
    super(`${status}${reason} (${context.method} ${context.url})`, options);
    this.method = context.method;
    this.url = context.url;
    this.status = context.status;
    this.statusText = context.statusText ?? '';
    this.headers = context.headers ?? {};
    this.body = context.body ?? '';
    this.reason = reason;
  }

  /** The document's ETag the server sent with the failure, if any. */
  get etag(): string | null {
    const e = this.headers.etag;
    return typeof e === 'string' ? e : null;
  }
}

/** 304, only when a caller asked for it as an error (`notModified: 'error'`). */
export class NotModifiedError extends XcapClientError {
  override readonly name = 'NotModifiedError';
}

export class BadRequestError extends XcapClientError {
  override readonly name = 'BadRequestError';
}

export class UnauthorizedError extends XcapClientError {
  override readonly name = 'UnauthorizedError';
  /** The schemes and realm the server challenged with, e.g. `Digest realm="example.com"`. */
  readonly challenges: readonly string[];
  /** Whether credentials were sent (false: no password was configured). */
  readonly credentialsSent: boolean;

  constructor(context: ErrorContext, reason: string, challenges: readonly string[], credentialsSent: boolean) {
    super(context, reason);
    this.challenges = challenges;
    this.credentialsSent = credentialsSent;
  }
}

export class ForbiddenError extends XcapClientError {
  override readonly name = 'ForbiddenError';
}

export class NotFoundError extends XcapClientError {
  override readonly name = 'NotFoundError';
}

export class MethodNotAllowedError extends XcapClientError {
  override readonly name = 'MethodNotAllowedError';
  get allow(): string[] {
    const a = this.headers.allow;
    return typeof a === 'string' ? a.split(',').map((m) => m.trim()).filter(Boolean) : [];
  }
}

/** One `<exists>` of a uniqueness-failure. */
export interface ConflictExists {
  /** Relative URI (document-relative node selector) of the non-unique field. */
  readonly field: string;
  /** Values the server suggests instead. */
  readonly altValues: readonly string[];
}

export interface ConflictDetail {
  /** The error element's name: `uniqueness-failure`, `no-parent`, `schema-validation-error`, ... or an extension's. */
  readonly kind: string;
  readonly phrase: string | null;
  /** For no-parent: the closest existing ancestor's HTTP URI, when the server names it. */
  readonly ancestor: string | null;
  readonly exists: readonly ConflictExists[];
}

export class ConflictError extends XcapClientError {
  override readonly name = 'ConflictError';
  /** The parsed xcap-error document; null when the 409 carried none (or an unreadable one). */
  readonly detail: ConflictDetail | null;

  constructor(context: ErrorContext, detail: ConflictDetail | null) {
    super(context, detail ? describeConflict(detail) : 'the server refused the change (no xcap-error detail)');
    this.detail = detail;
  }
}

export class PreconditionFailedError extends XcapClientError {
  override readonly name = 'PreconditionFailedError';
}

export class UnsupportedMediaTypeError extends XcapClientError {
  override readonly name = 'UnsupportedMediaTypeError';
}

export class ServerError extends XcapClientError {
  override readonly name = 'ServerError';
}

/** Any other status that is not a success (413, 429, 501 from servers without a feature, ...). */
export class HttpError extends XcapClientError {
  override readonly name = 'HttpError';
}

/** No answer: refused connection, unknown host, TLS failure, reset. `code` is Node's (ECONNREFUSED, ...). */
export class NetworkError extends XcapClientError {
  override readonly name: string = 'NetworkError';
  readonly code: string | null;

  constructor(context: ErrorContext, reason: string, code: string | null, cause?: unknown) {
    super(context, reason, { cause });
    this.code = code;
  }
}

export class TimeoutError extends NetworkError {
  override readonly name = 'TimeoutError';
}

/** insert*: the node (or document) already exists, found before anything was written. */
export class AlreadyExistsError extends XcapClientError {
  override readonly name = 'AlreadyExistsError';
}

/** A selector or option the client refuses before sending anything. */
export class UsageError extends XcapClientError {
  override readonly name = 'UsageError';
}

/** The client's own settings are wrong (XCAP root, user, options); nothing was sent. */
export class ClientConfigError extends Error {
  override readonly name = 'ClientConfigError';
}

/** The server answered something the client cannot read (e.g. a malformed xcap-caps document). */
export class ProtocolError extends XcapClientError {
  override readonly name = 'ProtocolError';
}

function describeConflict(detail: ConflictDetail): string {
  let text = detail.kind;
  if (detail.phrase) text += `: ${detail.phrase}`;
  if (detail.ancestor) text += ` (closest existing ancestor: ${detail.ancestor})`;
  for (const e of detail.exists) {
    text += ` (not unique: ${e.field}`;
    if (e.altValues.length > 0) text += `; available: ${e.altValues.join(', ')}`;
    text += ')';
  }
  return text;
}

/** Reads an `application/xcap-error+xml` body; null when it is not one. */
export function parseXcapErrorBody(body: string): ConflictDetail | null {
  let root: XmlElement;
  try {
    root = parseXmlDocument(body).root;
  } catch {
    return null;
  }
  if (root.localName !== 'xcap-error' || root.namespace !== XCAP_ERROR_NAMESPACE) return null;
  const element = childElements(root)[0];
  if (element === undefined) return null;
  const phrase = element.attributes.find((a) => a.localName === 'phrase' && a.namespace === null)?.value ?? null;
  let ancestor: string | null = null;
  const exists: ConflictExists[] = [];
  for (const child of childElements(element)) {
    if (child.localName === 'ancestor') ancestor = textOf(child).trim();
    if (child.localName === 'exists') {
      const field = child.attributes.find((a) => a.localName === 'field' && a.namespace === null)?.value ?? '';
      const altValues = childElements(child)
        .filter((c) => c.localName === 'alt-value')
        .map((c) => textOf(c).trim());
      exists.push({ field, altValues });
    }
  }
  return { kind: element.localName, phrase, ancestor, exists };
}

/** The typed error for a non-success answer. */
export function errorForResponse(context: ErrorContext & { status: number }): XcapClientError {
  const body = context.body ?? '';
  const serverSays = firstLine(body);
  const said = (fallback: string) => (serverSays && !serverSays.startsWith('<') ? serverSays : fallback);
  switch (context.status) {
    case 304:
      return new NotModifiedError(context, 'not modified since the given ETag');
    case 400:
      return new BadRequestError(context, said('the server could not understand the request'));
    case 401: {
      const challenges = context.headers?.['www-authenticate'];
      return new UnauthorizedError(context, said('authentication required'), challenges ? [challenges] : [], false);
    }
    case 403:
      return new ForbiddenError(context, said('not allowed to access this resource'));
    case 404:
      return new NotFoundError(context, said('no such document or node'));
    case 405:
      return new MethodNotAllowedError(context, said('the resource does not allow this method'));
    case 409:
      return new ConflictError(context, parseXcapErrorBody(body));
    case 412:
      return new PreconditionFailedError(context, said('the document\'s ETag does not match the condition'));
    case 415:
      return new UnsupportedMediaTypeError(context, said('the server does not accept this Content-Type here'));
    default:
      if (context.status >= 500) return new ServerError(context, said('the server failed'));
      return new HttpError(context, said('unexpected answer'));
  }
}

function firstLine(body: string): string {
  const line = body.trim().split(/\r?\n/, 1)[0] ?? '';
  return line.length > 200 ? `${line.slice(0, 200)}...` : line;
}
