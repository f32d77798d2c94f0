/**
 * What /proc tells about a child process and the processes it started (xcapd's
 * workers): resident memory (now and peak), CPU time, and whether it has gone
 * quiet, summed over the process tree. Linux only; elsewhere the readings are null.
 */
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { Worker } from 'node:worker_threads';

export interface MemoryReading {
  readonly rssMb: number;
  /** Peak resident set since start, or since the last `resetPeakRss`. */
  readonly hwmMb: number;
}

/** `pid` and its descendants, from the parent ids in /proc/<n>/stat. */
export function processTree(pid: number): number[] {
  const childrenOf = new Map<number, number[]>();
  let entries: string[];
  try {
    entries = readdirSync('/proc').filter((name) => /^\d+$/.test(name));
  } catch {
    return [pid];
  }
  for (const name of entries) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${name}/stat`, 'utf8');
    } catch {
      continue;
    }
    const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
    const list = childrenOf.get(ppid) ?? [];
    list.push(Number(name));
    childrenOf.set(ppid, list);
  }
  const tree = [pid];
  for (let i = 0; i < tree.length; i++) tree.push(...(childrenOf.get(tree[i]!) ?? []));
  return tree;
}

/**
 * Memory of the whole process tree. With one process, its RSS and peak RSS. With
 * several (xcapd --workers), their proportional set sizes added up — RSS with the
 * pages they share (the node binary, libraries) split between them, so that shared
 * pages are not counted once per worker — and as the peak, that same sum (the
 * kernel keeps no peak of it; PeakRssMonitor samples it).
 */
export function readMemory(pid: number, tree: readonly number[] = processTree(pid)): MemoryReading | null {
  if (tree.length === 1) return readProcessMemory(pid);
  let pssMb = 0;
  let any = false;
  for (const p of tree) {
    const kb = readPssKb(p);
    if (kb === null) continue;
    any = true;
    pssMb += kb / 1024;
  }
  return any ? { rssMb: pssMb, hwmMb: pssMb } : null;
}

function readPssKb(pid: number): number | null {
  try {
    const m = /^Pss:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/smaps_rollup`, 'utf8'));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

function readProcessMemory(pid: number): MemoryReading | null {
  let status: string;
  try {
    status = readFileSync(`/proc/${pid}/status`, 'utf8');
  } catch {
    return null;
  }
  const kb = (field: string): number | null => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return m ? Number(m[1]) : null;
  };
  const rss = kb('VmRSS');
  const hwm = kb('VmHWM');
  if (rss === null || hwm === null) return null;
  return { rssMb: rss / 1024, hwmMb: hwm / 1024 };
}

/** Restarts the VmHWM peak (Linux ≥ 4.0: writing 5 to clear_refs). False when the kernel refuses. */
export function resetPeakRss(pid: number): boolean {
  try {
    for (const p of processTree(pid)) writeFileSync(`/proc/${p}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU time of the process in milliseconds. */
export function cpuTimeMs(pid: number): number | null {
  let total: number | null = null;
  for (const p of processTree(pid)) {
    const ms = processCpuTimeMs(p);
    if (ms !== null) total = (total ?? 0) + ms;
  }
  return total;
}

function processCpuTimeMs(pid: number): number | null {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return null;
  }
  // The command name (field 2) may contain spaces; the fields after it are fixed.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]);
  return Number.isFinite(ticks) ? (ticks * 1000) / CLOCK_TICKS_PER_SECOND : null;
}

/** USER_HZ is 100 on every Linux architecture Node runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/**
 * Peak RSS over a period: the kernel's own peak when it could be reset at the start,
 * else the highest of samples taken every `intervalMs`.
 */
export class PeakRssMonitor {
  private readonly sampler: Worker;
  private readonly peak: Float64Array;
  private readonly kernelPeakValid: boolean;

  /**
   * Sampling runs on a thread of its own: reading /proc (the process list, and
   * smaps_rollup for each worker) takes milliseconds, which on the load generator's
   * own thread would delay the responses it times.
   */
  constructor(
    private readonly pid: number,
    intervalMs = 250,
  ) {
    this.kernelPeakValid = resetPeakRss(pid);
    this.peak = new Float64Array(new SharedArrayBuffer(8));
    this.peak[0] = readMemory(pid)?.rssMb ?? 0;
    // The bench runs under tsx, whose loader a worker thread registers for itself.
    const sampler = new URL('./memory-sampler.ts', import.meta.url).href;
    const entry = `import('tsx/esm/api').then(({ register }) => { register(); return import(${JSON.stringify(sampler)}); })`;
    this.sampler = new Worker(entry, { eval: true, workerData: { pid, intervalMs, peak: this.peak } });
    this.sampler.unref();
  }

  /** Stops sampling; null when nothing could be read. */
  async stop(): Promise<number | null> {
    await this.sampler.terminate();
    const m = readMemory(this.pid);
    const sampled = Math.max(this.peak[0]!, m?.rssMb ?? 0);
    const peak = this.kernelPeakValid && m ? Math.max(m.hwmMb, sampled) : sampled;
    return peak > 0 ? peak : null;
  }
}

/**
 * Waits until the process uses under `busyShare` of one core over a 250 ms window
 * (e.g. it has worked off requests still queued when the load generator stopped),
 * or `maxMs` has passed. Returns how long it waited.
 */
export async function waitUntilIdle(pid: number, maxMs = 20_000, busyShare = 0.05): Promise<number> {
  const started = Date.now();
  const windowMs = 250;
  let before = cpuTimeMs(pid);
  if (before === null) return 0;
  while (Date.now() - started < maxMs) {
    await sleep(windowMs);
    const now = cpuTimeMs(pid);
    if (now === null) break;
    if (now - before <= windowMs * busyShare) break;
    before = now;
  }
  return Date.now() - started;
}
