import { SchemaValidator } from '/work/main/src/appusages/schema-validator.ts';
const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="counterpath:properties"';
function doc(n: number): string {
  const entries: string[] = [];
  for (let i = 0; i < n; i++) entries.push(`    <entry uri="sip:user${String(i).padStart(5, '0')}@example.com">\n      <display-name>Example User ${String(i).padStart(5, '0')}</display-name>\n      <cp:prop name="category" value="work"/>\n    </entry>`);
  return `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists ${RL}>\n  <list name="Contact List">\n${entries.join('\n')}\n  </list>\n</resource-lists>\n`;
}
const v = SchemaValidator.load('resource-lists.xsd');
for (const [label, n] of [['small', 13], ['large', 10000]] as const) {
  const text = doc(n);
  const times: number[] = [];
  for (let r = 0; r < 22; r++) { const t = performance.now(); const issues = v.validate(text); times.push(performance.now() - t); if (issues.length) throw new Error(JSON.stringify(issues[0])); }
  const ts = times.slice(2).sort((a, b) => a - b);
  console.log(label, n, 'entries', (Buffer.byteLength(text) / 1024).toFixed(1), 'KiB', 'median', ((ts[9]! + ts[10]!) / 2).toFixed(3), 'ms', 'min', ts[0]!.toFixed(3), 'max', ts[19]!.toFixed(3));
}
{ const text = doc(10000); for (let r = 0; r < 100; r++) v.validate(text); }
const mem = process.memoryUsage(); console.log('rss MB', (mem.rss/1e6).toFixed(0));
