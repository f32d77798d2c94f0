/**
 * `xcapd serve --workers N`: one server process per core on one listening socket and
 * one database (node:cluster). The primary only supervises: it makes the private
 * folder of the writer socket, starts the workers, restarts one that dies, and stops
 * them all on SIGTERM/SIGINT.
 *
 * Every worker answers reads; worker 1 carries out every write (the others
 * authenticate it, then forward it over the writer socket, writer-link.ts):
 * writers in several processes would race for the database's write lock and redo
 * each other's XML work, which on one busy document costs more than the second core
 * gives (measured: two writing workers gave fewer writes per second than one). The
 * database still serializes writes (SQLite's write lock, PostgreSQL's row locks),
 * every cache checks the database's change token or entity tag before it answers,
 * and the workers share one Digest secret so that a nonce one of them issued is
 * honoured by all.
 */
import cluster, { type Worker } from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { WRITER, WRITER_SOCKET_ENV } from './writer-protocol.js';

/** Which worker this process is (1…N), null when it is not a worker. */
export function workerNumber(): number | null {
  if (cluster.isPrimary) return null;
  const n = Number(process.env.XCAPD_WORKER ?? '');
  return Number.isSafeInteger(n) && n > 0 ? n : null;
}

/** Whether this worker carries out writes itself (worker 1, or no workers at all). */
export function writesLocally(worker: number | null): boolean {
  return worker === null || worker === WRITER;
}

/** The writer socket's path, as the primary handed it to this worker. */
export function writerSocketPath(): string {
  const path = process.env[WRITER_SOCKET_ENV];
  if (path === undefined || path === '') throw new Error(`${WRITER_SOCKET_ENV} is not set: a worker must be started by xcapd serve --workers`);
  return path;
}

/** A worker that dies is started again after this pause, so a crash loop cannot spin. */
const RESTART_DELAY_MS = 1000;
/** How long workers get to finish their requests on shutdown before they are killed. */
const STOP_GRACE_MS = 10_000;

/**
 * Node options of a worker: the primary's, with the old-space limit unless one was
 * given already (on the command line or in NODE_OPTIONS). With Node's default limit
 * (a quarter of the machine's memory, up to 4 GB) V8 lets the heap of a process that
 * writes big documents grow to several times what is live before it collects; a
 * limit makes it collect sooner (measured: peak memory halved, no fewer writes).
 */
export function workerExecArgv(execArgv: readonly string[], nodeOptions: string, heapMb: number): string[] {
  const given = [...execArgv, nodeOptions].some((arg) => /--max[-_]old[-_]space[-_]size/.test(arg));
  return heapMb > 0 && !given ? [...execArgv, `--max-old-space-size=${heapMb}`] : [...execArgv];
}

/** Unix socket paths longer than this are refused by some systems (sun_path is 104 bytes on macOS). */
const MAX_SOCKET_PATH_BYTES = 100;

/**
 * The private folder of the writer socket: in the temporary folder, or in /tmp when
 * that one's path is too long for a socket. Only this user can reach the socket in
 * it (mkdtemp makes the folder 0700).
 */
export function makeSocketDir(base = tmpdir()): string {
  const fits = (dir: string) => Buffer.byteLength(join(dir, 'xcapd-XXXXXX', 'writer.sock')) <= MAX_SOCKET_PATH_BYTES;
  const parent = fits(base) ? base : '/tmp';
  if (!fits(parent)) throw new Error(`no folder with a path short enough for the writer socket (${base} is too long)`);
  return mkdtempSync(join(parent, 'xcapd-'));
}

/**
 * Runs the primary. `digestSecret` is the configured one; when empty a random one is
 * made here and handed to every worker.
 */
export function superviseWorkers(count: number, options: { logger: Logger; digestSecret: string; heapMb: number }): void {
  const { logger } = options;
  const digestSecret = options.digestSecret || randomBytes(32).toString('hex');
  cluster.setupPrimary({ execArgv: workerExecArgv(process.execArgv, process.env.NODE_OPTIONS ?? '', options.heapMb) });
  const socketDir = makeSocketDir();
  const writerSocket = join(socketDir, 'writer.sock');
  process.on('exit', () => rmSync(socketDir, { recursive: true, force: true }));
  const workers = new Map<number, Worker>();
  let stopping = false;

  const start = (n: number): void => {
    const worker = cluster.fork({ XCAPD_WORKER: String(n), XCAPD_DIGEST_SECRET: digestSecret, [WRITER_SOCKET_ENV]: writerSocket });
    workers.set(n, worker);
    worker.on('exit', (code, signal) => {
      if (workers.get(n) === worker) workers.delete(n);
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
