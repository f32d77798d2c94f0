/**
 * The shared company directory and a user's personal phone book, as one document.
 *
 * What a user's phone reads is the shared directory's entries first, then the
 * user's personal ones, all in the personal book's first list (the phones show one
 * list). A personal entry with the entry_id of a shared one is the user's own copy
 * of it (the phone edited a directory entry) and shows in its place, so no entry
 * appears twice.
 *
 * What the phone writes back is split again: an entry that is exactly a shared
 * entry (as the directory holds it now, or as the phone last received it) is the
 * directory's and is not stored for the user; everything else is personal.
 */
import { DEFAULT_LIST_NAME, entryKey, sameEntry, type PhonebookEntry, type PhonebookModel } from './model.js';

export function hasEntries(model: PhonebookModel | null): model is PhonebookModel {
  return model !== null && model.entries.length > 0;
}

export function composePhonebook(personal: PhonebookModel, shared: PhonebookModel | null): PhonebookModel {
  if (!hasEntries(shared)) return personal;
  const target = personal.lists[0]?.name ?? shared.lists[0]?.name ?? DEFAULT_LIST_NAME;
  const own = new Map<string, PhonebookEntry>();
  for (const e of personal.entries) if (!own.has(entryKey(e))) own.set(entryKey(e), e);
  const used = new Set<PhonebookEntry>();
  const entries: PhonebookEntry[] = [];
  for (const s of shared.entries) {
    const override = own.get(entryKey(s));
    if (override !== undefined) {
      if (used.has(override)) continue;
      used.add(override);
      entries.push(override);
    } else {
      entries.push({ ...s, list: target });
    }
  }
  for (const e of personal.entries) if (!used.has(e)) entries.push(e);
  const lists = personal.lists.length > 0 ? personal.lists : [{ name: target, displayName: null, extras: [] }];
  return { lists, entries };
}

/**
 * The personal part of a composed document a client sent: every entry that is not,
 * to the letter, an entry of one of `sharedVersions`.
 */
export function personalPart(incoming: PhonebookModel, sharedVersions: readonly (PhonebookModel | null)[]): PhonebookModel {
  const maps = sharedVersions.filter(hasEntries).map((m) => new Map(m.entries.map((e) => [entryKey(e), e] as const)));
  if (maps.length === 0) return incoming;
  const entries = incoming.entries.filter((e) => !maps.some((m) => sameEntry(m.get(entryKey(e)), e, { ignoreList: true })));
  return { lists: incoming.lists, entries };
}
