/**
 * XML patch operations (RFC 5261) that turn one version of a document into the next:
 * the `<add>`, `<replace>` and `<remove>` an xcap-diff document (RFC 5874) carries so
 * that a client holding the old version need not fetch the new one.
 *
 * The patch is computed from the two texts, not from the XCAP operation that was
 * applied, so it also covers whole-document PUTs. It is small for the edits XCAP makes
 * (one element or attribute added, changed or removed, a few changed places in a
 * rewritten document) and falls back to replacing the smallest enclosing element when
 * a region is tangled. Selectors use positional steps (`entry[3]`), evaluated in the
 * order the operations are listed, as RFC 5261 requires.
 *
 * Namespaces (RFC 5261 §4.2): every operation declares on itself the namespace
 * bindings in scope at the place it changes, so its content can be the source text
 * verbatim and the prefixes of its selector mean what they meant in the document (an
 * unprefixed step is in the declared default namespace, §4.2.1).
 */
import { escapeAttribute, escapeText } from './xml/escape.js';
import { inScopeNamespaces } from './xml/parser.js';
import type {
  XmlAttribute,
  XmlComment,
  XmlDocument,
  XmlElement,
  XmlNode,
  XmlProcessingInstruction,
} from './xml/tree.js';

export interface PatchOperation {
  readonly op: 'add' | 'replace' | 'remove';
  /** The RFC 5261 selector, resolved with `namespaces`. */
  readonly sel: string;
  readonly pos?: 'before' | 'after' | 'prepend';
  /** For an added attribute: `@name`. */
  readonly type?: string;
  /** The XML content between the operation's tags (escaped text or markup); '' for none. */
  readonly content: string;
  /** Bindings (prefix → URI, '' for the default namespace) the selector and the content need. */
  readonly namespaces: ReadonlyMap<string, string>;
}

export interface PatchOptions {
  /** Longest patch worth sending, in characters of content; beyond it the client had better fetch. */
  readonly maxLength?: number;
}

const DEFAULT_MAX_LENGTH = 64 * 1024;

/**
 * The operations that transform `previous` into `current` (logically: the same
 * elements, attributes, text and comments). [] when they are already equivalent; null
 * when no patch can say it (a change outside the root element) or it would be longer
 * than `maxLength`.
 */
export function computePatch(previous: XmlDocument, current: XmlDocument, options: PatchOptions = {}): PatchOperation[] | null {
  if (outsideRoot(previous) !== outsideRoot(current)) return null;
  const a = previous.root;
  const b = current.root;
  const ops = sameName(a, b)
    ? new Differ(previous.source, current.source).element(a, b)
    : [replaceElement(a, b, current.source, new Map())];
  const limit = options.maxLength ?? DEFAULT_MAX_LENGTH;
  return patchLength(ops) > limit ? null : ops;
}

/** Writes one operation; `name` qualifies its element name (e.g. `d:add`). */
export function renderPatchOperation(op: PatchOperation, name: (local: string) => string): string {
  let attributes = ` sel="${escapeAttribute(op.sel, '"')}"`;
  if (op.pos) attributes += ` pos="${op.pos}"`;
  if (op.type) attributes += ` type="${escapeAttribute(op.type, '"')}"`;
  for (const [prefix, uri] of op.namespaces) {
    attributes += prefix === '' ? ` xmlns="${escapeAttribute(uri, '"')}"` : ` xmlns:${prefix}="${escapeAttribute(uri, '"')}"`;
  }
  const tag = name(op.op);
  return op.content === '' ? `<${tag}${attributes}/>` : `<${tag}${attributes}>${op.content}</${tag}>`;
}

export function patchLength(ops: readonly PatchOperation[]): number {
  let n = 0;
  for (const op of ops) n += op.content.length + op.sel.length + 16;
  return n;
}

// ---------------------------------------------------------------------------

