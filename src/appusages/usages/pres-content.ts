/**
 * org.openmobilealliance.pres-content (OMA Presence Content XDM): content a
 * presentity shows its watchers, such as a status icon, kept base64-encoded.
 * Watchers fetch another user's icon, so any authenticated user may read it.
 */
import type { AppUsage } from '../types.js';

export const PRES_CONTENT_NAMESPACE = 'urn:oma:xml:prs:pres-content';

export const presContent: AppUsage = {
  auid: 'org.openmobilealliance.pres-content',
  mimeType: 'application/vnd.oma.pres-content+xml',
  defaultNamespace: PRES_CONTENT_NAMESPACE,
  namespaces: [PRES_CONTENT_NAMESPACE],
  schema: 'pres-content.xsd',
  defaultDocumentName: 'oma_status-icon/index',
  trees: ['users'],
  authorize(requester, _key, access) {
    if (access === 'read' && requester.userId !== null) return true;
    return undefined;
  },
};
