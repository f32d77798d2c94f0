/**
 * XCAP diff documents (RFC 5874): what changed in which documents of one XCAP root.
 *
 * Per document: `previous-etag` and `new-etag` (only the new one for a creation, only
 * the previous one for a removal) and, when both exist, the RFC 5261 patch from one
 * version to the other (`<body-not-changed/>` when they are equivalent; nothing when
 * no patch is worth sending, which tells the client to fetch). Per element or
 * attribute: its current content, or `exists="0"` once it is gone.
 *
 * `sel` values are relative to the XCAP root and percent-encoded as XCAP URIs are
 * (e.g. `resource-lists/users/sip:joe@example.com/index/~~/resource-lists/list%5B@name=%22x%22%5D`).
 * Each fragment declares the xcap-diff namespace itself, with a prefix its content
 * does not use, so fragments made at different times can go into one document.
 */
import { computePatch, renderPatchOperation, type PatchOperation } from './patch.js';
import { selectElements, findAttribute } from './select.js';
import { parseNodeSelector } from './selector.js';
import { buildXcapPath, type DocumentSelector } from './uri.js';
import { escapeAttribute, escapeText } from './xml/escape.js';
import { inScopeNamespaces, parseXmlDocument } from './xml/parser.js';
import { XmlSyntaxError, type XmlDocument } from './xml/tree.js';
import { BadRequestError } from './errors.js';

export const XCAP_DIFF_NAMESPACE = 'urn:ietf:params:xml:ns:xcap-diff';
export const XCAP_DIFF_MIME = 'application/xcap-diff+xml';

export type DiffItem =
  | {
      readonly kind: 'document';
      readonly sel: string;
      readonly previousEtag: string | null;
      readonly newEtag: string | null;
      /** The patch ([] = body not changed), or null when none is given. */
      readonly patch: readonly PatchOperation[] | null;
    }
  | {
      readonly kind: 'element';
      readonly sel: string;
      readonly exists: boolean;
      /** The element's source text (null: exists but not shown, e.g. too large). */
      readonly content: string | null;
      /** Bindings in scope around the element in its document. */
      readonly namespaces: ReadonlyMap<string, string>;
    }
  | { readonly kind: 'attribute'; readonly sel: string; readonly exists: boolean; readonly value: string };

export interface DocumentVersion {
  readonly content: string;
  readonly etag: string;
}

/** The `sel` of a document: its XCAP URI below the root. */
export function documentSel(document: DocumentSelector): string {
  return buildXcapPath({ document });
}

/** The `sel` of an element or attribute: document, `~~`, node selector and its `xmlns()` query. */
export function componentSel(
  document: DocumentSelector,
  nodeSelector: string,
  namespaceBindings?: ReadonlyMap<string, string>,
): string {
  const bindings = namespaceBindings && namespaceBindings.size > 0 ? namespaceBindings : undefined;
  return buildXcapPath({ document, nodeSelector, ...(bindings ? { namespaceBindings: bindings } : {}) });
}

export interface DocumentItemOptions {
  /** Compute the RFC 5261 patch between the versions (costs a parse of both). */
  readonly patch: boolean;
  readonly maxPatchLength?: number;
}

/** The `<document>` report of one change from `previous` to `current` (null: absent). */
export function documentItem(
  sel: string,
  previous: DocumentVersion | null,
  current: DocumentVersion | null,
  options: DocumentItemOptions,
): DiffItem {
  let patch: PatchOperation[] | null = null;
  if (options.patch && previous !== null && current !== null) {
    const a = tryParse(previous.content);
    const b = tryParse(current.content);
    if (a !== null && b !== null) {
      patch = computePatch(a, b, options.maxPatchLength === undefined ? {} : { maxLength: options.maxPatchLength });
    }
  }
  return {
    kind: 'document',
    sel,
    previousEtag: previous?.etag ?? null,
    newEtag: current?.etag ?? null,
    patch,
  };
}

export interface ComponentContext {
  /** The application usage's default document namespace (RFC 4825 §6.4). */
  readonly defaultNamespace: string;
  readonly namespaceBindings?: ReadonlyMap<string, string>;
  /** Larger elements are reported without content. */
  readonly maxContentLength?: number;
}

/**
 * The `<element>` or `<attribute>` report of the node `nodeSelector` picks in the
 * document text `content` (null: the document does not exist). Null when the selector
 * names namespace bindings, which xcap-diff cannot report, or cannot be parsed.
 */
