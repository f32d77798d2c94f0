/**
 * Differential testing of the XSD validator against libxml2 (SchemaValidator): valid
 * documents are mutated at random (elements dropped, duplicated, swapped, renamed,
 * inserted; attributes dropped, added, altered; text changed; foreign-namespace
 * elements inserted) and both validators must give the same verdict on the result.
 *
 * The incremental entry points are checked the same way, against full validation
 * and libxml2: element edits (runIncremental), element removals (runRemovals) and
 * attribute edits (runAttributeEdits), each made to a valid document, as the
 * server makes them.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import fc from 'fast-check';
import { SchemaValidator } from '../../../src/appusages/schema-validator.js';
import { CompiledSchema, type SchemaValidationIssue } from '../../../src/appusages/xsd/index.js';
import { escapeAttribute, escapeText } from '../../../src/xcap/xml/escape.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';
import type { XmlDocument, XmlElement } from '../../../src/xcap/xml/tree.js';

const schemaDirectory = new URL('../../../src/schemas/', import.meta.url);
const documentDirectory = new URL('../../fixtures/documents/', import.meta.url);

export function fixture(name: string): string {
  return readFileSync(new URL(name, documentDirectory), 'utf8');
}

/** A mutable copy of a parsed element, keeping prefixes and namespace declarations as written. */
export interface Node {
  qname: string;
  attributes: Array<{ qname: string; value: string }>;
  declarations: Array<{ prefix: string; uri: string }>;
  children: Child[];
}

export type Child = Node | { kind: 'text' | 'cdata' | 'comment'; value: string };

function isNode(child: Child): child is Node {
  return 'qname' in child;
}

export function toNode(element: XmlElement, source: string): Node {
  return {
    qname: element.qname,
    attributes: element.attributes.map((a) => ({ qname: a.qname, value: a.value })),
    declarations: element.namespaceDeclarations.map((d) => ({ prefix: d.prefix, uri: d.uri })),
    children: element.children.map((child): Child => {
      switch (child.kind) {
        case 'element':
          return toNode(child, source);
        case 'text':
          return { kind: 'text', value: child.value };
        case 'cdata':
          return { kind: 'cdata', value: child.value };
        default:
          return { kind: 'comment', value: source.slice(child.start, child.end) };
      }
    }),
  };
}

export function serialize(node: Node): string {
  const declarations = node.declarations.map((d) => ` ${d.prefix === '' ? 'xmlns' : `xmlns:${d.prefix}`}="${escapeAttribute(d.uri)}"`);
  const attributes = node.attributes.map((a) => ` ${a.qname}="${escapeAttribute(a.value)}"`);
  const open = `<${node.qname}${declarations.join('')}${attributes.join('')}`;
  if (node.children.length === 0) return `${open}/>`;
  const content = node.children
    .map((child) => {
      if (isNode(child)) return serialize(child);
      if (child.kind === 'text') return escapeText(child.value);
      if (child.kind === 'cdata') return `<![CDATA[${child.value}]]>`;
      return child.value;
    })
    .join('');
  return `${open}>${content}</${node.qname}>`;
}

function clone(node: Node): Node {
  return structuredClone(node);
}

/** Elements in document order with their parents (null for the root). */
function elementsOf(root: Node): Array<{ node: Node; parent: Node | null }> {
  const out: Array<{ node: Node; parent: Node | null }> = [];
  const walk = (node: Node, parent: Node | null): void => {
    out.push({ node, parent });
    for (const child of node.children) if (isNode(child)) walk(child, node);
  };
  walk(root, null);
  return out;
}

function prefixOf(qname: string): string {
  const colon = qname.indexOf(':');
  return colon < 0 ? '' : qname.slice(0, colon);
}

function withPrefix(prefix: string, local: string): string {
  return prefix === '' ? local : `${prefix}:${local}`;
}

/** Names declared in our schemas, and enumeration values, to draw mutations from. */
function schemaVocabulary(): { names: string[]; values: string[] } {
  const names = new Set<string>();
  const values = new Set<string>();
  for (const file of readdirSync(schemaDirectory)) {
    if (!file.endsWith('.xsd')) continue;
    const text = readFileSync(new URL(file, schemaDirectory), 'utf8');
    for (const m of text.matchAll(/<xs:(?:element|attribute) name="([^"]+)"/g)) names.add(m[1]!);
    for (const m of text.matchAll(/<xs:enumeration value="([^"]*)"/g)) values.add(m[1]!);
  }
  return { names: [...names].sort(), values: [...values].sort() };
}

