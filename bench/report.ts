/** Printing the bench's tables as plain text. */
import type { MicroResult } from './micro.js';

export interface TargetVerdict {
  readonly text: string;
  readonly met: boolean | null;
}

export interface ScenarioRow {
  readonly id: string;
  readonly title: string;
  readonly auth: string;
  readonly connections: number;
  readonly reqPerSec: number;
  readonly baselineReqPerSec: number | null;
  readonly ratio: number | null;
  readonly p50Ms: number | null;
  readonly p99Ms: number | null;
  readonly baselineP50Ms: number | null;
  readonly baselineP99Ms: number | null;
  readonly responses: number;
  readonly non2xx: number;
  readonly errors: number;
  readonly statusCounts: Record<string, number>;
  readonly peakRssMb: number | null;
  readonly targets: readonly TargetVerdict[];
}

function table(header: readonly string[], rows: readonly (readonly string[])[], rightAligned: ReadonlySet<number>): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells.map((c, i) => (rightAligned.has(i) ? c.padStart(widths[i]!) : c.padEnd(widths[i]!))).join('  ').trimEnd();
  return [line(header), widths.map((w) => '-'.repeat(w)).join('  '), ...rows.map(line)].join('\n');
}

export function formatMs(ms: number | null): string {
  if (ms === null) return '—';
  if (ms < 0.1) return `${(ms * 1000).toFixed(1)} µs`;
  if (ms < 10) return `${ms.toFixed(2)} ms`;
  return `${ms.toFixed(1)} ms`;
}

function formatRate(n: number | null): string {
  return n === null ? '—' : Math.round(n).toLocaleString('en-US');
}

function verdicts(targets: readonly TargetVerdict[]): string {
  if (targets.length === 0) return '—';
  return targets.map((t) => `${t.text} ${t.met === null ? '?' : t.met ? 'met' : 'MISSED'}`).join('; ');
}

export function microTable(results: readonly MicroResult[]): string {
  return table(
    ['document', 'operation', 'median', 'p90', 'samples', 'target'],
    results.map((r) => [
      r.document,
      r.name,
      formatMs(r.medianMs),
      formatMs(r.p90Ms),
      `${r.samples}×${r.batch}`,
      r.targetMs === null ? '—' : `< ${formatMs(r.targetMs)} ${r.medianMs < r.targetMs ? 'met' : 'MISSED'}`,
    ]),
    new Set([2, 3, 4]),
  );
}

export function scenarioTable(rows: readonly ScenarioRow[]): string {
  return table(
    ['', 'scenario', 'conns', 'req/s', 'baseline', 'ratio', 'p50', 'p99', 'non-2xx/err', 'peak RSS', 'targets'],
    rows.map((r) => [
      r.id,
      r.title,
      String(r.connections),
      formatRate(r.reqPerSec),
      formatRate(r.baselineReqPerSec),
      r.ratio === null ? '—' : `${(r.ratio * 100).toFixed(0)}%`,
      formatMs(r.p50Ms),
      formatMs(r.p99Ms),
      `${r.non2xx}/${r.errors}`,
      r.peakRssMb === null ? '—' : `${r.peakRssMb.toFixed(0)} MB`,
      verdicts(r.targets),
    ]),
    new Set([2, 3, 4, 5, 6, 7, 8, 9]),
  );
}
