/**
 * `npm run bench`: the XCAP core in-process, then xcapd over HTTP on a fresh SQLite
 * database next to a bare node:http baseline, every scenario driven by the same
 * load generator with the same connections for the same time. Prints the tables
 * and writes them to bench/results/latest.json. Exits non-zero only when the bench
 * itself cannot measure something; missed targets are reported, not fatal.
 *
 *   npm run bench -- [--duration 8] [--warmup 1] [--connections 32] [--rounds 4] [--users 100000]
 *                    [--only a,b,...] [--skip-micro] [--code build|dist|src] [--profile] [--keep-db]
 *
 * --code build (the default) compiles src/ into bench/results/build/ and serves that
 * with plain node, so the results are for the current sources without touching dist/.
 * --profile runs each chosen scenario on its own xcapd started with --cpu-prof (no
 * baselines; the profiler slows the server) and prints its hot spots.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { availableParallelism, cpus, tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parseArgs } from 'node:util';
import {
  buildPrivateCopy,
  installExitHandlers,
  REPO_ROOT,
  staleDistFile,
  startBaseline,
  startXcapd,
  type BaselineServer,
  type CannedResponse,
  type RunningChild,
} from './children.js';
import { loadBenchData, type LoadedData } from './data.js';
import { combineLoads, runLoad, runLoadRaw, type LoadPlan, type LoadResult, type RawLoad } from './load.js';
import { runMicroBenchmarks, type MicroResult } from './micro.js';
import { probe, toCanned } from './probe.js';
import { PeakRssMonitor, readMemory, waitUntilIdle } from './proc.js';
import { formatProfileSummary, summarizeCpuProfile, type ProfileSummary } from './profile-summary.js';
import { microTable, scenarioTable, type ScenarioRow } from './report.js';
import { buildScenarios, type AuthMode, type Scenario } from './scenarios.js';

/** build: compile src/ privately and serve that; dist: the existing build; src: the sources through tsx. */
type CodeChoice = 'build' | 'dist' | 'src';

interface Options {
  readonly durationS: number;
  readonly warmupS: number;
  readonly connections: number;
  /** The measured time is split into this many alternating xcapd/baseline rounds. */
  readonly rounds: number;
  readonly users: number;
  readonly only: ReadonlySet<string> | null;
  readonly skipMicro: boolean;
  readonly code: CodeChoice;
  readonly profile: boolean;
  readonly keepDb: boolean;
  /** xcapd's --workers (the baseline stays one process). */
  readonly workers: number;
}

function positiveInt(name: string, raw: string | undefined, fallback: number): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1) throw new Error(`--${name} must be a positive integer, not ${raw}`);
  return n;
}

function parseOptions(argv: string[]): Options {
  const { values } = parseArgs({
    args: argv,
    options: {
      duration: { type: 'string' },
      warmup: { type: 'string' },
      connections: { type: 'string' },
      rounds: { type: 'string' },
      users: { type: 'string' },
      only: { type: 'string' },
      'skip-micro': { type: 'boolean', default: false },
      code: { type: 'string', default: 'build' },
      profile: { type: 'boolean', default: false },
      'keep-db': { type: 'boolean', default: false },
      workers: { type: 'string' },
    },
    strict: true,
  });
  const durationS = positiveInt('duration', values.duration, 8);
  if (durationS > 60) throw new Error('--duration is capped at 60 seconds');
  const code = values.code;
  if (code !== 'build' && code !== 'dist' && code !== 'src') throw new Error(`--code must be build, dist or src, not ${code}`);
  return {
    durationS,
    warmupS: positiveInt('warmup', values.warmup, 1),
    connections: positiveInt('connections', values.connections, 32),
    rounds: positiveInt('rounds', values.rounds, 4),
    users: positiveInt('users', values.users, 100_000),
    only: values.only ? new Set(values.only.split(',').map((s) => s.trim()).filter(Boolean)) : null,
    skipMicro: values['skip-micro'] ?? false,
    code,
    profile: values.profile ?? false,
    keepDb: values['keep-db'] ?? false,
    workers: positiveInt('workers', values.workers, availableParallelism()),
  };
}

