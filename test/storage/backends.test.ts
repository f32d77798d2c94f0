/**
 * The storage contract, run against every backend: SQLite and PostgreSQL must
 * behave the same in everything `Storage` promises. Backend-specific matters
 * (files, WAL, migrations, several nodes) live in sqlite.test.ts and postgres.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import { etagCounter } from '../../src/storage/backend-helpers.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { ClaimConflictError } from '../../src/storage/types.js';
import type { DocumentKey, Mutation, Storage, StoredDocument, UserRecord } from '../../src/storage/types.js';
import { createTestDatabase } from '../helpers/postgres.js';

interface Backend {
  readonly name: string;
  /** A fresh, empty storage, and how to get rid of it once closed. */
  open(): Promise<{ storage: Storage; dispose(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-contract-'));
      const storage = await openSqliteStorage({ file: path.join(dir, 'db.sqlite') });
      return { storage, dispose: async () => fs.rmSync(dir, { recursive: true, force: true }) };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const database = await createTestDatabase('contract');
      try {
        const storage = await openPostgresStorage({ url: database.url, poolSize: 4 });
        return { storage, dispose: () => database.drop() };
      } catch (error) {
        await database.drop();
        throw error;
      }
    },
  },
];

function docKey(pathName: string, owner = 'sip:alice@example.com', auid = 'resource-lists'): DocumentKey {
  return { auid, tree: owner === '' ? 'global' : 'users', owner, path: pathName };
}

function put(content: string, claims?: { scope: string; value: string }[]): { mutation: Mutation; result: null } {
  return { mutation: claims === undefined ? { kind: 'put', content } : { kind: 'put', content, claims }, result: null };
}

const remove = (): { mutation: Mutation; result: null } => ({ mutation: { kind: 'delete' }, result: null });

function counterOf(etag: string | undefined): bigint {
  const counter = etagCounter(etag ?? '');
  assert.ok(counter !== null, `unexpected etag shape ${etag}`);
  return counter;
}

function user(id: string, overrides: Partial<UserRecord> = {}): UserRecord {
  return { id, realm: 'example.com', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), admin: false, createdAt: 1_700_000_000_000, ...overrides };
}

