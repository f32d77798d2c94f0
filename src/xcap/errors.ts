/**
 * The one error model of the XCAP core. Every refusal is a value that knows its HTTP
 * status and how to render its body; the HTTP layer renders it and decides nothing.
 *
 * RFC 4825 §11: conflicts are 409 with an `application/xcap-error+xml` body.
 * Other refusals (bad URI, unknown resource, method, media type, preconditions,
 * sizes) carry their own status and a short plain-text explanation.
 */
import { escapeAttribute, escapeText } from './xml/escape.js';

export const XCAP_ERROR_NAMESPACE = 'urn:ietf:params:xml:ns:xcap-error';
export const XCAP_ERROR_MIME = 'application/xcap-error+xml';

/** The conflict elements of RFC 4825 §11.2. */
export type ConflictKind =
  | 'not-well-formed'
  | 'not-xml-frag'
  | 'no-parent'
  | 'schema-validation-error'
  | 'not-xml-att-value'
  | 'cannot-insert'
  | 'cannot-delete'
  | 'uniqueness-failure'
  | 'constraint-failure'
  | 'not-utf-8';

/** One `<exists>` of a `uniqueness-failure`: which field collided, and values that would not. */
export interface UniquenessExists {
  /** A node selector naming the element or attribute whose value is not unique. */
  readonly field: string;
  readonly altValues: readonly string[];
}

export interface ErrorBody {
  readonly contentType: string;
  readonly body: string;
}

export class XcapError extends Error {
  override readonly name: string = 'XcapError';
  constructor(
    readonly status: number,
    message: string,
    /** Extra response headers (e.g. `Allow` for 405). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(message);
  }

  render(): ErrorBody {
    return { contentType: 'text/plain; charset=utf-8', body: `${this.message}\n` };
  }
}

/** 400: the request URI or a header cannot be understood. */
export class BadRequestError extends XcapError {
  override readonly name = 'BadRequestError';
  constructor(message: string) {
    super(400, message);
  }
}

/** 404: no such application usage, document or node. */
export class NotFoundError extends XcapError {
  override readonly name = 'NotFoundError';
  constructor(message: string) {
    super(404, message);
  }
}

/** 405, with the methods the resource does allow. */
export class MethodNotAllowedError extends XcapError {
  override readonly name = 'MethodNotAllowedError';
  constructor(
    message: string,
    readonly allow: readonly string[],
  ) {
    super(405, message, { Allow: allow.join(', ') });
  }
}

/** 415: the Content-Type does not fit what the URI selects. */
export class UnsupportedMediaTypeError extends XcapError {
  override readonly name = 'UnsupportedMediaTypeError';
  constructor(message: string) {
    super(415, message);
  }
}

/** 412: If-Match / If-None-Match did not hold. */
export class PreconditionFailedError extends XcapError {
  override readonly name = 'PreconditionFailedError';
  constructor(message = 'precondition failed: the document\'s entity tag does not match') {
    super(412, message);
  }
}

/** 413: the body is larger than the server accepts. */
export class PayloadTooLargeError extends XcapError {
  override readonly name = 'PayloadTooLargeError';
  constructor(message: string) {
    super(413, message);
  }
}

/** 503: the server cannot take this request now; `Retry-After` says when to try again. */
export class ServiceUnavailableError extends XcapError {
  override readonly name = 'ServiceUnavailableError';
  constructor(message: string, retryAfterSeconds = 1) {
    super(503, message, { 'Retry-After': String(retryAfterSeconds) });
  }
}

/** 403: authenticated, but not allowed to do this. */
export class ForbiddenError extends XcapError {
  override readonly name = 'ForbiddenError';
  constructor(message: string) {
    super(403, message);
  }
}

/** 409 with the xcap-error document of RFC 4825 §11. */
export class XcapConflictError extends XcapError {
  override readonly name = 'XcapConflictError';
  readonly conflict: ConflictKind;
  /** A human-readable explanation, sent as the `phrase` attribute. */
  readonly phrase: string;
  /** For `no-parent`: the absolute HTTP URI of the closest existing ancestor, once the HTTP layer knows it. */
  readonly ancestor: string | null;
  /** For `no-parent`: the element selector of the closest existing ancestor ('' for the document itself, null when the document does not exist). */
  readonly ancestorSelector: string | null;
  /** For `uniqueness-failure`. */
  readonly exists: readonly UniquenessExists[];

  constructor(
    conflict: ConflictKind,
    phrase: string,
    details: {
      ancestor?: string | null;
      ancestorSelector?: string | null;
      exists?: readonly UniquenessExists[];
    } = {},
  ) {
    super(409, `${conflict}: ${phrase}`);
    this.conflict = conflict;
    this.phrase = phrase;
    this.ancestor = details.ancestor ?? null;
    this.ancestorSelector = details.ancestorSelector ?? null;
    this.exists = details.exists ?? [];
  }

  /** The same conflict with the ancestor's absolute URI filled in. */
  withAncestor(ancestor: string): XcapConflictError {
    return new XcapConflictError(this.conflict, this.phrase, {
      ancestor,
      ancestorSelector: this.ancestorSelector,
      exists: this.exists,
    });
  }

  override render(): ErrorBody {
    return { contentType: XCAP_ERROR_MIME, body: renderXcapErrorDocument(this) };
  }
}

export function renderXcapErrorDocument(error: XcapConflictError): string {
  const phrase = error.phrase ? ` phrase=${quoteAttribute(error.phrase)}` : '';
  let inner = '';
  if (error.conflict === 'no-parent' && error.ancestor !== null) {
    inner = `<ancestor>${escapeText(error.ancestor)}</ancestor>`;
  } else if (error.conflict === 'uniqueness-failure') {
    inner = error.exists
      .map(
        (e) =>
          `<exists field=${quoteAttribute(e.field)}>` +
          e.altValues.map((v) => `<alt-value>${escapeText(v)}</alt-value>`).join('') +
          '</exists>',
      )
      .join('');
  }
  const element = inner
    ? `<${error.conflict}${phrase}>${inner}</${error.conflict}>`
    : `<${error.conflict}${phrase}/>`;
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<xcap-error xmlns="${XCAP_ERROR_NAMESPACE}">${element}</xcap-error>\n`
  );
}

function quoteAttribute(value: string): string {
  return `"${escapeAttribute(value, '"')}"`;
}
