/**
 * com.counterpath.tbook: the phone book of Snom deskphones and CounterPath Bria
 * (`tbook.xml`). The documents are resource-lists documents whose entries carry
 * their fields as `<cp:prop name value>` in the `counterpath:properties`
 * namespace, usually without `uri`.
 *
 * It is a usage of its own rather than documents inside `resource-lists`, because
 * its rules differ from RFC 4826: entries need no uri, `entry_id` is unique in the
 * whole document, phones send whatever Content-Type they like, a stale PUT is merged
 * instead of refused, and a shared company directory is merged into what every
 * user reads (see src/phonebook/handler.ts).
 *
 * What is refused is only what is genuinely broken: not well-formed, not
 * schema-valid, two entries with one entry_id, an entry with two entry_ids. Values
 * the phones write themselves — unknown field names, localized categories such as a
 * German Snom's `Arbeit` — are accepted as written and reported by `reviewPhonebook`.
 */
import { randomBytes } from 'node:crypto';
import { XcapConflictError } from '../../xcap/errors.js';
import type { XmlDocument, XmlElement } from '../../xcap/xml/tree.js';
import {
  CATEGORIES,
  CATEGORIES2,
  CATEGORY2_FIELD,
  CATEGORY_FIELD,
  categoryOf,
  COUNTERPATH_NAMESPACE,
  ENTRY_ID_FIELD,
  isKnownField,
} from '../../phonebook/fields.js';
import { RESOURCE_LISTS_NS } from '../../phonebook/model.js';
import { constraintFailure, selectorOf } from '../constraints.js';
import type { AppUsage } from '../types.js';

export const PHONEBOOK_AUID = 'com.counterpath.tbook';
export const PHONEBOOK_DOCUMENT = 'tbook.xml';

/**
 * Content-Types a whole-document PUT of a phone book may carry. Snom does not
 * document what its firmware sends; phones and small HTTP clients send the generic
 * XML types, text/plain, octet-stream or nothing, and all of them mean "this XML
 * document" here.
 */
export const PHONEBOOK_DOCUMENT_TYPES: ReadonlySet<string> = new Set([
  'application/resource-lists+xml',
  'application/xml',
  'text/xml',
  'text/plain',
  'application/octet-stream',
  'application/x-www-form-urlencoded',
]);

function isProp(node: XmlElement): boolean {
  return node.namespace === COUNTERPATH_NAMESPACE && node.localName === 'prop';
}

function attributeOf(element: XmlElement, name: string): string | undefined {
  for (const a of element.attributes) if (a.namespace === null && a.localName === name) return a.value;
  return undefined;
}

function* entriesOf(element: XmlElement): Generator<XmlElement> {
  for (const child of element.children) {
    if (child.kind !== 'element' || child.namespace !== RESOURCE_LISTS_NS) continue;
    if (child.localName === 'entry') yield child;
    else if (child.localName === 'list') yield* entriesOf(child);
  }
}

function propsOf(entry: XmlElement): XmlElement[] {
  return entry.children.filter((c): c is XmlElement => c.kind === 'element' && isProp(c));
}

/**
 * The constraints of the phone book: `entry_id` unique within the document (a
 * uniqueness-failure naming the field, with a fresh id as the alternative), and at
 * most one entry_id per entry.
 */
export function checkPhonebookConstraints(document: XmlDocument): void {
  const seen = new Set<string>();
  for (const entry of entriesOf(document.root)) {
    const ids = propsOf(entry).filter((p) => attributeOf(p, 'name') === ENTRY_ID_FIELD);
    if (ids.length > 1) {
      throw constraintFailure(`${selectorOf(entry, RESOURCE_LISTS_NS)} has ${ids.length} entry_id fields; an entry has one`);
    }
    const id = ids[0] === undefined ? '' : (attributeOf(ids[0], 'value') ?? '');
    if (id === '') continue;
    if (seen.has(id)) {
      const list = entry.parent!;
      const field = `${selectorOf(list, RESOURCE_LISTS_NS)}/entry/cp:prop[@name="${ENTRY_ID_FIELD}"]/@value`;
      throw new XcapConflictError('uniqueness-failure', `entry_id ${id} is used by two entries; entry_id must be unique in the document`, {
        exists: [{ field, altValues: [randomBytes(16).toString('hex').toUpperCase()] }],
      });
    }
    seen.add(id);
  }
}

/**
 * What a phone wrote that is outside the documented vocabulary, one line each:
 * unknown field names, categories other than friend/family/work/colleague (a
 * localized name like `Arbeit` is named with the category it stands for), second
 * categories other than dnd/vip, a field given twice in one entry. None of it is
 * refused.
 */
export function reviewPhonebook(document: XmlDocument): string[] {
  const notes = new Set<string>();
  for (const entry of entriesOf(document.root)) {
    const names = new Set<string>();
    for (const prop of propsOf(entry)) {
      const name = attributeOf(prop, 'name') ?? '';
      const value = attributeOf(prop, 'value') ?? '';
      if (names.has(name)) notes.add(`field ${name} appears twice in one entry; phones read the first`);
      names.add(name);
      if (!isKnownField(name)) {
        notes.add(`unknown field ${JSON.stringify(name)} kept as written`);
      } else if (name === CATEGORY_FIELD && value !== '' && !(CATEGORIES as readonly string[]).includes(value)) {
        const meant = categoryOf(value);
        notes.add(
          meant === null
            ? `category ${JSON.stringify(value)} is none of ${CATEGORIES.join(', ')}; kept as written`
            : `category ${JSON.stringify(value)} (localized ${meant}) kept as written`,
        );
      } else if (name === CATEGORY2_FIELD && value !== '' && !(CATEGORIES2 as readonly string[]).includes(value)) {
        notes.add(`category#1 ${JSON.stringify(value)} is neither dnd nor vip; kept as written`);
      }
    }
  }
  return [...notes];
}

export const phonebook: AppUsage = {
  auid: PHONEBOOK_AUID,
  mimeType: 'application/resource-lists+xml',
  defaultNamespace: RESOURCE_LISTS_NS,
  namespaces: [RESOURCE_LISTS_NS, COUNTERPATH_NAMESPACE],
  // The shared schema leaves <entry uri> optional for exactly this usage.
  schema: 'resource-lists.xsd',
  defaultDocumentName: PHONEBOOK_DOCUMENT,
  trees: ['users', 'global'],
  checkConstraints(document) {
    checkPhonebookConstraints(document);
    return [];
  },
};
