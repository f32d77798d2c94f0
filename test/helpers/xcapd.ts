/**
 * Starting a real xcapd on a random loopback port over a fresh SQLite file, and
 * sending raw HTTP requests to it (node:http, so the request target goes out
 * exactly as written).
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
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { Storage } from '../../src/storage/types.js';

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
  const config: ServerConfig = { ...DEFAULT_CONFIG, listen: '127.0.0.1:0', database: join(dir, 'xcapd.sqlite'), logLevel: 'silent', ...overrides };
  const storage = await openSqliteStorage({ file: config.database });
  for (const u of users) await storage.putUser(createUserRecord(u.id, u.password, u.admin ?? false, config));
  const changes: DocumentChange[] = [];
  const running = await startXcapServer({ config, storage, logger: pino({ level: 'silent' }), onChange: (c) => changes.push(c) });
  return {
    ...running,
    storage,
    config,
    dir,
    changes,
    async stop() {
      await running.close();
      await storage.close();
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
