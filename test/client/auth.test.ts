import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import { UnauthorizedError, XcapClient, type XcapClientOptions } from '../../src/client/index.js';
import type { HttpExchange } from '../../src/client/transport.js';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';

const LIST = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="l"/></resource-lists>\n';

function counting(server: TestServer, options: Partial<XcapClientOptions> = {}) {
  const exchanges: HttpExchange[] = [];
  const client = new XcapClient({
    xcapRoot: server.rootUrl,
    user: 'sip:alice@example.com',
    password: 'alice-secret',
    onExchange: (x) => exchanges.push(x),
    ...options,
  });
  const count401 = () => exchanges.filter((x) => x.response?.status === 401).length;
  return { client, exchanges, count401 };
}

describe('Digest', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'digest', defaultRealm: 'example.com' });
  });
  after(async () => server.stop());

  for (const algorithm of ['MD5', 'SHA-256'] as const) {
    test(`${algorithm}: one 401 per session, then every request is signed with the same nonce and a growing nc`, async () => {
      const { client, exchanges, count401 } = counting(server, { digestPreference: [algorithm] });
      try {
        await client.putDocument('resource-lists', LIST, { etag: 'none' });
        for (let i = 0; i < 5; i++) await client.getDocument('resource-lists', { etag: 'none' });
        await client.getElement('resource-lists', '/resource-lists/list[@name="l"]');
        await client.capabilities();
        assert.equal(count401(), 1, 'only the very first request is challenged');
        assert.equal(exchanges.length, 9);
        const authorizations = exchanges.slice(1).map((x) => x.request.headers.Authorization ?? '');
        for (const a of authorizations) assert.match(a, new RegExp(`algorithm=${algorithm},`));
        const nonces = new Set(authorizations.map((a) => /nonce="([^"]+)"/.exec(a)?.[1]));
        assert.equal(nonces.size, 1, 'the nonce is reused');
        const ncs = authorizations.map((a) => /nc=([0-9a-f]{8})/.exec(a)?.[1]);
        assert.deepEqual(ncs, ['00000001', '00000002', '00000003', '00000004', '00000005', '00000006', '00000007', '00000008']);
        // The signed uri is exactly the request target, brackets and quotes percent-encoded and all.
        const element = exchanges[7]!;
        assert.equal(/uri="([^"]+)"/.exec(element.request.headers.Authorization!)?.[1], element.request.target);
        assert.equal(client.authScheme, `Digest ${algorithm} realm="example.com"`);
      } finally {
        client.close();
      }
    });
  }

  test('the default preference picks SHA-256 when the server offers it', async () => {
    const { client, exchanges } = counting(server);
    try {
      await client.capabilities();
      assert.match(exchanges[1]!.request.headers.Authorization!, /algorithm=SHA-256,/);
    } finally {
      client.close();
    }
  });

  test('a wrong password is one UnauthorizedError after a single retry', async () => {
    const { client, exchanges } = counting(server, { password: 'wrong' });
    try {
      const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
      assert.ok(e instanceof UnauthorizedError, String(e));
      assert.equal(e.status, 401);
      assert.equal(e.credentialsSent, true);
      assert.match(e.message, /refused the credentials of 'alice'/);
      assert.ok(e.challenges.some((c) => /realm="example.com"/.test(c)));
      assert.equal(exchanges.length, 2);
      // Signed now and refused without stale: no second retry.
      await assert.rejects(client.getDocument('resource-lists'), UnauthorizedError);
      assert.equal(exchanges.length, 3);
    } finally {
      client.close();
    }
  });

  test('no password: UnauthorizedError saying so, after one request', async () => {
    const { client, exchanges } = counting(server, { password: undefined });
    try {
      const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
      assert.ok(e instanceof UnauthorizedError);
      assert.equal(e.credentialsSent, false);
      assert.match(e.reason, /no[n ].*password|password and none/);
      assert.equal(exchanges.length, 1);
    } finally {
      client.close();
    }
  });

});

