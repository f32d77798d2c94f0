/**
 * XCAP URIs (RFC 4825 §6): parsing the raw request target a client sent, and
 * building targets for a client.
 *
 *   <root>/<auid>/users/<xui>/<path...>[/~~/<node-selector>][?xmlns(p=uri)...]
 *   <root>/<auid>/global/<path...>[/~~/<node-selector>][?xmlns(p=uri)...]
 *
 * Real clients spell the same URI differently: python-xcaplib sends `[ ] " @ =`
 * unencoded, Android percent-encodes them. Parsing percent-decodes each document
 * selector segment and the node selector as a whole, so both select the same thing.
 */
import { BadRequestError, NotFoundError } from './errors.js';
import { isNcName } from './xml/escape.js';

export type Tree = 'users' | 'global';

export interface DocumentSelector {
  readonly auid: string;
  readonly tree: Tree;
  /** The XUI as written in the URI (decoded) for the users tree; null for global. */
  readonly xui: string | null;
  /** The document path below the user's or global directory, decoded, '/'-separated. */
  readonly path: string;
}

export interface XcapUri {
  readonly document: DocumentSelector;
  /** The percent-decoded node selector, or null when the URI names the whole document. */
  readonly nodeSelector: string | null;
  /** Prefix → namespace URI from the query's xmlns() parts. */
  readonly namespaceBindings: ReadonlyMap<string, string>;
}

export const NODE_SELECTOR_SEPARATOR = '~~';

/** Normalizes a configured XCAP root path: leading '/', no trailing '/'; '' for the server root. */
export function normalizeRootPath(root: string): string {
  let r = root.trim();
  if (!r.startsWith('/')) r = `/${r}`;
  while (r.endsWith('/')) r = r.slice(0, -1);
  return r;
}

/**
 * Splits a raw request target (as in the HTTP request line) below the XCAP root.
 * Returns null when the target is not under the root at all.
 */
export function stripRoot(target: string, rootPath: string): string | null {
  if (rootPath === '') return target.startsWith('/') ? target.slice(1) : null;
  if (!target.startsWith(rootPath)) return null;
  const rest = target.slice(rootPath.length);
  if (rest === '' || rest === '?' ) return '';
  if (rest[0] !== '/') return null;
  return rest.slice(1);
}

/**
 * Parses what follows the XCAP root in a raw request target
 * (`resource-lists/users/sip:alice@example.com/index/~~/...?...`).
 */
export function parseXcapPath(relative: string): XcapUri {
  const q = relative.indexOf('?');
  const rawPath = q < 0 ? relative : relative.slice(0, q);
  const rawQuery = q < 0 ? '' : relative.slice(q + 1);

  let rawDocument = rawPath;
  let nodeSelector: string | null = null;
  const sep = SEPARATOR_SEGMENT.exec(rawPath);
  if (sep !== null) {
    if (sep[1] === undefined) throw new BadRequestError('the node selector after "~~" is missing');
    rawDocument = rawPath.slice(0, sep.index);
    nodeSelector = percentDecode(rawPath.slice(sep.index + sep[0].length), 'node selector');
    if (nodeSelector === '') throw new BadRequestError('the node selector after "~~/" is empty');
  }

  const document = parseDocumentSelector(rawDocument);
  const namespaceBindings = parseXmlnsQuery(rawQuery);
  return { document, nodeSelector, namespaceBindings };
}

/**
 * The first `~~` path segment with the '/' before it and the one after it (group 1,
 * absent when `~~` ends the path). RFC 4825 §6: `%7E%7E` is equivalent to `~~`.
 */
const SEPARATOR_SEGMENT = /\/(?:~|%7[Ee]){2}(\/|$)/;

