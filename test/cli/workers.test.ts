/**
 * `xcapd serve --workers 2`: two real worker processes on one port and one SQLite
 * file. Requests over fresh connections are spread over both; every GET sees the
 * change the previous request made through whichever worker; concurrent writers over
 * both lose no update; a change-feed stream on one worker reports the changes made
 * through the other; Digest nonces of one worker are honoured by the other; SIGTERM
 * stops them all.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { request } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DigestClientSession } from '../../src/auth/digest-client.js';
import { rawRequest, type RawResponse } from '../helpers/xcapd.js';

const CLI = join(import.meta.dirname, '../../src/cli/xcapd.ts');
const ALICE = { id: 'alice@example.com', password: 'alice-secret' };
const DOC = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const LIST = `${DOC}/~~/resource-lists/list%5B@name=%22friends%22%5D`;
const entry = (n: number) => `${LIST}/entry%5B@uri=%22sip:friend${n}@example.com%22%5D`;
const entryBody = (n: number) => `<entry uri="sip:friend${n}@example.com"><display-name>Friend ${n}</display-name></entry>`;
const HEAP_MB = 300;
const EMPTY_LIST = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends"/></resource-lists>';

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once('error', reject);
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address() as { port: number };
      probe.close(() => resolve(port));
    });
  });
}

interface Cluster {
  readonly child: ChildProcess;
  readonly origin: string;
  /** Every log line so far, parsed. */
  readonly logs: Record<string, unknown>[];
}

/** Starts the primary and resolves once both workers log that they serve. */
function startCluster(args: string[]): Promise<Cluster> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLI, 'serve', ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
  const logs: Record<string, unknown>[] = [];
  const output: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`the workers did not start: ${output.join('\n')}`));
    }, 30_000);
    let buffer = '';
    const serving = new Set<unknown>();
    child.stdout!.on('data', (d: Buffer) => {
      buffer += d.toString();
      for (let nl = buffer.indexOf('\n'); nl >= 0; nl = buffer.indexOf('\n')) {
        const line = buffer.slice(0, nl);
        buffer = buffer.slice(nl + 1);
        output.push(line);
        const parsed = JSON.parse(line) as Record<string, unknown>;
        logs.push(parsed);
        if (!isStartupLine(parsed) || serving.has(parsed.worker)) continue;
        serving.add(parsed.worker);
        if (serving.size === 2) {
          clearTimeout(timer);
          resolve({ child, origin: new URL(parsed.url as string).origin, logs });
        }
      }
    });
    child.stderr!.on('data', (d: Buffer) => output.push(d.toString()));
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`xcapd exited with ${code}: ${output.join('\n')}`));
    });
  });
}

function isStartupLine(line: Record<string, unknown>): boolean {
  return typeof line.msg === 'string' && line.msg.startsWith('xcapd serving');
}

function exited(child: ChildProcess): Promise<number | null> {
  return new Promise((resolve) => (child.exitCode !== null ? resolve(child.exitCode) : child.once('exit', (code) => resolve(code))));
}

/** Collects the ids of the xcap-diff events of one change-feed stream. */
function openFeed(origin: string, path: string, authorization: string): Promise<{ events: string[]; close(): void }> {
  const url = new URL(origin);
  return new Promise((resolve, reject) => {
    const events: string[] = [];
    const req = request({ host: url.hostname, port: url.port, path, headers: { Authorization: authorization }, agent: false }, (res) => {
      assert.equal(res.statusCode, 200);
      res.setEncoding('utf8');
      let buffer = '';
      res.on('data', (chunk: string) => {
        buffer += chunk;
        for (let end = buffer.indexOf('\n\n'); end >= 0; end = buffer.indexOf('\n\n')) {
          const block = buffer.slice(0, end);
          buffer = buffer.slice(end + 2);
          if (block.includes('event: xcap-diff')) events.push(block);
        }
      });
      res.on('error', () => undefined);
      resolve({ events, close: () => req.destroy() });
    });
    req.on('error', reject);
    req.end();
  });
}

