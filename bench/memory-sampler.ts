/**
 * The thread PeakRssMonitor (proc.ts) samples memory on: every `intervalMs` it reads
 * the memory of the process tree and keeps the highest reading in shared memory.
 */
import { workerData } from 'node:worker_threads';
import { processTree, readMemory } from './proc.js';

const { pid, intervalMs, peak } = workerData as { pid: number; intervalMs: number; peak: Float64Array };
// The workers of a running xcapd stay the same; the list is looked up again now and then in case one restarted.
let tree = processTree(pid);
let samples = 0;
setInterval(() => {
  if (++samples % 20 === 0) tree = processTree(pid);
  const m = readMemory(pid, tree);
  if (m && m.rssMb > peak[0]!) peak[0] = m.rssMb;
}, intervalMs);
