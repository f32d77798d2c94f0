/**
 * In-process timings of the XCAP core on the 2 KB and the 10,000-entry document:
 * the full element-replace cycle (parse, select, replace, serialize) that issue 2
 * sets targets for, its parts on their own, and the write path of a server that
 * keeps the parsed tree and patches it (adoptEdit) instead of parsing again.
 */
import { isDeepStrictEqual } from 'node:util';
import { SchemaValidator } from '../src/appusages/schema-validator.js';
import { CompiledSchema } from '../src/appusages/xsd/index.js';
import { adoptEdit, getNode, parseDocumentBody, putElement } from '../src/xcap/operations.js';
import { parseNodeSelector, type NodeSelector } from '../src/xcap/selector.js';
import { percentDecode } from '../src/xcap/uri.js';
import type { XmlDocument } from '../src/xcap/xml/tree.js';
import {
  entrySelector,
  largeDocument,
  replacementEntryBody,
  RESOURCE_LISTS_NS,
  SELECTED_ENTRY_URI,
  smallDocument,
} from './documents.js';

export interface MicroResult {
  readonly name: string;
  readonly document: string;
  readonly bytes: number;
  /** Median of the samples, in milliseconds per operation. */
  readonly medianMs: number;
  readonly p90Ms: number;
  readonly samples: number;
  /** Operations timed together in one sample (small inputs are below the timer's resolution one by one). */
  readonly batch: number;
  readonly targetMs: number | null;
}

interface Sized {
  readonly label: string;
  readonly text: string;
  readonly batch: number;
  readonly samples: number;
  readonly cycleTargetMs: number;
  /** The entry the replace selects: for the large document, one near the end, the worst case for select. */
  readonly entryUri: string;
  /** An entry near the start: the worst case for adoptEdit, which moves every node after the change. */
  readonly firstEntryUri: string;
}

function selectorFor(uri: string): NodeSelector {
  // The URI form minus the `/~~/`, decoded as the HTTP layer would hand it over.
  const text = percentDecode(entrySelector(uri).slice('/~~/'.length), 'node selector');
  return parseNodeSelector(text, { defaultNamespace: RESOURCE_LISTS_NS, bindings: new Map() });
}

/**
 * Median time of `run` over samples of `batch` calls each. `prepare` makes each call's
 * input outside the timed region (a freshly parsed document, say: the parser
 * computes some things lazily, so reusing one parsed document would time a warm
 * cache). Sampling is time-bounded so one slow case cannot stall the bench.
 */
function measure<I>(
  prepare: () => I,
  run: (input: I) => unknown,
  batch: number,
  samples: number,
  maxMs: number,
): { median: number; p90: number; samples: number } {
  const inputs: I[] = new Array<I>(batch);
  const fill = () => {
    for (let j = 0; j < batch; j++) inputs[j] = prepare();
  };
  const warmup = Math.max(3, Math.ceil(samples / 5));
  for (let i = 0; i < warmup; i++) {
    fill();
    for (let j = 0; j < batch; j++) run(inputs[j]!);
  }
  const times: number[] = [];
  const deadline = performance.now() + maxMs;
  for (let i = 0; i < samples && (i < 5 || performance.now() < deadline); i++) {
    fill();
    const t0 = process.hrtime.bigint();
    for (let j = 0; j < batch; j++) run(inputs[j]!);
    times.push(Number(process.hrtime.bigint() - t0) / 1e6 / batch);
  }
  times.sort((a, b) => a - b);
  const at = (q: number) => times[Math.min(times.length - 1, Math.floor(q * times.length))]!;
  return { median: at(0.5), p90: at(0.9), samples: times.length };
}