/** The xcapd CLI to start. */
function chooseServerCode(choice: CodeChoice, buildDir: string): string {
  if (choice === 'dist') {
    const stale = staleDistFile();
    if (stale !== null) console.log(`note: dist/ is missing or older than ${stale}; the results are for an old build`);
    return join(REPO_ROOT, 'dist', 'cli', 'xcapd.js');
  }
  if (choice === 'build') {
    const started = Date.now();
    const built = buildPrivateCopy(buildDir);
    if (built !== null) {
      console.log(`compiled src/ into ${relative(REPO_ROOT, buildDir)}/ in ${Date.now() - started} ms`);
      if (built.diagnostics !== '') console.log(`note: tsc reported errors (JavaScript was emitted anyway):\n${built.diagnostics.split('\n').slice(0, 10).join('\n')}`);
      return built.cli;
    }
    console.log('note: compiling src/ failed; serving src/ through tsx (costs the server RSS and startup time)');
  }
  return join(REPO_ROOT, 'src', 'cli', 'xcapd.ts');
}

function gitCommit(): string | null {
  try {
    const head = execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    const dirty = execFileSync('git', ['status', '--porcelain', '--untracked-files=no', 'src'], { cwd: REPO_ROOT, encoding: 'utf8' }).trim();
    return dirty === '' ? head : `${head}+uncommitted src changes`;
  } catch {
    return null;
  }
}

interface ServerInfo {
  readonly auth: AuthMode;
  readonly scenario: string;
  readonly startupMs: number;
  /** Resident memory right after start, with every document stored. */
  readonly idleRssMb: number | null;
}

/**
 * One xcapd at a time, started afresh for every scenario: what one scenario leaves
 * behind (a heap grown by big writes, filled caches) would otherwise show up in the
 * next one's latency and memory.
 */
class XcapdPool {
  private current: RunningChild | null = null;
  readonly started: ServerInfo[] = [];

  constructor(
    private readonly cli: string,
    private readonly database: string,
    private readonly profileDir: string | null,
    private readonly workers: number,
  ) {}

  async serverFor(scenario: Scenario): Promise<RunningChild> {
    await this.stop();
    const server = await startXcapd({
      cli: this.cli,
      database: this.database,
      auth: scenario.auth,
      workers: this.workers,
      ...(this.profileDir ? { cpuProfileDir: this.profileDir } : {}),
    });
    await waitUntilIdle(server.pid, 5000);
    const idleRssMb = readMemory(server.pid)?.rssMb ?? null;
    this.started.push({ auth: scenario.auth, scenario: scenario.id, startupMs: server.startupMs, idleRssMb });
    console.log(`  started ${server.name} (${relative(REPO_ROOT, this.cli)}) in ${server.startupMs} ms, RSS ${idleRssMb?.toFixed(0) ?? '?'} MB`);
    this.current = server;
    return server;
  }

  async stop(): Promise<void> {
    if (!this.current) return;
    await this.current.stop();
    this.current = null;
  }
}

interface LoadTarget {
  readonly origin: string;
  readonly pid: number;
}

/**
 * Warm-up runs, then the measured time in rounds that alternate between xcapd and
 * the baseline, so a burst of load from elsewhere on a shared machine lands on both
 * sides rather than skewing the ratio. Before each run the server works off what
 * is still queued from the previous one.
 */
async function measurePair(
  xcapd: LoadTarget,
  baseline: LoadTarget | null,
  plan: LoadPlan,
  connections: number,
  rounds: number,
  options: Options,
): Promise<{ xcapd: LoadResult; baseline: LoadResult | null }> {
  const targets = baseline ? [xcapd, baseline] : [xcapd];
  for (const target of targets) {
    await runLoad(target.origin, plan, { connections, durationS: options.warmupS });
    await waitUntilIdle(target.pid);
  }
  const roundS = Math.max(1, Math.round(options.durationS / rounds));
  const raw: RawLoad[][] = targets.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, target] of targets.entries()) {
      raw[i]!.push(await runLoadRaw(target.origin, plan, { connections, durationS: roundS }));
      await waitUntilIdle(target.pid);
    }
  }
  return { xcapd: combineLoads(raw[0]!), baseline: baseline ? combineLoads(raw[1]!) : null };
}

