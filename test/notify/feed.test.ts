/**
 * The SSE change feed on a real xcapd: authentication, what a user sees, resuming
 * with Last-Event-ID, the reset event, heartbeats and /metrics.
 */
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import { BUDDIES, RESOURCE_LISTS_MIME, eventually, startNotifyingServer, USERS, type NotifyingServer } from '../helpers/notify-server.js';
import { basic, rawRequest } from '../helpers/xcapd.js';

const validator = SchemaValidator.load('xcap-diff.xsd');

interface SseEvent {
  readonly type: string;
  readonly id: string | null;
  readonly data: string;
}

/** A minimal EventSource: collects events and comments until closed. */
class FeedClient {
  readonly events: SseEvent[] = [];
  readonly comments: string[] = [];
  status = 0;
  private buffer = '';
  private close_: () => void = () => undefined;

  static open(origin: string, path: string, headers: Record<string, string>): Promise<FeedClient> {
    const client = new FeedClient();
    const url = new URL(origin);
    return new Promise((resolve, reject) => {
      const req = request({ host: url.hostname, port: url.port, path, headers, agent: false }, (res) => {
        client.status = res.statusCode ?? 0;
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => client.feed(chunk));
        res.on('error', () => undefined);
        resolve(client);
      });
      client.close_ = () => req.destroy();
      req.on('error', reject);
      req.end();
    });
  }

  private feed(chunk: string): void {
    this.buffer += chunk;
    for (let end = this.buffer.indexOf('\n\n'); end >= 0; end = this.buffer.indexOf('\n\n')) {
      const block = this.buffer.slice(0, end);
      this.buffer = this.buffer.slice(end + 2);
      let type = 'message';
      let id: string | null = null;
      const data: string[] = [];
      let any = false;
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) {
          this.comments.push(line.slice(1).trim());
          continue;
        }
        const colon = line.indexOf(':');
        const field = colon < 0 ? line : line.slice(0, colon);
        const value = colon < 0 ? '' : line.slice(colon + 1).replace(/^ /, '');
        if (field === 'event') type = value;
        else if (field === 'id') id = value;
        else if (field === 'data') data.push(value);
        else continue;
        any = true;
      }
      if (any && data.length > 0) this.events.push({ type, id, data: data.join('\n') });
    }
  }

  waitFor(n: number, ms = 5000): Promise<SseEvent[]> {
    return eventually(() => (this.events.length >= n ? this.events : undefined), ms, `${n} feed events`);
  }

  close(): void {
    this.close_();
  }
}

const auth = (id: string): Record<string, string> => {
  const u = USERS.find((x) => x.id === id)!;
  return { Authorization: basic(u.id, u.password) };
};

let xcapd: NotifyingServer;
const clients: FeedClient[] = [];
const open = async (path: string, headers: Record<string, string>): Promise<FeedClient> => {
  const c = await FeedClient.open(xcapd.running.origin, path, headers);
  clients.push(c);
  return c;
};

before(async () => {
  xcapd = await startNotifyingServer({ feedHistory: 5, feedHeartbeat: 0.1 });
});
after(async () => {
  for (const c of clients) c.close();
  await xcapd.stop();
});

const ALICE = 'resource-lists/users/sip:alice@example.com/index';
const BOB = 'resource-lists/users/sip:bob@example.com/index';
const GLOBAL = 'resource-lists/global/index';

