/**
 * rls-services (RFC 4826 §4): the resource list server's services. Service URIs are
 * unique across the whole server, and the server keeps `global/index`, the union of
 * every user's services, up to date by computing it when asked.
 */
import { detachElement } from '../../xcap/detach.js';
import { parseXmlDocument } from '../../xcap/xml/parser.js';
import type { UniqueClaim } from '../../storage/types.js';
import { attributeValue, childElements, constraintFailure, requireUniqueAttribute } from '../constraints.js';
import type { AppUsage } from '../types.js';
import { checkListConstraints, isAbsoluteHttpUri, RESOURCE_LISTS_NAMESPACE } from './resource-lists.js';

export const RLS_SERVICES_NAMESPACE = 'urn:ietf:params:xml:ns:rls-services';
const SERVICE_URI_SCOPE = 'rls-services:service-uri';

export const rlsServices: AppUsage = {
  auid: 'rls-services',
  mimeType: 'application/rls-services+xml',
  defaultNamespace: RLS_SERVICES_NAMESPACE,
  namespaces: [RLS_SERVICES_NAMESPACE],
  schema: 'rls-services.xsd',
  defaultDocumentName: 'index',
  trees: ['users', 'global'],

  checkConstraints(document) {
    const ns = RLS_SERVICES_NAMESPACE;
    requireUniqueAttribute(document.root, ns, 'service', 'uri', {
      defaultNamespace: ns,
      suggest: false,
      what: 'service uri',
    });
    const claims: UniqueClaim[] = [];
    for (const service of childElements(document.root, ns, 'service')) {
      const uri = attributeValue(service, 'uri');
      if (uri !== undefined) claims.push({ scope: SERVICE_URI_SCOPE, value: uri });
      for (const list of childElements(service, ns, 'list')) checkListConstraints(list, ns);
      for (const ref of childElements(service, ns, 'resource-list')) {
        const text = ref.children.map((c) => (c.kind === 'text' || c.kind === 'cdata' ? c.value : '')).join('').trim();
        if (!isAbsoluteHttpUri(text)) {
          throw constraintFailure(`<resource-list> must hold an absolute HTTP URI of a list, not "${text}" (RFC 4826 §4.4.3)`);
        }
      }
    }
    return claims;
  },

  describeClaimConflict(claim) {
    return { field: 'rls-services/service/@uri', altValues: suggestServiceUris(claim.value) };
  },

  // RFC 4826 §4.4.9: the global index holds everyone's services, so only trusted
  // identities (administrators, e.g. the resource list server's account) may read it.
  authorize(_requester, key, access) {
    return key.tree === 'global' && key.path === 'index' && access === 'read' ? false : undefined;
  },

  isGenerated(key) {
    return key.tree === 'global' && key.path === 'index';
  },

  async generate(key, { storage }) {
    if (!(key.tree === 'global' && key.path === 'index')) return null;
    const services: string[] = [];
    for (const summary of await storage.listDocuments({ auid: 'rls-services', tree: 'users' })) {
      if (summary.key.path !== 'index') continue;
      const stored = await storage.getDocument(summary.key);
      if (!stored) continue;
      const document = parseXmlDocument(stored.content);
      for (const service of childElements(document.root, RLS_SERVICES_NAMESPACE, 'service')) {
        services.push(`  ${detachElement(document.source, service)}\n`);
      }
    }
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<rls-services xmlns="${RLS_SERVICES_NAMESPACE}" xmlns:rl="${RESOURCE_LISTS_NAMESPACE}">\n` +
      services.join('') +
      '</rls-services>\n'
    );
  },
};

/** sip:friends@example.com → sip:friends-2@example.com, …: alternatives a client may take instead. */
function suggestServiceUris(uri: string): string[] {
  const at = uri.lastIndexOf('@');
  const colon = uri.indexOf(':');
  if (at < 0 || colon < 0 || colon > at) return [];
  const user = uri.slice(colon + 1, at);
  const stamp = Date.now().toString(36).slice(-4);
  return [`${uri.slice(0, colon + 1)}${user}-${stamp}${uri.slice(at)}`];
}
