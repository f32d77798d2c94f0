/**
 * Three xcapd nodes on one PostgreSQL database, as behind a load balancer: the
 * writes of all of them are atomic together, server-wide uniqueness holds across
 * them, every node serves what any node wrote, and Digest nonces travel between
 * nodes that share `digestSecret`.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { pino } from 'pino';
import { createUserRecord } from '../../src/cli/users.js';
import { DigestClientSession } from '../../src/auth/digest-client.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { startXcapServer, type RunningServer } from '../../src/http/server.js';
import { etagCounter } from '../../src/storage/backend-helpers.js';
import { openPostgresStorage, type PostgresStorage } from '../../src/storage/postgres.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';
import { basic, rawRequest } from '../helpers/xcapd.js';

const ROOT = '/xcap-root';
const DOC = `${ROOT}/resource-lists/users/sip:alice@example.com/index`;
const LIST = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">\n  <list name="l"/>\n</resource-lists>\n';
const alice = basic('alice@example.com', 'alice-secret');
const bob = basic('bob@example.com', 'bob-secret');

interface Node {
  readonly storage: PostgresStorage;
  readonly server: RunningServer;
}

async function startNodes(database: TestDatabase, count: number, overrides: Partial<ServerConfig>): Promise<Node[]> {
  const nodes: Node[] = [];
  for (let i = 0; i < count; i += 1) {
    const config: ServerConfig = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', database: database.url, logLevel: 'silent', ...overrides };
    const storage = await openPostgresStorage({ url: database.url, poolSize: 5 });
    const server = await startXcapServer({ config, storage, logger: pino({ level: 'silent' }) });
    nodes.push({ storage, server });
  }
  return nodes;
}

async function stopNodes(nodes: readonly Node[]): Promise<void> {
  for (const node of nodes) {
    await node.server.close();
    await node.storage.close();
  }
}

function counter(etag: string | string[] | undefined): bigint {
  const value = etagCounter(String(etag).replace(/^"|"$/g, ''));
  assert.ok(value !== null, `unexpected ETag ${String(etag)}`);
  return value;
}

describe('three xcapd nodes on one PostgreSQL database', { timeout: 120_000 }, () => {
  let database: TestDatabase;
  let nodes: Node[];
  before(async () => {
    database = await createTestDatabase('cluster');
    nodes = await startNodes(database, 3, { auth: 'basic' });
    const storage = nodes[0]!.storage;
    for (const [id, password] of [['alice@example.com', 'alice-secret'], ['bob@example.com', 'bob-secret']] as const) {
      await storage.putUser(createUserRecord(id, password, false, DEFAULT_CONFIG));
    }
  });
  after(async () => {
    await stopNodes(nodes);
    await database.drop();
  });

  test('1,000 element inserts into one document from 30 clients spread over the nodes all land exactly once', async () => {
    const created = await rawRequest(nodes[0]!.server.origin, {
      method: 'PUT',
      path: DOC,
      body: LIST,
      headers: { Authorization: alice, 'Content-Type': 'application/resource-lists+xml' },
    });
    assert.equal(created.status, 201);

    const total = 1000;
    let next = 0;
    const failures: string[] = [];
    const allCounters: bigint[] = [];
    const client = async () => {
      const seen: bigint[] = [];
      for (let i = next++; i < total; i = next++) {
        const node = nodes[i % nodes.length]!;
        const uri = `sip:friend-${i}@example.com`;
        const r = await rawRequest(node.server.origin, {
          method: 'PUT',
          path: `${DOC}/~~/resource-lists/list%5B@name=%22l%22%5D/entry%5B@uri=%22${encodeURIComponent(uri)}%22%5D`,
          body: `<entry uri="${uri}"/>`,
          headers: { Authorization: alice, 'Content-Type': 'application/xcap-el+xml' },
        });
        if (r.status !== 201) failures.push(`${i}: ${r.status} ${r.body}`);
        else seen.push(counter(r.headers.etag));
      }
      for (let j = 1; j < seen.length; j += 1) assert.ok(seen[j]! > seen[j - 1]!, 'a client never sees an ETag go backwards');
      allCounters.push(...seen);
    };
    const started = Date.now();
    await Promise.all(Array.from({ length: 30 }, client));
    const elapsed = Date.now() - started;
    assert.deepEqual(failures, []);
    assert.equal(new Set(allCounters).size, total, 'every written version has its own ETag');

    const answers = await Promise.all(nodes.map((node) => rawRequest(node.server.origin, { path: DOC, headers: { Authorization: alice } })));
    for (const answer of answers) {
      assert.equal(answer.status, 200);
      assert.equal(answer.body, answers[0]!.body, 'every node serves the same document');
      assert.equal(answer.headers.etag, answers[0]!.headers.etag, 'and the same ETag');
    }
    const uris = [...answers[0]!.body.matchAll(/<entry uri="sip:friend-(\d+)@example\.com"\/>/g)].map((m) => Number(m[1]));
    assert.equal(uris.length, total, 'no insert lost, none twice');
    assert.deepEqual([...uris].sort((a, b) => a - b), Array.from({ length: total }, (_unused, i) => i));
    const latest = allCounters.reduce((a, b) => (a > b ? a : b));
    assert.equal(counter(answers[0]!.headers.etag), latest, 'the document carries the newest ETag');
    // For the report: wall time of the 1,000 inserts on this machine.
    console.log(`# 1000 element inserts over 3 nodes, 30 clients: ${elapsed} ms`);
  });

  test('a GET at one node right after a PUT at another sees the change, and never a stale 304', async () => {
    const path = `${ROOT}/resource-lists/users/sip:bob@example.com/index`;
    let etag: string | undefined;
    for (let round = 0; round < 20; round += 1) {
      const writer = nodes[round % 3]!;
      const reader = nodes[(round + 1) % 3]!;
      const body = LIST.replace('name="l"', `name="round-${round}"`);
      const put = await rawRequest(writer.server.origin, { method: 'PUT', path, body, headers: { Authorization: bob, 'Content-Type': 'application/resource-lists+xml' } });
      assert.ok(put.status === 200 || put.status === 201);
      const get = await rawRequest(reader.server.origin, { path, headers: { Authorization: bob, ...(etag ? { 'If-None-Match': etag } : {}) } });
      assert.equal(get.status, 200, 'the previous ETag no longer matches anywhere');
      assert.equal(get.body, body);
      assert.equal(get.headers.etag, put.headers.etag);
      etag = String(put.headers.etag);
      const again = await rawRequest(nodes[(round + 2) % 3]!.server.origin, { path, headers: { Authorization: bob, 'If-None-Match': etag } });
      assert.equal(again.status, 304, 'the current ETag matches at every node');
    }
  });

  test('an rls-services service URI stays unique across nodes: of two users claiming it at once, exactly one wins', async () => {
    const rls = (uri: string) =>
      '<?xml version="1.0" encoding="UTF-8"?>\n<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">' +
      `<service uri="${uri}"><list name="l"/><packages><package>presence</package></packages></service></rls-services>`;
    for (let round = 0; round < 10; round += 1) {
      const uri = `sip:team-${round}@example.com`;
      const [fromAlice, fromBob] = await Promise.all([
        rawRequest(nodes[round % 3]!.server.origin, {
          method: 'PUT',
          path: `${ROOT}/rls-services/users/sip:alice@example.com/index`,
          body: rls(uri),
          headers: { Authorization: alice, 'Content-Type': 'application/rls-services+xml' },
        }),
        rawRequest(nodes[(round + 1) % 3]!.server.origin, {
          method: 'PUT',
          path: `${ROOT}/rls-services/users/sip:bob@example.com/index`,
          body: rls(uri),
          headers: { Authorization: bob, 'Content-Type': 'application/rls-services+xml' },
        }),
      ]);
      const statuses = [fromAlice.status, fromBob.status].map((s) => (s === 201 || s === 200 ? 'won' : s));
      assert.deepEqual([...statuses].sort(), [409, 'won'], `round ${round}: ${fromAlice.status} ${fromAlice.body} / ${fromBob.status} ${fromBob.body}`);
      const loser = fromAlice.status === 409 ? fromAlice : fromBob;
      assert.match(loser.body, /<uniqueness-failure[ >]/);
    }
  });
});

describe('Digest nonces across nodes', { timeout: 60_000 }, () => {
  let database: TestDatabase;
  let shared: Node[];
  let other: Node[];
  before(async () => {
    database = await createTestDatabase('nonces');
    shared = await startNodes(database, 2, { auth: 'digest', digestSecret: 'one secret for the whole cluster' });
    other = await startNodes(database, 1, { auth: 'digest', digestSecret: 'a different secret' });
    await shared[0]!.storage.putUser(createUserRecord('alice@example.com', 'alice-secret', false, DEFAULT_CONFIG));
  });
  after(async () => {
    await stopNodes([...shared, ...other]);
    await database.drop();
  });

  test('a nonce from node A is accepted at node B when they share digestSecret, and only then', async () => {
    const path = DOC;
    const challenge = await rawRequest(shared[0]!.server.origin, { path });
    assert.equal(challenge.status, 401);
    const session = new DigestClientSession(challenge.headersDistinct['www-authenticate'] ?? [], { username: 'alice', password: 'alice-secret' }, { preference: ['MD5'] });
    const atA = await rawRequest(shared[0]!.server.origin, { path, headers: { Authorization: session.authorize('GET', path) } });
    assert.equal(atA.status, 404, 'authenticated at A (no document yet)');
    const atB = await rawRequest(shared[1]!.server.origin, { path, headers: { Authorization: session.authorize('GET', path) } });
    assert.equal(atB.status, 404, 'the same nonce, next nc, authenticated at B');

    const elsewhere = await rawRequest(other[0]!.server.origin, { path, headers: { Authorization: session.authorize('GET', path) } });
    assert.equal(elsewhere.status, 401, 'a node with another secret does not know the nonce');
    assert.ok((elsewhere.headersDistinct['www-authenticate'] ?? []).every((c) => /stale=true/.test(c)), 'it asks for a fresh nonce without a new password prompt');
  });
});
