/**
 * Value-level differential testing against libxml2: many values are put in one
 * document, one per line, in a place where a given type judges them, and each
 * validator's verdict on each value is read from the lines its issues name.
 */
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { SchemaValidator } from '../../../src/appusages/schema-validator.js';
import { CompiledSchema } from '../../../src/appusages/xsd/index.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';

/** Escapes a value for an attribute or for text without adding lines (line breaks become references). */
export function escapeValue(value: string): string {
  return value.replace(/[&<>"'\t\n\r]/g, (c) => `&#${c.charCodeAt(0)};`);
}

export interface ValueContext {
  readonly schema: string;
  /** The document around the lines; the first value line is the second line of the document. */
  readonly document: (lines: string) => string;
  /** One line holding `escaped` (and, where the schema needs unique values, `index`). */
  readonly line: (escaped: string, index: number) => string;
  /** Values this context cannot hold (our parser or the document structure refuses them). */
  readonly excludes?: (value: string) => boolean;
}

const XSI = 'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xmlns:xs="http://www.w3.org/2001/XMLSchema"';
const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';

export const CONTEXTS = {
  anyUriAttribute: {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL}><list>${lines}</list></resource-lists>`,
    line: (v) => `<entry uri="${v}"/>`,
  },
  anyUriText: {
    schema: 'pres-rules.xsd',
    document: (lines) =>
      `<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="r"><cr:transformations><pr:provide-services>${lines}</pr:provide-services></cr:transformations></cr:rule></cr:ruleset>`,
    line: (v) => `<pr:service-uri>${v}</pr:service-uri>`,
  },
  namespaceDeclaration: {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL}><list>${lines}</list></resource-lists>`,
    line: (v) => `<x:e xmlns:x="${v}"/>`,
    // Reserved namespaces our parser refuses; the list's own namespace, whose <e> the list refuses.
    excludes: (v) =>
      v === '' || v === 'http://www.w3.org/XML/1998/namespace' || v === 'http://www.w3.org/2000/xmlns/' || v === 'urn:ietf:params:xml:ns:resource-lists',
  },
  dateTimeText: {
    schema: 'common-policy.xsd',
    document: (lines) => `<ruleset xmlns="urn:ietf:params:xml:ns:common-policy"><rule id="r"><conditions><validity>${lines}</validity></conditions></rule></ruleset>`,
    line: (v) => `<from>${v}</from><until>2024-01-01T00:00:00Z</until>`,
  },
  dateTimeAttribute: {
    schema: 'xcap-directory.xsd',
    document: (lines) => `<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory"><folder auid="a">${lines}</folder></xcap-directory>`,
    line: (v) => `<entry uri="x" etag="e" last-modified="${v}"/>`,
  },
  nonNegativeIntegerAttribute: {
    schema: 'xcap-directory.xsd',
    document: (lines) => `<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory"><folder auid="a">${lines}</folder></xcap-directory>`,
    line: (v) => `<entry uri="x" etag="e" size="${v}"/>`,
  },
  booleanText: {
    schema: 'pres-rules.xsd',
    document: (lines) =>
      `<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="r"><cr:transformations>${lines}</cr:transformations></cr:rule></cr:ruleset>`,
    line: (v) => `<pr:provide-mood>${v}</pr:provide-mood>`,
  },
  tokenEnumerationText: {
    schema: 'pres-rules.xsd',
    document: (lines) =>
      `<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules"><cr:rule id="r"><cr:actions>${lines}</cr:actions></cr:rule></cr:ruleset>`,
    line: (v) => `<pr:sub-handling>${v}</pr:sub-handling>`,
  },
  qvalueAttribute: {
    schema: 'pidf.xsd',
    document: (lines) => `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b">${lines}</presence>`,
    line: (v, i) => `<tuple id="t${i}"><status/><contact priority="${v}">sip:a@b</contact></tuple>`,
  },
  integerText: {
    schema: 'pidf.xsd',
    document: (lines) =>
      `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:a@b"><dm:person id="p">${lines}</dm:person></presence>`,
    line: (v) => `<rpid:time-offset>${v}</rpid:time-offset>`,
  },
  positiveIntegerAttribute: {
    schema: 'pidf.xsd',
    document: (lines) =>
      `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" entity="pres:a@b"><tuple id="t"><status>${lines}</status></tuple></presence>`,
    line: (v) => `<rpid:user-input idle-threshold="${v}">idle</rpid:user-input>`,
  },
  idAttribute: {
    schema: 'pidf.xsd',
    document: (lines) => `<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="pres:a@b">${lines}</presence>`,
    line: (v) => `<tuple id="${v}"><status/></tuple>`,
  },
  xmlId: {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL}>${lines}</resource-lists>`,
    line: (v) => `<list xml:id="${v}"/>`,
  },
  languageUnionAttribute: {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL}>${lines}</resource-lists>`,
    line: (v) => `<list xml:lang="${v}"/>`,
  },
  ncNameEnumerationAttribute: {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL}>${lines}</resource-lists>`,
    line: (v) => `<list xml:space="${v}"/>`,
  },
  xpathAttribute: {
    schema: 'xcap-diff.xsd',
    document: (lines) => `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/"><document sel="d">${lines}</document></xcap-diff>`,
    line: (v) => `<remove sel="${v}"/>`,
  },
  xpathAddAttribute: {
    schema: 'xcap-diff.xsd',
    document: (lines) => `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/"><document sel="d">${lines}</document></xcap-diff>`,
    line: (v) => `<add sel="${v}"/>`,
  },
  patchTypeAttribute: {
    schema: 'xcap-diff.xsd',
    document: (lines) => `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xcap-root="http://x/"><document sel="d">${lines}</document></xcap-diff>`,
    line: (v) => `<add sel="a" type="${v}"/>`,
  },
} satisfies Record<string, ValueContext>;

