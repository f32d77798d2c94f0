/**
 * xcap-caps (RFC 4825 §12): what this server supports, computed from the registered
 * application usages. One read-only instance, `global/index`.
 */
import { escapeText } from '../../xcap/xml/escape.js';
import type { AppUsage } from '../types.js';

export const XCAP_CAPS_NAMESPACE = 'urn:ietf:params:xml:ns:xcap-caps';

export const xcapCaps: AppUsage = {
  auid: 'xcap-caps',
  mimeType: 'application/xcap-caps+xml',
  defaultNamespace: XCAP_CAPS_NAMESPACE,
  namespaces: [XCAP_CAPS_NAMESPACE],
  schema: 'xcap-caps.xsd',
  defaultDocumentName: 'index',
  trees: ['global'],
  isGenerated: () => true,
  generate(key, { registry }) {
    if (key.tree !== 'global' || key.path !== 'index') return null;
    const usages = registry.list();
    const namespaces = [...new Set(usages.flatMap((u) => u.namespaces))];
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<xcap-caps xmlns="${XCAP_CAPS_NAMESPACE}">\n` +
      '  <auids>\n' +
      usages.map((u) => `    <auid>${escapeText(u.auid)}</auid>\n`).join('') +
      '  </auids>\n' +
      '  <extensions/>\n' +
      '  <namespaces>\n' +
      namespaces.map((n) => `    <namespace>${escapeText(n)}</namespace>\n`).join('') +
      '  </namespaces>\n' +
      '</xcap-caps>\n'
    );
  },
};
