import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import {
  parseCSeq,
  parseEvent,
  parseNameAddr,
  parseSipMessage,
  parseSipUri,
  parseVia,
  serializeSipMessage,
  SipHeaders,
  SipParseError,
  SipStreamFramer,
  splitList,
} from '../../../src/notify/sip/message.js';
import { parseSipTarget } from '../../../src/notify/sip/transport.js';

const SUBSCRIBE = [
  'SUBSCRIBE sip:xcapd@example.com SIP/2.0',
  'v: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport, SIP/2.0/TCP proxy.example.com;branch=z9hG4bK0',
  'f: "Joe, Jr." <sip:joe@example.com>;tag=abc',
  't: <sip:joe@example.com>',
  'i: call-1@example.com',
  'CSeq: 7 SUBSCRIBE',
  'o: xcap-diff; diff-processing=aggregate',
  'Subject: a long',
  '  folded line',
  'c: application/resource-lists+xml',
  'l: 5',
  '',
  'hello-and-more',
].join('\r\n');

describe('SIP message parsing', () => {
  test('compact names, folded lines, lists split outside quotes, Content-Length bounds the body', () => {
    const m = parseSipMessage(Buffer.from(SUBSCRIBE));
    assert.equal(m.kind, 'request');
    if (m.kind !== 'request') return;
    assert.equal(m.method, 'SUBSCRIBE');
    assert.equal(m.uri, 'sip:xcapd@example.com');
    assert.deepEqual(m.headers.getAll('via'), ['SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK1;rport', 'SIP/2.0/TCP proxy.example.com;branch=z9hG4bK0']);
    assert.equal(m.headers.get('From'), '"Joe, Jr." <sip:joe@example.com>;tag=abc');
    assert.equal(m.headers.get('subject'), 'a long folded line');
    assert.equal(m.headers.get('event'), 'xcap-diff; diff-processing=aggregate');
    assert.equal(m.body.toString(), 'hello');
  });

  test('responses, and what is refused', () => {
    const r = parseSipMessage(Buffer.from('SIP/2.0 200 OK\r\nVia: SIP/2.0/UDP h;branch=z9hG4bKx\r\nFrom: <sip:a@b>;tag=1\r\nTo: <sip:a@b>\r\nCall-ID: c\r\nCSeq: 1 NOTIFY\r\nContent-Length: 0\r\n\r\n'));
    assert.equal(r.kind, 'response');
    assert.equal(r.kind === 'response' && r.status, 200);
    const bad = (text: string): void => assert.throws(() => parseSipMessage(Buffer.from(text)), SipParseError);
    bad('SUBSCRIBE sip:x SIP/2.0\r\nVia: SIP/2.0/UDP h\r\n\r\n');
    bad('GARBAGE\r\n\r\n');
    bad(SUBSCRIBE.replace('l: 5', 'l: 500'));
    bad(SUBSCRIBE.replace('l: 5', 'l: -1'));
    bad(SUBSCRIBE.replace('CSeq: 7 SUBSCRIBE', 'Bad Header Line'));
  });

  test('serialize and parse back', () => {
    const headers = SipHeaders.of([
      ['Via', 'SIP/2.0/UDP h:5060;branch=z9hG4bK9'],
      ['From', '<sip:a@b>;tag=1'],
      ['To', '<sip:c@d>'],
      ['Call-ID', 'x@y'],
      ['CSeq', '2 NOTIFY'],
      ['Subscription-State', 'active;expires=60'],
      ['Content-Length', '999'],
    ]);
    const wire = serializeSipMessage({ kind: 'request', method: 'NOTIFY', uri: 'sip:c@10.0.0.2:5062', headers, body: Buffer.from('é') });
    const text = wire.toString('utf8');
    assert.match(text, /^NOTIFY sip:c@10\.0\.0\.2:5062 SIP\/2\.0\r\n/);
    assert.match(text, /\r\nCall-ID: x@y\r\n/);
    assert.match(text, /\r\nCSeq: 2 NOTIFY\r\n/);
    assert.match(text, /\r\nContent-Length: 2\r\n\r\né$/);
    const back = parseSipMessage(wire);
    assert.equal(back.headers.get('subscription-state'), 'active;expires=60');
    assert.throws(() => headers.add('X', 'a\r\nInjected: 1'), TypeError);
  });

  test('stream framing: several messages per chunk, split messages, CRLF keep-alives', () => {
    const framer = new SipStreamFramer();
    const one = Buffer.from(SUBSCRIBE.slice(0, SUBSCRIBE.length - ' -and-more'.length + 1));
    assert.equal(one.toString().endsWith('\r\n\r\nhello'), true);
    const both = Buffer.concat([Buffer.from('\r\n\r\n'), one, one]);
    const first = framer.push(both.subarray(0, 30));
    assert.equal(first.length, 0);
    const rest = framer.push(both.subarray(30));
    assert.equal(rest.length, 2);
    assert.equal(parseSipMessage(rest[1]!).body.toString(), 'hello');
    assert.throws(() => new SipStreamFramer().push(Buffer.from('OPTIONS sip:x SIP/2.0\r\nVia: x\r\n\r\n')), /Content-Length/);
  });
});

describe('SIP header values', () => {
  test('name-addr, Via, CSeq, Event, URIs, targets', () => {
    const n = parseNameAddr('"Alice" <sip:alice@example.com;transport=tcp>;tag=88');
    assert.equal(n.display, 'Alice');
    assert.equal(n.uri, 'sip:alice@example.com;transport=tcp');
    assert.equal(n.params.get('tag'), '88');
    assert.equal(parseNameAddr('sip:bob@example.com;tag=1').uri, 'sip:bob@example.com');
    assert.throws(() => parseNameAddr('<http://x>'), SipParseError);
    const v = parseVia('SIP/2.0/TCP [::1]:5070;branch=z9hG4bKa;received=1.2.3.4');
    assert.deepEqual([v.transport, v.host, v.port, v.params.get('branch')], ['TCP', '::1', 5070, 'z9hG4bKa']);
    assert.deepEqual(parseCSeq('12  subscribe'), { seq: 12, method: 'SUBSCRIBE' });
    const e = parseEvent('Xcap-Diff;diff-processing=xcap-patching;id=7');
    assert.equal(e.package, 'xcap-diff');
    assert.equal(e.params.get('diff-processing'), 'xcap-patching');
    const u = parseSipUri('sip:alice@192.0.2.1:5062;transport=TCP;lr');
    assert.deepEqual([u.user, u.host, u.port, u.params.get('transport')], ['alice', '192.0.2.1', 5062, 'TCP']);
    assert.deepEqual(splitList('<sip:a,b@x>, "q,r" <sip:c@d>,e'), ['<sip:a,b@x>', '"q,r" <sip:c@d>', 'e']);
    assert.deepEqual(parseSipTarget('tcp:127.0.0.1:5080'), { transport: 'tcp', host: '127.0.0.1', port: 5080 });
    assert.deepEqual(parseSipTarget('proxy.example.com'), { transport: 'udp', host: 'proxy.example.com', port: 5060 });
    assert.deepEqual(parseSipTarget('sip:[::1]:5090;transport=tcp'), { transport: 'tcp', host: '::1', port: 5090 });
    assert.throws(() => parseSipTarget('http://x/'), TypeError);
  });
});