const VOCABULARY = schemaVocabulary();

/** Values chosen to sit on the boundaries of the built-in types our schemas use. */
const INTERESTING_VALUES = [
  '', ' ', 'x', 'a b', ' padded ', 'true', 'false', '1', '0', ' true ', 'yes', 'TRUE', '-0', '+5', '12', '-1', '0.5', '1.5',
  '0.123', '0.1234', '1.000', '00.5', '2024-01-01T00:00:00Z', ' 2024-01-01T00:00:00Z', '2024-01-01T00:00:00Z ',
  '2024-02-30T00:00:00Z', '2024-01-01', '2024-01-01T24:00:00', 'sip:alice@example.com', 'http://xcap.example.com/a b',
  '%zz', 'a#b#c', 'urn:x', 'http://[::1', 'pres:a@b', 'en', 'en-US', 'en_US', 'é', '1a', '_id', 'a:b', '@id', 'namespace::x',
  "/a/b[2]/@c", "a[@b='c'", "id('k')/@x", 'text()', '*', 'r1', 't1', 'p1', 'same',
  // xsi:type values, and namespace URIs libxml2's parser refuses.
  'xs:string', 'xs:boolean', 'xs:anyURI', 'xs:anyType', 'xs:integer', 'rl:listType', 'pr:booleanPermission', 'dm:empty',
  'urn:é', 'http://h:/', 'a{b}',
];

const FOREIGN = 'urn:example:foreign';

export interface Mutation {
  readonly kind: string;
  readonly target: number;
  readonly pick: number;
  readonly value: string;
  readonly name: string;
}

const mutationArbitrary: fc.Arbitrary<Mutation> = fc.record({
  kind: fc.constantFrom(
    'drop-element', 'duplicate-element', 'swap-siblings', 'rename-element', 'drop-attribute', 'add-attribute',
    'alter-attribute', 'alter-text', 'insert-foreign', 'insert-known', 'add-text', 'wrap-foreign', 'copy-id',
    'declare-namespace',
  ),
  target: fc.nat(),
  pick: fc.nat(),
  value: fc.oneof(fc.constantFrom(...INTERESTING_VALUES, ...VOCABULARY.values), fc.string({ maxLength: 6 })),
  name: fc.constantFrom(...VOCABULARY.names, 'foo', 'lang', 'id', 'space', 'base', 'mustUnderstand', 'type', 'nil'),
});

