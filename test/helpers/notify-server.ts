/**
 * A real xcapd (HTTP on a random loopback port, a fresh SQLite file) with its
 * notifications wired as `xcapd serve` wires them, for the notify tests. Requests
 * use Basic authentication unless a test needs Digest.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino, type Logger } from 'pino';
import { createUserRecord } from '../../src/cli/users.js';
import { DEFAULT_CONFIG, type ServerConfig } from '../../src/config.js';
import { startXcapServer, type RunningServer } from '../../src/http/server.js';
import { Notifications } from '../../src/notify/setup.js';
import { openStorage } from '../../src/storage/open.js';
import type { Storage } from '../../src/storage/types.js';
import { basic, rawRequest, type RawResponse } from './xcapd.js';

export const USERS = [
  { id: 'alice@example.com', password: 'alice-secret' },
  { id: 'bob@example.com', password: 'bob-secret' },
  { id: 'admin@example.com', password: 'admin-secret', admin: true },
];

export interface NotifyingServer {
  readonly running: RunningServer;
  readonly notifications: Notifications;
  readonly storage: Storage;
  readonly config: ServerConfig;
  readonly logLines: Record<string, unknown>[];
  put(path: string, body: string, contentType: string, user?: string): Promise<RawResponse>;
  del(path: string, user?: string): Promise<RawResponse>;
  stop(): Promise<void>;
}

/** A logger that keeps its lines for assertions. */
export function capturingLogger(lines: Record<string, unknown>[]): Logger {
  return pino(
    { level: 'debug' },
    {
      write(line: string) {
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
}

export async function startNotifyingServer(overrides: Partial<ServerConfig> = {}): Promise<NotifyingServer> {
  const dir = mkdtempSync(join(tmpdir(), 'xcapd-notify-'));
  const config: ServerConfig = {
    ...DEFAULT_CONFIG,
    listen: '127.0.0.1:0',
    database: join(dir, 'xcapd.sqlite'),
    auth: 'basic',
    logLevel: 'silent',
    notifyBatchMs: 20,
    ...overrides,
  };
  const storage = await openStorage(config.database);
  for (const u of USERS) await storage.putUser(createUserRecord(u.id, u.password, u.admin ?? false, config));
  const logLines: Record<string, unknown>[] = [];
  const logger = capturingLogger(logLines);
  const notifications = new Notifications({ config, storage, logger });
  const running = await startXcapServer({
    config,
    storage,
    logger: pino({ level: 'silent' }),
    onChange: notifications.onChange,
    feed: notifications.feed,
    metrics: notifications.metrics,
  });
  await notifications.start(running);
  const root = new URL(running.rootUrl).pathname;
  /** Basic, or Digest (MD5, answering the challenge of a first unauthenticated try) when the server uses it. */
  const send = async (method: 'PUT' | 'DELETE', path: string, user: string, headers: Record<string, string>, body?: string): Promise<RawResponse> => {
    const u = USERS.find((x) => x.id === user)!;
    const target = `${root}/${path}`;
    if (config.auth !== 'digest') {
      return rawRequest(running.origin, { method, path: target, headers: { ...headers, Authorization: basic(u.id, u.password) }, ...(body === undefined ? {} : { body }) });
    }
    const first = await rawRequest(running.origin, { method, path: target, headers, ...(body === undefined ? {} : { body }) });
    const challenge = (first.headersDistinct['www-authenticate'] ?? []).find((c) => /algorithm=MD5(?!-)/.test(c));
    if (first.status !== 401 || !challenge) return first;
    const param = (name: string): string => new RegExp(`${name}="([^"]*)"`).exec(challenge)?.[1] ?? '';
    const md5 = (x: string): string => createHash('md5').update(x).digest('hex');
    const username = u.id.split('@')[0]!;
    const cnonce = randomBytes(8).toString('hex');
    const ha1 = md5(`${username}:${param('realm')}:${u.password}`);
    const response = md5(`${ha1}:${param('nonce')}:00000001:${cnonce}:auth:${md5(`${method}:${target}`)}`);
    const authorization = `Digest username="${username}", realm="${param('realm')}", nonce="${param('nonce')}", uri="${target}", algorithm=MD5, qop=auth, nc=00000001, cnonce="${cnonce}", response="${response}", opaque="${param('opaque')}"`;
    return rawRequest(running.origin, { method, path: target, headers: { ...headers, Authorization: authorization }, ...(body === undefined ? {} : { body }) });
  };
  return {
    running,
    notifications,
    storage,
    config,
    logLines,
    put: (path, body, contentType, user = 'alice@example.com') => send('PUT', path, user, { 'Content-Type': contentType }, body),
    del: (path, user = 'alice@example.com') => send('DELETE', path, user, {}),
    async stop() {
      await notifications.close();
      await running.close();
      await storage.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export { eventually } from './wait.js';

export const PRES_RULES_MIME = 'application/auth-policy+xml';
export const RESOURCE_LISTS_MIME = 'application/resource-lists+xml';

export function presRules(action: 'allow' | 'block' | 'polite-block', watcher = 'sip:bob@example.com'): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="urn:ietf:params:xml:ns:common-policy">
  <cr:rule id="r1">
    <cr:conditions><cr:identity><cr:one id="${watcher}"/></cr:identity></cr:conditions>
    <cr:actions><sub-handling>${action}</sub-handling></cr:actions>
    <cr:transformations/>
  </cr:rule>
</cr:ruleset>
`;
}

export const BUDDIES = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
  <list name="friends">
    <entry uri="sip:bob@example.com"/>
  </list>
</resource-lists>
`;
