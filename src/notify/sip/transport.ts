/**
 * A small SIP endpoint over UDP and TCP (RFC 3261 §17-18, non-INVITE transactions
 * only): it receives requests and answers them (re-sending the answer when a UDP
 * request is retransmitted), and sends requests, retransmitting over UDP with timer
 * E until a final response or the deadline.
 *
 * Responses go back where the request came from (the source address and port, as
 * RFC 3581 rport does), over the same TCP connection when there is one. Requests to a
 * peer reuse an open TCP connection to (or from) it. Host names are resolved with the
 * system resolver; there is no SRV/NAPTR lookup: configure host:port.
 */
import { randomBytes } from 'node:crypto';
import { createSocket, type Socket as UdpSocket } from 'node:dgram';
import { createServer, connect, isIP, type Server, type Socket } from 'node:net';
import {
  parseCSeq,
  parseSipMessage,
  parseVia,
  serializeSipMessage,
  SipHeaders,
  SipParseError,
  SipStreamFramer,
  type SipRequest,
  type SipResponse,
} from './message.js';

export type SipTransportName = 'udp' | 'tcp';

export interface SipPeer {
  readonly transport: SipTransportName;
  readonly address: string;
  readonly port: number;
  /** The TCP connection the message came on. */
  readonly socket?: Socket;
}

export interface SipTarget {
  readonly transport: SipTransportName;
  readonly host: string;
  readonly port: number;
}

export class SipTimeoutError extends Error {
  override readonly name = 'SipTimeoutError';
}

export interface SipEndpointOptions {
  /** Address to bind (both transports); '127.0.0.1' by default. */
  readonly host?: string;
  /** 0 picks a free port (the same number for UDP and TCP). */
  readonly port?: number;
  readonly udp?: boolean;
  readonly tcp?: boolean;
  /** host[:port] written in Via and Contact; by default the bound address. */
  readonly advertise?: string;
  /** Called for every request that is not a retransmission. */
  readonly onRequest?: (request: SipRequest, peer: SipPeer) => void;
  readonly onError?: (error: Error, peer: SipPeer | null) => void;
}

const T1 = 500;
const T2 = 4000;
/** How long an answered request is remembered so that its retransmissions get the same answer (timer J). */
const ANSWER_MEMORY_MS = 64 * T1;
const MAX_REMEMBERED = 10_000;

interface ClientTransaction {
  readonly resolve: (r: SipResponse) => void;
  readonly reject: (e: Error) => void;
  readonly method: string;
  retransmit: NodeJS.Timeout | null;
  deadline: NodeJS.Timeout;
}

export class SipEndpoint {
  private udp: UdpSocket | null = null;
  private tcp: Server | null = null;
  private readonly connections = new Map<string, Socket>();
  private readonly clients = new Map<string, ClientTransaction>();
  private readonly answered = new Map<string, { data: Buffer; at: number }>();
  private closed = false;
  host = '127.0.0.1';
  port = 0;
  private advertised = '';

  private constructor(private readonly options: SipEndpointOptions) {}

  static async open(options: SipEndpointOptions): Promise<SipEndpoint> {
    const endpoint = new SipEndpoint(options);
    await endpoint.bind();
    return endpoint;
  }

  /** host:port for Via and Contact. */
  get sentBy(): string {
    return this.advertised;
  }

  onRequest: ((request: SipRequest, peer: SipPeer) => void) | undefined = undefined;

  private async bind(): Promise<void> {
    const host = this.options.host ?? '127.0.0.1';
    const wantUdp = this.options.udp !== false;
    const wantTcp = this.options.tcp !== false;
    let port = this.options.port ?? 0;
    // With port 0 the UDP socket picks the number and TCP must get the same one; retry if taken.
    for (let attempt = 0; ; attempt++) {
      try {
        if (wantUdp) port = await this.bindUdp(host, port);
        if (wantTcp) port = await this.bindTcp(host, port);
        break;
      } catch (e) {
        this.udp?.close();
        this.udp = null;
        if ((this.options.port ?? 0) !== 0 || attempt >= 5) throw e;
        port = 0;
      }
    }
    this.host = host;
    this.port = port;
    const shownHost = isIP(host) === 6 ? `[${host}]` : host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host;
    this.advertised = this.options.advertise ?? `${shownHost}:${port}`;
    if (!/:\d+$/.test(this.advertised) || this.advertised.endsWith(']')) this.advertised = `${this.advertised}:${port}`;
  }

  private bindUdp(host: string, port: number): Promise<number> {
    const socket = createSocket(isIP(host) === 6 ? 'udp6' : 'udp4');
    return new Promise((resolve, reject) => {
      socket.once('error', reject);
      socket.bind(port, host, () => {
        socket.off('error', reject);
        socket.on('error', (e) => this.options.onError?.(e, null));
        socket.on('message', (data, rinfo) => this.receive(data, { transport: 'udp', address: rinfo.address, port: rinfo.port }));
        this.udp = socket;
        resolve(socket.address().port);
      });
    });
  }

