/**
 * The document operations of RFC 4825 §8 on the text of one document: select, put
 * and delete an element, an attribute or (read only) the namespace bindings.
 *
 * Every edit splices the source text, so outside the changed node the document stays
 * byte for byte as it was; the result is parsed again, which both proves it
 * well-formed and gives the idempotency checks (§8.2.3 cannot-insert, §8.3
 * cannot-delete) and the application usage's constraint checks a fresh tree.
 */
import { isUtf8 } from 'node:buffer';
import {
  MethodNotAllowedError,
  NotFoundError,
  XcapConflictError,
} from './errors.js';
import { applyStep, closestAncestor, elementChildren, findAttribute, matchesName, selectElements } from './select.js';
import { formatNodeSelector, type NodeSelector, type ResolvedName, type Step } from './selector.js';
import { escapeAttribute } from './xml/escape.js';
import { inScopeNamespaces, parseAttributeValue, parseXmlDocument, parseXmlFragment } from './xml/parser.js';
import {
  XmlSyntaxError,
  XML_NAMESPACE,
  type XmlAttribute,
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
  /** Its parsed form. */
  readonly document: XmlDocument;
  /** True when the edit created the node (HTTP 201), false when it replaced or removed one. */
  readonly created: boolean;
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
  refuseNamespaceWrite(selector);
  if (selector.terminal?.kind === 'attribute') throw new TypeError('putElement needs an element selector');
  const source = document.source;
  const lastStep = selector.steps[selector.steps.length - 1]!;
  const parentSteps = selector.steps.slice(0, -1);
  // RFC 4825 §8.2.1: first the parent (no match or several is no-parent), then the
  // last step among its children decides between replacement and creation.
  let parent: XmlElement | null = null;
  if (parentSteps.length > 0) {
    const parents = selectElements(document, parentSteps);
    if (parents.length !== 1) throw noParent(document, selector);
    parent = parents[0]!;
  }
  const found = applyStep(parent === null ? [document.root] : elementChildren(parent), lastStep);
  if (found.length > 1) {
    throw new XcapConflictError('cannot-insert', `the node selector selects ${found.length} elements; it must select one`);
  }

  if (found.length === 1) {
    const target = found[0]!;
    const fragment = parseFragment(bodyText, target.parent ? inScopeNamespaces(target.parent) : new Map(), limits);
    const text = bodyText.slice(fragment.start, fragment.end);
    const siblings = target.parent ? elementChildren(target.parent) : [document.root];
    requireSelected(siblings.map((c) => (c === target ? fragment : c)), lastStep, fragment, 'cannot-insert');
    return editResult(splice(source, target.start, target.end, text), false, limits);
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
    requireSelected([fragment], lastStep, fragment, 'cannot-insert');
    return editResult(putIntoEmptyElementTag(source, parent, text), true, limits);
  }
  const at = insertionPoint(parent, lastStep.name, lastStep.position);
  if (at === null) {
    throw new XcapConflictError(
      'cannot-insert',
      `position ${lastStep.position} cannot be filled: the parent has fewer than ${(lastStep.position ?? 1) - 1} such children`,
    );
  }
  const children = elementChildren(parent);
  const index = children.filter((c) => c.start < at).length;
  requireSelected([...children.slice(0, index), fragment, ...children.slice(index)], lastStep, fragment, 'cannot-insert');
  return editResult(splice(source, at, at, text), true, limits);
}

/**
 * Where a new child goes (RFC 4825 §8.2.3). Without a position (or with position 1
 * and no sibling of that name) it goes right after the last sibling of the same
 * expanded name, or, with none, at the very end of the parent's content. With a
 * position n it goes right before the current first such sibling (n = 1) or right
 * after the (n-1)-th (for `*`, every child element counts); with fewer than n-1 it
 * cannot go anywhere (null). No whitespace is added around it.
 */
function insertionPoint(parent: XmlElement, name: ResolvedName | null, position: number | null): number | null {
  const children = elementChildren(parent);
  const counted = name === null ? children : children.filter((c) => matchesName(c, name));
  if (position === null || (position === 1 && counted.length === 0)) {
    const lastNamed = name === null ? undefined : counted[counted.length - 1];
    return lastNamed ? lastNamed.end : parent.endTagStart;
  }
  if (position < 1) return null;
  if (position === 1) return counted[0]!.start;
  const previous = counted[position - 2];
  return previous ? previous.end : null;
}

/**
 * The idempotency checks (RFC 4825 §8.2.3, §8.2.4, §8.3) without parsing the result:
 * an edit inside one parent changes neither that parent nor its ancestors, so what
 * the URI selects afterwards is what the last step selects among the parent's
 * children as they will be. `expected` is the node that must be selected (null:
 * nothing may be).
 */
