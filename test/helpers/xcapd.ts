/**
 * Starting a real xcapd on a random loopback port over a fresh SQLite file, and
 * sending raw HTTP requests to it (node:http, so the request target goes out
 * exactly as written).
 *
 * `XCAPD_TEST_STORAGE=postgres` runs the same servers on PostgreSQL instead: each
 * server gets a fresh database (see helpers/postgres.ts), dropped when it stops.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { createUserRecord } from '../../src/cli/users.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { startXcapServer, type RunningServer } from '../../src/http/server.js';
import type { DocumentChange } from '../../src/service/xcap-service.js';
import { openStorage } from '../../src/storage/open.js';
import type { Storage } from '../../src/storage/types.js';
import { createTestDatabase } from './postgres.js';

export type TestStorageBackend = 'sqlite' | 'postgres';

/** The backend integration tests run on, from XCAPD_TEST_STORAGE (default sqlite). */
export function testStorageBackend(): TestStorageBackend {
  const value = (process.env.XCAPD_TEST_STORAGE ?? '').trim().toLowerCase();
  if (value === '' || value === 'sqlite') return 'sqlite';
  if (value === 'postgres' || value === 'postgresql') return 'postgres';
  throw new Error(`XCAPD_TEST_STORAGE must be sqlite or postgres, not ${JSON.stringify(process.env.XCAPD_TEST_STORAGE)}`);
}

export interface TestServer extends RunningServer {
  readonly storage: Storage;
  readonly config: ServerConfig;
  readonly dir: string;
  readonly changes: DocumentChange[];
  stop(): Promise<void>;
}

export async function startTestServer(
  overrides: Partial<ServerConfig> = {},
  users: { id: string; password: string; admin?: boolean }[] = [
    { id: 'alice@example.com', password: 'alice-secret' },
    { id: 'bob@example.com', password: 'bob-secret' },
    { id: 'admin@example.com', password: 'admin-secret', admin: true },
  ],
): Promise<TestServer> {
  const dir = mkdtempSync(join(tmpdir(), 'xcapd-test-'));
  let database = join(dir, 'xcapd.sqlite');
  let dropDatabase = async (): Promise<void> => undefined;
  if (testStorageBackend() === 'postgres' && overrides.database === undefined) {
    const created = await createTestDatabase('server');
    database = created.url;
    dropDatabase = () => created.drop();
  }
  const config: ServerConfig = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', database, logLevel: 'silent', ...overrides };
  const storage = await openStorage(config.database);
  const changes: DocumentChange[] = [];
  let running: RunningServer;
  try {
    for (const u of users) await storage.putUser(createUserRecord(u.id, u.password, u.admin ?? false, config));
    running = await startXcapServer({ config, storage, logger: pino({ level: 'silent' }), onChange: (c) => changes.push(c) });
  } catch (error) {
    // A server that does not start must not leave its database (and, on PostgreSQL, open connections) behind.
    await storage.close();
    await dropDatabase();
    rmSync(dir, { recursive: true, force: true });
    throw error;
  }
  return {
    ...running,
    storage,
    config,
    dir,
    changes,
    async stop() {
      await running.close();
      await storage.close();
      await dropDatabase();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export interface RawResponse {
  readonly status: number;
  readonly headers: IncomingHttpHeaders;
  /** Every header as a list of its values, for the ones that may repeat (WWW-Authenticate). */
  readonly headersDistinct: NodeJS.Dict<string[]>;
  readonly body: string;
}

export interface RawRequest {
  readonly method?: string;
  /** The request target, sent as is. */
  readonly path: string;
  readonly headers?: Record<string, string | string[]>;
  readonly body?: string | Buffer;
  readonly tls?: boolean;
}

export function rawRequest(origin: string, req: RawRequest): Promise<RawResponse> {
  const url = new URL(origin);
  const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const r = send(
      {
        host: url.hostname,
        port: url.port,
        method: req.method ?? 'GET',
        path: req.path,
        headers: req.headers ?? {},
        rejectUnauthorized: false,
        agent: false,
        timeout: 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, headersDistinct: res.headersDistinct, body: Buffer.concat(chunks).toString('utf8') }));
        res.on('error', reject);
      },
    );
    r.on('timeout', () => r.destroy(new Error('request timed out')));
    r.on('error', reject);
    if (req.body !== undefined) r.end(req.body);
    else r.end();
  });
}

export function basic(user: string, password: string): string {
  return `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;
}
