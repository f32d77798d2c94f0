/**
 * The change feed of a worker that does not write (--workers): it follows worker 1's
 * changes over a real writer socket only while it has streams (and for a grace period
 * after the last one), starts a stream only once following, refuses streams while
 * worker 1 is away, and never lets a client resume across changes it may have missed.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, beforeEach, describe, test } from 'node:test';
import { pino } from 'pino';
import { AppUsageRegistry } from '../../src/appusages/registry.js';
import { WriterHub } from '../../src/cluster/writer-hub.js';
import { WriterLink } from '../../src/cluster/writer-link.js';
import { ChangeEventFactory } from '../../src/notify/change-event.js';
import { ChangeFeed } from '../../src/notify/feed.js';
import { Metrics } from '../../src/notify/metrics.js';
import type { DocumentChange } from '../../src/service/xcap-service.js';
import { eventually, sleep } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const ALICE = 'sip:alice@example.com';
const KEY = { auid: 'resource-lists', tree: 'users', owner: ALICE, path: 'index' } as const;
const GRACE_MS = 200;

function change(n: number): DocumentChange {
  const version = (etag: string) => ({ key: KEY, content: '', etag, updatedAt: 0 });
  return { key: KEY, previous: version(`e${n - 1}`), current: version(`e${n}`), nodeSelector: null, requester: { userId: 'alice@example.com', admin: false } };
}

interface Stream {
  readonly status: number;
  readonly retryAfter: string | undefined;
  /** `event id` pairs of the events so far. */
  readonly events: { type: string; id: string; data: string }[];
  ended: boolean;
  close(): void;
}

function openStream(origin: string, lastEventId?: string): Promise<Stream> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const req = request(
      { host: url.hostname, port: url.port, path: '/xcapd/changes', agent: false, headers: lastEventId ? { 'Last-Event-ID': lastEventId } : {} },
      (res) => {
        const stream: Stream = {
          status: res.statusCode ?? 0,
          retryAfter: res.headers['retry-after'] as string | undefined,
          events: [],
          ended: false,
          close: () => req.destroy(),
        };
        let buffer = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => {
          buffer += chunk;
          for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
            const block = buffer.slice(0, end);
            buffer = buffer.slice(end + 2);
            const field = (name: string) => block.split('\n').find((l) => l.startsWith(`${name}: `))?.slice(name.length + 2);
            const type = field('event');
            const data = block.split('\n').filter((l) => l.startsWith('data: ')).map((l) => l.slice(6)).join('\n');
            if (type !== undefined) stream.events.push({ type, id: field('id') ?? '', data });
          }
        });
        res.on('end', () => (stream.ended = true));
        res.on('error', () => (stream.ended = true));
        res.on('close', () => (stream.ended = true));
        resolve(stream);
      },
    );
    req.on('error', reject);
    req.end();
  });
}