export function componentItem(sel: string, content: string | XmlDocument | null, nodeSelector: string, context: ComponentContext): DiffItem | null {
  let selector;
  try {
    selector = parseNodeSelector(nodeSelector, {
      defaultNamespace: context.defaultNamespace,
      bindings: context.namespaceBindings ?? new Map(),
    });
  } catch (e) {
    if (e instanceof BadRequestError) return null;
    throw e;
  }
  if (selector.terminal?.kind === 'namespace') return null;
  const document = typeof content === 'string' ? tryParse(content) : content;
  const found = document === null ? [] : selectElements(document, selector.steps);
  const element = found.length === 1 ? found[0]! : null;
  if (selector.terminal?.kind === 'attribute') {
    const attribute = element === null ? undefined : findAttribute(element, selector.terminal.name);
    return { kind: 'attribute', sel, exists: attribute !== undefined, value: attribute?.value ?? '' };
  }
  if (element === null || document === null) return { kind: 'element', sel, exists: false, content: null, namespaces: new Map() };
  const namespaces = element.parent === null ? new Map<string, string>() : inScopeNamespaces(element.parent);
  namespaces.delete('xml');
  const text = document.source.slice(element.start, element.end);
  const tooLarge = context.maxContentLength !== undefined && text.length > context.maxContentLength;
  return { kind: 'element', sel, exists: true, content: tooLarge ? null : text, namespaces };
}

/** One self-contained fragment: a `<document>`, `<element>` or `<attribute>` element. */
export function renderDiffItem(item: DiffItem): string {
  const used = new Set<string>();
  if (item.kind === 'document') for (const op of item.patch ?? []) for (const p of op.namespaces.keys()) used.add(p);
  if (item.kind === 'element') for (const p of item.namespaces.keys()) used.add(p);
  const prefix = freePrefix(used);
  const q = (local: string): string => `${prefix}:${local}`;
  const ns = ` xmlns:${prefix}="${XCAP_DIFF_NAMESPACE}"`;
  const sel = ` sel="${escapeAttribute(item.sel, '"')}"`;
  switch (item.kind) {
    case 'document': {
      let attributes = `${ns}${sel}`;
      if (item.previousEtag !== null) attributes += ` previous-etag="${escapeAttribute(item.previousEtag, '"')}"`;
      if (item.newEtag !== null) attributes += ` new-etag="${escapeAttribute(item.newEtag, '"')}"`;
      const both = item.previousEtag !== null && item.newEtag !== null;
      if (!both || item.patch === null) return `<${q('document')}${attributes}/>`;
      const body = item.patch.length === 0 ? `<${q('body-not-changed')}/>` : item.patch.map((op) => renderPatchOperation(op, q)).join('');
      return `<${q('document')}${attributes}>${body}</${q('document')}>`;
    }
    case 'element': {
      if (!item.exists) return `<${q('element')}${ns}${sel} exists="0"/>`;
      let declarations = '';
      for (const [p, uri] of item.namespaces) {
        declarations += p === '' ? ` xmlns="${escapeAttribute(uri, '"')}"` : ` xmlns:${p}="${escapeAttribute(uri, '"')}"`;
      }
      if (item.content === null) return `<${q('element')}${ns}${sel}/>`;
      return `<${q('element')}${ns}${sel}${declarations}>${item.content}</${q('element')}>`;
    }
    case 'attribute':
      if (!item.exists) return `<${q('attribute')}${ns}${sel} exists="0"/>`;
      return `<${q('attribute')}${ns}${sel}>${escapeText(item.value)}</${q('attribute')}>`;
  }
}

/** A whole xcap-diff document from rendered fragments (in the order given). */
export function renderXcapDiff(xcapRoot: string, fragments: readonly string[]): string {
  const head = `<?xml version="1.0" encoding="UTF-8"?>\n<d:xcap-diff xmlns:d="${XCAP_DIFF_NAMESPACE}" xcap-root="${escapeAttribute(xcapRoot, '"')}"`;
  if (fragments.length === 0) return `${head}/>\n`;
  return `${head}>\n${fragments.map((f) => ` ${f}\n`).join('')}</d:xcap-diff>\n`;
}

export function buildXcapDiff(xcapRoot: string, items: readonly DiffItem[]): string {
  return renderXcapDiff(xcapRoot, items.map(renderDiffItem));
}

function freePrefix(used: ReadonlySet<string>): string {
  for (const candidate of ['d', 'xd', 'xdiff']) if (!used.has(candidate)) return candidate;
  for (let n = 1; ; n++) if (!used.has(`d${n}`)) return `d${n}`;
}

function tryParse(content: string): XmlDocument | null {
  try {
    return parseXmlDocument(content);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return null;
    throw e;
  }
}
