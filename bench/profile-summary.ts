/**
 * The hot spots of a V8 CPU profile (`node --cpu-prof`): time per function (self
 * and inclusive) and per file or package, as shares of the time the process was
 * not idle. Run: node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]
 */
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { REPO_ROOT } from './children.js';

interface ProfileNode {
  readonly id: number;
  readonly callFrame: { readonly functionName: string; readonly url: string; readonly lineNumber: number };
  readonly children?: readonly number[];
}

interface CpuProfile {
  readonly nodes: readonly ProfileNode[];
  readonly samples: readonly number[];
  readonly timeDeltas: readonly number[];
}

export interface HotSpot {
  readonly name: string;
  readonly where: string;
  readonly selfShare: number;
  readonly totalShare: number;
}

export interface ProfileSummary {
  /** Milliseconds sampled while not idle. */
  readonly busyMs: number;
  readonly idleMs: number;
  readonly functions: readonly HotSpot[];
  /** Our own functions (and dependencies' entry points) by inclusive time: where whole operations go. */
  readonly inclusive: readonly HotSpot[];
  /** Self time by source file (ours) or package (dependencies, Node internals). */
  readonly files: readonly { readonly where: string; readonly share: number }[];
}

function fileOf(url: string): string {
  if (url === '') return '(native)';
  if (url.startsWith('node:')) return url.startsWith('node:internal') ? 'node internals' : url;
  let path = url;
  if (url.startsWith('file://')) {
    try {
      path = fileURLToPath(url);
    } catch {
      return url;
    }
  }
  const pkg = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(path);
  if (pkg) return `node_modules/${pkg[1]}`;
  return relative(REPO_ROOT, path);
}

function whereOf(node: ProfileNode): string {
  const file = fileOf(node.callFrame.url);
  return node.callFrame.url === '' || file.startsWith('node_modules') || file === 'node internals'
    ? `${file}${node.callFrame.url === '' ? '' : ` (${node.callFrame.url.split('/').pop()}:${node.callFrame.lineNumber + 1})`}`
    : `${file}:${node.callFrame.lineNumber + 1}`;
}

export function summarizeCpuProfile(file: string, top = 15): ProfileSummary {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const selfUs = new Map<number, number>();
  profile.samples.forEach((id, i) => selfUs.set(id, (selfUs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0)));

  let idleUs = 0;
  let busyUs = 0;
  for (const [id, us] of selfUs) {
    if (byId.get(id)?.callFrame.functionName === '(idle)') idleUs += us;
    else busyUs += us;
  }

  const keyOf = (n: ProfileNode) => `${n.callFrame.functionName || '(anonymous)'}\u0000${whereOf(n)}`;
  const self = new Map<string, number>();
  const total = new Map<string, number>();
  const files = new Map<string, number>();
  const hasParent = new Set(profile.nodes.flatMap((n) => n.children ?? []));

  // Inclusive time of each node; a function counts once per stack, however deep it recurses.
  const visit = (node: ProfileNode, onStack: Set<string>): number => {
    const key = keyOf(node);
    let inclusive = node.callFrame.functionName === '(idle)' ? 0 : (selfUs.get(node.id) ?? 0);
    if (inclusive > 0) {
      self.set(key, (self.get(key) ?? 0) + inclusive);
      const f = fileOf(node.callFrame.url);
      files.set(f, (files.get(f) ?? 0) + inclusive);
    }
    const outer = onStack.has(key);
    onStack.add(key);
    for (const childId of node.children ?? []) {
      const child = byId.get(childId);
      if (child) inclusive += visit(child, onStack);
    }
    if (!outer) {
      onStack.delete(key);
      total.set(key, (total.get(key) ?? 0) + inclusive);
    }
    return inclusive;
  };
  for (const node of profile.nodes) if (!hasParent.has(node.id)) visit(node, new Set());

  const share = (us: number) => (busyUs === 0 ? 0 : us / busyUs);
  const hotSpot = (key: string): HotSpot => {
    const [name, where] = key.split('\u0000') as [string, string];
    return { name, where, selfShare: share(self.get(key) ?? 0), totalShare: share(total.get(key) ?? 0) };
  };
  const functions = [...self.entries()]
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key]) => hotSpot(key));
  const ownCode = (where: string) => !where.startsWith('node internals') && !where.startsWith('(native)') && !where.startsWith('node:');
  const inclusive = [...total.entries()]
    .filter(([key]) => ownCode(key.split('\u0000')[1]!) && !key.startsWith('(anonymous)'))
    .sort((a, b) => b[1] - a[1])
    .slice(0, top)
    .map(([key]) => hotSpot(key));
  return {
    busyMs: busyUs / 1000,
    idleMs: idleUs / 1000,
    functions,
    inclusive,
    files: [...files.entries()].sort((a, b) => b[1] - a[1]).slice(0, 10).map(([where, us]) => ({ where, share: share(us) })),
  };
}

export function formatProfileSummary(summary: ProfileSummary): string {
  const pct = (x: number) => `${(x * 100).toFixed(1)}%`.padStart(6);
  const lines = [
    `busy ${(summary.busyMs / 1000).toFixed(1)} s, idle ${(summary.idleMs / 1000).toFixed(1)} s; shares are of busy time`,
    '  self  total  function  (where)',
    ...summary.functions.map((f) => `${pct(f.selfShare)} ${pct(f.totalShare)}  ${f.name}  (${f.where})`),
    '  by inclusive time (own code and dependencies, named functions):',
    ...summary.inclusive.map((f) => `${pct(f.selfShare)} ${pct(f.totalShare)}  ${f.name}  (${f.where})`),
    '  self by file or package:',
    ...summary.files.map((f) => `${pct(f.share)}  ${f.where}`),
  ];
  return lines.join('\n');
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const [file, top] = process.argv.slice(2);
  if (!file || (top !== undefined && !/^\d+$/.test(top))) {
    console.error('usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile [TOP]');
    process.exit(2);
  }
  console.log(formatProfileSummary(summarizeCpuProfile(file, top ? Number(top) : 25)));
}
