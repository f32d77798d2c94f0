/**
 * Parse speed of the XCAP XML parser on a small and a large resource-lists document,
 * next to libxml2-wasm's parser on the same text. Run: node --import tsx bench/xml-parse.ts
 */
import { XmlDocument as LibxmlDocument } from 'libxml2-wasm';
import { parseXmlDocument } from '../src/xcap/xml/parser.js';

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
  for (let i = 0; i < 10_000; i++) parts.push(entry(i));
  return resourceLists(parts.join(''));
}

function medianMicros(run: () => void, iterations: number): number {
  for (let i = 0; i < Math.min(iterations, 200); i++) run();
  const samples: number[] = [];
  for (let i = 0; i < iterations; i++) {
    const t0 = process.hrtime.bigint();
    run();
    samples.push(Number(process.hrtime.bigint() - t0) / 1000);
  }
  samples.sort((a, b) => a - b);
  return samples[Math.floor(samples.length / 2)]!;
}

/** Times many parses per sample so that timer resolution does not dominate small inputs. */
function medianMicrosBatched(run: () => void, batch: number, samples: number): number {
  return medianMicros(() => {
    for (let i = 0; i < batch; i++) run();
  }, samples) / batch;
}

function format(us: number): string {
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(2)} µs`;
}

const cases = [
  { name: 'small resource-lists', text: smallDocument(), batch: 200, samples: 200 },
  { name: '10,000 entries', text: largeDocument(), batch: 1, samples: 60 },
];

for (const { name, text, batch, samples } of cases) {
  const ours = medianMicrosBatched(() => parseXmlDocument(text), batch, samples);
  const libxml = medianMicrosBatched(() => LibxmlDocument.fromString(text).dispose(), batch, samples);
  const kb = (Buffer.byteLength(text) / 1024).toFixed(1);
  console.log(
    `${name} (${kb} KiB): parseXmlDocument ${format(ours)}, libxml2-wasm ${format(libxml)}, ratio ${(libxml / ours).toFixed(2)}x`,
  );
}
