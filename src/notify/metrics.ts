/**
 * A few counters and gauges, exposed in the Prometheus text format (version 0.0.4)
 * on `GET /metrics`. Small on purpose: xcapd needs counts of notifications sent,
 * retried and given up, and the size of its queues and subscriber lists.
 */

export type Labels = Readonly<Record<string, string>>;

interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: 'counter' | 'gauge';
  readonly values: Map<string, { labels: Labels; value: number }>;
  readonly sample?: () => Iterable<readonly [Labels, number]>;
}

export class Counter {
  constructor(private readonly family: Family) {}

  inc(labels: Labels = {}, by = 1): void {
    const key = labelKey(labels);
    const entry = this.family.values.get(key);
    if (entry) entry.value += by;
    else this.family.values.set(key, { labels: { ...labels }, value: by });
  }
}

export const PROMETHEUS_CONTENT_TYPE = 'text/plain; version=0.0.4; charset=utf-8';

export class Metrics {
  private readonly families = new Map<string, Family>();

  /** A counter (created once; asking again for the same name returns it). */
  counter(name: string, help: string): Counter {
    return new Counter(this.family(name, help, 'counter'));
  }

  /** A gauge read when the metrics are rendered. */
  gauge(name: string, help: string, sample: () => number | Iterable<readonly [Labels, number]>): void {
    if (this.families.has(name)) return;
    const read = (): Iterable<readonly [Labels, number]> => {
      const v = sample();
      return typeof v === 'number' ? [[{}, v]] : v;
    };
    this.families.set(name, { name, help, type: 'gauge', values: new Map(), sample: read });
  }

  /** The current value of a counter or gauge for these labels (0 when never counted). */
  value(name: string, labels: Labels = {}): number {
    const family = this.families.get(name);
    if (!family) return 0;
    if (family.sample) {
      for (const [l, v] of family.sample()) if (labelKey(l) === labelKey(labels)) return v;
      return 0;
    }
    return family.values.get(labelKey(labels))?.value ?? 0;
  }

  render(): string {
    let out = '';
    for (const family of this.families.values()) {
      out += `# HELP ${family.name} ${family.help.replace(/\\/g, '\\\\').replace(/\n/g, '\\n')}\n# TYPE ${family.name} ${family.type}\n`;
      const samples = family.sample ? [...family.sample()] : [...family.values.values()].map((e) => [e.labels, e.value] as const);
      for (const [labels, value] of samples) out += `${family.name}${renderLabels(labels)} ${formatNumber(value)}\n`;
    }
    return out;
  }

  private family(name: string, help: string, type: 'counter' | 'gauge'): Family {
    let family = this.families.get(name);
    if (!family) {
      if (!/^[a-zA-Z_:][a-zA-Z0-9_:]*$/.test(name)) throw new RangeError(`invalid metric name ${name}`);
      family = { name, help, type, values: new Map() };
      this.families.set(name, family);
    }
    return family;
  }
}

function labelKey(labels: Labels): string {
  return Object.keys(labels)
    .sort()
    .map((k) => `${k}=${labels[k]}`)
    .join('\u0000');
}

function renderLabels(labels: Labels): string {
  const keys = Object.keys(labels).sort();
  if (keys.length === 0) return '';
  const escape = (v: string): string => v.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n');
  return `{${keys.map((k) => `${k}="${escape(labels[k]!)}"`).join(',')}}`;
}

function formatNumber(v: number): string {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return '+Inf';
  if (v === -Infinity) return '-Inf';
  return String(v);
}
