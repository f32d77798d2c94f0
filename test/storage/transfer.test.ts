import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough, Readable } from 'node:stream';
import { claimsFromUsages } from '../../src/cli/data-commands.js';
import { sameKey } from '../../src/storage/backend-helpers.js';
import { openPostgresStorage } from '../../src/storage/postgres.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { exportStorage, importStorage, ImportError } from '../../src/storage/transfer.js';
import { ClaimConflictError } from '../../src/storage/types.js';
import type { DocumentKey, Storage, StoredDocument, UserRecord } from '../../src/storage/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const RLS = (uri: string) =>
  `<?xml version="1.0" encoding="UTF-8"?>\n<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="urn:ietf:params:xml:ns:resource-lists">` +
  `<service uri="${uri}"><list name="l"><rl:entry uri="sip:bob@example.com"/></list><packages><package>presence</package></packages></service></rls-services>`;

function key(auid: string, owner: string, pathName = 'index'): DocumentKey {
  return { auid, tree: owner === '' ? 'global' : 'users', owner, path: pathName };
}

async function exportToText(storage: Storage): Promise<string> {
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (chunk: Buffer) => chunks.push(chunk));
  await exportStorage(storage, out);
  out.end();
  return Buffer.concat(chunks).toString('utf8');
}

async function everything(storage: Storage): Promise<{ users: UserRecord[]; documents: StoredDocument[] }> {
  const documents: StoredDocument[] = [];
  for (const summary of await storage.listDocuments({})) {
    const document = await storage.getDocument(summary.key);
    if (document) documents.push(document);
  }
  return { users: await storage.listUsers(), documents };
}

const claimsFor = claimsFromUsages();

