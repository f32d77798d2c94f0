/**
 * The checks every document written through XCAP passes (RFC 4825 §8.2.5): its
 * application usage's schema, then the usage's own constraints.
 */
import type { DocumentKey, UniqueClaim } from '../storage/types.js';
import { XcapConflictError } from '../xcap/errors.js';
import type { XmlDocument } from '../xcap/xml/tree.js';
import type { AppUsage, ChangedPart } from './types.js';

export type { ChangedPart } from './types.js';
import { CompiledSchema, type SchemaValidationIssue } from './xsd/index.js';

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
  return usage.checkConstraints?.(document, key, changed) ?? [];
}
