/**
 * resource-lists (RFC 4826 §3): lists of URIs, the buddy lists of SIP clients.
 */
import { XcapConflictError } from '../../xcap/errors.js';
import type { XmlElement } from '../../xcap/xml/tree.js';
import { attributeValue, childElements, constraintFailure, requireUniqueAttribute, selectorOf } from '../constraints.js';
import type { AppUsage } from '../types.js';

export const RESOURCE_LISTS_NAMESPACE = 'urn:ietf:params:xml:ns:resource-lists';

/**
 * The constraints of RFC 4826 §3.4.5 on one `<list>` (or `<resource-lists>`) and
 * every list below it: list names, entry URIs, entry-ref refs and external anchors
 * unique among their siblings; entry-ref a relative reference, external an absolute
 * HTTP URI.
 */
export function checkListConstraints(list: XmlElement, defaultNamespace: string): void {
  const ns = RESOURCE_LISTS_NAMESPACE;
  const options = (what: string, suggest: boolean) => ({ defaultNamespace, suggest, what });
  requireUniqueAttribute(list, ns, 'list', 'name', options('list name', true));
  requireUniqueAttribute(list, ns, 'entry', 'uri', options('entry uri', false));
  requireUniqueAttribute(list, ns, 'entry-ref', 'ref', options('entry-ref ref', false));
  requireUniqueAttribute(list, ns, 'external', 'anchor', options('external anchor', false));
  for (const ref of childElements(list, ns, 'entry-ref')) {
    const value = attributeValue(ref, 'ref') ?? '';
    if (/^[A-Za-z][A-Za-z0-9+.-]*:/.test(value) || value.startsWith('/')) {
      throw constraintFailure(
        `entry-ref ref="${value}" in ${selectorOf(list, defaultNamespace)} must be a relative path below the XCAP root (RFC 4826 §3.4.5)`,
      );
    }
  }
  for (const external of childElements(list, ns, 'external')) {
    const value = attributeValue(external, 'anchor') ?? '';
    if (!isAbsoluteHttpUri(value)) {
      throw constraintFailure(
        `external anchor="${value}" in ${selectorOf(list, defaultNamespace)} must be an absolute HTTP URI (RFC 4826 §3.4.5)`,
      );
    }
  }
  for (const child of childElements(list, ns, 'list')) checkListConstraints(child, defaultNamespace);
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
  checkConstraints(document) {
    requireEntryUris(document.root);
    checkListConstraints(document.root, RESOURCE_LISTS_NAMESPACE);
    return [];
  },
};
