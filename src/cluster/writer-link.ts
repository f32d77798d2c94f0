/**
 * A worker's end of the writer socket: forwards authenticated writes to the writing
 * worker and hands back its answers, sends the changes this process commits itself,
 * and follows everyone's changes while this process's feed streams need them. While
 * the writing worker is away (starting, restarting) writes are answered 503 with
 * Retry-After: whether a write that was under way landed is unknown, and an If-Match
 * makes trying again safe.
 */
import { createConnection } from 'node:net';
import type { Logger } from 'pino';
import type { ChangeFollower } from '../notify/feed.js';
import type { DocumentChange, XcapRequest, XcapResponse } from '../service/xcap-service.js';
import { encodeFrame, FramedConnection } from './frames.js';
import { isMessage, MAX_UNSENT_BYTES, relayable, unavailable, type FromWriter, type ToWriter } from './writer-protocol.js';

export interface WriterLinkOptions {
  readonly path: string;
  /** A change another process committed (only while following). */
  readonly onRelayedChange: (change: DocumentChange) => void;
  readonly logger: Logger;
  /** How long a write waits for the writing worker to be reachable before it is answered 503. */
  readonly connectWaitMs?: number;
  /** How long a forwarded write may take before the client is told to try again. */
  readonly forwardTimeoutMs?: number;
  readonly reconnectDelayMs?: number;
}

interface Waiting {
  resolve(response: XcapResponse): void;
  readonly timer: NodeJS.Timeout;
}

export class WriterLink implements ChangeFollower {
  private connection: FramedConnection | null = null;
  private connecting = false;
  private closed = false;
  private lastId = 0;
  private readonly waiting = new Map<number, Waiting>();
  /** Callers waiting for a connection. */
  private readonly connectWaiters = new Set<() => void>();
  /** Whether this process wants others' changes; whether the writing worker has acknowledged it on this connection. */
  private wantFollow = false;
  private followAcked = false;
  /** The last follow request sent on this connection (0: none); only its acknowledgement counts. */
  private followSeq = 0;
  private followSent = false;
  private readonly followWaiters = new Set<{ resolve(): void; reject(e: Error): void }>();
  private readonly missedListeners: (() => void)[] = [];
  private readonly connectWaitMs: number;
  private readonly forwardTimeoutMs: number;
  private readonly reconnectDelayMs: number;

  constructor(private readonly options: WriterLinkOptions) {
    this.connectWaitMs = options.connectWaitMs ?? 2000;
    this.forwardTimeoutMs = options.forwardTimeoutMs ?? 30_000;
    this.reconnectDelayMs = options.reconnectDelayMs ?? 100;
    this.connect();
  }

  /** Carries out an authenticated write on the writing worker. Never rejects. */
  readonly forward = async (request: XcapRequest): Promise<XcapResponse> => {
    if (!(await this.connected())) return unavailable('the writing worker is not running');
    return new Promise((resolve) => {
      const id = ++this.lastId;
      const timer = setTimeout(() => this.settle(id, unavailable('the writing worker did not answer in time')), this.forwardTimeoutMs);
      this.waiting.set(id, { resolve, timer });
      if (!this.send({ type: 'write', id, request })) this.settle(id, unavailable('the write could not be passed on'));
    });
  };

  /**
   * A change this process committed: for the other workers' feeds and the SIP
   * subscriptions. Without a connection it is not sent; the followers then have no
   * connection either (the writing worker is away) and their feeds already reset.
   */
  readonly publish = (change: DocumentChange): void => {
    this.send({ type: 'change', change: relayable(change) });
  };

  async follow(): Promise<void> {
    this.wantFollow = true;
    if (this.followAcked && this.connection?.isOpen) return;
    if (!(await this.connected())) throw new Error('the writing worker is not running');
    if (!this.wantFollow) throw new Error('unfollowed before following began');
    if (this.followAcked) return;
    await new Promise<void>((resolve, reject) => {
      this.followWaiters.add({ resolve, reject });
      if (!this.followSent) this.requestFollowing(true);
    });
  }

