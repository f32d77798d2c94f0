/**
 * Bringing a parsed tree up to date with one edit of its source, without parsing the
 * whole document again (see `adoptEdit` in operations.ts). A 1 MB document is some
 * 100,000 nodes; parsing it again after every write costs more in allocation and
 * garbage collection than the edit itself. Here only the new element body has been
 * parsed (by the operation, to check it), and the tree is patched: the nodes after
 * the splice point move by the length difference, the ancestors stretch or shrink,
 * and the parent's list of children changes.
 *
 * The patched tree must be exactly what the parser would make of the new source, so
 * every change whose effect on the tree is not plainly local (limits that a whole
 * parse would hit, text that could join differently, namespace declarations that
 * could change what names below mean) is refused here, and the caller parses
 * instead. All checks run before the first mutation: a refusal leaves the tree as
 * it was.
 */
import { childIndex } from './select.js';
import { inScopeNamespaces, parseXmlFragment } from './xml/parser.js';
import {
  DEFAULT_XML_LIMITS,
  XmlSyntaxError,
  type XmlAttribute,
  type XmlDocument,
  type XmlElement,
  type XmlNamespaceDeclaration,
  type XmlNode,
  type XmlParseLimits,
  type XmlText,
} from './xml/tree.js';

/** What an edit did to the tree it was computed on, in that tree's terms. */
export type TreeChange =
  | {
      /** `target` (a child of `parent` at `index`, or the root when `parent` is null) became `fragment`. */
      readonly kind: 'replace-element';
      readonly parent: XmlElement | null;
      readonly index: number;
      readonly target: XmlElement;
      /** Parsed from the request body: its offsets index the body, not the document. */
      readonly fragment: XmlElement;
    }
  | {
      /** `fragment` was inserted at `offset`, as `parent.children[index]`. */
      readonly kind: 'insert-element';
      readonly parent: XmlElement;
      readonly index: number;
      readonly offset: number;
      readonly fragment: XmlElement;
    }
  | {
      /** The empty-element tag `parent` was rewritten as a start tag ending at `startTagEnd`, `fragment`, an end tag. */
      readonly kind: 'fill-empty-element';
      readonly parent: XmlElement;
      readonly startTagEnd: number;
      readonly fragment: XmlElement;
    }
  | {
      /** `target`, `parent.children[index]`, was removed. */
      readonly kind: 'delete-element';
      readonly parent: XmlElement;
      readonly index: number;
      readonly target: XmlElement;
    }
  | {
      /** Only the start tag of `element` changed (an attribute set, added or removed). */
      readonly kind: 'start-tag';
      readonly element: XmlElement;
    };

export interface PatchedTree {
  readonly document: XmlDocument;
  /** The inserted or replacing element, the parent of a deleted one, or the element whose start tag changed. */
  readonly changed: XmlElement;
}

type Writable<T> = { -readonly [K in keyof T]: T[K] };
type WritableElement = Omit<Writable<XmlElement>, 'children'> & { children: XmlNode[] | readonly XmlNode[] };

/** Trees already patched: their nodes now describe another source. */
const consumed = new WeakSet<XmlDocument>();

/** Fails loudly for a document whose tree {@link patchTree} gave to another document. */
export function requireUnconsumed(document: XmlDocument): void {
  if (consumed.has(document)) {
    throw new Error('this XmlDocument was consumed by adoptEdit: its nodes belong to the document adoptEdit returned');
  }
}

/**
 * Patches `base`'s tree into the tree of `source`, the text `change` produced from
 * `base.source`; returns null, with `base` untouched, when the caller must parse
 * `source` instead. On success `base` and its nodes belong to the new document.
 */