for (const backend of backends) {
  describe(`${backend.name} storage contract`, { timeout: 60_000 }, () => {
    let storage: Storage;
    let dispose: () => Promise<void> = async () => undefined;
    before(async () => {
      ({ storage, dispose } = await backend.open());
    });
    after(async () => {
      await storage.close();
      await dispose();
    });

    test('creates, reads, replaces and deletes a document', async () => {
      const key = docKey('crud');
      assert.equal(await storage.getDocument(key), null);
      const created = await storage.updateDocument(key, (current) => {
        assert.equal(current, null);
        return { mutation: { kind: 'put', content: '<a/>' }, result: 'made' };
      });
      assert.equal(created.result, 'made');
      assert.equal(created.changed, true);
      assert.equal(created.previous, null);
      assert.deepEqual(created.document?.key, key);
      assert.ok(Math.abs((created.document?.updatedAt ?? 0) - Date.now()) < 60_000);
      assert.deepEqual(await storage.getDocument(key), created.document);

      const replaced = await storage.updateDocument(key, (current) => {
        assert.deepEqual(current, created.document);
        return put('<b/>');
      });
      assert.deepEqual(replaced.previous, created.document);
      assert.notEqual(replaced.document?.etag, created.document?.etag);
      assert.deepEqual(await storage.getDocument(key), replaced.document);

      const untouched = await storage.updateDocument(key, () => ({ mutation: { kind: 'none' }, result: 7 }));
      assert.equal(untouched.changed, false);
      assert.equal(untouched.result, 7);
      assert.deepEqual(untouched.document, replaced.document);

      const deleted = await storage.updateDocument(key, remove);
      assert.equal(deleted.changed, true);
      assert.equal(deleted.document, null);
      assert.deepEqual(deleted.previous, replaced.document);
      assert.equal(await storage.getDocument(key), null);
      const again = await storage.updateDocument(key, remove);
      assert.equal(again.changed, false);
      assert.equal(again.previous, null);
    });

    test('keeps documents apart by auid, tree, owner and path, and keeps text exactly', async () => {
      const keys = [
        docKey('k', 'sip:bob@example.com', 'a1'),
        docKey('k', 'sip:Bob@example.com', 'a1'),
        docKey('k', 'sip:bob@example.com', 'a2'),
        docKey('dir/k', 'sip:bob@example.com', 'a1'),
        docKey('k', '', 'a1'),
      ];
      const text = (i: number) => `<d n="${i}">é € 🙂 \t\r\n ${'<'.repeat(i)}</d>`;
      for (const [i, key] of keys.entries()) await storage.updateDocument(key, () => put(text(i)));
      for (const [i, key] of keys.entries()) assert.equal((await storage.getDocument(key))?.content, text(i));
    });

    test('a put of identical content writes nothing and keeps the etag and time', async () => {
      const key = docKey('same');
      const first = await storage.updateDocument(key, () => put('<same/>'));
      await sleep(5);
      const second = await storage.updateDocument(key, () => put('<same/>'));
      assert.equal(second.changed, false);
      assert.deepEqual(second.document, first.document);
      assert.deepEqual(await storage.getDocument(key), first.document);
    });

    test('every written version gets a new, larger etag counter, across delete and re-create', async () => {
      const key = docKey('etags');
      const etags: string[] = [];
      for (let round = 0; round < 3; round += 1) {
        for (let version = 0; version < 3; version += 1) {
          etags.push((await storage.updateDocument(key, () => put(`r${round} v${version}`))).document?.etag ?? '');
        }
        await storage.updateDocument(key, remove);
      }
      assert.equal(new Set(etags).size, etags.length);
      const counters = etags.map(counterOf);
      for (let i = 1; i < counters.length; i += 1) assert.ok((counters[i] ?? 0n) > (counters[i - 1] ?? 0n));
    });

    test('a throwing mutator writes nothing, its error propagates, and the storage stays usable', async () => {
      const key = docKey('throws');
      const kept = await storage.updateDocument(key, () => put('<kept/>'));
      const failure = new Error('mutator failed');
      await assert.rejects(
        storage.updateDocument(key, async (_current, tx) => {
          await tx.get(docKey('other'));
          throw failure;
        }),
        (error) => error === failure,
      );
      await assert.rejects(
        storage.updateDocument(docKey('throws-new'), () => {
          throw failure;
        }),
        (error) => error === failure,
      );
      assert.deepEqual(await storage.getDocument(key), kept.document);
      assert.equal(await storage.getDocument(docKey('throws-new')), null);
      assert.equal((await storage.updateDocument(key, () => put('<next/>'))).document?.content, '<next/>');
    });

    test('a malformed mutation is a TypeError and writes nothing', async () => {
      const key = docKey('malformed');
      await assert.rejects(
        storage.updateDocument(key, () => ({ mutation: { kind: 'replace' } as unknown as Mutation, result: null })),
        TypeError,
      );
      await assert.rejects(
        storage.updateDocument(key, () => ({ mutation: { kind: 'put', content: 5 } as unknown as Mutation, result: null })),
        TypeError,
      );
      assert.equal(await storage.getDocument(key), null);
    });

    test('tx.get reads inside the transaction; the transaction object dies with it', async () => {
      const other = docKey('tx-other');
      await storage.updateDocument(other, () => put('<other/>'));
      let saved: { get(key: DocumentKey): Promise<StoredDocument | null> } | null = null;
      await storage.updateDocument(docKey('tx-main'), async (_current, tx) => {
        saved = tx;
        return put(`copy of ${(await tx.get(other))?.content}`);
      });
      assert.equal((await storage.getDocument(docKey('tx-main')))?.content, 'copy of <other/>');
      assert.ok(saved);
      await assert.rejects((saved as { get(key: DocumentKey): Promise<unknown> }).get(other), /ended/);
    });

    test('unique claims: held per document, refused to others, re-claimable, released on rewrite and delete', async () => {
      const alice = docKey('index', 'sip:alice@example.com', 'rls-services');
      const bob = docKey('index', 'sip:bob@example.com', 'rls-services');
      const carol = docKey('index', 'sip:carol@example.com', 'rls-services');
      const claim = { scope: 'rls-service-uri', value: 'sip:friends@example.com' };
      const bobsOwn = { scope: 'rls-service-uri', value: 'sip:bob-list@example.com' };

      await storage.updateDocument(alice, () => put('<alice v="1"/>', [claim]));
      assert.equal((await storage.updateDocument(alice, () => put('<alice v="2"/>', [claim, claim]))).changed, true);
      await storage.updateDocument(bob, () => put('<bob v="1"/>', [bobsOwn]));
      const bobBefore = await storage.getDocument(bob);
      await assert.rejects(storage.updateDocument(bob, () => put('<bob v="2"/>', [bobsOwn, claim])), (error) => {
        assert.ok(error instanceof ClaimConflictError);
        assert.deepEqual(error.claim, claim);
        assert.deepEqual(error.holder, alice);
        return true;
      });
      assert.deepEqual(await storage.getDocument(bob), bobBefore, 'the refused write left bob untouched');

      await storage.updateDocument(bob, async (_current, tx) => {
        assert.deepEqual(await tx.findClaim(claim.scope, claim.value), alice);
        assert.equal(await tx.findClaim(bobsOwn.scope, bobsOwn.value), null, 'its own claim is no conflict');
        assert.equal(await tx.findClaim('rls-service-uri', 'sip:nobody@example.com'), null);
        return { mutation: { kind: 'none' }, result: null };
      });
      // Bob's claim survived his refused write.
      await assert.rejects(storage.updateDocument(carol, () => put('<carol/>', [bobsOwn])), ClaimConflictError);
      assert.equal(await storage.getDocument(carol), null);
      await storage.updateDocument(carol, () => put('<carol/>', [{ scope: 'another-scope', value: claim.value }]));

      await storage.updateDocument(alice, remove);
      assert.equal((await storage.updateDocument(bob, () => put('<bob v="3"/>', [claim]))).document?.content, '<bob v="3"/>');
      await storage.updateDocument(bob, () => put('<bob v="4"/>'));
      await storage.updateDocument(alice, () => put('<alice v="3"/>', [claim]));
    });

    test('120 concurrent read-modify-writes of one document all land exactly once', async () => {
      const key = docKey('concurrent');
      const count = 120;
      await Promise.all(
        Array.from({ length: count }, (_unused, i) =>
          storage.updateDocument(key, async (current) => {
            if (i % 2 === 0) await yieldToEventLoop();
            return put(`${current?.content ?? ''}line ${i}\n`);
          }),
        ),
      );
      const written = ((await storage.getDocument(key))?.content ?? '').split('\n').filter(Boolean);
      assert.equal(written.length, count);
      assert.deepEqual([...written].sort(), Array.from({ length: count }, (_unused, i) => `line ${i}`).sort());
    });

    test('reads during a pending write see the last committed version', async () => {
      const key = docKey('pending');
      await storage.updateDocument(key, () => put('<old/>'));
      let release: () => void = () => undefined;
      const gate = new Promise<void>((resolve) => {
        release = resolve;
      });
      const writing = storage.updateDocument(key, async () => {
        await gate;
        return put('<new/>');
      });
      await sleep(20);
      assert.equal((await storage.getDocument(key))?.content, '<old/>');
      release();
      await writing;
      assert.equal((await storage.getDocument(key))?.content, '<new/>');
    });

    test('lists documents by auid, tree and owner, in code point order, with UTF-8 sizes', async () => {
      const entries: [DocumentKey, string][] = [
        [docKey('b', 'sip:list-b@example.com', 'list-usage'), 'bb'],
        [docKey('a', 'sip:list-b@example.com', 'list-usage'), 'é'],
        [docKey('index', 'sip:List-a@example.com', 'list-usage'), '€€'],
        [docKey('index', 'sip:list-a@example.com', 'list-usage'), '🙂'],
        [docKey('index', 'sip:list-a@example.com', 'list-other'), 'x'],
        [docKey('index', '', 'list-usage'), 'global'],
      ];
      for (const [key, content] of entries) await storage.updateDocument(key, () => put(content));
      const rows = (await storage.listDocuments({ auid: 'list-usage' })).map((s) => [s.key.tree, s.key.owner, s.key.path, s.size]);
      // Code point order: 'L' (0x4c) before 'l' (0x6c), 'global' before 'users'.
      assert.deepEqual(rows, [
        ['global', '', 'index', 6],
        ['users', 'sip:List-a@example.com', 'index', 6],
        ['users', 'sip:list-a@example.com', 'index', 4],
        ['users', 'sip:list-b@example.com', 'a', 2],
        ['users', 'sip:list-b@example.com', 'b', 2],
      ]);
      const stored = await storage.getDocument(docKey('a', 'sip:list-b@example.com', 'list-usage'));
      const summary = (await storage.listDocuments({ owner: 'sip:list-b@example.com' })).find((s) => s.key.path === 'a');
      assert.equal(summary?.etag, stored?.etag);
      assert.equal(summary?.updatedAt, stored?.updatedAt);
      const names = async (query: Parameters<Storage['listDocuments']>[0]) =>
        (await storage.listDocuments(query)).map((s) => `${s.key.auid}|${s.key.owner}|${s.key.path}`);
      assert.deepEqual(await names({ owner: 'sip:list-a@example.com' }), ['list-other|sip:list-a@example.com|index', 'list-usage|sip:list-a@example.com|index']);
      assert.deepEqual(await names({ auid: 'list-usage', tree: 'global' }), ['list-usage||index']);
      assert.deepEqual(await names({ auid: 'list-usage', tree: 'users', owner: 'sip:list-b@example.com' }), [
        'list-usage|sip:list-b@example.com|a',
        'list-usage|sip:list-b@example.com|b',
      ]);
      assert.deepEqual(await names({ auid: 'nothing' }), []);
    });

    test('stores an 8 MB document', async () => {
      const key = docKey('large');
      const content = `<big>${'x€'.repeat(2 * 1024 * 1024)}</big>`;
      await storage.updateDocument(key, () => put(content));
      assert.equal((await storage.getDocument(key))?.content, content);
      const summary = (await storage.listDocuments({ auid: 'resource-lists', owner: 'sip:alice@example.com' })).find((s) => s.key.path === 'large');
      assert.equal(summary?.size, Buffer.byteLength(content));
      await storage.updateDocument(key, remove);
    });

    test('users: put, get, replace, list in id order, remove', async () => {
      const alice = user('u-alice@example.com');
      const bob = user('u-bob@example.com', { admin: true, realm: 'other.example' });
      assert.equal(await storage.getUser(alice.id), null);
      await storage.putUser(bob);
      await storage.putUser(alice);
      assert.deepEqual(await storage.getUser(alice.id), alice);
      assert.deepEqual((await storage.listUsers()).filter((u) => u.id.startsWith('u-')), [alice, bob]);
      const changed = { ...alice, ha1Md5: 'c'.repeat(32), admin: true };
      await storage.putUser(changed);
      assert.deepEqual(await storage.getUser(alice.id), changed);
      assert.equal(await storage.removeUser(alice.id), true);
      assert.equal(await storage.removeUser(alice.id), false);
      assert.deepEqual((await storage.listUsers()).filter((u) => u.id.startsWith('u-')), [bob]);
    });

    test('userSummary counts users and names at most two realms', async () => {
      const before = await storage.userSummary();
      await storage.putUser(user('s-one@example.com', { realm: 's-realm-1' }));
      const one = await storage.userSummary();
      assert.equal(one.count, before.count + 1);
      assert.ok(one.realms.length >= 1 && one.realms.length <= 2);
      await storage.putUser(user('s-two@example.com', { realm: 's-realm-2' }));
      await storage.putUser(user('s-three@example.com', { realm: 's-realm-3' }));
      const more = await storage.userSummary();
      assert.equal(more.count, before.count + 3);
      assert.equal(more.realms.length, 2);
      for (const id of ['s-one@example.com', 's-two@example.com', 's-three@example.com']) await storage.removeUser(id);
      assert.equal((await storage.userSummary()).count, before.count);
    });

    test('scans documents and users page by page in key order', async () => {
      assert.ok(storage.scanDocuments && storage.scanUsers);
      for (let i = 0; i < 7; i += 1) {
        await storage.updateDocument(docKey(`p${i}`, `sip:scan${i % 3}@example.com`, 'scan-usage'), () => put(`<p${i}/>`));
        await storage.putUser(user(`scan${i}@example.com`));
      }
      const documents: StoredDocument[] = [];
      let after: DocumentKey | undefined;
      for (let page = 0; page < 1000; page += 1) {
        const batch = await storage.scanDocuments(after === undefined ? { limit: 3 } : { after, limit: 3 });
        assert.ok(batch.length <= 3);
        if (batch.length === 0) break;
        documents.push(...batch);
        after = batch.at(-1)?.key;
      }
      const listed = await storage.listDocuments({});
      assert.deepEqual(
        documents.map((d) => d.key),
        listed.map((s) => s.key),
      );
      const scanned = documents.filter((d) => d.key.auid === 'scan-usage');
      assert.equal(scanned.length, 7);
      for (const document of scanned) assert.deepEqual(await storage.getDocument(document.key), document);

      const ids: string[] = [];
      let afterId: string | undefined;
      for (let page = 0; page < 1000; page += 1) {
        const batch = await storage.scanUsers(afterId === undefined ? { limit: 2 } : { after: afterId, limit: 2 });
        if (batch.length === 0) break;
        ids.push(...batch.map((u) => u.id));
        afterId = batch.at(-1)?.id;
      }
      assert.deepEqual(ids, (await storage.listUsers()).map((u) => u.id));
      await assert.rejects(storage.scanUsers({ limit: 0 }), RangeError);
    });

    test('restoreDocument writes content, etag and time as given, claims included, and later etags are larger', async () => {
      assert.ok(storage.restoreDocument);
      const key = docKey('index', 'sip:restored@example.com', 'rls-services');
      const restored: StoredDocument = { key, content: '<restored/>', etag: 'zzzz-0123abcd', updatedAt: 1_600_000_000_000 };
      const claim = { scope: 'rls-service-uri', value: 'sip:restored-list@example.com' };
      await storage.restoreDocument(restored, [claim]);
      assert.deepEqual(await storage.getDocument(key), restored);
      await assert.rejects(storage.updateDocument(docKey('index', 'sip:thief@example.com', 'rls-services'), () => put('<t/>', [claim])), ClaimConflictError);
      const next = await storage.updateDocument(docKey('after-restore'), () => put('<n/>'));
      assert.ok(counterOf(next.document?.etag) > counterOf('zzzz-0123abcd'));
      // An older tag restored later never moves the counter back.
      await storage.restoreDocument({ key: docKey('old-tag'), content: '<o/>', etag: '1-00000000', updatedAt: 1 }, []);
      const later = await storage.updateDocument(docKey('after-restore'), () => put('<n2/>'));
      assert.ok(counterOf(later.document?.etag) > counterOf(next.document?.etag));
      // A tag of a foreign shape is kept as it is.
      await storage.restoreDocument({ key: docKey('foreign'), content: '<f/>', etag: 'abc"def', updatedAt: 5 }, []);
      assert.equal((await storage.getDocument(docKey('foreign')))?.etag, 'abc"def');
      // Replacing a document also replaces its claims; a conflict writes nothing.
      await storage.restoreDocument({ ...restored, content: '<restored v="2"/>' }, []);
      await storage.updateDocument(docKey('index', 'sip:thief@example.com', 'rls-services'), () => put('<t/>', [claim]));
      await assert.rejects(storage.restoreDocument({ ...restored, content: '<v3/>' }, [claim]), ClaimConflictError);
      assert.equal((await storage.getDocument(key))?.content, '<restored v="2"/>');
    });

    test('close waits for running writes, is idempotent, and later calls reject', async () => {
      const own = await backend.open();
      try {
        const key = docKey('closing');
        const writing = own.storage.updateDocument(key, async () => {
          await sleep(20);
          return put('<done/>');
        });
        await sleep(5);
        const closed = own.storage.close();
        assert.equal((await writing).document?.content, '<done/>');
        await closed;
        await own.storage.close();
        await assert.rejects(own.storage.getDocument(key), /is closed/);
        await assert.rejects(own.storage.updateDocument(key, () => put('<late/>')), /is closed/);
        await assert.rejects(own.storage.listDocuments({}), /is closed/);
        await assert.rejects(own.storage.getUser('x'), /is closed/);
        await assert.rejects(own.storage.listUsers(), /is closed/);
      } finally {
        await own.storage.close();
        await own.dispose();
      }
    });
  });
}
