/**
 * The public face of the XSD validator: a schema compiled once from its .xsd files,
 * validating documents already parsed by our own parser.
 *
 * It gives the same verdicts as the libxml2-based SchemaValidator (checked by the
 * differential tests in test/appusages/xsd/), without serializing and re-parsing
 * the document: a 2 KB resource-lists document validates in microseconds.
 */
import { loadSchemaSet, schemaName } from './schema-loader.js';
import { SchemaCompiler } from './compiler.js';
import type { SchemaModel } from './model.js';
import { ValidationRun, validateSubtree, type SchemaValidationIssue } from './validator.js';
import type { XmlDocument, XmlElement } from '../../xcap/xml/tree.js';

export type { SchemaValidationIssue } from './validator.js';
export { XsdSchemaError } from './schema-loader.js';

const compiled = new Map<string, CompiledSchema>();

export class CompiledSchema {
  private constructor(private readonly model: SchemaModel) {}

  /**
   * The compiled schema of `schemaFile`, a path relative to the schema directory
   * (e.g. 'resource-lists.xsd'), with everything it imports; compiled once and
   * cached for the life of the process. Throws XsdSchemaError for a schema using an
   * XSD feature this validator does not support ("unsupported XSD feature X in
   * file:line"), and for names outside the schema directory.
   */
  static load(schemaFile: string): CompiledSchema {
    const name = schemaName(schemaFile);
    let schema = compiled.get(name);
    if (schema === undefined) {
      schema = new CompiledSchema(new SchemaCompiler(loadSchemaSet(name)).compile());
      compiled.set(name, schema);
    }
    return schema;
  }

  /** The schema file this was compiled from, relative to the schema directory. */
  get file(): string {
    return this.model.file;
  }

  /** The reasons `document` is not valid against this schema; empty when it is valid. */
  validate(document: XmlDocument): SchemaValidationIssue[] {
    const run = new ValidationRun(this.model);
    run.validateRoot(document.root);
    return run.failed ? run.issues(document.source) : [];
  }

  /**
   * Validates `element`, an element of `document`, in its context: its parent's
   * sequence of children and the element's whole subtree, and the IDs it holds
   * against the rest of the document. Meant for an element PUT: when the document
   * was valid before the element was inserted or replaced, the result is the
   * verdict validate(document) would give, at the cost of the parent's children
   * and the new subtree only. Where that equivalence cannot be established cheaply
   * (an ID that may clash, a content model that validates one element name
   * differently at different places, a path that does not validate), it falls back
   * to validate(document).
   */
  validateElement(document: XmlDocument, element: XmlElement): SchemaValidationIssue[] {
    return validateSubtree(this.model, document, element) ?? this.validate(document);
  }
}