describe('export and import', { timeout: 60_000 }, () => {
  let dir: string;
  let database: TestDatabase;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-transfer-'));
    database = await createTestDatabase('transfer');
  });
  after(async () => {
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('SQLite → PostgreSQL → SQLite keeps every user and document, etags, times and claims', async () => {
    const source = await openSqliteStorage({ file: path.join(dir, 'source.sqlite') });
    const users: UserRecord[] = [
      { id: 'alice@example.com', realm: 'example.com', ha1Md5: '1'.repeat(32), ha1Sha256: '2'.repeat(64), admin: false, createdAt: 1_600_000_000_000 },
      { id: 'root@example.org', realm: 'example.org', ha1Md5: '3'.repeat(32), ha1Sha256: '4'.repeat(64), admin: true, createdAt: 1_600_000_000_001 },
    ];
    for (const user of users) await source.putUser(user);
    const contents: [DocumentKey, string][] = [
      [key('resource-lists', 'sip:alice@example.com'), '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="é€🙂"/></resource-lists>'],
      [key('resource-lists', 'sip:alice@example.com', 'dir/other.xml'), `<x>${'line\r\n\t"quoted"\\'.repeat(5000)}</x>`],
      [key('rls-services', 'sip:alice@example.com'), RLS('sip:alice-friends@example.com')],
      [key('pres-rules', ''), '<global/>'],
    ];
    for (let i = 0; i < 230; i += 1) contents.push([key('resource-lists', `sip:user${String(i).padStart(3, '0')}@example.com`), `<d n="${i}"/>`]);
    for (const [k, content] of contents) {
      await source.updateDocument(k, () => ({ mutation: { kind: 'put', content, claims: claimsFor({ key: k, content, etag: 'x', updatedAt: 0 }) }, result: null }));
    }
    const original = await everything(source);
    const file = path.join(dir, 'export.jsonl');
    fs.writeFileSync(file, await exportToText(source));
    await source.close();

    const lines = fs.readFileSync(file, 'utf8').trimEnd().split('\n');
    assert.equal(lines.length, 1 + users.length + contents.length + 1);
    assert.deepEqual(Object.keys(JSON.parse(lines[0] ?? '{}')), ['format', 'version', 'createdAt', 'source']);
    assert.deepEqual(JSON.parse(lines.at(-1) ?? '{}'), { type: 'end', users: 2, documents: contents.length });

    const middle = await openPostgresStorage({ url: database.url });
    const imported = await importStorage(middle, fs.createReadStream(file), { claimsFor });
    assert.deepEqual(imported, { users: 2, documents: contents.length });
    assert.deepEqual(await everything(middle), original);
    // Claims came along: the service URI is still taken on the new server.
    await assert.rejects(
      middle.updateDocument(key('rls-services', 'sip:bob@example.com'), () => ({
        mutation: { kind: 'put', content: '<x/>', claims: [{ scope: 'rls-services:service-uri', value: 'sip:alice-friends@example.com' }] },
        result: null,
      })),
      ClaimConflictError,
    );
    // New versions get larger etag counters than anything imported.
    const written = await middle.updateDocument(contents[0]![0], () => ({ mutation: { kind: 'put', content: '<changed/>' }, result: null }));
    const counter = (etag: string) => parseInt(etag.split('-')[0] ?? '', 36);
    assert.ok(Math.max(...original.documents.map((d) => counter(d.etag))) < counter(written.document?.etag ?? ''));
    const again = await exportToText(middle);
    await middle.close();

    const back = await openSqliteStorage({ file: path.join(dir, 'back.sqlite') });
    await importStorage(back, Readable.from([again]), { claimsFor });
    const result = await everything(back);
    assert.deepEqual(result.users, original.users);
    const changed = written.document!;
    assert.deepEqual(result.documents, original.documents.map((d) => (sameKey(d.key, changed.key) ? changed : d)));
    await back.close();
  });

  test('refuses a non-empty database unless told to replace, and then overwrites', async () => {
    const target = await openSqliteStorage({ file: path.join(dir, 'replace.sqlite') });
    const k = key('resource-lists', 'sip:carol@example.com');
    await target.updateDocument(k, () => ({ mutation: { kind: 'put', content: '<old/>' }, result: null }));
    await target.updateDocument(key('resource-lists', 'sip:kept@example.com'), () => ({ mutation: { kind: 'put', content: '<kept/>' }, result: null }));
    const file = [
      JSON.stringify({ format: 'xcapd-export', version: 1 }),
      JSON.stringify({ type: 'document', ...k, etag: '5-abcdef01', updatedAt: 42, content: '<new/>' }),
      JSON.stringify({ type: 'end', users: 0, documents: 1 }),
      '',
    ].join('\n');
    await assert.rejects(importStorage(target, Readable.from([file]), { claimsFor }), /is not empty; .* --replace/);
    assert.equal((await target.getDocument(k))?.content, '<old/>');
    await importStorage(target, Readable.from([file]), { claimsFor, replace: true });
    assert.deepEqual(await target.getDocument(k), { key: k, content: '<new/>', etag: '5-abcdef01', updatedAt: 42 });
    assert.equal((await target.getDocument(key('resource-lists', 'sip:kept@example.com')))?.content, '<kept/>');
    await target.close();
  });

  test('says what is wrong with a damaged file, and where', async () => {
    const header = JSON.stringify({ format: 'xcapd-export', version: 1 });
    const user = JSON.stringify({ type: 'user', id: 'u@example.com', realm: 'example.com', ha1Md5: 'a', ha1Sha256: 'b', admin: false, createdAt: 1 });
    const cases: [string, RegExp][] = [
      ['', /the file is empty/],
      ['{"format":"something-else"}\n', /line 1: not an xcapd export/],
      ['{"format":"xcapd-export","version":9}\n', /line 1: export format version 9 is newer/],
      [`${header}\n${user}\n`, /ends without its "end" line: it was cut off \(1 users/],
      [`${header}\n{"type":"user","id":"x"}\n`, /line 2: realm must be a string/],
      [`${header}\nnot json\n`, /line 2: not a JSON object/],
      [`${header}\n{"type":"document","auid":"a","tree":"elsewhere","owner":"","path":"p","etag":"e","updatedAt":1,"content":""}\n`, /line 2: tree must be "users" or "global"/],
      [`${header}\n{"type":"mystery"}\n`, /line 2: unknown record type "mystery"/],
      [`${header}\n{"type":"end","users":3,"documents":0}\n`, /line 2: the file announces 3 users and 0 documents but holds 0 and 0/],
      [`${header}\n{"type":"end","users":0,"documents":0}\n${user}\n`, /line 3: nothing may follow the "end" line/],
    ];
    for (const [text, expected] of cases) {
      const target = await openSqliteStorage({ file: ':memory:' });
      await assert.rejects(importStorage(target, Readable.from([text]), { claimsFor }), (error: Error) => {
        assert.ok(error instanceof ImportError, String(error));
        assert.match(error.message, expected);
        return true;
      });
      await target.close();
    }
  });

  test('reads the storage a page at a time, never all at once', async () => {
    const storage = await openSqliteStorage({ file: ':memory:' });
    for (let i = 0; i < 250; i += 1) {
      await storage.updateDocument(key('resource-lists', `sip:p${i}@example.com`), () => ({ mutation: { kind: 'put', content: `<p${i}/>` }, result: null }));
    }
    const pages: number[] = [];
    const watched = new Proxy(storage, {
      get(target, property, receiver) {
        if (property === 'listDocuments' || property === 'listUsers') return () => assert.fail(`export called ${String(property)}`);
        if (property === 'scanDocuments') {
          return async (options: Parameters<NonNullable<Storage['scanDocuments']>>[0]) => {
            const page = await target.scanDocuments(options);
            pages.push(page.length);
            return page;
          };
        }
        const value: unknown = Reflect.get(target, property, receiver);
        return typeof value === 'function' ? (value as (...args: unknown[]) => unknown).bind(target) : value;
      },
    });
    const text = await exportToText(watched);
    assert.deepEqual(pages, [100, 100, 50]);
    assert.equal(text.trimEnd().split('\n').length, 252);
    await storage.close();
  });
});
