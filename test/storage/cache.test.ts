/**
 * The document cache in front of each backend: what it serves is always what the
 * database holds, whichever connection (worker process, node, or this process past
 * the cache) wrote it; it stays within its memory bound; and it saves reads.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { CachingStorage } from '../../src/storage/cache.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { DocumentKey, Mutation, Storage } from '../../src/storage/types.js';
import { createTestDatabase } from '../helpers/postgres.js';

interface SharedDatabase {
  /** Two independent connections to one database: two workers, or two nodes. */
  readonly first: Storage;
  readonly second: Storage;
  dispose(): Promise<void>;
}

const backends: { name: string; open(): Promise<SharedDatabase> }[] = [
  {
    name: 'SQLite',
    async open() {
      const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-cache-'));
      const file = path.join(dir, 'db.sqlite');
      const first = await openSqliteStorage({ file });
      const second = await openSqliteStorage({ file });
      return {
        first,
        second,
        async dispose() {
          await second.close();
          await first.close().catch(() => undefined);
          fs.rmSync(dir, { recursive: true, force: true });
        },
      };
    },
  },
  {
    name: 'PostgreSQL',
    async open() {
      const database = await createTestDatabase('cache');
      const first = await openPostgresStorage({ url: database.url, poolSize: 2 });
      const second = await openPostgresStorage({ url: database.url, poolSize: 2 });
      return {
        first,
        second,
        async dispose() {
          await second.close();
          await first.close().catch(() => undefined);
          await database.drop();
        },
      };
    },
  },
];

/** Runs `body` with a cache of `maxBytes` in front of the first of two fresh connections. */
async function withCache(
  backend: { open(): Promise<SharedDatabase> },
  maxBytes: number,
  body: (db: SharedDatabase, cache: CachingStorage, maxBytes: number) => Promise<void>,
): Promise<void> {
  const db = await backend.open();
  try {
    await body(db, new CachingStorage(db.first, { maxBytes }), maxBytes);
  } finally {
    await db.dispose();
  }
}

const KEY: DocumentKey = { auid: 'resource-lists', tree: 'users', owner: 'sip:alice@example.com', path: 'index' };

function put(content: string): () => { mutation: Mutation; result: null } {
  return () => ({ mutation: { kind: 'put', content }, result: null });
}

for (const backend of backends) {
  describe(`document cache on ${backend.name}`, () => {
    test('a write through another connection is seen by the very next read', () =>
      withCache(backend, 1 << 20, async (db, cache) => {
        await cache.updateDocument(KEY, put('<a>1</a>'));
        assert.equal((await cache.getDocument(KEY))?.content, '<a>1</a>');
        for (let i = 2; i <= 20; i++) {
          const written = await db.second.updateDocument(KEY, put(`<a>${i}</a>`));
          const seen = await cache.getDocument(KEY);
          assert.equal(seen?.content, `<a>${i}</a>`);
          assert.equal(seen?.etag, written.document?.etag);
        }
        await db.second.updateDocument(KEY, () => ({ mutation: { kind: 'delete' }, result: null }));
        assert.equal(await cache.getDocument(KEY), null);
      }));

    test('a write through the same connection, past the cache, is seen too', () =>
      withCache(backend, 1 << 20, async (db, cache) => {
        await cache.updateDocument(KEY, put('<a>cached</a>'));
        assert.equal((await cache.getDocument(KEY))?.content, '<a>cached</a>');
        await db.first.updateDocument(KEY, put('<a>direct</a>'));
        assert.equal((await cache.getDocument(KEY))?.content, '<a>direct</a>');
      }));

    test('repeated reads of an unchanged document come from memory', () =>
      withCache(backend, 1 << 20, async (db, cache) => {
        const written = await cache.updateDocument(KEY, put('<a>same</a>'));
        for (let i = 0; i < 50; i++) assert.equal((await cache.getDocument(KEY))?.etag, written.document?.etag);
        const stats = cache.stats();
        assert.equal(stats.misses, 0, 'the write filled the cache');
        if (backend.name === 'SQLite') {
          // The change token proves nothing changed: not even the entity tag is read again.
          assert.equal(stats.hits, 50);
        } else {
          // No such token on PostgreSQL: each read asks for the entity tag, not the content.
          assert.equal(stats.revalidated, 50);
        }
      }));

    test('a document read only once is not kept; read twice, it is', () =>
      withCache(backend, 1 << 20, async (db, cache) => {
        await db.first.updateDocument(KEY, put('<a>once</a>'));
        assert.equal((await cache.getDocument(KEY))?.content, '<a>once</a>');
        assert.equal(cache.stats().entries, 0);
        assert.equal((await cache.getDocument(KEY))?.content, '<a>once</a>');
        assert.equal(cache.stats().entries, 1);
        await db.second.updateDocument(KEY, put('<a>changed</a>'));
        assert.equal((await cache.getDocument(KEY))?.content, '<a>changed</a>');
      }));

    test('memory stays within the bound; evicted documents are read again', () =>
      withCache(backend, 64 * 1024, async (db, cache, maxBytes) => {
        const body = 'x'.repeat(4000);
        for (let i = 0; i < 40; i++) await cache.updateDocument({ ...KEY, path: `doc${i}` }, put(`<a>${i}${body}</a>`));
        assert.ok(cache.stats().bytes <= maxBytes, `${cache.stats().bytes} bytes cached`);
        assert.ok(cache.stats().entries < 40);
        for (let i = 0; i < 40; i++) {
          assert.equal((await cache.getDocument({ ...KEY, path: `doc${i}` }))?.content, `<a>${i}${body}</a>`);
        }
      }));

    test('a document read again only after more others than the cache holds is not kept; one read again soon is', () =>
      // Room for about 300 documents of ~1 KB, so the cache remembers about that many once-read keys.
      withCache(backend, 300 * (2 * 1000 + 256), async (db, cache) => {
        const body = 'y'.repeat(1000);
        const key = (i: number): DocumentKey => ({ ...KEY, path: `spread${i}` });
        for (let i = 0; i < 1200; i++) await db.first.updateDocument(key(i), put(`<a>${body}</a>`));
        // Each read 1,200 reads after the last: it would be gone again before its next read.
        for (let pass = 0; pass < 2; pass++) for (let i = 0; i < 1200; i++) await cache.getDocument(key(i));
        assert.equal(cache.stats().entries, 0, 'none of them was kept');
        // Read again 50 reads later: kept, and then answered from memory.
        for (let pass = 0; pass < 3; pass++) for (let i = 0; i < 50; i++) await cache.getDocument(key(i));
        assert.equal(cache.stats().entries, 50);
        assert.equal(cache.stats().hits + cache.stats().revalidated, 50);
      }));

    test('a failed write leaves the cached copy right', () =>
      withCache(backend, 1 << 20, async (db, cache) => {
        await cache.updateDocument(KEY, put('<a>before</a>'));
        await assert.rejects(
          cache.updateDocument(KEY, () => {
            throw new Error('refused by the mutator');
          }),
          /refused by the mutator/,
        );
        assert.equal((await cache.getDocument(KEY))?.content, '<a>before</a>');
      }));
  });
}
