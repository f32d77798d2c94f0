import { test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { openStorage, sqliteFileFromUrl } from '../../src/storage/open.js';

test('reads SQLite file names from plain paths and sqlite: URLs', () => {
  assert.equal(sqliteFileFromUrl('./data/xcapd.sqlite'), './data/xcapd.sqlite');
  assert.equal(sqliteFileFromUrl('data/xcapd.sqlite'), 'data/xcapd.sqlite');
  assert.equal(sqliteFileFromUrl('/var/lib/xcapd/db.sqlite'), '/var/lib/xcapd/db.sqlite');
  assert.equal(sqliteFileFromUrl(':memory:'), ':memory:');
  assert.equal(sqliteFileFromUrl('sqlite:./data/x.sqlite'), './data/x.sqlite');
  assert.equal(sqliteFileFromUrl('sqlite:data/x.sqlite'), 'data/x.sqlite');
  assert.equal(sqliteFileFromUrl('sqlite:///var/lib/x.sqlite'), '/var/lib/x.sqlite');
  assert.equal(sqliteFileFromUrl('sqlite://./x.sqlite'), './x.sqlite');
  assert.equal(sqliteFileFromUrl('SQLite::memory:'), ':memory:');
});

test('tells PostgreSQL URLs from SQLite files, and refuses other schemes', () => {
  assert.throws(() => sqliteFileFromUrl('postgres://u@h/db'), /names a PostgreSQL database, not an SQLite file/);
  assert.throws(() => sqliteFileFromUrl('postgresql://u@h/db'), /names a PostgreSQL database, not an SQLite file/);
  assert.throws(() => sqliteFileFromUrl('mysql://u@h/db'), /Unsupported storage URL scheme "mysql:"/);
  assert.throws(() => sqliteFileFromUrl('sqlite:'), /names no file/);
  assert.throws(() => sqliteFileFromUrl(''), /empty/);
});

test('opens working storage from a URL', async () => {
  // Port 1 on loopback refuses at once: the PostgreSQL backend was picked, and says where it failed.
  await assert.rejects(openStorage('postgres://u:secret@127.0.0.1:1/db'), (error: Error) => {
    assert.match(error.message, /^postgres:\/\/u@127\.0\.0\.1:1\/db: /);
    assert.doesNotMatch(error.message, /secret/);
    return true;
  });

  const memory = await openStorage(':memory:');
  assert.equal(memory.description, 'sqlite::memory:');
  await memory.close();

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-open-test-'));
  try {
    const file = path.join(dir, 'sub', 'x.sqlite');
    const storage = await openStorage(`sqlite://${file}`);
    const key = { auid: 'a', tree: 'global', owner: '', path: 'index' } as const;
    await storage.updateDocument(key, () => ({ mutation: { kind: 'put', content: '<x/>' }, result: null }));
    await storage.close();
    assert.ok(fs.existsSync(file));
    const again = await openStorage(file);
    assert.equal((await again.getDocument(key))?.content, '<x/>');
    await again.close();
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