/** Comments and PIs before and after the root; whitespace there is not part of the document. */
function outsideRoot(document: XmlDocument): string {
  const before = document.source.slice(document.declarationEnd, document.root.start);
  const after = document.source.slice(document.root.end);
  return `${before.trim()}\u0000${after.trim()}`;
}

function sameName(a: XmlElement, b: XmlElement): boolean {
  return a.localName === b.localName && a.namespace === b.namespace;
}

type Markup = XmlElement | XmlComment | XmlProcessingInstruction;

/**
 * An element's content as XPath sees it: the nodes that are not text, and between
 * them the text slots (slot k precedes node k; the last one follows the last node).
 * An empty slot has no text node; CDATA sections count as text.
 */
interface Content {
  readonly nodes: readonly Markup[];
  /** [start, end) of each slot in the source. */
  readonly slots: readonly (readonly [number, number])[];
}

function contentOf(element: XmlElement): Content {
  const nodes: Markup[] = [];
  const slots: [number, number][] = [];
  let slotStart = element.startTagEnd;
  for (const child of element.children) {
    if (child.kind === 'text' || child.kind === 'cdata') continue;
    slots.push([slotStart, child.start]);
    nodes.push(child);
    slotStart = child.end;
  }
  slots.push([slotStart, element.selfClosing ? element.startTagEnd : element.endTagStart]);
  return { nodes, slots };
}

function contextOf(element: XmlElement | null): Map<string, string> {
  if (element === null) return new Map();
  const bindings = inScopeNamespaces(element);
  bindings.delete('xml');
  return bindings;
}

class Differ {
  constructor(
    private readonly a: string,
    private readonly b: string,
  ) {}

  /** Operations for two elements of the same expanded name whose contexts are the same. */
  element(a: XmlElement, b: XmlElement): PatchOperation[] {
    const whole = (): PatchOperation[] => [replaceElement(a, b, this.b, contextOf(a.parent))];
    if (a.qname !== b.qname || !sameDeclarations(a, b)) return whole();
    const context = contextOf(a);
    const path = pathOf(a, context);
    const ops: PatchOperation[] = [];
    if (!this.attributes(a, b, path, context, ops)) return whole();
    this.children(a, b, path, context, ops);
    const replacement = whole();
    return patchLength(ops) >= patchLength(replacement) ? replacement : ops;
  }

  /** Attribute additions, changes and removals; false when one cannot be named. */
  private attributes(a: XmlElement, b: XmlElement, path: string, context: Map<string, string>, ops: PatchOperation[]): boolean {
    for (const old of a.attributes) {
      const now = b.attributes.find((x) => x.localName === old.localName && x.namespace === old.namespace);
      if (now !== undefined && now.value === old.value) continue;
      const name = attributeName(old, context);
      if (name === null) return false;
      ops.push(
        now === undefined
          ? { op: 'remove', sel: `${path}/@${name}`, content: '', namespaces: context }
          : { op: 'replace', sel: `${path}/@${name}`, content: escapeText(now.value), namespaces: context },
      );
    }
    for (const added of b.attributes) {
      if (a.attributes.some((x) => x.localName === added.localName && x.namespace === added.namespace)) continue;
      const name = attributeName(added, context);
      if (name === null) return false;
      ops.push({ op: 'add', sel: path, type: `@${name}`, content: escapeText(added.value), namespaces: context });
    }
    return true;
  }