describe('change feed of a worker that does not write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'xcapd-feed-follow-'));
  const socket = join(dir, 'writer.sock');
  let hub: WriterHub | null;
  let link: WriterLink;
  let feed: ChangeFeed;
  let server: Server;
  let origin: string;
  const streams: Stream[] = [];

  const startHub = async () => {
    hub = await WriterHub.listen(socket, { handle: async () => ({ status: 500, headers: {}, body: null }), onRelayedChange: () => undefined, logger });
    return hub;
  };
  const stopHub = async () => {
    await hub?.close();
    hub = null;
  };
  const open = async (lastEventId?: string) => {
    const stream = await openStream(origin, lastEventId);
    streams.push(stream);
    return stream;
  };
  const etagsOf = (stream: Stream) => stream.events.filter((e) => e.type === 'xcap-diff').map((e) => /new-etag="([^"]+)"/.exec(e.data)?.[1]);

  beforeEach(async () => {
    await startHub();
    const registry = new AppUsageRegistry();
    const factory = new ChangeEventFactory({ registry });
    link = new WriterLink({ path: socket, onRelayedChange: (c) => feed.accept(factory.create(c, false, false)), logger, connectWaitMs: 300, reconnectDelayMs: 20 });
    feed = new ChangeFeed(
      { registry, xcapRoot: () => 'http://xcap.example.com/xcap-root', historySize: 100, boot: factory.boot, heartbeatMs: 60_000, follower: link, followGraceMs: GRACE_MS },
      new Metrics(),
    );
    server = createServer((req, res) => feed.serve(req, res, { userId: 'alice@example.com', admin: false }, new URLSearchParams()));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterEach(async () => {
    for (const stream of streams.splice(0)) stream.close();
    await feed.close();
    link.close();
    await stopHub();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  test('a stream starts once worker 1 sends it every change, and then sees each one in order', async () => {
    const stream = await open();
    assert.equal(stream.status, 200);
    // Headers arrive only after the follow request was acknowledged: nothing published from here on is lost.
    for (let n = 1; n <= 5; n++) hub!.publish(change(n));
    await eventually(() => stream.events.length >= 5 || undefined, 3000, 'five events arrived');
    assert.deepEqual(etagsOf(stream), ['e1', 'e2', 'e3', 'e4', 'e5']);
  });

  test('while worker 1 is away a stream is refused with 503 and Retry-After', async () => {
    await stopHub();
    await sleep(50);
    const stream = await open();
    assert.equal(stream.status, 503);
    assert.equal(stream.retryAfter, '1');
  });

  test('when worker 1 goes away the streams end, and resuming from their last event gets a reset', async () => {
    const stream = await open();
    hub!.publish(change(1));
    hub!.publish(change(2));
    await eventually(() => stream.events.length >= 2 || undefined, 3000, 'two events arrived');
    const lastId = stream.events.at(-1)!.id;
    await stopHub();
    await eventually(() => stream.ended || undefined, 3000, 'the stream ended');
    await startHub();
    const resumed = await open(lastId);
    assert.equal(resumed.status, 200);
    await eventually(() => resumed.events.length >= 1 || undefined, 3000, 'an event arrived');
    assert.equal(resumed.events[0]!.type, 'reset');
    assert.match(resumed.events[0]!.data, /did not follow every change/);
  });

  test('a client back within the grace period resumes exactly; after it, it gets a reset', async () => {
    const first = await open();
    hub!.publish(change(1));
    await eventually(() => first.events.length >= 1 || undefined, 3000, 'the first event arrived');
    const seen = first.events[0]!.id;
    first.close();
    await eventually(() => first.ended || undefined, 3000, 'the stream closed');
    await sleep(30);
    hub!.publish(change(2));
    await sleep(30);
    const back = await open(seen);
    await eventually(() => back.events.length >= 1 || undefined, 3000, 'the missed event was replayed');
    assert.equal(back.events[0]!.type, 'xcap-diff');
    assert.deepEqual(etagsOf(back), ['e2']);
    const lastId = back.events.at(-1)!.id;
    back.close();
    await eventually(() => back.ended || undefined, 3000, 'the stream closed');
    await sleep(GRACE_MS * 3);
    hub!.publish(change(3)); // not followed any more: this worker never hears of it
    await sleep(30);
    const late = await open(lastId);
    await eventually(() => late.events.length >= 1 || undefined, 3000, 'an event arrived');
    assert.equal(late.events[0]!.type, 'reset');
  });

  test('a worker with no streams is not sent the changes', async () => {
    const seen: DocumentChange[] = [];
    const quiet = new WriterLink({ path: socket, onRelayedChange: (c) => seen.push(c), logger, connectWaitMs: 300 });
    try {
      const stream = await open(); // the feed's own link follows; `quiet` never asked to
      hub!.publish(change(1));
      await eventually(() => stream.events.length >= 1 || undefined, 3000, 'the following stream got it');
      await sleep(50);
      assert.deepEqual(seen, []);
    } finally {
      quiet.close();
    }
  });
});