describe('Digest nonce expiry', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'digest', defaultRealm: 'example.com', nonceLifetime: 0.5 });
  });
  after(async () => server.stop());

  test('a stale nonce is renewed transparently with one extra round trip', async () => {
    const { client, count401, exchanges } = counting(server);
    try {
      await client.capabilities();
      const before = count401();
      await new Promise((r) => setTimeout(r, 700));
      const caps = await client.capabilities({ etag: 'none' });
      assert.ok(caps.auids.length > 0);
      assert.equal(count401(), before + 1);
      assert.match(String(exchanges.at(-2)?.response?.headers['www-authenticate']), /stale=true/);
    } finally {
      client.close();
    }
  });
});

describe('Basic', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'basic' });
  });
  after(async () => server.stop());

  test('auth basic sends credentials at once: no 401 at all', async () => {
    const { client, count401, exchanges } = counting(server, { auth: 'basic' });
    try {
      await client.putDocument('resource-lists', LIST, { etag: 'none' });
      await client.getDocument('resource-lists');
      assert.equal(count401(), 0);
      assert.equal(exchanges[0]!.request.headers.Authorization, `Basic ${Buffer.from('alice:alice-secret').toString('base64')}`);
      assert.equal(client.authScheme, 'Basic');
    } finally {
      client.close();
    }
  });

  test('auth auto answers a Basic challenge once, then sends Basic pre-emptively', async () => {
    const { client, count401 } = counting(server);
    try {
      for (let i = 0; i < 3; i++) await client.getDocument('resource-lists', { etag: 'none' });
      assert.equal(count401(), 1);
    } finally {
      client.close();
    }
  });

  test('a custom authentication user name: the full id names the domain where no XUI does (global tree)', async () => {
    // All test users share one realm, so the server falls back to it for the global tree
    // and the bare user part works too; the full id works whatever the realms.
    const short = counting(server, { auth: 'basic' });
    const full = counting(server, { auth: 'basic', authUsername: 'alice@example.com' });
    try {
      assert.ok((await short.client.capabilities()).auids.includes('xcap-caps'));
      assert.ok((await full.client.capabilities()).auids.includes('xcap-caps'));
    } finally {
      short.client.close();
      full.client.close();
    }
  });

  test('auth digest refuses to fall back to Basic, and says why', async () => {
    const { client } = counting(server, { auth: 'digest' });
    try {
      const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
      assert.ok(e instanceof UnauthorizedError);
      assert.match(e.reason, /asks for Basic, not for Digest/);
    } finally {
      client.close();
    }
  });
});

describe('identity header from a trusted proxy', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'digest', trustedProxies: ['127.0.0.1'] });
  });
  after(async () => server.stop());

  for (const name of ['X-XCAP-Asserted-Identity', 'X-3GPP-Intended-Identity']) {
    test(`${name} stands in for a password`, async () => {
      const { client, count401, exchanges } = counting(server, { password: undefined, identityHeader: { name, value: '"sip:alice@example.com"' } });
      try {
        assert.equal((await client.putDocument('resource-lists', LIST, { etag: 'none' })).status >= 200, true);
        await client.getDocument('resource-lists');
        assert.equal(count401(), 0);
        assert.equal(exchanges[0]!.request.headers[name], '"sip:alice@example.com"');
        assert.equal(exchanges[0]!.request.headers.Authorization, undefined);
      } finally {
        client.close();
      }
    });
  }
});

describe('challenges the client cannot answer', () => {
  let server: Server;
  let root: string;
  before(async () => {
    server = createServer((_req, res) => {
      res.statusCode = 401;
      res.setHeader('WWW-Authenticate', 'Digest realm="x", nonce="n", qop="auth", algorithm=SHA-512-256');
      res.end();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    root = `http://127.0.0.1:${(server.address() as AddressInfo).port}/xcap-root`;
  });
  after(async () => new Promise<void>((r) => server.close(() => r())));

  test('an unsupported algorithm is named in the error', async () => {
    const client = new XcapClient({ xcapRoot: root, user: 'alice@example.com', password: 'p' });
    try {
      const e = await client.getDocument('resource-lists').catch((x: unknown) => x);
      assert.ok(e instanceof UnauthorizedError);
      assert.match(e.reason, /cannot be answered \(offered: SHA-512-256/);
    } finally {
      client.close();
    }
  });
});
