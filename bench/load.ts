/**
 * Driving a server with autocannon: a fixed number of keep-alive connections, each
 * repeating its own request sequence for a fixed time. Latencies are recorded here
 * from every response at sub-millisecond resolution (autocannon's own histogram
 * keeps whole milliseconds, too coarse for p50s well under 1 ms).
 */
import autocannon from 'autocannon';

export type LoadRequest = autocannon.Request;

export interface LoadPlan {
  /** The requests connection `n` (from 0) sends, in order, over and over. */
  requestsFor(connection: number): LoadRequest[];
}

export interface LoadOptions {
  readonly connections: number;
  /** Whole seconds (autocannon stops on a one-second tick). */
  readonly durationS: number;
  /** Seconds before an unanswered request counts as a timeout. */
  readonly timeoutS?: number;
}

export interface LoadResult {
  /** Responses received. */
  readonly responses: number;
  readonly elapsedS: number;
  readonly reqPerSec: number;
  readonly p50Ms: number | null;
  readonly p90Ms: number | null;
  readonly p99Ms: number | null;
  readonly maxMs: number | null;
  readonly statusCounts: Record<string, number>;
  readonly non2xx: number;
  /** Connection errors and timeouts. */
  readonly errors: number;
  readonly timeouts: number;
}

/** One run as recorded, before percentiles: runs are combined when a measurement is made in rounds. */
export interface RawLoad {
  readonly responses: number;
  readonly elapsedS: number;
  readonly latenciesMs: Float64Array;
  readonly statusCounts: Record<string, number>;
  readonly errors: number;
  readonly timeouts: number;
}

class LatencyRecorder {
  private values = new Float64Array(1 << 16);
  private count = 0;

  add(ms: number): void {
    if (this.count === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.count++] = ms;
  }

  recorded(): Float64Array {
    return this.values.slice(0, this.count);
  }
}

/** Sums runs into one result: responses over total time, percentiles over every latency. */
export function combineLoads(runs: readonly RawLoad[]): LoadResult {
  const total = runs.reduce((n, r) => n + r.latenciesMs.length, 0);
  const sorted = new Float64Array(total);
  let offset = 0;
  for (const r of runs) {
    sorted.set(r.latenciesMs, offset);
    offset += r.latenciesMs.length;
  }
  sorted.sort();
  const at = (q: number) => (total === 0 ? null : sorted[Math.min(total - 1, Math.floor(q * total))]!);
  const statusCounts: Record<string, number> = {};
  for (const r of runs) for (const [status, n] of Object.entries(r.statusCounts)) statusCounts[status] = (statusCounts[status] ?? 0) + n;
  let non2xx = 0;
  for (const [status, n] of Object.entries(statusCounts)) if (!status.startsWith('2')) non2xx += n;
  const responses = runs.reduce((n, r) => n + r.responses, 0);
  const elapsedS = runs.reduce((n, r) => n + r.elapsedS, 0);
  return {
    responses,
    elapsedS,
    reqPerSec: elapsedS > 0 ? responses / elapsedS : 0,
    p50Ms: at(0.5),
    p90Ms: at(0.9),
    p99Ms: at(0.99),
    maxMs: at(1),
    statusCounts,
    non2xx,
    errors: runs.reduce((n, r) => n + r.errors, 0),
    timeouts: runs.reduce((n, r) => n + r.timeouts, 0),
  };
}

export async function runLoad(origin: string, plan: LoadPlan, options: LoadOptions): Promise<LoadResult> {
  return combineLoads([await runLoadRaw(origin, plan, options)]);
}

export function runLoadRaw(origin: string, plan: LoadPlan, options: LoadOptions): Promise<RawLoad> {
  const latencies = new LatencyRecorder();
  const statusCounts: Record<string, number> = {};
  let responses = 0;
  let nextConnection = 0;
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const instance = autocannon(
      {
        url: origin,
        connections: options.connections,
        duration: options.durationS,
        timeout: options.timeoutS ?? 30,
        pipelining: 1,
        // Replaced on every connection by setupClient; a plain GET so that building it has no side effects.
        requests: [{ method: 'GET', path: '/' }],
        setupClient: (client) => client.setRequests(plan.requestsFor(nextConnection++)),
      },
      (error, result) => {
        if (error) {
          reject(error);
          return;
        }
        resolve({
          responses,
          elapsedS: (performance.now() - started) / 1000,
          latenciesMs: latencies.recorded(),
          statusCounts,
          errors: result.errors,
          timeouts: result.timeouts,
        });
      },
    );
    instance.on('response', (_client, statusCode, _bytes, responseTimeMs) => {
      responses++;
      latencies.add(responseTimeMs);
      const key = String(statusCode);
      statusCounts[key] = (statusCounts[key] ?? 0) + 1;
    });
  });
}
