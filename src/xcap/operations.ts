/**
 * The document operations of RFC 4825 §8 on the text of one document: select, put
 * and delete an element, an attribute or (read only) the namespace bindings.
 *
 * Every edit splices the source text, so outside the changed node the document stays
 * byte for byte as it was. The idempotency checks (§8.2.3 cannot-insert, §8.3
 * cannot-delete) are made on the tree before the edit, from what the edit does to
 * the one list of siblings it touches. The tree of the result comes either from
 * parsing it again (`EditResult.document`) or, for a caller that keeps the tree of
 * the current version, from patching that tree (`adoptEdit`).
 */
import { isUtf8 } from 'node:buffer';
import {
  MethodNotAllowedError,
  NotFoundError,
  XcapConflictError,
} from './errors.js';
import {
  childIndex,
  closestAncestor,
  findAttribute,
  matchesName,
  matchStep,
  passesAttributeTest,
  selectElements,
  selectsRoot,
} from './select.js';
import { formatNodeSelector, type NodeSelector, type ResolvedName, type Step } from './selector.js';
import { elementStartingAt, patchTree, requireUnconsumed, type TreeChange } from './tree-edit.js';
import { escapeAttribute } from './xml/escape.js';
import { inScopeNamespaces, parseAttributeValue, parseXmlDocument, parseXmlFragment } from './xml/parser.js';
import {
  XmlSyntaxError,
  XML_NAMESPACE,
  XMLNS_NAMESPACE,
  type XmlDocument,
  type XmlElement,
  type XmlParseLimits,
} from './xml/tree.js';

export const XCAP_ELEMENT_MIME = 'application/xcap-el+xml';
export const XCAP_ATTRIBUTE_MIME = 'application/xcap-att+xml';
export const XCAP_NAMESPACES_MIME = 'application/xcap-ns+xml';

export type NodeKind = 'element' | 'attribute' | 'namespaces';

export interface NodeContent {
  readonly kind: NodeKind;
  readonly contentType: string;
  readonly body: string;
}

export interface EditResult {
  /** The whole document after the edit. */
  readonly source: string;
  /**
   * Its parsed form: the tree {@link adoptEdit} made, once it has been called, else
   * `source` parsed on first use (`not-well-formed` if the edit broke the document).
   */
  readonly document: XmlDocument;
  /** True when the edit created the node (HTTP 201), false when it replaced or removed one. */
  readonly created: boolean;
  /**
   * The element whose subtree the edit changed, in `document`'s tree: the inserted or
   * replacing element for an element PUT, the parent of the removed element for an
   * element DELETE, the element holding the attribute for an attribute PUT or DELETE.
   * Everything outside it is as before, apart from offsets (and, for a PUT into an
   * empty-element tag `<p/>`, the parent's tag, which became `<p>...</p>`).
   */
  readonly changedElement: XmlElement;
}

/** What a request body must be before it is looked at as XML: UTF-8 (RFC 4825 §8.2.1, `not-utf-8`). */
export function decodeUtf8Body(body: Uint8Array): string {
  if (!isUtf8(body)) throw new XcapConflictError('not-utf-8', 'the body is not valid UTF-8');
  let text = Buffer.from(body.buffer, body.byteOffset, body.byteLength).toString('utf8');
  if (text.charCodeAt(0) === 0xfeff) text = text.slice(1);
  return text;
}

/** Parses a whole document body (`not-well-formed` when it is not). */
export function parseDocumentBody(text: string, limits?: Partial<XmlParseLimits>): XmlDocument {
  try {
    const document = parseXmlDocument(text, limits);
    checkDeclaredEncoding(document);
    return document;
  } catch (e) {
    throw asConflict(e, 'not-well-formed');
  }
}

function checkDeclaredEncoding(document: XmlDocument): void {
  const enc = document.declaredEncoding;
  if (enc !== null && !/^utf-?8$/i.test(enc)) {
    throw new XcapConflictError('not-utf-8', `the document declares encoding ${enc}; XCAP documents are UTF-8`);
  }
}

/**
 * A whole-document body that is not XML is `not-well-formed`; an element body that
 * is not one well-balanced element — malformed or several elements — is
 * `not-xml-frag` (RFC 4825 §8.2.2, §11).
 */
