/**
 * The shared company directory: one document an administrator keeps in the global
 * tree, which every user's phone receives merged with the user's own entries at
 * its usual URL.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, describe, test } from 'node:test';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';
import { entriesOf, fieldOf, SnomPhone, tbook, type PhoneIdentity } from './snom-phone.js';

const ALICE: PhoneIdentity = { user: 'alice', registrar: 'example.com', password: 'alice-secret' };
const BOB: PhoneIdentity = { user: 'bob', registrar: 'example.com', password: 'bob-secret' };
const ADMIN: PhoneIdentity = { user: 'admin', registrar: 'example.com', password: 'admin-secret' };
const SHARED = '/xcap-root/com.counterpath.tbook/global/tbook.xml';

const RECEPTION = { id: '5A000000000000000000000000000001', name: 'Reception', props: { business_number: '100' } };
const SUPPORT = { id: '5A000000000000000000000000000002', name: 'Support', props: { business_number: '200' } };
const MUM = { id: 'P0000000000000000000000000000001', name: 'Mum', props: { home_number: '0891234' } };

describe('the shared company directory', () => {
  let server: TestServer;
  let admin: SnomPhone;
  before(async () => {
    server = await startTestServer({ auth: 'basic' });
    admin = new SnomPhone(server.origin, ADMIN, { auth: 'basic' });
  });
  after(() => server.stop());

  const personal = async (owner = 'sip:alice@example.com') =>
    (await server.storage.getDocument({ auid: 'com.counterpath.tbook', tree: 'users', owner, path: 'tbook.xml' }))?.content ?? null;

  beforeEach(async () => {
    for (const key of await server.storage.listDocuments({})) {
      await server.storage.updateDocument(key.key, () => ({ mutation: { kind: 'delete' }, result: null }));
    }
    const r = await admin.request('PUT', SHARED, { 'Content-Type': 'application/resource-lists+xml' }, tbook([RECEPTION, SUPPORT]));
    assert.equal(r.status, 201);
  });

  test('only administrators write it; everyone reads it', async () => {
    const alice = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    assert.equal((await alice.request('PUT', SHARED, { 'Content-Type': 'text/xml' }, tbook([]))).status, 403);
    const read = await alice.request('GET', SHARED);
    assert.equal(read.status, 200);
    assert.deepEqual([...entriesOf(read.body).values()], ['Reception', 'Support']);
  });

  test('a user without a book of their own receives the directory; their first entry stores only itself', async () => {
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    const first = await phone.sync();
    assert.equal(first.status, 200);
    assert.deepEqual([...entriesOf(first.body).values()], ['Reception', 'Support']);
    assert.match(first.headers.etag!, /^"~[^"]+"$/);
    assert.equal(first.body, tbook([RECEPTION, SUPPORT]));
    const put = await phone.save(tbook([RECEPTION, SUPPORT, MUM]));
    assert.equal(put.status, 200);
    assert.equal(put.headers['x-xcapd-merge'], undefined);
    assert.deepEqual([...entriesOf((await personal())!).values()], ['Mum']);
    const again = await phone.sync();
    assert.equal(again.status, 304, 'the phone holds exactly the composed document');
  });

  test('shared entries first, personal ones after; a PUT back never duplicates or stores them', async () => {
    await admin.request('PUT', SHARED.replace('global/', 'users/sip:alice@example.com/'), { 'Content-Type': 'text/xml' }, tbook([MUM]));
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    const got = await phone.sync();
    assert.deepEqual([...entriesOf(got.body).values()], ['Reception', 'Support', 'Mum']);
    const dad = { id: 'P0000000000000000000000000000002', name: 'Dad', props: { mobile_number: '0171' } };
    const put = await phone.save(tbook([RECEPTION, SUPPORT, MUM, dad]));
    assert.equal(put.status, 200);
    assert.deepEqual([...entriesOf((await personal())!).values()], ['Mum', 'Dad']);
    const after = await phone.sync();
    assert.equal(after.status, 304);
    const fresh = await new SnomPhone(server.origin, ALICE, { auth: 'basic', userAgent: 'other' }).sync();
    assert.deepEqual([...entriesOf(fresh.body).values()], ['Reception', 'Support', 'Mum', 'Dad']);
  });

  test("a directory entry edited on a phone becomes the user's own copy, shown once, for that user only", async () => {
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    await phone.sync();
    const mine = { ...SUPPORT, props: { business_number: '200', mobile_number: '0170 direct' } };
    assert.equal((await phone.save(tbook([RECEPTION, mine]))).status, 200);
    const stored = (await personal())!;
    assert.deepEqual([...entriesOf(stored).values()], ['Support']);
    assert.equal(fieldOf(stored, SUPPORT.id, 'mobile_number'), '0170 direct');
    const view = await new SnomPhone(server.origin, ALICE, { auth: 'basic', userAgent: 'desk 2' }).sync();
    assert.deepEqual([...entriesOf(view.body).values()], ['Reception', 'Support']);
    assert.equal(fieldOf(view.body, SUPPORT.id, 'mobile_number'), '0170 direct');
    const bobs = await new SnomPhone(server.origin, BOB, { auth: 'basic' }).sync();
    assert.equal(fieldOf(bobs.body, SUPPORT.id, 'mobile_number'), undefined);
  });

  test('when the directory changes every phone gets it, and a stale PUT neither stores nor drops directory entries', async () => {
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    await admin.request('PUT', SHARED.replace('global/', 'users/sip:alice@example.com/'), { 'Content-Type': 'text/xml' }, tbook([MUM]));
    const before = await phone.sync();
    const sales = { id: '5A000000000000000000000000000003', name: 'Sales', props: { business_number: '300' } };
    const newReception = { ...RECEPTION, props: { business_number: '101' } };
    await server.storage.updateDocument({ auid: 'com.counterpath.tbook', tree: 'global', owner: '', path: 'tbook.xml' }, () => ({
      mutation: { kind: 'put', content: tbook([newReception, SUPPORT, sales]) },
      result: null,
    }));
    // The phone has not fetched yet: it PUTs its copy with the old directory entries and a new personal one.
    const dad = { id: 'P0000000000000000000000000000002', name: 'Dad' };
    const stale = await phone.save(tbook([RECEPTION, SUPPORT, MUM, dad]));
    assert.equal(stale.status, 200);
    assert.deepEqual([...entriesOf((await personal())!).values()], ['Mum', 'Dad']);
    const now = await phone.sync();
    assert.equal(now.status, 200);
    assert.notEqual(now.headers.etag, before.headers.etag);
    assert.deepEqual([...entriesOf(now.body).values()], ['Reception', 'Support', 'Sales', 'Mum', 'Dad']);
    assert.equal(fieldOf(now.body, RECEPTION.id, 'business_number'), '101');
  });

  test('a directory entry deleted on a phone comes back: the directory is the administrator\'s', async () => {
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    await phone.sync();
    assert.equal((await phone.save(tbook([SUPPORT]))).status, 200);
    const view = await phone.sync();
    assert.deepEqual([...entriesOf(view.body).values()], ['Reception', 'Support']);
  });

  test('deleting a user\'s book deletes their entries; the directory stays visible', async () => {
    const phone = new SnomPhone(server.origin, ALICE, { auth: 'basic' });
    assert.equal((await phone.request('DELETE', phone.path())).status, 404);
    await phone.sync();
    await phone.save(tbook([RECEPTION, SUPPORT, MUM]));
    assert.equal((await phone.request('DELETE', phone.path())).status, 200);
    assert.equal(await personal(), null);
    const view = await phone.sync({ conditional: false });
    assert.deepEqual([...entriesOf(view.body).values()], ['Reception', 'Support']);
  });
});