async function runScenario(
  scenario: Scenario,
  pool: XcapdPool,
  baseline: BaselineServer | null,
  options: Options,
): Promise<ScenarioRow> {
  const connections = scenario.connections ?? options.connections;
  const server = await pool.serverFor(scenario);
  const prepared = await scenario.prepare(server.origin, connections);

  const canned: Record<string, CannedResponse> = {};
  for (const request of prepared.probes) {
    const response = await probe(server.origin, request);
    if (response.status < 200 || response.status > 299) {
      throw new Error(`scenario ${scenario.id}: ${request.method} ${request.path} answered ${response.status}: ${response.body.slice(0, 300)}`);
    }
    canned[request.method] = toCanned(response);
  }

  const withBaseline = baseline !== null && scenario.baseline;
  if (withBaseline) await baseline.respondWith(canned);
  const monitor = new PeakRssMonitor(server.pid);
  const pair = await measurePair(
    server,
    withBaseline ? baseline : null,
    prepared.plan,
    connections,
    scenario.rounds ?? options.rounds,
    options,
  );
  const peakRssMb = await monitor.stop();
  const xcapd = pair.xcapd;
  const base = pair.baseline;

  const ratio = base && base.reqPerSec > 0 ? xcapd.reqPerSec / base.reqPerSec : null;
  const measured = {
    reqPerSec: xcapd.reqPerSec,
    ratio,
    p50Ms: xcapd.p50Ms,
    p99Ms: xcapd.p99Ms,
    non2xx: xcapd.non2xx,
    errors: xcapd.errors,
    peakRssMb,
  };
  return {
    id: scenario.id,
    title: scenario.title,
    auth: scenario.auth,
    connections,
    reqPerSec: xcapd.reqPerSec,
    baselineReqPerSec: base?.reqPerSec ?? null,
    ratio,
    p50Ms: xcapd.p50Ms,
    p99Ms: xcapd.p99Ms,
    baselineP50Ms: base?.p50Ms ?? null,
    baselineP99Ms: base?.p99Ms ?? null,
    responses: xcapd.responses,
    non2xx: xcapd.non2xx,
    errors: xcapd.errors,
    statusCounts: xcapd.statusCounts,
    peakRssMb,
    targets: scenario.targets.map((t) => ({ text: t.text, met: t.met(measured) })),
  };
}

/** The main thread's profile among the new files (a tsx run also profiles its loader thread). */
function newestProfile(dir: string, before: ReadonlySet<string>): string | null {
  const fresh = readdirSync(dir).filter((f) => f.endsWith('.cpuprofile') && !before.has(f));
  const main = fresh.filter((f) => /\.\d+\.0\.\d+\.cpuprofile$/.test(f));
  const pick = (main.length > 0 ? main : fresh).sort().at(-1);
  return pick === undefined ? null : join(dir, pick);
}

