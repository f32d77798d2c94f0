/**
 * The benchmark's child processes: xcapd itself (the real `xcapd serve`, built from
 * the current sources) and the bare node:http baseline.
 * Each lives in its own process so that neither shares an event loop with the load
 * generator, listens on a random loopback port, and is killed when the bench exits
 * in any way.
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { cpSync, existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { createServer, type AddressInfo } from 'node:net';
import { dirname, join, relative } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';

export const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const HOST = '127.0.0.1';

const living = new Set<ChildProcess>();

function killAll(): void {
  for (const child of living) child.kill('SIGKILL');
  living.clear();
}

let handlersInstalled = false;
/** Kills every child on exit, Ctrl-C, SIGTERM and uncaught errors. */
export function installExitHandlers(onExit: () => void = () => {}): void {
  if (handlersInstalled) return;
  handlersInstalled = true;
  process.on('exit', () => {
    killAll();
    onExit();
  });
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.on(signal, () => {
      console.error(`\nbench: ${signal}, stopping`);
      process.exit(130);
    });
  }
}

function track(child: ChildProcess, name: string): ChildProcess {
  living.add(child);
  child.once('exit', () => living.delete(child));
  child.once('error', (e) => console.error(`bench: ${name}: ${e.message}`));
  return child;
}

/** A port nobody listens on right now (the child binds it a moment later). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, HOST, resolve);
  });
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

function listTs(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    // tsc skips dot-files too (scratch files of work in progress).
    if (entry.name.startsWith('.')) continue;
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...listTs(path));
    else if (entry.name.endsWith('.ts') && !entry.name.endsWith('.d.ts')) out.push(path);
  }
  return out;
}

/** Null when dist/ holds a build of every current src/ file; else the first file that is missing or older. */
export function staleDistFile(): string | null {
  const src = join(REPO_ROOT, 'src');
  const dist = join(REPO_ROOT, 'dist');
  if (!existsSync(join(dist, 'cli', 'xcapd.js')) || !existsSync(join(dist, 'schemas'))) return 'dist/cli/xcapd.js';
  for (const file of listTs(src)) {
    const built = join(dist, relative(src, file)).replace(/\.ts$/, '.js');
    if (!existsSync(built) || statSync(built).mtimeMs < statSync(file).mtimeMs) return relative(REPO_ROOT, file);
  }
  return null;
}

/**
 * Compiles src/ as `npm run build` does, but into a private directory, so the bench
 * serves the current sources with plain node (tsx costs the server some 170 MB of
 * RSS and some startup time) without touching dist/. Returns the CLI's path, or
 * null when tsc emitted nothing usable.
 */
export function buildPrivateCopy(outDir: string): { cli: string; diagnostics: string } | null {
  rmSync(outDir, { recursive: true, force: true });
  let diagnostics = '';
  try {
    execFileSync(join(REPO_ROOT, 'node_modules', '.bin', 'tsc'), ['-p', 'tsconfig.build.json', '--outDir', outDir, '--declaration', 'false', '--sourceMap', 'false'], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
      timeout: 120_000,
    });
  } catch (e) {
    // Type errors still emit JavaScript; only a missing CLI is fatal.
    const err = e as { stdout?: string; stderr?: string; message: string };
    diagnostics = `${err.stdout ?? ''}${err.stderr ?? ''}`.trim() || err.message;
  }
  const cli = join(outDir, 'cli', 'xcapd.js');
  if (!existsSync(cli)) return null;
  cpSync(join(REPO_ROOT, 'src', 'schemas'), join(outDir, 'schemas'), { recursive: true });
  return { cli, diagnostics };
}

export interface XcapdOptions {
  /** The xcapd CLI: a built .js file, or src/cli/xcapd.ts (run through tsx). */
  readonly cli: string;
  readonly database: string;
  readonly auth: 'none' | 'digest' | 'basic';
  /** Server processes (xcapd --workers). */
  readonly workers?: number;
  /** Write a V8 CPU profile into this directory when the server exits. */
  readonly cpuProfileDir?: string;
}

