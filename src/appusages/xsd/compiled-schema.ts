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
import {
  ValidationRun,
  validateChildren,
  validateStartTag,
  validateSubtree,
  type AttributeName,
  type SchemaValidationIssue,
} from './validator.js';
import type { XmlDocument, XmlElement } from '../../xcap/xml/tree.js';

export type { AttributeName, SchemaValidationIssue } from './validator.js';
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

  /**
   * Validates `parent`, an element of `document`, after one of its children was
   * removed: its sequence of children against its content model (a missing
   * required element, say) and its character data, which the removal may have
   * joined. Meant for an element DELETE: when the document was valid before the
   * removal, the result is the verdict validate(document) would give, at the cost
   * of one pass over the parent's children, which are matched but not entered.
   * Where that equivalence cannot be established cheaply (a content model that
   * validates one element name differently at different places, a path that does
   * not validate), it falls back to validate(document).
   */
  validateChildrenOf(document: XmlDocument, parent: XmlElement): SchemaValidationIssue[] {
    return validateChildren(this.model, document, parent) ?? this.validate(document);
  }

  /**
   * Validates the attributes of `element`, an element of `document`, after
   * `changed`, one of them, was set or removed: the attributes against the
   * element's type (required ones, allowed ones, their values) and the IDs they
   * hold against the rest of the document. Meant for an attribute PUT or DELETE:
   * when the document was valid before, the result is the verdict validate(document)
   * would give, at the cost of the element's start tag (and, when it holds an ID,
   * a look at every attribute of the document that may hold one).
   *
   * A change of xsi:type or xsi:nil, which changes how the element and its content
   * are validated, falls back to validate(document). Without `changed`, an
   * element with xsi:type or xsi:nil falls back to validate(document) and any other
   * is validated with its whole subtree as validateElement() does, since an
   * xsi:type may have been removed: pass the name.
   */
  validateAttributesOf(document: XmlDocument, element: XmlElement, changed?: AttributeName): SchemaValidationIssue[] {
    return validateStartTag(this.model, document, element, changed) ?? this.validate(document);
  }
}

