/**
 * Snom phones against a real xcapd: the request sequence of seeds 000/001 replayed
 * over HTTP and HTTPS, with Digest and Basic, every answer and the stored result
 * checked.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DEFAULT_CONFIG, loadConfig } from '../../src/config.js';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';
import { entriesOf, fieldOf, SnomPhone, tbook, type PhoneIdentity } from './snom-phone.js';

const ALICE: PhoneIdentity = { user: 'alice', registrar: 'example.com', password: 'alice-secret' };
const BOB: PhoneIdentity = { user: 'bob', registrar: 'example.com', password: 'bob-secret' };
const ADMIN: PhoneIdentity = { user: 'admin', registrar: 'example.com', password: 'admin-secret' };
const CANONICAL = '/xcap-root/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml';

const MAX = { id: '534BB0BC2DDA09E2567C5D8D5B2C0120', name: 'Max Mustermann', props: { given_name: 'Max', surname: 'Mustermann', mobile_number: '0171 5550101', category: 'Arbeit' } };
const ERIKA = { id: 'E0000000000000000000000000000002', name: 'Erika Musterfrau', props: { home_number: '089 5550102' } };
const HANS = { id: 'A0000000000000000000000000000003', name: 'Hans Hansen', props: { business_number: '040 5550103' } };
const CAROL = { id: 'C0000000000000000000000000000004', name: 'Carol (admin import)', props: { business_number: '030 5550104' } };

let certDir: string;
let cert: string;
let key: string;

before(() => {
  certDir = mkdtempSync(join(tmpdir(), 'xcapd-phone-tls-'));
  cert = join(certDir, 'cert.pem');
  key = join(certDir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=localhost'], { stdio: 'ignore', timeout: 30_000 });
});
after(() => rmSync(certDir, { recursive: true, force: true }));

/** Sets alice's stored book directly, as an import does (an XCAP PUT would be merged). */
async function resetBook(server: TestServer, content: string): Promise<void> {
  await server.storage.updateDocument({ auid: 'com.counterpath.tbook', tree: 'users', owner: 'sip:alice@example.com', path: 'tbook.xml' }, () => ({ mutation: { kind: 'put', content }, result: null }));
}

async function storedBook(server: TestServer, owner = 'sip:alice@example.com'): Promise<string> {
  const doc = await server.storage.getDocument({ auid: 'com.counterpath.tbook', tree: 'users', owner, path: 'tbook.xml' });
  assert.ok(doc, 'the phone book is stored');
  return doc.content;
}