function asConflict(e: unknown, kind: 'not-well-formed' | 'not-xml-frag'): unknown {
  if (!(e instanceof XmlSyntaxError)) return e;
  if (kind === 'not-well-formed' && e.message.includes('not a single element')) return new XcapConflictError('not-xml-frag', e.message);
  return new XcapConflictError(kind, e.message);
}

// ---------------------------------------------------------------------------
// GET

export function getNode(document: XmlDocument, selector: NodeSelector): NodeContent {
  requireUnconsumed(document);
  const element = selectOne(document, selector);
  const terminal = selector.terminal;
  if (terminal === null) {
    return { kind: 'element', contentType: XCAP_ELEMENT_MIME, body: document.source.slice(element.start, element.end) };
  }
  if (terminal.kind === 'attribute') {
    const attribute = findAttribute(element, terminal.name);
    if (!attribute) throw new NotFoundError(`the element has no attribute ${formatName(terminal.name)}`);
    // RFC 4825 §8.3 and the example of §13: the body is the value as an XML AttValue, quotes included.
    return { kind: 'attribute', contentType: XCAP_ATTRIBUTE_MIME, body: `"${escapeAttribute(attribute.value, '"')}"` };
  }
  return { kind: 'namespaces', contentType: XCAP_NAMESPACES_MIME, body: renderNamespaceBindings(element) };
}

/**
 * RFC 4825 §10: the selected element's name with a declaration for every namespace
 * binding in scope there, and nothing else; the default namespace first, as in the
 * RFC's example.
 */
export function renderNamespaceBindings(element: XmlElement): string {
  const declarations: string[] = [];
  for (const [prefix, uri] of inScopeNamespaces(element)) {
    if (prefix === 'xml') continue;
    if (prefix === '') declarations.unshift(` xmlns="${escapeAttribute(uri, '"')}"`);
    else declarations.push(` xmlns:${prefix}="${escapeAttribute(uri, '"')}"`);
  }
  return `<${element.qname}${declarations.join('')}/>`;
}

function selectOne(document: XmlDocument, selector: NodeSelector): XmlElement {
  const found = selectElements(document, selector.steps);
  if (found.length === 0) throw new NotFoundError('the node selector selects no element');
  if (found.length > 1) throw new NotFoundError(`the node selector selects ${found.length} elements, not one`);
  return found[0]!;
}

// ---------------------------------------------------------------------------
// PUT

