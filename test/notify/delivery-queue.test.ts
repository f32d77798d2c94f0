/**
 * Batching, retries and give-up of the per-notifier delivery queue, with a notifier
 * the test controls.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppUsageRegistry } from '../../src/appusages/registry.js';
import { ChangeEventFactory, type ChangeEvent } from '../../src/notify/change-event.js';
import { DeliveryQueue, type ChangeBatch, type Notifier } from '../../src/notify/delivery-queue.js';
import { ChangeDispatcher } from '../../src/notify/dispatcher.js';
import { Metrics } from '../../src/notify/metrics.js';
import type { DocumentChange } from '../../src/service/xcap-service.js';
import { capturingLogger } from '../helpers/notify-server.js';

const factory = new ChangeEventFactory({ registry: new AppUsageRegistry() });
let version = 0;

function change(owner: string, auid = 'pres-rules'): DocumentChange {
  const key = { auid, tree: 'users' as const, owner, path: 'index' };
  const previous = version === 0 ? null : { key, content: '<a xmlns="urn:x"/>', etag: `e${version}`, updatedAt: 0 };
  version++;
  return {
    key,
    previous,
    current: { key, content: '<a xmlns="urn:x"/>', etag: `e${version}`, updatedAt: 0 },
    nodeSelector: null,
    requester: { userId: owner.replace(/^sip:/, ''), admin: false },
  };
}

function event(owner: string): ChangeEvent {
  return factory.create(change(owner), false);
}

class ScriptedNotifier implements Notifier {
  readonly name = 'scripted';
  readonly batches: ChangeBatch[] = [];
  failuresLeft = 0;
  delayMs = 0;
  wants(): boolean {
    return true;
  }
  async deliver(batch: ChangeBatch): Promise<void> {
    if (this.delayMs) await new Promise((r) => setTimeout(r, this.delayMs));
    if (this.failuresLeft > 0) {
      this.failuresLeft--;
      throw new Error('target is down');
    }
    this.batches.push({ owner: batch.owner, events: [...batch.events] });
  }
}

function queue(notifier: Notifier, attempts = 3, lines: Record<string, unknown>[] = []): { q: DeliveryQueue; metrics: Metrics } {
  const metrics = new Metrics();
  const q = new DeliveryQueue(notifier, { batchMs: 30, attempts, backoffMs: 20, timeoutMs: 1000 }, capturingLogger(lines), metrics);
  return { q, metrics };
}

describe('delivery queue', () => {
  test("one owner's changes within the window go in one batch, in order; other owners separately", async () => {
    const n = new ScriptedNotifier();
    const { q, metrics } = queue(n);
    const a1 = event('sip:alice@example.com');
    const b1 = event('sip:bob@example.com');
    const a2 = event('sip:alice@example.com');
    q.accept(a1);
    q.accept(b1);
    q.accept(a2);
    await q.idle();
    assert.equal(n.batches.length, 2);
    const alice = n.batches.find((b) => b.owner === 'sip:alice@example.com')!;
    assert.deepEqual(alice.events.map((e) => e.id), [a1.id, a2.id]);
    assert.equal(metrics.value('xcapd_notify_delivered_total', { notifier: 'scripted' }), 2);
    await q.close();
  });

  test('a failing target is retried with backoff; changes made meanwhile join the retry', async () => {
    const n = new ScriptedNotifier();
    n.failuresLeft = 2;
    n.delayMs = 5;
    const { q, metrics } = queue(n, 5);
    const first = event('sip:alice@example.com');
    q.accept(first);
    await new Promise((r) => setTimeout(r, 45));
    const second = event('sip:alice@example.com');
    q.accept(second);
    await q.idle();
    const ids = n.batches.flatMap((b) => b.events.map((e) => e.id));
    assert.deepEqual(ids, [first.id, second.id]);
    assert.equal(metrics.value('xcapd_notify_retries_total', { notifier: 'scripted' }), 2);
    await q.close();
  });

  test('changes made while a batch is in flight are sent after it: the last change is never lost', async () => {
    const n = new ScriptedNotifier();
    n.delayMs = 60;
    const { q } = queue(n);
    const events: ChangeEvent[] = [];
    for (let i = 0; i < 5; i++) {
      const e = event('sip:alice@example.com');
      events.push(e);
      q.accept(e);
      await new Promise((r) => setTimeout(r, 25));
    }
    await q.idle();
    const delivered = n.batches.flatMap((b) => b.events.map((e) => e.id));
    assert.deepEqual(delivered, events.map((e) => e.id));
    assert.ok(n.batches.length >= 2, 'sent in more than one batch');
    assert.equal(n.batches.at(-1)!.events.at(-1)!.id, events.at(-1)!.id);
    await q.close();
  });

  test('a target that stays down: bounded attempts, then a log line and a metric', async () => {
    const n = new ScriptedNotifier();
    n.failuresLeft = 100;
    const lines: Record<string, unknown>[] = [];
    const { q, metrics } = queue(n, 3, lines);
    q.accept(event('sip:alice@example.com'));
    await q.idle();
    assert.equal(n.failuresLeft, 97, 'three attempts');
    assert.equal(metrics.value('xcapd_notify_failed_total', { notifier: 'scripted' }), 1);
    const warning = lines.find((l) => l.level === 40);
    assert.ok(warning, 'a warning was logged');
    assert.match(String(warning.msg), /giving up notifying 1 change\(s\) of sip:alice@example.com after 3 attempt\(s\): target is down/);
    assert.match(metrics.render(), /xcapd_notify_failed_total\{notifier="scripted"\} 1/);
    await q.close();
  });
});

describe('dispatcher', () => {
  test('onChange returns at once, even when a sink throws; events reach the others', async () => {
    const metrics = new Metrics();
    const lines: Record<string, unknown>[] = [];
    const d = new ChangeDispatcher(factory, capturingLogger(lines), metrics);
    const seen: string[] = [];
    d.add({ name: 'broken', accept: () => { throw new Error('boom'); }, wantsPatches: () => false });
    d.add({ name: 'ok', accept: (e) => seen.push(e.sel), wantsPatches: () => false });
    const started = performance.now();
    d.onChange(change('sip:alice@example.com', 'resource-lists'));
    assert.ok(performance.now() - started < 50);
    assert.deepEqual(seen, [], 'nothing happens synchronously');
    await d.idle();
    assert.deepEqual(seen, ['resource-lists/users/sip:alice@example.com/index']);
    assert.ok(lines.some((l) => l.sink === 'broken'));
    assert.equal(metrics.value('xcapd_changes_total', { auid: 'resource-lists' }), 1);
    await d.close();
  });
});
