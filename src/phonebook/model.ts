/**
 * A phone book document as data: its lists and its entries, each entry with its
 * `entry_id`, display name and `cp:prop` fields. Merging, composing the shared
 * directory, importing and exporting all work on this form; `serializePhonebook`
 * writes it back in the layout the phones themselves use.
 */
import { createHash } from 'node:crypto';
import { escapeAttribute, escapeText } from '../xcap/xml/escape.js';
import type { XmlDocument, XmlElement } from '../xcap/xml/tree.js';
import { COUNTERPATH_NAMESPACE, ENTRY_ID_FIELD, fieldRank } from './fields.js';

export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';
export const DEFAULT_LIST_NAME = 'Contact List';

export interface Prop {
  readonly name: string;
  readonly value: string;
}

export interface PhonebookEntry {
  /** The `entry_id` value; null when the entry has none. */
  readonly id: string | null;
  /** The name of the top-level list the entry is in ('' for a list without a name). */
  readonly list: string;
  readonly displayName: string | null;
  readonly uri: string | null;
  /** The `cp:prop` fields other than entry_id, in document order. */
  readonly props: readonly Prop[];
  /** Other child elements, each in the form of `canonicalElement`. */
  readonly extras: readonly string[];
}

export interface PhonebookListInfo {
  readonly name: string;
  readonly displayName: string | null;
  /** Child elements of the list other than entries (nested lists, entry-refs, externals, extensions). */
  readonly extras: readonly string[];
}

export interface PhonebookModel {
  readonly lists: readonly PhonebookListInfo[];
  readonly entries: readonly PhonebookEntry[];
}

export const EMPTY_PHONEBOOK: PhonebookModel = { lists: [], entries: [] };

function textOf(element: XmlElement): string {
  let s = '';
  for (const c of element.children) if (c.kind === 'text' || c.kind === 'cdata') s += c.value;
  return s;
}

/**
 * An element as self-contained XML in one spelling whatever document it came from:
 * exactly the namespace declarations its names need, comments and whitespace-only
 * text dropped. Extension elements are kept and compared in this form, so a
 * document xcapd rewrote still holds "the same" extensions as the phone's.
 */
export function canonicalElement(element: XmlElement, inherited: ReadonlyMap<string, string> = new Map()): string {
  const scope = new Map(inherited);
  let declarations = '';
  const need = (prefix: string, namespace: string | null) => {
    const uri = namespace ?? '';
    if (scope.get(prefix) === uri) return;
    scope.set(prefix, uri);
    declarations += prefix === '' ? ` xmlns="${escapeAttribute(uri)}"` : ` xmlns:${prefix}="${escapeAttribute(uri)}"`;
  };
  need(element.prefix ?? '', element.namespace);
  for (const a of element.attributes) if (a.prefix !== null && a.prefix !== 'xml') need(a.prefix, a.namespace);
  const attributes = element.attributes.map((a) => ` ${a.qname}="${escapeAttribute(a.value)}"`).join('');
  let content = '';
  for (const c of element.children) {
    if (c.kind === 'element') content += canonicalElement(c, scope);
    else if ((c.kind === 'text' || c.kind === 'cdata') && c.value.trim() !== '') content += escapeText(c.value);
  }
  const open = `<${element.qname}${declarations}${attributes}`;
  return content === '' ? `${open}/>` : `${open}>${content}</${element.qname}>`;
}

function attr(element: XmlElement, name: string): string | null {
  for (const a of element.attributes) if (a.namespace === null && a.localName === name) return a.value;
  return null;
}

function isRl(node: XmlElement, localName: string): boolean {
  return node.namespace === RESOURCE_LISTS_NS && node.localName === localName;
}

function parseEntry(element: XmlElement, list: string): PhonebookEntry {
  let id: string | null = null;
  let displayName: string | null = null;
  const props: Prop[] = [];
  const extras: string[] = [];
  for (const child of element.children) {
    if (child.kind !== 'element') continue;
    if (isRl(child, 'display-name') && displayName === null) {
      displayName = textOf(child);
    } else if (child.namespace === COUNTERPATH_NAMESPACE && child.localName === 'prop') {
      const name = attr(child, 'name') ?? '';
      const value = attr(child, 'value') ?? '';
      if (name === ENTRY_ID_FIELD) {
        if (id === null && value !== '') id = value;
      } else {
        props.push({ name, value });
      }
    } else {
      extras.push(canonicalElement(child));
    }
  }
  return { id, list, displayName, uri: attr(element, 'uri'), props, extras };
}

/** The model of a parsed (well-formed, schema-valid) phone book document. */
export function phonebookFromDocument(document: XmlDocument): PhonebookModel {
  const lists: PhonebookListInfo[] = [];
  const entries: PhonebookEntry[] = [];
  for (const node of document.root.children) {
    if (node.kind !== 'element' || !isRl(node, 'list')) continue;
    const name = attr(node, 'name') ?? '';
    let displayName: string | null = null;
    const extras: string[] = [];
    for (const child of node.children) {
      if (child.kind !== 'element') continue;
      if (isRl(child, 'entry')) entries.push(parseEntry(child, name));
      else if (isRl(child, 'display-name') && displayName === null) displayName = textOf(child);
      else extras.push(canonicalElement(child));
    }
    if (!lists.some((l) => l.name === name)) lists.push({ name, displayName, extras });
  }
  return { lists, entries };
}

