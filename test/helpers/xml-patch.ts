/**
 * A small, independent RFC 5261 patch applier for tests: it applies the `<add>`,
 * `<replace>` and `<remove>` children of an xcap-diff `<document>` to a copy of a
 * document and gives a canonical form (expanded names, attributes by name, merged
 * text, comments) to compare with the expected version. It follows the RFC, not
 * src/xcap/patch.ts, so a patch that only the generator understands fails here.
 */
import { inScopeNamespaces, parseXmlDocument } from '../../src/xcap/xml/parser.js';
import type { XmlDocument, XmlElement, XmlNode } from '../../src/xcap/xml/tree.js';

export const XCAP_DIFF_NS = 'urn:ietf:params:xml:ns:xcap-diff';

type MNode = MElement | MText | MComment | MPi;
interface MElement {
  kind: 'element';
  ns: string | null;
  local: string;
  attrs: { ns: string | null; local: string; value: string }[];
  children: MNode[];
  parent: MElement | MDocument | null;
}
interface MText {
  kind: 'text';
  value: string;
  parent: MElement | null;
}
interface MComment {
  kind: 'comment';
  raw: string;
  parent: MElement | null;
}
interface MPi {
  kind: 'pi';
  target: string;
  raw: string;
  parent: MElement | null;
}
interface MDocument {
  kind: 'document';
  children: MElement[];
}

function convert(source: string, node: XmlNode, parent: MElement | null): MNode {
  switch (node.kind) {
    case 'element': {
      const e: MElement = {
        kind: 'element',
        ns: node.namespace,
        local: node.localName,
        attrs: node.attributes.map((a) => ({ ns: a.namespace, local: a.localName, value: a.value })),
        children: [],
        parent,
      };
      for (const c of node.children) e.children.push(convert(source, c, e));
      mergeTexts(e);
      return e;
    }
    case 'text':
    case 'cdata':
      return { kind: 'text', value: node.value, parent };
    case 'comment':
      return { kind: 'comment', raw: source.slice(node.start, node.end), parent };
    case 'pi':
      return { kind: 'pi', target: node.target, raw: source.slice(node.start, node.end), parent };
  }
}

function mergeTexts(e: MElement): void {
  const out: MNode[] = [];
  for (const c of e.children) {
    const last = out[out.length - 1];
    if (c.kind === 'text' && last?.kind === 'text') last.value += c.value;
    else if (!(c.kind === 'text' && c.value === '')) out.push(c);
  }
  e.children = out;
}

export function loadDocument(source: string): MDocument {
  const parsed = parseXmlDocument(source);
  const doc: MDocument = { kind: 'document', children: [] };
  const root = convert(parsed.source, parsed.root, null) as MElement;
  root.parent = doc;
  doc.children.push(root);
  return doc;
}

/** Applies every patch operation found in the `<document>` elements of an xcap-diff text. */
export function applyXcapDiff(documentSource: string, xcapDiff: string): string {
  const doc = loadDocument(documentSource);
  const diff = parseXmlDocument(xcapDiff);
  for (const d of childElements(diff.root)) {
    if (d.namespace !== XCAP_DIFF_NS || d.localName !== 'document') continue;
    for (const op of childElements(d)) if (op.localName !== 'body-not-changed') applyOperation(doc, diff, op);
  }
  return canonical(doc.children[0]!);
}

function childElements(e: XmlElement): XmlElement[] {
  return e.children.filter((c): c is XmlElement => c.kind === 'element');
}

type Target =
  | { kind: 'node'; node: MNode }
  | { kind: 'attribute'; element: MElement; ns: string | null; local: string };

function resolveName(qname: string, context: Map<string, string>, attribute: boolean): { ns: string | null; local: string } {
  const colon = qname.indexOf(':');
  if (colon < 0) return { ns: attribute ? null : (context.get('') ?? null), local: qname };
  const prefix = qname.slice(0, colon);
  const ns = context.get(prefix);
  if (ns === undefined) throw new Error(`unbound prefix ${prefix} in selector`);
  return { ns, local: qname.slice(colon + 1) };
}

function splitSteps(sel: string): string[] {
  const steps: string[] = [];
  let cur = '';
  let quote: string | null = null;
  for (const ch of sel) {
    if (quote) {
      if (ch === quote) quote = null;
      cur += ch;
    } else if (ch === "'" || ch === '"') {
      quote = ch;
      cur += ch;
    } else if (ch === '/') {
      steps.push(cur);
      cur = '';
    } else cur += ch;
  }
  steps.push(cur);
  return steps;
}

function select(doc: MDocument, sel: string, context: Map<string, string>): Target {
  if (!sel.startsWith('/')) throw new Error(`test applier handles absolute selectors only: ${sel}`);
  const steps = splitSteps(sel.slice(1));
  let current: MElement | MDocument = doc;
  for (let i = 0; i < steps.length; i++) {
    const step = steps[i]!;
    const last = i === steps.length - 1;
    if (step.startsWith('@')) {
      if (!last || current.kind !== 'element') throw new Error(`bad attribute step in ${sel}`);
      const name = resolveName(step.slice(1), context, true);
      return { kind: 'attribute', element: current, ...name };
    }
    const m = /^(.*?)(?:\[(\d+)\])?$/.exec(step)!;
    const test = m[1]!;
    const position = m[2] === undefined ? null : Number(m[2]);
    const children: MNode[] = current.children;
    let candidates: MNode[];
    if (test === 'text()') candidates = children.filter((c) => c.kind === 'text');
    else if (test === 'comment()') candidates = children.filter((c) => c.kind === 'comment');
    else if (test.startsWith('processing-instruction(')) {
      const target = /^processing-instruction\('([^']*)'\)$/.exec(test)?.[1];
      candidates = children.filter((c) => c.kind === 'pi' && (target === undefined || c.target === target));
    } else if (test === '*') candidates = children.filter((c) => c.kind === 'element');
    else {
      const name = resolveName(test, context, false);
      candidates = children.filter((c) => c.kind === 'element' && c.local === name.local && c.ns === name.ns);
    }
    if (position !== null) candidates = candidates[position - 1] ? [candidates[position - 1]!] : [];
    if (candidates.length !== 1) throw new Error(`selector ${sel} step ${step} matched ${candidates.length} nodes`);
    const found = candidates[0]!;
    if (last) return { kind: 'node', node: found };
    if (found.kind !== 'element') throw new Error(`selector ${sel} goes through a non-element`);
    current = found;
  }
  throw new Error(`empty selector ${sel}`);
}