/** PUT of an element (RFC 4825 §8.2.3): replaces the selected element or inserts a new one. */
export function putElement(
  document: XmlDocument,
  selector: NodeSelector,
  bodyText: string,
  limits?: Partial<XmlParseLimits>,
): EditResult {
  requireUnconsumed(document);
  refuseNamespaceWrite(selector);
  if (selector.terminal?.kind === 'attribute') throw new TypeError('putElement needs an element selector');
  const source = document.source;
  const steps = selector.steps;
  const lastStep = steps[steps.length - 1]!;
  // RFC 4825 §8.2.1: first the parent (no match or several is no-parent), then the
  // last step among its children decides between replacement and creation.
  let parent: XmlElement | null = null;
  if (steps.length > 1) {
    const parents = selectElements(document, steps.slice(0, -1));
    if (parents.length !== 1) throw noParent(document, selector);
    parent = parents[0]!;
  }
  let target: XmlElement | null;
  let targetIndex = -1;
  if (parent === null) {
    target = selectsRoot(document.root, lastStep) ? document.root : null;
  } else {
    const found = matchStep(parent, lastStep);
    if (found.count > 1) {
      throw new XcapConflictError('cannot-insert', `the node selector selects ${found.count} elements; it must select one`);
    }
    target = found.first;
    targetIndex = found.firstIndex;
  }

  if (target !== null) {
    const fragment = parseFragment(bodyText, parent ? inScopeNamespaces(parent) : new Map(), limits);
    const text = bodyText.slice(fragment.start, fragment.end);
    // The body takes the place of the one element the last step selected: the
    // siblings it counts stay as they are, so the body is selected if and only if it
    // matches the step's name and attribute test itself.
    requireSelectedAfterPut(fragment, lastStep);
    const change: TreeChange = { kind: 'replace-element', parent, index: targetIndex, target, fragment };
    return editResult(document, splice(source, target.start, target.end, text), false, limits, change, target.start);
  }

  if (parent === null) {
    throw new XcapConflictError('cannot-insert', 'a document has exactly one root element; replace it or put the whole document');
  }
  const fragment = parseFragment(bodyText, inScopeNamespaces(parent), limits);
  const text = bodyText.slice(fragment.start, fragment.end);
  if (!matchesName(fragment, lastStep.name)) {
    throw new XcapConflictError('cannot-insert', `the element <${fragment.qname}> would not be selected by the node selector's last step`);
  }
  if (parent.selfClosing) {
    if ((lastStep.position ?? 1) !== 1) {
      throw new XcapConflictError('cannot-insert', `the parent has no children, so position ${lastStep.position} cannot be filled`);
    }
    requireSelectedAfterPut(fragment, lastStep);
    const filled = putIntoEmptyElementTag(source, parent, text);
    const change: TreeChange = { kind: 'fill-empty-element', parent, startTagEnd: filled.startTagEnd, fragment };
    return editResult(document, filled.source, true, limits, change, filled.startTagEnd);
  }
  const place = insertionPlace(parent, lastStep.name, lastStep.position);
  if (place === null) {
    throw new XcapConflictError(
      'cannot-insert',
      `position ${lastStep.position} cannot be filled: the parent has fewer than ${(lastStep.position ?? 1) - 1} such children`,
    );
  }
  // No sibling passed the last step (else this would be a replacement), and the
  // insertion point makes the body the n-th of its name for a step with position n:
  // the body is selected if and only if it passes the attribute test.
  requireSelectedAfterPut(fragment, lastStep);
  const change: TreeChange = { kind: 'insert-element', parent, index: place.index, offset: place.offset, fragment };
  return editResult(document, splice(source, place.offset, place.offset, text), true, limits, change, place.offset);
}

/**
 * Where a new child goes (RFC 4825 §8.2.3): the offset, and the index it will have
 * in the parent's children. Without a position (or with position 1 and no sibling of
 * that name) it goes right after the last sibling of the same expanded name, or,
 * with none, at the very end of the parent's content. With a position n it goes
 * right before the current first such sibling (n = 1) or right after the (n-1)-th
 * (for `*`, every child element counts); with fewer than n-1 it cannot go anywhere
 * (null). No whitespace is added around it.
 */
function insertionPlace(parent: XmlElement, name: ResolvedName | null, position: number | null): { offset: number; index: number } | null {
  if (position !== null && position < 1) return null;
  const children = parent.children;
  const atEnd = { offset: parent.endTagStart, index: children.length };
  if (position === null && name === null) return atEnd;
  let counted = 0;
  let lastNamed = -1;
  for (let i = 0; i < children.length; i++) {
    const child = children[i]!;
    if (child.kind !== 'element' || !matchesName(child, name)) continue;
    counted++;
    if (position === 1) return { offset: child.start, index: i };
    if (position !== null && counted === position - 1) return { offset: child.end, index: i + 1 };
    lastNamed = i;
  }
  if (position === null || position === 1) {
    return lastNamed < 0 ? atEnd : { offset: children[lastNamed]!.end, index: lastNamed + 1 };
  }
  return null;
}

/**
 * The check of RFC 4825 §8.2.3 and §8.2.4 that the request URI selects the new node
 * afterwards, for a PUT where that reduces to the node itself (see the callers).
 */
function requireSelectedAfterPut(element: XmlElement, lastStep: Step): void {
  if (matchesName(element, lastStep.name) && passesAttributeTest(element, lastStep.attributeTest)) return;
  throw new XcapConflictError('cannot-insert', 'after this change the request URI would not select the node in the body (RFC 4825 §8.2.3)');
}