export function runMicroBenchmarks(options: { maxMsPerCase?: number } = {}): MicroResult[] {
  const maxMs = options.maxMsPerCase ?? 1500;
  const validator = SchemaValidator.load('resource-lists.xsd');
  const compiled = CompiledSchema.load('resource-lists.xsd');
  const sizes: Sized[] = [
    { label: '2 KB', text: smallDocument(), batch: 100, samples: 300, cycleTargetMs: 0.1, entryUri: SELECTED_ENTRY_URI, firstEntryUri: 'sip:friend-1@example.com' },
    { label: '10,000 entries', text: largeDocument(), batch: 1, samples: 60, cycleTargetMs: 15, entryUri: 'sip:contact9990@example.com', firstEntryUri: 'sip:contact10@example.com' },
  ];
  const results: MicroResult[] = [];
  for (const size of sizes) {
    const rawSelector = percentDecode(entrySelector(size.entryUri).slice('/~~/'.length), 'node selector');
    const selector = selectorFor(size.entryUri);
    const body = replacementEntryBody(size.entryUri);
    // A wrong answer must not pass for a fast one.
    checkReplace(size, selector, body);
    if (validator.validate(size.text).length > 0) throw new Error(`micro-benchmark: the ${size.label} document is not valid`);

    // Made on first use (in the warm-up), so that the other cases do not run with two more trees in the heap.
    const adoptedWrites = (uri: string) => {
      let write: (() => XmlDocument) | null = null;
      return () => (write ??= chainedAdoptedWrites(size.text, selectorFor(uri), uri))();
    };
    const writeNearEnd = adoptedWrites(size.entryUri);
    const writeNearStart = adoptedWrites(size.firstEntryUri);

    const none = (): null => null;
    const fresh = () => parseDocumentBody(size.text);
    const cases: { name: string; prepare: () => unknown; run: (input: never) => unknown; targetMs: number | null }[] = [
      {
        name: 'parse + select + replace + serialize',
        prepare: none,
        run: () => {
          const document = parseDocumentBody(size.text);
          const s = parseNodeSelector(rawSelector, { defaultNamespace: RESOURCE_LISTS_NS, bindings: new Map() });
          return putElement(document, s, body).source;
        },
        targetMs: size.cycleTargetMs,
      },
      { name: 'parse', prepare: none, run: () => parseDocumentBody(size.text), targetMs: null },
      {
        name: 'putElement (fresh parse, untimed)',
        prepare: fresh,
        run: (document: ReturnType<typeof fresh>) => putElement(document, selector, body),
        targetMs: null,
      },
      {
        name: 'getNode (fresh parse, untimed)',
        prepare: fresh,
        run: (document: ReturnType<typeof fresh>) => getNode(document, selector).body,
        targetMs: null,
      },
      { name: 'schema validation (libxml2-wasm, text)', prepare: none, run: () => validator.validate(size.text), targetMs: null },
      { name: 'schema validation (compiled XSD, parsed tree)', prepare: fresh, run: (document: ReturnType<typeof fresh>) => compiled.validate(document), targetMs: null },
      {
        name: 'cycle + re-parse of the result + full validation (no cache)',
        prepare: none,
        run: () => compiled.validate(putElement(parseDocumentBody(size.text), selector, body).document),
        targetMs: null,
      },
      { name: 'write on the cached tree: select + replace + adoptEdit (as served)', prepare: none, run: writeNearEnd, targetMs: null },
      { name: 'write path with adoptEdit, entry near the start (most nodes moved)', prepare: none, run: writeNearStart, targetMs: null },
    ];
    for (const c of cases) {
      const m = measure(c.prepare, c.run as (input: unknown) => unknown, size.batch, size.samples, maxMs);
      results.push({
        name: c.name,
        document: size.label,
        bytes: Buffer.byteLength(size.text),
        medianMs: m.median,
        p90Ms: m.p90,
        samples: m.samples,
        batch: size.batch,
        targetMs: c.targetMs,
      });
    }
  }
  return results;
}

/**
 * The write path of a server that caches the parsed tree: each call replaces the
 * entry in the tree the previous call left (parsed once, outside the timings) and
 * patches that tree. Two bodies of different lengths alternate, so that every edit
 * moves the nodes after it (an edit that keeps the length moves nothing).
 */
function chainedAdoptedWrites(text: string, selector: NodeSelector, uri: string): () => XmlDocument {
  const bodies = [replacementEntryBody(uri), replacementEntryBody(uri).replace('Renamed', 'Renamed once more')];
  let current = parseDocumentBody(text);
  let turn = 0;
  const write = (): XmlDocument => {
    const result = putElement(current, selector, bodies[turn++ % 2]!);
    current = adoptEdit(current, result);
    return current;
  };
  // A wrong tree must not pass for a fast one: a few patched trees against parses of their sources.
  for (let i = 0; i < 3; i++) {
    const tree = write();
    if (!isDeepStrictEqual(tree, parseDocumentBody(tree.source))) throw new Error(`micro-benchmark: adoptEdit on ${uri} made a wrong tree`);
  }
  return write;
}

/** Apart from the loop, so that its result (which holds the parsed tree) is not kept alive through the timings. */
function checkReplace(size: Sized, selector: NodeSelector, body: string): void {
  const check = putElement(parseDocumentBody(size.text), selector, body);
  if (check.created || !check.source.includes(body)) throw new Error(`micro-benchmark: the replace on the ${size.label} document did not replace`);
}
