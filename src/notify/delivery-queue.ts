/**
 * Delivery to one presence server (or webhook): changes are queued per owner,
 * collected for a short window into one batch, and sent with bounded retries and
 * exponential backoff. Changes that arrive while a batch is being retried join it at
 * the next attempt, and those that arrive while it is in flight go in the next batch,
 * so the last change of a user is always sent after every earlier one (unless the
 * target stays down for every attempt, which is logged and counted).
 */
import type { Logger } from 'pino';
import { ownerOf, type ChangeEvent } from './change-event.js';
import type { ChangeSink } from './dispatcher.js';
import type { Counter, Metrics } from './metrics.js';

export interface ChangeBatch {
  /** The owner's XUI ('' for the global tree). */
  readonly owner: string;
  /** In commit order. */
  readonly events: readonly ChangeEvent[];
}

export interface Notifier {
  readonly name: string;
  /** Which changes this notifier cares about. */
  wants(event: ChangeEvent): boolean;
  /** Sends one batch; throws (or rejects) when the target did not take it. */
  deliver(batch: ChangeBatch, signal: AbortSignal): Promise<void>;
  /** Whether the batches should carry RFC 5261 patches. */
  readonly needsPatches?: boolean;
  close?(): Promise<void>;
}

export interface DeliveryOptions {
  /** How long changes of one owner are collected before they are sent. */
  readonly batchMs: number;
  /** Attempts per batch, the first included. */
  readonly attempts: number;
  /** Backoff before the second attempt; doubled for each further one. */
  readonly backoffMs: number;
  readonly maxBackoffMs?: number;
  /** Per attempt. */
  readonly timeoutMs: number;
  /** Batches sent at once (to different owners). */
  readonly concurrency?: number;
  /** Events kept per owner while waiting; beyond it the oldest go (never the last). */
  readonly maxPendingPerOwner?: number;
}

interface Lane {
  readonly owner: string;
  pending: ChangeEvent[];
  timer: NodeJS.Timeout | null;
  busy: boolean;
}

export class DeliveryQueue implements ChangeSink {
  readonly name: string;
  private readonly lanes = new Map<string, Lane>();
  private readonly waiting: (() => void)[] = [];
  private running = 0;
  private closed = false;
  private readonly abort = new AbortController();
  private idleWaiters: (() => void)[] = [];
  private readonly delivered: Counter;
  private readonly failed: Counter;
  private readonly retried: Counter;
  private readonly dropped: Counter;

  constructor(
    private readonly notifier: Notifier,
    private readonly options: DeliveryOptions,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.name = notifier.name;
    this.delivered = metrics.counter('xcapd_notify_delivered_total', 'Notification batches a target accepted');
    this.failed = metrics.counter('xcapd_notify_failed_total', 'Notification batches given up after every attempt failed');
    this.retried = metrics.counter('xcapd_notify_retries_total', 'Notification attempts that failed and were retried');
    this.dropped = metrics.counter('xcapd_notify_dropped_total', 'Changes dropped from a full notification queue');
    metrics.gauge('xcapd_notify_queued', 'Changes waiting for delivery, by notifier', () => this.queuedByNotifier());
  }

  wantsPatches(): boolean {
    return this.notifier.needsPatches === true;
  }

  accept(event: ChangeEvent): void {
    if (this.closed || !this.notifier.wants(event)) return;
    const owner = ownerOf(event);
    let lane = this.lanes.get(owner);
    if (!lane) {
      lane = { owner, pending: [], timer: null, busy: false };
      this.lanes.set(owner, lane);
    }
    lane.pending.push(event);
    const max = this.options.maxPendingPerOwner ?? 1000;
    if (lane.pending.length > max) {
      lane.pending.splice(0, lane.pending.length - max);
      this.dropped.inc({ notifier: this.name });
    }
    this.schedule(lane);
  }

  private schedule(lane: Lane): void {
    if (lane.busy || lane.timer !== null || lane.pending.length === 0) return;
    lane.timer = setTimeout(() => {
      lane.timer = null;
      void this.flush(lane);
    }, this.options.batchMs);
  }

  private async flush(lane: Lane): Promise<void> {
    lane.busy = true;
    await this.slot();
    let events: ChangeEvent[] = [];
    try {
      for (let attempt = 1; !this.closed; attempt++) {
        events = events.concat(lane.pending);
        lane.pending = [];
        const timeout = AbortSignal.timeout(this.options.timeoutMs);
        try {
          await this.notifier.deliver({ owner: lane.owner, events }, AbortSignal.any([timeout, this.abort.signal]));
          this.delivered.inc({ notifier: this.name });
          break;
        } catch (e) {
          const reason = e instanceof Error ? e.message : String(e);
          if (attempt >= this.options.attempts || this.closed) {
            this.failed.inc({ notifier: this.name });
            this.logger.warn(
              { notifier: this.name, owner: lane.owner, changes: events.length, attempts: attempt, err: reason },
              `${this.name}: giving up notifying ${events.length} change(s) of ${lane.owner || 'the global tree'} after ${attempt} attempt(s): ${reason}`,
            );
            break;
          }
          this.retried.inc({ notifier: this.name });
          const delay = Math.min(this.options.backoffMs * 2 ** (attempt - 1), this.options.maxBackoffMs ?? 30_000);
          this.logger.debug({ notifier: this.name, owner: lane.owner, attempt, err: reason, retryInMs: delay }, 'notification failed; retrying');
          await sleep(delay * (0.8 + Math.random() * 0.4), this.abort.signal);
        }
      }
    } finally {
      this.release();
      lane.busy = false;
      if (lane.pending.length > 0 && !this.closed) this.schedule(lane);
      else if (lane.timer === null) this.lanes.delete(lane.owner);
      this.checkIdle();
    }
  }

  private slot(): Promise<void> {
    if (this.running < (this.options.concurrency ?? 4)) {
      this.running++;
      return Promise.resolve();
    }
    return new Promise((resolve) => this.waiting.push(resolve));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }

  private queuedByNotifier(): [Record<string, string>, number][] {
    let n = 0;
    for (const lane of this.lanes.values()) n += lane.pending.length;
    return [[{ notifier: this.name }, n]];
  }

  private checkIdle(): void {
    if (this.lanes.size > 0) return;
    const waiters = this.idleWaiters;
    this.idleWaiters = [];
    for (const w of waiters) w();
  }

  idle(): Promise<void> {
    if (this.lanes.size === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const lane of this.lanes.values()) if (lane.timer) clearTimeout(lane.timer);
    this.abort.abort(new Error('xcapd is shutting down'));
    this.lanes.clear();
    this.checkIdle();
    await this.notifier.close?.();
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done(): void {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
