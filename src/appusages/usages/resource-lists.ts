/**
 * resource-lists (RFC 4826 §3): lists of URIs, the buddy lists of SIP clients.
 */
import { XcapConflictError } from '../../xcap/errors.js';
import type { XmlElement } from '../../xcap/xml/tree.js';
import { attributeValue, childElements, constraintFailure, requireUniqueAttribute, selectorOf } from '../constraints.js';
import type { AppUsage, ChangedPart } from '../types.js';

export const RESOURCE_LISTS_NAMESPACE = 'urn:ietf:params:xml:ns:resource-lists';

/**
 * The constraints of RFC 4826 §3.4.5 on one `<list>` (or `<resource-lists>`) and
 * every list below it: list names, entry URIs, entry-ref refs and external anchors
 * unique among their siblings; entry-ref a relative reference, external an absolute
 * HTTP URI.
 */
export function checkListConstraints(list: XmlElement, defaultNamespace: string): void {
  const ns = RESOURCE_LISTS_NAMESPACE;
  for (const [localName, rule] of UNIQUE_AMONG_SIBLINGS) {
    requireUniqueAttribute(list, ns, localName, rule.attribute, { defaultNamespace, suggest: rule.suggest, what: rule.what });
  }
  for (const ref of childElements(list, ns, 'entry-ref')) checkReferenceForm(ref, list, defaultNamespace);
  for (const external of childElements(list, ns, 'external')) checkReferenceForm(external, list, defaultNamespace);
  for (const child of childElements(list, ns, 'list')) checkListConstraints(child, defaultNamespace);
}

/** Which attribute each kind of child must keep unique among its siblings of that kind. */
const UNIQUE_AMONG_SIBLINGS: ReadonlyMap<string, { attribute: string; what: string; suggest: boolean }> = new Map([
  ['list', { attribute: 'name', what: 'list name', suggest: true }],
  ['entry', { attribute: 'uri', what: 'entry uri', suggest: false }],
  ['entry-ref', { attribute: 'ref', what: 'entry-ref ref', suggest: false }],
  ['external', { attribute: 'anchor', what: 'external anchor', suggest: false }],
]);

/** entry-ref must name a relative path, external an absolute HTTP URI. */
function checkReferenceForm(element: XmlElement, list: XmlElement, defaultNamespace: string): void {
  if (element.localName === 'entry-ref') {
    const value = attributeValue(element, 'ref') ?? '';
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) || value.startsWith('/')) {
      throw constraintFailure(
        `entry-ref ref="${value}" in ${selectorOf(list, defaultNamespace)} must be a relative path below the XCAP root (RFC 4826 §3.4.5)`,
      );
    }
  } else if (element.localName === 'external') {
    const value = attributeValue(element, 'anchor') ?? '';
    if (!isAbsoluteHttpUri(value)) {
      throw constraintFailure(
        `external anchor="${value}" in ${selectorOf(list, defaultNamespace)} must be an absolute HTTP URI (RFC 4826 §3.4.5)`,
      );
    }
  }
}

/**
 * The constraints a node write can have broken, in a document that met them before:
 * those of the element it put (or whose attribute it changed) — its key among its
 * siblings, its own form, and everything below it — in one pass over the siblings
 * instead of every list of the document. Removing an element breaks none of them.
 * Returns false when the change is one this cannot judge alone (the root).
 */
function checkChangedPart(changed: ChangedPart): boolean {
  if (changed.kind === 'children') return true;
  const element = changed.element;
  const parent = element.parent;
  if (parent === null) return false;
  if (element.namespace !== RESOURCE_LISTS_NAMESPACE || parent.namespace !== RESOURCE_LISTS_NAMESPACE) return true;
  const rule = UNIQUE_AMONG_SIBLINGS.get(element.localName);
  if (rule === undefined) return true;
  const ns = RESOURCE_LISTS_NAMESPACE;
  const value = attributeValue(element, rule.attribute);
  if (value !== undefined) {
    for (const sibling of parent.children) {
      if (sibling === element || sibling.kind !== 'element' || sibling.localName !== element.localName || sibling.namespace !== ns) continue;
      if (attributeValue(sibling, rule.attribute) === value) {
        // The full check reports the duplicate with its field and alternatives, exactly as for a whole document.
        requireUniqueAttribute(parent, ns, element.localName, rule.attribute, { defaultNamespace: ns, suggest: rule.suggest, what: rule.what });
      }
    }
  }
  checkReferenceForm(element, parent, ns);
  if (element.localName === 'entry' && attributeValue(element, 'uri') === undefined) requireEntryUris(parent);
  if (element.localName === 'list') {
    requireEntryUris(element);
    checkListConstraints(element, ns);
  }
  return true;
}

/**
 * RFC 4826's schema requires `<entry uri>`; the shared schema file does not (see
 * resource-lists.xsd), so the resource-lists usage checks it here, as the schema would.
 */
function requireEntryUris(element: XmlElement): void {
  for (const child of element.children) {
    if (child.kind !== 'element' || child.namespace !== RESOURCE_LISTS_NAMESPACE) continue;
    if (child.localName === 'entry' && attributeValue(child, 'uri') === undefined) {
      throw new XcapConflictError(
        'schema-validation-error',
        `Element '{${RESOURCE_LISTS_NAMESPACE}}entry' in ${selectorOf(child, RESOURCE_LISTS_NAMESPACE)}: The attribute 'uri' is required but missing.`,
      );
    }
    if (child.localName === 'list') requireEntryUris(child);
  }
}

export function isAbsoluteHttpUri(value: string): boolean {
  try {
    const url = new URL(value);
    return (url.protocol === 'http:' || url.protocol === 'https:') && url.host !== '';
  } catch {
    return false;
  }
}

export const resourceLists: AppUsage = {
  auid: 'resource-lists',
  mimeType: 'application/resource-lists+xml',
  defaultNamespace: RESOURCE_LISTS_NAMESPACE,
  namespaces: [RESOURCE_LISTS_NAMESPACE],
  schema: 'resource-lists.xsd',
  defaultDocumentName: 'index',
  trees: ['users', 'global'],
  checkConstraints(document, _key, changed) {
    if (changed !== undefined && checkChangedPart(changed)) return [];
    requireEntryUris(document.root);
    checkListConstraints(document.root, RESOURCE_LISTS_NAMESPACE);
    return [];
  },
};