/** A lax element of resource-lists typed by xsi:type, to reach every built-in type. */
export function builtinContext(type: string): ValueContext {
  return {
    schema: 'resource-lists.xsd',
    document: (lines) => `<resource-lists ${RL} ${XSI}><list>${lines}</list></resource-lists>`,
    line: (v) => `<x:v xmlns:x="urn:x" xsi:type="xs:${type}">${v}</x:v>`,
  };
}

/** Values per batch: at two issues per value at most, under the 100 issues our validator reports one by one. */
const BATCH = 45;

function linesWithIssues(issues: ReadonlyArray<{ line: number | null; message: string }>): Set<number> {
  const lines = new Set<number>();
  for (const issue of issues) {
    assert.notEqual(issue.line, null, `an issue without a line: ${issue.message}`);
    lines.add(issue.line!);
  }
  return lines;
}

/**
 * Asserts that both validators accept and refuse the same `values` in `context`.
 * Returns how many were accepted, to check that a test exercises both outcomes.
 */
export function assertSameValueVerdicts(context: ValueContext, values: readonly string[]): { accepted: number; refused: number } {
  const usable = [...new Set(values)].filter((v) => !(context.excludes?.(v) ?? false));
  let accepted = 0;
  for (let start = 0; start < usable.length; start += BATCH) {
    const batch = usable.slice(start, start + BATCH);
    const text = context.document(`\n${batch.map((v, i) => context.line(escapeValue(v), start + i)).join('\n')}\n`);
    const ours = linesWithIssues(CompiledSchema.load(context.schema).validate(parseXmlDocument(text)));
    const theirs = linesWithIssues(SchemaValidator.load(context.schema).validate(text));
    const differences = batch.filter((_, i) => ours.has(i + 2) !== theirs.has(i + 2));
    assert.deepEqual(
      differences.map((v) => `${JSON.stringify(v)}: libxml2 ${theirs.has(batch.indexOf(v) + 2) ? 'refuses' : 'accepts'}`),
      [],
      `verdicts differ in ${context.schema}`,
    );
    // Issues on lines that hold no value would mean the document around them is wrong.
    for (const line of [...ours, ...theirs]) assert.ok(line >= 2 && line < batch.length + 2, `an issue on line ${line}`);
    accepted += batch.filter((_, i) => !ours.has(i + 2)).length;
  }
  return { accepted, refused: usable.length - accepted };
}

/** `count` values of `arbitrary`, the same ones on every run. */
export function sample(arbitrary: fc.Arbitrary<string>, count: number, seed = 5261): string[] {
  return fc.sample(arbitrary, { numRuns: count, seed });
}

/** Strings made of `pieces`, up to `maxPieces` of them. */
export function pieces(alphabet: readonly string[], maxPieces = 8): fc.Arbitrary<string> {
  return fc.array(fc.constantFrom(...alphabet), { maxLength: maxPieces }).map((parts) => parts.join(''));
}
