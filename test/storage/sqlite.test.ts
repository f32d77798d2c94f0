import { describe, test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { fork } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import Database from 'better-sqlite3';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { SqliteStorage } from '../../src/storage/sqlite.js';
import { sqliteMigrations } from '../../src/storage/sqlite-migrations.js';
import { ClaimConflictError } from '../../src/storage/types.js';
import type { DocumentKey, Mutation, StoredDocument, UserRecord } from '../../src/storage/types.js';

const repoRoot = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');

let tmpDir = '';
let fileCounter = 0;
/** A fresh database file path in the test's temp dir. */
function freshFile(): string {
  fileCounter += 1;
  return path.join(tmpDir, `db-${fileCounter}.sqlite`);
}

before(() => {
  tmpDir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-sqlite-test-'));
});
after(() => {
  fs.rmSync(tmpDir, { recursive: true, force: true });
});

function docKey(pathName: string, owner = 'sip:alice@example.com', auid = 'resource-lists'): DocumentKey {
  return { auid, tree: owner === '' ? 'global' : 'users', owner, path: pathName };
}

function put(content: string, claims?: { scope: string; value: string }[]): { mutation: Mutation; result: null } {
  return { mutation: claims === undefined ? { kind: 'put', content } : { kind: 'put', content, claims }, result: null };
}

/** Appends one line to the document (creating it), a read-modify-write. */
async function appendLine(storage: SqliteStorage, key: DocumentKey, line: string, slow = false): Promise<void> {
  await storage.updateDocument(key, async (current) => {
    if (slow) await yieldToEventLoop();
    return put(`${current?.content ?? ''}${line}\n`);
  });
}

function lines(doc: StoredDocument | null): string[] {
  return (doc?.content ?? '').split('\n').filter((line) => line !== '');
}

/** How often consecutive lines switch between writers (by their first word). */
function writerSwitches(written: string[]): number {
  let switches = 0;
  for (let i = 1; i < written.length; i += 1) {
    if (written[i]?.split(' ')[0] !== written[i - 1]?.split(' ')[0]) switches += 1;
  }
  return switches;
}

/** The counter part of an etag, which must only ever grow. */
function etagCounter(etag: string): number {
  const match = /^([0-9a-z]+)-[0-9a-f]{8}$/.exec(etag);
  assert.ok(match, `unexpected etag shape ${etag}`);
  return parseInt(match[1] ?? '', 36);
}

describe('SqliteStorage documents', { timeout: 20_000 }, () => {
  let storage: SqliteStorage;
  before(async () => {
    storage = await openSqliteStorage({ file: freshFile() });
  });
  after(async () => {
    await storage.close();
  });

  test('creates, reads, replaces and deletes a document', async () => {
    const key = docKey('index');
    assert.equal(await storage.getDocument(key), null);

    const created = await storage.updateDocument(key, (current) => {
      assert.equal(current, null);
      return { mutation: { kind: 'put', content: '<a/>' }, result: 'made' };
    });
    assert.equal(created.result, 'made');
    assert.equal(created.changed, true);
    assert.equal(created.previous, null);
    assert.equal(created.document?.content, '<a/>');
    assert.deepEqual(created.document?.key, key);
    assert.ok(Math.abs((created.document?.updatedAt ?? 0) - Date.now()) < 60_000);
    assert.deepEqual(await storage.getDocument(key), created.document);

    const replaced = await storage.updateDocument(key, (current) => {
      assert.deepEqual(current, created.document);
      return put('<b/>');
    });
    assert.equal(replaced.changed, true);
    assert.deepEqual(replaced.previous, created.document);
    assert.equal(replaced.document?.content, '<b/>');
    assert.notEqual(replaced.document?.etag, created.document?.etag);
    assert.deepEqual(await storage.getDocument(key), replaced.document);

    const unchanged = await storage.updateDocument(key, () => ({ mutation: { kind: 'none' }, result: 42 }));
    assert.equal(unchanged.result, 42);
    assert.equal(unchanged.changed, false);
    assert.deepEqual(unchanged.document, replaced.document);

    const deleted = await storage.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
    assert.equal(deleted.changed, true);
    assert.equal(deleted.document, null);
    assert.deepEqual(deleted.previous, replaced.document);
    assert.equal(await storage.getDocument(key), null);

    const deletedAgain = await storage.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
    assert.equal(deletedAgain.changed, false);
    assert.equal(deletedAgain.previous, null);
  });

  test('keeps documents apart by auid, tree, owner and path', async () => {
    const keys = [
      docKey('k', 'sip:bob@example.com', 'a1'),
      docKey('k', 'sip:carol@example.com', 'a1'),
      docKey('k', 'sip:bob@example.com', 'a2'),
      docKey('k2', 'sip:bob@example.com', 'a1'),
      docKey('k', '', 'a1'),
    ];
    for (const [index, key] of keys.entries()) await storage.updateDocument(key, () => put(`doc ${index}`));
    for (const [index, key] of keys.entries()) assert.equal((await storage.getDocument(key))?.content, `doc ${index}`);
  });

  test('writes nothing for a put of identical content', async () => {
    const key = docKey('same');
    const first = await storage.updateDocument(key, () => put('<same/>'));
    await sleep(5);
    const second = await storage.updateDocument(key, () => put('<same/>'));
    assert.equal(second.changed, false);
    assert.deepEqual(second.document, first.document);
    assert.deepEqual(await storage.getDocument(key), first.document);
  });

  test('gives every written version a new etag, across delete and re-create', async () => {
    const key = docKey('etags');
    const etags: string[] = [];
    for (let round = 0; round < 5; round += 1) {
      for (let version = 0; version < 4; version += 1) {
        const { document } = await storage.updateDocument(key, () => put(`round ${round} version ${version}`));
        assert.ok(document);
        etags.push(document.etag);
      }
      await storage.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
    }
    assert.equal(new Set(etags).size, etags.length);
    const counters = etags.map(etagCounter);
    for (let i = 1; i < counters.length; i += 1) assert.ok((counters[i] ?? 0) > (counters[i - 1] ?? 0));
  });

  test('a throwing mutator writes nothing and its error propagates', async () => {
    const key = docKey('throws');
    const before = await storage.updateDocument(key, () => put('<kept/>'));
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
    assert.deepEqual(await storage.getDocument(key), before.document);
    assert.equal(await storage.getDocument(docKey('throws-new')), null);
    // The connection is not left inside a transaction.
    const after = await storage.updateDocument(key, () => put('<next/>'));
    assert.equal(after.document?.content, '<next/>');
  });

  test('rejects a malformed mutation without writing', async () => {
    const key = docKey('malformed');
    await assert.rejects(
      storage.updateDocument(key, () => ({ mutation: { kind: 'replace' } as unknown as Mutation, result: null })),
      TypeError,
    );
    assert.equal(await storage.getDocument(key), null);
  });

  test('tx.get reads inside the transaction; tx is unusable once it ends', async () => {
    const other = docKey('tx-other');
    await storage.updateDocument(other, () => put('<other/>'));
    let saved: { get(key: DocumentKey): Promise<StoredDocument | null> } | null = null;
    await storage.updateDocument(docKey('tx-main'), async (_current, tx) => {
      saved = tx;
      const seen = await tx.get(other);
      return put(`copy of ${seen?.content}`);
    });
    assert.equal((await storage.getDocument(docKey('tx-main')))?.content, 'copy of <other/>');
    assert.ok(saved);
    await assert.rejects((saved as { get(key: DocumentKey): Promise<unknown> }).get(other), /ended/);
  });

  test('unique claims conflict between documents, are re-claimable by their holder and released on delete', async () => {
    const alice = docKey('rls', 'sip:alice@example.com', 'rls-services');
    const bob = docKey('rls', 'sip:bob@example.com', 'rls-services');
    const claim = { scope: 'rls-service-uri', value: 'sip:friends@example.com' };

    await storage.updateDocument(alice, () => put('<alice v="1"/>', [claim]));
    const again = await storage.updateDocument(alice, () => put('<alice v="2"/>', [claim, claim]));
    assert.equal(again.changed, true);

    await storage.updateDocument(bob, () => put('<bob v="1"/>', [{ scope: 'rls-service-uri', value: 'sip:bob-list@example.com' }]));
    const bobBefore = await storage.getDocument(bob);
    await assert.rejects(
      storage.updateDocument(bob, () => put('<bob v="2"/>', [claim])),
      (error) => {
        assert.ok(error instanceof ClaimConflictError);
        assert.deepEqual(error.claim, claim);
        assert.deepEqual(error.holder, alice);
        return true;
      },
    );
    assert.deepEqual(await storage.getDocument(bob), bobBefore, 'the failed write left bob untouched');

    // Seen from inside each document's own transaction.
    await storage.updateDocument(bob, async (_current, tx) => {
      assert.deepEqual(await tx.findClaim(claim.scope, claim.value), alice);
      assert.equal(await tx.findClaim('rls-service-uri', 'sip:bob-list@example.com'), null, 'own claim ignored');
      assert.equal(await tx.findClaim('rls-service-uri', 'sip:nobody@example.com'), null);
      return { mutation: { kind: 'none' }, result: null };
    });
    await storage.updateDocument(alice, async (_current, tx) => {
      assert.equal(await tx.findClaim(claim.scope, claim.value), null);
      return { mutation: { kind: 'none' }, result: null };
    });

    // Bob's old claim survived his failed write; a third document cannot take it.
    const carol = docKey('rls', 'sip:carol@example.com', 'rls-services');
    await assert.rejects(
      storage.updateDocument(carol, () => put('<carol/>', [{ scope: 'rls-service-uri', value: 'sip:bob-list@example.com' }])),
      ClaimConflictError,
    );
    assert.equal(await storage.getDocument(carol), null);

    // The same value in another scope is no conflict.
    await storage.updateDocument(carol, () => put('<carol/>', [{ scope: 'other-scope', value: claim.value }]));

    await storage.updateDocument(alice, () => ({ mutation: { kind: 'delete' }, result: null }));
    const taken = await storage.updateDocument(bob, () => put('<bob v="3"/>', [claim]));
    assert.equal(taken.document?.content, '<bob v="3"/>');

    // Rewriting without a claim releases it.
    await storage.updateDocument(bob, () => put('<bob v="4"/>'));
    await storage.updateDocument(alice, () => put('<alice v="3"/>', [claim]));
  });

  test('200 concurrent read-modify-writes on one document all land exactly once', async () => {
    const key = docKey('concurrent');
    const count = 200;
    await Promise.all(
      Array.from({ length: count }, (_unused, i) => appendLine(storage, key, `line ${i}`, i % 2 === 0)),
    );
    const written = lines(await storage.getDocument(key));
    assert.equal(written.length, count);
    assert.deepEqual(
      [...written].sort(),
      Array.from({ length: count }, (_unused, i) => `line ${i}`).sort(),
    );
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
    await sleep(5);
    assert.equal((await storage.getDocument(key))?.content, '<old/>');
    release();
    await writing;
    assert.equal((await storage.getDocument(key))?.content, '<new/>');
  });

  test('lists documents filtered by auid, tree and owner, in key order, with UTF-8 sizes', async () => {
    const list = await openSqliteStorage({ file: ':memory:' });
    try {
      const entries: [DocumentKey, string][] = [
        [docKey('b', 'sip:bob@example.com', 'pres-rules'), 'bb'],
        [docKey('a', 'sip:bob@example.com', 'pres-rules'), 'é'],
        [docKey('index', 'sip:alice@example.com', 'pres-rules'), '€€'],
        [docKey('index', 'sip:alice@example.com', 'resource-lists'), '🙂'],
        [docKey('index', '', 'resource-lists'), 'global'],
      ];
      for (const [key, content] of entries) await list.updateDocument(key, () => put(content));

      const all = await list.listDocuments({});
      assert.deepEqual(
        all.map((summary) => [summary.key.auid, summary.key.tree, summary.key.owner, summary.key.path, summary.size]),
        [
          ['pres-rules', 'users', 'sip:alice@example.com', 'index', 6],
          ['pres-rules', 'users', 'sip:bob@example.com', 'a', 2],
          ['pres-rules', 'users', 'sip:bob@example.com', 'b', 2],
          ['resource-lists', 'global', '', 'index', 6],
          ['resource-lists', 'users', 'sip:alice@example.com', 'index', 4],
        ],
      );
      const stored = await list.getDocument(docKey('a', 'sip:bob@example.com', 'pres-rules'));
      const summaryOfA = all[1];
      assert.equal(summaryOfA?.etag, stored?.etag);
      assert.equal(summaryOfA?.updatedAt, stored?.updatedAt);

      const paths = async (query: Parameters<SqliteStorage['listDocuments']>[0]) =>
        (await list.listDocuments(query)).map((summary) => `${summary.key.auid}|${summary.key.owner}|${summary.key.path}`);
      assert.deepEqual(await paths({ auid: 'pres-rules', owner: 'sip:bob@example.com' }), [
        'pres-rules|sip:bob@example.com|a',
        'pres-rules|sip:bob@example.com|b',
      ]);
      assert.deepEqual(await paths({ owner: 'sip:alice@example.com' }), [
        'pres-rules|sip:alice@example.com|index',
        'resource-lists|sip:alice@example.com|index',
      ]);
      assert.deepEqual(await paths({ tree: 'global' }), ['resource-lists||index']);
      assert.deepEqual(await paths({ auid: 'resource-lists', tree: 'users' }), ['resource-lists|sip:alice@example.com|index']);
      assert.deepEqual(await paths({ auid: 'nothing' }), []);
    } finally {
      await list.close();
    }
  });

  test('stores a 16 MB document', async () => {
    const key = docKey('large');
    const content = `<big>${'x'.repeat(16 * 1024 * 1024)}</big>`;
    const written = await storage.updateDocument(key, () => put(content));
    assert.equal(written.document?.content.length, content.length);
    const read = await storage.getDocument(key);
    assert.equal(read?.content, content);
    const summary = (await storage.listDocuments({ auid: 'resource-lists', owner: 'sip:alice@example.com' })).find(
      (entry) => entry.key.path === 'large',
    );
    assert.equal(summary?.size, content.length);
    await storage.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
  });
});

describe('SqliteStorage users', () => {
  test('puts, gets, replaces, lists and removes users', async () => {
    const storage = await openSqliteStorage({ file: freshFile() });
    try {
      const alice: UserRecord = {
        id: 'alice@example.com',
        realm: 'example.com',
        ha1Md5: 'a'.repeat(32),
        ha1Sha256: 'b'.repeat(64),
        admin: false,
        createdAt: 1_700_000_000_000,
      };
      const bob: UserRecord = { ...alice, id: 'bob@example.com', admin: true };
      assert.equal(await storage.getUser(alice.id), null);
      await storage.putUser(bob);
      await storage.putUser(alice);
      assert.deepEqual(await storage.getUser(alice.id), alice);
      assert.deepEqual(await storage.listUsers(), [alice, bob]);

      const changed = { ...alice, ha1Md5: 'c'.repeat(32), admin: true };
      await storage.putUser(changed);
      assert.deepEqual(await storage.getUser(alice.id), changed);

      assert.equal(await storage.removeUser(alice.id), true);
      assert.equal(await storage.removeUser(alice.id), false);
      assert.equal(await storage.getUser(alice.id), null);
      assert.deepEqual(await storage.listUsers(), [bob]);
    } finally {
      await storage.close();
    }
  });
});

describe('SqliteStorage files, migrations and lifecycle', () => {
  test('creates the parent directory, uses WAL and records migrations', async () => {
    const file = path.join(tmpDir, 'nested', 'deeper', 'xcapd.sqlite');
    const storage = await openSqliteStorage({ file });
    assert.equal(storage.description, `sqlite:${file}`);
    await storage.close();
    assert.ok(fs.existsSync(file));

    const raw = new Database(file, { readonly: true });
    try {
      assert.equal(raw.pragma('journal_mode', { simple: true }), 'wal');
      const rows = raw.prepare('SELECT version, applied_at FROM schema_migrations ORDER BY version').all() as {
        version: number;
        applied_at: number;
      }[];
      assert.deepEqual(
        rows.map((row) => row.version),
        sqliteMigrations.map((migration) => migration.version),
      );
      for (const row of rows) assert.ok(Math.abs(row.applied_at - Date.now()) < 60_000);
      const tables = (raw.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[])
        .map((row) => row.name)
        .sort();
      assert.deepEqual(tables, ['documents', 'etag_counter', 'schema_migrations', 'unique_claims', 'users']);
    } finally {
      raw.close();
    }
  });

  test('reopening keeps documents, users and the etag sequence', async () => {
    const file = freshFile();
    const key = docKey('persist');
    const first = await openSqliteStorage({ file });
    const written = await first.updateDocument(key, () => put('<persist/>'));
    await first.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
    const recreated = await first.updateDocument(key, () => put('<persist/>'));
    await first.putUser({
      id: 'u@example.com',
      realm: 'example.com',
      ha1Md5: '0'.repeat(32),
      ha1Sha256: '1'.repeat(64),
      admin: false,
      createdAt: 1,
    });
    await first.close();

    const second = await openSqliteStorage({ file });
    try {
      assert.deepEqual(await second.getDocument(key), recreated.document);
      assert.equal((await second.getUser('u@example.com'))?.realm, 'example.com');
      const afterReopen = await second.updateDocument(key, () => put('<persist v="2"/>'));
      const etags = [written.document?.etag, recreated.document?.etag, afterReopen.document?.etag].map(String);
      assert.equal(new Set(etags).size, 3);
      assert.ok(etagCounter(etags[2] ?? '') > etagCounter(etags[1] ?? ''));
      assert.ok(etagCounter(etags[1] ?? '') > etagCounter(etags[0] ?? ''));
      const migrations = new Database(file, { readonly: true });
      try {
        const count = migrations.prepare('SELECT COUNT(*) AS n FROM schema_migrations').get() as { n: number };
        assert.equal(count.n, sqliteMigrations.length, 'no migration applied twice');
      } finally {
        migrations.close();
      }
    } finally {
      await second.close();
    }
  });

  test('refuses a database made by a newer version', async () => {
    const file = freshFile();
    await (await openSqliteStorage({ file })).close();
    const raw = new Database(file);
    raw.prepare('INSERT INTO schema_migrations (version, applied_at) VALUES (?, ?)').run(sqliteMigrations.length + 1, Date.now());
    raw.close();
    await assert.rejects(openSqliteStorage({ file }), /schema is at version \d+, newer than this xcapd supports/);
  });

  test('opens read-only: reads work, writes are refused', async () => {
    const file = freshFile();
    const writer = await openSqliteStorage({ file });
    await writer.updateDocument(docKey('ro'), () => put('<ro/>'));
    const reader = await openSqliteStorage({ file, readonly: true });
    try {
      assert.equal((await reader.getDocument(docKey('ro')))?.content, '<ro/>');
      await assert.rejects(reader.updateDocument(docKey('ro'), () => put('<no/>')), /read-only/);
      await assert.rejects(reader.removeUser('x'), /read-only/);
    } finally {
      await reader.close();
      await writer.close();
    }
    await assert.rejects(openSqliteStorage({ file: path.join(tmpDir, 'missing.sqlite'), readonly: true }));
  });

  test('close lets queued writes finish, is idempotent, and later calls reject', async () => {
    const storage = await openSqliteStorage({ file: ':memory:' });
    const key = docKey('closing');
    const writing = storage.updateDocument(key, async () => {
      await sleep(5);
      return put('<done/>');
    });
    const closed = storage.close();
    assert.equal((await writing).document?.content, '<done/>');
    await closed;
    await storage.close();
    await assert.rejects(storage.getDocument(key), /is closed/);
    await assert.rejects(storage.updateDocument(key, () => put('<late/>')), /is closed/);
    await assert.rejects(storage.listDocuments({}), /is closed/);
    await assert.rejects(storage.getUser('x'), /is closed/);
    await assert.rejects(storage.listUsers(), /is closed/);
  });
});

// A locking regression shows up as a hang; the timeout turns it into a failure.
describe('SqliteStorage with several connections on one file', { timeout: 20_000 }, () => {
  test('two instances in one process doing read-modify-writes lose no update', async () => {
    const file = freshFile();
    const first = await openSqliteStorage({ file });
    const second = await openSqliteStorage({ file });
    try {
      const key = docKey('shared');
      const perWriter = 60;
      const writer = async (storage: SqliteStorage, label: string) => {
        for (let i = 0; i < perWriter; i += 1) {
          await appendLine(storage, key, `${label} ${i}`, true);
          // Leaves the lock free now and then, so the connections really take turns.
          await sleep(1);
        }
      };
      // Two writers per instance also overlap inside each instance's queue.
      await Promise.all([writer(first, 'a'), writer(second, 'b'), writer(first, 'c'), writer(second, 'd')]);
      const written = lines(await first.getDocument(key));
      const connectionOf = written.map((line) => (line.startsWith('a ') || line.startsWith('c ') ? 'first' : 'second'));
      assert.ok(writerSwitches(connectionOf) >= 2, 'the two connections interleaved their writes');
      assert.equal(written.length, 4 * perWriter);
      for (const label of ['a', 'b', 'c', 'd']) {
        assert.deepEqual(
          written.filter((line) => line.startsWith(`${label} `)),
          Array.from({ length: perWriter }, (_unused, i) => `${label} ${i}`),
        );
      }
      assert.deepEqual(await second.getDocument(key), await first.getDocument(key));
    } finally {
      await first.close();
      await second.close();
    }
  });

  test('a writer waiting for another connection gives up after its busy timeout without blocking the process', async () => {
    const file = freshFile();
    const waiter = await openSqliteStorage({ file, busyTimeoutMs: 150 });
    // Another process's write transaction, held open (xcapd's own writes hold it only while writing).
    const holder = new Database(file);
    try {
      holder.exec('BEGIN IMMEDIATE');
      holder.prepare("INSERT INTO users (id, realm, ha1_md5, ha1_sha256, admin, created_at) VALUES ('x@example.com', 'r', '', '', 0, 0)").run();
      const started = Date.now();
      let ticks = 0;
      const ticker = setInterval(() => {
        ticks += 1;
      }, 10);
      await assert.rejects(waiter.updateDocument(docKey('other'), () => put('<waiter/>')), /stayed locked/);
      clearInterval(ticker);
      const waited = Date.now() - started;
      assert.ok(waited >= 140 && waited < 2000, `waited ${waited} ms`);
      assert.ok(ticks >= 5, `the event loop kept running (${ticks} ticks)`);
      // Reads are not blocked by the other connection's write lock.
      assert.equal(await waiter.getDocument(docKey('other')), null);
      holder.exec('COMMIT');
      const retried = await waiter.updateDocument(docKey('other'), () => put('<waiter/>'));
      assert.equal(retried.changed, true);
    } finally {
      if (holder.inTransaction) holder.exec('ROLLBACK');
      holder.close();
      await waiter.close();
    }
  });

  test('a child process and this process doing read-modify-writes lose no update', { timeout: 15_000 }, async () => {
    const file = freshFile();
    const script = path.join(tmpDir, 'sqlite-writer.mts');
    const storageModule = pathToFileURL(path.join(repoRoot, 'src/storage/sqlite.ts')).href;
    fs.writeFileSync(
      script,
      `import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import { openSqliteStorage } from ${JSON.stringify(storageModule)};
const [file, label, count] = process.argv.slice(2);
const storage = await openSqliteStorage({ file });
const key = { auid: 'resource-lists', tree: 'users', owner: 'sip:alice@example.com', path: 'cross-process' };
process.send?.('ready');
await new Promise((resolve) => process.once('message', resolve));
for (let i = 0; i < Number(count); i += 1) {
  await storage.updateDocument(key, async (current) => {
    await yieldToEventLoop();
    return { mutation: { kind: 'put', content: (current?.content ?? '') + label + ' ' + i + '\\n' }, result: null };
  });
  await new Promise((resolve) => setTimeout(resolve, 2));
}
await storage.close();
process.disconnect?.();
`,
    );

    const perWriter = 60;
    const storage = await openSqliteStorage({ file });
    const child = fork(script, [file, 'child', String(perWriter)], {
      cwd: repoRoot,
      execArgv: ['--import', 'tsx'],
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
    });
    const killTimer = setTimeout(() => child.kill('SIGKILL'), 12_000);
    try {
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      await new Promise<void>((resolve, reject) => {
        child.once('message', () => resolve());
        child.once('exit', (code) => reject(new Error(`child exited early with ${code}: ${stderr}`)));
      });
      child.send('go');
      for (let i = 0; i < perWriter; i += 1) {
        await appendLine(storage, docKey('cross-process'), `parent ${i}`, true);
        await sleep(2);
      }
      assert.equal(await exited, 0, `child failed: ${stderr}`);

      const written = lines(await storage.getDocument(docKey('cross-process')));
      assert.equal(written.length, 2 * perWriter);
      assert.ok(writerSwitches(written) >= 2, 'the two processes interleaved their writes');
      for (const label of ['parent', 'child']) {
        assert.deepEqual(
          written.filter((line) => line.startsWith(`${label} `)),
          Array.from({ length: perWriter }, (_unused, i) => `${label} ${i}`),
        );
      }
    } finally {
      clearTimeout(killTimer);
      if (child.exitCode === null) child.kill('SIGKILL');
      await storage.close();
    }
  });
});

describe('SqliteStorage writes while another connection writes', { timeout: 20_000 }, () => {
  test('a mutator whose document another connection changed meanwhile runs again on the new version', async () => {
    const file = freshFile();
    const mine = await openSqliteStorage({ file });
    const theirs = await openSqliteStorage({ file });
    try {
      const key = docKey('optimistic');
      await mine.updateDocument(key, () => put('<a>0</a>'));
      const seen: string[] = [];
      const result = await mine.updateDocument(key, async (current) => {
        seen.push(current?.content ?? '');
        // The other connection writes while this mutator works, outside any lock of ours.
        if (seen.length === 1) await theirs.updateDocument(key, () => put('<a>theirs</a>'));
        return put(`${current?.content}+mine`);
      });
      assert.deepEqual(seen, ['<a>0</a>', '<a>theirs</a>']);
      assert.equal(result.document?.content, '<a>theirs</a>+mine');
      assert.equal(result.previous?.content, '<a>theirs</a>');
      assert.equal((await theirs.getDocument(key))?.content, '<a>theirs</a>+mine');
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  test('a change to a document the mutator read with tx.get makes it run again', async () => {
    const file = freshFile();
    const mine = await openSqliteStorage({ file });
    const theirs = await openSqliteStorage({ file });
    try {
      const shared = docKey('shared');
      await mine.updateDocument(shared, () => put('<s>1</s>'));
      let rounds = 0;
      const result = await mine.updateDocument(docKey('derived'), async (_current, tx) => {
        rounds++;
        const source = await tx.get(shared);
        if (rounds === 1) await theirs.updateDocument(shared, () => put('<s>2</s>'));
        return put(`copy of ${source?.content}`);
      });
      assert.equal(rounds, 2);
      assert.equal(result.document?.content, 'copy of <s>2</s>');
    } finally {
      await mine.close();
      await theirs.close();
    }
  });

  test('a write that keeps losing the race finally runs under the lock and lands', async () => {
    const file = freshFile();
    const mine = await openSqliteStorage({ file });
    const theirs = await openSqliteStorage({ file });
    try {
      const key = docKey('contended');
      let rounds = 0;
      const result = await mine.updateDocument(key, async (current) => {
        rounds++;
        // Only while this mutator runs outside the lock can the other connection get in.
        if (rounds <= 3) await theirs.updateDocument(key, () => put(`<t>${rounds}</t>`));
        return put(`${current?.content ?? ''}+mine`);
      });
      assert.equal(rounds, 4);
      assert.equal(result.document?.content, '<t>3</t>+mine');
    } finally {
      await mine.close();
      await theirs.close();
    }
  });
});

describe('SqliteStorage updateDocument with a likely-current copy', () => {
  test('a stale copy only costs a second round on the real current version', async () => {
    const storage = await openSqliteStorage({ file: freshFile() });
    try {
      const key = docKey('hinted');
      const first = await storage.updateDocument(key, () => put('<v>1</v>'));
      await storage.updateDocument(key, () => put('<v>2</v>'));
      const seen: string[] = [];
      const result = await storage.updateDocument(
        key,
        (current) => {
          seen.push(current?.content ?? '');
          return put(`${current?.content}+`);
        },
        { likelyCurrent: first.document! },
      );
      assert.deepEqual(seen, ['<v>1</v>', '<v>2</v>']);
      assert.equal(result.document?.content, '<v>2</v>+');
      assert.equal(result.previous?.content, '<v>2</v>');
    } finally {
      await storage.close();
    }
  });

  test('a refusal made on a stale copy is not final: the mutator runs again on the current version', async () => {
    const storage = await openSqliteStorage({ file: freshFile() });
    try {
      const key = docKey('hinted-refusal');
      const first = await storage.updateDocument(key, () => put('<list/>'));
      await storage.updateDocument(key, () => put('<list><entry/></list>'));
      const result = await storage.updateDocument(
        key,
        (current) => {
          if (!current?.content.includes('<entry/>')) throw new Error('no such entry');
          return put('<list/>');
        },
        { likelyCurrent: first.document! },
      );
      assert.equal(result.document?.content, '<list/>');
      // A refusal on the current version stands.
      await assert.rejects(
        storage.updateDocument(key, (current) => {
          if (!current?.content.includes('<entry/>')) throw new Error('no such entry');
          return put('<list/>');
        }),
        /no such entry/,
      );
    } finally {
      await storage.close();
    }
  });
});
