import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { basic, rawRequest, startTestServer, type TestServer } from '../helpers/xcapd.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const DOC_PATH = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const DOC = `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="${RL}"><list name="friends"><entry uri="sip:bob@example.com"/></list></resource-lists>\n`;
const alice = basic('alice@example.com', 'alice-secret');

/** Sends bytes as they are and returns the status line of the answer. */
function rawSocket(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    let data = '';
    socket.setTimeout(5000, () => socket.destroy(new Error('timeout')));
    socket.on('connect', () => socket.end(bytes));
    socket.on('data', (d) => (data += d.toString('latin1')));
    socket.on('close', () => resolve(data.split('\r\n')[0] ?? ''));
    socket.on('error', reject);
  });
}

describe('hostile input gets a precise 4xx and changes nothing', () => {
  let server: TestServer;
  let etag: string;
  before(async () => {
    server = await startTestServer({ auth: 'basic', maxBodyBytes: 64 * 1024 });
    const r = await rawRequest(server.origin, { method: 'PUT', path: DOC_PATH, body: DOC, headers: { Authorization: alice, 'Content-Type': 'application/resource-lists+xml' } });
    assert.equal(r.status, 201);
    etag = String(r.headers.etag);
  });
  after(async () => {
    try {
      const r = await rawRequest(server.origin, { path: DOC_PATH, headers: { Authorization: alice } });
      assert.equal(r.body, DOC, 'the document is untouched');
      assert.equal(r.headers.etag, etag);
      assert.equal((await rawRequest(server.origin, { path: '/health' })).status, 200, 'the server is still up');
    } finally {
      await server.stop();
    }
  });

  const bodies: Array<[string, string | Buffer, string, RegExp]> = [
    ['billion laughs', `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;">]><resource-lists xmlns="${RL}"><list name="&lol2;"/></resource-lists>`, 'application/resource-lists+xml', /<not-well-formed/],
    ['external entity', `<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><resource-lists xmlns="${RL}"><list name="&x;"/></resource-lists>`, 'application/resource-lists+xml', /<not-well-formed/],
    ['undeclared entity', `<resource-lists xmlns="${RL}"><list name="&x;"/></resource-lists>`, 'application/resource-lists+xml', /<not-well-formed/],
    ['deep nesting', `<resource-lists xmlns="${RL}">${'<list>'.repeat(5000)}${'</list>'.repeat(5000)}</resource-lists>`, 'application/resource-lists+xml', /<not-well-formed/],
    ['Latin-1 bytes', Buffer.from(`<resource-lists xmlns="${RL}"><list name="M\xfcller"/></resource-lists>`, 'latin1'), 'application/resource-lists+xml', /<not-utf-8/],
    ['two roots', `<resource-lists xmlns="${RL}"/><resource-lists xmlns="${RL}"/>`, 'application/resource-lists+xml', /<not-well-formed/],
    ['wrong root', '<foo/>', 'application/resource-lists+xml', /<schema-validation-error/],
    ['empty body', '', 'application/resource-lists+xml', /<not-well-formed/],
  ];
  for (const [name, body, type, expected] of bodies) {
    test(`document PUT: ${name}`, async () => {
      const r = await rawRequest(server.origin, { method: 'PUT', path: DOC_PATH, body, headers: { Authorization: alice, 'Content-Type': type } });
      assert.equal(r.status, 409, r.body);
      assert.equal(r.headers['content-type'], 'application/xcap-error+xml');
      assert.match(r.body, expected);
    });
  }

  test('element PUT bodies', async () => {
    const path = `${DOC_PATH}/~~/resource-lists/list/entry[@uri="sip:x@example.com"]`;
    for (const [body, expected] of [
      ['<entry uri="sip:x@example.com"/><entry/>', /<not-xml-frag/],
      ['just text', /<not-xml-frag/],
      ['<entry uri="sip:x@example.com">', /<not-xml-frag/],
      ['<!DOCTYPE x [<!ENTITY a "b">]><entry uri="sip:x@example.com"/>', /<not-xml-frag/],
      ['<p:entry uri="sip:x@example.com"/>', /<not-xml-frag/],
    ] as const) {
      const r = await rawRequest(server.origin, { method: 'PUT', path, body, headers: { Authorization: alice, 'Content-Type': 'application/xcap-el+xml' } });
      assert.equal(r.status, 409, `${body}: ${r.body}`);
      assert.match(r.body, expected, body);
    }
  });

  test('attribute PUT bodies', async () => {
    const path = `${DOC_PATH}/~~/resource-lists/list/@name`;
    for (const body of ['a<b', '&bogus;', '"unterminated', '&#0;']) {
      const r = await rawRequest(server.origin, { method: 'PUT', path, body, headers: { Authorization: alice, 'Content-Type': 'application/xcap-att+xml' } });
      assert.equal(r.status, 409, body);
      assert.match(r.body, /<not-xml-att-value/, body);
    }
  });

  test('a body over the size limit is 413 before it is read', async () => {
    const big = `<resource-lists xmlns="${RL}"><list name="${'x'.repeat(100 * 1024)}"/></resource-lists>`;
    const r = await rawRequest(server.origin, { method: 'PUT', path: DOC_PATH, body: big, headers: { Authorization: alice, 'Content-Type': 'application/resource-lists+xml' } });
    assert.equal(r.status, 413);
  });

  test('malformed URIs are 400 or 404, never 5xx', async () => {
    const targets = [
      `${DOC_PATH}/~~/resource-lists/list[@name="%ZZ"]`,
      `${DOC_PATH}%C3%28`,
      `${DOC_PATH}/~~/`,
      `${DOC_PATH}/~~/resource-lists/list[`,
      `${DOC_PATH}/~~/resource-lists/list[@name="a"`,
      `${DOC_PATH}/~~/resource-lists/list[99999999999999999999]`,
      `${DOC_PATH}/~~/resource-lists//list`,
      `${DOC_PATH}/~~/resource-lists/list/@`,
      `${DOC_PATH}/~~/resource-lists/list?xmlns(a=`,
      `${DOC_PATH}/~~/a:b?xmlns(a)`,
      `${DOC_PATH}/~~/${'x/'.repeat(400)}x`,
      '/xcap-root/resource-lists/users/',
      '/xcap-root/resource-lists/users/%00/index',
      '/xcap-root/resource-lists/users/sip:alice@example.com/../index',
      '/xcap-root/resource-lists/nowhere/x',
      '/xcap-root/',
      '/xcap-root',
      `/xcap-root/${'a'.repeat(5000)}/users/x/y`,
    ];
    for (const path of targets) {
      for (const method of ['GET', 'DELETE', 'PUT']) {
        const r = await rawRequest(server.origin, {
          method,
          path,
          ...(method === 'PUT' ? { body: '<entry uri="sip:q@example.com"/>' } : {}),
          headers: { Authorization: alice, 'Content-Type': 'application/xcap-el+xml' },
        });
        assert.ok(r.status >= 400 && r.status < 500, `${method} ${path} → ${r.status} ${r.body}`);
      }
    }
  });

  test('broken HTTP is answered by the HTTP layer, not by a crash', async () => {
    const port = Number(new URL(server.origin).port);
    assert.match(await rawSocket(port, 'GARBAGE\r\n\r\n'), /^HTTP\/1\.1 400/);
    assert.match(await rawSocket(port, `GET ${DOC_PATH} HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n`), /^HTTP\/1\.1 400/);
    assert.match(await rawSocket(port, `GET ${DOC_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Basic !!!\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 401/);
    assert.match(await rawSocket(port, `GET ${DOC_PATH} HTTP/1.1\r\nHost: x\r\nAuthorization: Digest username="a\r\nConnection: close\r\n\r\n`), /^HTTP\/1\.1 (400|401)/);
    assert.match(
      await rawSocket(port, `GET ${DOC_PATH} HTTP/1.1\r\nHost: <script>\r\nAuthorization: ${alice}\r\nIf-Match: ,,,"\r\nConnection: close\r\n\r\n`),
      /^HTTP\/1\.1 412/,
    );
  });

  test('repeated wrong passwords are rate limited', async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      statuses.push((await rawRequest(server.origin, { path: DOC_PATH, headers: { Authorization: basic('bob@example.com', `guess${i}`) } })).status);
    }
    assert.equal(statuses[0], 401);
    assert.equal(statuses[statuses.length - 1], 429);
    const rightPassword = await rawRequest(server.origin, { path: DOC_PATH, headers: { Authorization: basic('bob@example.com', 'bob-secret') } });
    assert.equal(rightPassword.status, 429, 'a blocked name stays blocked for a while, even with the right password');
    const otherUser = await rawRequest(server.origin, { path: DOC_PATH, headers: { Authorization: alice } });
    assert.equal(otherUser.status, 200, 'other users from the same address are not locked out');
  });
});