function requireSelected(
  childrenAfter: readonly XmlElement[],
  lastStep: Step,
  expected: XmlElement | null,
  conflict: 'cannot-insert' | 'cannot-delete',
): void {
  const selected = applyStep(childrenAfter, lastStep);
  const ok = expected === null ? selected.length === 0 : selected.length === 1 && selected[0] === expected;
  if (ok) return;
  throw conflict === 'cannot-insert'
    ? new XcapConflictError('cannot-insert', 'after this change the request URI would not select the node in the body (RFC 4825 §8.2.3)')
    : new XcapConflictError(
        'cannot-delete',
        'after this deletion the request URI would still select a node (RFC 4825 §8.3); delete it by a selector that names it uniquely',
      );
}

/** The same element with other attributes, standing in for it in the checks above. */
function withAttributes(element: XmlElement, attributes: readonly XmlAttribute[]): XmlElement {
  return { ...element, attributes };
}

function siblingsOf(document: XmlDocument, element: XmlElement): XmlElement[] {
  return element.parent ? elementChildren(element.parent) : [document.root];
}

/** The edited document; parsed only when someone needs its tree (validation, constraints). */
function editResult(source: string, created: boolean, limits: Partial<XmlParseLimits> | undefined): EditResult {
  let parsed: XmlDocument | undefined;
  return {
    source,
    created,
    get document(): XmlDocument {
      parsed ??= reparse(source, limits);
      return parsed;
    },
  };
}

/** A child for an empty-element tag: `<list/>` becomes `<list>` + child + `</list>`. */
function putIntoEmptyElementTag(source: string, parent: XmlElement, text: string): string {
  const tagClose = source.lastIndexOf('/', parent.end - 1);
  const head = source.slice(parent.start, tagClose).replace(/\s+$/, '');
  return splice(source, parent.start, parent.end, `${head}>${text}</${parent.qname}>`);
}

/** PUT of an attribute (RFC 4825 §8.2.4): sets or creates it on the selected element. */
export function putAttribute(
  document: XmlDocument,
  selector: NodeSelector,
  bodyText: string,
  limits?: Partial<XmlParseLimits>,
): EditResult {
  refuseNamespaceWrite(selector);
  const terminal = selector.terminal;
  if (terminal?.kind !== 'attribute') throw new TypeError('putAttribute needs an attribute selector');
  // RFC 4825 §8.2.1: the parent is the element the steps select; none or several is no-parent.
  const found = selectElements(document, selector.steps);
  if (found.length !== 1) throw noParent(document, selector);
  const element = found[0]!;
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
  let attributes: XmlAttribute[];
  if (existing) {
    next = splice(source, existing.valueStart, existing.valueEnd, escapeAttribute(value, existing.quote));
    attributes = element.attributes.map((a) => (a === existing ? { ...a, value } : a));
  } else {
    const name = attributeQName(element, terminal.name);
    const insertAt = endOfAttributes(source, element);
    next = splice(source, insertAt, insertAt, ` ${name.declaration}${name.qname}="${escapeAttribute(value, '"')}"`);
    attributes = [...element.attributes, { ...syntheticAttribute(terminal.name), value }];
  }
  const changed = withAttributes(element, attributes);
  try {
    requireSelected(
      siblingsOf(document, element).map((c) => (c === element ? changed : c)),
      selector.steps[selector.steps.length - 1]!,
      changed,
      'cannot-insert',
    );
  } catch {
    throw new XcapConflictError('cannot-insert', 'after this change the request URI would not select the attribute (RFC 4825 §8.2.4)');
  }
  return editResult(next, !existing, limits);
}

/** A new attribute's name for the checks; its offsets are never used. */
function syntheticAttribute(name: ResolvedName): XmlAttribute {
  return { qname: name.localName, prefix: name.prefix, localName: name.localName, namespace: name.namespace, value: '', start: 0, end: 0, valueStart: 0, valueEnd: 0, quote: '"' };
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
    return editResult(splice(source, from, attribute.end, ''), false, limits);
  }
  if (element.parent === null) {
    throw new XcapConflictError('cannot-delete', 'the root element cannot be deleted; delete the document instead');
  }
  const childrenAfter = siblingsOf(document, element).filter((c) => c !== element);
  requireSelected(childrenAfter, selector.steps[selector.steps.length - 1]!, null, 'cannot-delete');
  return editResult(splice(source, element.start, element.end, ''), false, limits);
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

function formatName(name: ResolvedName): string {
  return name.prefix === null ? name.localName : `${name.prefix}:${name.localName}`;
}
