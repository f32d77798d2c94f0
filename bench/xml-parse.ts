/**
 * Parse speed of the XCAP XML parser on a small and a large resource-lists document,
 * next to libxml2-wasm's parser on the same text.
 *
 *   node --import tsx bench/xml-parse.ts            (large document: 10,000 entries)
 *   ENTRIES=11300 node --import tsx bench/xml-parse.ts
 */
import { XmlDocument as LibxmlDocument } from 'libxml2-wasm';
import { parseXmlDocument } from '../src/xcap/xml/parser.js';

const ENTRIES = Number(process.env.ENTRIES ?? 10_000);
const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';

function entry(i: number): string {
  return `      <entry uri="sip:user${i}@example.com">\n        <display-name>User ${i}</display-name>\n      </entry>\n`;
}

function resourceLists(entries: string): string {
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<resource-lists xmlns="${RESOURCE_LISTS_NS}" xmlns:cp="urn:ietf:params:xml:ns:copycontrol">\n` +
    '  <list name="friends">\n' +
    '    <list name="all">\n' +
    entries +
    '    </list>\n' +
    '  </list>\n' +
    '</resource-lists>\n'
  );
}

/** About 2 KB: a typical buddy list with a few entries, an external reference and a comment. */
function smallDocument(): string {
  let entries = '      <!-- people I talk to -->\n';
  for (let i = 0; i < 14; i++) entries += entry(i);
  entries += '      <external anchor="http://xcap.example.com/resource-lists/users/sip:a@example.com/index/~~/resource-lists/list%5b@name=%22x%22%5d"/>\n';
  entries += '      <entry-ref ref="resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d/entry%5b1%5d"/>\n';
  return resourceLists(entries);
}

function largeDocument(): string {
  const parts: string[] = [];
  for (let i = 0; i < ENTRIES; i++) parts.push(entry(i));
  return resourceLists(parts.join(''));
}

let garbage: unknown;

/**
 * Allocates a random amount of short-lived garbage (untimed), so that each sample
 * starts at a random point of the young generation's cycle. Without this, parsing the
 * same document back to back lines the collections up with the same moment of every
 * parse, and the median depends on that luck (by a factor of two for 1 MB).
 */
function shiftCollectorPhase(): void {
  const arrays = Math.floor(Math.random() * 16 * 1024);
  for (let i = 0; i < arrays; i++) garbage = new Array(120);
}

/**
 * Median microseconds per call of each contender. Samples alternate between them so
 * that both see the same machine load; a sample of a small input times `batch` calls
 * so that timer resolution does not dominate. Collector work is included, as it would
 * be in a server parsing one request body after another.
 */
function medians(contenders: readonly (() => void)[], batch: number, samples: number, shiftPhase: boolean): number[] {
  for (const run of contenders) for (let i = 0; i < Math.min(samples, 100) * batch; i++) run();
  const times = contenders.map((): number[] => []);
  for (let s = 0; s < samples; s++) {
    contenders.forEach((run, c) => {
      if (shiftPhase) shiftCollectorPhase();
      const t0 = process.hrtime.bigint();
      for (let i = 0; i < batch; i++) run();
      times[c]!.push(Number(process.hrtime.bigint() - t0) / 1000 / batch);
    });
  }
  return times.map((t) => {
    t.sort((x, y) => x - y);
    return t[Math.floor(t.length / 2)]!;
  });
}

function format(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`;
}

/** As a request body arrives: one flat string decoded from UTF-8 bytes. */
function asRequestBody(text: string): string {
  return Buffer.from(text, 'utf8').toString('utf8');
}

const cases = [
  { name: 'small resource-lists', text: asRequestBody(smallDocument()), batch: 100, samples: 200, shiftPhase: false },
  { name: `${ENTRIES} entries`, text: asRequestBody(largeDocument()), batch: 1, samples: 100, shiftPhase: true },
];

for (const { name, text, batch, samples, shiftPhase } of cases) {
  const [ours, libxml] = medians(
    [() => parseXmlDocument(text), () => LibxmlDocument.fromString(text).dispose()],
    batch,
    samples,
    shiftPhase,
  ) as [number, number];
  const bytes = Buffer.byteLength(text);
  const size = bytes >= 1e6 ? `${(bytes / 1e6).toFixed(2)} MB` : `${(bytes / 1e3).toFixed(1)} kB`;
  console.log(
    `${name} (${size}): parseXmlDocument median ${format(ours)}, libxml2-wasm median ${format(libxml)}` +
      ` (libxml2-wasm / ours = ${(libxml / ours).toFixed(2)})`,
  );
}
