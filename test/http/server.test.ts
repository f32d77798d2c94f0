import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DigestClientSession } from '../../src/auth/digest-client.js';
import { basic, rawRequest, startTestServer, type RawRequest, type TestServer } from '../helpers/xcapd.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const ALICE_DOC = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const LIST = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob Müller</display-name></entry>
  </list>
</resource-lists>
`;

describe('xcapd over HTTP (basic auth)', () => {
  let server: TestServer;
  const alice = basic('alice@example.com', 'alice-secret');
  const req = (r: RawRequest & { auth?: string | null }) =>
    rawRequest(server.origin, {
      ...r,
      headers: { ...(r.auth === null ? {} : { Authorization: r.auth ?? alice }), ...(r.headers ?? {}) },
    });
  const putDoc = (body = LIST, headers: Record<string, string> = {}) =>
    req({ method: 'PUT', path: ALICE_DOC, body, headers: { 'Content-Type': 'application/resource-lists+xml', ...headers } });

  before(async () => {
    server = await startTestServer({ auth: 'basic' });
  });
  after(async () => server.stop());

  test('document lifecycle: create, read, replace, delete', async () => {
    const created = await putDoc();
    assert.equal(created.status, 201);
    const etag = created.headers.etag;
    assert.match(String(etag), /^"[^"]+"$/);
    const got = await req({ path: ALICE_DOC });
    assert.equal(got.status, 200);
    assert.equal(got.body, LIST);
    assert.equal(got.headers['content-type'], 'application/resource-lists+xml');
    assert.equal(got.headers.etag, etag);
    const replaced = await putDoc(LIST.replace('friends', 'buddies'));
    assert.equal(replaced.status, 200);
    assert.notEqual(replaced.headers.etag, etag);
    assert.equal((await req({ method: 'DELETE', path: ALICE_DOC })).status, 200);
    assert.equal((await req({ path: ALICE_DOC })).status, 404);
    assert.equal((await req({ method: 'DELETE', path: ALICE_DOC })).status, 404);
  });

  test('elements and attributes, both URI spellings', async () => {
    await putDoc();
    const raw = await req({ path: `${ALICE_DOC}/~~/resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/display-name` });
    const encoded = await req({ path: `${ALICE_DOC}/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22sip:bob@example.com%22%5D/display-name` });
    assert.equal(raw.status, 200);
    assert.equal(raw.body, '<display-name>Bob Müller</display-name>');
    assert.equal(raw.headers['content-type'], 'application/xcap-el+xml');
    assert.equal(encoded.body, raw.body);
    const inserted = await req({
      method: 'PUT',
      path: `${ALICE_DOC}/~~/resource-lists/list[@name="friends"]/entry[@uri="sip:carol@example.com"]`,
      body: '<entry uri="sip:carol@example.com"/>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(inserted.status, 201);
    const attr = await req({ path: `${ALICE_DOC}/~~/resource-lists/list/entry[2]/@uri` });
    assert.equal(attr.status, 200);
    assert.equal(attr.body, '"sip:carol@example.com"');
    assert.equal(attr.headers['content-type'], 'application/xcap-att+xml');
    assert.equal(attr.headers.etag, inserted.headers.etag);
    const ns = await req({ path: `${ALICE_DOC}/~~/resource-lists/list/namespace::*` });
    assert.equal(ns.body, `<list xmlns="${RL}"/>`);
    assert.equal(ns.headers['content-type'], 'application/xcap-ns+xml');
    const del = await req({ method: 'DELETE', path: `${ALICE_DOC}/~~/resource-lists/list/entry[@uri="sip:carol@example.com"]` });
    assert.equal(del.status, 200);
    assert.ok(del.headers.etag);
    assert.equal((await req({ path: ALICE_DOC })).body, LIST);
  });

  test('conflicts carry the xcap-error document', async () => {
    await putDoc();
    const dup = await req({
      method: 'PUT',
      path: `${ALICE_DOC}/~~/resource-lists/list[@name="friends"]/entry[2]`,
      body: '<entry uri="sip:bob@example.com"/>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(dup.status, 409);
    assert.equal(dup.headers['content-type'], 'application/xcap-error+xml');
    assert.match(dup.body, /<uniqueness-failure[^>]*><exists field="resource-lists\/list\[@name=&quot;friends&quot;\]\/entry\/@uri"/);
    const schema = await req({
      method: 'PUT',
      path: `${ALICE_DOC}/~~/resource-lists/list[@name="friends"]/bogus`,
      body: '<bogus/>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(schema.status, 409);
    assert.match(schema.body, /<schema-validation-error phrase="/);
    const noParent = await req({
      method: 'PUT',
      path: `${ALICE_DOC}/~~/resource-lists/list[@name="nope"]/entry`,
      body: '<entry uri="sip:x@example.com"/>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(noParent.status, 409);
    assert.match(noParent.body, /<no-parent[^>]*><ancestor>http:\/\/127\.0\.0\.1:\d+\/xcap-root\/resource-lists\/users\/sip:alice@example\.com\/index\/~~\/resource-lists<\/ancestor>/);
    const malformed = await putDoc('<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>');
    assert.equal(malformed.status, 409);
    assert.match(malformed.body, /<not-well-formed/);
    const notUtf8 = await putDoc(Buffer.from([0x3c, 0x61, 0xe9, 0x3e]) as unknown as string);
    assert.equal(notUtf8.status, 409);
    assert.match(notUtf8.body, /<not-utf-8/);
    assert.equal((await req({ path: ALICE_DOC })).body, LIST, 'nothing changed');
  });

  test('HTTP semantics: 415, 405, 404, 400', async () => {
    await putDoc();
    assert.equal((await putDoc(LIST, { 'Content-Type': 'application/xml' })).status, 415);
    assert.equal((await putDoc(LIST, { 'Content-Type': 'application/x-www-form-urlencoded' })).status, 200);
    const el415 = await req({ method: 'PUT', path: `${ALICE_DOC}/~~/resource-lists/list/entry`, body: '<entry uri="sip:q@x"/>', headers: { 'Content-Type': 'application/resource-lists+xml' } });
    assert.equal(el415.status, 415);
    const post = await req({ method: 'POST', path: ALICE_DOC, body: 'x' });
    assert.equal(post.status, 405);
    assert.equal(post.headers.allow, 'GET, HEAD, PUT, DELETE');
    const nsPut = await req({ method: 'PUT', path: `${ALICE_DOC}/~~/resource-lists/namespace::*`, body: '<x/>', headers: { 'Content-Type': 'application/xcap-el+xml' } });
    assert.equal(nsPut.status, 405);
    assert.match(String(nsPut.headers.allow), /GET/);
    assert.equal((await req({ path: '/xcap-root/no-such-auid/users/sip:alice@example.com/index' })).status, 404);
    assert.equal((await req({ path: `${ALICE_DOC}/~~/resource-lists/list/entry[5]` })).status, 404);
    assert.equal((await req({ path: `${ALICE_DOC}/~~/resource-lists/list[@name=unquoted]` })).status, 400);
    assert.equal((await req({ path: `${ALICE_DOC}/~~/p:resource-lists` })).status, 400);
    assert.equal((await req({ path: '/elsewhere' })).status, 404);
    const head = await req({ method: 'HEAD', path: ALICE_DOC });
    assert.equal(head.status, 200);
    assert.equal(head.body, '');
    assert.ok(head.headers.etag);
  });

  test('conditional requests', async () => {
    const created = await putDoc();
    const etag = String(created.headers.etag);
    assert.equal((await req({ path: ALICE_DOC, headers: { 'If-None-Match': etag } })).status, 304);
    assert.equal((await req({ path: ALICE_DOC, headers: { 'If-None-Match': '"other"' } })).status, 200);
    assert.equal((await req({ path: ALICE_DOC, headers: { 'If-Match': '"other"' } })).status, 412);
    assert.equal((await putDoc(LIST, { 'If-None-Match': '*' })).status, 412);
    assert.equal((await putDoc(LIST, { 'If-Match': '"stale"' })).status, 412);
    assert.equal((await putDoc(LIST, { 'If-Match': etag })).status, 200);
    const elNoneMatch = await req({ method: 'PUT', path: `${ALICE_DOC}/~~/resource-lists/list/entry[@uri="sip:z@x"]`, body: '<entry uri="sip:z@x"/>', headers: { 'Content-Type': 'application/xcap-el+xml', 'If-None-Match': '*' } });
    assert.equal(elNoneMatch.status, 412);
    const n304 = await req({ path: `${ALICE_DOC}/~~/resource-lists/list/@name`, headers: { 'If-None-Match': etag } });
    assert.equal(n304.status, 304);
    assert.equal(n304.headers.etag, etag);
    await req({ method: 'DELETE', path: ALICE_DOC });
    assert.equal((await putDoc(LIST, { 'If-Match': '*' })).status, 412);
    assert.equal((await putDoc(LIST, { 'If-None-Match': '*' })).status, 201);
  });

  test('authorization: own tree only, global readable, admin writes global', async () => {
    await putDoc();
    const bob = basic('bob@example.com', 'bob-secret');
    assert.equal((await req({ path: ALICE_DOC, auth: bob })).status, 403);
    assert.equal((await req({ path: ALICE_DOC, auth: null })).status, 401);
    assert.equal((await req({ path: ALICE_DOC, auth: basic('alice@example.com', 'wrong') })).status, 401);
    assert.equal((await req({ path: ALICE_DOC, auth: basic('alice', 'alice-secret') })).status, 200, 'bare user part, domain from the XUI');
    const globalDoc = '/xcap-root/resource-lists/global/shared';
    const put = (auth: string) => req({ method: 'PUT', path: globalDoc, body: LIST, auth, headers: { 'Content-Type': 'application/resource-lists+xml' } });
    assert.equal((await put(alice)).status, 403);
    assert.equal((await put(basic('admin@example.com', 'admin-secret'))).status, 201);
    assert.equal((await req({ path: globalDoc })).status, 200);
    assert.equal((await req({ path: ALICE_DOC, auth: basic('admin@example.com', 'admin-secret') })).status, 200);
  });

  test('xcap-caps lists every application usage and is read only', async () => {
    const caps = await req({ path: '/xcap-root/xcap-caps/global/index' });
    assert.equal(caps.status, 200);
    assert.equal(caps.headers['content-type'], 'application/xcap-caps+xml');
    for (const auid of ['xcap-caps', 'resource-lists', 'rls-services', 'pres-rules', 'org.openmobilealliance.pres-rules', 'pidf-manipulation']) {
      assert.ok(caps.body.includes(`<auid>${auid}</auid>`), auid);
    }
    assert.ok(caps.body.includes('<namespace>urn:ietf:params:xml:ns:xcap-caps</namespace>'));
    assert.equal((await req({ method: 'PUT', path: '/xcap-root/xcap-caps/global/index', body: caps.body, auth: basic('admin@example.com', 'admin-secret') })).status, 405);
  });

  test('rls-services: service URIs unique across users; global index', async () => {
    const doc = (uri: string) => `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="${RL}">
  <service uri="${uri}">
    <list name="l"><rl:entry uri="sip:x@example.com"/></list>
    <packages><package>presence</package></packages>
  </service>
