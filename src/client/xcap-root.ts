/**
 * The XCAP root (RFC 4825 §6.1) a client is configured with, split into what a
 * request needs: where to connect and the path prefix of every request target. The
 * path is kept exactly as written (no WHATWG re-encoding), minus a trailing '/'.
 */
export interface XcapRoot {
  readonly protocol: 'http:' | 'https:';
  /** Host name or IP address, without IPv6 brackets. */
  readonly hostname: string;
  readonly port: number;
  /** `/xcap-root`, or '' when the root is the server root. */
  readonly path: string;
  /** `https://xcap.example.com:8443` (brackets kept for IPv6). */
  readonly origin: string;
  /** origin + path. */
  readonly url: string;
}

export class XcapRootError extends Error {
  override readonly name = 'XcapRootError';
}

const ROOT = /^(https?):\/\/([^/?#]+)([^?#]*)$/i;

export function parseXcapRoot(root: string): XcapRoot {
  const text = root.trim();
  const m = ROOT.exec(text);
  if (!m) {
    throw new XcapRootError(`the XCAP root must be an http:// or https:// URL without query, like https://xcap.example.com/xcap-root (got ${JSON.stringify(root)})`);
  }
  const protocol = `${m[1]!.toLowerCase()}:` as 'http:' | 'https:';
  const authority = m[2]!;
  if (authority.includes('@')) {
    throw new XcapRootError('the XCAP root may not hold credentials (user:password@); give the user and password separately');
  }
  let parsed: URL;
  try {
    parsed = new URL(`${protocol}//${authority}/`);
  } catch {
    throw new XcapRootError(`the XCAP root has an invalid host: ${JSON.stringify(authority)}`);
  }
  const port = parsed.port === '' ? (protocol === 'https:' ? 443 : 80) : Number(parsed.port);
  const hostname = parsed.hostname.replace(/^\[(.*)\]$/, '$1');
  let path = m[3] ?? '';
  while (path.endsWith('/')) path = path.slice(0, -1);
  const origin = `${protocol}//${parsed.host}`;
  return { protocol, hostname, port, path, origin, url: origin + path };
}
