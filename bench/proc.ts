/**
 * What /proc tells about a child process: resident memory (now and peak), CPU time,
 * and whether it has gone quiet. Linux only; elsewhere the readings are null.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

export interface MemoryReading {
  readonly rssMb: number;
  /** Peak resident set since start, or since the last `resetPeakRss`. */
  readonly hwmMb: number;
}

export function readMemory(pid: number): MemoryReading | null {
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
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/** User + system CPU time of the process in milliseconds. */
export function cpuTimeMs(pid: number): number | null {
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
  private readonly timer: NodeJS.Timeout;
  private sampledPeak = 0;
  private readonly kernelPeakValid: boolean;

  constructor(
    private readonly pid: number,
    intervalMs = 100,
  ) {
    this.kernelPeakValid = resetPeakRss(pid);
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
  }

  private sample(): void {
    const m = readMemory(this.pid);
    if (m) this.sampledPeak = Math.max(this.sampledPeak, m.rssMb);
  }

  /** Stops sampling; null when nothing could be read. */
  stop(): number | null {
    clearInterval(this.timer);
    this.sample();
    const m = readMemory(this.pid);
    const peak = this.kernelPeakValid && m ? Math.max(m.hwmMb, this.sampledPeak) : this.sampledPeak;
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