/** Applies one mutation in place; returns a description for failure reports. */
function mutate(root: Node, m: Mutation): string {
  const elements = elementsOf(root);
  const { node, parent } = elements[m.target % elements.length]!;
  const prefix = prefixOf(node.qname);
  switch (m.kind) {
    case 'drop-element':
      if (parent === null) return 'none';
      parent.children.splice(parent.children.indexOf(node), 1);
      return `drop ${node.qname}`;
    case 'duplicate-element':
      if (parent === null) return 'none';
      parent.children.splice(parent.children.indexOf(node) + 1, 0, clone(node));
      return `duplicate ${node.qname}`;
    case 'swap-siblings': {
      if (parent === null) return 'none';
      const siblings = parent.children.filter(isNode);
      const i = siblings.indexOf(node);
      const next = siblings[i + 1];
      if (next === undefined) return 'none';
      const a = parent.children.indexOf(node);
      const b = parent.children.indexOf(next);
      parent.children[a] = next;
      parent.children[b] = node;
      return `swap ${node.qname} and ${next.qname}`;
    }
    case 'rename-element':
      node.qname = withPrefix(prefix, m.name);
      return `rename to ${node.qname}`;
    case 'drop-attribute': {
      if (node.attributes.length === 0) return 'none';
      const [dropped] = node.attributes.splice(m.pick % node.attributes.length, 1);
      return `drop @${dropped!.qname}`;
    }
    case 'add-attribute': {
      const flavours = [m.name, `xml:${m.name}`, `f:${m.name}`, `xsi:${m.name}`];
      const qname = flavours[m.pick % flavours.length]!;
      if (node.attributes.some((a) => a.qname === qname)) return 'none';
      if (qname.startsWith('f:') && !node.declarations.some((d) => d.prefix === 'f')) node.declarations.push({ prefix: 'f', uri: FOREIGN });
      if (qname.startsWith('xsi:') && !node.declarations.some((d) => d.prefix === 'xsi')) {
        node.declarations.push({ prefix: 'xsi', uri: 'http://www.w3.org/2001/XMLSchema-instance' });
        node.declarations.push({ prefix: 'xs', uri: 'http://www.w3.org/2001/XMLSchema' });
      }
      node.attributes.push({ qname, value: m.value });
      return `add @${qname}="${m.value}"`;
    }
    case 'alter-attribute': {
      if (node.attributes.length === 0) return 'none';
      const attribute = node.attributes[m.pick % node.attributes.length]!;
      attribute.value = m.value;
      return `set @${attribute.qname}="${m.value}"`;
    }
    case 'alter-text':
      if (node.children.some(isNode)) return 'none';
      node.children = m.value === '' ? [] : [{ kind: 'text', value: m.value }];
      return `text "${m.value}"`;
    case 'insert-foreign': {
      const foreign: Node = {
        qname: 'f:extension',
        attributes: m.pick % 2 === 0 ? [] : [{ qname: 'level', value: m.value }],
        declarations: [{ prefix: 'f', uri: FOREIGN }],
        children: m.pick % 3 === 0 ? [{ kind: 'text', value: 'note' }] : [],
      };
      node.children.splice(m.pick % (node.children.length + 1), 0, foreign);
      return `insert foreign at ${m.pick % (node.children.length)}`;
    }
    case 'insert-known': {
      const inserted: Node = {
        qname: withPrefix(prefix, m.name),
        attributes: [],
        declarations: [],
        children: m.pick % 2 === 0 ? [] : [{ kind: 'text', value: m.value }],
      };
      node.children.splice(m.pick % (node.children.length + 1), 0, inserted);
      return `insert ${inserted.qname}`;
    }
    case 'add-text': {
      const texts: Child[] = [
        { kind: 'text', value: m.value },
        { kind: 'text', value: '\n  ' },
        { kind: 'cdata', value: m.value },
        { kind: 'comment', value: '<!-- c -->' },
      ];
      node.children.splice(m.pick % (node.children.length + 1), 0, texts[m.pick % texts.length]!);
      return `add text`;
    }
    case 'wrap-foreign': {
      if (parent === null) return 'none';
      const wrapper: Node = { qname: 'f:wrap', attributes: [], declarations: [{ prefix: 'f', uri: FOREIGN }], children: [node] };
      parent.children[parent.children.indexOf(node)] = wrapper;
      return `wrap ${node.qname}`;
    }
    case 'copy-id': {
      const withValues = elements.flatMap((e) => e.node.attributes.map((a) => a.value));
      if (withValues.length === 0 || node.attributes.length === 0) return 'none';
      const attribute = node.attributes[m.pick % node.attributes.length]!;
      attribute.value = withValues[m.target % withValues.length]!;
      return `copy value into @${attribute.qname}`;
    }
    case 'declare-namespace': {
      const prefix = `n${m.pick % 3}`;
      if (node.declarations.some((d) => d.prefix === prefix) || m.value === '') return 'none';
      node.declarations.push({ prefix, uri: m.value });
      return `declare xmlns:${prefix}="${m.value}"`;
    }
    default:
      throw new Error(`unknown mutation ${m.kind}`);
  }
}

export interface Verdicts {
  readonly libxml2: string[];
  readonly ours: string[];
}

export function verdicts(schema: string, text: string, document: XmlDocument): Verdicts {
  return {
    libxml2: SchemaValidator.load(schema).validate(text).map((issue) => issue.message),
    ours: CompiledSchema.load(schema).validate(document).map((issue) => issue.message),
  };
}

/** Asserts both validators accept `text` or both reject it (when our parser takes it at all). */
export function assertSameVerdict(schema: string, text: string, context = ''): boolean {
  let document: XmlDocument;
  try {
    document = parseXmlDocument(text);
  } catch {
    return false;
  }
  const { libxml2, ours } = verdicts(schema, text, document);
  assert.equal(
    ours.length === 0,
    libxml2.length === 0,
    `verdicts differ for ${schema}${context}\n${text}\nlibxml2: ${JSON.stringify(libxml2)}\nours: ${JSON.stringify(ours)}`,
  );
  return true;
}

