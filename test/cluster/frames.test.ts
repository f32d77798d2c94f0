/**
 * The framing of the writer socket: values survive encodeFrame → FrameDecoder however
 * the bytes are cut into chunks, a corrupt stream is refused, and FramedConnection
 * over a real Unix socket keeps order, reports its end once, and cuts off a peer that
 * stops reading.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { encodeFrame, FrameDecoder, FrameError, FramedConnection, MAX_FRAME_BYTES } from '../../src/cluster/frames.js';
import { eventually, sleep, withTimeout } from '../helpers/wait.js';

/** Values of the kinds the writer protocol carries: Maps, bytes, non-ASCII text, nesting. */
const SAMPLES: readonly unknown[] = [
  {
    type: 'write',
    id: 1,
    namespaceBindings: new Map([
      ['rl', 'urn:ietf:params:xml:ns:resource-lists'],
      ['', 'urn:default'],
    ]),
    body: new TextEncoder().encode('<entry uri="sip:zoë@example.com">😀</entry>'),
    raw: Buffer.from([0, 255, 10, 13, 0x80]),
  },
  {
    text: 'Grüße 😀 𝄞 𠜎 — 中文 \u0000 end',
    nested: { list: [1, { deeper: [null, true, 2.5, 'é'] }], empty: {}, chain: { a: { b: { c: 'bottom' } } } },
  },
  'a bare string with an astral character 🜁',
  [new Map<number, Map<string, Uint8Array>>([[1, new Map([['inner', new Uint8Array([7, 8, 9])]])]])],
  // Longer than one socket read, so the socket tests see a frame arrive in pieces.
  { large: 'ü'.repeat(100_000) },
];

function decodeAll(decoder: FrameDecoder, chunks: readonly Buffer[]): unknown[] {
  return chunks.flatMap((chunk) => decoder.push(chunk));
}

describe('encodeFrame and FrameDecoder', () => {
  test('each value comes back equal when its frame arrives in one chunk', () => {
    const decoder = new FrameDecoder();
    for (const sample of SAMPLES) {
      assert.deepEqual(decoder.push(encodeFrame(sample)), [sample]);
    }
  });

  test('the frame starts with the big-endian length of the rest', () => {
    const frame = encodeFrame({ hello: 'wörld' });
    assert.equal(frame.readUInt32BE(0), frame.length - 4);
  });

  test('several frames in one chunk come back in order', () => {
    const decoder = new FrameDecoder();
    assert.deepEqual(decoder.push(Buffer.concat(SAMPLES.map(encodeFrame))), SAMPLES);
  });

  test('two frames cut in two at every byte boundary come back whole and in order', () => {
    const pairs: [unknown, unknown][] = [
      [SAMPLES[0], SAMPLES[1]],
      [SAMPLES[2], SAMPLES[3]],
    ];
    for (const [first, second] of pairs) {
      const firstFrame = encodeFrame(first);
      const stream = Buffer.concat([firstFrame, encodeFrame(second)]);
      for (let cut = 0; cut <= stream.length; cut++) {
        const decoder = new FrameDecoder();
        const head = decoder.push(stream.subarray(0, cut));
        const expectedHead = cut === stream.length ? [first, second] : cut >= firstFrame.length ? [first] : [];
        assert.deepEqual(head, expectedHead, `messages completed by the first ${cut} bytes`);
        assert.deepEqual([...head, ...decoder.push(stream.subarray(cut))], [first, second], `cut at byte ${cut}`);
      }
    }
  });

  test('a stream fed one byte at a time yields each value when its last byte arrives', () => {
    const frames = SAMPLES.slice(0, 4).map(encodeFrame);
    const stream = Buffer.concat(frames);
    const ends = new Set<number>();
    let offset = 0;
    for (const frame of frames) ends.add((offset += frame.length));
    const decoder = new FrameDecoder();
    const decoded: unknown[] = [];
    for (let i = 0; i < stream.length; i++) {
      const out = decoder.push(stream.subarray(i, i + 1));
      assert.equal(out.length, ends.has(i + 1) ? 1 : 0, `messages completed by byte ${i + 1}`);
      decoded.push(...out);
    }
    assert.deepEqual(decoded, SAMPLES.slice(0, 4));
  });

  test('a decoded Buffer stays a Buffer and a Uint8Array a Uint8Array', () => {
    const [decoded] = new FrameDecoder().push(encodeFrame({ buffer: Buffer.from('abc'), bytes: new Uint8Array([1, 2]) })) as [
      { buffer: unknown; bytes: unknown },
    ];
    assert.ok(Buffer.isBuffer(decoded.buffer));
    assert.ok(decoded.bytes instanceof Uint8Array);
    assert.ok(!Buffer.isBuffer(decoded.bytes));
  });

  test('a length over MAX_FRAME_BYTES is refused as soon as the prefix is in', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_BYTES + 1, 0);
    assert.throws(() => new FrameDecoder().push(prefix), FrameError);
  });

  test('a length of exactly MAX_FRAME_BYTES is waited for, not refused', () => {
    const prefix = Buffer.alloc(4);
    prefix.writeUInt32BE(MAX_FRAME_BYTES, 0);
    assert.deepEqual(new FrameDecoder().push(Buffer.concat([prefix, Buffer.from('partial')])), []);
  });

  test('a frame whose body is not a serialized value is refused', () => {
    for (const garbage of [[1, 2, 3], [0xff, 0x0f, 0x22], [0, 0, 0, 0, 0, 0]]) {
      const body = Buffer.from(garbage);
      const prefix = Buffer.alloc(4);
      prefix.writeUInt32BE(body.length, 0);
      assert.throws(() => new FrameDecoder().push(Buffer.concat([prefix, body])), FrameError, `body ${body.toString('hex')}`);
    }
  });
});

