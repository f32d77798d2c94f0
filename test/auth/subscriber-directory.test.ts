/**
 * xcapd authenticating against a Kamailio-style `subscriber` table (and an
 * OpenSIPS-style one) in PostgreSQL and in MariaDB, over real HTTP with Digest and
 * Basic.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import mysql from 'mysql2/promise';
import { pino } from 'pino';
import postgres from 'postgres';
import { DigestClientSession } from '../../src/auth/digest-client.js';
import type { DigestAlgorithm } from '../../src/auth/digest-hash.js';
import {
  openSubscriberDirectory,
  parseSubscriberColumns,
  SubscriberDirectoryError,
  subscriberOptionsFromConfig,
  type SubscriberDirectory,
} from '../../src/auth/subscriber-directory.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { startXcapServer, type RunningServer } from '../../src/http/server.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { Storage } from '../../src/storage/types.js';
import { createTestMysqlDatabase } from '../helpers/mariadb.js';
import { createTestDatabase } from '../helpers/postgres.js';
import { basic, rawRequest } from '../helpers/xcapd.js';

const md5 = (text: string) => createHash('md5').update(text).digest('hex');
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Rows as `kamctl add` writes them: clear password and both hashes, or hashes only, or the password only. */
const SUBSCRIBERS: { username: string; password: string; ha1: string; ha1b: string }[] = [
  { username: 'alice', password: 'alice-pw', ha1: md5('alice:example.com:alice-pw'), ha1b: md5('alice@example.com:example.com:alice-pw') },
  { username: 'bob', password: '', ha1: md5('bob:example.com:bob-pw'), ha1b: md5('bob@example.com:example.com:bob-pw') },
  { username: 'carol', password: 'carol-pw', ha1: '', ha1b: '' },
  { username: 'admin', password: '', ha1: md5('admin:example.com:admin-pw'), ha1b: '' },
];

const LIST = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="l"/></resource-lists>\n';
const docPath = (user: string) => `/xcap-root/resource-lists/users/sip:${user}@example.com/index`;

interface Backend {
  readonly name: string;
  /** A fresh database holding Kamailio's subscriber table with SUBSCRIBERS; returns its URL. */
  create(): Promise<{ url: string; drop(): Promise<void> }>;
}