function assertValidSeed(schema: string, seed: string): void {
  const { libxml2, ours } = verdicts(schema, seed, parseXmlDocument(seed));
  assert.deepEqual({ libxml2, ours }, { libxml2: [], ours: [] }, `the seed document must be valid against ${schema}`);
}

export interface DifferentialResult {
  readonly runs: number;
  readonly valid: number;
  readonly invalid: number;
  readonly unparsed: number;
}

/**
 * Runs `numRuns` random mutation sequences (1 to 3 mutations) of `seed`, a valid
 * document of `schema`, asserting the same verdict each time.
 */
export function runDifferential(schema: string, seed: string, numRuns: number, rngSeed = 4825): DifferentialResult {
  assertValidSeed(schema, seed);
  const root = toNode(parseXmlDocument(seed).root, seed);
  let valid = 0;
  let invalid = 0;
  let unparsed = 0;
  fc.assert(
    fc.property(fc.array(mutationArbitrary, { minLength: 1, maxLength: 3 }), (mutations) => {
      const copy = clone(root);
      const applied = mutations.map((m) => mutate(copy, m));
      const text = serialize(copy);
      const document = parsedOrNull(text);
      if (document === null) {
        unparsed += 1;
        return;
      }
      const { libxml2, ours } = verdicts(schema, text, document);
      if (ours.length === 0) valid += 1;
      else invalid += 1;
      assert.equal(
        ours.length === 0,
        libxml2.length === 0,
        `verdicts differ for ${schema} after ${applied.join('; ')}\n${text}\nlibxml2: ${JSON.stringify(libxml2)}\nours: ${JSON.stringify(ours)}`,
      );
    }),
    { numRuns, seed: rngSeed, endOnFailure: true },
  );
  return { runs: numRuns, valid, invalid, unparsed };
}

/** The positions among element children that lead from `root` to `target`. */
function pathOf(root: Node, target: Node): number[] | null {
  if (root === target) return [];
  const elements = root.children.filter(isNode);
  for (let i = 0; i < elements.length; i += 1) {
    const rest = pathOf(elements[i]!, target);
    if (rest !== null) return [i, ...rest];
  }
  return null;
}

function follow(root: XmlElement, path: readonly number[]): XmlElement {
  let element = root;
  for (const index of path) element = element.children.filter((c): c is XmlElement => c.kind === 'element')[index]!;
  return element;
}

/**
 * Incremental validation against full validation (and libxml2): an element of the
 * valid `seed` is edited in place, or a copy of it is inserted and edited, as an
 * element PUT does; validateElement() on it must give validate()'s verdict.
 */
export function runIncremental(schema: string, seed: string, numRuns: number, rngSeed = 4826): { valid: number; invalid: number } {
  assertValidSeed(schema, seed);
  const root = toNode(parseXmlDocument(seed).root, seed);
  const compiled = CompiledSchema.load(schema);
  let valid = 0;
  let invalid = 0;
  fc.assert(
    fc.property(
      fc.nat(),
      fc.boolean(),
      fc.array(mutationArbitrary, { maxLength: 3 }),
      fc.option(fc.tuple(fc.nat(), fc.constantFrom('id', 'xml:id')), { nil: null }),
      (target, insert, mutations, idCopy) => {
        const copy = clone(root);
        const candidates = elementsOf(copy).filter((e) => e.parent !== null);
        const { node, parent } = candidates[target % candidates.length]!;
        let edited = node;
        if (insert) {
          edited = clone(node);
          parent!.children.splice(parent!.children.indexOf(node) + 1, 0, edited);
        }
        const applied = mutations.map((m) => mutate(edited, m));
        if (idCopy !== null) {
          // An ID-like value from anywhere in the document, to provoke clashes with the rest of it.
          const values = elementsOf(copy).flatMap((e) => e.node.attributes.map((a) => a.value));
          const value = values[idCopy[0] % Math.max(values.length, 1)] ?? 'x';
          const attribute = edited.attributes.find((a) => a.qname === idCopy[1]);
          if (attribute !== undefined) attribute.value = value;
          else edited.attributes.push({ qname: idCopy[1], value });
          applied.push(`@${idCopy[1]}="${value}"`);
        }
        const text = serialize(copy);
        let document: XmlDocument;
        try {
          document = parseXmlDocument(text);
        } catch {
          return;
        }
        const element = follow(document.root, pathOf(copy, edited)!);
        const full = compiled.validate(document);
        const partial = compiled.validateElement(document, element);
        const libxml2 = SchemaValidator.load(schema).validate(text);
        const context = `${schema} after editing ${element.qname} (${applied.join('; ')})\n${text}\nfull: ${JSON.stringify(full)}\nincremental: ${JSON.stringify(partial)}\nlibxml2: ${JSON.stringify(libxml2)}`;
        assert.equal(partial.length === 0, full.length === 0, `incremental and full validation differ for ${context}`);
        assert.equal(full.length === 0, libxml2.length === 0, `full validation and libxml2 differ for ${context}`);
        if (full.length === 0) valid += 1;
        else invalid += 1;
      },
    ),
    { numRuns, seed: rngSeed, endOnFailure: true },
  );
  return { valid, invalid };
}