describe('FramedConnection over a Unix socket', () => {
  let dir: string;
  let server: Server;
  let path: string;
  const accepted: Socket[] = [];
  const clients: Socket[] = [];

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'xcapd-frames-'));
    path = join(dir, 'frames.sock');
    server = createServer((socket) => accepted.push(socket));
    await new Promise<void>((resolve) => server.listen(path, resolve));
  });

  after(async () => {
    for (const socket of [...clients, ...accepted]) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    rmSync(dir, { recursive: true, force: true });
  });

  /** A connected pair: this process's client end and the server's end of it. */
  async function socketPair(): Promise<{ client: Socket; peer: Socket }> {
    const before = accepted.length;
    const client = createConnection(path);
    clients.push(client);
    await new Promise<void>((resolve, reject) => {
      client.once('connect', resolve);
      client.once('error', reject);
    });
    const peer = await eventually(() => accepted[before], 2000, 'the server to accept the connection');
    return { client, peer };
  }

  test('messages sent in one tick arrive in order, in both directions', async () => {
    const { client, peer } = await socketPair();
    const atPeer: unknown[] = [];
    const atClient: unknown[] = [];
    const ignoreClose = (): void => undefined;
    const near = new FramedConnection(client, { onMessage: (m) => atClient.push(m), onClose: ignoreClose }, 16 * 2 ** 20);
    const far = new FramedConnection(peer, { onMessage: (m) => atPeer.push(m), onClose: ignoreClose }, 16 * 2 ** 20);
    const outgoing = Array.from({ length: 100 }, (_, i) => ({ seq: i, sample: SAMPLES[i % SAMPLES.length] }));
    for (const message of outgoing) assert.equal(near.send(encodeFrame(message)), true);
    for (const message of outgoing) assert.equal(far.send(encodeFrame(message)), true);
    await eventually(() => (atPeer.length === outgoing.length && atClient.length === outgoing.length) || undefined, 4000, 'all 100 messages each way');
    assert.deepEqual(atPeer, outgoing);
    assert.deepEqual(atClient, outgoing);
    near.destroy();
    far.destroy();
  });

  test('onClose is called once, without an error, when the peer closes', async () => {
    const { client, peer } = await socketPair();
    const closes: (Error | undefined)[] = [];
    const connection = new FramedConnection(peer, { onMessage: () => undefined, onClose: (e) => closes.push(e) }, 2 ** 20);
    client.end();
    await eventually(() => closes.length > 0 || undefined, 2000, 'onClose');
    // The socket's own close and error events come after the end: none may report again.
    await sleep(50);
    connection.destroy();
    assert.deepEqual(closes, [undefined]);
    assert.equal(connection.isOpen, false);
    assert.equal(connection.send(encodeFrame('too late')), false);
  });

  test('destroy() reports once and ends the peer', async () => {
    const { client, peer } = await socketPair();
    const closes: (Error | undefined)[] = [];
    const connection = new FramedConnection(client, { onMessage: () => undefined, onClose: (e) => closes.push(e) }, 2 ** 20);
    const peerClosed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    connection.destroy();
    connection.destroy();
    await withTimeout(peerClosed, 2000, 'the peer to see the end');
    await sleep(20);
    assert.deepEqual(closes, [undefined]);
  });

  test('a corrupt stream from the peer closes the connection with a FrameError', async () => {
    const { client, peer } = await socketPair();
    const received: unknown[] = [];
    const closes: (Error | undefined)[] = [];
    new FramedConnection(peer, { onMessage: (m) => received.push(m), onClose: (e) => closes.push(e) }, 2 ** 20);
    const garbage = Buffer.from([0, 0, 0, 3, 1, 2, 3]);
    client.write(Buffer.concat([encodeFrame('fine'), garbage]));
    await eventually(() => closes.length > 0 || undefined, 2000, 'onClose');
    assert.equal(closes.length, 1);
    assert.ok(closes[0] instanceof FrameError, `closed with ${String(closes[0])}`);
  });

  test('a peer that does not read is cut off once maxUnsentBytes pile up', async () => {
    const { client, peer } = await socketPair();
    // The far end reads nothing, so the kernel buffers fill and the rest waits in the socket.
    peer.pause();
    const peerClosed = new Promise<void>((resolve) => peer.once('close', () => resolve()));
    const closes: (Error | undefined)[] = [];
    const maxUnsent = 64 * 1024;
    const connection = new FramedConnection(client, { onMessage: () => undefined, onClose: (e) => closes.push(e) }, maxUnsent);
    const big = encodeFrame({ filler: Buffer.alloc(256 * 1024, 0x61) });
    let accepted = 0;
    // Bounded: far more than any kernel buffer can hold before the cut-off must come.
    for (let i = 0; i < 400; i++) {
      if (!connection.send(big)) break;
      accepted++;
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.ok(accepted < 400, 'send() refused a frame at some point');
    assert.ok(accepted >= 1, 'the first frame was accepted');
    assert.equal(connection.isOpen, false);
    assert.equal(connection.send(encodeFrame('after the cut-off')), false);
    assert.equal(closes.length, 1);
    assert.ok(closes[0] instanceof Error);
    assert.match(closes[0].message, /unread/);
    // Once it reads again, it finds the end of the stream after what got through.
    peer.on('data', () => undefined);
    peer.resume();
    await withTimeout(peerClosed, 2000, 'the cut-off peer to see the end');
  });
});

