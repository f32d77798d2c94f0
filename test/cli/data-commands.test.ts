import { after, before, describe, test, type TestContext } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command, Option } from 'commander';
import { registerDataCommands } from '../../src/cli/data-commands.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { openStorage } from '../../src/storage/open.js';
import type { Storage } from '../../src/storage/types.js';
import { createTestDatabase, type TestDatabase } from '../helpers/postgres.js';

const CLI = path.join(import.meta.dirname, '../../src/cli/xcapd.ts');

/** The data commands on a program of their own, so they run in this process. */
async function run(t: TestContext, args: string[]): Promise<string[]> {
  const messages: string[] = [];
  t.mock.method(console, 'error', (message: string) => messages.push(message));
  t.mock.method(console, 'log', (message: string) => messages.push(message));
  const program = new Command('xcapd').exitOverride();
  registerDataCommands(program, {
    withStorage: async <T>(flags: { database?: string }, body: (storage: Storage, config: ServerConfig) => Promise<T>) => {
      const config = { ...DEFAULT_CONFIG, database: flags.database ?? DEFAULT_CONFIG.database };
      const storage = await openStorage(config.database);
      try {
        return await body(storage, config);
      } finally {
        await storage.close();
      }
    },
    databaseOption: () => new Option('--database <url>'),
    configOption: () => new Option('--config <file>'),
  });
  try {
    await program.parseAsync(args, { from: 'user' });
  } finally {
    t.mock.restoreAll();
  }
  return messages;
}

describe('xcapd migrate, export and import', { timeout: 60_000 }, () => {
  let dir: string;
  let database: TestDatabase;
  before(async () => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), 'xcapd-data-cli-'));
    database = await createTestDatabase('cli');
  });
  after(async () => {
    await database.drop();
    fs.rmSync(dir, { recursive: true, force: true });
  });

  test('xcapd migrate creates a PostgreSQL schema and says so', () => {
    const stdout = execFileSync(process.execPath, ['--import', 'tsx', CLI, 'migrate', '--database', database.url], { encoding: 'utf8', timeout: 30_000 });
    assert.match(stdout, /^postgres:\/\/postgres@127\.0\.0\.1:5432\/xcapd_test_cli_[0-9a-f]+: the schema is up to date \(1 migration applied now\)\n$/);
  });

  test('export to a file, import into PostgreSQL, refuse a second import unless --replace', async (t) => {
    const source = path.join(dir, 'source.sqlite');
    const storage = await openStorage(source);
    await storage.putUser({ id: 'alice@example.com', realm: 'example.com', ha1Md5: 'a'.repeat(32), ha1Sha256: 'b'.repeat(64), admin: false, createdAt: 5 });
    const key = { auid: 'resource-lists', tree: 'users', owner: 'sip:alice@example.com', path: 'index' } as const;
    const written = await storage.updateDocument(key, () => ({ mutation: { kind: 'put', content: '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>' }, result: null }));
    await storage.close();

    const file = path.join(dir, 'backup.jsonl');
    assert.deepEqual(await run(t, ['export', '--database', source, '-o', file]), [`exported 1 users and 1 documents from sqlite:${source} to ${file}`]);
    assert.deepEqual(fs.readdirSync(dir).filter((name) => name.includes('partial')), []);

    assert.match((await run(t, ['import', file, '--database', database.url]))[0] ?? '', /^imported 1 users and 1 documents into postgres:\/\//);
    await assert.rejects(run(t, ['import', file, '--database', database.url]), /is not empty; import into an empty database, or pass --replace/);
    await run(t, ['import', file, '--database', database.url, '--replace']);

    const target = await openStorage(database.url);
    try {
      assert.deepEqual(await target.getDocument(key), written.document);
      assert.equal((await target.getUser('alice@example.com'))?.createdAt, 5);
    } finally {
      await target.close();
    }
  });

  test('a failed export leaves no file behind', async (t) => {
    const file = path.join(dir, 'no-such-dir', 'backup.jsonl');
    await assert.rejects(run(t, ['export', '--database', path.join(dir, 'empty.sqlite'), '-o', file]), /ENOENT/);
    assert.equal(fs.existsSync(path.dirname(file)), false);
    const existing = path.join(dir, 'exists.jsonl');
    fs.writeFileSync(existing, 'keep me');
    await run(t, ['export', '--database', path.join(dir, 'empty.sqlite'), '-o', existing]);
    assert.match(fs.readFileSync(existing, 'utf8'), /^\{"format":"xcapd-export"/, 'an existing file is replaced whole');
  });
});
