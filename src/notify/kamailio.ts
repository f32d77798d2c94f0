/**
 * Kamailio's presence server, told over HTTP: first (optionally) a route of the
 * Kamailio config that fetches the changed document from xcapd into its `xcap`
 * table, then JSON-RPC (the `jsonrpcs` module over `xhttp`) `presence.updateWatchers`
 * and/or `presence.refreshWatchers` so it re-evaluates the user's watchers.
 *
 * The route exists because Kamailio's own `xcap_client` cannot fetch (5.6: every
 * fetch fails in libcurl) and `presence.*Watchers` only re-read the cached copy; see
 * README "Presence servers" for the config lines.
 */
import type { ChangeEvent } from './change-event.js';
import type { ChangeBatch, Notifier } from './delivery-queue.js';
import { httpRequest, jsonRpc } from './http-request.js';
import { isPresenceChange, refreshTypes } from './presence-auids.js';

export type KamailioRpcMethod = 'presence.updateWatchers' | 'presence.refreshWatchers';
export const KAMAILIO_RPC_METHODS: readonly KamailioRpcMethod[] = ['presence.updateWatchers', 'presence.refreshWatchers'];

export interface KamailioNotifierOptions {
  /** e.g. `http://127.0.0.1:5060/RPC`; '' for none. */
  readonly rpcUrl: string;
  readonly rpcMethods: readonly KamailioRpcMethod[];
  /**
   * A URL template called with GET for each changed document before the RPC calls;
   * '' for none. Placeholders: {xui} {user} {domain} {auid} {document} {uri}.
   */
  readonly refetchUrl: string;
  readonly auids: readonly string[];
  /** The event package whose watchers are refreshed. */
  readonly event?: string;
  /** The absolute XCAP root, for {uri}. */
  readonly xcapRoot: () => string;
}

export class KamailioNotifier implements Notifier {
  readonly name = 'kamailio';

  constructor(private readonly options: KamailioNotifierOptions) {}

  wants(event: ChangeEvent): boolean {
    return isPresenceChange(event, this.options.auids);
  }

  async deliver(batch: ChangeBatch, signal: AbortSignal): Promise<void> {
    const { rpcUrl, refetchUrl, rpcMethods } = this.options;
    const event = this.options.event ?? 'presence';
    if (refetchUrl !== '') {
      const seen = new Set<string>();
      for (const e of batch.events) {
        if (seen.has(e.sel)) continue;
        seen.add(e.sel);
        await httpRequest(expandTemplate(refetchUrl, e, this.options.xcapRoot()), { method: 'GET', signal });
      }
    }
    if (rpcUrl === '') return;
    for (const type of refreshTypes(batch.events)) {
      for (const method of rpcMethods) {
        if (method === 'presence.updateWatchers') {
          if (type === 0) await jsonRpc(rpcUrl, method, [batch.owner, event], signal);
        } else {
          await jsonRpc(rpcUrl, method, [batch.owner, event, type], signal);
        }
      }
    }
  }
}

/** Fills `{name}` placeholders with percent-encoded values of the changed document. */
export function expandTemplate(template: string, event: ChangeEvent, xcapRoot: string): string {
  const owner = event.key.owner;
  const scheme = owner.indexOf(':');
  const address = scheme >= 0 ? owner.slice(scheme + 1) : owner;
  const at = address.lastIndexOf('@');
  const values: Record<string, string> = {
    xui: owner,
    user: at >= 0 ? address.slice(0, at) : address,
    domain: at >= 0 ? address.slice(at + 1) : '',
    auid: event.key.auid,
    document: event.key.path,
    uri: `${xcapRoot.replace(/\/+$/, '')}/${event.sel}`,
  };
  return template.replace(/\{(\w+)\}/g, (whole, name: string) => (name in values ? encodeURIComponent(values[name]!) : whole));
}