</rls-services>`;
    const put = (who: string, auth: string, body: string) =>
      req({ method: 'PUT', path: `/xcap-root/rls-services/users/sip:${who}/index`, body, auth, headers: { 'Content-Type': 'application/rls-services+xml' } });
    assert.equal((await put('alice@example.com', alice, doc('sip:alice-friends@example.com'))).status, 201);
    const taken = await put('bob@example.com', basic('bob@example.com', 'bob-secret'), doc('sip:alice-friends@example.com'));
    assert.equal(taken.status, 409);
    assert.match(taken.body, /<uniqueness-failure[^>]*><exists field="rls-services\/service\/@uri"><alt-value>sip:alice-friends-/);
    assert.equal((await put('bob@example.com', basic('bob@example.com', 'bob-secret'), doc('sip:bob-friends@example.com'))).status, 201);
    const index = await req({ path: '/xcap-root/rls-services/global/index', auth: basic('admin@example.com', 'admin-secret') });
    assert.equal(index.status, 200);
    assert.ok(index.body.includes('sip:alice-friends@example.com') && index.body.includes('sip:bob-friends@example.com'));
  });

  test('200 element inserts from 20 parallel clients all land exactly once', async () => {
    const path = '/xcap-root/resource-lists/users/sip:alice@example.com/concurrent';
    await req({ method: 'PUT', path, body: `<resource-lists xmlns="${RL}"><list name="l"/></resource-lists>`, headers: { 'Content-Type': 'application/resource-lists+xml' } });
    const statuses: number[] = [];
    await Promise.all(
      Array.from({ length: 20 }, async (_, c) => {
        for (let i = 0; i < 10; i++) {
          const uri = `sip:u${c}-${i}@example.com`;
          const r = await req({ method: 'PUT', path: `${path}/~~/resource-lists/list/entry[@uri="${uri}"]`, body: `<entry uri="${uri}"/>`, headers: { 'Content-Type': 'application/xcap-el+xml' } });
          statuses.push(r.status);
        }
      }),
    );
    assert.deepEqual(new Set(statuses), new Set([201]));
    const doc = (await req({ path })).body;
    for (let c = 0; c < 20; c++) for (let i = 0; i < 10; i++) assert.equal(doc.split(`"sip:u${c}-${i}@example.com"`).length, 2);
  });
});

describe('xcapd over HTTP (digest auth)', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'digest' });
  });
  after(async () => server.stop());

  test('challenge offers MD5 first, realm is the SIP domain; MD5 and SHA-256 both work with nonce reuse', async () => {
    const path = '/xcap-root/xcap-caps/global/index';
    const first = await rawRequest(server.origin, { path: '/xcap-root/resource-lists/users/sip:alice@example.com/index' });
    assert.equal(first.status, 401);
    const list = first.headersDistinct['www-authenticate'] ?? [];
    assert.match(list[0]!, /^Digest realm="example.com", qop="auth", algorithm=MD5/);
    assert.match(list[1]!, /algorithm=SHA-256/);
    for (const preference of [['MD5'], ['SHA-256']] as const) {
      const session = new DigestClientSession(list, { username: 'alice', password: 'alice-secret' }, { preference });
      const target = '/xcap-root/resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list[@name="x"]';
      for (let i = 0; i < 3; i++) {
        const r = await rawRequest(server.origin, { path: target, headers: { Authorization: session.authorize('GET', target) } });
        assert.equal(r.status, 404, `request ${i} with ${preference[0]} is authenticated (document absent)`);
      }
    }
    const session = new DigestClientSession(list, { username: 'alice', password: 'wrong' });
    assert.equal((await rawRequest(server.origin, { path, headers: { Authorization: session.authorize('GET', path) } })).status, 401);
  });
});

describe('digest realm for the global tree', () => {
  test('with one user domain, global-tree requests are challenged in that realm', async () => {
    const server = await startTestServer({ auth: 'digest' });
    try {
      const path = '/xcap-root/xcap-caps/global/index';
      const first = await rawRequest(server.origin, { path });
      assert.equal(first.status, 401);
      const list = first.headersDistinct['www-authenticate'] ?? [];
      assert.match(list[0]!, /realm="example.com"/);
      const session = new DigestClientSession(list, { username: 'alice', password: 'alice-secret' });
      const r = await rawRequest(server.origin, { path, headers: { Authorization: session.authorize('GET', path) } });
      assert.equal(r.status, 200);
    } finally {
      await server.stop();
    }
  });
});
