/**
 * pidf-manipulation (RFC 4827): presence a user publishes by writing a PIDF
 * document instead of sending PUBLISH.
 */
import type { AppUsage } from '../types.js';

export const PIDF_NAMESPACE = 'urn:ietf:params:xml:ns:pidf';

export const pidfManipulation: AppUsage = {
  auid: 'pidf-manipulation',
  mimeType: 'application/pidf+xml',
  defaultNamespace: PIDF_NAMESPACE,
  namespaces: [PIDF_NAMESPACE, 'urn:ietf:params:xml:ns:pidf:data-model', 'urn:ietf:params:xml:ns:pidf:rpid'],
  schema: 'pidf.xsd',
  defaultDocumentName: 'index',
  trees: ['users'],
  documentNames: ['index'],
};
