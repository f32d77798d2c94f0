/**
 * `xcapd serve --workers N`: one server process per core on one listening socket and
 * one database (node:cluster). The primary only supervises and relays: it starts the
 * workers, restarts one that dies, stops them all on SIGTERM/SIGINT, passes each
 * committed change from the worker that made it to the others (whose change-feed
 * streams and SIP subscriptions must see every change), and passes writes to
 * worker 1.
 *
 * Every worker answers reads; worker 1 carries out every write (the others
 * authenticate it, then forward it): writers in several processes would otherwise
 * race for the database's write lock and redo each other's XML work, which on one
 * busy document costs more than the second core gives. The database still
 * serializes writes (SQLite's write lock, PostgreSQL's row locks), every cache
 * checks the database's change token or entity tag before it answers, and the
 * workers share one Digest secret so that a nonce one of them issued is honoured by all.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import type { Logger } from 'pino';
import type { DocumentChange, XcapRequest, XcapResponse } from '../service/xcap-service.js';
import type { StoredDocument } from '../storage/types.js';

/** Which worker this process is (1…N), null when it is not a worker. */
export function workerNumber(): number | null {
  if (cluster.isPrimary) return null;
  const n = Number(process.env.XCAPD_WORKER ?? '');
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** A worker that dies is started again after this pause, so a crash loop cannot spin. */
const RESTART_DELAY_MS = 1000;
/** How long workers get to finish their requests on shutdown before they are killed. */
const STOP_GRACE_MS = 10_000;

interface RelayedChangeMessage {
  readonly type: 'xcapd:change';
  readonly change: DocumentChange;
}

function withoutContent(document: StoredDocument | null): StoredDocument | null {
  return document === null ? null : { ...document, content: '' };
}

interface ForwardedWriteMessage {
  readonly type: 'xcapd:write';
  readonly id: number;
  /** The worker that received the request and waits for the answer. */
  readonly from: number;
  readonly request: XcapRequest;
}

interface WriteResultMessage {
  readonly type: 'xcapd:write-result';
  readonly id: number;
  readonly to: number;
  readonly response: XcapResponse;
}

/** The worker that carries out every write. */
const WRITER = 1;
/** How long a forwarded write may take before the client is told to retry. */
const FORWARD_TIMEOUT_MS = 30_000;

function isMessage<M extends { type: string }>(message: unknown, type: M['type']): message is M {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === type;
}

function unavailable(reason: string): XcapResponse {
  return { status: 503, headers: { 'Retry-After': '1', 'Content-Type': 'text/plain; charset=utf-8' }, body: `${reason}; try again\n` };
}

/**
 * Runs the primary. `digestSecret` is the configured one; when empty a random one is
 * made here and handed to every worker.
 */
export function superviseWorkers(count: number, options: { logger: Logger; digestSecret: string }): void {
  const { logger } = options;
  const digestSecret = options.digestSecret || randomBytes(32).toString('hex');
  // Advanced serialization carries the Map of namespace bindings and copies strings without JSON escaping.
  cluster.setupPrimary({ serialization: 'advanced' });
  const workers = new Map<number, Worker>();
  /** Writes handed to worker 1 and not answered yet: who waits for each, to tell them if it dies. */
  const forwarded = new Map<string, ForwardedWriteMessage>();
  let stopping = false;

  const start = (n: number): void => {
    const worker = cluster.fork({ XCAPD_WORKER: String(n), XCAPD_DIGEST_SECRET: digestSecret });
    workers.set(n, worker);
    worker.on('message', (message: unknown) => {
      if (isMessage<RelayedChangeMessage>(message, 'xcapd:change')) {
        for (const [other, w] of workers) if (other !== n && w.isConnected()) w.send(message);
      } else if (isMessage<ForwardedWriteMessage>(message, 'xcapd:write')) {
        const writer = workers.get(WRITER);
        if (writer?.isConnected()) {
          forwarded.set(`${message.from}:${message.id}`, message);
          writer.send(message);
        } else {
          worker.send({ type: 'xcapd:write-result', id: message.id, to: n, response: unavailable('the writing worker is restarting') } satisfies WriteResultMessage);
        }
      } else if (isMessage<WriteResultMessage>(message, 'xcapd:write-result')) {
        forwarded.delete(`${message.to}:${message.id}`);
        const waiting = workers.get(message.to);
        if (waiting?.isConnected()) waiting.send(message);
      }
    });
    worker.on('exit', (code, signal) => {
      if (workers.get(n) === worker) workers.delete(n);
      if (n === WRITER) {
        // Whether those writes landed is unknown; the clients are told to try again (an If-Match makes that safe).
        for (const [id, pending] of forwarded) {
          forwarded.delete(id);
          const waiting = workers.get(pending.from);
          const response = unavailable('the writing worker stopped while carrying out this request');
          if (waiting?.isConnected()) waiting.send({ type: 'xcapd:write-result', id: pending.id, to: pending.from, response } satisfies WriteResultMessage);
        }
      }
      if (stopping) return;
      logger.error({ worker: n, code, signal }, `worker ${n} exited; starting it again`);
      setTimeout(() => start(n), RESTART_DELAY_MS).unref();
    });
  };
  for (let n = 1; n <= count; n++) start(n);
  logger.info({ workers: count }, `xcapd started ${count} worker processes`);

  const stop = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    logger.info({ signal }, 'stopping the workers');
    for (const worker of workers.values()) worker.process.kill('SIGTERM');
    const force = setTimeout(() => {
      for (const worker of workers.values()) worker.process.kill('SIGKILL');
      process.exit(1);
    }, STOP_GRACE_MS);
    force.unref();
    const waitForAll = (): void => {
      if (workers.size === 0) process.exit(0);
      else setTimeout(waitForAll, 50).unref();
    };
    waitForAll();
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}

/**
 * In a worker: sends this process's committed changes to the others (through the
 * primary) and hands theirs to `onRelayedChange`. Returns what to call on each
 * local change.
 */
export function relayChangesBetweenWorkers(onRelayedChange: (change: DocumentChange) => void): (change: DocumentChange) => void {
  process.on('message', (message: unknown) => {
    if (isMessage<RelayedChangeMessage>(message, 'xcapd:change')) onRelayedChange(message.change);
  });
  return (change) => {
    if (!process.connected) return;
    // ETags only: the texts (a megabyte each, for a big document) would be copied to every worker on
    // every write, while the other workers' feed streams and subscriptions report a relayed change as
    // "this document changed, from this ETag to that one", which clients answer by fetching it.
    const relayed: DocumentChange = { ...change, previous: withoutContent(change.previous), current: withoutContent(change.current), contentOmitted: true };
    process.send?.({ type: 'xcapd:change', change: relayed } satisfies RelayedChangeMessage);
  };
}

/** Whether this worker carries out writes itself (worker 1, or no workers at all). */
export function writesLocally(worker: number | null): boolean {
  return worker === null || worker === WRITER;
}

/** In worker 1: carries out the writes the other workers forward, and sends back the answers. */
export function serveForwardedWrites(handle: (request: XcapRequest) => Promise<XcapResponse>): void {
  process.on('message', (message: unknown) => {
    if (!isMessage<ForwardedWriteMessage>(message, 'xcapd:write')) return;
    void handle(message.request).then((response) => {
      if (process.connected) process.send?.({ type: 'xcapd:write-result', id: message.id, to: message.from, response } satisfies WriteResultMessage);
    });
  });
}

/** In the other workers: what carries out an authenticated write — worker 1, through the primary. */
export function forwardWrites(self: number): (request: XcapRequest) => Promise<XcapResponse> {
  let lastId = 0;
  const waiting = new Map<number, { resolve(response: XcapResponse): void; timer: NodeJS.Timeout }>();
  const settle = (id: number, response: XcapResponse): void => {
    const entry = waiting.get(id);
    if (entry === undefined) return;
    waiting.delete(id);
    clearTimeout(entry.timer);
    entry.resolve(response);
  };
  process.on('message', (message: unknown) => {
    if (isMessage<WriteResultMessage>(message, 'xcapd:write-result') && message.to === self) settle(message.id, message.response);
  });
  return (request) =>
    new Promise((resolve) => {
      const id = ++lastId;
      const timer = setTimeout(() => settle(id, unavailable('the writing worker did not answer in time')), FORWARD_TIMEOUT_MS);
      waiting.set(id, { resolve, timer });
      if (!process.connected || process.send === undefined) {
        settle(id, unavailable('the supervising process is gone'));
        return;
      }
      process.send({ type: 'xcapd:write', id, from: self, request } satisfies ForwardedWriteMessage, undefined, undefined, (error) => {
        if (error) settle(id, unavailable('the write could not be passed on'));
      });
    });
}