function parseDocumentSelector(raw: string): DocumentSelector {
  const segments = raw.split('/').map((s) => percentDecode(s, 'document selector'));
  const [auid, tree, ...rest] = segments;
  if (!auid) throw new NotFoundError('the URI names no application usage');
  if (isDotSegment(auid)) throw new BadRequestError(`invalid application usage '${auid}'`);
  if (tree === undefined || tree === '') throw new NotFoundError(`the URI names no document tree below ${auid}/ (expected users or global)`);
  if (tree !== 'users' && tree !== 'global') {
    throw new NotFoundError(`unknown document tree '${tree}' (expected users or global)`);
  }
  let xui: string | null = null;
  if (tree === 'users') {
    const first = rest.shift();
    if (first === undefined || first === '') throw new NotFoundError('the URI names no user below users/');
    if (isDotSegment(first)) throw new BadRequestError(`invalid XUI '${first}'`);
    xui = first;
  }
  if (rest.length === 0 || rest[rest.length - 1] === '') {
    throw new NotFoundError('the URI names a directory, not a document');
  }
  for (const segment of rest) {
    if (segment === '' || isDotSegment(segment)) {
      throw new BadRequestError(`invalid document path segment '${segment}'`);
    }
    if (segment.includes('/')) throw new BadRequestError('a document path segment may not contain an encoded "/"');
  }
  return { auid, tree, xui, path: rest.join('/') };
}

/** '.' and '..' (also written %2E) are removed by URI normalization, so they can name nothing. */
function isDotSegment(segment: string): boolean {
  return segment === '.' || segment === '..';
}

/**
 * The query of an XCAP URI: a sequence of XPointer `xmlns(prefix=namespace)` parts
 * (RFC 4825 §6.3, XPointer xmlns() scheme). `^` escapes `(`, `)` and `^`.
 */
export function parseXmlnsQuery(rawQuery: string): Map<string, string> {
  const bindings = new Map<string, string>();
  if (rawQuery === '') return bindings;
  const query = percentDecode(rawQuery, 'query');
  let pos = 0;
  const skipSpace = (): void => {
    while (pos < query.length && isSpace(query.charCodeAt(pos))) pos++;
  };
  skipSpace();
  while (pos < query.length) {
    const open = query.indexOf('(', pos);
    if (open < 0) throw new BadRequestError(`the query is not an XPointer expression: '${query.slice(pos, pos + 40)}'`);
    const scheme = query.slice(pos, open);
    if (!/^[A-Za-z_][\w.\-]*(:[A-Za-z_][\w.\-]*)?$/.test(scheme)) {
      throw new BadRequestError(`the query is not an XPointer expression: '${query.slice(pos, pos + 40)}'`);
    }
    pos = open + 1;
    let data = '';
    let depth = 0;
    let closed = false;
    while (pos < query.length) {
      const c = query[pos]!;
      if (c === '^') {
        const next = query[pos + 1];
        if (next !== '(' && next !== ')' && next !== '^') throw new BadRequestError('invalid "^" escape in the query');
        data += next;
        pos += 2;
        continue;
      }
      pos++;
      if (c === '(') depth++;
      if (c === ')') {
        if (depth === 0) {
          closed = true;
          break;
        }
        depth--;
      }
      data += c;
    }
    if (!closed) throw new BadRequestError(`the ${scheme}() part of the query is not closed with ")"`);
    // RFC 4825 §6.4: parts of other XPointer schemes are ignored.
    if (scheme === 'xmlns') addBinding(bindings, data);
    skipSpace();
  }
  return bindings;
}

function addBinding(bindings: Map<string, string>, data: string): void {
  const eq = data.indexOf('=');
  if (eq < 0) throw new BadRequestError(`xmlns(${data}) has no "="`);
  const prefix = data.slice(0, eq).trim();
  const uri = data.slice(eq + 1).trim();
  if (!isNcName(prefix)) throw new BadRequestError(`'${prefix}' is not a valid namespace prefix in xmlns()`);
  if (uri === '') throw new BadRequestError(`empty namespace for prefix '${prefix}' in xmlns()`);
  // The xmlns() scheme ignores an attempt to rebind xml; xmlns can never be bound.
  if (prefix === 'xml') return;
  if (prefix === 'xmlns') throw new BadRequestError("the prefix 'xmlns' cannot be bound");
  bindings.set(prefix, uri);
}

function isSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** Strict percent-decoding: every `%` starts two hex digits and the bytes are UTF-8. */
export function percentDecode(s: string, where: string): string {
  if (!s.includes('%')) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new BadRequestError(`invalid percent-encoding in the ${where}`);
  }
}

// ---------------------------------------------------------------------------
// Building URIs (client side)

const PATH_SEGMENT_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@]/;
const NODE_SELECTOR_KEEP = /[A-Za-z0-9\-._~!$&'()*+,;=:@/]/;

function encodeWith(s: string, keep: RegExp): string {
  let out = '';
  for (const ch of s) {
    if (ch.length === 1 && keep.test(ch)) out += ch;
    else out += encodeURIComponent(ch).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  }
  return out;
}

/** Encodes one path segment (an AUID, an XUI, a document name): only what a path segment may not hold. */
export function encodePathSegment(segment: string): string {
  return encodeWith(segment, PATH_SEGMENT_KEEP);
}

/**
 * Encodes a node selector for the request target: `[ ] " %` space and non-ASCII are
 * encoded; `/` between steps stays; a `/` inside a quoted attribute value is encoded
 * so that servers that split the path before decoding still see one step.
 */
export function encodeNodeSelector(selector: string): string {
  let out = '';
  let quote: string | null = null;
  for (const ch of selector) {
    if (quote !== null) {
      if (ch === quote) quote = null;
      out += ch === '/' ? '%2F' : encodeWith(ch, NODE_SELECTOR_KEEP);
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    out += encodeWith(ch, NODE_SELECTOR_KEEP);
  }
  return out;
}

function escapeXmlnsNamespace(uri: string): string {
  return uri.replace(/[\^()]/g, (c) => `^${c}`);
}

export function buildXmlnsQuery(bindings: ReadonlyMap<string, string> | Readonly<Record<string, string>>): string {
  const entries = bindings instanceof Map ? [...bindings.entries()] : Object.entries(bindings);
  return entries
    .map(([p, u]) => `xmlns(${encodeWith(p, PATH_SEGMENT_KEEP)}=${encodeWith(escapeXmlnsNamespace(u), PATH_SEGMENT_KEEP)})`)
    .join('');
}

/**
 * A document selector segment that no encoding can carry: '' would merge with its
 * neighbours, '.' and '..' are removed by URI normalization (also as %2E), and `~~`
 * (also as %7E%7E) is the node selector separator.
 */
function encodeDocumentSegment(segment: string, what: string): string {
  if (segment === '' || segment === '.' || segment === '..' || segment === NODE_SELECTOR_SEPARATOR) {
    throw new TypeError(`the ${what} ${JSON.stringify(segment)} cannot be written in an XCAP URI`);
  }
  return encodePathSegment(segment);
}

/** Builds the path part of an XCAP URI below the root (no leading '/'). */
export function buildXcapPath(uri: {
  document: DocumentSelector;
  nodeSelector?: string | null;
  namespaceBindings?: ReadonlyMap<string, string> | Readonly<Record<string, string>>;
}): string {
  const d = uri.document;
  const parts = [encodeDocumentSegment(d.auid, 'AUID'), d.tree];
  if (d.tree === 'users') {
    if (!d.xui) throw new TypeError('a users-tree document needs an XUI');
    parts.push(encodeDocumentSegment(d.xui, 'XUI'));
  }
  for (const segment of d.path.split('/')) parts.push(encodeDocumentSegment(segment, 'document path segment'));
  let path = parts.join('/');
  if (uri.nodeSelector) path += `/${NODE_SELECTOR_SEPARATOR}/${encodeNodeSelector(uri.nodeSelector)}`;
  const query = uri.namespaceBindings ? buildXmlnsQuery(uri.namespaceBindings) : '';
  return query ? `${path}?${query}` : path;
}