  private children(a: XmlElement, b: XmlElement, path: string, context: Map<string, string>, ops: PatchOperation[]): void {
    const ca = contentOf(a);
    const cb = contentOf(b);
    const slotA = (k: number): string => this.a.slice(ca.slots[k]![0], ca.slots[k]![1]);
    const slotB = (k: number): string => this.b.slice(cb.slots[k]![0], cb.slots[k]![1]);
    const nodeA = (k: number): string => this.a.slice(ca.nodes[k]!.start, ca.nodes[k]!.end);
    const nodeB = (k: number): string => this.b.slice(cb.nodes[k]!.start, cb.nodes[k]!.end);
    const na = ca.nodes.length;
    const nb = cb.nodes.length;

    // Common prefix (slot k and node k) and suffix (node and the slot after it).
    let i = 0;
    while (i < na && i < nb && slotA(i) === slotB(i) && nodeA(i) === nodeB(i)) i++;
    let s = 0;
    while (s < na - i && s < nb - i && slotA(na - s) === slotB(nb - s) && nodeA(na - 1 - s) === nodeB(nb - 1 - s)) s++;
    const j = na - s; // region: nodes a[i..j), slots a[i..j]
    const k = nb - s; // region: nodes b[i..k), slots b[i..k]
    if (j === i && k === i && slotA(i) === slotB(i)) return;

    const textIndex = (slot: number): number => {
      let n = 0;
      for (let x = 0; x <= slot; x++) if (ca.slots[x]![0] !== ca.slots[x]![1]) n++;
      return n;
    };

    // The same shape: recurse into each pair of elements, replace changed text in place.
    if (j - i === k - i) {
      let paired = true;
      for (let x = i; x < j && paired; x++) {
        const p = ca.nodes[x]!;
        const q = cb.nodes[x]!;
        paired = p.kind === 'element' && q.kind === 'element' && sameName(p, q);
      }
      for (let x = i; x <= j && paired; x++) paired = slotA(x) === slotB(x) || (slotA(x) !== '' && slotB(x) !== '');
      if (paired) {
        for (let x = i; x <= j; x++) {
          if (x > i && nodeA(x - 1) !== nodeB(x - 1)) ops.push(...this.element(ca.nodes[x - 1] as XmlElement, cb.nodes[x - 1] as XmlElement));
          if (slotA(x) !== slotB(x)) {
            ops.push({ op: 'replace', sel: `${path}/text()[${textIndex(x)}]`, content: slotB(x), namespaces: context });
          }
        }
        return;
      }
    }

    const selectorOf = (node: Markup): string => `${path}/${markupStep(node, a, context)}`;
    const inner = k > i ? this.b.slice(cb.nodes[i]!.start, cb.nodes[k - 1]!.end) : '';

    // Only nodes removed, and the text around them joins up as it should.
    if (k === i) {
      let joined = '';
      for (let x = i; x <= j; x++) joined += slotA(x);
      if (joined === slotB(i)) {
        for (let x = j - 1; x >= i; x--) ops.push({ op: 'remove', sel: selectorOf(ca.nodes[x]!), content: '', namespaces: context });
        return;
      }
    }
    // Only nodes inserted into one text slot, at one of its ends.
    if (j === i && k > i && slotA(i) === slotB(i) + slotB(k)) {
      if (slotB(i) === '') {
        ops.push(
          i > 0
            ? { op: 'add', sel: selectorOf(ca.nodes[i - 1]!), pos: 'after', content: inner, namespaces: context }
            : { op: 'add', sel: path, pos: 'prepend', content: inner, namespaces: context },
        );
        return;
      }
      if (slotB(k) === '') {
        ops.push(
          i < na
            ? { op: 'add', sel: selectorOf(ca.nodes[i]!), pos: 'before', content: inner, namespaces: context }
            : { op: 'add', sel: path, content: inner, namespaces: context },
        );
        return;
      }
    }

    // Anything else: take the region out, last node first so that no two text nodes
    // meet and no position shifts, then put the new region in as one piece.
    for (let x = j; x >= i; x--) {
      if (x < j) ops.push({ op: 'remove', sel: selectorOf(ca.nodes[x]!), content: '', namespaces: context });
      if (slotA(x) !== '') ops.push({ op: 'remove', sel: `${path}/text()[${textIndex(x)}]`, content: '', namespaces: context });
    }
    const region = this.b.slice(cb.slots[i]![0], cb.slots[k]![1]);
    if (region === '') return;
    ops.push(
      i > 0
        ? { op: 'add', sel: selectorOf(ca.nodes[i - 1]!), pos: 'after', content: region, namespaces: context }
        : { op: 'add', sel: path, pos: 'prepend', content: region, namespaces: context },
    );
  }
}