/** The state behind an {@link EditResult}, for {@link adoptEdit}. */
interface PendingTree {
  /** The tree the edit was computed on, and what the edit did to it; null once used. */
  base: XmlDocument | null;
  change: TreeChange | null;
  /** Offset in the new source of the changed element's start tag. */
  readonly changedStart: number;
  readonly limits: Partial<XmlParseLimits> | undefined;
  parsed: XmlDocument | undefined;
  changed: XmlElement | undefined;
}

/**
 * The edited document; its tree is made only when someone needs it (validation,
 * constraints). A class, with the getters on its prototype: getters in an object
 * literal are closures that V8 can keep reachable from the literal's hidden class
 * after the result itself is garbage, and here they would hold the old tree, which
 * then outlived the young generation on every edit (the parse-and-edit cycle on the
 * 10,000-entry document took twice as long).
 */
class SplicedEdit implements EditResult {
  readonly source: string;
  readonly created: boolean;
  readonly #pending: PendingTree;

  constructor(source: string, created: boolean, pending: PendingTree) {
    this.source = source;
    this.created = created;
    this.#pending = pending;
  }

  get document(): XmlDocument {
    const pending = this.#pending;
    if (pending.parsed === undefined) {
      pending.parsed = reparse(this.source, pending.limits);
      pending.base = pending.change = null;
    }
    return pending.parsed;
  }

  get changedElement(): XmlElement {
    const pending = this.#pending;
    pending.changed ??= elementStartingAt(this.document, pending.changedStart);
    return pending.changed;
  }

  /** See {@link adoptEdit}. */
  adopt(document: XmlDocument): XmlDocument {
    const pending = this.#pending;
    if (pending.parsed !== undefined) return pending.parsed;
    const patched =
      pending.base === document && pending.change !== null ? patchTree(document, pending.change, this.source, pending.limits) : null;
    if (patched === null) return this.document;
    pending.parsed = patched.document;
    pending.changed = patched.changed;
    pending.base = pending.change = null;
    return patched.document;
  }
}

function editResult(
  base: XmlDocument,
  source: string,
  created: boolean,
  limits: Partial<XmlParseLimits> | undefined,
  change: TreeChange,
  changedStart: number,
): EditResult {
  return new SplicedEdit(source, created, { base, change, changedStart, limits, parsed: undefined, changed: undefined });
}

/**
 * The tree of `result.source`, made by patching `document`, the tree `result` was
 * computed on, instead of parsing the whole new source: only the request body was
 * parsed (by the operation), and the nodes after the change are moved.
 *
 * This CONSUMES `document`: its nodes become the nodes of the returned tree, with
 * other offsets, parents and children. The caller must not use the old
 * XmlDocument object or any node it got from it afterwards, except through the
 * returned document (a new object, with `source === result.source`). If the old
 * version may still be needed (the write can still be refused, someone else holds
 * its tree), parse instead (`result.document`) or parse the old version again.
 *
 * Afterwards `result.document` is the returned tree and `result.changedElement` is
 * the changed element in it. When patching is not simple (limits a whole parse
 * would hit, text that would join differently, a result not made from `document`,
 * or a tree already used), the new source is parsed instead, leaving `document`
 * untouched; an edit that broke the document then throws `not-well-formed` as
 * `result.document` would. If `result.document` was already parsed, that tree is
 * returned.
 */
export function adoptEdit(document: XmlDocument, result: EditResult): XmlDocument {
  return result instanceof SplicedEdit ? result.adopt(document) : result.document;
}

/** A child for an empty-element tag: `<list/>` becomes `<list>` + child + `</list>`. */
function putIntoEmptyElementTag(source: string, parent: XmlElement, text: string): { source: string; startTagEnd: number } {
  const tagClose = source.lastIndexOf('/', parent.end - 1);
  const head = source.slice(parent.start, tagClose).replace(/\s+$/, '');
  return {
    source: splice(source, parent.start, parent.end, `${head}>${text}</${parent.qname}>`),
    startTagEnd: parent.start + head.length + 1,
  };
}

