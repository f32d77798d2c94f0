/**
 * Three-way merge of phone books by entry: the version a phone started from (the
 * base), the server's current version, and what the phone sends back. Entries are
 * matched by entry_id (by content when they have none), fields by name.
 *
 * - changed on one side only: that side's version;
 * - deleted on one side and unchanged on the other: deleted;
 * - deleted on one side and changed on the other: kept, changed;
 * - changed on both sides: merged field by field; a field both sides changed
 *   differently takes the phone's value, and the server's version of the whole
 *   entry is kept beside it as a second entry (with an entry_id derived from the
 *   first), so nothing anyone typed is lost.
 *
 * Without a base (the phone's starting point is unknown) nothing is deleted: the
 * result is the union, the phone's version winning where both have an entry.
 */
import { canonicalEntry, deriveEntryId, entryKey, sameEntry, type PhonebookEntry, type Prop } from './model.js';

export interface MergeReport {
  /** Entries the server had and the phone did not know of, kept. */
  readonly keptFromServer: string[];
  /** Entries removed because one side deleted them and the other had not changed them. */
  readonly deleted: string[];
  /** Entries deleted on one side and changed on the other, kept. */
  readonly keptChanged: string[];
  /** Entries changed on both sides: the phone's fields won, the server's version became a second entry. */
  readonly conflicts: string[];
}

export interface MergeResult {
  readonly entries: PhonebookEntry[];
  readonly report: MergeReport;
}

export function entryLabel(entry: PhonebookEntry): string {
  const name =
    entry.displayName ||
    [entry.props.find((p) => p.name === 'given_name')?.value, entry.props.find((p) => p.name === 'surname')?.value].filter(Boolean).join(' ') ||
    entry.props.find((p) => p.name === 'company')?.value;
  return name ? (entry.id ? `${name} (${entry.id})` : name) : (entry.id ?? 'an entry without entry_id');
}

function byKey(entries: readonly PhonebookEntry[]): Map<string, PhonebookEntry> {
  const map = new Map<string, PhonebookEntry>();
  for (const e of entries) {
    const key = entryKey(e);
    if (!map.has(key)) map.set(key, e);
  }
  return map;
}

function propMap(entry: PhonebookEntry | undefined): Map<string, string> {
  const map = new Map<string, string>();
  for (const p of entry?.props ?? []) if (!map.has(p.name)) map.set(p.name, p.value);
  return map;
}

/** One field of three versions; `undefined` is "absent". Returns the merged value and whether it conflicted. */
function mergeField<T>(base: T | undefined, current: T | undefined, incoming: T | undefined, equal: (a: T | undefined, b: T | undefined) => boolean): { value: T | undefined; conflict: boolean } {
  if (equal(current, incoming)) return { value: incoming, conflict: false };
  if (equal(base, current)) return { value: incoming, conflict: false };
  if (equal(base, incoming)) return { value: current, conflict: false };
  return { value: incoming, conflict: true };
}

const same = <T>(a: T | undefined, b: T | undefined): boolean => JSON.stringify(a) === JSON.stringify(b);

/** Field-by-field merge of one entry both sides hold. */
function mergeEntry(base: PhonebookEntry | undefined, current: PhonebookEntry, incoming: PhonebookEntry): { entry: PhonebookEntry; conflict: boolean } {
  let conflict = false;
  const pick = <T>(get: (e: PhonebookEntry) => T): T => {
    const r = mergeField(base && get(base), get(current), get(incoming), same);
    conflict ||= r.conflict;
    return r.value as T;
  };
  const displayName = pick((e) => e.displayName);
  const uri = pick((e) => e.uri);
  const list = pick((e) => e.list);
  const extras = pick((e) => e.extras);
  const b = propMap(base);
  const c = propMap(current);
  const i = propMap(incoming);
  const names = [...new Set([...i.keys(), ...c.keys()])];
  const props: Prop[] = [];
  for (const name of names) {
    const r = mergeField(base === undefined ? undefined : b.get(name), c.get(name), i.get(name), same);
    conflict ||= r.conflict;
    if (r.value !== undefined) props.push({ name, value: r.value });
  }
  return { entry: { id: incoming.id, list, displayName, uri, props, extras }, conflict };
}

export function mergePhonebooks(
  base: readonly PhonebookEntry[] | null,
  current: readonly PhonebookEntry[],
  incoming: readonly PhonebookEntry[],
): MergeResult {
  const b = base === null ? null : byKey(base);
  const c = byKey(current);
  const i = byKey(incoming);
  const report: MergeReport = { keptFromServer: [], deleted: [], keptChanged: [], conflicts: [] };
  const out: PhonebookEntry[] = [];
  const taken = new Set<string>([...c.keys(), ...i.keys()]);

  const keys = [...i.keys(), ...[...c.keys()].filter((k) => !i.has(k))];
  for (const key of keys) {
    const bi = b?.get(key);
    const ci = c.get(key);
    const ii = i.get(key);
    if (ci !== undefined && ii !== undefined) {
      if (sameEntry(ci, ii) || (b !== null && sameEntry(bi, ci))) {
        out.push(ii);
      } else if (b !== null && sameEntry(bi, ii)) {
        out.push(ci);
      } else {
        const merged = mergeEntry(b === null ? undefined : bi, ci, ii);
        out.push(merged.entry);
        if (merged.conflict) {
          report.conflicts.push(entryLabel(ii));
          const copyId = deriveEntryId(`${key}:server-copy:${canonicalEntry(ci)}`);
          if (!taken.has(copyId)) {
            taken.add(copyId);
            out.push({ ...ci, id: copyId });
          }
        }
      }
      continue;
    }
    if (ii !== undefined) {
      // Only the phone has it: new on the phone, or deleted on the server.
      if (bi === undefined || b === null) out.push(ii);
      else if (sameEntry(bi, ii)) report.deleted.push(entryLabel(ii));
      else {
        out.push(ii);
        report.keptChanged.push(entryLabel(ii));
      }
      continue;
    }
    if (ci !== undefined) {
      // Only the server has it: new on the server, or deleted on the phone.
      if (bi === undefined || b === null) {
        out.push(ci);
        report.keptFromServer.push(entryLabel(ci));
      } else if (sameEntry(bi, ci)) {
        report.deleted.push(entryLabel(ci));
      } else {
        out.push(ci);
        report.keptChanged.push(entryLabel(ci));
      }
    }
  }
  return { entries: out, report };
}

/** One line for a response header or a log, e.g. `kept 2 entries from the server; 1 conflict`. */
export function summarizeMerge(report: MergeReport): string {
  const parts: string[] = [];
  const n = (count: number, one: string, many: string) => `${count} ${count === 1 ? one : many}`;
  if (report.keptFromServer.length) parts.push(`kept ${n(report.keptFromServer.length, 'entry', 'entries')} only the server had`);
  if (report.deleted.length) parts.push(`deleted ${n(report.deleted.length, 'entry', 'entries')}`);
  if (report.keptChanged.length) parts.push(`kept ${n(report.keptChanged.length, 'entry', 'entries')} deleted on one side and changed on the other`);
  if (report.conflicts.length) parts.push(`${n(report.conflicts.length, 'conflicting edit', 'conflicting edits')}: the phone's values won, the server's versions were kept as second entries`);
  return parts.length === 0 ? 'merged without changes from the server' : parts.join('; ');
}
