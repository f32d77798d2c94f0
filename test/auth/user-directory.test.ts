import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ha1 } from '../../src/auth/password-digests.js';
import { basicPasswordMatches, digestHa1, storageUserDirectory, type DirectoryUser } from '../../src/auth/user-directory.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';

const hashed: DirectoryUser = {
  id: 'alice@example.com',
  realm: 'example.com',
  ha1Md5: ha1('MD5', 'alice', 'example.com', 'pw'),
  ha1Sha256: null,
  ha1bMd5: ha1('MD5', 'alice@example.com', 'example.com', 'pw'),
  admin: false,
};

test('digestHa1 picks the stored hash that fits the username form, realm and algorithm', () => {
  assert.equal(digestHa1(hashed, 'alice', 'example.com', 'MD5'), hashed.ha1Md5);
  assert.equal(digestHa1(hashed, 'alice@example.com', 'example.com', 'MD5'), hashed.ha1bMd5);
  assert.equal(digestHa1(hashed, 'alice', 'example.com', 'SHA-256'), null, 'no SHA-256 hash stored');
  assert.equal(digestHa1(hashed, 'alice@example.com', 'example.com', 'SHA-256'), null);
  assert.equal(digestHa1(hashed, 'alice', 'other.example', 'MD5'), null, 'hashes are bound to their realm');
  assert.equal(digestHa1({ ...hashed, ha1bMd5: null }, 'alice@example.com', 'example.com', 'MD5'), null);
  assert.equal(digestHa1(hashed, 'bob@example.com', 'example.com', 'MD5'), null, 'ha1b is for this user only');

  const clear: DirectoryUser = { ...hashed, ha1Md5: null, ha1bMd5: null, clearPassword: 'pw' };
  assert.equal(digestHa1(clear, 'alice', 'example.com', 'SHA-256'), ha1('SHA-256', 'alice', 'example.com', 'pw'));
  assert.equal(digestHa1(clear, 'alice@example.com', 'xcap.example.com', 'MD5'), ha1('MD5', 'alice@example.com', 'xcap.example.com', 'pw'), 'any realm and username form');
});

test('basicPasswordMatches uses the clear password, else ha1, else the SHA-256 hash, else ha1b', () => {
  assert.equal(basicPasswordMatches(hashed, 'pw'), true);
  assert.equal(basicPasswordMatches(hashed, 'pw '), false);
  assert.equal(basicPasswordMatches({ ...hashed, ha1Md5: null }, 'pw'), true, 'from ha1b');
  assert.equal(basicPasswordMatches({ ...hashed, ha1Md5: null, ha1bMd5: null, ha1Sha256: ha1('SHA-256', 'alice', 'example.com', 'pw') }, 'pw'), true);
  assert.equal(basicPasswordMatches({ ...hashed, ha1Md5: null, ha1bMd5: null }, 'pw'), false, 'nothing to check against');
  assert.equal(basicPasswordMatches({ ...hashed, clearPassword: 'pässwörd' }, 'pässwörd'), true);
  assert.equal(basicPasswordMatches({ ...hashed, clearPassword: 'pässwörd' }, 'passwort'), false);
});

test("xcapd's own users form a directory that offers MD5 and SHA-256", async () => {
  const storage = await openSqliteStorage({ file: ':memory:' });
  try {
    const directory = storageUserDirectory(storage);
    assert.deepEqual(directory.digestHashes, ['MD5', 'SHA-256']);
    assert.equal(await directory.getUser('alice@example.com'), null);
    await storage.putUser({ id: 'alice@example.com', realm: 'example.com', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), admin: true, createdAt: 1 });
    assert.equal((await directory.getUser('alice@example.com'))?.admin, true);
    await directory.close();
    assert.equal((await storage.listUsers()).length, 1, 'closing the directory leaves the storage open');
  } finally {
    await storage.close();
  }
});
