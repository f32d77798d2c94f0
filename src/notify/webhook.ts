/**
 * A generic webhook: each batch is POSTed as one xcap-diff document. With a shared
 * secret the request is signed, `X-Xcapd-Signature: t=<unix seconds>,v1=<hex>` where
 * v1 = HMAC-SHA256(secret, "<t>.<body>"), so the receiver can check origin and
 * freshness.
 */
import { createHmac } from 'node:crypto';
import { renderXcapDiff, XCAP_DIFF_MIME } from '../xcap/diff.js';
import type { ChangeEvent } from './change-event.js';
import type { ChangeBatch, Notifier } from './delivery-queue.js';
import { httpRequest } from './http-request.js';

export interface WebhookNotifierOptions {
  readonly url: string;
  /** '' for unsigned requests. */
  readonly secret: string;
  readonly xcapRoot: () => string;
}

export class WebhookNotifier implements Notifier {
  readonly name = 'webhook';
  readonly needsPatches = true;

  constructor(private readonly options: WebhookNotifierOptions) {}

  wants(_event: ChangeEvent): boolean {
    return true;
  }

  async deliver(batch: ChangeBatch, signal: AbortSignal): Promise<void> {
    const body = renderXcapDiff(this.options.xcapRoot(), batch.events.flatMap((e) => e.fragments));
    const last = batch.events[batch.events.length - 1];
    const headers: Record<string, string> = {
      'Content-Type': XCAP_DIFF_MIME,
      'X-Xcapd-Owner': batch.owner,
      'X-Xcapd-Event-Id': last?.id ?? '',
    };
    if (this.options.secret !== '') headers['X-Xcapd-Signature'] = signWebhook(this.options.secret, body, Math.floor(Date.now() / 1000));
    await httpRequest(this.options.url, { method: 'POST', headers, body, signal });
  }
}

export function signWebhook(secret: string, body: string, unixSeconds: number): string {
  const mac = createHmac('sha256', secret).update(`${unixSeconds}.${body}`).digest('hex');
  return `t=${unixSeconds},v1=${mac}`;
}
