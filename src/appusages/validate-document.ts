/**
 * The checks every document written through XCAP passes (RFC 4825 §8.2.5): its
 * application usage's schema, then the usage's own constraints.
 */
import type { DocumentKey, UniqueClaim } from '../storage/types.js';
import { XcapConflictError } from '../xcap/errors.js';
import type { XmlDocument, XmlElement } from '../xcap/xml/tree.js';
import type { AppUsage } from './types.js';
import { CompiledSchema, type AttributeName, type SchemaValidationIssue } from './xsd/index.js';

/**
 * What a write changed in a document that was valid before it, so that only that
 * part is validated again (the schema engine falls back to the whole document where
 * the part alone cannot decide): the element a PUT inserted or replaced, the parent
 * an element was deleted from, or the element whose attribute was set or removed.
 */
export type ChangedPart =
  | { readonly kind: 'element'; readonly element: XmlElement }
  | { readonly kind: 'children'; readonly parent: XmlElement }
  | { readonly kind: 'attribute'; readonly element: XmlElement; readonly attribute: AttributeName };

/** How many schema problems one error phrase names; the rest are counted. */
const ISSUES_IN_PHRASE = 5;

export function schemaIssues(schemaFile: string, document: XmlDocument, changed?: ChangedPart): SchemaValidationIssue[] {
  const schema = CompiledSchema.load(schemaFile);
  switch (changed?.kind) {
    case undefined:
      return schema.validate(document);
    case 'element':
      return schema.validateElement(document, changed.element);
    case 'children':
      return schema.validateChildrenOf(document, changed.parent);
    case 'attribute':
      return schema.validateAttributesOf(document, changed.element, changed.attribute);
  }
}

export function describeIssues(issues: readonly SchemaValidationIssue[]): string {
  const shown = issues.slice(0, ISSUES_IN_PHRASE).map((i) => i.message);
  if (issues.length > ISSUES_IN_PHRASE) shown.push(`and ${issues.length - ISSUES_IN_PHRASE} more`);
  return shown.join('; ');
}

/**
 * Throws the xcap-error conflict for the first failing check; returns the server-wide
 * claims. `changed`: what a write changed in a document that was valid before it.
 */
export function validateDocument(usage: AppUsage, document: XmlDocument, key: DocumentKey, changed?: ChangedPart): readonly UniqueClaim[] {
  if (usage.schema !== null) {
    const issues = schemaIssues(usage.schema, document, changed);
    if (issues.length > 0) throw new XcapConflictError('schema-validation-error', describeIssues(issues));
  }
  return usage.checkConstraints?.(document, key) ?? [];
}
