/**
 * The tests' own SIP code, independent of src/notify/sip: a UDP or TCP peer on
 * loopback that sends requests and responses as text and collects what it receives.
 */
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { randomBytes } from 'node:crypto';

export interface TestSipMessage {
  readonly startLine: string;
  readonly headers: [string, string][];
  readonly body: string;
  header(name: string): string | undefined;
  all(name: string): string[];
  readonly status: number | null;
  readonly method: string | null;
}

const COMPACT: Record<string, string> = { v: 'via', f: 'from', t: 'to', i: 'call-id', m: 'contact', l: 'content-length', c: 'content-type', o: 'event' };

export function parseTestMessage(text: string): TestSipMessage {
  const split = text.indexOf('\r\n\r\n');
  const head = text.slice(0, split).split('\r\n');
  const startLine = head.shift()!;
  const headers: [string, string][] = head.map((line) => {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    return [COMPACT[name] ?? name, line.slice(colon + 1).trim()];
  });
  const length = Number(headers.find(([n]) => n === 'content-length')?.[1] ?? '0');
  const body = Buffer.from(text.slice(split + 4), 'utf8').subarray(0, length).toString('utf8');
  const status = /^SIP\/2\.0 (\d{3})/.exec(startLine);
  return {
    startLine,
    headers,
    body,
    header: (n) => headers.find(([k]) => k === n.toLowerCase())?.[1],
    all: (n) => headers.filter(([k]) => k === n.toLowerCase()).map(([, v]) => v),
    status: status ? Number(status[1]) : null,
    method: status ? null : startLine.split(' ')[0]!,
  };
}

export function buildMessage(startLine: string, headers: [string, string][], body = ''): string {
  const bytes = Buffer.byteLength(body, 'utf8');
  return `${startLine}\r\n${headers.map(([n, v]) => `${n}: ${v}\r\n`).join('')}Content-Length: ${bytes}\r\n\r\n${body}`;
}

/** Answers a received request: Via, From, To (+ tag), Call-ID, CSeq copied. */
export function answer(request: TestSipMessage, status: number, reason: string, extra: [string, string][] = [], toTag?: string): string {
  const headers: [string, string][] = [];
  for (const v of request.all('via')) headers.push(['Via', v]);
  headers.push(['From', request.header('from')!]);
  const to = request.header('to')!;
  headers.push(['To', toTag && !/;tag=/.test(to) ? `${to};tag=${toTag}` : to]);
  headers.push(['Call-ID', request.header('call-id')!]);
  headers.push(['CSeq', request.header('cseq')!]);
  return buildMessage(`SIP/2.0 ${status} ${reason}`, [...headers, ...extra]);
}

export function token(): string {
  return randomBytes(6).toString('hex');
}

type Handler = (message: TestSipMessage, reply: (text: string) => void) => void;

/** A SIP peer that receives over UDP or TCP and keeps every message in `received`. */
export class TestSipPeer {
  readonly received: TestSipMessage[] = [];
  private readonly consumed = new Set<TestSipMessage>();
  private waiters: { match: (m: TestSipMessage) => boolean; resolve: (m: TestSipMessage) => void }[] = [];
  handler: Handler | null = null;
  port = 0;
  private udp: UdpSocket | null = null;
  private server: Server | null = null;
  private client: Socket | null = null;
  private readonly sockets = new Set<Socket>();

  private constructor(readonly transport: 'udp' | 'tcp') {}

  static async udp(): Promise<TestSipPeer> {
    const peer = new TestSipPeer('udp');
    const socket = createSocket('udp4');
    await new Promise<void>((resolve) => socket.bind(0, '127.0.0.1', () => resolve()));
    peer.udp = socket;
    peer.port = socket.address().port;
    socket.on('message', (data, rinfo) => peer.take(data.toString('utf8'), (text) => socket.send(text, rinfo.port, rinfo.address)));
    return peer;
  }

  /** Listens for TCP connections (as a receiver of PUBLISH, or a subscriber's Contact). */
  static async tcpServer(): Promise<TestSipPeer> {
    const peer = new TestSipPeer('tcp');
    const server = createServer((socket) => peer.attach(socket));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', () => resolve()));
    peer.server = server;
    peer.port = (server.address() as { port: number }).port;
    return peer;
  }

  /** Connects to a SIP server over TCP; requests go out on that connection and everything comes back on it. */
  static async tcpClient(port: number): Promise<TestSipPeer> {
    const peer = new TestSipPeer('tcp');
    const socket = await new Promise<Socket>((resolve, reject) => {
      const s = connect({ host: '127.0.0.1', port }, () => resolve(s));
      s.once('error', reject);
    });
    peer.client = socket;
    peer.port = socket.localPort ?? 0;
    peer.attach(socket);
    return peer;
  }

  private attach(socket: Socket): void {
    this.sockets.add(socket);
    let buffer = '';
    socket.on('data', (chunk: Buffer) => {
      buffer += chunk.toString('utf8');
      for (;;) {
        const end = buffer.indexOf('\r\n\r\n');
        if (end < 0) return;
        const length = Number(/\r\n(?:content-length|l)\s*:\s*(\d+)/i.exec(buffer.slice(0, end + 2))?.[1] ?? '0');
        if (buffer.length < end + 4 + length) return;
        const text = buffer.slice(0, end + 4 + length);
        buffer = buffer.slice(end + 4 + length);
        this.take(text, (reply) => socket.write(reply));
      }
    });
    socket.on('error', () => undefined);
    socket.on('close', () => this.sockets.delete(socket));
  }

  private take(text: string, reply: (text: string) => void): void {
    const message = parseTestMessage(text);
    this.received.push(message);
    this.handler?.(message, reply);
    const w = this.waiters.find((x) => x.match(message));
    if (w) {
      this.waiters.splice(this.waiters.indexOf(w), 1);
      this.consumed.add(message);
      w.resolve(message);
    }
  }

  /** Sends raw text: over UDP to 127.0.0.1:port, over TCP on the client connection. */
  send(text: string, port?: number): void {
    if (this.udp) this.udp.send(text, port!, '127.0.0.1');
    else this.client!.write(text);
  }

  /** The earliest message not yet taken by an earlier `next` that matches (already received or yet to come). */
  next(match: (m: TestSipMessage) => boolean, ms = 5000): Promise<TestSipMessage> {
    const found = this.received.find((m) => !this.consumed.has(m) && match(m));
    if (found) {
      this.consumed.add(found);
      return Promise.resolve(found);
    }
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== waiter);
        reject(new Error(`no matching SIP message within ${ms} ms`));
      }, ms);
      const waiter = {
        match,
        resolve: (m: TestSipMessage) => {
          clearTimeout(timer);
          resolve(m);
        },
      };
      this.waiters.push(waiter);
    });
  }

  async close(): Promise<void> {
    for (const s of this.sockets) s.destroy();
    this.client?.destroy();
    await new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve()));
    await new Promise<void>((resolve) => (this.server ? this.server.close(() => resolve()) : resolve()));
  }
}
