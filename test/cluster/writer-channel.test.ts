/**
 * The writer socket end to end: a real WriterHub and real WriterLinks on a Unix socket
 * in a temporary folder. Forwarded writes and their answers, 503s while the writing
 * worker is away or slow, reconnection, following changes (only after the
 * acknowledgement, in order, without texts), relaying changes between links, and
 * what happens to followers when the hub goes away.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, afterEach, before, describe, test } from 'node:test';
import { pino } from 'pino';
import { WriterHub, type WriterHubOptions } from '../../src/cluster/writer-hub.js';
import { WriterLink, type WriterLinkOptions } from '../../src/cluster/writer-link.js';
import { relayable } from '../../src/cluster/writer-protocol.js';
import type { DocumentChange, XcapRequest, XcapResponse } from '../../src/service/xcap-service.js';
import type { StoredDocument } from '../../src/storage/types.js';
import { parseXcapPath } from '../../src/xcap/uri.js';
import { eventually, sleep, withTimeout } from '../helpers/wait.js';

const logger = pino({ level: 'silent' });
const ALICE = 'sip:alice@example.com';
const RL_NS = 'urn:ietf:params:xml:ns:resource-lists';
const REQUESTER = { userId: 'alice@example.com', admin: false } as const;

let dir: string;
let socketCount = 0;
const links: WriterLink[] = [];
const hubs: WriterHub[] = [];

before(() => {
  dir = mkdtempSync(join(tmpdir(), 'xcapd-writer-'));
});

afterEach(async () => {
  for (const link of links.splice(0)) link.close();
  await Promise.all(hubs.splice(0).map((hub) => hub.close()));
});

after(() => {
  rmSync(dir, { recursive: true, force: true });
});

/** A socket path of its own for each test, so that one test's reconnecting links never reach another's hub. */
function freshPath(): string {
  return join(dir, `writer-${++socketCount}.sock`);
}

async function startHub(path: string, options: Partial<WriterHubOptions> = {}): Promise<WriterHub> {
  const hub = await WriterHub.listen(path, {
    handle: async () => ({ status: 204, headers: {}, body: null }),
    onRelayedChange: () => undefined,
    logger,
    ...options,
  });
  hubs.push(hub);
  return hub;
}

function startLink(path: string, options: Partial<WriterLinkOptions> = {}): WriterLink {
  const link = new WriterLink({ path, logger, onRelayedChange: () => undefined, reconnectDelayMs: 20, ...options });
  links.push(link);
  return link;
}

/** A PUT of an element, as the HTTP layer would build it, for document `path`. */
function putRequest(path: string, text = '<entry uri="sip:zoë@example.com"><display-name>Zoë 😀</display-name></entry>'): XcapRequest {
  return {
    method: 'PUT',
    uri: parseXcapPath(`resource-lists/users/${ALICE}/${path}/~~/rl:resource-lists/rl:list%5b@name=%22friends%22%5d/rl:entry?xmlns(rl=${RL_NS})`),
    requester: REQUESTER,
    body: new TextEncoder().encode(text),
    contentType: 'application/xcap-el+xml',
    preconditions: { ifMatch: '"etag-1"', ifNoneMatch: null },
    rootUri: 'http://xcap.example.com/xcap-root',
    client: { address: '192.0.2.7', userAgent: 'writer-channel-test' },
  };
}

function version(path: string, etag: string, content: string): StoredDocument {
  return { key: { auid: 'resource-lists', tree: 'users', owner: ALICE, path }, content, etag, updatedAt: 1_700_000_000_000 + etag.length };
}

/** Change number `n` to document `path`, with full texts (as the committing process has it). */
function change(n: number, path = 'index'): DocumentChange {
  return {
    key: { auid: 'resource-lists', tree: 'users', owner: ALICE, path },
    previous: version(path, `e${n - 1}`, `<resource-lists xmlns="${RL_NS}"><!-- v${n - 1} ü --></resource-lists>`),
    current: version(path, `e${n}`, `<resource-lists xmlns="${RL_NS}"><!-- v${n} 😀 --></resource-lists>`),
    nodeSelector: 'rl:resource-lists/rl:list',
    namespaceBindings: new Map([['rl', RL_NS]]),
    requester: REQUESTER,
  };
}

