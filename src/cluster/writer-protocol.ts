/**
 * What worker processes and the writing worker (worker 1) say to each other over the
 * writer socket (frames.ts). A worker forwards each authenticated write and gets its
 * answer back; it sends the changes it commits itself (the phone book's writes), and
 * asks to follow everyone's changes while its own change-feed clients need them. The
 * writing worker sends the changes to the workers that follow, each after the
 * acknowledgement of that worker's follow request, in commit order.
 */
import type { DocumentChange, XcapRequest, XcapResponse } from '../service/xcap-service.js';
import type { StoredDocument } from '../storage/types.js';

export type ToWriter =
  | { readonly type: 'write'; readonly id: number; readonly request: XcapRequest }
  | { readonly type: 'change'; readonly change: DocumentChange }
  /** `seq` counts this worker's follow requests; the acknowledgement repeats it. */
  | { readonly type: 'follow'; readonly on: boolean; readonly seq: number };

export type FromWriter =
  | { readonly type: 'result'; readonly id: number; readonly response: XcapResponse }
  | { readonly type: 'change'; readonly change: DocumentChange }
  | { readonly type: 'following'; readonly on: boolean; readonly seq: number };

/** The environment variable that tells a worker where the writer socket is. */
export const WRITER_SOCKET_ENV = 'XCAPD_WRITER_SOCKET';

/** The worker that carries out every write. */
export const WRITER = 1;

/** Unsent bytes to one peer beyond which it is taken to be stuck and its connection is closed. */
export const MAX_UNSENT_BYTES = 64 * 2 ** 20;

function withoutContent(document: StoredDocument | null): StoredDocument | null {
  return document === null ? null : { ...document, content: '' };
}

/**
 * A change as another process hears of it: ETags, no texts. The texts (a megabyte
 * each, for a big document) would be copied on every write, while the other workers'
 * feed streams report a relayed change as "this document changed, from this ETag to
 * that one", which clients answer by fetching it.
 */
export function relayable(change: DocumentChange): DocumentChange {
  if (change.contentOmitted === true) return change;
  return { ...change, previous: withoutContent(change.previous), current: withoutContent(change.current), contentOmitted: true };
}

export function unavailable(reason: string): XcapResponse {
  return { status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'text/plain; charset=utf-8' }, body: `${reason}; try again\n` };
}

export function isMessage(value: unknown): value is { readonly type: string } {
  return typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string';
}
