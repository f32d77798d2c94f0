/**
 * RFC 5875 subscriptions to xcapd over loopback UDP and TCP, with the tests' own SIP
 * code (test/helpers/sip-peer.ts): Digest authentication, the initial NOTIFY, a
 * NOTIFY after a change (with patches when asked), refresh, un-subscription,
 * expiry, and the subscription ending when a NOTIFY is refused.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, describe, test } from 'node:test';
import { SchemaValidator } from '../../../src/appusages/schema-validator.js';
import {
  BUDDIES,
  PRES_RULES_MIME,
  RESOURCE_LISTS_MIME,
  eventually,
  presRules,
  startNotifyingServer,
  type NotifyingServer,
} from '../../helpers/notify-server.js';
import { answer, buildMessage, TestSipPeer, token, type TestSipMessage } from '../../helpers/sip-peer.js';
import { applyXcapDiff, canonicalOf } from '../../helpers/xml-patch.js';

const validator = SchemaValidator.load('xcap-diff.xsd');
const ALICE_LIST = 'resource-lists/users/sip:alice@example.com/index';
const FRIENDS = `${ALICE_LIST}/~~/resource-lists/list%5B@name=%22friends%22%5D`;

const md5 = (s: string): string => createHash('md5').update(s).digest('hex');

function resourceList(uris: readonly string[]): string {
  return `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists">
  <list>
${uris.map((u) => `    <entry uri="${u}"/>`).join('\n')}
  </list>
</resource-lists>
`;
}

/** A subscriber: builds SUBSCRIBEs (answering Digest challenges) and answers NOTIFYs. */
class Subscriber {
  readonly callId = `${token()}@test`;
  readonly fromTag = token();
  toTag: string | null = null;
  cseq = 0;
  nc = 0;
  challenge: Map<string, string> | null = null;
  notifyAnswer = 200;

  constructor(
    readonly peer: TestSipPeer,
    readonly serverPort: number,
    readonly user = 'alice',
    readonly password = 'alice-secret',
  ) {
    peer.handler = (m, reply) => {
      if (m.method === 'NOTIFY') reply(answer(m, this.notifyAnswer, this.notifyAnswer === 200 ? 'OK' : 'Call/Transaction Does Not Exist'));
    };
  }

  private authorization(uri: string): string | null {
    if (!this.challenge) return null;
    const realm = this.challenge.get('realm')!;
    const nonce = this.challenge.get('nonce')!;
    const nc = (++this.nc).toString(16).padStart(8, '0');
    const cnonce = token();
    const ha1 = md5(`${this.user}:${realm}:${this.password}`);
    const response = md5(`${ha1}:${nonce}:${nc}:${cnonce}:auth:${md5(`SUBSCRIBE:${uri}`)}`);
    const opaque = this.challenge.get('opaque');
    return `Digest username="${this.user}", realm="${realm}", nonce="${nonce}", uri="${uri}", response="${response}", algorithm=MD5, qop=auth, nc=${nc}, cnonce="${cnonce}"${opaque ? `, opaque="${opaque}"` : ''}`;
  }

