/**
 * OpenSIPS's presence server, told over its management interface as JSON-RPC over
 * HTTP (the `mi_http` module, OpenSIPS 3.x): `refresh_watchers` with the presentity
 * URI, the event package and the refresh type (0: rules changed, 1: published state
 * changed), as OpenXCAP does over XML-RPC.
 */
import type { ChangeEvent } from './change-event.js';
import type { ChangeBatch, Notifier } from './delivery-queue.js';
import { jsonRpc } from './http-request.js';
import { isPresenceChange, refreshTypes } from './presence-auids.js';

export interface OpenSipsNotifierOptions {
  /** e.g. `http://127.0.0.1:8888/mi`. */
  readonly miUrl: string;
  /** `refresh_watchers` (OpenSIPS 3.x) or `presence:refresh_watchers` (newer). */
  readonly command: string;
  readonly auids: readonly string[];
  readonly event?: string;
}

export class OpenSipsNotifier implements Notifier {
  readonly name = 'opensips';

  constructor(private readonly options: OpenSipsNotifierOptions) {}

  wants(event: ChangeEvent): boolean {
    return isPresenceChange(event, this.options.auids);
  }

  async deliver(batch: ChangeBatch, signal: AbortSignal): Promise<void> {
    for (const type of refreshTypes(batch.events)) {
      await jsonRpc(
        this.options.miUrl,
        this.options.command,
        { presentity_uri: batch.owner, event: this.options.event ?? 'presence', refresh_type: type },
        signal,
      );
    }
  }
}