async function replay(transport: 'http' | 'https', auth: 'digest' | 'basic'): Promise<void> {
  const server = await startTestServer({ auth, ...(transport === 'https' ? { tlsCert: cert, tlsKey: key } : {}) });
  try {
    assert.ok(server.origin.startsWith(`${transport}://`));
    const admin = new SnomPhone(server.origin, ADMIN, { auth });
    const xml = 'application/resource-lists+xml';
    // The administrator provisions alice's and bob's books through the canonical XCAP URIs.
    const seeded = await admin.request('PUT', CANONICAL, { 'Content-Type': xml }, tbook([MAX, ERIKA]));
    assert.equal(seeded.status, 201);
    const bobSeed = await admin.request('PUT', CANONICAL.replace('alice', 'bob'), { 'Content-Type': xml }, tbook([{ id: 'B0000000000000000000000000000001', name: 'Bobs Mum', props: { home_number: '1' } }]));
    assert.equal(bobSeed.status, 201);

    const phone = new SnomPhone(server.origin, ALICE, { auth, userAgent: 'snom370-SIP 8.7.5.35 1.1.3-s' });
    assert.equal(phone.path(), '/users/sip:alice@example.com/tbook.xml');

    // 1. First GET: the same document and ETag the canonical URI gives.
    const first = await phone.sync();
    assert.equal(first.status, 200);
    assert.equal(first.headers['content-type'], 'application/resource-lists+xml');
    assert.equal(first.headers.etag, seeded.headers.etag);
    assert.deepEqual([...entriesOf(first.body).keys()], [MAX.id, ERIKA.id]);
    const canonical = await admin.request('GET', CANONICAL);
    assert.equal(canonical.body, first.body);
    assert.equal(canonical.headers.etag, first.headers.etag);
    assert.deepEqual(phone.log.map((l) => l.status), auth === 'digest' ? [401, 200] : [200]);

    // 2. The periodic GET with If-None-Match: 304, same ETag, no body; and one without.
    const periodic = await phone.sync();
    assert.equal(periodic.status, 304);
    assert.equal(periodic.headers.etag, first.headers.etag);
    assert.equal(periodic.body, '');
    const unconditional = await phone.sync({ conditional: false });
    assert.equal(unconditional.status, 200);
    assert.equal(unconditional.body, first.body);

    // 3. A local change: the whole document goes back (text/xml, no If-Match); stored as sent.
    const edited = tbook([{ ...MAX, props: { ...MAX.props, mobile_number: '0171 5550199' } }, ERIKA, HANS]);
    const put = await phone.save(edited);
    assert.equal(put.status, 200);
    assert.notEqual(put.headers.etag, first.headers.etag);
    assert.equal(put.headers['x-xcapd-merge'], undefined);
    assert.equal(put.headers['x-xcapd-warning'], 'category "Arbeit" (localized work) kept as written');
    assert.equal(await storedBook(server), edited);
    const afterPut = await phone.sync();
    assert.equal(afterPut.status, 304);
    assert.equal(afterPut.headers.etag, put.headers.etag);

    // 4. Meanwhile the book changes on the server (an admin import adds Carol).
    const serverChange = await admin.request('PUT', CANONICAL, { 'Content-Type': xml }, tbook([{ ...MAX, props: { ...MAX.props, mobile_number: '0171 5550199' } }, ERIKA, HANS, CAROL]));
    assert.equal(serverChange.status, 200);

    // 5. The phone, not having fetched since, deletes Erika and edits Hans, and PUTs its stale copy.
    const stale = tbook([{ ...MAX, props: { ...MAX.props, mobile_number: '0171 5550199' } }, { ...HANS, props: { business_number: '040 5550177' } }]);
    const stalePut = await phone.save(stale);
    assert.equal(stalePut.status, 200);
    assert.match(stalePut.headers['x-xcapd-merge'] as string, /^stale copy: kept 1 entry only the server had; deleted 1 entry$/);
    const merged = await storedBook(server);
    assert.deepEqual([...entriesOf(merged).entries()], [
      [MAX.id, MAX.name],
      [HANS.id, HANS.name],
      [CAROL.id, CAROL.name],
    ]);
    assert.equal(fieldOf(merged, HANS.id, 'business_number'), '040 5550177');
    assert.equal(fieldOf(merged, MAX.id, 'category'), 'Arbeit');
    // The ETag answered names the phone's own copy, so its next conditional GET fetches the merge.
    const current = await admin.request('GET', CANONICAL);
    assert.notEqual(stalePut.headers.etag, current.headers.etag);
    const refetch = await phone.sync();
    assert.equal(refetch.status, 200);
    assert.equal(refetch.headers.etag, current.headers.etag);
    assert.equal(refetch.body, merged);
    assert.equal((await phone.sync()).status, 304);

    // 6. A PUT of an unchanged copy changes nothing.
    const same = await phone.save(refetch.body);
    assert.equal(same.status, 200);
    assert.equal(same.headers.etag, current.headers.etag);

    // 7. Identity switch: the phone clears its directory and fetches bob's book with bob's credentials.
    phone.switchIdentity(BOB);
    const bobs = await phone.sync();
    assert.equal(bobs.status, 200);
    assert.deepEqual([...entriesOf(bobs.body).values()], ['Bobs Mum']);
    const notHis = await phone.request('GET', phone.path(ALICE));
    assert.equal(notHis.status, 403);
    const notHisPut = await phone.request('PUT', phone.path(ALICE), { 'Content-Type': 'text/xml' }, tbook([]));
    assert.equal(notHisPut.status, 403);
    assert.equal(await storedBook(server), merged);

    // 8. And back to alice: her book, unchanged.
    phone.switchIdentity(ALICE);
    const back = await phone.sync();
    assert.equal(back.status, 200);
    assert.equal(back.body, merged);
  } finally {
    await server.stop();
  }
}

describe('a Snom phone against xcapd', () => {
  test('over HTTP with Digest', () => replay('http', 'digest'));
  test('over HTTP with Basic', () => replay('http', 'basic'));
  test('over HTTPS with Digest', () => replay('https', 'digest'));
  test('over HTTPS with Basic', () => replay('https', 'basic'));
});

