/**
 * What only the PostgreSQL backend does: migrations under an advisory lock, several
 * instances (nodes) on one database, NOTIFY of changes, the pool. The behaviour it
 * shares with SQLite is checked in backends.test.ts.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { setImmediate as yieldToEventLoop, setTimeout as sleep } from 'node:timers/promises';
import postgres from 'postgres';
import { etagCounter } from '../../src/storage/backend-helpers.js';
import { postgresMigrations } from '../../src/storage/postgres-migrations.js';
import { describePostgresUrl, openPostgresStorage, type PostgresStorage } from '../../src/storage/postgres.js';
import { ClaimConflictError } from '../../src/storage/types.js';
import type { DocumentKey, ExternalChange, Mutation } from '../../src/storage/types.js';
import { createTestDatabase, withAdminConnection, type TestDatabase } from '../helpers/postgres.js';

function docKey(pathName: string, owner = 'sip:alice@example.com', auid = 'resource-lists'): DocumentKey {
  return { auid, tree: 'users', owner, path: pathName };
}

function put(content: string, claims?: { scope: string; value: string }[]): { mutation: Mutation; result: null } {
  return { mutation: claims === undefined ? { kind: 'put', content } : { kind: 'put', content, claims }, result: null };
}

async function appendLine(storage: PostgresStorage, key: DocumentKey, line: string): Promise<string> {
  const { document } = await storage.updateDocument(key, async (current) => {
    await yieldToEventLoop();
    return put(`${current?.content ?? ''}${line}\n`);
  });
  return document?.etag ?? '';
}

/** Waits (bounded) until `check` holds. */
async function eventually(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

describe('PostgreSQL migrations', { timeout: 30_000 }, () => {
  test('applies every migration once, even when four nodes open a new database at the same moment', async () => {
    const database = await createTestDatabase('migrate');
    try {
      const nodes = await Promise.all(Array.from({ length: 4 }, () => openPostgresStorage({ url: database.url, poolSize: 2 })));
      assert.deepEqual(
        nodes.map((n) => n.migrationsApplied).sort(),
        [0, 0, 0, postgresMigrations.length],
        'exactly one node migrated; the others waited for its lock and found nothing to do',
      );
      await Promise.all(nodes.map((n) => n.close()));
      const reopened = await openPostgresStorage({ url: database.url });
      assert.equal(reopened.migrationsApplied, 0);
      await reopened.close();
      const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
      try {
        const rows = await sql<{ version: number; applied_at: string }[]>`SELECT version, applied_at FROM schema_migrations ORDER BY version`;
        assert.deepEqual(rows.map((r) => r.version), postgresMigrations.map((m) => m.version));
        for (const row of rows) assert.ok(Math.abs(Number(row.applied_at) - Date.now()) < 60_000);
        const tables = await sql<{ name: string }[]>`
          SELECT table_name AS name FROM information_schema.tables WHERE table_schema = 'public' ORDER BY table_name`;
        assert.deepEqual(tables.map((t) => t.name), ['documents', 'schema_migrations', 'unique_claims', 'users']);
        const [sequence] = await sql<{ cache_size: string }[]>`SELECT cache_size::text FROM pg_sequences WHERE sequencename = 'etag_counter'`;
        assert.equal(sequence?.cache_size, '1');
      } finally {
        await sql.end();
      }
    } finally {
      await database.drop();
    }
  });

  test('with migrate: false, an unmigrated database is refused; a newer schema always is', async () => {
    const database = await createTestDatabase('migrate_off');
    try {
      await assert.rejects(openPostgresStorage({ url: database.url, migrate: false }), /not up to date .* run "xcapd migrate" first/);
      await (await openPostgresStorage({ url: database.url })).close();
      const current = await openPostgresStorage({ url: database.url, migrate: false });
      assert.equal(current.migrationsApplied, 0);
      await current.close();

      const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
      await sql`INSERT INTO schema_migrations (version, description, applied_at) VALUES (${postgresMigrations.length + 1}, 'future', 0)`;
      await sql.end();
      await assert.rejects(openPostgresStorage({ url: database.url }), /schema is at version \d+, newer than this xcapd supports/);
    } finally {
      await database.drop();
    }
  });

  test('names the database without its password, and checks its options', async () => {
    assert.equal(describePostgresUrl('postgres://xcapd:s3cret@db.example.com:5433/xcap?sslmode=require'), 'postgres://xcapd@db.example.com:5433/xcap');
    assert.equal(describePostgresUrl('postgresql://db/xcap'), 'postgresql://db/xcap');
    await assert.rejects(openPostgresStorage({ url: 'postgres://127.0.0.1/x', poolSize: 0 }), RangeError);
    await assert.rejects(openPostgresStorage({ url: 'mysql://127.0.0.1/x' }), /not a PostgreSQL URL/);
  });
});

describe('several PostgreSQL storages (nodes) on one database', { timeout: 30_000 }, () => {
  let database: TestDatabase;
  let first: PostgresStorage;
  let second: PostgresStorage;
  before(async () => {
    database = await createTestDatabase('nodes');
    first = await openPostgresStorage({ url: database.url, poolSize: 4 });
    second = await openPostgresStorage({ url: database.url, poolSize: 4 });
  });
  after(async () => {
    await first.close();
    await second.close();
    await database.drop();
  });

  test('read-modify-writes through both lose no update, and each writer sees its etag counters grow', async () => {
    const key = docKey('shared');
    const perWriter = 40;
    const writer = async (storage: PostgresStorage, label: string) => {
      const counters: bigint[] = [];
      for (let i = 0; i < perWriter; i += 1) counters.push(etagCounter(await appendLine(storage, key, `${label} ${i}`)) ?? -1n);
      return counters;
    };
    const runs = await Promise.all([writer(first, 'a'), writer(second, 'b'), writer(first, 'c'), writer(second, 'd')]);
    for (const counters of runs) {
      for (let i = 1; i < counters.length; i += 1) assert.ok((counters[i] ?? 0n) > (counters[i - 1] ?? 0n), 'etags never go backwards');
    }
    const written = ((await first.getDocument(key))?.content ?? '').split('\n').filter(Boolean);
    assert.equal(written.length, 4 * perWriter);
    for (const label of ['a', 'b', 'c', 'd']) {
      assert.deepEqual(
        written.filter((line) => line.startsWith(`${label} `)),
        Array.from({ length: perWriter }, (_unused, i) => `${label} ${i}`),
      );
    }
    const firstAndSecond = written.map((line) => (line.startsWith('a ') || line.startsWith('c ') ? 1 : 2));
    assert.ok(firstAndSecond.some((node, i) => i > 0 && node !== firstAndSecond[i - 1]), 'the nodes interleaved');
    assert.deepEqual(await second.getDocument(key), await first.getDocument(key));
  });

  test('two nodes claiming one value at the same moment: exactly one wins, every time', async () => {
    for (let round = 0; round < 15; round += 1) {
      const claim = { scope: 'rls-service-uri', value: `sip:race-${round}@example.com` };
      const alice = docKey('index', `sip:alice-${round}@example.com`, 'rls-services');
      const bob = docKey('index', `sip:bob-${round}@example.com`, 'rls-services');
      // Both transactions hold their document locks before either inserts its claim.
      let arrived = 0;
      const bothInside = async () => {
        arrived += 1;
        while (arrived < 2) await sleep(1);
      };
      const outcomes = await Promise.allSettled([
        first.updateDocument(alice, async () => {
          await bothInside();
          return put('<alice/>', [claim]);
        }),
        second.updateDocument(bob, async () => {
          await bothInside();
          return put('<bob/>', [claim]);
        }),
      ]);
      const won = outcomes.filter((o) => o.status === 'fulfilled');
      const lost = outcomes.filter((o): o is PromiseRejectedResult => o.status === 'rejected');
      assert.equal(won.length, 1, `round ${round}: one winner`);
      assert.ok(lost[0]?.reason instanceof ClaimConflictError, `round ${round}: the loser gets a ClaimConflictError, not ${String(lost[0]?.reason)}`);
      const winner = outcomes[0]?.status === 'fulfilled' ? alice : bob;
      const loser = winner === alice ? bob : alice;
      assert.deepEqual((lost[0].reason as ClaimConflictError).holder, winner);
      assert.equal(await first.getDocument(loser), null, 'the loser wrote nothing');
    }
  });

  test('a node hears the other node\'s commits (key and new etag), not its own, and not rolled-back writes', async () => {
    const heard: ExternalChange[] = [];
    const heardBySecond: ExternalChange[] = [];
    const stop = first.onExternalChange((change) => heard.push(change));
    const stopSecond = second.onExternalChange((change) => heardBySecond.push(change));
    await first.listeningReady();
    await second.listeningReady();

    const key = docKey('announced');
    const written = await second.updateDocument(key, () => put('<v1/>'));
    await eventually(() => heard.length >= 1, 'the NOTIFY of a put');
    assert.deepEqual(heard[0], { key, etag: written.document?.etag });

    await assert.rejects(
      second.updateDocument(key, () => {
        throw new Error('rolled back');
      }),
    );
    await second.updateDocument(key, () => put('<v1/>'));
    await second.updateDocument(key, () => ({ mutation: { kind: 'delete' }, result: null }));
    await eventually(() => heard.length >= 2, 'the NOTIFY of a delete');
    assert.deepEqual(heard[1], { key, etag: null }, 'neither the rolled-back write nor the identical put was announced');

    await first.updateDocument(docKey('from-first'), () => put('<f/>'));
    await eventually(() => heardBySecond.length >= 1, 'the second node hearing the first');
    assert.equal(heardBySecond.filter((c) => c.key?.path === 'announced').length, 0, 'a node does not hear itself');
    assert.equal(heard.filter((c) => c.key?.path === 'from-first').length, 0, 'a node does not hear itself');

    stop();
    stopSecond();
    await second.updateDocument(docKey('after-unsubscribe'), () => put('<u/>'));
    await sleep(100);
    assert.equal(heard.length, 2, 'an unsubscribed listener hears nothing more');
  });

  test('a key too long for a NOTIFY payload is announced as "anything may have changed"', async () => {
    const heard: ExternalChange[] = [];
    const stop = first.onExternalChange((change) => heard.push(change));
    await first.listeningReady();
    await second.updateDocument(docKey(`long/${'x'.repeat(9000)}`), () => put('<long/>'));
    await eventually(() => heard.length >= 1, 'the NOTIFY');
    assert.deepEqual(heard[0], { key: null, etag: null });
    stop();
  });
});

test('the pool never opens more connections than its size', { timeout: 30_000 }, async () => {
  const database = await createTestDatabase('pool');
  const storage = await openPostgresStorage({ url: database.url, poolSize: 2 });
  try {
    let release: () => void = () => undefined;
    const gate = new Promise<void>((resolve) => {
      release = resolve;
    });
    const writes = Array.from({ length: 8 }, (_unused, i) =>
      storage.updateDocument(docKey(`pool-${i}`), async () => {
        await gate;
        return put('<p/>');
      }),
    );
    await sleep(100);
    const [row] = await withAdminConnection(
      (sql) => sql<{ n: number }[]>`SELECT count(*)::int AS n FROM pg_stat_activity WHERE datname = ${database.name} AND application_name = 'xcapd'`,
    );
    assert.equal(row?.n, 2);
    release();
    await Promise.all(writes);
    assert.equal((await storage.listDocuments({})).length, 8);
  } finally {
    await storage.close();
    await database.drop();
  }
});