/** The seed with the prefixes attribute edits use (f:, xsi:, xs:) declared on its root, unless it binds them already. */
function withEditPrefixes(root: Node): Node {
  const copy = clone(root);
  for (const [prefix, uri] of [['f', FOREIGN], ['xsi', 'http://www.w3.org/2001/XMLSchema-instance'], ['xs', 'http://www.w3.org/2001/XMLSchema']] as const) {
    if (!elementsOf(copy).some((e) => e.node.declarations.some((d) => d.prefix === prefix))) copy.declarations.push({ prefix, uri });
  }
  return copy;
}

/**
 * A valid document to edit: `root` after `mutations` when the result is still
 * valid (for both validators), `root` itself otherwise, so that each run starts
 * from a different valid document where it can.
 */
function validStart(schema: string, root: Node, mutations: readonly Mutation[]): { node: Node; text: string; document: XmlDocument } {
  if (mutations.length > 0) {
    const copy = clone(root);
    for (const m of mutations) mutate(copy, m);
    const text = serialize(copy);
    try {
      const document = parseXmlDocument(text);
      const { libxml2, ours } = verdicts(schema, text, document);
      if (libxml2.length === 0 && ours.length === 0) return { node: copy, text, document };
    } catch {
      // Not well-formed: start from the seed.
    }
  }
  const text = serialize(root);
  return { node: clone(root), text, document: parseXmlDocument(text) };
}

export interface IncrementalResult {
  readonly valid: number;
  readonly invalid: number;
  /** Runs whose edit gave no document our parser takes. */
  readonly unparsed: number;
}

/** Asserts that an incremental verdict, full validation and libxml2 agree on an edited document. */
function assertAgreement(
  what: string,
  schema: string,
  text: string,
  full: readonly SchemaValidationIssue[],
  partial: ReadonlyArray<readonly SchemaValidationIssue[]>,
  libxml2: readonly { message: string }[],
): void {
  const context = `${schema} after ${what}\n${text}\nfull: ${JSON.stringify(full)}\nincremental: ${JSON.stringify(partial)}\nlibxml2: ${JSON.stringify(libxml2)}`;
  for (const issues of partial) assert.equal(issues.length === 0, full.length === 0, `incremental and full validation differ for ${context}`);
  assert.equal(full.length === 0, libxml2.length === 0, `full validation and libxml2 differ for ${context}`);
}

/**
 * Element DELETEs validated incrementally: an element of a valid document (the
 * seed, or the seed after random mutations that kept it valid) is removed, and
 * validateChildrenOf() on its parent must give validate()'s verdict, and libxml2's.
 */
export function runRemovals(schema: string, seed: string, numRuns: number, rngSeed = 4827): IncrementalResult {
  assertValidSeed(schema, seed);
  const root = toNode(parseXmlDocument(seed).root, seed);
  const compiled = CompiledSchema.load(schema);
  let valid = 0;
  let invalid = 0;
  let unparsed = 0;
  fc.assert(
    fc.property(fc.array(mutationArbitrary, { maxLength: 3 }), fc.nat(), (mutations, target) => {
      const start = validStart(schema, root, mutations);
      const candidates = elementsOf(start.node).filter((e) => e.parent !== null);
      if (candidates.length === 0) return;
      const { node, parent } = candidates[target % candidates.length]!;
      const parentPath = pathOf(start.node, parent!)!;
      parent!.children.splice(parent!.children.indexOf(node), 1);
      const text = serialize(start.node);
      const document = parsedOrNull(text);
      if (document === null) {
        unparsed += 1;
        return;
      }
      const full = compiled.validate(document);
      const partial = compiled.validateChildrenOf(document, follow(document.root, parentPath));
      const libxml2 = SchemaValidator.load(schema).validate(text);
      assertAgreement(`removing ${node.qname} from ${parent!.qname}`, schema, text, full, [partial], libxml2);
      if (full.length === 0) valid += 1;
      else invalid += 1;
    }),
    { numRuns, seed: rngSeed, endOnFailure: true },
  );
  return { valid, invalid, unparsed };
}