  /** Sends a SUBSCRIBE, answering one 401; resolves with the final response. */
  async subscribe(options: { expires?: number; body?: string; event?: string; extra?: [string, string][] } = {}): Promise<TestSipMessage> {
    for (let round = 0; round < 2; round++) {
      const uri = `sip:xcapd@127.0.0.1:${this.serverPort}`;
      const branch = `z9hG4bK${token()}`;
      const transport = this.peer.transport.toUpperCase();
      const headers: [string, string][] = [
        ['Via', `SIP/2.0/${transport} 127.0.0.1:${this.peer.port};branch=${branch};rport`],
        ['Max-Forwards', '70'],
        ['From', `<sip:${this.user}@example.com>;tag=${this.fromTag}`],
        ['To', `<sip:${this.user}@example.com>${this.toTag ? `;tag=${this.toTag}` : ''}`],
        ['Call-ID', this.callId],
        ['CSeq', `${++this.cseq} SUBSCRIBE`],
        ['Contact', `<sip:${this.user}@127.0.0.1:${this.peer.port}${this.peer.transport === 'tcp' ? ';transport=tcp' : ''}>`],
        ['Event', options.event ?? 'xcap-diff; diff-processing=aggregate'],
        ['Expires', String(options.expires ?? 600)],
        ['Accept', 'application/xcap-diff+xml'],
        ...(options.extra ?? []),
      ];
      const auth = this.authorization(uri);
      if (auth) headers.push(['Authorization', auth]);
      if (options.body) headers.push(['Content-Type', 'application/resource-lists+xml']);
      this.peer.send(buildMessage(`SUBSCRIBE ${uri} SIP/2.0`, headers, options.body ?? ''), this.serverPort);
      const response = await this.peer.next((m) => m.status !== null && m.header('cseq') === `${this.cseq} SUBSCRIBE`);
      if (response.status === 401 && round === 0) {
        const header = response.header('www-authenticate')!;
        this.challenge = new Map([...header.matchAll(/(\w+)="([^"]*)"/g)].map((m) => [m[1]!, m[2]!]));
        this.nc = 0;
        continue;
      }
      if (response.status === 200) this.toTag = /;tag=([^;>\s]+)/.exec(response.header('to')!)?.[1] ?? null;
      return response;
    }
    throw new Error('unreachable');
  }

  nextNotify(ms = 5000): Promise<TestSipMessage> {
    return this.peer.next((m) => m.method === 'NOTIFY' && m.header('call-id') === this.callId, ms);
  }
}

const cleanup: (() => Promise<unknown>)[] = [];
after(async () => {
  for (const c of cleanup.reverse()) await c();
});

async function server(overrides = {}): Promise<NotifyingServer> {
  const s = await startNotifyingServer({ sipListen: '127.0.0.1:0', sipNotifyInterval: 0.05, ...overrides });
  cleanup.push(() => s.stop());
  return s;
}

async function peer(kind: 'udp' | 'tcp', port: number): Promise<TestSipPeer> {
  const p = kind === 'udp' ? await TestSipPeer.udp() : await TestSipPeer.tcpClient(port);
  cleanup.push(() => p.close());
  return p;
}

for (const transport of ['udp', 'tcp'] as const) {
  describe(`xcap-diff subscriptions over ${transport}`, () => {
    test('Digest, the initial NOTIFY, a change NOTIFY with the patch, refresh, un-subscribe', async () => {
      const xcapd = await server();
      assert.equal((await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME)).status, 201);
      const port = xcapd.notifications.sipPort;
      const sub = new Subscriber(await peer(transport, port), port);
      const body = resourceList([
        ALICE_LIST,
        FRIENDS,
        'pres-rules/users/sip:alice@example.com/index',
        'resource-lists/users/sip:bob@example.com/index',
      ]);
      const ok = await sub.subscribe({ body });
      assert.equal(sub.nc, 1, 'the first SUBSCRIBE was challenged');
      assert.equal(ok.status, 200);
      assert.equal(ok.header('expires'), '600');
      assert.match(ok.header('contact')!, new RegExp(`^<sip:xcapd@127\\.0\\.0\\.1:${port}`));
      assert.ok(sub.toTag);

      const initial = await sub.nextNotify();
      assert.equal(initial.startLine, `NOTIFY sip:alice@127.0.0.1:${sub.peer.port}${transport === 'tcp' ? ';transport=tcp' : ''} SIP/2.0`);
      assert.equal(initial.header('event'), 'xcap-diff');
      assert.match(initial.header('subscription-state')!, /^active;expires=(600|599)$/);
      assert.equal(initial.header('content-type'), 'application/xcap-diff+xml');
      assert.match(initial.header('from')!, new RegExp(`;tag=${sub.toTag}$`));
      assert.match(initial.header('to')!, new RegExp(`;tag=${sub.fromTag}$`));
      assert.deepEqual(validator.validate(initial.body), [], initial.body);
      const etag = /sel="resource-lists\/users\/sip:alice@example.com\/index" new-etag="([^"]+)"/.exec(initial.body)?.[1];
      assert.ok(etag, initial.body);
      assert.match(initial.body, /<d:element [^>]*sel="resource-lists\/users\/sip:alice@example.com\/index\/~~\/resource-lists\/list%5B@name=%22friends%22%5D"[^>]*><list name="friends">/);
      assert.doesNotMatch(initial.body, /pres-rules/, 'a document that does not exist yet stays pending');
      assert.doesNotMatch(initial.body, /sip:bob@example.com\/index/, "bob's documents are not alice's to read");

      // A change: the document report carries the patch (aggregate mode), the subscribed element its new content.
      assert.equal((await xcapd.put(ALICE_LIST, BUDDIES.replace('<entry uri="sip:bob@example.com"/>', '<entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>'), RESOURCE_LISTS_MIME)).status, 200);
      const change = await sub.nextNotify();
      assert.deepEqual(validator.validate(change.body), [], change.body);
      assert.match(change.body, new RegExp(`previous-etag="${etag}" new-etag="[^"]+"`));
      assert.match(change.body, /<d:add sel="\/resource-lists\/list\/entry" pos="prepend"[^>]*><display-name>Bob<\/display-name><\/d:add>/);
      assert.match(change.body, /<d:element [^>]*><list name="friends">\s*<entry uri="sip:bob@example.com"><display-name>Bob</);
      assert.equal(applyXcapDiff(BUDDIES, change.body), canonicalOf(BUDDIES.replace('<entry uri="sip:bob@example.com"/>', '<entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>')));
      const cseq1 = Number(initial.header('cseq')!.split(' ')[0]);
      assert.equal(Number(change.header('cseq')!.split(' ')[0]), cseq1 + 1);

      // The pending document appears once created.
      await xcapd.put('pres-rules/users/sip:alice@example.com/index', presRules('allow'), PRES_RULES_MIME);
      const created = await sub.nextNotify();
      assert.match(created.body, /<d:document [^>]*sel="pres-rules\/users\/sip:alice@example.com\/index" new-etag="[^"]+"\/>/);

      // Refresh in the dialog: 200 and the full state again.
      const refreshed = await sub.subscribe({ expires: 300 });
      assert.equal(refreshed.status, 200);
      assert.equal(refreshed.header('expires'), '300');
      const full = await sub.nextNotify();
      assert.match(full.header('subscription-state')!, /^active;expires=(300|299)$/);
      assert.match(full.body, /sel="pres-rules\/users\/sip:alice@example.com\/index" new-etag=/);
      assert.match(full.body, /sel="resource-lists\/users\/sip:alice@example.com\/index" new-etag=/);

      // Un-subscribe.
      const bye = await sub.subscribe({ expires: 0 });
      assert.equal(bye.status, 200);
      const last = await sub.nextNotify();
      assert.equal(last.header('subscription-state'), 'terminated');
      await eventually(() => (xcapd.notifications.subscriptions!.size === 0 ? true : undefined));
      const gone = await sub.subscribe({ expires: 60 });
      assert.equal(gone.status, 481);
    });
  });
}

