import assert from 'node:assert/strict';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { DEVICE_COPIES_AUID, DeviceCopies, deviceIdOf, MAX_DEVICES_PER_DOCUMENT } from '../../src/phonebook/device-copies.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { DocumentKey, Storage } from '../../src/storage/types.js';

const book: DocumentKey = { auid: 'com.counterpath.tbook', tree: 'users', owner: 'sip:alice@example.com', path: 'tbook.xml' };
const copy = (etag: string) => ({ etag, personal: { lists: [], entries: [] }, shared: null });

describe('what each device holds', () => {
  let storage: Storage;
  let copies: DeviceCopies;
  beforeEach(async () => {
    storage = await openSqliteStorage({ file: ':memory:' });
    copies = new DeviceCopies(storage);
  });
  afterEach(() => storage.close());

  test('a device is a user, an address and a User-Agent', () => {
    const desk = deviceIdOf('alice@example.com', { address: '10.0.0.5', userAgent: 'snom370' });
    assert.equal(desk, deviceIdOf('alice@example.com', { address: '10.0.0.5', userAgent: 'snom370' }));
    assert.notEqual(desk, deviceIdOf('alice@example.com', { address: '10.0.0.6', userAgent: 'snom370' }));
    assert.notEqual(desk, deviceIdOf('alice@example.com', { address: '10.0.0.5', userAgent: 'Bria 6' }));
    assert.notEqual(desk, deviceIdOf('bob@example.com', { address: '10.0.0.5', userAgent: 'snom370' }));
  });

  test('records are kept under an AUID no client can address, found by device and by tag', async () => {
    await copies.remember(book, 'd1', copy('1-aa'));
    await copies.remember(book, 'd2', copy('2-bb'));
    assert.equal(await copies.etagOf(book, 'd1'), '1-aa');
    assert.deepEqual(await copies.get(book, 'd2'), copy('2-bb'));
    assert.deepEqual(await copies.findByEtag(book, '2-bb'), copy('2-bb'));
    assert.equal(await copies.findByEtag(book, '3-cc'), null);
    assert.equal(await copies.get({ ...book, path: 'other.xml' }, 'd1'), null);
    const all = await storage.listDocuments({ auid: DEVICE_COPIES_AUID });
    assert.deepEqual(all.map((d) => d.key.path).sort(), ['tbook.xml/d1', 'tbook.xml/d2']);
  });

  test('an unchanged copy is not written again; the least recently used records go beyond the limit', async () => {
    await copies.remember(book, 'd0', copy('1-aa'));
    const first = await storage.getDocument({ auid: DEVICE_COPIES_AUID, tree: 'users', owner: book.owner, path: 'tbook.xml/d0' });
    await copies.remember(book, 'd0', copy('1-aa'));
    const again = await storage.getDocument({ auid: DEVICE_COPIES_AUID, tree: 'users', owner: book.owner, path: 'tbook.xml/d0' });
    assert.equal(again!.etag, first!.etag);
    for (let i = 1; i <= MAX_DEVICES_PER_DOCUMENT; i++) await copies.remember(book, `d${i}`, copy(`${i}-x`));
    const left = await storage.listDocuments({ auid: DEVICE_COPIES_AUID });
    assert.equal(left.length, MAX_DEVICES_PER_DOCUMENT);
    assert.equal(await copies.get(book, 'd0'), null);
    assert.ok(await copies.get(book, `d${MAX_DEVICES_PER_DOCUMENT}`));
  });
});