/** The value of a field, '' when the entry has none. */
export function propValue(entry: PhonebookEntry, name: string): string {
  return entry.props.find((p) => p.name === name)?.value ?? '';
}

/** Props in the phones' field order (entry_id first), unknown fields after the known ones. */
export function sortProps(props: readonly Prop[]): Prop[] {
  return props
    .map((p, i) => ({ p, i }))
    .sort((a, b) => fieldRank(a.p.name) - fieldRank(b.p.name) || a.i - b.i)
    .map(({ p }) => p);
}

/**
 * What an entry means, independent of how it was written: equal strings, same
 * entry. Field order does not count; everything else does.
 */
export function canonicalEntry(entry: PhonebookEntry, options: { ignoreList?: boolean } = {}): string {
  // Entries are immutable and compared many times over in a merge.
  const cache = options.ignoreList ? canonicalWithoutList : canonicalWithList;
  let text = cache.get(entry);
  if (text === undefined) {
    const props = [...entry.props].map((p) => [p.name, p.value]).sort((a, b) => (a[0]! < b[0]! ? -1 : a[0]! > b[0]! ? 1 : a[1]! < b[1]! ? -1 : 1));
    text = JSON.stringify([entry.id, options.ignoreList ? null : entry.list, entry.displayName, entry.uri, props, entry.extras]);
    cache.set(entry, text);
  }
  return text;
}

const canonicalWithList = new WeakMap<PhonebookEntry, string>();
const canonicalWithoutList = new WeakMap<PhonebookEntry, string>();

/** The key entries are matched by: the entry_id, or for entries without one, what they hold. */
export function entryKey(entry: PhonebookEntry): string {
  if (entry.id !== null) return entry.id;
  return `~${createHash('sha256').update(canonicalEntry(entry, { ignoreList: true })).digest('base64url').slice(0, 22)}`;
}

export function sameEntry(a: PhonebookEntry | undefined, b: PhonebookEntry | undefined, options: { ignoreList?: boolean } = {}): boolean {
  if (a === undefined || b === undefined) return a === b;
  return canonicalEntry(a, options) === canonicalEntry(b, options);
}

/** Whether two phone books hold the same entries (order of entries and fields aside). */
export function samePhonebook(a: PhonebookModel, b: PhonebookModel): boolean {
  if (a.entries.length !== b.entries.length) return false;
  const left = a.entries.map((e) => canonicalEntry(e)).sort();
  const right = b.entries.map((e) => canonicalEntry(e)).sort();
  return left.every((v, i) => v === right[i]);
}

/** A new entry_id in the phones' form: 32 upper-case hex digits, derived from `seed`. */
export function deriveEntryId(seed: string): string {
  return createHash('md5').update(seed, 'utf8').digest('hex').toUpperCase();
}

function writeEntry(entry: PhonebookEntry, out: string[]): void {
  const uri = entry.uri === null ? '' : ` uri="${escapeAttribute(entry.uri)}"`;
  out.push(`    <entry${uri}>\n`);
  if (entry.displayName !== null) out.push(`      <display-name>${escapeText(entry.displayName)}</display-name>\n`);
  if (entry.id !== null) out.push(`      <cp:prop name="${ENTRY_ID_FIELD}" value="${escapeAttribute(entry.id)}"/>\n`);
  for (const p of entry.props) out.push(`      <cp:prop name="${escapeAttribute(p.name)}" value="${escapeAttribute(p.value)}"/>\n`);
  for (const extra of entry.extras) out.push(`      ${extra}\n`);
  out.push('    </entry>\n');
}

/**
 * The document text of a phone book, laid out as the phones write it: one
 * `<list>` per list name, entries with their display name, then `entry_id`, then
 * the other fields. A model without lists gets one list named "Contact List".
 */
export function serializePhonebook(model: PhonebookModel): string {
  const lists: PhonebookListInfo[] = [...model.lists];
  for (const e of model.entries) if (!lists.some((l) => l.name === e.list)) lists.push({ name: e.list, displayName: null, extras: [] });
  if (lists.length === 0) lists.push({ name: DEFAULT_LIST_NAME, displayName: null, extras: [] });
  const out: string[] = [
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    `<resource-lists xmlns="${RESOURCE_LISTS_NS}" xmlns:cp="${COUNTERPATH_NAMESPACE}">\n`,
  ];
  for (const list of lists) {
    out.push(list.name === '' ? '  <list>\n' : `  <list name="${escapeAttribute(list.name)}">\n`);
    if (list.displayName !== null) out.push(`    <display-name>${escapeText(list.displayName)}</display-name>\n`);
    for (const entry of model.entries) if (entry.list === list.name) writeEntry(entry, out);
    for (const extra of list.extras) out.push(`    ${extra}\n`);
    out.push('  </list>\n');
  }
  out.push('</resource-lists>\n');
  return out.join('');
}

/** The name of the list new entries go into: the document's first list, else "Contact List". */
export function mainListName(model: PhonebookModel): string {
  return model.lists[0]?.name ?? model.entries[0]?.list ?? DEFAULT_LIST_NAME;
}
