/**
 * SIP PUBLISH of xcap-diff documents (`Event: xcap-diff`) to an outbound proxy, as
 * OpenXCAP does: one PUBLISH per batch to the owner's address of record, carrying the
 * documents' ETags, so the presence server can tell the user's other devices what
 * changed (OpenSIPS `presence_xcapdiff`). The publication is refreshed with the
 * SIP-ETag the server gave the previous one (RFC 3903); a 412 starts a new one.
 */
import { XCAP_DIFF_MIME, renderXcapDiff } from '../xcap/diff.js';
import type { ChangeEvent } from './change-event.js';
import type { ChangeBatch, Notifier } from './delivery-queue.js';
import { DeliveryError } from './http-request.js';
import { SipHeaders, type SipResponse } from './sip/message.js';
import { randomTag, type SipEndpoint, type SipTarget } from './sip/transport.js';

export interface SipPublishOptions {
  readonly endpoint: () => Promise<SipEndpoint>;
  /** The outbound proxy every PUBLISH is sent to. */
  readonly proxy: SipTarget;
  readonly xcapRoot: () => string;
  /** Seconds the publication is valid. */
  readonly expires?: number;
  readonly timeoutMs: number;
}

export class SipPublishNotifier implements Notifier {
  readonly name = 'sip-publish';
  private readonly etags = new Map<string, string>();

  constructor(private readonly options: SipPublishOptions) {}

  wants(event: ChangeEvent): boolean {
    return event.key.tree === 'users' && /^sips?:/i.test(event.key.owner);
  }

  async deliver(batch: ChangeBatch, signal: AbortSignal): Promise<void> {
    const body = Buffer.from(renderXcapDiff(this.options.xcapRoot(), batch.events.map((e) => e.etagFragment)), 'utf8');
    let response = await this.publish(batch.owner, body, this.etags.get(batch.owner), signal);
    if (response.status === 412 && this.etags.has(batch.owner)) {
      this.etags.delete(batch.owner);
      response = await this.publish(batch.owner, body, undefined, signal);
    }
    if (response.status < 200 || response.status > 299) {
      throw new DeliveryError(`PUBLISH for ${batch.owner}: ${response.status} ${response.reason}`);
    }
    const etag = response.headers.get('sip-etag');
    if (etag) this.etags.set(batch.owner, etag);
  }

  private async publish(owner: string, body: Buffer, etag: string | undefined, signal: AbortSignal): Promise<SipResponse> {
    const endpoint = await this.options.endpoint();
    const headers = new SipHeaders()
      .add('From', `<${owner}>;tag=${randomTag()}`)
      .add('To', `<${owner}>`)
      .add('Call-ID', `${randomTag()}@xcapd`)
      .add('CSeq', '1 PUBLISH')
      .add('Event', 'xcap-diff')
      .add('Expires', String(this.options.expires ?? 3600))
      .add('User-Agent', 'xcapd')
      .add('Content-Type', XCAP_DIFF_MIME);
    if (etag) headers.add('SIP-If-Match', etag);
    const sent = endpoint.request({ kind: 'request', method: 'PUBLISH', uri: owner, headers, body }, this.options.proxy, {
      timeoutMs: this.options.timeoutMs,
    });
    return new Promise<SipResponse>((resolve, reject) => {
      const abort = (): void => reject(new DeliveryError('PUBLISH aborted'));
      if (signal.aborted) return abort();
      signal.addEventListener('abort', abort, { once: true });
      sent.then(resolve, (e: Error) => reject(new DeliveryError(e.message))).finally(() => signal.removeEventListener('abort', abort));
    });
  }
}
