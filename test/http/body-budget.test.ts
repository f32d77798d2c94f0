/**
 * A process holds at most maxBodyBytesInFlight of request bodies at once: a PUT that
 * would go beyond is answered 503 with Retry-After and changes nothing, and the room
 * comes back as soon as the bodies held are done with.
 */
import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { serviceRequest } from '../helpers/service-request.js';
import { rawRequest, startTestServer, type TestServer } from '../helpers/xcapd.js';

const DOC = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const LIST = (n: number) => `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="l${n}"/></resource-lists>`;
const MAX_BODY = 64 * 1024;
/** Every socket the tests open, closed before the server stops even when a test fails halfway. */
const sockets: Socket[] = [];

/** Starts a PUT whose body is `length` bytes long but sends only its first part. */
async function startSlowPut(origin: string, path: string, length: number): Promise<{ socket: Socket; finish(rest: string): Promise<string> }> {
  const url = new URL(origin);
  const socket = connect(Number(url.port), url.hostname);
  sockets.push(socket);
  await new Promise<void>((resolve, reject) => socket.once('connect', resolve).once('error', reject));
  let received = '';
  socket.setEncoding('utf8');
  socket.on('data', (chunk: string) => (received += chunk));
  socket.write(`PUT ${path} HTTP/1.1\r\nHost: ${url.host}\r\nContent-Type: application/resource-lists+xml\r\nContent-Length: ${length}\r\n\r\n<`);
  return {
    socket,
    finish: async (rest) => {
      socket.write(rest);
      const deadline = Date.now() + 5000;
      while (!/\r\n\r\n/.test(received) && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
      socket.destroy();
      return received;
    },
  };
}

describe('request bodies held at once', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'none', maxBodyBytes: MAX_BODY, maxBodyBytesInFlight: 2 * MAX_BODY });
  });
  after(async () => {
    for (const socket of sockets) socket.destroy();
    await server.stop();
  });

  test('a PUT beyond the bound is answered 503 with Retry-After and changes nothing; the room comes back', async () => {
    assert.equal((await rawRequest(server.origin, { method: 'PUT', path: DOC, headers: { 'Content-Type': 'application/resource-lists+xml' }, body: LIST(0) })).status, 201);
    const before = await rawRequest(server.origin, { path: DOC });

    // Two bodies of the largest size, still being sent: the bound is taken.
    const padded = (n: number) => LIST(n).slice(1).padEnd(MAX_BODY - 1, ' ');
    const slow = [await startSlowPut(server.origin, DOC, MAX_BODY), await startSlowPut(server.origin, DOC, MAX_BODY)];
    await new Promise((r) => setTimeout(r, 100));

    const refused = await rawRequest(server.origin, { method: 'PUT', path: DOC, headers: { 'Content-Type': 'application/resource-lists+xml' }, body: LIST(9) });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers['retry-after'], '1');
    const unchanged = await rawRequest(server.origin, { path: DOC });
    assert.equal(unchanged.headers.etag, before.headers.etag);
    // Reads hold no body and go on.
    assert.equal(unchanged.status, 200);

    // A write another worker forwards counts against the same bound.
    const forwarded = await server.handleForwarded(serviceRequest('PUT', DOC.replace('/xcap-root/', ''), LIST(8), 'application/resource-lists+xml'));
    assert.equal(forwarded.status, 503);

    const answers = await Promise.all(slow.map((s, i) => s.finish(padded(i + 1))));
    for (const answer of answers) assert.match(answer, /^HTTP\/1\.1 20[01] /);
    const accepted = await rawRequest(server.origin, { method: 'PUT', path: DOC, headers: { 'Content-Type': 'application/resource-lists+xml' }, body: LIST(9) });
    assert.equal(accepted.status, 200, accepted.body);
    assert.match((await rawRequest(server.origin, { path: DOC })).body, /name="l9"/);
  });

  test('a client that goes away mid-body gives its room back', async () => {
    const slow = [await startSlowPut(server.origin, DOC, MAX_BODY), await startSlowPut(server.origin, DOC, MAX_BODY)];
    await new Promise((r) => setTimeout(r, 100));
    for (const s of slow) s.socket.destroy();
    const deadline = Date.now() + 5000;
    let status = 0;
    while (Date.now() < deadline) {
      status = (await rawRequest(server.origin, { method: 'PUT', path: DOC, headers: { 'Content-Type': 'application/resource-lists+xml' }, body: LIST(7) })).status;
      if (status !== 503) break;
      await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, 200);
  });
});
