/**
 * End to end with a real Kamailio (Debian's kamailio, kamailio-presence-modules,
 * kamailio-sqlite-modules, kamailio-utils-modules; .ci/run installs them): Bob
 * subscribes to Alice's presence at Kamailio, Alice's pres-rules on xcapd allow him;
 * a PUT on xcapd then blocks him, and Bob's next NOTIFY says
 * `terminated;reason=rejected` — Kamailio learns of the change only from xcapd's
 * notifier (its re-fetch route, then presence.updateWatchers over JSON-RPC).
 *
 * Kamailio runs on free loopback ports with the config in
 * test/fixtures/kamailio/presence.cfg and a fresh SQLite database; every wait is
 * bounded and the process group is killed at the end.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { createSocket } from 'node:dgram';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import Database from 'better-sqlite3';
import { PRES_RULES_MIME, eventually, presRules, startNotifyingServer, type NotifyingServer } from '../helpers/notify-server.js';
import { answer, buildMessage, TestSipPeer, token, type TestSipMessage } from '../helpers/sip-peer.js';

const KAMAILIO = '/usr/sbin/kamailio';
const MODULES = '/usr/lib/x86_64-linux-gnu/kamailio/modules';
const SQL = '/usr/share/kamailio/db_sqlite';
const NEEDED = [`${MODULES}/presence_xml.so`, `${MODULES}/db_sqlite.so`, `${MODULES}/http_client.so`, `${MODULES}/jsonrpcs.so`, `${SQL}/presence-create.sql`];
const missing = [KAMAILIO, ...NEEDED].filter((f) => !existsSync(f));
const skip =
  missing.length > 0
    ? `Kamailio is not installed (missing ${missing.join(', ')}): run .ci/run, or apt-get install kamailio kamailio-presence-modules kamailio-sqlite-modules kamailio-utils-modules`
    : false;
if (skip) console.error(`\n*** SKIPPING the Kamailio end-to-end test: ${skip}\n`);

const ALICE_RULES = 'pres-rules/users/sip:alice@example.com/index';

async function freeTcpPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  const port = (server.address() as { port: number }).port;
  await new Promise((resolve) => server.close(resolve));
  return port;
}

async function freeUdpPort(): Promise<number> {
  const socket = createSocket('udp4');
  await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
  const port = socket.address().port;
  await new Promise<void>((resolve) => socket.close(() => resolve()));
  return port;
}

describe('Kamailio presence with xcapd as its XCAP server', { skip, timeout: 60_000 }, () => {
  let dir = '';
  let kamailio: ChildProcess | null = null;
  let xcapd: NotifyingServer;
  let bob: TestSipPeer;
  let sipPort = 0;
  let httpPort = 0;
  const log: string[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xcapd-kamailio-'));
    sipPort = await freeUdpPort();
    httpPort = await freeTcpPort();
    const dbFile = join(dir, 'kamailio.sqlite');
    const db = new Database(dbFile);
    db.exec(readFileSync(`${SQL}/standard-create.sql`, 'utf8'));
    db.exec(readFileSync(`${SQL}/presence-create.sql`, 'utf8'));
    db.close();

    const kamailioUrl = `http://127.0.0.1:${httpPort}`;
    xcapd = await startNotifyingServer({
      auth: 'digest',
      kamailioRpcUrl: `${kamailioUrl}/RPC`,
      kamailioRefetchUrl: `${kamailioUrl}/xcapd/refetch?user={user}&domain={domain}`,
      notifyBatchMs: 20,
      notifyAttempts: 3,
    });
    const xcapdPort = new URL(xcapd.running.origin).port;
    const config = readFileSync(new URL('../fixtures/kamailio/presence.cfg', import.meta.url), 'utf8')
      .replaceAll('{{DEBUG}}', process.env.XCAPD_TEST_KAMAILIO_DEBUG ?? '2')
      .replaceAll('{{SIP_PORT}}', String(sipPort))
      .replaceAll('{{HTTP_PORT}}', String(httpPort))
      .replaceAll('{{DB_FILE}}', dbFile)
      .replaceAll('{{XCAPD_USER}}', 'admin')
      .replaceAll('{{XCAPD_PASSWORD}}', 'admin-secret')
      .replaceAll('{{XCAPD_PORT}}', xcapdPort);
    const cfg = join(dir, 'kamailio.cfg');
    writeFileSync(cfg, config);
    kamailio = spawn(KAMAILIO, ['-f', cfg, '-DD', '-E', '-Y', dir, '-P', join(dir, 'kamailio.pid'), '-w', dir, '-m', '64', '-M', '8'], {
      detached: true,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    kamailio.stdout!.on('data', (c: Buffer) => log.push(c.toString()));
    kamailio.stderr!.on('data', (c: Buffer) => log.push(c.toString()));
    const exited = new Promise<never>((_, reject) =>
      kamailio!.once('exit', (code) => reject(new Error(`kamailio exited (${code}):\n${log.join('').slice(-3000)}`))),
    );
    await Promise.race([
      exited,
      eventually(
        async () => {
          if (kamailio!.exitCode !== null) throw new Error(`kamailio exited:\n${log.join('').slice(-3000)}`);
          try {
            const r = await fetch(`${kamailioUrl}/RPC`, {
              method: 'POST',
              body: JSON.stringify({ jsonrpc: '2.0', method: 'core.version', id: 1 }),
              signal: AbortSignal.timeout(500),
            });
            return r.ok ? true : undefined;
          } catch {
            return undefined;
          }
        },
        15_000,
        'Kamailio to answer JSON-RPC',
      ),
    ]);
    exited.catch(() => undefined);
    bob = await TestSipPeer.udp();
    bob.handler = (m, reply) => {
      if (m.method === 'NOTIFY') reply(answer(m, 200, 'OK'));
    };
  });

  after(async () => {
    await bob?.close();
    if (kamailio && kamailio.exitCode === null && kamailio.pid) {
      const gone = new Promise((resolve) => kamailio!.once('exit', resolve));
      try {
        process.kill(-kamailio.pid, 'SIGTERM');
      } catch {
        // already gone
      }
      const timer = setTimeout(() => {
        try {
          process.kill(-kamailio!.pid!, 'SIGKILL');
        } catch {
          // already gone
        }
      }, 3000);
      await gone;
      clearTimeout(timer);
    }
    await xcapd?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  function subscribe(callId: string, fromTag: string, cseq: number): void {
    bob.send(
      buildMessage('SUBSCRIBE sip:alice@example.com SIP/2.0', [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${bob.port};branch=z9hG4bK${token()};rport`],
        ['Max-Forwards', '70'],
        ['From', `<sip:bob@example.com>;tag=${fromTag}`],
        ['To', '<sip:alice@example.com>'],
        ['Call-ID', callId],
        ['CSeq', `${cseq} SUBSCRIBE`],
        ['Contact', `<sip:bob@127.0.0.1:${bob.port}>`],
        ['Event', 'presence'],
        ['Accept', 'application/pidf+xml'],
        ['Expires', '600'],
      ]),
      sipPort,
    );
  }

  const notifyOf = (callId: string) => (m: TestSipMessage) => m.method === 'NOTIFY' && m.header('call-id') === callId;

  test('a PUT that blocks the watcher on xcapd terminates his subscription at Kamailio', async () => {
    // Alice allows Bob; xcapd's notifier makes Kamailio fetch the rules.
    assert.equal((await xcapd.put(ALICE_RULES, presRules('allow'), PRES_RULES_MIME)).status, 201);
    await xcapd.notifications.idle();
    assert.equal(xcapd.notifications.metrics.value('xcapd_notify_delivered_total', { notifier: 'kamailio' }), 1, log.join('').slice(-3000));

    const callId = `${token()}@bob`;
    subscribe(callId, token(), 1);
    const ok = await bob.next((m) => m.status !== null && m.header('call-id') === callId, 5000);
    assert.ok(ok.status === 200 || ok.status === 202, `SUBSCRIBE answered ${ok.status}\n${log.join("").slice(-4000)}`);
    const first = await bob.next(notifyOf(callId), 5000);
    assert.match(first.header('subscription-state') ?? '', /^active/, `first NOTIFY: ${first.header('subscription-state')}`);

    // Alice blocks Bob. Nothing is done on Kamailio but what xcapd's notifier does.
    assert.equal((await xcapd.put(ALICE_RULES, presRules('block'), PRES_RULES_MIME)).status, 200);
    const next = await bob.next(notifyOf(callId), 10_000);
    assert.equal(next.header('subscription-state'), 'terminated;reason=rejected', log.join('').slice(-3000));
    await xcapd.notifications.idle();
    assert.equal(xcapd.notifications.metrics.value('xcapd_notify_failed_total', { notifier: 'kamailio' }), 0);
  });
});