function contentNodes(diff: XmlDocument, op: XmlElement, parent: MElement | null): MNode[] {
  const nodes = op.children.map((c) => convert(diff.source, c, parent));
  const holder: MElement = { kind: 'element', ns: null, local: '#', attrs: [], children: nodes, parent: null };
  mergeTexts(holder);
  return holder.children;
}

function textOf(op: XmlElement): string {
  let s = '';
  for (const c of op.children) if (c.kind === 'text' || c.kind === 'cdata') s += c.value;
  return s;
}

function siblingsOf(node: MNode): { list: MNode[]; owner: MElement } {
  const parent = node.parent;
  if (parent === null || parent.kind !== 'element') throw new Error('cannot change the document node');
  return { list: parent.children, owner: parent };
}

function applyOperation(doc: MDocument, diff: XmlDocument, op: XmlElement): void {
  const context = inScopeNamespaces(op);
  const sel = op.attributes.find((a) => a.localName === 'sel' && a.namespace === null)?.value ?? '';
  const pos = op.attributes.find((a) => a.localName === 'pos')?.value;
  const type = op.attributes.find((a) => a.localName === 'type')?.value;
  const target = select(doc, sel, context);
  switch (op.localName) {
    case 'add': {
      if (target.kind !== 'node') throw new Error('add on an attribute');
      if (type !== undefined) {
        if (target.node.kind !== 'element') throw new Error('attribute add on a non-element');
        const name = resolveName(type.slice(1), context, true);
        if (target.node.attrs.some((a) => a.ns === name.ns && a.local === name.local)) throw new Error('attribute exists');
        target.node.attrs.push({ ...name, value: textOf(op) });
        return;
      }
      if (pos === 'before' || pos === 'after') {
        const { list, owner } = siblingsOf(target.node);
        const at = list.indexOf(target.node) + (pos === 'after' ? 1 : 0);
        list.splice(at, 0, ...contentNodes(diff, op, owner));
        mergeTexts(owner);
        return;
      }
      if (target.node.kind !== 'element') throw new Error('add into a non-element');
      const nodes = contentNodes(diff, op, target.node);
      if (pos === 'prepend') target.node.children.unshift(...nodes);
      else target.node.children.push(...nodes);
      mergeTexts(target.node);
      return;
    }
    case 'replace': {
      if (target.kind === 'attribute') {
        const a = target.element.attrs.find((x) => x.ns === target.ns && x.local === target.local);
        if (!a) throw new Error(`no attribute ${sel}`);
        a.value = textOf(op);
        return;
      }
      if (target.node.kind === 'element' && target.node.parent?.kind === 'document') {
        const nodes = contentNodes(diff, op, null);
        if (nodes.length !== 1 || nodes[0]!.kind !== 'element') throw new Error('the root must be replaced by one element');
        (nodes[0] as MElement).parent = doc;
        doc.children[0] = nodes[0] as MElement;
        return;
      }
      const { list, owner } = siblingsOf(target.node);
      const nodes = contentNodes(diff, op, owner);
      if (target.node.kind === 'element' && (nodes.length !== 1 || nodes[0]!.kind !== 'element')) {
        throw new Error('an element must be replaced by one element');
      }
      if (target.node.kind === 'text' && nodes.some((n) => n.kind !== 'text')) throw new Error('text replaced by non-text');
      list.splice(list.indexOf(target.node), 1, ...nodes);
      mergeTexts(owner);
      return;
    }
    case 'remove': {
      if (target.kind === 'attribute') {
        const before = target.element.attrs.length;
        target.element.attrs = target.element.attrs.filter((x) => !(x.ns === target.ns && x.local === target.local));
        if (target.element.attrs.length === before) throw new Error(`no attribute ${sel}`);
        return;
      }
      const { list, owner } = siblingsOf(target.node);
      list.splice(list.indexOf(target.node), 1);
      mergeTexts(owner);
      return;
    }
    default:
      throw new Error(`unknown patch operation ${op.localName}`);
  }
}

/** A text form in which two logically equal documents are equal. */
export function canonical(node: MNode | MElement): string {
  switch (node.kind) {
    case 'element': {
      const attrs = node.attrs
        .map((a) => `{${a.ns ?? ''}}${a.local}=${JSON.stringify(a.value)}`)
        .sort()
        .join(' ');
      return `<{${node.ns ?? ''}}${node.local} ${attrs}>${node.children.map(canonical).join('')}</>`;
    }
    case 'text':
      return JSON.stringify(node.value);
    case 'comment':
    case 'pi':
      return node.raw;
  }
}

export function canonicalOf(source: string): string {
  return canonical(loadDocument(source).children[0]!);
}
