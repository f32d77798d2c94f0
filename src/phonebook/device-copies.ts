/**
 * What each phone holds: for every device that read (or wrote) a phone book, the
 * version it received, so that its next PUT — which phones send without If-Match,
 * from a copy that may be hours old — can be merged against the right base.
 *
 * A device is a user name, client address and User-Agent together: two phones of
 * one user are two devices. The records live in the ordinary document storage
 * under an application usage that is never registered, so every storage backend
 * keeps them, several xcapd processes share them, and no client can address them.
 */
import { createHash } from 'node:crypto';
import type { DocumentKey, Storage } from '../storage/types.js';
import type { PhonebookModel } from './model.js';

export const DEVICE_COPIES_AUID = 'com.counterpath.tbook.device-copies';
/** Records kept per phone book; the least recently used go first. */
export const MAX_DEVICES_PER_DOCUMENT = 64;

export interface DeviceCopy {
  /** The entity tag the device was given for this copy. */
  readonly etag: string;
  readonly personal: PhonebookModel;
  /** The shared directory's entries as the device received them (null when it got none). */
  readonly shared: PhonebookModel | null;
}

export interface ClientIdentity {
  readonly address: string;
  readonly userAgent: string;
}

export function deviceIdOf(userId: string | null, client: ClientIdentity | undefined): string {
  return createHash('sha256')
    .update(`${userId ?? ''}\n${client?.address ?? ''}\n${client?.userAgent ?? ''}`)
    .digest('hex')
    .slice(0, 24);
}

function recordKey(document: DocumentKey, device: string): DocumentKey {
  return { auid: DEVICE_COPIES_AUID, tree: document.tree, owner: document.owner, path: `${document.path}/${device}` };
}

function parse(content: string): DeviceCopy | null {
  try {
    const value = JSON.parse(content) as DeviceCopy;
    return typeof value.etag === 'string' && Array.isArray(value.personal?.entries) ? value : null;
  } catch {
    return null;
  }
}

export class DeviceCopies {
  constructor(private readonly storage: Storage) {}

  async get(document: DocumentKey, device: string): Promise<DeviceCopy | null> {
    const stored = await this.storage.getDocument(recordKey(document, device));
    return stored === null ? null : parse(stored.content);
  }

  /** The tag of the copy a device holds, without parsing the copy (records start with it). */
  async etagOf(document: DocumentKey, device: string): Promise<string | null> {
    const stored = await this.storage.getDocument(recordKey(document, device));
    const m = stored && /^\{"etag":("(?:[^"\\]|\\.)*")/.exec(stored.content);
    return m ? (JSON.parse(m[1]!) as string) : null;
  }

  /** The copy some device was given under `etag` (If-Match names it). */
  async findByEtag(document: DocumentKey, etag: string): Promise<DeviceCopy | null> {
    for (const summary of await this.records(document)) {
      const stored = await this.storage.getDocument(summary.key);
      const copy = stored && parse(stored.content);
      if (copy && copy.etag === etag) return copy;
    }
    return null;
  }

  /** Records that `device` now holds `copy`; writes only when that changed. */
  async remember(document: DocumentKey, device: string, copy: DeviceCopy): Promise<void> {
    const key = recordKey(document, device);
    // etag first: etagOf reads it without parsing the rest.
    const content = JSON.stringify({ etag: copy.etag, personal: copy.personal, shared: copy.shared });
    const { changed, previous } = await this.storage.updateDocument(key, (current) => ({
      mutation: current?.content === content ? { kind: 'none' } : { kind: 'put', content },
      result: null,
    }));
    if (changed && previous === null) await this.prune(document);
  }

  private async records(document: DocumentKey) {
    const prefix = `${document.path}/`;
    const all = await this.storage.listDocuments({ auid: DEVICE_COPIES_AUID, tree: document.tree, owner: document.owner });
    return all.filter((s) => s.key.path.startsWith(prefix) && !s.key.path.slice(prefix.length).includes('/'));
  }

  private async prune(document: DocumentKey): Promise<void> {
    const records = await this.records(document);
    if (records.length <= MAX_DEVICES_PER_DOCUMENT) return;
    records.sort((a, b) => a.updatedAt - b.updatedAt);
    for (const old of records.slice(0, records.length - MAX_DEVICES_PER_DOCUMENT)) {
      await this.storage.updateDocument(old.key, () => ({ mutation: { kind: 'delete' }, result: null }));
    }
  }
}
