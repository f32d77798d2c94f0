/**
 * The documents and XCAP URIs the benchmark works on: a typical 2 KB buddy list, a
 * 10,000-entry (about 1.2 MB) one, and one small list per user for the
 * many-users scenario. Every document is valid resource-lists (schema and RFC 4826
 * constraints), so writes into it succeed.
 */

export const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';
export const RESOURCE_LISTS_MIME = 'application/resource-lists+xml';
export const ELEMENT_MIME = 'application/xcap-el+xml';
export const XCAP_ROOT = '/xcap-root';

/** The owner of the 2 KB document, also the user the authenticated scenarios log in as. */
export const SMALL_OWNER = { id: 'user1@example.com', username: 'user1', password: 'bench-secret-1' } as const;
export const LARGE_OWNER_ID = 'big@example.com';
/** The entry the element and attribute GETs select: one from the middle of the list. */
export const SELECTED_ENTRY_URI = 'sip:bob@example.com';

function entry(uri: string, displayName: string): string {
  return `      <entry uri="${uri}">\n        <display-name>${displayName}</display-name>\n      </entry>\n`;
}

function resourceLists(entries: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<resource-lists xmlns="${RESOURCE_LISTS_NS}">\n` +
    '  <list name="friends">\n' +
    entries +
    '  </list>\n' +
    '</resource-lists>\n'
  );
}

/**
 * About 2 KB, 15 entries: what a SIP phone's buddy list looks like. `salt` makes each
 * user's list different while keeping the size.
 */
export function smallDocument(salt = ''): string {
  let entries = '      <!-- people I talk to -->\n';
  for (let i = 1; i <= 15; i++) {
    const uri = i === 8 ? SELECTED_ENTRY_URI : `sip:friend-${i}${salt}@example.com`;
    entries += entry(uri, i === 8 ? 'Bob the Builder' : `Friend number ${i} from work ${salt}`.trimEnd());
  }
  return resourceLists(entries);
}

/** 10,000 entries with longer display names: about 1.2 MB. */
export function largeDocument(count = 10_000): string {
  const parts: string[] = [];
  for (let i = 0; i < count; i++) {
    parts.push(entry(`sip:contact${i}@example.com`, `Contact ${i} (sales)`));
  }
  return resourceLists(parts.join(''));
}

/** The user id of the n-th of the many users (n from 0). */
export function manyUserId(n: number): string {
  return `u${String(n).padStart(6, '0')}@example.com`;
}

export function documentPath(userId: string): string {
  return `${XCAP_ROOT}/resource-lists/users/sip:${userId}/index`;
}

/** `entry[@uri="..."]` under the friends list, percent-encoded the way Android clients send it. */
export function entrySelector(uri: string): string {
  return `/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22${uri}%22%5D`;
}

export function entryPath(ownerId: string, uri: string): string {
  return documentPath(ownerId) + entrySelector(uri);
}

/** The entry a writer inserts and deletes again; one per connection so writers never collide. */
export function writerEntryUri(writer: number): string {
  return `sip:bench-writer-${writer}@example.com`;
}

export function writerEntryBody(writer: number): string {
  return `<entry uri="${writerEntryUri(writer)}"><display-name>Bench writer ${writer}</display-name></entry>`;
}

/** The replacement used by the micro-benchmark: the same entry with another display name. */
export function replacementEntryBody(uri: string): string {
  return `<entry uri="${uri}"><display-name>Renamed</display-name></entry>`;
}