describe('xcap-diff subscriptions: limits and endings', () => {
  test('no-patching by default; the granted expiry ends the subscription with reason=timeout', async () => {
    const xcapd = await server({ sipMaxExpires: 1 });
    await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME);
    const port = xcapd.notifications.sipPort;
    const sub = new Subscriber(await peer('udp', port), port);
    const ok = await sub.subscribe({ body: resourceList([ALICE_LIST]), event: 'xcap-diff', expires: 3600 });
    assert.equal(ok.header('expires'), '1');
    await sub.nextNotify();
    await xcapd.put(ALICE_LIST, BUDDIES.replace('bob', 'carol'), RESOURCE_LISTS_MIME);
    const change = await sub.nextNotify();
    assert.match(change.body, /<d:document [^>]*previous-etag="[^"]+" new-etag="[^"]+"\/>/, 'etags only');
    const end = await sub.nextNotify(3000);
    assert.equal(end.header('subscription-state'), 'terminated;reason=timeout');
    await eventually(() => (xcapd.notifications.subscriptions!.size === 0 ? true : undefined));
  });

  test('a collection subscription reports new documents; a refused NOTIFY ends the subscription', async () => {
    const xcapd = await server();
    const port = xcapd.notifications.sipPort;
    const sub = new Subscriber(await peer('udp', port), port);
    assert.equal((await sub.subscribe({ body: resourceList(['resource-lists/']) })).status, 200);
    const initial = await sub.nextNotify();
    assert.doesNotMatch(initial.body, /<d:document/);
    await xcapd.put(ALICE_LIST, BUDDIES, RESOURCE_LISTS_MIME);
    await xcapd.put('resource-lists/users/sip:bob@example.com/index', BUDDIES, RESOURCE_LISTS_MIME, 'bob@example.com');
    const created = await sub.nextNotify();
    assert.match(created.body, /sel="resource-lists\/users\/sip:alice@example.com\/index" new-etag=/);
    assert.doesNotMatch(created.body, /sip:bob/);
    sub.notifyAnswer = 481;
    await xcapd.put(ALICE_LIST, BUDDIES.replace('bob', 'x'), RESOURCE_LISTS_MIME);
    await sub.nextNotify();
    await eventually(() => (xcapd.notifications.subscriptions!.size === 0 ? true : undefined), 3000, 'the subscription to end');
    assert.equal(xcapd.notifications.metrics.value('xcapd_sip_notify_total', { outcome: '481' }), 1);
  });

  test('wrong event package, missing body, wrong password and OPTIONS', async () => {
    const xcapd = await server();
    const port = xcapd.notifications.sipPort;
    const p = await peer('udp', port);
    const sub = new Subscriber(p, port);
    assert.equal((await sub.subscribe({ event: 'presence', body: resourceList([ALICE_LIST]) })).status, 489);
    const noBody = new Subscriber(p, port);
    assert.equal((await noBody.subscribe({})).status, 400);
    const liar = new Subscriber(p, port, 'alice', 'wrong');
    assert.equal((await liar.subscribe({ body: resourceList([ALICE_LIST]) })).status, 401);
    p.send(
      buildMessage(`OPTIONS sip:xcapd@127.0.0.1:${port} SIP/2.0`, [
        ['Via', `SIP/2.0/UDP 127.0.0.1:${p.port};branch=z9hG4bK${token()}`],
        ['From', `<sip:alice@example.com>;tag=${token()}`],
        ['To', '<sip:xcapd@example.com>'],
        ['Call-ID', token()],
        ['CSeq', '1 OPTIONS'],
      ]),
      port,
    );
    const options = await p.next((m) => m.header('cseq') === '1 OPTIONS');
    assert.equal(options.status, 200);
    assert.equal(options.header('allow-events'), 'xcap-diff');
    assert.equal(xcapd.notifications.subscriptions!.size, 0);
  });
});
