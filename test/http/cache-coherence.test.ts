/**
 * Two xcapd servers on one database (two worker processes, or two nodes), each with
 * its document and parsed-tree caches: a change through either is what the next GET
 * through the other returns, with the right ETag, and 304s are only given for the
 * current version. Runs on PostgreSQL too (XCAPD_TEST_STORAGE=postgres).
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startTestServer, type RawResponse, type TestServer } from '../helpers/xcapd.js';

const DOC = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const LIST = `${DOC}/~~/resource-lists/list%5B@name=%22friends%22%5D`;
const entry = (n: number) => `${LIST}/entry%5B@uri=%22sip:friend${n}@example.com%22%5D`;
const RL = 'application/resource-lists+xml';
const EL = 'application/xcap-el+xml';

function listDocument(names: string[]): string {
  const entries = names.map((n) => `<entry uri="sip:${n}@example.com"><display-name>${n}</display-name></entry>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends">${entries}</list></resource-lists>`;
}

for (const cacheMb of [32, 0]) describe(`caches stay coherent across servers sharing a database (cacheMb ${cacheMb})`, () => {
  let one: TestServer;
  let two: TestServer;

  before(async () => {
    one = await startTestServer({ auth: 'none', cacheMb });
    two = await startTestServer({ auth: 'none', database: one.config.database, cacheMb });
  });
  after(async () => {
    await two?.stop();
    await one?.stop();
  });

  const via = (server: TestServer, method: string, path: string, headers: Record<string, string> = {}, body?: string): Promise<RawResponse> =>
    rawRequest(server.origin, { method, path, headers, ...(body === undefined ? {} : { body }) });

  test('element and document changes through one server are seen by the next GET through the other', async () => {
    const created = await via(one, 'PUT', DOC, { 'Content-Type': RL }, listDocument(['friend0']));
    assert.equal(created.status, 201, created.body);
    // Both servers now hold the document and its tree in memory.
    for (const server of [one, two]) {
      assert.equal((await via(server, 'GET', entry(0))).status, 200);
      assert.equal((await via(server, 'GET', DOC)).status, 200);
    }
    let etag = created.headers.etag!;
    for (let n = 1; n <= 12; n++) {
      const [writer, reader] = n % 2 === 0 ? [one, two] : [two, one];
      const put = await via(writer, 'PUT', entry(n), { 'Content-Type': EL }, `<entry uri="sip:friend${n}@example.com"><display-name>${n}</display-name></entry>`);
      assert.equal(put.status, 201, put.body);
      assert.notEqual(put.headers.etag, etag);
      etag = put.headers.etag!;

      const element = await via(reader, 'GET', entry(n));
      assert.equal(element.status, 200, `entry ${n} through the other server`);
      assert.equal(element.headers.etag, etag);
      const whole = await via(reader, 'GET', DOC);
      assert.equal(whole.headers.etag, etag);
      assert.match(whole.body, new RegExp(`sip:friend${n}@example.com`));
      // The previous entry written through the reader itself is still there.
      if (n > 1) assert.equal((await via(reader, 'GET', entry(n - 1))).status, 200);

      const deleted = await via(writer, 'DELETE', entry(n - 1));
      assert.equal(deleted.status, 200);
      etag = deleted.headers.etag!;
      assert.equal((await via(reader, 'GET', entry(n - 1))).status, 404, `entry ${n - 1} deleted through the other server`);
      assert.equal((await via(reader, 'GET', DOC)).headers.etag, etag);
    }
  });

  test('If-None-Match gives 304 only for the current version, through either server', async () => {
    const first = await via(one, 'PUT', DOC, { 'Content-Type': RL }, listDocument(['a', 'b']));
    const old = first.headers.etag!;
    assert.equal((await via(two, 'GET', DOC, { 'If-None-Match': old })).status, 304);
    assert.equal((await via(two, 'GET', `${LIST}/entry%5B1%5D`, { 'If-None-Match': old })).status, 304);

    const second = await via(two, 'PUT', DOC, { 'Content-Type': RL }, listDocument(['a', 'b', 'c']));
    const current = second.headers.etag!;
    assert.notEqual(current, old);
    for (const server of [one, two]) {
      const stale = await via(server, 'GET', DOC, { 'If-None-Match': old });
      assert.equal(stale.status, 200);
      assert.equal(stale.headers.etag, current);
      assert.equal((await via(server, 'GET', DOC, { 'If-None-Match': current })).status, 304);
      assert.equal((await via(server, 'GET', `${LIST}/entry%5B3%5D/@uri`, { 'If-None-Match': old })).body, '"sip:c@example.com"');
    }
    // A conditional write against the version the other server replaced fails.
    const refused = await via(one, 'PUT', `${LIST}/entry%5B@uri=%22sip:d@example.com%22%5D`, { 'Content-Type': EL, 'If-Match': old }, '<entry uri="sip:d@example.com"/>');
    assert.equal(refused.status, 412);
  });

  test('a node write through one server right after a change through the other works on the current version', async () => {
    await via(one, 'PUT', DOC, { 'Content-Type': RL }, listDocument(['p']));
    // Both servers hold the document in memory.
    for (const server of [one, two, one, two]) assert.equal((await via(server, 'GET', `${LIST}/entry%5B1%5D`)).status, 200);
    for (let n = 0; n < 10; n++) {
      const [first, second] = n % 2 === 0 ? [one, two] : [two, one];
      // No read in between: the second server's cached copy is one version behind.
      const added = await via(first, 'PUT', entry(50 + n), { 'Content-Type': EL }, `<entry uri="sip:friend${50 + n}@example.com"/>`);
      assert.equal(added.status, 201, added.body);
      const removed = await via(second, 'DELETE', entry(50 + n));
      assert.equal(removed.status, 200, `delete ${n} through the other server: ${removed.body}`);
      const again = await via(first, 'PUT', entry(50 + n), { 'Content-Type': EL }, `<entry uri="sip:friend${50 + n}@example.com"/>`);
      assert.equal(again.status, 201, `re-insert ${n}: the entry is gone for this server too`);
      assert.equal((await via(second, 'DELETE', entry(50 + n))).status, 200);
    }
  });

  test('a document deleted through one server is gone through the other', async () => {
    await via(one, 'PUT', DOC, { 'Content-Type': RL }, listDocument(['x']));
    assert.equal((await via(two, 'GET', `${LIST}/entry%5B1%5D`)).status, 200);
    assert.equal((await via(one, 'DELETE', DOC)).status, 200);
    assert.equal((await via(two, 'GET', DOC)).status, 404);
    assert.equal((await via(two, 'GET', `${LIST}/entry%5B1%5D`)).status, 404);
  });
});
