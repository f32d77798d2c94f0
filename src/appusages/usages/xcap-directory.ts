/**
 * org.openmobilealliance.xcap-directory (OMA XDM): the list of a user's documents,
 * one folder per application usage, computed from storage. Read-only,
 * `users/<xui>/directory.xml`.
 */
import { buildXcapPath } from '../../xcap/uri.js';
import { escapeAttribute } from '../../xcap/xml/escape.js';
import type { AppUsage } from '../types.js';

export const XCAP_DIRECTORY_NAMESPACE = 'urn:oma:xml:xdm:xcap-directory';
export const XCAP_DIRECTORY_DOCUMENT = 'directory.xml';

export const xcapDirectory: AppUsage = {
  auid: 'org.openmobilealliance.xcap-directory',
  mimeType: 'application/vnd.oma.xcap-directory+xml',
  defaultNamespace: XCAP_DIRECTORY_NAMESPACE,
  namespaces: [XCAP_DIRECTORY_NAMESPACE],
  schema: 'xcap-directory.xsd',
  defaultDocumentName: XCAP_DIRECTORY_DOCUMENT,
  trees: ['users'],
  isGenerated: (key) => key.tree === 'users' && key.path === XCAP_DIRECTORY_DOCUMENT,
  async generate(key, { storage, registry, rootUri }) {
    if (key.tree !== 'users' || key.path !== XCAP_DIRECTORY_DOCUMENT) return null;
    const documents = await storage.listDocuments({ tree: 'users', owner: key.owner });
    const folders: string[] = [];
    for (const usage of registry.list()) {
      if (usage.auid === this.auid || usage.auid === 'xcap-caps') continue;
      const entries = documents
        .filter((d) => d.key.auid === usage.auid)
        .map((d) => {
          const uri = `${rootUri}/${buildXcapPath({ document: { auid: d.key.auid, tree: 'users', xui: d.key.owner, path: d.key.path } })}`;
          return (
            `    <entry uri="${escapeAttribute(uri, '"')}" etag="${escapeAttribute(d.etag, '"')}"` +
            ` last-modified="${new Date(d.updatedAt).toISOString()}" size="${d.size}"/>\n`
          );
        });
      folders.push(
        entries.length === 0
          ? `  <folder auid="${escapeAttribute(usage.auid, '"')}"/>\n`
          : `  <folder auid="${escapeAttribute(usage.auid, '"')}">\n${entries.join('')}  </folder>\n`,
      );
    }
    return (
      '<?xml version="1.0" encoding="UTF-8"?>\n' +
      `<xcap-directory xmlns="${XCAP_DIRECTORY_NAMESPACE}">\n${folders.join('')}</xcap-directory>\n`
    );
  },
};