const backends: Backend[] = [
  {
    name: 'PostgreSQL',
    async create() {
      const database = await createTestDatabase('subscriber');
      const sql = postgres(database.url, { max: 1, onnotice: () => undefined });
      try {
        // Kamailio's own DDL for PostgreSQL (auth_db), column names and all.
        await sql.unsafe(`CREATE TABLE subscriber (
          id SERIAL PRIMARY KEY NOT NULL,
          username VARCHAR(64) DEFAULT '' NOT NULL,
          domain VARCHAR(64) DEFAULT '' NOT NULL,
          password VARCHAR(64) DEFAULT '' NOT NULL,
          ha1 VARCHAR(128) DEFAULT '' NOT NULL,
          ha1b VARCHAR(128) DEFAULT '' NOT NULL,
          CONSTRAINT subscriber_account_idx UNIQUE (username, domain))`);
        for (const s of SUBSCRIBERS) {
          await sql`INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (${s.username}, 'example.com', ${s.password}, ${s.ha1}, ${s.ha1b})`;
        }
        // OpenSIPS 3 keeps a SHA-256 HA1 beside the MD5 one and no ha1b.
        await sql.unsafe(`CREATE TABLE opensips_subscriber (
          id SERIAL PRIMARY KEY NOT NULL, username VARCHAR(64) DEFAULT '' NOT NULL, domain VARCHAR(64) DEFAULT '' NOT NULL,
          password VARCHAR(25) DEFAULT '' NOT NULL, ha1 VARCHAR(64) DEFAULT '' NOT NULL, ha1_sha256 VARCHAR(64) DEFAULT '' NOT NULL,
          ha1_sha512t256 VARCHAR(64) DEFAULT '' NOT NULL)`);
        await sql`INSERT INTO opensips_subscriber (username, domain, ha1, ha1_sha256)
                  VALUES ('dave', 'example.com', ${md5('dave:example.com:dave-pw')}, ${sha256('dave:example.com:dave-pw')})`;
        // Someone else's names for everything.
        await sql.unsafe(`CREATE SCHEMA voip; CREATE TABLE voip.accounts (login text, realm_domain text, secret_hash text)`);
        await sql`INSERT INTO voip.accounts VALUES ('erin', 'example.com', ${md5('erin:example.com:erin-pw')})`;
      } finally {
        await sql.end();
      }
      return database;
    },
  },
  {
    name: 'MariaDB',
    async create() {
      const database = await createTestMysqlDatabase('subscriber');
      const connection = await mysql.createConnection({ uri: database.url, multipleStatements: true });
      try {
        // Kamailio's own DDL for MySQL (auth_db).
        await connection.query(`CREATE TABLE subscriber (
          id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL,
          username VARCHAR(64) DEFAULT '' NOT NULL,
          domain VARCHAR(64) DEFAULT '' NOT NULL,
          password VARCHAR(64) DEFAULT '' NOT NULL,
          ha1 VARCHAR(128) DEFAULT '' NOT NULL,
          ha1b VARCHAR(128) DEFAULT '' NOT NULL,
          CONSTRAINT account_idx UNIQUE (username, domain)) ENGINE=InnoDB`);
        for (const s of SUBSCRIBERS) {
          await connection.execute('INSERT INTO subscriber (username, domain, password, ha1, ha1b) VALUES (?, ?, ?, ?, ?)', [s.username, 'example.com', s.password, s.ha1, s.ha1b]);
        }
        await connection.query(`CREATE TABLE opensips_subscriber (
          id INT(10) UNSIGNED AUTO_INCREMENT PRIMARY KEY NOT NULL, username CHAR(64) DEFAULT '' NOT NULL, domain CHAR(64) DEFAULT '' NOT NULL,
          password CHAR(25) DEFAULT '' NOT NULL, ha1 CHAR(64) DEFAULT '' NOT NULL, ha1_sha256 CHAR(64) DEFAULT '' NOT NULL,
          ha1_sha512t256 CHAR(64) DEFAULT '' NOT NULL) ENGINE=InnoDB`);
        await connection.execute('INSERT INTO opensips_subscriber (username, domain, ha1, ha1_sha256) VALUES (?, ?, ?, ?)', [
          'dave',
          'example.com',
          md5('dave:example.com:dave-pw'),
          sha256('dave:example.com:dave-pw'),
        ]);
        await connection.query('CREATE TABLE accounts (login VARCHAR(64), realm_domain VARCHAR(64), secret_hash VARCHAR(64))');
        await connection.execute('INSERT INTO accounts VALUES (?, ?, ?)', ['erin', 'example.com', md5('erin:example.com:erin-pw')]);
      } finally {
        await connection.end();
      }
      return database;
    },
  },
];

/** One request signed with Digest: the first try collects the challenge, the second answers it. */
async function digestGet(
  origin: string,
  path: string,
  username: string,
  password: string,
  algorithm: DigestAlgorithm,
): Promise<{ status: number; offered: string[] }> {
  const first = await rawRequest(origin, { path });
  assert.equal(first.status, 401);
  const challenges = first.headersDistinct['www-authenticate'] ?? [];
  const offered = challenges.map((c) => /algorithm=([A-Za-z0-9-]+)/.exec(c)?.[1] ?? '?');
  if (!offered.includes(algorithm)) return { status: 0, offered };
  const session = new DigestClientSession(challenges, { username, password }, { preference: [algorithm] });
  const second = await rawRequest(origin, { path, headers: { Authorization: session.authorize('GET', path) } });
  return { status: second.status, offered };
}