describe('xcapd serve --workers 2', () => {
  let dir: string;
  let cluster: Cluster;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xcapd-workers-'));
    const database = join(dir, 'xcapd.sqlite');
    execFileSync(process.execPath, ['--import', 'tsx', CLI, 'user', 'add', ALICE.id, '--password', ALICE.password, '--database', database], {
      stdio: 'ignore',
      timeout: 30_000,
    });
    const port = await freePort();
    cluster = await startCluster(['--workers', '2', '--listen', `127.0.0.1:${port}`, '--database', database, '--auth', 'digest', '--log-level', 'info', '--heap-mb', String(HEAP_MB)]);
  });

  after(async () => {
    if (cluster && cluster.child.exitCode === null) {
      cluster.child.kill('SIGKILL');
      await exited(cluster.child);
    }
    rmSync(dir, { recursive: true, force: true });
  });

  /** A Digest session of alice's: the nonce of one challenge, nc counting up. */
  async function digestSession(): Promise<DigestClientSession> {
    const challenge = await rawRequest(cluster.origin, { path: DOC });
    assert.equal(challenge.status, 401);
    return new DigestClientSession(challenge.headers['www-authenticate'] as string, { username: 'alice', password: ALICE.password });
  }
  let session: DigestClientSession;

  // Every request on a fresh connection: round-robin hands them to both workers.
  const send = async (method: string, path: string, headers: Record<string, string> = {}, body?: string, signer?: DigestClientSession): Promise<RawResponse> => {
    session ??= await digestSession();
    const Authorization = (signer ?? session).authorize(method, path);
    return rawRequest(cluster.origin, { method, path, headers: { Authorization, ...headers }, ...(body === undefined ? {} : { body }) });
  };

  test('every GET sees the previous change, whichever worker made it and whichever answers', async () => {
    assert.equal((await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, EMPTY_LIST)).status, 201);
    let etag = '';
    for (let n = 1; n <= 30; n++) {
      const put = await send('PUT', entry(n), { 'Content-Type': 'application/xcap-el+xml' }, entryBody(n));
      assert.equal(put.status, 201, put.body);
      assert.notEqual(put.headers.etag, etag);
      etag = put.headers.etag!;
      const element = await send('GET', entry(n));
      assert.equal(element.status, 200, `entry ${n}`);
      assert.equal(element.headers.etag, etag);
      assert.equal((await send('GET', DOC, { 'If-None-Match': etag })).status, 304);
      if (n > 1) {
        const removed = await send('DELETE', entry(n - 1));
        assert.equal(removed.status, 200);
        assert.equal((await send('GET', entry(n - 1))).status, 404);
        const whole = await send('GET', DOC, { 'If-None-Match': etag });
        assert.equal(whole.status, 200, 'the version before the delete is no longer current');
        etag = whole.headers.etag!;
        assert.equal(removed.headers.etag, etag);
      }
    }
    const workers = new Set(cluster.logs.filter((l) => l.msg === 'request').map((l) => l.worker));
    assert.deepEqual([...workers].sort(), [1, 2], 'both workers answered requests');
    // Worker 2 takes writes too (and has worker 1 carry them out).
    const writesTaken = new Set(cluster.logs.filter((l) => l.msg === 'request' && l.method === 'PUT' && l.status === 201).map((l) => l.worker));
    assert.deepEqual([...writesTaken].sort(), [1, 2], 'both workers answered writes');
  });

  test('concurrent writers over both workers lose no update', async () => {
    assert.equal((await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, EMPTY_LIST)).status, 200);
    const writers = Array.from({ length: 40 }, (_, i) => 100 + i);
    const sessions = await Promise.all(writers.map(() => digestSession()));
    const results = await Promise.all(
      writers.map((n, i) => send('PUT', entry(n), { 'Content-Type': 'application/xcap-el+xml' }, entryBody(n), sessions[i])),
    );
    assert.deepEqual(results.map((r) => r.status), writers.map(() => 201));
    assert.equal(new Set(results.map((r) => r.headers.etag)).size, writers.length, 'every write got its own ETag');
    const whole = await send('GET', DOC);
    for (const n of writers) assert.ok(whole.body.includes(`sip:friend${n}@example.com`), `entry ${n} is in the document`);
  });

  test('a change-feed stream on either worker reports every change', async () => {
    const feedPath = '/xcapd/changes?user=sip:alice@example.com';
    const feed = await openFeed(cluster.origin, feedPath, (await digestSession()).authorize('GET', feedPath));
    try {
      const etags: string[] = [];
      for (let n = 200; n < 210; n++) {
        const put = await send('PUT', entry(n), { 'Content-Type': 'application/xcap-el+xml' }, entryBody(n));
        assert.equal(put.status, 201);
        etags.push(put.headers.etag!.replace(/"/g, ''));
      }
      const deadline = Date.now() + 10_000;
      while (feed.events.length < 10 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
      assert.equal(feed.events.length, 10, 'one event per change, from both workers');
      for (const etag of etags) assert.ok(feed.events.some((e) => e.includes(`new-etag="${etag}"`)), `the event of the version ${etag}`);
    } finally {
      feed.close();
    }
  });

  test('a Digest nonce issued by one worker is accepted by the other', async () => {
    const own = await digestSession();
    for (let i = 0; i < 6; i++) {
      const r = await rawRequest(cluster.origin, { path: DOC, headers: { Authorization: own.authorize('GET', DOC) } });
      assert.equal(r.status, 200, `request ${i} with the same nonce`);
    }
  });

  test('a forwarded write keeps its xmlns() bindings', async () => {
    const rl = 'urn:ietf:params:xml:ns:resource-lists';
    for (let n = 400; n < 406; n++) {
      const path = `${DOC}/~~/p:resource-lists/p:list%5B@name=%22friends%22%5D/p:entry%5B@uri=%22sip:friend${n}@example.com%22%5D?xmlns(p=${rl})`;
      const put = await send('PUT', path, { 'Content-Type': 'application/xcap-el+xml' }, entryBody(n));
      assert.equal(put.status, 201, put.body);
      assert.equal((await send('GET', entry(n))).status, 200);
    }
  });

  test('refusals of a forwarded write come back whole', async () => {
    const responses = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const own = await digestSession();
        const path = `${LIST}/entry%5B@uri=%22sip:nobody@example.com%22%5D`;
        return rawRequest(cluster.origin, { method: 'DELETE', path, headers: { Authorization: own.authorize('DELETE', path) } });
      }),
    );
    for (const r of responses) assert.equal(r.status, 404);
    const conflicts = await Promise.all(
      Array.from({ length: 6 }, async () => {
        const own = await digestSession();
        const path = `${LIST}/entry%5B@uri=%22sip:x@example.com%22%5D`;
        return rawRequest(cluster.origin, {
          method: 'PUT',
          path,
          headers: { Authorization: own.authorize('PUT', path), 'Content-Type': 'application/xcap-el+xml' },
          body: '<entry uri="sip:other@example.com"/>',
        });
      }),
    );
    for (const r of conflicts) {
      assert.equal(r.status, 409);
      assert.equal(r.headers['content-type'], 'application/xcap-error+xml');
      assert.match(r.body, /<cannot-insert/);
    }
  });

  test('a writing worker that dies is restarted; meanwhile writes are refused with 503, never lost silently', async () => {
    const writer = cluster.logs.find((l) => isStartupLine(l) && l.worker === 1);
    assert.ok(writer, 'worker 1 logged its start');
    const startsBefore = cluster.logs.filter((l) => isStartupLine(l) && l.worker === 1).length;
    process.kill(writer.pid as number, 'SIGKILL');
    const statuses: (number | string)[] = [];
    const deadline = Date.now() + 20_000;
    let landed = false;
    for (let n = 300; !landed && Date.now() < deadline; n++) {
      try {
        const put = await send('PUT', entry(n), { 'Content-Type': 'application/xcap-el+xml' }, entryBody(n));
        statuses.push(put.status);
        if (put.status === 503) assert.equal(put.headers['retry-after'], '1');
        landed = put.status === 201;
        if (landed) assert.equal((await send('GET', entry(n))).status, 200);
      } catch (e) {
        statuses.push((e as NodeJS.ErrnoException).code ?? 'error');
      }
      if (!landed) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(landed, `writes succeed again after the restart (${statuses.join(' ')})`);
    for (const status of statuses) assert.ok(status === 201 || status === 503 || typeof status === 'string', `unexpected ${status}`);
    const restartDeadline = Date.now() + 10_000;
    while (cluster.logs.filter((l) => isStartupLine(l) && l.worker === 1).length === startsBefore && Date.now() < restartDeadline) {
      await new Promise((r) => setTimeout(r, 50));
    }
    assert.equal(cluster.logs.filter((l) => isStartupLine(l) && l.worker === 1).length, startsBefore + 1, 'worker 1 was started again');
  });

  test("every worker runs with heapMb as V8's old-space limit", async () => {
    const limits = new Set<number>();
    for (let i = 0; i < 8; i++) {
      const metrics = await rawRequest(cluster.origin, { path: '/metrics' });
      assert.equal(metrics.status, 200);
      const m = /^xcapd_heap_limit_bytes (\d+)$/m.exec(metrics.body);
      assert.ok(m, 'the heap limit is reported');
      limits.add(Number(m[1]));
    }
    for (const limit of limits) {
      // The old space plus the young generation, well under Node's default on this machine.
      assert.ok(limit > HEAP_MB * 2 ** 20 && limit < (HEAP_MB + 128) * 2 ** 20, `heap limit ${limit}`);
    }
  });

  test('SIGTERM stops the primary and every worker', async () => {
    // The workers running now: the last start of each.
    const workerPids = new Set([1, 2].map((n) => cluster.logs.filter((l) => isStartupLine(l) && l.worker === n).at(-1)!.pid as number));
    assert.equal(workerPids.size, 2);
    cluster.child.kill('SIGTERM');
    assert.equal(await exited(cluster.child), 0);
    for (const pid of workerPids) {
      assert.throws(() => process.kill(pid, 0), /ESRCH/, `worker ${pid} is gone`);
    }
  });
});