function replaceElement(a: XmlElement, b: XmlElement, bSource: string, context: Map<string, string>): PatchOperation {
  return {
    op: 'replace',
    sel: pathOf(a, context),
    content: bSource.slice(b.start, b.end),
    namespaces: context,
  };
}

function sameDeclarations(a: XmlElement, b: XmlElement): boolean {
  if (a.namespaceDeclarations.length !== b.namespaceDeclarations.length) return false;
  const key = (e: XmlElement): string =>
    e.namespaceDeclarations
      .map((d) => `${d.prefix}=${d.uri}`)
      .sort()
      .join('\u0000');
  return key(a) === key(b);
}

/** The absolute selector of an element, its names written with the prefixes of `context` (`*[n]` where none fits). */
function pathOf(element: XmlElement, context: ReadonlyMap<string, string>): string {
  const steps: string[] = [];
  for (let e: XmlElement | null = element; e !== null; e = e.parent) steps.push(elementStep(e, context));
  return `/${steps.reverse().join('/')}`;
}

/** `name`, `p:name` or `*`, with a position when siblings share the name. */
function elementStep(element: XmlElement, context: ReadonlyMap<string, string>): string {
  const prefix = prefixFor(element.namespace, element.prefix, context);
  const parent = element.parent;
  if (prefix === null) {
    if (parent === null) return '*';
    return `*[${indexAmong(element, parent, () => true)}]`;
  }
  const name = prefix === '' ? element.localName : `${prefix}:${element.localName}`;
  if (parent === null) return name;
  const same = (e: XmlElement): boolean => sameName(e, element);
  let count = 0;
  for (const c of parent.children) if (c.kind === 'element' && same(c)) count++;
  return count === 1 ? name : `${name}[${indexAmong(element, parent, same)}]`;
}

/**
 * A prefix under which `context` binds `namespace` ('' for the default namespace),
 * the element's own first; null when the name cannot be written there (in no
 * namespace under a default namespace, or in a namespace with no binding).
 */
function prefixFor(namespace: string | null, own: string | null, context: ReadonlyMap<string, string>): string | null {
  if (namespace === null) return context.has('') ? null : '';
  if (context.get(own ?? '') === namespace) return own ?? '';
  if (context.get('') === namespace) return '';
  for (const [p, uri] of context) if (uri === namespace) return p;
  return null;
}

function attributeName(attribute: XmlAttribute, context: ReadonlyMap<string, string>): string | null {
  if (attribute.namespace === null) return attribute.localName;
  if (attribute.prefix === 'xml') return attribute.qname;
  for (const [p, uri] of context) if (p !== '' && uri === attribute.namespace) return `${p}:${attribute.localName}`;
  return null;
}

function indexAmong(node: XmlNode, parent: XmlElement, counts: (e: XmlElement) => boolean): number {
  let n = 0;
  for (const c of parent.children) {
    if (c.kind === 'element' && counts(c)) n++;
    if (c === node) return n;
  }
  return n;
}

/** The step naming a child element, comment or processing instruction of `parent`. */
function markupStep(node: Markup, parent: XmlElement, context: ReadonlyMap<string, string>): string {
  if (node.kind === 'element') return elementStep(node, context);
  let n = 0;
  for (const c of parent.children) {
    if (c.kind === node.kind && (node.kind === 'comment' || (c as XmlProcessingInstruction).target === node.target)) n++;
    if (c === node) break;
  }
  return node.kind === 'comment' ? `comment()[${n}]` : `processing-instruction('${node.target}')[${n}]`;
}
