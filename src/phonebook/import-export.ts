/**
 * `xcapd phonebook import` and `export`: address books (vCard, CSV) into a user's
 * phone book or the shared directory, and back out.
 *
 * Import `merge` (the default) updates the entries it finds by entry_id — fields the
 * import sets are overwritten, fields only the stored entry has (a number added on
 * a phone) are kept — adds new ones and leaves the rest alone; `replace` makes the
 * book exactly the import. Either way a re-import of the same file changes nothing,
 * because entry_ids derive from the vCard UID or the contact's name.
 *
 * Duplicate numbers are reported: within one contact they are imported once, across
 * contacts they are kept but listed, since Snom phones slow down on them.
 */
import { extname } from 'node:path';
import { checkPhonebookConstraints, PHONEBOOK_AUID, PHONEBOOK_DOCUMENT, phonebook } from '../appusages/usages/phonebook.js';
import { describeIssues, schemaIssues } from '../appusages/validate-document.js';
import { normalizeUserId, toXui } from '../auth/user-id.js';
import type { DocumentKey, Storage } from '../storage/types.js';
import { parseDocumentBody } from '../xcap/operations.js';
import { contactToEntry, type Contact } from './contacts.js';
import { readCsvContacts, writeCsv } from './csv.js';
import { numberFieldName, parseNumberField, type NumberField } from './fields.js';
import { entryLabel } from './merge.js';
import {
  deriveEntryId,
  EMPTY_PHONEBOOK,
  mainListName,
  phonebookFromDocument,
  sameEntry,
  serializePhonebook,
  sortProps,
  type PhonebookEntry,
  type PhonebookModel,
  type Prop,
} from './model.js';
import { numberIdentity, type NumberOptions } from './numbers.js';
import { decodeTextFile } from './text-file.js';
import { readVcards, writeVcards } from './vcard.js';

export type PhonebookTarget = { readonly user: string } | { readonly shared: true };
export type ContactFormat = 'vcf' | 'csv';

export function phonebookKey(target: PhonebookTarget, document = PHONEBOOK_DOCUMENT): DocumentKey {
  if ('shared' in target) return { auid: PHONEBOOK_AUID, tree: 'global', owner: '', path: document };
  return { auid: PHONEBOOK_AUID, tree: 'users', owner: toXui(normalizeUserId(target.user)), path: document };
}

export function guessFormat(fileName: string, text: string): ContactFormat {
  const ext = extname(fileName).toLowerCase();
  if (ext === '.vcf' || ext === '.vcard') return 'vcf';
  if (ext === '.csv' || ext === '.txt') return 'csv';
  return /^\s*BEGIN:VCARD/i.test(text) ? 'vcf' : 'csv';
}

export function readContacts(text: string, format: ContactFormat): { contacts: Contact[]; warnings: string[] } {
  return format === 'vcf' ? readVcards(text) : readCsvContacts(text);
}

export interface ImportOptions {
  readonly target: PhonebookTarget;
  readonly document?: string;
  readonly mode?: 'merge' | 'replace';
  readonly format?: ContactFormat;
  /** For format guessing and messages. */
  readonly fileName?: string;
  readonly numbers?: NumberOptions;
  /** Compute and report, write nothing. */
  readonly dryRun?: boolean;
}

export interface ImportReport {
  readonly key: DocumentKey;
  readonly format: ContactFormat;
  readonly mode: 'merge' | 'replace';
  readonly contacts: number;
  readonly added: number;
  readonly updated: number;
  readonly unchanged: number;
  /** Entries not in the import that stay (merge) or went (replace). */
  readonly untouched: number;
  readonly removed: number;
  readonly warnings: string[];
  readonly written: boolean;
  readonly etag: string | null;
}

/**
 * The stored entry updated with what the import knows: the import's fields win,
 * fields it does not set stay, and numbers only the stored entry has (added on a
 * phone) stay too, numbered after the import's numbers of their kind.
 */
function updateEntry(stored: PhonebookEntry, imported: PhonebookEntry, numbers?: NumberOptions): PhonebookEntry {
  const importedNames = new Set(imported.props.map((p) => p.name));
  const importedNumbers = new Set(imported.props.filter((p) => parseNumberField(p.name)).map((p) => numberIdentity(p.value, numbers)));
  const next = new Map<NumberField, number>();
  for (const p of imported.props) {
    const n = parseNumberField(p.name);
    if (n) next.set(n.field, Math.max(next.get(n.field) ?? 0, n.index + 1));
  }
  const kept: Prop[] = [];
  for (const p of stored.props) {
    const n = parseNumberField(p.name);
    if (n === null) {
      if (!importedNames.has(p.name)) kept.push(p);
      continue;
    }
    if (importedNumbers.has(numberIdentity(p.value, numbers))) continue;
    if (!next.has(n.field)) {
      if (!importedNames.has(p.name)) kept.push(p);
      continue;
    }
    const index = next.get(n.field)!;
    next.set(n.field, index + 1);
    kept.push({ name: numberFieldName(n.field, index), value: p.value });
  }
  return { ...stored, displayName: imported.displayName ?? stored.displayName, props: sortProps([...imported.props, ...kept]) };
}