export function patchTree(
  base: XmlDocument,
  change: TreeChange,
  source: string,
  limits: Partial<XmlParseLimits> | undefined,
): PatchedTree | null {
  if (consumed.has(base)) return null;
  if (source.length > (limits?.maxLength ?? DEFAULT_XML_LIMITS.maxLength)) return null;
  const maxDepth = limits?.maxDepth ?? DEFAULT_XML_LIMITS.maxDepth;
  const delta = source.length - base.source.length;
  switch (change.kind) {
    case 'replace-element': {
      const { parent, index, target, fragment } = change;
      if (parent === null ? base.root !== target : parent.children[index] !== target) return null;
      if (fragment.end - fragment.start - (target.end - target.start) !== delta) return null;
      if (depthOf(parent) + heightOf(fragment) > maxDepth) return null;
      consumed.add(base);
      adopt(fragment, parent, target.start);
      if (parent === null) return { document: nextDocument(base, source, fragment), changed: fragment };
      writableChildren(parent)[index] = fragment;
      shiftFollowing(parent, index, delta);
      return { document: nextDocument(base, source, base.root), changed: fragment };
    }
    case 'insert-element': {
      const { parent, index, offset, fragment } = change;
      const children = parent.children;
      if (parent.selfClosing || index < 0 || index > children.length) return null;
      if ((index === children.length ? parent.endTagStart : children[index]!.start) !== offset) return null;
      if (fragment.end - fragment.start !== delta) return null;
      if (depthOf(parent) + heightOf(fragment) > maxDepth) return null;
      consumed.add(base);
      adopt(fragment, parent, offset);
      writableChildren(parent).splice(index, 0, fragment);
      shiftFollowing(parent, index, delta);
      return { document: nextDocument(base, source, base.root), changed: fragment };
    }
    case 'fill-empty-element': {
      const { parent, startTagEnd, fragment } = change;
      if (!parent.selfClosing) return null;
      const endTagStart = startTagEnd + (fragment.end - fragment.start);
      const end = endTagStart + parent.qname.length + 3;
      if (end - parent.end !== delta) return null;
      if (depthOf(parent) + heightOf(fragment) > maxDepth) return null;
      consumed.add(base);
      adopt(fragment, parent, startTagEnd);
      const p = parent as WritableElement;
      p.selfClosing = false;
      p.startTagEnd = startTagEnd;
      p.endTagStart = endTagStart;
      p.end = end;
      p.children = [fragment];
      shiftAncestors(parent, delta);
      return { document: nextDocument(base, source, base.root), changed: fragment };
    }
    case 'delete-element': {
      const { parent, index, target } = change;
      const children = parent.children;
      if (children[index] !== target || target.end - target.start !== -delta) return null;
      const before = children[index - 1];
      const after = children[index + 1];
      // The parser makes one text node of the text on both sides of the removed element.
      let joined: { text: Writable<XmlText>; value: string; end: number } | null = null;
      if (before?.kind === 'text' && after?.kind === 'text') {
        const value = joinedText(base.source, before, after);
        if (value === null) return null;
        joined = { text: before as Writable<XmlText>, value, end: after.end + delta };
      }
      consumed.add(base);
      const list = writableChildren(parent);
      if (joined !== null) {
        joined.text.value = joined.value;
        joined.text.end = joined.end;
        list.splice(index, 2);
      } else {
        list.splice(index, 1);
      }
      shiftFollowing(parent, index - 1, delta);
      return { document: nextDocument(base, source, base.root), changed: parent };
    }
    case 'start-tag': {
      const element = change.element;
      const startTag = reparseStartTag(element, source, delta, limits);
      if (startTag === null) return null;
      consumed.add(base);
      const e = element as WritableElement;
      for (const a of startTag.attributes) shiftAttribute(a, element.start);
      for (const d of startTag.namespaceDeclarations) shiftDeclaration(d, element.start);
      e.attributes = startTag.attributes;
      e.namespaceDeclarations = startTag.namespaceDeclarations;
      e.startTagEnd += delta;
      e.endTagStart += delta;
      e.end += delta;
      const children = element.children;
      for (let i = 0; i < children.length; i++) shiftNode(children[i]!, delta);
      shiftAncestors(element, delta);
      return { document: nextDocument(base, source, base.root), changed: element };
    }
  }
}

/**
 * The start tag of `element` as it reads in `source` (`delta` longer than before),
 * parsed on its own in the element's namespace context; null when the tree cannot
 * take it as it is: a parse error (the whole document will fail too), or namespace
 * declarations that could change the meaning of names further down.
 */
function reparseStartTag(
  element: XmlElement,
  source: string,
  delta: number,
  limits: Partial<XmlParseLimits> | undefined,
): XmlElement | null {
  const startTagEnd = element.startTagEnd + delta;
  if (startTagEnd <= element.start || source.charCodeAt(startTagEnd - 1) !== 0x3e /* > */) return null;
  const tag = source.slice(element.start, startTagEnd);
  const scope = element.parent === null ? new Map<string, string>() : inScopeNamespaces(element.parent);
  let parsed: XmlElement;
  try {
    parsed = parseXmlFragment(element.selfClosing ? tag : `${tag}</${element.qname}>`, scope, limits);
  } catch (e) {
    if (e instanceof XmlSyntaxError) return null;
    throw e;
  }
  if (
    parsed.start !== 0 ||
    parsed.startTagEnd !== tag.length ||
    parsed.qname !== element.qname ||
    parsed.namespace !== element.namespace ||
    parsed.selfClosing !== element.selfClosing
  ) {
    return null;
  }
  return sameOrAddedPrefixes(element, parsed.namespaceDeclarations) ? parsed : null;
}

/**
 * Whether `declarations` are the element's own, plus perhaps some prefixes that were
 * not in scope there. Such a prefix cannot occur below without a declaration of its
 * own nearer to it, so nothing below changes meaning. A default namespace is
 * different: unprefixed names below would move into it.
 */
function sameOrAddedPrefixes(element: XmlElement, declarations: readonly XmlNamespaceDeclaration[]): boolean {
  const old = element.namespaceDeclarations;
  let scope: Map<string, string> | null = null;
  let j = 0;
  for (const d of declarations) {
    const o = old[j];
    if (o !== undefined && o.prefix === d.prefix && o.uri === d.uri) {
      j++;
      continue;
    }
    if (d.prefix === '') return false;
    scope ??= inScopeNamespaces(element);
    if (scope.has(d.prefix)) return false;
  }
  return j === old.length;
}