/** PUT of an attribute (RFC 4825 §8.2.4): sets or creates it on the selected element. */
export function putAttribute(
  document: XmlDocument,
  selector: NodeSelector,
  bodyText: string,
  limits?: Partial<XmlParseLimits>,
): EditResult {
  requireUnconsumed(document);
  refuseNamespaceWrite(selector);
  const terminal = selector.terminal;
  if (terminal?.kind !== 'attribute') throw new TypeError('putAttribute needs an attribute selector');
  // RFC 4825 §8.2.1: the parent is the element the steps select; none or several is no-parent.
  const found = selectElements(document, selector.steps);
  if (found.length !== 1) throw noParent(document, selector);
  const element = found[0]!;
  if (isNamespaceDeclarationName(terminal.name)) {
    // Written, it would declare a namespace — rebinding the names in and below the element —
    // and still not be an attribute that the URI selects (XML Namespaces §3; RFC 4825 §8.2.4).
    throw new XcapConflictError(
      'cannot-insert',
      `${formatName(terminal.name)} is a namespace declaration, not an attribute; namespace bindings can only be read (…/namespace::*)`,
    );
  }
  let value: string;
  try {
    value = parseAttributeValue(unquoteAttValue(bodyText));
  } catch (e) {
    if (e instanceof XmlSyntaxError) throw new XcapConflictError('not-xml-att-value', e.message);
    throw e;
  }
  const source = document.source;
  const existing = findAttribute(element, terminal.name);
  let next: string;
  if (existing) {
    next = splice(source, existing.valueStart, existing.valueEnd, escapeAttribute(value, existing.quote));
  } else {
    const name = attributeQName(element, terminal.name);
    const insertAt = endOfAttributes(source, element);
    next = splice(source, insertAt, insertAt, ` ${name.declaration}${name.qname}="${escapeAttribute(value, '"')}"`);
  }
  // Only this element's attributes change: the last step counts the same siblings,
  // so the URI still selects the element if and only if it passes the attribute
  // test with its new attributes.
  const test = selector.steps[selector.steps.length - 1]!.attributeTest;
  if (test !== null) {
    const valueAfter = sameName(test.name, terminal.name) ? value : findAttribute(element, test.name)?.value;
    if (valueAfter !== test.value) {
      throw new XcapConflictError('cannot-insert', 'after this change the request URI would not select the attribute (RFC 4825 §8.2.4)');
    }
  }
  return editResult(document, next, !existing, limits, { kind: 'start-tag', element }, element.start);
}

function sameName(a: ResolvedName, b: ResolvedName): boolean {
  return a.localName === b.localName && a.namespace === b.namespace;
}

/**
 * RFC 4825 §7.7 writes the body as an XML AttValue, quotes included; most clients
 * (python-xcaplib, OpenXCAP's own tests) send the bare value. Both are accepted.
 */
function unquoteAttValue(body: string): string {
  const first = body[0];
  if (first !== '"' && first !== "'") return body;
  const inner = body.slice(1, -1);
  if (body.length < 2 || body[body.length - 1] !== first || inner.includes(first)) {
    throw new XcapConflictError('not-xml-att-value', `the body starts with ${first} but is not one quoted XML attribute value`);
  }
  return inner;
}

/** The qualified name to write a new attribute with, declaring a prefix when none is in scope. */
function attributeQName(element: XmlElement, name: ResolvedName): { qname: string; declaration: string } {
  if (name.namespace === null) return { qname: name.localName, declaration: '' };
  if (name.namespace === XML_NAMESPACE) return { qname: `xml:${name.localName}`, declaration: '' };
  const scope = inScopeNamespaces(element);
  for (const [prefix, uri] of scope) {
    if (prefix !== '' && uri === name.namespace) return { qname: `${prefix}:${name.localName}`, declaration: '' };
  }
  let prefix = name.prefix ?? 'ns';
  let n = 1;
  while (scope.has(prefix) || element.attributes.some((a) => a.prefix === prefix)) prefix = `${name.prefix ?? 'ns'}${n++}`;
  return {
    qname: `${prefix}:${name.localName}`,
    declaration: `xmlns:${prefix}="${escapeAttribute(name.namespace, '"')}" `,
  };
}

/** Offset just after the last attribute (or the name) of an element's start tag. */
function endOfAttributes(source: string, element: XmlElement): number {
  let last = element.start + 1 + element.qname.length;
  for (const a of element.attributes) last = Math.max(last, a.end);
  for (const d of element.namespaceDeclarations) last = Math.max(last, d.end);
  return last;
}