/** Numbers held by more than one entry, one warning each. */
export function duplicateNumberWarnings(entries: readonly PhonebookEntry[], numbers?: NumberOptions): string[] {
  const holders = new Map<string, { value: string; labels: string[] }>();
  for (const entry of entries) {
    const label = entryLabel(entry);
    for (const p of entry.props) {
      if (parseNumberField(p.name) === null || p.value === '') continue;
      const id = numberIdentity(p.value, numbers);
      const h = holders.get(id) ?? { value: p.value, labels: [] };
      if (!h.labels.includes(label)) h.labels.push(label);
      holders.set(id, h);
    }
  }
  return [...holders.values()]
    .filter((h) => h.labels.length > 1)
    .map((h) => `duplicate number ${h.value} in ${h.labels.length} entries (${h.labels.join('; ')}); duplicates make Snom phones slow`);
}

function validateOrThrow(content: string): void {
  const document = parseDocumentBody(content);
  const issues = schemaIssues(phonebook.schema!, document);
  if (issues.length > 0) throw new Error(`the resulting phone book is not valid: ${describeIssues(issues)}`);
  checkPhonebookConstraints(document);
}

export async function importPhonebook(storage: Storage, bytes: Uint8Array, options: ImportOptions): Promise<ImportReport> {
  const key = phonebookKey(options.target, options.document);
  const text = decodeTextFile(bytes);
  const format = options.format ?? guessFormat(options.fileName ?? '', text);
  const read = readContacts(text, format);
  const warnings = [...read.warnings];
  const mode = options.mode ?? 'merge';
  let report: Omit<ImportReport, 'written' | 'etag' | 'warnings'> | null = null;

  const result = await storage.updateDocument(key, (current) => {
    const existing: PhonebookModel = current === null ? EMPTY_PHONEBOOK : phonebookFromDocument(parseDocumentBody(current.content));
    const list = mainListName(existing);
    const existingIds = new Set(existing.entries.map((e) => e.id).filter((id) => id !== null));
    const imported: PhonebookEntry[] = [];
    const ids = new Map<string, string>();
    const unmapped = new Set<string>();
    for (const contact of read.contacts) {
      const converted = contactToEntry(contact, { list, ...(options.numbers ? { numbers: options.numbers } : {}) });
      warnings.push(...converted.warnings);
      for (const c of converted.unmappedCategories) unmapped.add(c);
      let entry = converted.entry;
      // An entry exported by xcapd comes back with its entry_id as the UID: it is the same entry.
      const uid = contact.uid?.trim();
      if (uid && existingIds.has(uid)) entry = { ...entry, id: uid };
      if (entry.props.length === 0 && entry.displayName === null) {
        warnings.push(`${contact.source}: empty contact skipped`);
        continue;
      }
      const first = ids.get(entry.id!);
      if (first !== undefined) {
        let n = 2;
        let id = deriveEntryId(`${entry.id}#${n}`);
        while (ids.has(id)) id = deriveEntryId(`${entry.id}#${++n}`);
        warnings.push(`${entry.displayName ?? entry.id} (${contact.source}) has the same name or UID as ${first}; imported as a separate entry ${id}`);
        entry = { ...entry, id };
      }
      ids.set(entry.id!, `${entry.displayName ?? entry.id} (${contact.source})`);
      imported.push(entry);
    }
    if (unmapped.size > 0) warnings.push(`categories with no phone equivalent, not imported: ${[...unmapped].join(', ')}`);

    const byId = new Map(existing.entries.filter((e) => e.id !== null).map((e) => [e.id!, e] as const));
    let added = 0;
    let updated = 0;
    let unchanged = 0;
    const entries: PhonebookEntry[] = [];
    const fresh: PhonebookEntry[] = [];
    for (const entry of imported) {
      const stored = byId.get(entry.id!);
      if (stored === undefined) {
        added++;
        fresh.push(entry);
        continue;
      }
      const next = mode === 'replace' ? { ...entry, list: stored.list } : updateEntry(stored, entry, options.numbers);
      if (sameEntry(next, stored)) unchanged++;
      else updated++;
    }
    // Existing order first (entries updated in place), new entries after.
    let untouched = 0;
    let removed = 0;
    const importedById = new Map(imported.map((e) => [e.id!, e] as const));
    for (const stored of existing.entries) {
      const entry = stored.id === null ? undefined : importedById.get(stored.id);
      if (entry !== undefined) {
        entries.push(mode === 'replace' ? { ...entry, list: stored.list } : updateEntry(stored, entry, options.numbers));
      } else if (mode === 'merge') {
        untouched++;
        entries.push(stored);
      } else {
        removed++;
      }
    }
    entries.push(...fresh);
    const model: PhonebookModel = { lists: existing.lists, entries };
    warnings.push(...duplicateNumberWarnings(entries, options.numbers));
    const content = serializePhonebook(model);
    validateOrThrow(content);
    report = { key, format, mode, contacts: read.contacts.length, added, updated, unchanged, untouched: mode === 'merge' ? untouched : 0, removed };
    const noChange = current !== null && (current.content === content || (added === 0 && updated === 0 && removed === 0));
    return { mutation: options.dryRun || noChange ? { kind: 'none' } : { kind: 'put', content }, result: null };
  });
  return { ...report!, warnings, written: result.changed, etag: result.document?.etag ?? null };
}

export interface ExportOptions {
  readonly target: PhonebookTarget;
  readonly document?: string;
  readonly format: ContactFormat;
}

/** The stored phone book (for a user: their personal entries) as vCard 3.0 or CSV; null when there is none. */
export async function exportPhonebook(storage: Storage, options: ExportOptions): Promise<{ text: string; entries: number } | null> {
  const stored = await storage.getDocument(phonebookKey(options.target, options.document));
  if (stored === null) return null;
  const model = phonebookFromDocument(parseDocumentBody(stored.content));
  return { text: options.format === 'vcf' ? writeVcards(model) : writeCsv(model), entries: model.entries.length };
}