/**
 * The value of the text node the parser makes of two runs of text once what was
 * between them is gone; null when the joined text is not well-formed. Only a CR
 * ending the first run (CR LF is one line end) or a `]` (`]]>` is not allowed in
 * text) can make it differ from the two values put together.
 */
function joinedText(source: string, first: XmlText, second: XmlText): string | null {
  const last = source.charCodeAt(first.end - 1);
  if (last !== 0x0d && last !== 0x5d) return first.value + second.value;
  try {
    const wrapper = parseXmlFragment(`<t>${source.slice(first.start, first.end)}${source.slice(second.start, second.end)}</t>`, new Map());
    const only = wrapper.children.length === 1 ? wrapper.children[0]! : null;
    return only?.kind === 'text' ? only.value : null;
  } catch (e) {
    if (e instanceof XmlSyntaxError) return null;
    throw e;
  }
}

/** Places a parsed body at `offset` of the document, under `parent`. */
function adopt(fragment: XmlElement, parent: XmlElement | null, offset: number): void {
  shiftNode(fragment, offset - fragment.start);
  (fragment as WritableElement).parent = parent;
}

/** The children array of `element`, safe to change in place (the parser shares one frozen empty array). */
function writableChildren(element: XmlElement): XmlNode[] {
  let children = element.children as XmlNode[];
  if (Object.isFrozen(children)) {
    children = children.slice();
    (element as WritableElement).children = children;
  }
  return children;
}

/** Moves what follows `element.children[index]` (its later siblings, its end tag, and so on up to the root). */
function shiftFollowing(element: XmlElement, index: number, delta: number): void {
  const children = element.children;
  for (let i = index + 1; i < children.length; i++) shiftNode(children[i]!, delta);
  const e = element as WritableElement;
  e.endTagStart += delta;
  e.end += delta;
  shiftAncestors(element, delta);
}

/** Moves everything after `element` in its ancestors, whose own start offsets did not change. */
function shiftAncestors(element: XmlElement, delta: number): void {
  let child = element;
  for (let ancestor = element.parent; ancestor !== null; child = ancestor, ancestor = ancestor.parent) {
    const children = ancestor.children;
    for (let i = childIndex(ancestor, child) + 1; i < children.length; i++) shiftNode(children[i]!, delta);
    const a = ancestor as WritableElement;
    a.endTagStart += delta;
    a.end += delta;
  }
}

function shiftNode(node: XmlNode, delta: number): void {
  if (delta === 0) return;
  if (node.kind !== 'element') {
    const n = node as Writable<XmlNode>;
    n.start += delta;
    n.end += delta;
    return;
  }
  const e = node as WritableElement;
  e.start += delta;
  e.startTagEnd += delta;
  e.endTagStart += delta;
  e.end += delta;
  const attributes = node.attributes;
  for (let i = 0; i < attributes.length; i++) shiftAttribute(attributes[i]!, delta);
  const declarations = node.namespaceDeclarations;
  for (let i = 0; i < declarations.length; i++) shiftDeclaration(declarations[i]!, delta);
  const children = node.children;
  for (let i = 0; i < children.length; i++) shiftNode(children[i]!, delta);
}

function shiftAttribute(attribute: XmlAttribute, delta: number): void {
  const a = attribute as Writable<XmlAttribute>;
  a.start += delta;
  a.end += delta;
  a.valueStart += delta;
  a.valueEnd += delta;
}

function shiftDeclaration(declaration: XmlNamespaceDeclaration, delta: number): void {
  const d = declaration as Writable<XmlNamespaceDeclaration>;
  d.start += delta;
  d.end += delta;
}

/** Nesting depth of `element` as the parser counts it (the root is 1); 0 for none. */
function depthOf(element: XmlElement | null): number {
  let depth = 0;
  for (let e = element; e !== null; e = e.parent) depth++;
  return depth;
}

/** Levels of elements in the subtree of `element`, itself included. */
function heightOf(element: XmlElement): number {
  let below = 0;
  for (const child of element.children) if (child.kind === 'element') below = Math.max(below, heightOf(child));
  return below + 1;
}

function nextDocument(base: XmlDocument, source: string, root: XmlElement): XmlDocument {
  return { source, root, declarationEnd: base.declarationEnd, declaredEncoding: base.declaredEncoding };
}

/** The element of `document` whose start tag begins at `offset`. */
export function elementStartingAt(document: XmlDocument, offset: number): XmlElement {
  let element = document.root;
  while (element.start !== offset) {
    const children = element.children;
    let low = 0;
    let high = children.length - 1;
    // The last child starting at or before the offset is the only one that can contain it.
    while (low <= high) {
      const middle = (low + high) >>> 1;
      if (children[middle]!.start <= offset) low = middle + 1;
      else high = middle - 1;
    }
    const candidate = children[high];
    if (candidate === undefined || candidate.kind !== 'element' || candidate.end <= offset) {
      throw new RangeError(`no element starts at offset ${offset}`);
    }
    element = candidate;
  }
  return element;
}
