import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { createServer as createNetServer, type AddressInfo, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { NetworkError, NotFoundError, TimeoutError, XcapClient, parseXcapRoot } from '../../src/client/index.js';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';

async function freePort(): Promise<number> {
  const s = createNetServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const { port } = s.address() as AddressInfo;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

describe('transport', () => {
  test('a closed port is a NetworkError (ECONNREFUSED) with a message saying what to check', async () => {
    const port = await freePort();
    const client = new XcapClient({ xcapRoot: `http://127.0.0.1:${port}/xcap-root`, user: 'alice@example.com', password: 'x' });
    const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
    client.close();
    assert.ok(e instanceof NetworkError, String(e));
    assert.equal(e.code, 'ECONNREFUSED');
    assert.equal(e.status, null);
    assert.match(e.reason, /connection refused/);
    assert.equal(e.url, `http://127.0.0.1:${port}/xcap-root/resource-lists/users/sip:alice@example.com/index`);
  });

  test('a server that never answers is a TimeoutError after timeoutMs', async () => {
    const sockets: Socket[] = [];
    const silent = createNetServer((s) => sockets.push(s));
    await new Promise<void>((r) => silent.listen(0, '127.0.0.1', r));
    const { port } = silent.address() as AddressInfo;
    const client = new XcapClient({ xcapRoot: `http://127.0.0.1:${port}`, user: 'alice@example.com', timeoutMs: 150 });
    const started = Date.now();
    const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
    const elapsed = Date.now() - started;
    client.close();
    for (const s of sockets) s.destroy();
    await new Promise<void>((r) => silent.close(() => r()));
    assert.ok(e instanceof TimeoutError, String(e));
    assert.ok(e instanceof NetworkError);
    assert.match(e.reason, /within 150 ms/);
    assert.ok(elapsed >= 140 && elapsed < 2000, `took ${elapsed} ms`);
  });

  describe('the request target goes out exactly as built', () => {
    let server: Server;
    const seen: { url: string; authorization: string | undefined; connection: number }[] = [];
    let connections = 0;
    let root = '';
    before(async () => {
      server = createServer((req: IncomingMessage, res) => {
        seen.push({ url: req.url ?? '', authorization: req.headers.authorization, connection: (req.socket as Socket & { n?: number }).n ?? -1 });
        res.setHeader('ETag', '"e1"');
        res.setHeader('Content-Type', 'application/xcap-el+xml');
        res.end('<x/>');
      });
      server.on('connection', (s: Socket & { n?: number }) => {
        s.n = connections++;
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
      root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/my%20root/`;
    });
    after(async () => new Promise<void>((r) => server.close(() => r())));

    test('no WHATWG re-encoding: the root path, XUI, selector and query are sent as built; connections are kept alive', async () => {
      const client = new XcapClient({ xcapRoot: root, user: 'sip:al%69ce@Example.COM' });
      try {
        await client.getElement('resource-lists', '/resource-lists/list[@name="a b/c"]/entry[@uri="sip:x%y@z"]');
        await client.getElement('resource-lists', "/rl:resource-lists/rl:list[@name='its']?xmlns(rl=urn:ietf:params:xml:ns:resource-lists)");
        assert.equal(seen[0]?.url, '/my%20root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list%5B@name=%22a%20b%2Fc%22%5D/entry%5B@uri=%22sip:x%25y@z%22%5D');
        assert.equal(seen[1]?.url, "/my%20root/resource-lists/users/sip:alice@example.com/index/~~/rl:resource-lists/rl:list%5B@name='its'%5D?xmlns(rl=urn:ietf:params:xml:ns:resource-lists)");
        assert.equal(seen[0]?.connection, seen[1]?.connection, 'the second request reuses the connection');
      } finally {
        client.close();
      }
    });
  });

  test('parseXcapRoot keeps the path as written and fills in default ports', () => {
    assert.deepEqual(parseXcapRoot('https://xcap.example.com/xcap-root/'), {
      protocol: 'https:',
      hostname: 'xcap.example.com',
      port: 443,
      path: '/xcap-root',
      origin: 'https://xcap.example.com',
      url: 'https://xcap.example.com/xcap-root',
    });
    const v6 = parseXcapRoot('http://[::1]:8080');
    assert.equal(v6.hostname, '::1');
    assert.equal(v6.port, 8080);
    assert.equal(v6.path, '');
    assert.equal(v6.url, 'http://[::1]:8080');
    assert.throws(() => parseXcapRoot('xcap.example.com/xcap-root'), /http:\/\/ or https:\/\//);
    assert.throws(() => parseXcapRoot('http://a/b?c'), /without query/);
  });
});

describe('TLS', () => {
  let server: TestServer;
  let dir: string;
  let cert: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xcap-client-tls-'));
    const key = join(dir, 'key.pem');
    cert = join(dir, 'cert.pem');
    execFileSync(
      'openssl',
      ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost', '-addext', 'subjectAltName=DNS:localhost,IP:127.0.0.1'],
      { stdio: 'ignore', timeout: 30_000 },
    );
    server = await startTestServer({ auth: 'basic', tlsCert: cert, tlsKey: key });
  });
  after(async () => {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test('a self-signed certificate is refused unless trusted (ca) or explicitly accepted', async () => {
    assert.match(server.rootUrl, /^https:/);
    const strict = new XcapClient({ xcapRoot: server.rootUrl, user: 'alice@example.com', password: 'alice-secret', auth: 'basic' });
    const e = await strict.getDocument('resource-lists').catch((x: unknown) => x);
    strict.close();
    assert.ok(e instanceof NetworkError, String(e));
    assert.match(e.reason, /certificate .* is not trusted/);

    for (const tls of [{ rejectUnauthorized: false }, { ca: readFileSync(cert) }]) {
      const client = new XcapClient({ xcapRoot: server.rootUrl, user: 'alice@example.com', password: 'alice-secret', auth: 'basic', tls });
      try {
        const missing = await client.getDocument('resource-lists').catch((x: unknown) => x);
        assert.ok(missing instanceof NotFoundError, String(missing));
      } finally {
        client.close();
      }
    }
  });
});
