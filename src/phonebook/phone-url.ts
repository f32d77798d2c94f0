/**
 * The URL a Snom phone builds for its directory, turned into the XCAP URI of the
 * same document. The phone knows no XCAP root: it asks for
 *
 *   http(s)://<xcap_server_name>[:<xcap_server_port>]/[<xcap_directory_auid>/]users/<sip:user@registrar>/<xcap_dir_doc_name>
 *
 * where the AUID setting may be empty, or hold a path with slashes of its own
 * (`/snom/` makes `//snom//users/...`). Whatever stands before `users` is the
 * phone's setting and is ignored; the request is answered from the configured
 * AUID under the XCAP root. A request target that already is an XCAP URI (under
 * the root, naming a registered AUID) is never rewritten, and below the XCAP root
 * only `<root>/users/...` (the phone's AUID setting being the root's name) is.
 */

export interface PhoneUrlOptions {
  /** The path below which phone URLs are recognised: '' or '/' for the whole server, e.g. '/phones'. */
  readonly phonePath: string;
  /** The AUID phone requests are answered from. */
  readonly auid: string;
  /** The normalized XCAP root path ('' for the server root). */
  readonly rootPath: string;
  readonly isRegisteredAuid: (auid: string) => boolean;
}

function decoded(segment: string): string {
  try {
    return decodeURIComponent(segment);
  } catch {
    return segment;
  }
}

/** Whether a request target is an XCAP URI as it stands. */
function isXcapTarget(path: string, options: PhoneUrlOptions): boolean {
  const root = options.rootPath;
  if (root !== '' && path !== root && !path.startsWith(`${root}/`)) return false;
  const first = path.slice(root.length + 1).split('/', 1)[0] ?? '';
  return first !== '' && options.isRegisteredAuid(decoded(first));
}

/** The XCAP request target for a phone's request target, or null when it is not one. */
export function rewritePhoneTarget(target: string, options: PhoneUrlOptions): string | null {
  const q = target.indexOf('?');
  const path = q < 0 ? target : target.slice(0, q);
  const query = q < 0 ? '' : target.slice(q);
  if (isXcapTarget(path, options)) return null;
  const base = options.phonePath.replace(/\/+$/, '');
  if (!path.startsWith(`${base}/`)) return null;
  const segments = path.slice(base.length + 1).split('/');
  // The phone's AUID setting: any number of segments (empty ones too) before the first "users".
  const users = segments.indexOf('users');
  if (users < 0) return null;
  const prefix = segments.slice(0, users);
  if (prefix.some((s) => s === '~~' || /^%7e%7e$/i.test(s))) return null;
  // Below a real XCAP root an unknown AUID stays a 404 (a typo must not serve the phone
  // book); only the AUID-less `<root>/users/...` is a phone's.
  const root = options.rootPath;
  if (root !== '' && (path === root || path.startsWith(`${root}/`)) && base.length < root.length) {
    const underRoot = path.slice(root.length + 1).split('/');
    if (underRoot.indexOf('users') !== underRoot.findIndex((s) => s !== '')) return null;
  }
  const rest = segments.slice(users + 1);
  if (rest.length < 2 || rest[0] === '' || rest.slice(1).every((s) => s === '')) return null;
  return `${options.rootPath}/${encodeURIComponent(options.auid)}/users/${rest.join('/')}${query}`;
}