  /** Stops following; a follow() still waiting rejects. */
  unfollow(): void {
    this.wantFollow = false;
    this.followAcked = false;
    if (this.followSent) this.requestFollowing(false);
    const cancelled = new Error('unfollowed before following began');
    for (const waiter of this.followWaiters) waiter.reject(cancelled);
    this.followWaiters.clear();
  }

  private requestFollowing(on: boolean): void {
    this.followSent = on;
    this.send({ type: 'follow', on, seq: ++this.followSeq });
  }

  onMissed(listener: () => void): void {
    this.missedListeners.push(listener);
  }

  close(): void {
    this.closed = true;
    this.connection?.destroy();
  }

  private send(message: ToWriter): boolean {
    return this.connection?.send(encodeFrame(message)) ?? false;
  }

  private settle(id: number, response: XcapResponse): void {
    const entry = this.waiting.get(id);
    if (entry === undefined) return;
    this.waiting.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(response);
  }

  /** True once connected, false when that does not happen within connectWaitMs. */
  private connected(): Promise<boolean> {
    if (this.connection?.isOpen) return Promise.resolve(true);
    if (this.closed) return Promise.resolve(false);
    return new Promise((resolve) => {
      const done = (ok: boolean): void => {
        clearTimeout(timer);
        this.connectWaiters.delete(onConnect);
        resolve(ok);
      };
      const onConnect = (): void => done(true);
      const timer = setTimeout(() => done(false), this.connectWaitMs);
      this.connectWaiters.add(onConnect);
    });
  }

  private connect(): void {
    if (this.closed || this.connecting) return;
    this.connecting = true;
    const socket = createConnection(this.options.path);
    const retry = (): void => {
      this.connecting = false;
      if (!this.closed) setTimeout(() => this.connect(), this.reconnectDelayMs).unref();
    };
    socket.once('error', retry);
    socket.once('connect', () => {
      socket.off('error', retry);
      this.connecting = false;
      // close() came while this connection was being made: nothing may keep it open.
      if (this.closed) {
        socket.destroy();
        return;
      }
      const connection = new FramedConnection(
        socket,
        { onMessage: (message) => this.receive(message), onClose: () => this.lost(connection) },
        MAX_UNSENT_BYTES,
      );
      this.connection = connection;
      this.followSent = false;
      if (this.wantFollow) this.requestFollowing(true);
      for (const waiter of [...this.connectWaiters]) waiter();
    });
  }

  private receive(raw: unknown): void {
    if (!isMessage(raw)) return;
    const message = raw as FromWriter;
    switch (message.type) {
      case 'result':
        this.settle(message.id, message.response);
        return;
      case 'change':
        if (this.followAcked) this.options.onRelayedChange(message.change);
        return;
      case 'following':
        if (message.seq !== this.followSeq) return;
        this.followAcked = message.on && this.wantFollow;
        if (this.followAcked) {
          for (const waiter of this.followWaiters) waiter.resolve();
          this.followWaiters.clear();
        }
        return;
    }
  }

  private lost(connection: FramedConnection): void {
    if (this.connection !== connection) return;
    this.connection = null;
    const wasFollowing = this.followAcked || this.followWaiters.size > 0;
    this.followAcked = false;
    this.followSent = false;
    for (const id of [...this.waiting.keys()]) this.settle(id, unavailable('the writing worker stopped while carrying out this request'));
    const broken = new Error('the connection to the writing worker broke');
    for (const waiter of this.followWaiters) waiter.reject(broken);
    this.followWaiters.clear();
    if (wasFollowing) for (const listener of this.missedListeners) listener();
    if (!this.closed) {
      this.options.logger.warn('lost the connection to the writing worker; connecting again');
      setTimeout(() => this.connect(), this.reconnectDelayMs).unref();
    }
  }
}
