/**
 * Schema validation speed: the compiled XSD validator (src/appusages/xsd) on an
 * already parsed document, next to the libxml2-based SchemaValidator on the same
 * document's text, for a 2 KB resource-lists document (15 entries) and a 1.2 MB one
 * (10,000 entries), each entry `<entry uri="sip:userN@example.com"><display-name>User
 * N</display-name></entry>` in one list. Also times an incremental validateElement()
 * of one entry of the large document.
 *
 *   node --import tsx bench/xsd.ts
 *   ENTRIES=20000 node --import tsx bench/xsd.ts
 */
import { SchemaValidator } from '../src/appusages/schema-validator.js';
import { CompiledSchema } from '../src/appusages/xsd/index.js';
import { parseXmlDocument } from '../src/xcap/xml/parser.js';
import type { XmlElement } from '../src/xcap/xml/tree.js';

const ENTRIES = Number(process.env.ENTRIES ?? 10_000);
const RESOURCE_LISTS_NS = 'urn:ietf:params:xml:ns:resource-lists';

function resourceLists(entries: number): string {
  const parts: string[] = [];
  for (let i = 0; i < entries; i++) {
    parts.push(`    <entry uri="sip:user${i}@example.com"><display-name>User ${i}</display-name></entry>\n`);
  }
  return (
    '<?xml version="1.0" encoding="UTF-8"?>\n' +
    `<resource-lists xmlns="${RESOURCE_LISTS_NS}">\n` +
    '  <list name="friends">\n' +
    parts.join('') +
    '  </list>\n' +
    '</resource-lists>\n'
  );
}

let garbage: unknown;

/** Random untimed garbage, so that samples do not line up with the young generation's collections. */
function shiftCollectorPhase(): void {
  const arrays = Math.floor(Math.random() * 16 * 1024);
  for (let i = 0; i < arrays; i++) garbage = new Array(120);
}

/** Median microseconds per call of each contender; samples alternate between contenders. */
function medians(contenders: readonly (() => unknown)[], batch: number, samples: number): number[] {
  for (const run of contenders) for (let i = 0; i < Math.min(samples, 50) * batch; i++) run();
  const times = contenders.map((): number[] => []);
  for (let s = 0; s < samples; s++) {
    contenders.forEach((run, c) => {
      shiftCollectorPhase();
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
  return us >= 1000 ? `${(us / 1000).toFixed(2)} ms` : `${us.toFixed(1)} µs`;
}

const compiled = CompiledSchema.load('resource-lists.xsd');
const libxml2 = SchemaValidator.load('resource-lists.xsd');

console.log(`schema validation of resource-lists documents (median per validate(); node ${process.version})`);
console.log('document              size      compiled XSD   libxml2-wasm   ratio');
for (const [label, entries, batch, samples] of [
  ['2 KB (15 entries)', 15, 200, 200],
  [`large (${ENTRIES} entries)`, ENTRIES, 1, 60],
] as const) {
  const text = resourceLists(entries);
  const document = parseXmlDocument(text);
  if (compiled.validate(document).length > 0 || libxml2.validate(text).length > 0) throw new Error('the benchmark document must be valid');
  const [ours, theirs] = medians([() => compiled.validate(document), () => libxml2.validate(text)], batch, samples);
  const size = text.length >= 1024 * 1024 ? `${(text.length / 1024 / 1024).toFixed(2)} MB` : `${(text.length / 1024).toFixed(1)} KB`;
  console.log(
    `${label.padEnd(22)}${size.padEnd(10)}${format(ours!).padStart(13)}${format(theirs!).padStart(15)}${`${(theirs! / ours!).toFixed(0)}x`.padStart(8)}`,
  );
}

const large = parseXmlDocument(resourceLists(ENTRIES));
const list = large.root.children.find((n): n is XmlElement => n.kind === 'element')!;
const entries = list.children.filter((n): n is XmlElement => n.kind === 'element');
const middle = entries[Math.floor(entries.length / 2)]!;
if (compiled.validateElement(large, middle).length > 0) throw new Error('the entry must be valid');
const [incremental] = medians([() => compiled.validateElement(large, middle)], 1, 60);
console.log(`validateElement() of one entry of the ${ENTRIES}-entry document: ${format(incremental!)}`);
void garbage;