function configFor(url: string, overrides: Partial<ServerConfig>): ServerConfig {
  return { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', logLevel: 'silent', userDatabase: url, userAdmins: ['admin@example.com'], ...overrides };
}

for (const backend of backends) {
  describe(`users from a ${backend.name} subscriber table`, { timeout: 60_000 }, () => {
    let database: { url: string; drop(): Promise<void> };
    let storage: Storage;
    const running: { server: RunningServer; directory: SubscriberDirectory }[] = [];

    /** An xcapd whose users are the table's. */
    async function serve(overrides: Partial<ServerConfig>): Promise<RunningServer> {
      const config = configFor(database.url, overrides);
      const directory = await openSubscriberDirectory(subscriberOptionsFromConfig(config));
      const server = await startXcapServer({ config, storage, logger: pino({ level: 'silent' }), users: directory });
      running.push({ server, directory });
      return server;
    }

    before(async () => {
      database = await backend.create();
      storage = await openSqliteStorage({ file: ':memory:' });
      for (const user of ['alice', 'bob', 'carol']) {
        const key = { auid: 'resource-lists', tree: 'users', owner: `sip:${user}@example.com`, path: 'index' } as const;
        await storage.updateDocument(key, () => ({ mutation: { kind: 'put', content: LIST }, result: null }));
      }
    });
    after(async () => {
      for (const { server, directory } of running) {
        await server.close();
        await directory.close();
      }
      await storage.close();
      await database.drop();
    });

    test('Digest: MD5 from ha1, SHA-256 from a clear password, user@domain from ha1b; wrong passwords fail', async () => {
      const server = await serve({ auth: 'digest' });
      const get = (user: string, as: string, password: string, algorithm: DigestAlgorithm) => digestGet(server.origin, docPath(user), as, password, algorithm);
      const alice = await get('alice', 'alice', 'alice-pw', 'MD5');
      assert.deepEqual(alice, { status: 200, offered: ['MD5', 'SHA-256'] }, 'MD5 first; SHA-256 since the table has a password column');
      assert.equal((await get('alice', 'alice', 'alice-pw', 'SHA-256')).status, 200);
      assert.equal((await get('alice', 'alice@example.com', 'alice-pw', 'MD5')).status, 200, 'a full address as username');
      assert.equal((await get('bob', 'bob', 'bob-pw', 'MD5')).status, 200, 'hashes only');
      assert.equal((await get('bob', 'bob@example.com', 'bob-pw', 'MD5')).status, 200, 'ha1b');
      assert.equal((await get('bob', 'bob', 'bob-pw', 'SHA-256')).status, 401, 'no SHA-256 HA1 and no clear password for bob');
      assert.equal((await get('carol', 'carol', 'carol-pw', 'MD5')).status, 200, 'clear password only');
      assert.equal((await get('carol', 'carol', 'carol-pw', 'SHA-256')).status, 200);
      assert.equal((await get('alice', 'alice', 'wrong', 'MD5')).status, 401);
      assert.equal((await get('alice', 'mallory', 'alice-pw', 'MD5')).status, 401);
      assert.equal((await get('alice', 'bob', 'bob-pw', 'MD5')).status, 403, 'bob is someone, but not alice');
    });

    test('Basic: checked against ha1 or the clear password', async () => {
      const server = await serve({ auth: 'basic' });
      const get = (user: string, as: string, password: string) =>
        rawRequest(server.origin, { path: docPath(user), headers: { Authorization: basic(as, password) } }).then((r) => r.status);
      assert.equal(await get('alice', 'alice', 'alice-pw'), 200, 'alice');
      assert.equal(await get('bob', 'bob@example.com', 'bob-pw'), 200, 'bob');
      assert.equal(await get('carol', 'carol@example.com', 'carol-pw'), 200, 'carol');
      assert.equal(await get('carol', 'carol', 'carol-pw '), 401);
      assert.equal(await get('bob', 'bob', 'alice-pw'), 401);
    });

    test('administrators come from userAdmins', async () => {
      const server = await serve({ auth: 'basic' });
      const putAs = (as: string, password: string) =>
        rawRequest(server.origin, {
          method: 'PUT',
          path: '/xcap-root/resource-lists/users/sip:frank@example.com/index',
          body: LIST,
          headers: { Authorization: basic(as, password), 'Content-Type': 'application/resource-lists+xml' },
        }).then((r) => r.status);
      assert.equal(await putAs('alice', 'alice-pw'), 403);
      assert.equal(await putAs('admin', 'admin-pw'), 201);
    });

    test('without a clear password column only MD5 is offered', async () => {
      const server = await serve({ auth: 'digest', userPasswordColumn: 'none' });
      const bob = await digestGet(server.origin, docPath('bob'), 'bob', 'bob-pw', 'MD5');
      assert.deepEqual(bob, { status: 200, offered: ['MD5'] });
      assert.equal((await digestGet(server.origin, docPath('carol'), 'carol', 'carol-pw', 'MD5')).status, 401, "carol's row has no hash");
    });

    test('an OpenSIPS table: SHA-256 from ha1_sha256', async () => {
      const server = await serve({ auth: 'digest', userTable: 'opensips_subscriber', userPasswordColumn: '' });
      const path = '/xcap-root/resource-lists/users/sip:dave@example.com/index';
      assert.deepEqual(await digestGet(server.origin, path, 'dave', 'dave-pw', 'SHA-256'), { status: 404, offered: ['MD5', 'SHA-256'] });
      assert.equal((await digestGet(server.origin, path, 'dave', 'dave-pw', 'MD5')).status, 404, 'authenticated; the document does not exist');
      assert.equal((await digestGet(server.origin, path, 'dave', 'nope', 'SHA-256')).status, 401);
    });

    test('a table with other names, configured through userTable and userColumns', async () => {
      const table = backend.name === 'PostgreSQL' ? 'voip.accounts' : 'accounts';
      const server = await serve({
        auth: 'basic',
        userTable: table,
        userColumns: ['username=login', 'domain=realm_domain', 'ha1=secret_hash'],
      });
      const path = '/xcap-root/resource-lists/users/sip:erin@example.com/index';
      assert.equal((await rawRequest(server.origin, { path, headers: { Authorization: basic('erin', 'erin-pw') } })).status, 404);
      assert.equal((await rawRequest(server.origin, { path, headers: { Authorization: basic('erin', 'erin-pw!') } })).status, 401);
    });

    test('says clearly when the table or its columns are not there', async () => {
      await assert.rejects(openSubscriberDirectory({ url: database.url, table: 'no_such_table' }), (error: Error) => {
        assert.ok(error instanceof SubscriberDirectoryError);
        assert.match(error.message, /has no table no_such_table/);
        return true;
      });
      await assert.rejects(openSubscriberDirectory({ url: database.url, columns: { username: 'login' } }), /has no user name column "login"/);
      await assert.rejects(
        openSubscriberDirectory({ url: database.url, columns: { ha1: '', ha1b: '', password: '', ha1Sha256: 'nope' } }),
        /has none of the password columns/,
      );
    });
  });
}

test('userColumns entries are role=column pairs', () => {
  assert.deepEqual(parseSubscriberColumns(['username=login', 'ha1b=', ' HA1SHA256 = hash256 ']), { username: 'login', ha1b: '', ha1Sha256: 'hash256' });
  assert.throws(() => parseSubscriberColumns(['colour=red']), /role=column with role one of username, domain, ha1, ha1b, ha1Sha256, password/);
  assert.throws(() => parseSubscriberColumns(['username=drop table']), SubscriberDirectoryError);
});

test('userDatabase must be a PostgreSQL or MySQL URL', async () => {
  await assert.rejects(openSubscriberDirectory({ url: 'sqlite:./x.sqlite' }), /must be a postgres:\/\/ or mysql:\/\/ URL/);
});
