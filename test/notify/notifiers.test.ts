/**
 * The presence-server notifiers end to end: a real xcapd takes PUTs and DELETEs, and
 * a local receiver stands in for Kamailio (JSON-RPC and the re-fetch route), OpenSIPS
 * (MI JSON-RPC), a webhook and a SIP proxy taking PUBLISH (UDP and TCP).
 */
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { after, describe, test } from 'node:test';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import { expandTemplate } from '../../src/notify/kamailio.js';
import { signWebhook } from '../../src/notify/webhook.js';
import {
  BUDDIES,
  PRES_RULES_MIME,
  RESOURCE_LISTS_MIME,
  eventually,
  presRules,
  startNotifyingServer,
  type NotifyingServer,
} from '../helpers/notify-server.js';
import { answer, TestSipPeer } from '../helpers/sip-peer.js';

const validator = SchemaValidator.load('xcap-diff.xsd');
const ALICE_RULES = 'pres-rules/users/sip:alice@example.com/index';
const ALICE_LIST = 'resource-lists/users/sip:alice@example.com/index';

interface Received {
  readonly method: string;
  readonly url: string;
  readonly headers: IncomingMessage['headers'];
  readonly body: string;
}

/** An HTTP receiver that records requests and answers with `respond`. */
async function receiver(respond: (r: Received) => { status: number; body: string }): Promise<{ server: Server; url: string; seen: Received[] }> {
  const seen: Received[] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const r: Received = { method: req.method ?? '', url: req.url ?? '', headers: req.headers, body: Buffer.concat(chunks).toString('utf8') };
      seen.push(r);
      const out = respond(r);
      res.writeHead(out.status, { 'Content-Type': 'application/json' });
      res.end(out.body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
  return { server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}`, seen };
}

function rpcResult(r: Received): { status: number; body: string } {
  const id = (JSON.parse(r.body) as { id: number }).id;
  return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', result: {}, id }) };
}

const servers: { close(): unknown }[] = [];
after(async () => {
  for (const s of servers) await s.close();
});

async function track(s: NotifyingServer): Promise<NotifyingServer> {
  servers.push({ close: () => s.stop() });
  return s;
}

describe('Kamailio', () => {
  test('a pres-rules change: the re-fetch route, then presence.updateWatchers and presence.refreshWatchers', async () => {
    const kamailio = await receiver((r) => (r.method === 'POST' ? rpcResult(r) : { status: 200, body: 'ok' }));
    servers.push({ close: () => new Promise((r) => kamailio.server.close(r)) });
    const xcapd = await track(
      await startNotifyingServer({
        kamailioRpcUrl: `${kamailio.url}/RPC`,
        kamailioRpcMethods: ['presence.updateWatchers', 'presence.refreshWatchers'],
        kamailioRefetchUrl: `${kamailio.url}/xcapd/refetch?xui={xui}&uri={uri}&user={user}&domain={domain}`,
      }),
    );
    assert.equal((await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME)).status, 201);
    assert.equal((await xcapd.put(ALICE_RULES, presRules('allow'), PRES_RULES_MIME)).status, 201);
    await xcapd.notifications.idle();
    assert.equal(kamailio.seen.length, 3, 'a resource-lists change is not told to the presence server');
    const [refetch, update, refresh] = kamailio.seen;
    assert.equal(refetch!.method, 'GET');
    const query = new URL(refetch!.url, 'http://x').searchParams;
    assert.equal(query.get('xui'), 'sip:alice@example.com');
    assert.equal(query.get('user'), 'alice');
    assert.equal(query.get('domain'), 'example.com');
    assert.equal(query.get('uri'), `${xcapd.running.rootUrl}/${ALICE_RULES}`);
    assert.deepEqual(JSON.parse(update!.body), { jsonrpc: '2.0', method: 'presence.updateWatchers', params: ['sip:alice@example.com', 'presence'], id: JSON.parse(update!.body).id });
    assert.deepEqual(JSON.parse(refresh!.body).params, ['sip:alice@example.com', 'presence', 0]);
    assert.equal(refresh!.url, '/RPC');
  });

  test('a pidf-manipulation change refreshes with type 1 only', async () => {
    const kamailio = await receiver(rpcResult);
    servers.push({ close: () => new Promise((r) => kamailio.server.close(r)) });
    const xcapd = await track(await startNotifyingServer({ kamailioRpcUrl: `${kamailio.url}/RPC`, kamailioRpcMethods: ['presence.updateWatchers', 'presence.refreshWatchers'] }));
    const pidf = '<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com"><tuple id="t1"><status><basic>open</basic></status></tuple></presence>';
    assert.equal((await xcapd.put('pidf-manipulation/users/sip:alice@example.com/index', pidf, 'application/pidf+xml')).status, 201);
    await xcapd.notifications.idle();
    assert.deepEqual(kamailio.seen.map((r) => JSON.parse(r.body) as { method: string; params: unknown }).map((b) => [b.method, b.params]), [
      ['presence.refreshWatchers', ['sip:alice@example.com', 'presence', 1]],
    ]);
  });

  test('changes in quick succession are one notification; a JSON-RPC error is retried; down: logged and counted', async () => {
    let failures = 1;
    const kamailio = await receiver((r) => {
      if (failures-- > 0) return { status: 200, body: JSON.stringify({ jsonrpc: '2.0', error: { code: 500, message: 'busy' }, id: 1 }) };
      return rpcResult(r);
    });
    servers.push({ close: () => new Promise((r) => kamailio.server.close(r)) });
    const xcapd = await track(await startNotifyingServer({ kamailioRpcUrl: `${kamailio.url}/RPC`, notifyBatchMs: 150, notifyAttempts: 2 }));
    const started = Date.now();
    await xcapd.put(ALICE_RULES, presRules('allow'), PRES_RULES_MIME);
    await xcapd.put(ALICE_RULES, presRules('block'), PRES_RULES_MIME);
    assert.ok(Date.now() - started < 1000, 'the PUTs do not wait for the presence server');
    await xcapd.notifications.idle();
    assert.equal(kamailio.seen.length, 2, 'one failed attempt, then one call for both changes');
    assert.equal(xcapd.notifications.metrics.value('xcapd_notify_retries_total', { notifier: 'kamailio' }), 1);

    await new Promise((r) => kamailio.server.close(r));
    await xcapd.put(ALICE_RULES, presRules('allow'), PRES_RULES_MIME);
    await xcapd.notifications.idle();
    assert.equal(xcapd.notifications.metrics.value('xcapd_notify_failed_total', { notifier: 'kamailio' }), 1);
    const line = xcapd.logLines.find((l) => l.notifier === 'kamailio' && l.level === 40);
    assert.ok(line, 'a warning names the notifier');
    assert.match(String(line.msg), /ECONNREFUSED|fetch failed/);
  });

  test('URL templates are filled with percent-encoded values', () => {
    const e = {
      key: { auid: 'pres-rules', tree: 'users' as const, owner: 'sip:a+b@example.com', path: 'index' },
      sel: 'pres-rules/users/sip:a+b@example.com/index',
    };
    assert.equal(
      expandTemplate('http://k/r?u={xui}&d={document}&x={unknown}', e as never, 'http://xcap/root/'),
      'http://k/r?u=sip%3Aa%2Bb%40example.com&d=index&x={unknown}',
    );
  });
});

describe('OpenSIPS', () => {
  test('refresh_watchers over mi_http JSON-RPC with named parameters', async () => {
    const opensips = await receiver(rpcResult);
    servers.push({ close: () => new Promise((r) => opensips.server.close(r)) });
    const xcapd = await track(await startNotifyingServer({ opensipsMiUrl: `${opensips.url}/mi` }));
    await xcapd.put(ALICE_RULES, presRules('block'), PRES_RULES_MIME);
    await xcapd.del(ALICE_RULES);
    await xcapd.notifications.idle();
    assert.ok(opensips.seen.length >= 1);
    for (const r of opensips.seen) {
      assert.equal(r.url, '/mi');
      const body = JSON.parse(r.body) as { method: string; params: unknown };
      assert.equal(body.method, 'refresh_watchers');
      assert.deepEqual(body.params, { presentity_uri: 'sip:alice@example.com', event: 'presence', refresh_type: 0 });
    }
  });
});

describe('webhook', () => {
  test('POSTs a valid xcap-diff document with the patch, signed with the shared secret', async () => {
    const hook = await receiver(() => ({ status: 204, body: '' }));
    servers.push({ close: () => new Promise((r) => hook.server.close(r)) });
    const xcapd = await track(await startNotifyingServer({ webhookUrl: `${hook.url}/hook`, webhookSecret: 's3cret' }));
    await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME);
    await xcapd.notifications.idle();
    const entry = '<entry uri="sip:carol@example.com"/>';
    const r = await xcapd.put(`${ALICE_LIST}/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22sip:carol@example.com%22%5D`, entry, 'application/xcap-el+xml');
    assert.equal(r.status, 201);
    await xcapd.notifications.idle();
    assert.equal(hook.seen.length, 2);
    const second = hook.seen[1]!;
    assert.equal(second.headers['content-type'], 'application/xcap-diff+xml');
    assert.equal(second.headers['x-xcapd-owner'], 'sip:alice@example.com');
    assert.deepEqual(validator.validate(second.body), [], second.body);
    assert.match(second.body, /xcap-root="http:\/\/127\.0\.0\.1:\d+\/xcap-root"/);
    assert.match(second.body, /<d:add sel="\/resource-lists\/list\/entry" pos="after"/);
    assert.match(second.body, /<d:element [^>]*sel="resource-lists\/users\/sip:alice@example.com\/index\/~~\/resource-lists\/list%5B@name=%22friends%22%5D\/entry%5B@uri=%22sip:carol@example.com%22%5D"/);
    const signature = String(second.headers['x-xcapd-signature']);
    const m = /^t=(\d+),v1=([0-9a-f]{64})$/.exec(signature);
    assert.ok(m, signature);
    const expected = createHmac('sha256', 's3cret').update(`${m[1]}.${second.body}`).digest('hex');
    assert.equal(m[2], expected);
    assert.equal(signWebhook('s3cret', second.body, Number(m[1])), signature);
  });
});

describe('SIP PUBLISH', () => {
  for (const transport of ['udp', 'tcp'] as const) {
    test(`PUBLISH of xcap-diff over ${transport} to the outbound proxy, refreshed with SIP-If-Match`, async () => {
      const proxy = transport === 'udp' ? await TestSipPeer.udp() : await TestSipPeer.tcpServer();
      servers.push(proxy);
      let etag = 0;
      proxy.handler = (m, reply) => {
        if (m.method !== 'PUBLISH') return;
        // The second publication gets a 412 once, to check a fresh one follows.
        if (m.header('sip-if-match') === 'pub-2') return reply(answer(m, 412, 'Conditional Request Failed'));
        reply(answer(m, 200, 'OK', [['SIP-ETag', `pub-${++etag}`], ['Expires', '3600']], 'p1'));
      };
      const xcapd = await track(await startNotifyingServer({ sipPublishProxy: `${transport}:127.0.0.1:${proxy.port}` }));
      await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME);
      await xcapd.notifications.idle();
      await xcapd.put(ALICE_LIST, BUDDIES.replace('bob', 'robert'), RESOURCE_LISTS_MIME);
      await xcapd.notifications.idle();
      await xcapd.put(ALICE_LIST, BUDDIES.replace('bob', 'rob'), RESOURCE_LISTS_MIME);
      await xcapd.notifications.idle();
      const publishes = await eventually(() => {
        const p = proxy.received.filter((m) => m.method === 'PUBLISH');
        return p.length >= 4 ? p : undefined;
      });
      const [first, second, third, fourth] = publishes;
      assert.equal(first!.startLine, 'PUBLISH sip:alice@example.com SIP/2.0');
      assert.equal(first!.header('event'), 'xcap-diff');
      assert.equal(first!.header('content-type'), 'application/xcap-diff+xml');
      assert.match(first!.header('via')!, new RegExp(`^SIP/2\\.0/${transport.toUpperCase()} `));
      assert.equal(first!.header('sip-if-match'), undefined);
      assert.deepEqual(validator.validate(first!.body), []);
      assert.match(first!.body, /<d:document [^>]*sel="resource-lists\/users\/sip:alice@example.com\/index" new-etag="[^"]+"\/>/);
      assert.equal(second!.header('sip-if-match'), 'pub-1');
      assert.match(second!.body, /previous-etag="[^"]+" new-etag="[^"]+"/);
      assert.equal(third!.header('sip-if-match'), 'pub-2');
      assert.equal(fourth!.header('sip-if-match'), undefined, 'after a 412, a new publication');
      assert.equal(fourth!.body, third!.body);
    });
  }
});