describe('phone book PUTs', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'basic' });
  });
  after(() => server.stop());

  const phone = (ua = 'snom320-SIP 8.4.35') => new SnomPhone(server.origin, ALICE, { auth: 'basic', userAgent: ua });

  test('any XML-ish Content-Type, or none, is a phone book; other types are 415', async () => {
    for (const type of ['text/xml', 'application/xml; charset=utf-8', 'text/plain', 'application/resource-lists+xml', 'application/octet-stream', null]) {
      const p = new SnomPhone(server.origin, ALICE, { auth: 'basic', contentType: type });
      await p.sync();
      const r = await p.save(tbook([MAX]));
      assert.ok(r.status === 200 || r.status === 201, `${type}: ${r.status} ${r.body}`);
    }
    const wrong = await phone().request('PUT', phone().path(), { 'Content-Type': 'application/pidf+xml' }, tbook([MAX]));
    assert.equal(wrong.status, 415);
  });

  test('a Latin-1 body is transcoded, not refused', async () => {
    const p = phone('latin1-phone');
    await p.sync();
    const text = tbook([{ id: 'L1', name: 'Jürgen Größ' }]).replace('encoding="UTF-8"', 'encoding="ISO-8859-1"');
    const r = await p.request('PUT', p.path(), { 'Content-Type': 'text/xml' }, Buffer.from(text, 'latin1'));
    assert.equal(r.status, 200, r.body);
    assert.match(r.headers['x-xcapd-warning'] as string, /the body was ISO-8859-1; stored as UTF-8/);
    const stored = await storedBook(server);
    assert.match(stored, /encoding="UTF-8"/);
    assert.match(stored, /Jürgen Größ/);
  });

  test('genuinely broken documents are refused with 409', async () => {
    const p = phone();
    const broken = await p.request('PUT', p.path(), { 'Content-Type': 'text/xml' }, '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list>');
    assert.equal(broken.status, 409);
    assert.match(broken.body, /<not-well-formed/);
    const twice = await p.request('PUT', p.path(), { 'Content-Type': 'text/xml' }, tbook([MAX, { ...ERIKA, id: MAX.id }]));
    assert.equal(twice.status, 409);
    assert.match(twice.body, /<uniqueness-failure phrase="[^"]*"><exists field="resource-lists\/list\[@name=&quot;Contact List&quot;\]\/entry\/cp:prop\[@name=&quot;entry_id&quot;\]\/@value"><alt-value>[0-9A-F]{32}<\/alt-value>/);
    const wrongRoot = await p.request('PUT', p.path(), { 'Content-Type': 'text/xml' }, '<foo xmlns="urn:example"/>');
    assert.equal(wrongRoot.status, 409);
    assert.match(wrongRoot.body, /schema-validation-error/);
  });

  test('If-Match naming an older version merges instead of 412; If-None-Match: * still guards creation', async () => {
    const a = phone('second-phone');
    await resetBook(server, tbook([MAX, ERIKA]));
    const got = await a.sync();
    assert.equal(got.status, 200);
    await resetBook(server, tbook([MAX, ERIKA, CAROL]));
    const r = await a.request('PUT', a.path(), { 'Content-Type': 'text/xml', 'If-Match': got.headers.etag! }, tbook([MAX]));
    assert.equal(r.status, 200);
    assert.match(r.headers['x-xcapd-merge'] as string, /^stale copy: kept 1 entry only the server had; deleted 1 entry$/);
    assert.deepEqual([...entriesOf(await storedBook(server)).keys()], [MAX.id, CAROL.id]);

    // An If-Match naming no version xcapd knows: merged without a base, so nothing is deleted.
    const unknown = await a.request('PUT', a.path(), { 'Content-Type': 'text/xml', 'If-Match': '"no-such-version"' }, tbook([HANS]));
    assert.equal(unknown.status, 200);
    assert.match(unknown.headers['x-xcapd-merge'] as string, /^base unknown, nothing deleted/);
    assert.deepEqual([...entriesOf(await storedBook(server)).keys()].sort(), [MAX.id, CAROL.id, HANS.id].sort());

    const create = await a.request('PUT', a.path(), { 'Content-Type': 'text/xml', 'If-None-Match': '*' }, tbook([MAX]));
    assert.equal(create.status, 412);
    const none = await a.request('PUT', a.path().replace('alice', 'carol'), { 'Content-Type': 'text/xml', 'If-Match': '*' }, tbook([MAX]));
    assert.equal(none.status, 403);
  });

  test('a PUT from a device that never fetched keeps the server entries (nothing deleted)', async () => {
    await resetBook(server, tbook([MAX, ERIKA]));
    const fresh = phone('fresh-phone-from-flash');
    const r = await fresh.save(tbook([HANS]));
    assert.equal(r.status, 200);
    assert.deepEqual([...entriesOf(await storedBook(server)).keys()], [HANS.id, MAX.id, ERIKA.id]);
  });

  test('a DELETE and a PUT replace the book, whatever the device held before', async () => {
    const p = phone('replacing-client');
    await resetBook(server, tbook([MAX, ERIKA]));
    assert.equal((await p.sync()).status, 200);
    assert.equal((await p.request('DELETE', p.path())).status, 200);
    const r = await p.save(tbook([MAX, ERIKA, HANS]));
    assert.equal(r.status, 201);
    assert.equal(r.headers['x-xcapd-merge'], undefined);
    assert.equal(await storedBook(server), tbook([MAX, ERIKA, HANS]));
  });

  test('element operations on the canonical URI keep RFC 4825 semantics', async () => {
    const admin = new SnomPhone(server.origin, ADMIN, { auth: 'basic' });
    await resetBook(server, tbook([MAX]));
    const selector = `${CANONICAL}/~~/resource-lists/list%5B@name=%22Contact%20List%22%5D/entry%5B2%5D`;
    const put = await admin.request('PUT', selector, { 'Content-Type': 'application/xcap-el+xml' }, '<entry><display-name>New</display-name></entry>');
    assert.equal(put.status, 201, put.body);
    const get = await admin.request('GET', selector);
    assert.equal(get.status, 200);
    assert.equal(get.headers['content-type'], 'application/xcap-el+xml');
    assert.equal(get.headers.etag, put.headers.etag);
    const stale = await admin.request('DELETE', selector, { 'If-Match': '"old"' });
    assert.equal(stale.status, 412);
    const del = await admin.request('DELETE', selector, { 'If-Match': put.headers.etag! });
    assert.equal(del.status, 200);
    assert.equal(await storedBook(server), tbook([MAX]));
  });
});