describe('change feed', () => {
  test('needs the same authentication as XCAP', async () => {
    const r = await rawRequest(xcapd.running.origin, { path: '/xcapd/changes' });
    assert.equal(r.status, 401);
    assert.match(String(r.headers['www-authenticate']), /^Basic /);
    const post = await rawRequest(xcapd.running.origin, { method: 'POST', path: '/xcapd/changes', headers: auth('alice@example.com') });
    assert.equal(post.status, 405);
  });

  test("a user sees changes of their own documents and of the global tree, not other users'", async () => {
    const alice = await open('/xcapd/changes', auth('alice@example.com'));
    assert.equal(alice.status, 200);
    const noGlobal = await open('/xcapd/changes?global=0', auth('alice@example.com'));
    await eventually(() => (xcapd.notifications.metrics.value('xcapd_feed_clients') === 2 ? true : undefined));
    assert.equal((await xcapd.put(BOB, BUDDIES, RESOURCE_LISTS_MIME, 'bob@example.com')).status, 201);
    assert.equal((await xcapd.put(ALICE, BUDDIES, RESOURCE_LISTS_MIME)).status, 201);
    assert.equal((await xcapd.put(GLOBAL, BUDDIES, RESOURCE_LISTS_MIME, 'admin@example.com')).status, 201);
    const events = await alice.waitFor(2);
    await xcapd.notifications.idle();
    assert.equal(alice.events.length, 2);
    for (const e of events) {
      assert.equal(e.type, 'xcap-diff');
      assert.match(e.id ?? '', /^\w+-\d+$/);
      assert.deepEqual(validator.validate(e.data), [], e.data);
    }
    assert.match(events[0]!.data, /sel="resource-lists\/users\/sip:alice@example.com\/index" new-etag=/);
    assert.match(events[1]!.data, /sel="resource-lists\/global\/index" new-etag=/);
    assert.equal((await noGlobal.waitFor(1)).length, 1);
    assert.match(noGlobal.events[0]!.data, /sip:alice@example.com/);
    assert.ok(alice.comments.includes('xcapd change feed'));
    await eventually(() => (alice.comments.some((c) => c.startsWith('heartbeat')) ? true : undefined), 2000, 'a heartbeat');
    const metrics = await rawRequest(xcapd.running.origin, { path: '/metrics' });
    assert.equal(metrics.status, 200);
    assert.match(String(metrics.headers['content-type']), /^text\/plain; version=0\.0\.4/);
    assert.match(metrics.body, /^xcapd_feed_clients 2$/m);
    assert.match(metrics.body, /^xcapd_changes_total\{auid="resource-lists"\} \d+$/m);
    alice.close();
    noGlobal.close();
  });

  test('a client that reconnects with Last-Event-ID gets what it missed, with the patches', async () => {
    const first = await open('/xcapd/changes?auid=resource-lists', auth('alice@example.com'));
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'bobby'), RESOURCE_LISTS_MIME);
    const [seen] = await first.waitFor(1);
    first.close();
    await eventually(() => (xcapd.notifications.metrics.value('xcapd_feed_clients') === 0 ? true : undefined));
    // Made while nobody listens.
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'robert'), RESOURCE_LISTS_MIME);
    await xcapd.put(BOB, BUDDIES.replace('bob', 'x'), RESOURCE_LISTS_MIME, 'bob@example.com');
    await xcapd.notifications.idle();
    const again = await open('/xcapd/changes', { ...auth('alice@example.com'), 'Last-Event-ID': seen!.id! });
    const [missed] = await again.waitFor(1);
    await xcapd.notifications.idle();
    assert.equal(again.events.length, 1, "only the change it missed, not bob's");
    assert.notEqual(missed!.id, seen!.id);
    assert.match(missed!.data, /previous-etag="[^"]+" new-etag="[^"]+"/);
    assert.match(seen!.data, /<d:replace sel="\/resource-lists\/list\/entry\/@uri"/, 'patches are computed while a client listens');
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'live'), RESOURCE_LISTS_MIME);
    const events = await again.waitFor(2);
    assert.match(events[1]!.data, /<d:replace sel="\/resource-lists\/list\/entry\/@uri"[^>]*>sip:live@example.com<\/d:replace>/);
    again.close();
  });

  test('a Last-Event-ID older than the history, or from another server run, gets a reset event', async () => {
    const probe = await open('/xcapd/changes', auth('alice@example.com'));
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'old'), RESOURCE_LISTS_MIME);
    const [old] = await probe.waitFor(1);
    probe.close();
    for (let i = 0; i < 6; i++) await xcapd.put(ALICE, BUDDIES.replace('bob', `n${i}`), RESOURCE_LISTS_MIME);
    await xcapd.notifications.idle();
    const late = await open('/xcapd/changes', { ...auth('alice@example.com'), 'Last-Event-ID': old!.id! });
    const [reset] = await late.waitFor(1);
    assert.equal(reset!.type, 'reset');
    assert.match(reset!.data, /no longer kept/);
    assert.match(reset!.id ?? '', /^\w+-\d+$/);
    const stranger = await open('/xcapd/changes?lastEventId=zzz-3', auth('alice@example.com'));
    const [r2] = await stranger.waitFor(1);
    assert.equal(r2!.type, 'reset');
    assert.match(r2!.data, /restarted/);
    // After a reset, the stream goes on live.
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'after'), RESOURCE_LISTS_MIME);
    const [, next] = await late.waitFor(2);
    assert.equal(next!.type, 'xcap-diff');
    late.close();
    stranger.close();
  });

  test('an administrator may follow one user with ?user=', async () => {
    const admin = await open('/xcapd/changes?user=sip:bob@example.com', auth('admin@example.com'));
    await xcapd.put(ALICE, BUDDIES.replace('bob', 'q'), RESOURCE_LISTS_MIME);
    await xcapd.put(BOB, BUDDIES.replace('bob', 'q'), RESOURCE_LISTS_MIME, 'bob@example.com');
    const [e] = await admin.waitFor(1);
    await xcapd.notifications.idle();
    assert.equal(admin.events.length, 1);
    assert.match(e!.data, /sip:bob@example.com/);
    const bad = await rawRequest(xcapd.running.origin, { path: '/xcapd/changes?user=%22', headers: auth('alice@example.com') });
    assert.equal(bad.status, 400);
    admin.close();
  });
});
