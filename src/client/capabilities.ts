/**
 * Reading what a server says about itself (xcap-caps, RFC 4825 §12) and about the
 * user's documents (OMA xcap-directory). Elements are matched by local name within
 * the expected namespace; unknown children are ignored, so extended documents read.
 */
import { parseXmlDocument } from '../xcap/xml/parser.js';
import type { XmlElement } from '../xcap/xml/tree.js';
import { childElements, textOf } from './xml-read.js';

export const XCAP_CAPS_NAMESPACE = 'urn:ietf:params:xml:ns:xcap-caps';
export const XCAP_DIRECTORY_NAMESPACE = 'urn:oma:xml:xdm:xcap-directory';

export interface XcapCapabilities {
  readonly auids: readonly string[];
  readonly extensions: readonly string[];
  readonly namespaces: readonly string[];
}

export interface DirectoryEntry {
  /** The document's absolute HTTP URI. */
  readonly uri: string;
  readonly etag: string;
  readonly lastModified: Date | null;
  readonly size: number | null;
}

export interface DirectoryFolder {
  readonly auid: string;
  readonly entries: readonly DirectoryEntry[];
  /** Set when the server could not list this folder. */
  readonly errorCode: string | null;
}

export class CapabilitiesFormatError extends Error {
  override readonly name = 'CapabilitiesFormatError';
}

function root(body: string, localName: string, namespace: string): XmlElement {
  let element: XmlElement;
  try {
    element = parseXmlDocument(body).root;
  } catch (e) {
    throw new CapabilitiesFormatError(`the ${localName} document is not well-formed XML: ${(e as Error).message}`);
  }
  if (element.localName !== localName || element.namespace !== namespace) {
    throw new CapabilitiesFormatError(`expected <${localName} xmlns="${namespace}">, got <${element.qname}> in ${element.namespace ?? 'no namespace'}`);
  }
  return element;
}

function children(element: XmlElement, localName: string): XmlElement[] {
  return childElements(element).filter((c) => c.localName === localName && c.namespace === element.namespace);
}

function listOf(element: XmlElement, container: string, item: string): string[] {
  return children(element, container).flatMap((c) => children(c, item).map((i) => textOf(i).trim()));
}

export function parseXcapCaps(body: string): XcapCapabilities {
  const caps = root(body, 'xcap-caps', XCAP_CAPS_NAMESPACE);
  return {
    auids: listOf(caps, 'auids', 'auid'),
    extensions: listOf(caps, 'extensions', 'extension'),
    namespaces: listOf(caps, 'namespaces', 'namespace'),
  };
}

export function parseXcapDirectory(body: string): DirectoryFolder[] {
  const directory = root(body, 'xcap-directory', XCAP_DIRECTORY_NAMESPACE);
  return children(directory, 'folder').map((folder) => {
    const attr = (e: XmlElement, name: string) => e.attributes.find((a) => a.localName === name && a.namespace === null)?.value;
    const entries = children(folder, 'entry').map((entry): DirectoryEntry => {
      const modified = attr(entry, 'last-modified');
      const size = attr(entry, 'size');
      const date = modified === undefined ? null : new Date(modified);
      return {
        uri: attr(entry, 'uri') ?? '',
        etag: attr(entry, 'etag') ?? '',
        lastModified: date !== null && !Number.isNaN(date.getTime()) ? date : null,
        size: size !== undefined && /^\d+$/.test(size) ? Number(size) : null,
      };
    });
    const error = children(folder, 'error-code')[0];
    return { auid: attr(folder, 'auid') ?? '', entries, errorCode: error ? textOf(error).trim() : null };
  });
}