  private bindTcp(host: string, port: number): Promise<number> {
    const server = createServer((socket) => this.adopt(socket));
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        this.tcp = server;
        const address = server.address();
        resolve(typeof address === 'object' && address ? address.port : port);
      });
    });
  }

  /** Reads framed messages from a connection (accepted or opened) and remembers it for reuse. */
  private adopt(socket: Socket): void {
    const key = `${socket.remoteAddress}:${socket.remotePort}`;
    this.connections.set(key, socket);
    const framer = new SipStreamFramer();
    socket.setNoDelay(true);
    socket.on('data', (chunk: Buffer) => {
      let messages: Buffer[];
      try {
        messages = framer.push(chunk);
      } catch (e) {
        this.options.onError?.(e as Error, null);
        socket.destroy();
        return;
      }
      const peer: SipPeer = { transport: 'tcp', address: socket.remoteAddress ?? '', port: socket.remotePort ?? 0, socket };
      for (const m of messages) this.receive(m, peer);
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      if (this.connections.get(key) === socket) this.connections.delete(key);
    });
  }

  private receive(data: Buffer, peer: SipPeer): void {
    if (this.closed) return;
    if (data.length <= 4 && data.toString('latin1').trim() === '') return; // keep-alive
    let message;
    try {
      message = parseSipMessage(data);
    } catch (e) {
      if (e instanceof SipParseError) {
        this.options.onError?.(e, peer);
        return;
      }
      throw e;
    }
    if (message.kind === 'response') {
      const branch = this.topBranch(message.headers);
      const tx = branch ? this.clients.get(branch) : undefined;
      if (!tx) return;
      if (message.status < 200) {
        // A provisional answer: keep retransmitting, but at T2 (§17.1.2.2).
        if (tx.retransmit) tx.retransmit.refresh();
        return;
      }
      this.finish(branch!, tx);
      tx.resolve(message);
      return;
    }
    const key = this.requestKey(message);
    if (key !== null) {
      const previous = this.answered.get(key);
      if (previous) {
        this.transmit(previous.data, peer);
        return;
      }
    }
    (this.onRequest ?? this.options.onRequest)?.(message, peer);
  }

  private topBranch(headers: SipHeaders): string | undefined {
    const top = headers.get('via');
    if (!top) return undefined;
    try {
      return parseVia(top).params.get('branch');
    } catch {
      return undefined;
    }
  }

  private requestKey(request: SipRequest): string | null {
    const branch = this.topBranch(request.headers);
    if (!branch) return null;
    return `${branch}\u0000${request.method}`;
  }

  /** Answers a request: Via, From, To (with `toTag` added when it has none), Call-ID and CSeq copied. */
  respond(
    request: SipRequest,
    peer: SipPeer,
    status: number,
    reason: string,
    extra: readonly (readonly [string, string])[] = [],
    body?: { type: string; data: Buffer },
    toTag?: string,
  ): void {
    const headers = new SipHeaders();
    for (const via of request.headers.getAll('via')) headers.add('Via', via);
    headers.add('From', request.headers.get('from')!);
    let to = request.headers.get('to')!;
    if (toTag && !/;\s*tag=/i.test(to)) to += `;tag=${toTag}`;
    headers.add('To', to);
    headers.add('Call-ID', request.headers.get('call-id')!);
    headers.add('CSeq', request.headers.get('cseq')!);
    for (const [n, v] of extra) headers.add(n, v);
    if (body) headers.add('Content-Type', body.type);
    const data = serializeSipMessage({ kind: 'response', status, reason, headers, body: body?.data ?? Buffer.alloc(0) });
    const key = this.requestKey(request);
    if (key !== null && status >= 200 && peer.transport === 'udp') {
      if (this.answered.size >= MAX_REMEMBERED) this.answered.delete(this.answered.keys().next().value!);
      this.answered.set(key, { data, at: Date.now() });
      setTimeout(() => this.answered.delete(key), ANSWER_MEMORY_MS).unref();
    }
    this.transmit(data, peer);
  }

  /**
   * Sends a request (its top Via is added here) and resolves with the final
   * response; rejects with SipTimeoutError when none comes before `timeoutMs`.
   */
  request(request: SipRequest, target: SipTarget, options: { timeoutMs?: number; socket?: Socket } = {}): Promise<SipResponse> {
    if (this.closed) return Promise.reject(new Error('the SIP endpoint is closed'));
    const branch = `z9hG4bK${randomBytes(10).toString('hex')}`;
    const headers = new SipHeaders();
    headers.add('Via', `SIP/2.0/${target.transport.toUpperCase()} ${this.advertised};branch=${branch};rport`);
    for (const [n, v] of request.headers) if (n !== 'via') headers.add(n, v);
    if (!headers.has('max-forwards')) headers.add('Max-Forwards', '70');
    const data = serializeSipMessage({ ...request, headers });
    const method = parseCSeq(headers.get('cseq') ?? `1 ${request.method}`).method;
    const timeoutMs = options.timeoutMs ?? 64 * T1;
    return new Promise<SipResponse>((resolve, reject) => {
      const tx: ClientTransaction = {
        resolve,
        reject,
        method,
        retransmit: null,
        deadline: setTimeout(() => {
          this.finish(branch, tx);
          reject(new SipTimeoutError(`no final response to ${method} from ${target.host}:${target.port} within ${timeoutMs} ms`));
        }, timeoutMs),
      };
      this.clients.set(branch, tx);
      const fail = (e: Error): void => {
        this.finish(branch, tx);
        reject(e);
      };
      if (target.transport === 'udp') {
        this.sendUdp(data, target.host, target.port, fail);
        let interval = T1;
        const again = (): void => {
          this.sendUdp(data, target.host, target.port, fail);
          interval = Math.min(interval * 2, T2);
          tx.retransmit = setTimeout(again, interval);
        };
        tx.retransmit = setTimeout(again, interval);
      } else {
        this.sendTcp(data, target, options.socket).catch(fail);
      }
    });
  }

  private finish(branch: string, tx: ClientTransaction): void {
    clearTimeout(tx.deadline);
    if (tx.retransmit) clearTimeout(tx.retransmit);
    this.clients.delete(branch);
  }

  private transmit(data: Buffer, peer: SipPeer): void {
    if (peer.transport === 'udp') {
      this.sendUdp(data, peer.address, peer.port, (e) => this.options.onError?.(e, peer));
      return;
    }
    const socket = peer.socket ?? this.connections.get(`${peer.address}:${peer.port}`);
    if (socket && !socket.destroyed) socket.write(data);
    else this.sendTcp(data, { transport: 'tcp', host: peer.address, port: peer.port }).catch((e: Error) => this.options.onError?.(e, peer));
  }

  private sendUdp(data: Buffer, host: string, port: number, fail: (e: Error) => void): void {
    if (!this.udp) {
      fail(new Error('UDP is not enabled on this SIP endpoint'));
      return;
    }
    this.udp.send(data, port, host, (e) => {
      if (e) fail(e);
    });
  }

  private async sendTcp(data: Buffer, target: SipTarget, preferred?: Socket): Promise<void> {
    let socket = preferred && !preferred.destroyed ? preferred : this.connections.get(`${target.host}:${target.port}`);
    if (!socket || socket.destroyed) {
      socket = await new Promise<Socket>((resolve, reject) => {
        const s = connect({ host: target.host, port: target.port });
        s.once('connect', () => {
          s.off('error', reject);
          resolve(s);
        });
        s.once('error', reject);
      });
      this.adopt(socket);
      // Also reachable under the name it was asked for.
      this.connections.set(`${target.host}:${target.port}`, socket);
    }
    socket.write(data);
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const [branch, tx] of this.clients) {
      this.finish(branch, tx);
      tx.reject(new Error('the SIP endpoint is closing'));
    }
    for (const socket of this.connections.values()) socket.destroy();
    this.connections.clear();
    await Promise.all([
      new Promise<void>((resolve) => (this.udp ? this.udp.close(() => resolve()) : resolve())),
      new Promise<void>((resolve) => (this.tcp ? this.tcp.close(() => resolve()) : resolve())),
    ]);
  }
}