export interface RunningChild {
  readonly name: string;
  readonly pid: number;
  readonly origin: string;
  /** Milliseconds from spawn until it answered. */
  readonly startupMs: number;
  /** SIGTERM, then SIGKILL if it has not exited within `graceMs`. */
  stop(graceMs?: number): Promise<void>;
}

function httpStatus(origin: string, path: string): Promise<number | null> {
  return new Promise((resolve) => {
    const req = request(`${origin}${path}`, { agent: false, timeout: 1000 }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? null));
    });
    req.on('timeout', () => req.destroy());
    req.on('error', () => resolve(null));
    req.end();
  });
}

function stopper(child: ChildProcess): (graceMs?: number) => Promise<void> {
  return async (graceMs = 15_000) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill('SIGTERM');
    const timer = setTimeout(() => child.kill('SIGKILL'), graceMs);
    await exited;
    clearTimeout(timer);
  };
}

async function waitUntilAnswering(child: ChildProcess, name: string, origin: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) {
      throw new Error(`${name} exited during startup (code ${child.exitCode}, signal ${child.signalCode})`);
    }
    if ((await httpStatus(origin, '/health')) === 200) return;
    await sleep(25);
  }
  throw new Error(`${name} did not answer ${origin}/health within ${timeoutMs} ms`);
}

/** Starts `xcapd serve` on a free loopback port; retries with another port if that one was taken meanwhile. */
export async function startXcapd(options: XcapdOptions): Promise<RunningChild> {
  const name = `xcapd (auth ${options.auth})`;
  for (let attempt = 1; ; attempt++) {
    const port = await freePort();
    const origin = `http://${HOST}:${port}`;
    const nodeArgs = options.cpuProfileDir ? ['--cpu-prof', '--cpu-prof-dir', options.cpuProfileDir] : [];
    const entry = options.cli.endsWith('.ts') ? ['--import', 'tsx', options.cli] : [options.cli];
    const args = [
      ...nodeArgs,
      ...entry,
      'serve',
      '--listen', `${HOST}:${port}`,
      '--database', options.database,
      '--auth', options.auth,
      '--log-level', 'silent',
      '--workers', String(options.workers ?? 1),
    ];
    const started = Date.now();
    const child = track(spawn(process.execPath, args, { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'pipe'] }), name);
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      process.stderr.write(chunk);
    });
    try {
      await waitUntilAnswering(child, name, origin, 60_000);
    } catch (e) {
      child.kill('SIGKILL');
      if (attempt < 3 && /in use/i.test(stderr)) continue;
      throw e;
    }
    return { name, pid: child.pid!, origin, startupMs: Date.now() - started, stop: stopper(child) };
  }
}

export interface CannedResponse {
  readonly status: number;
  readonly headers: Record<string, string | string[]>;
  readonly body: string;
}

export interface BaselineServer extends RunningChild {
  /** What it answers from now on, by request method. */
  respondWith(responses: Readonly<Record<string, CannedResponse>>): Promise<void>;
}

/** The bare node:http server of bench/baseline-server.ts, as a child with an IPC channel. */
export async function startBaseline(): Promise<BaselineServer> {
  const name = 'baseline node:http';
  const started = Date.now();
  const child = track(
    spawn(process.execPath, ['--import', 'tsx', 'bench/baseline-server.ts'], { cwd: REPO_ROOT, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] }),
    name,
  );
  const port = await new Promise<number>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within 30 s`)), 30_000);
    child.once('exit', (code) => reject(new Error(`${name} exited during startup (code ${code})`)));
    child.once('message', (m: { type?: string; port?: number }) => {
      clearTimeout(timer);
      if (m.type === 'listening' && typeof m.port === 'number') resolve(m.port);
      else reject(new Error(`${name}: unexpected message ${JSON.stringify(m)}`));
    });
  });
  const origin = `http://${HOST}:${port}`;
  return {
    name,
    pid: child.pid!,
    origin,
    startupMs: Date.now() - started,
    stop: stopper(child),
    respondWith: (responses) =>
      new Promise<void>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${name} did not confirm its responses`)), 10_000);
        child.once('message', () => {
          clearTimeout(timer);
          resolve();
        });
        child.send({ type: 'respond', responses });
      }),
  };
}