const attributeEditArbitrary = fc.record({
  kind: fc.constantFrom('drop', 'add', 'set', 'copy'),
  target: fc.nat(),
  pick: fc.nat(),
  value: fc.oneof(fc.constantFrom(...INTERESTING_VALUES, ...VOCABULARY.values), fc.string({ maxLength: 6 })),
  name: fc.constantFrom(...VOCABULARY.names, 'foo', 'lang', 'id', 'space', 'base', 'mustUnderstand', 'type', 'nil', 'schemaLocation'),
});

/**
 * Attribute PUTs and DELETEs validated incrementally: one attribute of an element
 * of a valid document is removed, added or set (to a value of the document's, to
 * provoke ID clashes, or to one chosen to sit on a type's boundaries), and
 * validateAttributesOf() on the element, with the attribute's name and without,
 * must give validate()'s verdict, and libxml2's.
 */
export function runAttributeEdits(schema: string, seed: string, numRuns: number, rngSeed = 4828): IncrementalResult {
  assertValidSeed(schema, seed);
  const root = withEditPrefixes(toNode(parseXmlDocument(seed).root, seed));
  const compiled = CompiledSchema.load(schema);
  let valid = 0;
  let invalid = 0;
  let unparsed = 0;
  fc.assert(
    fc.property(fc.array(mutationArbitrary, { maxLength: 3 }), attributeEditArbitrary, (mutations, edit) => {
      const start = validStart(schema, root, mutations);
      const all = elementsOf(start.node);
      const { node } = all[edit.target % all.length]!;
      const path = pathOf(start.node, node)!;
      let qname: string;
      switch (edit.kind) {
        case 'drop': {
          if (node.attributes.length === 0) return;
          qname = node.attributes.splice(edit.pick % node.attributes.length, 1)[0]!.qname;
          break;
        }
        case 'add': {
          const flavours = [edit.name, `xml:${edit.name}`, `f:${edit.name}`, `xsi:${edit.name}`];
          qname = flavours[edit.pick % flavours.length]!;
          const existing = node.attributes.find((a) => a.qname === qname);
          if (existing !== undefined) existing.value = edit.value;
          else node.attributes.push({ qname, value: edit.value });
          break;
        }
        case 'set': {
          if (node.attributes.length === 0) return;
          const attribute = node.attributes[edit.pick % node.attributes.length]!;
          attribute.value = edit.value;
          qname = attribute.qname;
          break;
        }
        default: {
          const values = all.flatMap((e) => e.node.attributes.map((a) => a.value));
          if (node.attributes.length === 0 || values.length === 0) return;
          const attribute = node.attributes[edit.pick % node.attributes.length]!;
          attribute.value = values[edit.target % values.length]!;
          qname = attribute.qname;
        }
      }
      const text = serialize(start.node);
      const document = parsedOrNull(text);
      if (document === null) {
        unparsed += 1;
        return;
      }
      // The changed attribute's name, from whichever document has it.
      const changed = [follow(document.root, path), follow(start.document.root, path)]
        .flatMap((e) => e.attributes)
        .find((a) => a.qname === qname)!;
      const element = follow(document.root, path);
      const full = compiled.validate(document);
      const named = compiled.validateAttributesOf(document, element, { namespace: changed.namespace, localName: changed.localName });
      const unnamed = compiled.validateAttributesOf(document, element);
      const libxml2 = SchemaValidator.load(schema).validate(text);
      assertAgreement(`${edit.kind} @${qname} of ${node.qname}`, schema, text, full, [named, unnamed], libxml2);
      if (full.length === 0) valid += 1;
      else invalid += 1;
    }),
    { numRuns, seed: rngSeed, endOnFailure: true },
  );
  return { valid, invalid, unparsed };
}

/** The parsed mutated text, or null when the mutation made it ill-formed (counted, not validated). */
function parsedOrNull(text: string): XmlDocument | null {
  try {
    return parseXmlDocument(text);
  } catch {
    return null;
  }
}