describe('phone URL settings', () => {
  test('phonePath off: the phone layout is a 404, the canonical URI still works', async () => {
    const server = await startTestServer({ auth: 'basic', phonePath: 'off' });
    try {
      const p = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
      assert.equal((await p.save(tbook([MAX]))).status, 404);
      assert.equal((await p.request('PUT', CANONICAL, { 'Content-Type': 'text/xml' }, tbook([MAX]))).status, 201);
    } finally {
      await server.stop();
    }
  });

  test('a phone path and an AUID of its own; xcap_directory_auid and the document name as the phone sets them', async () => {
    const server = await startTestServer({ auth: 'basic', phonePath: '/phones', phoneAuid: 'com.counterpath.tbook' });
    try {
      const p = new SnomPhone(server.origin, ALICE, { auth: 'basic', directoryAuid: 'phones/snom', documentName: 'snom_xcap_private.xml' });
      assert.equal(p.path(), '/phones/snom/users/sip:alice@example.com/snom_xcap_private.xml');
      assert.equal((await p.save(tbook([MAX]))).status, 201);
      const stored = await server.storage.getDocument({ auid: 'com.counterpath.tbook', tree: 'users', owner: 'sip:alice@example.com', path: 'snom_xcap_private.xml' });
      assert.equal(stored?.content, tbook([MAX]));
      const outside = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
      assert.equal((await outside.sync()).status, 404);
    } finally {
      await server.stop();
    }
  });

  test('the settings come from flags, the environment and the config file like every other', () => {
    assert.equal(DEFAULT_CONFIG.phonePath, '/');
    assert.equal(DEFAULT_CONFIG.phoneAuid, 'com.counterpath.tbook');
    assert.equal(loadConfig({}, { env: { XCAPD_PHONE_PATH: 'off' } }).phonePath, 'off');
    assert.equal(loadConfig({ phonePath: '/phones' }, { env: { XCAPD_PHONE_PATH: 'off', XCAPD_PHONE_AUID: 'resource-lists' } }).phonePath, '/phones');
    assert.equal(loadConfig({}, { env: { XCAPD_PHONE_AUID: 'resource-lists' } }).phoneAuid, 'resource-lists');
    assert.throws(() => loadConfig({ phonePath: 'phones' }, { env: {} }), /phonePath must be 'off' or a path starting with '\/'/);
  });

  test('a phone AUID that is not registered is a configuration error', async () => {
    await assert.rejects(startTestServer({ phoneAuid: 'no.such.auid' }), /phoneAuid: no application usage no\.such\.auid/);
  });
});
