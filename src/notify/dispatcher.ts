/**
 * Fans committed changes out to the notifiers, the change feed and the SIP
 * subscriptions. The service calls `onChange` synchronously after the commit; all
 * work (computing patches, rendering, sending) happens on a later tick, so a
 * notifier can neither delay nor fail the client's request.
 */
import type { Logger } from 'pino';
import type { DocumentChange } from '../service/xcap-service.js';
import { ChangeEventFactory, type ChangeEvent } from './change-event.js';
import type { Counter, Metrics } from './metrics.js';

export interface ChangeSink {
  readonly name: string;
  /** Takes one event; must not throw and must not block (queue it). */
  accept(event: ChangeEvent): void;
  /** Whether this sink wants RFC 5261 patches right now (they cost a parse of both versions). */
  wantsPatches(): boolean;
  /**
   * Whether this sink would send the changed element or attribute itself right now
   * (extracting it costs a parse of the new version). Absent: always.
   */
  wantsComponents?(): boolean;
  /**
   * True for sinks that serve this process's own clients (the change feed, SIP
   * subscriptions): they must also see the changes other worker processes commit,
   * which the other workers tell the presence servers about themselves.
   */
  readonly servesLocalClients?: boolean;
  /** Resolves once everything accepted so far is delivered or given up (tests, shutdown). */
  idle?(): Promise<void>;
  close?(): Promise<void>;
}

/** Changes not yet turned into events; beyond this the oldest are dropped (and counted). */
const MAX_PENDING = 100_000;

export class ChangeDispatcher {
  private readonly sinks: ChangeSink[] = [];
  private pending: { change: DocumentChange; relayed: boolean }[] = [];
  private scheduled = false;
  private readonly changes: Counter;
  private readonly dropped: Counter;
  private drained: Promise<void> = Promise.resolve();
  private resolveDrained: (() => void) | null = null;

  constructor(
    private readonly factory: ChangeEventFactory,
    private readonly logger: Logger,
    metrics: Metrics,
  ) {
    this.changes = metrics.counter('xcapd_changes_total', 'Committed document changes, by application usage');
    this.dropped = metrics.counter('xcapd_changes_dropped_total', 'Changes dropped before notification because the queue was full');
    metrics.gauge('xcapd_changes_pending', 'Committed changes waiting to be turned into notifications', () => this.pending.length);
  }

  add(sink: ChangeSink): void {
    this.sinks.push(sink);
  }

  /** A change committed by this process. */
  readonly onChange = (change: DocumentChange): void => {
    this.changes.inc({ auid: change.key.auid });
    this.enqueue(change, false);
  };

  /** A change another worker process committed (and notified the presence servers of). */
  readonly onRelayedChange = (change: DocumentChange): void => {
    this.enqueue(change, true);
  };

  private enqueue(change: DocumentChange, relayed: boolean): void {
    if (this.sinks.length === 0) return;
    if (this.pending.length >= MAX_PENDING) {
      this.pending.shift();
      this.dropped.inc();
    }
    this.pending.push({ change, relayed });
    if (!this.scheduled) {
      this.scheduled = true;
      this.drained = new Promise((resolve) => (this.resolveDrained = resolve));
      setImmediate(() => this.drain());
    }
  }

  private drain(): void {
    const batch = this.pending;
    this.pending = [];
    this.scheduled = false;
    const withPatch = this.sinks.some((s) => s.wantsPatches());
    const withComponents = this.sinks.some((s) => s.wantsComponents?.() ?? true);
    for (const { change, relayed } of batch) {
      let event: ChangeEvent;
      try {
        const detailed = change.contentOmitted !== true;
        event = this.factory.create(change, withPatch && detailed, withComponents && detailed);
      } catch (e) {
        this.logger.error({ err: e, auid: change.key.auid, owner: change.key.owner }, 'could not describe a change for notification');
        continue;
      }
      for (const sink of this.sinks) {
        if (relayed && sink.servesLocalClients !== true) continue;
        try {
          sink.accept(event);
        } catch (e) {
          this.logger.error({ err: e, sink: sink.name }, 'notification sink failed');
        }
      }
    }
    this.resolveDrained?.();
    this.resolveDrained = null;
  }

  /** Resolves once every change so far has reached the sinks and every sink is idle. */
  async idle(): Promise<void> {
    for (let round = 0; round < 100; round++) {
      await this.drained;
      await Promise.all(this.sinks.map((s) => s.idle?.()));
      if (!this.scheduled && this.pending.length === 0) return;
    }
  }

  async close(): Promise<void> {
    if (this.scheduled) this.drain();
    await Promise.all(this.sinks.map((s) => s.close?.()));
  }
}