/** What a follower should receive for `c`, written out rather than computed by relayable(). */
function withoutTexts(c: DocumentChange): DocumentChange {
  return {
    ...c,
    previous: c.previous && { ...c.previous, content: '' },
    current: c.current && { ...c.current, content: '' },
    contentOmitted: true,
  };
}

/** A hub that takes writes and never answers them; `reached(n)` waits until exactly n have arrived. */
async function startSilentHub(path: string): Promise<{ hub: WriterHub; reached(n: number): Promise<unknown> }> {
  let arrived = 0;
  const hub = await startHub(path, {
    handle: () => {
      arrived++;
      return never();
    },
  });
  return { hub, reached: (n) => eventually(() => arrived === n || undefined, 3000, `${n} write(s) to reach the hub`) };
}

function never<T>(): Promise<T> {
  return new Promise<T>(() => undefined);
}

const BOUND = { timeout: 8000 };

describe('relayable', () => {
  test('keeps everything but the texts, and marks the change as without them', () => {
    const original = change(3);
    const relayed = relayable(original);
    assert.deepEqual(relayed, withoutTexts(original));
    assert.equal(relayed.previous?.etag, 'e2');
    assert.equal(relayed.current?.etag, 'e3');
    assert.ok(original.current!.content.length > 0, 'the committed change keeps its texts');
  });

  test('a creation and a deletion keep their null side', () => {
    const created: DocumentChange = { ...change(1), previous: null };
    const deleted: DocumentChange = { ...change(2), current: null };
    assert.equal(relayable(created).previous, null);
    assert.equal(relayable(created).current?.content, '');
    assert.equal(relayable(deleted).current, null);
    assert.equal(relayable(deleted).previous?.content, '');
  });

  test('a change already without texts is passed on as it is', () => {
    const relayed = relayable(change(4));
    assert.equal(relayable(relayed), relayed);
  });
});

