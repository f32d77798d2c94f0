/**
 * Reads schema documents with our own XML parser and follows their imports.
 *
 * Schemas live in `../../schemas/` next to this module: `src/schemas` when running
 * from the TypeScript sources, `dist/schemas` once built (the directory the
 * libxml2-based validator reads too). An `xs:import` names its file by a
 * `schemaLocation` relative to the importing schema, which must stay inside that
 * directory; nothing is fetched from anywhere else.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseXmlDocument } from '../../xcap/xml/parser.js';
import type { XmlElement } from '../../xcap/xml/tree.js';
import { XSD_NAMESPACE } from './simple-types.js';

export const SCHEMA_DIRECTORY = fileURLToPath(new URL('../../schemas/', import.meta.url));

/** A schema that cannot be loaded: unreadable, malformed, or using an XSD feature we do not support. */
export class XsdSchemaError extends Error {
  override readonly name = 'XsdSchemaError';
}

export interface SchemaDocument {
  /** The file's path relative to the schema directory, for messages. */
  readonly file: string;
  readonly source: string;
  /** The xs:schema element. */
  readonly root: XmlElement;
  readonly targetNamespace: string | null;
  readonly elementFormQualified: boolean;
  readonly attributeFormQualified: boolean;
}

/** 1-based line of `offset` in `source`. */
export function lineAt(source: string, offset: number): number {
  let line = 1;
  for (let i = source.indexOf('\n'); i >= 0 && i < offset; i = source.indexOf('\n', i + 1)) line += 1;
  return line;
}

export function where(document: SchemaDocument, node: XmlElement): string {
  return `${document.file}:${lineAt(document.source, node.start)}`;
}

export function unsupported(document: SchemaDocument, node: XmlElement, feature: string): never {
  throw new XsdSchemaError(`unsupported XSD feature ${feature} in ${where(document, node)}`);
}

export function invalid(document: SchemaDocument, node: XmlElement, problem: string): never {
  throw new XsdSchemaError(`invalid schema: ${problem} in ${where(document, node)}`);
}

/** Normalizes a schema name as the libxml2-based validator does; throws for names outside the directory. */
export function schemaName(schemaFile: string): string {
  const name = path.posix.normalize(schemaFile.replaceAll('\\', '/'));
  if (path.isAbsolute(name) || name.startsWith('..') || !name.endsWith('.xsd')) {
    throw new Error(`Not a schema file of ${SCHEMA_DIRECTORY}: ${schemaFile}`);
  }
  return name;
}

export function isXsd(node: XmlElement, localName: string): boolean {
  return node.namespace === XSD_NAMESPACE && node.localName === localName;
}

/** The element children of `node` in the XSD namespace, skipping annotations; anything else is refused. */
export function xsdChildren(document: SchemaDocument, node: XmlElement): XmlElement[] {
  const children: XmlElement[] = [];
  for (const child of node.children) {
    if (child.kind === 'text' || child.kind === 'cdata') {
      if (child.value.trim() !== '') invalid(document, node, `text content in xs:${node.localName}`);
      continue;
    }
    if (child.kind !== 'element') continue;
    if (child.namespace !== XSD_NAMESPACE) invalid(document, child, `element ${child.qname} in a schema`);
    if (child.localName === 'annotation') continue;
    children.push(child);
  }
  return children;
}

function readSchema(name: string): SchemaDocument {
  return parseSchemaDocument(name, readFileSync(path.join(SCHEMA_DIRECTORY, name), 'utf8'));
}

/** Parses the text of schema document `name` (imports are not followed). */
export function parseSchemaDocument(name: string, source: string): SchemaDocument {
  let root: XmlElement;
  try {
    root = parseXmlDocument(source).root;
  } catch (error) {
    throw new XsdSchemaError(`${name} is not well-formed XML: ${(error as Error).message}`);
  }
  const document = (partial: Partial<SchemaDocument>): SchemaDocument => ({
    file: name,
    source,
    root,
    targetNamespace: null,
    elementFormQualified: false,
    attributeFormQualified: false,
    ...partial,
  });
  if (!isXsd(root, 'schema')) throw new XsdSchemaError(`${name} is not an XML schema (its root is ${root.qname})`);
  const attribute = (local: string): string | null =>
    root.attributes.find((a) => a.namespace === null && a.localName === local)?.value ?? null;
  const form = (local: string): boolean => {
    const value = attribute(local);
    if (value !== null && value !== 'qualified' && value !== 'unqualified') {
      invalid(document({}), root, `${local}="${value}"`);
    }
    return value === 'qualified';
  };
  for (const a of root.attributes) {
    if (a.namespace !== null) continue;
    if (!['targetNamespace', 'elementFormDefault', 'attributeFormDefault', 'version', 'id'].includes(a.localName)) {
      unsupported(document({}), root, `xs:schema/@${a.localName}`);
    }
  }
  return document({
    targetNamespace: attribute('targetNamespace'),
    elementFormQualified: form('elementFormDefault'),
    attributeFormQualified: form('attributeFormDefault'),
  });
}

/**
 * The schema `entry` (a name relative to the schema directory) and every schema it
 * imports, directly or not; the entry comes first.
 */
export function loadSchemaSet(entry: string): SchemaDocument[] {
  const documents = new Map<string, SchemaDocument>();
  const byNamespace = new Map<string | null, string>();
  const visit = (name: string): SchemaDocument => {
    const known = documents.get(name);
    if (known !== undefined) return known;
    const document = readSchema(name);
    documents.set(name, document);
    const owner = byNamespace.get(document.targetNamespace);
    if (owner !== undefined) {
      unsupported(document, document.root, `a second schema document for namespace ${document.targetNamespace ?? '(none)'} (first: ${owner})`);
    }
    byNamespace.set(document.targetNamespace, name);
    for (const child of xsdChildren(document, document.root)) {
      if (child.localName === 'include' || child.localName === 'redefine' || child.localName === 'override') {
        unsupported(document, child, `xs:${child.localName}`);
      }
      if (child.localName !== 'import') continue;
      let namespace: string | null = null;
      let location: string | null = null;
      for (const a of child.attributes) {
        if (a.namespace !== null) continue;
        if (a.localName === 'namespace') namespace = a.value;
        else if (a.localName === 'schemaLocation') location = a.value;
        else if (a.localName !== 'id') unsupported(document, child, `xs:import/@${a.localName}`);
      }
      if (location === null) unsupported(document, child, 'xs:import without schemaLocation');
      const target = path.posix.normalize(path.posix.join(path.posix.dirname(name), location));
      if (target.startsWith('..') || path.posix.isAbsolute(location) || !target.endsWith('.xsd') || location.includes(':')) {
        invalid(document, child, `schemaLocation "${location}" is not a schema file of the schema directory`);
      }
      const imported = visit(target);
      if (imported.targetNamespace !== namespace) {
        invalid(document, child, `${target} has target namespace ${imported.targetNamespace ?? '(none)'}, not ${namespace ?? '(none)'}`);
      }
      if (namespace === document.targetNamespace) invalid(document, child, 'a schema cannot import its own namespace');
    }
    return document;
  };
  visit(entry);
  return [...documents.values()];
}