/** `udp:host:port`, `tcp:host:port`, `host:port` (UDP) or `sip:host[:port][;transport=tcp]`. */
export function parseSipTarget(text: string, defaultPort = 5060): SipTarget {
  const t = text.trim();
  const sip = /^sips?:(?:[^@]+@)?(\[[^\]]+\]|[^:;]+)(?::(\d+))?(.*)$/i.exec(t);
  if (sip) {
    const transport = /;\s*transport=tcp/i.test(sip[3] ?? '') ? 'tcp' : 'udp';
    return { transport, host: sip[1]!.replace(/^\[(.*)\]$/, '$1'), port: sip[2] ? Number(sip[2]) : defaultPort };
  }
  const m = /^(?:(udp|tcp):)?(\[[^\]]+\]|[^:]+)(?::(\d+))?$/i.exec(t);
  if (!m) throw new TypeError(`not a SIP target: ${JSON.stringify(text)} (write udp:host:port, tcp:host:port or sip:host:port;transport=tcp)`);
  return {
    transport: (m[1]?.toLowerCase() ?? 'udp') as SipTransportName,
    host: m[2]!.replace(/^\[(.*)\]$/, '$1'),
    port: m[3] ? Number(m[3]) : defaultPort,
  };
}

export function randomTag(): string {
  return randomBytes(8).toString('hex');
}