async function main(): Promise<number> {
  const options = parseOptions(process.argv.slice(2));
  const started = Date.now();
  const dir = mkdtempSync(join(tmpdir(), 'xcapd-bench-'));
  const database = join(dir, 'xcapd.sqlite');
  installExitHandlers(() => {
    if (!options.keepDb) rmSync(dir, { recursive: true, force: true });
  });
  const resultsDir = join(REPO_ROOT, 'bench', 'results');
  const profileDir = options.profile ? join(resultsDir, 'profiles') : null;
  mkdirSync(profileDir ?? resultsDir, { recursive: true });

  const cli = chooseServerCode(options.code, join(resultsDir, 'build'));
  const cpu = cpus();
  console.log(
    `xcapd bench: ${cpu.length} × ${cpu[0]?.model ?? 'unknown CPU'}, node ${process.version}, autocannon, ` +
      `${options.connections} connections, ${options.durationS} s per run after ${options.warmupS} s warm-up; xcapd --workers ${options.workers}`,
  );

  let micro: MicroResult[] = [];
  if (!options.skipMicro) {
    console.log('\ncore micro-benchmarks (in-process):');
    micro = runMicroBenchmarks();
    console.log(microTable(micro));
  }

  console.log(`\nloading ${options.users.toLocaleString('en-US')} users' documents into ${database} through the storage API…`);
  const data: LoadedData = await loadBenchData(database, options.users, (done) => {
    if (done % 50_000 === 0) console.log(`  ${done.toLocaleString('en-US')} documents`);
  });
  console.log(`  ${data.documents.toLocaleString('en-US')} documents in ${(data.loadMs / 1000).toFixed(1)} s, database ${(data.databaseBytes / 2 ** 20).toFixed(0)} MB`);

  const scenarios = buildScenarios(options.users).filter((s) => options.only === null || options.only.has(s.id));
  if (scenarios.length === 0) throw new Error(`--only matches no scenario (they are ${buildScenarios(1).map((s) => s.id).join(', ')})`);
  const baseline = options.profile ? null : await startBaseline();
  const pool = new XcapdPool(cli, database, profileDir, options.workers);
  const rows: ScenarioRow[] = [];
  const failures: string[] = [];
  const profiles: Record<string, ProfileSummary> = {};

  console.log('\nHTTP scenarios:');
  for (const scenario of scenarios) {
    const profilesBefore = profileDir ? new Set(readdirSync(profileDir)) : new Set<string>();
    try {
      const row = await runScenario(scenario, pool, baseline, options);
      rows.push(row);
      console.log(
        `  ${row.id} ${row.title}: ${Math.round(row.reqPerSec)} req/s` +
          (row.baselineReqPerSec === null ? '' : ` (baseline ${Math.round(row.baselineReqPerSec)})`) +
          `, p50 ${row.p50Ms?.toFixed(2)} ms, p99 ${row.p99Ms?.toFixed(2)} ms, statuses ${JSON.stringify(row.statusCounts)}, errors ${row.errors}`,
      );
    } catch (e) {
      const message = `scenario ${scenario.id} (${scenario.title}) failed: ${(e as Error).stack ?? String(e)}`;
      failures.push(message);
      console.error(`  ${message}`);
    }
    if (profileDir) {
      await pool.stop();
      const file = newestProfile(profileDir, profilesBefore);
      if (file) {
        profiles[scenario.id] = summarizeCpuProfile(file, 25);
        console.log(`\n  CPU profile of ${scenario.id} (${file}):\n${formatProfileSummary(profiles[scenario.id]!).replace(/^/gm, '    ')}\n`);
      } else {
        failures.push(`scenario ${scenario.id}: no CPU profile was written`);
      }
    }
  }
  await pool.stop();
  await baseline?.stop();

  console.log(`\nxcapd vs bare node:http, ${options.connections} connections (e1: 1), ${options.durationS} s each:`);
  console.log(scenarioTable(rows));
  for (const s of pool.started) {
    console.log(
      `xcapd (auth ${s.auth}) started in ${s.startupMs} ms with ${data.documents.toLocaleString('en-US')} documents stored; RSS then ${s.idleRssMb?.toFixed(0) ?? '?'} MB`,
    );
  }
  const totalS = (Date.now() - started) / 1000;
  console.log(`bench took ${totalS.toFixed(0)} s`);

  const report = {
    date: new Date().toISOString(),
    commit: gitCommit(),
    machine: { cpus: cpu.length, model: cpu[0]?.model ?? null, node: process.version, platform: process.platform },
    settings: {
      generator: 'autocannon 8',
      connections: options.connections,
      durationS: options.durationS,
      warmupS: options.warmupS,
      rounds: options.rounds,
      users: options.users,
      server: relative(REPO_ROOT, cli),
      profile: options.profile,
    },
    data: { documents: data.documents, loadMs: Math.round(data.loadMs), databaseBytes: data.databaseBytes },
    servers: pool.started,
    micro,
    scenarios: rows,
    ...(options.profile ? { profiles } : {}),
    failures,
    totalS: Math.round(totalS),
  };
  const out = join(resultsDir, options.profile ? 'profile.json' : 'latest.json');
  writeFileSync(out, `${JSON.stringify(report, null, 2)}\n`);
  console.log(`written to ${out}`);
  if (failures.length > 0) {
    console.error(`\n${failures.length} scenario(s) could not be measured:\n${failures.join('\n')}`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`bench failed: ${(e as Error).stack ?? String(e)}`);
    process.exit(1);
  },
);