describe('forwarded writes', () => {
  test('a write reaches handle() with its fields intact and its answer comes back', BOUND, async () => {
    const path = freshPath();
    const handled: XcapRequest[] = [];
    const answer: XcapResponse = {
      status: 201,
      headers: { ETag: '"etag-2"', 'Content-Type': 'text/plain; charset=utf-8' },
      body: 'créé 😀\n',
    };
    await startHub(path, {
      handle: async (request) => {
        handled.push(request);
        return answer;
      },
    });
    const link = startLink(path);
    const request = putRequest('index');
    const response = await withTimeout(link.forward(request), 4000, 'the answer');

    assert.deepEqual(response, answer);
    assert.equal(handled.length, 1);
    const got = handled[0]!;
    assert.deepEqual(got, request);
    assert.ok(got.uri.namespaceBindings instanceof Map);
    assert.equal(got.uri.namespaceBindings.get('rl'), RL_NS);
    assert.equal(got.uri.nodeSelector, 'rl:resource-lists/rl:list[@name="friends"]/rl:entry');
    assert.ok(got.body instanceof Uint8Array);
    assert.equal(new TextDecoder().decode(got.body), '<entry uri="sip:zoë@example.com"><display-name>Zoë 😀</display-name></entry>');
  });

  test('concurrent writes each get their own answer though the hub answers out of order', BOUND, async () => {
    const path = freshPath();
    const count = 8;
    const finished: number[] = [];
    await startHub(path, {
      handle: async (request) => {
        const n = Number(request.uri.document.path.replace('doc-', ''));
        // The first to arrive takes longest, so the answers go back in reverse.
        await sleep((count - n) * 25);
        finished.push(n);
        return { status: 200, headers: { 'X-Doc': String(n) }, body: n % 2 === 0 ? null : `answer ${n}` };
      },
    });
    const link = startLink(path);
    const responses = await withTimeout(
      Promise.all(Array.from({ length: count }, (_, n) => link.forward(putRequest(`doc-${n}`)))),
      5000,
      'all answers',
    );
    responses.forEach((response, n) => {
      assert.deepEqual(response, { status: 200, headers: { 'X-Doc': String(n) }, body: n % 2 === 0 ? null : `answer ${n}` });
    });
    assert.deepEqual(finished, Array.from({ length: count }, (_, n) => count - 1 - n));
  });

  test('with no hub listening a write is answered 503 with Retry-After after connectWaitMs', BOUND, async () => {
    const link = startLink(freshPath(), { connectWaitMs: 200 });
    const started = Date.now();
    const response = await withTimeout(link.forward(putRequest('index')), 3000, 'the 503');
    const waited = Date.now() - started;
    assert.equal(response.status, 503);
    assert.equal(response.headers['Retry-After'], '1');
    assert.match(response.body ?? '', /not running/);
    assert.ok(waited >= 180, `answered after ${waited} ms, before connectWaitMs`);
    assert.ok(waited < 2000, `answered only after ${waited} ms`);
  });

  test('a hub that stops during a write answers 503, and the link reconnects to the next hub by itself', BOUND, async () => {
    const path = freshPath();
    const { hub: first, reached } = await startSilentHub(path);
    const link = startLink(path, { connectWaitMs: 2000 });
    const inFlight = link.forward(putRequest('index'));
    await reached(1);
    await first.close();
    const response = await withTimeout(inFlight, 2000, 'the in-flight write to be answered');
    assert.equal(response.status, 503);
    assert.equal(response.headers['Retry-After'], '1');
    assert.match(response.body ?? '', /writing worker stopped/);

    const handledBySecond: string[] = [];
    await startHub(path, {
      handle: async (request) => {
        handledBySecond.push(request.uri.document.path);
        return { status: 200, headers: { ETag: '"second"' }, body: null };
      },
    });
    const again = await withTimeout(link.forward(putRequest('after-restart')), 4000, 'a write to the new hub');
    assert.deepEqual(again, { status: 200, headers: { ETag: '"second"' }, body: null });
    assert.deepEqual(handledBySecond, ['after-restart']);
  });

  test('a write the hub does not answer in time is answered 503, and a late answer confuses no later write', BOUND, async () => {
    const path = freshPath();
    await startHub(path, {
      handle: async (request) => {
        switch (request.uri.document.path) {
          case 'stuck':
            return never();
          case 'late':
            await sleep(300);
            return { status: 299, headers: {}, body: 'late answer' };
          default:
            return { status: 200, headers: {}, body: request.uri.document.path };
        }
      },
    });
    const link = startLink(path, { forwardTimeoutMs: 150 });
    const started = Date.now();
    const [stuck, late] = await withTimeout(
      Promise.all([link.forward(putRequest('stuck')), link.forward(putRequest('late'))]),
      3000,
      'the timeouts',
    );
    const waited = Date.now() - started;
    for (const response of [stuck, late]) {
      assert.equal(response.status, 503);
      assert.equal(response.headers['Retry-After'], '1');
      assert.match(response.body ?? '', /did not answer in time/);
    }
    assert.ok(waited >= 140, `timed out after ${waited} ms, before forwardTimeoutMs`);

    // The late answer to the timed-out write comes in while this one waits.
    const next = link.forward(putRequest('next'));
    await sleep(250);
    assert.deepEqual(await withTimeout(next, 2000, 'the next answer'), { status: 200, headers: {}, body: 'next' });
  });

  test('close() answers a write in flight 503, and later writes at once', BOUND, async () => {
    const path = freshPath();
    const { reached } = await startSilentHub(path);
    const link = startLink(path, { connectWaitMs: 2000 });
    const inFlight = link.forward(putRequest('index'));
    await reached(1);
    link.close();
    assert.equal((await withTimeout(inFlight, 1000, 'the in-flight answer')).status, 503);
    const started = Date.now();
    const later = await withTimeout(link.forward(putRequest('index')), 1000, 'the later answer');
    assert.equal(later.status, 503);
    assert.ok(Date.now() - started < 150, 'a closed link does not wait for a connection');
  });

  test('a link closed before its connection completes leaves no connection open', BOUND, async () => {
    const path = freshPath();
    const open = new Set<Socket>();
    let accepted = 0;
    const server = createServer((socket) => {
      accepted++;
      open.add(socket);
      socket.on('close', () => open.delete(socket));
      socket.on('error', () => undefined);
    });
    await new Promise<void>((resolve) => server.listen(path, resolve));
    try {
      const link = startLink(path);
      link.close();
      await sleep(100);
      await eventually(() => open.size === 0 || undefined, 2000, `the ${accepted} accepted connection(s) to be closed`);
    } finally {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  });
});

describe('following changes', () => {
  test('after follow() resolves, every change the hub publishes arrives in order without texts; none before, none after unfollow()', BOUND, async () => {
    const path = freshPath();
    const hub = await startHub(path);
    const received: DocumentChange[] = [];
    const link = startLink(path, { onRelayedChange: (c) => received.push(c) });
    // Connected, but not following yet.
    await withTimeout(link.forward(putRequest('index')), 3000, 'a first round trip');
    hub.publish(change(100, 'before'));

    await withTimeout(link.follow(), 3000, 'follow()');
    const published = [
      { ...change(1), previous: null },
      change(2),
      change(3, 'other'),
      { ...change(4), current: null },
      change(5),
    ];
    for (const c of published) hub.publish(c);
    await eventually(() => received.length >= published.length || undefined, 3000, 'the published changes');
    assert.deepEqual(received, published.map(withoutTexts));
    for (const c of received) {
      assert.equal(c.contentOmitted, true);
      assert.ok(c.previous === null || c.previous.content === '');
      assert.ok(c.current === null || c.current.content === '');
      assert.ok(c.namespaceBindings instanceof Map);
    }

    link.unfollow();
    hub.publish(change(200, 'after'));
    // A round trip on the same connection: whatever the hub sent before its answer has arrived.
    await withTimeout(link.forward(putRequest('index')), 3000, 'a round trip after unfollow()');
    await sleep(50);
    assert.equal(received.length, published.length, 'no change after unfollow()');
  });

  test('a change a link publishes reaches the hub and other followers, but not the link that sent it', BOUND, async () => {
    const path = freshPath();
    const atHub: DocumentChange[] = [];
    const hub = await startHub(path, { onRelayedChange: (c) => atHub.push(c) });
    const atSender: DocumentChange[] = [];
    const atOther: DocumentChange[] = [];
    const sender = startLink(path, { onRelayedChange: (c) => atSender.push(c) });
    const other = startLink(path, { onRelayedChange: (c) => atOther.push(c) });
    await withTimeout(Promise.all([sender.follow(), other.follow()]), 3000, 'both to follow');

    const committed = change(7, 'phonebook');
    sender.publish(committed);
    await eventually(() => (atHub.length === 1 && atOther.length === 1) || undefined, 3000, 'the relayed change');
    assert.deepEqual(atHub, [withoutTexts(committed)]);
    assert.deepEqual(atOther, [withoutTexts(committed)]);

    // The hub relays in the order it learns of changes: once this marker is at the
    // sender, its own change would have been there before it.
    const marker = change(8, 'marker');
    hub.publish(marker);
    await eventually(() => atSender.length > 0 || undefined, 3000, 'the marker at the sender');
    assert.deepEqual(atSender, [withoutTexts(marker)]);
  });

  test('quick follow/unfollow toggles end following when they end with follow()', BOUND, async () => {
    const path = freshPath();
    const hub = await startHub(path);
    const received: DocumentChange[] = [];
    const link = startLink(path, { onRelayedChange: (c) => received.push(c) });
    await withTimeout(link.forward(putRequest('index')), 3000, 'a first round trip');

    const earlier: Promise<void>[] = [];
    // All in one tick, so that no acknowledgement comes in between.
    for (let i = 0; i < 5; i++) {
      earlier.push(link.follow());
      link.unfollow();
    }
    await withTimeout(link.follow(), 3000, 'the last follow()');
    hub.publish(change(1));
    hub.publish(change(2));
    await eventually(() => received.length >= 2 || undefined, 3000, 'the changes after the first round of toggles');
    assert.deepEqual(received, [change(1), change(2)].map(withoutTexts));

    // Acknowledgements of earlier requests arrive after newer ones were sent.
    await withTimeout(link.follow(), 1000, 'follow() on an acknowledged link');
    link.unfollow();
    const again = link.follow();
    link.unfollow();
    link.unfollow();
    await withTimeout(Promise.all([again, link.follow()]), 3000, 'follow() after the second round of toggles');
    hub.publish(change(3));

    await eventually(() => received.length >= 3 || undefined, 3000, `the change after the second round (have ${received.length})`);
    assert.deepEqual(received, [change(1), change(2), change(3)].map(withoutTexts));
    await withTimeout(Promise.all(earlier), 1000, 'the earlier follow() calls');
  });

  test('a follow() that unfollow() overtakes rejects, and no change is sent to the link', BOUND, async () => {
    const path = freshPath();
    const hub = await startHub(path);
    const received: DocumentChange[] = [];
    let missed = 0;
    const link = startLink(path, { onRelayedChange: (c) => received.push(c) });
    link.onMissed(() => missed++);
    await withTimeout(link.forward(putRequest('index')), 3000, 'a first round trip');
    const cancelled = link.follow();
    link.unfollow();
    await assert.rejects(withTimeout(cancelled, 3000, 'the cancelled follow()'), /unfollowed/);
    hub.publish(change(1));
    await withTimeout(link.forward(putRequest('index')), 3000, 'a round trip after the change');
    await sleep(50);
    assert.deepEqual(received, []);
    await hub.close();
    await sleep(50);
    assert.equal(missed, 0, 'a link that does not follow misses nothing');
  });

  test('onMissed runs when the hub goes away while following; follow() rejects until a new hub is up', BOUND, async () => {
    const path = freshPath();
    const first = await startHub(path);
    const received: DocumentChange[] = [];
    const follower = startLink(path, { onRelayedChange: (c) => received.push(c), connectWaitMs: 200 });
    const bystander = startLink(path, { connectWaitMs: 200 });
    let missed = 0;
    let bystanderMissed = 0;
    follower.onMissed(() => missed++);
    bystander.onMissed(() => bystanderMissed++);
    await withTimeout(follower.follow(), 3000, 'follow()');
    await withTimeout(bystander.forward(putRequest('index')), 3000, 'the bystander to connect');

    await first.close();
    await eventually(() => missed > 0 || undefined, 2000, 'onMissed');
    assert.equal(missed, 1);
    assert.equal(bystanderMissed, 0, 'a link that did not follow missed nothing');

    const started = Date.now();
    await assert.rejects(withTimeout(follower.follow(), 2000, 'follow() to reject'), /not running/);
    assert.ok(Date.now() - started >= 180, 'follow() waited connectWaitMs for the hub');

    const second = await startHub(path);
    await withTimeout(follower.follow(), 3000, 'follow() with the new hub');
    second.publish(change(9));
    await eventually(() => received.length > 0 || undefined, 3000, 'a change from the new hub');
    assert.deepEqual(received, [withoutTexts(change(9))]);
    assert.equal(missed, 1);
  });

  test('hub.close() ends every connection', BOUND, async () => {
    const path = freshPath();
    const { hub, reached } = await startSilentHub(path);
    const raw: Socket[] = [];
    try {
      const closed: Promise<void>[] = [];
      const connected = [0, 1].map(() => {
        const socket = createConnection(path);
        raw.push(socket);
        socket.on('error', () => undefined);
        closed.push(new Promise<void>((resolve) => socket.once('close', () => resolve())));
        return new Promise<void>((resolve) => socket.once('connect', () => resolve()));
      });
      const link = startLink(path);
      let missed = 0;
      link.onMissed(() => missed++);
      await withTimeout(link.follow(), 3000, 'follow()');
      const inFlight = link.forward(putRequest('index'));
      await reached(1);
      await withTimeout(Promise.all(connected), 3000, 'the raw sockets to connect');

      await withTimeout(hub.close(), 3000, 'hub.close()');
      await withTimeout(Promise.all(closed), 3000, 'the raw connections to end');
      assert.equal((await withTimeout(inFlight, 2000, 'the in-flight write')).status, 503);
      await eventually(() => missed > 0 || undefined, 2000, 'the link to notice');
      await assert.rejects(
        new Promise<void>((resolve, reject) => {
          const late = createConnection(path);
          raw.push(late);
          late.once('connect', () => resolve());
          late.once('error', reject);
        }),
        'a closed hub accepts no connection',
      );
    } finally {
      for (const socket of raw) socket.destroy();
    }
  });
});