// ---------------------------------------------------------------------------
// DELETE

/** DELETE of an element or attribute (RFC 4825 §8.3). */
export function deleteNode(document: XmlDocument, selector: NodeSelector, limits?: Partial<XmlParseLimits>): EditResult {
  requireUnconsumed(document);
  refuseNamespaceWrite(selector);
  const element = selectOne(document, selector);
  const source = document.source;
  if (selector.terminal?.kind === 'attribute') {
    const attribute = findAttribute(element, selector.terminal.name);
    if (!attribute) throw new NotFoundError(`the element has no attribute ${formatName(selector.terminal.name)}`);
    let from = attribute.start;
    while (from > 0 && isXmlSpace(source.charCodeAt(from - 1))) from--;
    // Only this element could be selected (its siblings do not change), and it no
    // longer has the attribute: the URI selects nothing afterwards.
    return editResult(document, splice(source, from, attribute.end, ''), false, limits, { kind: 'start-tag', element }, element.start);
  }
  const parent = element.parent;
  if (parent === null) {
    throw new XcapConflictError('cannot-delete', 'the root element cannot be deleted; delete the document instead');
  }
  const index = childIndex(parent, element);
  const lastStep = selector.steps[selector.steps.length - 1]!;
  if (lastStep.position !== null && nextNamedSiblingPasses(parent, index, lastStep)) {
    throw new XcapConflictError(
      'cannot-delete',
      'after this deletion the request URI would still select a node (RFC 4825 §8.3); delete it by a selector that names it uniquely',
    );
  }
  const change: TreeChange = { kind: 'delete-element', parent, index, target: element };
  return editResult(document, splice(source, element.start, element.end, ''), false, limits, change, parent.start);
}

/**
 * The §8.3 check for a last step with a position n: once the element, the n-th of
 * its name, is gone, the next sibling of that name becomes the n-th, and the URI
 * selects it if it passes the attribute test. Without a position nothing can be
 * selected afterwards: the element was the only sibling to pass the step.
 */
function nextNamedSiblingPasses(parent: XmlElement, index: number, step: Step): boolean {
  const children = parent.children;
  for (let i = index + 1; i < children.length; i++) {
    const child = children[i]!;
    if (child.kind === 'element' && matchesName(child, step.name)) return passesAttributeTest(child, step.attributeTest);
  }
  return false;
}

// ---------------------------------------------------------------------------

function refuseNamespaceWrite(selector: NodeSelector): void {
  if (selector.terminal?.kind === 'namespace') {
    throw new MethodNotAllowedError('namespace bindings can only be read', ['GET']);
  }
}

function parseFragment(text: string, inScope: ReadonlyMap<string, string>, limits?: Partial<XmlParseLimits>): XmlElement {
  try {
    return parseXmlFragment(text, inScope, limits);
  } catch (e) {
    throw asConflict(e, 'not-xml-frag');
  }
}

function reparse(source: string, limits?: Partial<XmlParseLimits>): XmlDocument {
  try {
    return parseXmlDocument(source, limits);
  } catch (e) {
    if (e instanceof XmlSyntaxError) {
      throw new XcapConflictError('not-well-formed', `the document would not be well-formed after this change: ${e.message}`);
    }
    throw e;
  }
}

function noParent(document: XmlDocument, selector: NodeSelector): XcapConflictError {
  const { depth } = closestAncestor(document, selector.steps.slice(0, -1));
  const ancestorSelector = depth === 0 ? '' : formatNodeSelector(selector.steps.slice(0, depth));
  return new XcapConflictError('no-parent', 'the parent of the selected node does not exist', { ancestorSelector });
}

function splice(source: string, from: number, to: number, text: string): string {
  return source.slice(0, from) + text + source.slice(to);
}

function isXmlSpace(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

function isNamespaceDeclarationName(name: ResolvedName): boolean {
  return (name.namespace === null && name.localName === 'xmlns') || name.namespace === XMLNS_NAMESPACE;
}

function formatName(name: ResolvedName): string {
  return name.prefix === null ? name.localName : `${name.prefix}:${name.localName}`;
}
