/**
 * What the client knows about application usages without asking the server: the
 * MIME type a whole-document PUT must carry, the default document namespace that
 * unprefixed node-selector steps resolve to, the conventional document name, and the
 * root element that lets the CLI guess the AUID from a selector or an input file.
 *
 * The table covers the IETF and OMA usages xcapd serves, the OpenXCAP private ones
 * python-xcaplib knows, and 3GPP/ETSI simservs (Android's Ut client).
 */
import type { Tree } from '../xcap/uri.js';

export interface ApplicationInfo {
  readonly auid: string;
  readonly mimeType: string;
  /** The default document namespace (RFC 4825 §5.2); null when unknown. */
  readonly namespace: string | null;
  /** The document name used when a call names none. */
  readonly defaultDocument: string;
  /** The tree used when a call names none. */
  readonly defaultTree: Tree;
  /** Local name of the document's root element, for guessing the AUID. */
  readonly rootElement: string | null;
  /** Namespace of the root element when it differs from `namespace`. */
  readonly rootNamespace?: string;
}

/** What a caller may give for its own AUIDs; the rest is filled in. */
export interface ApplicationDefinition {
  readonly mimeType: string;
  readonly namespace?: string | null;
  readonly defaultDocument?: string;
  readonly defaultTree?: Tree;
  readonly rootElement?: string | null;
  readonly rootNamespace?: string;
}

const COMMON_POLICY = 'urn:ietf:params:xml:ns:common-policy';
const PRES_CONTENT = 'urn:oma:xml:prs:pres-content';

function app(auid: string, mimeType: string, namespace: string | null, rootElement: string | null, extra: Partial<ApplicationInfo> = {}): ApplicationInfo {
  return { auid, mimeType, namespace, defaultDocument: 'index', defaultTree: 'users', rootElement, ...extra };
}

/** In guessing order: the first usage whose root element matches wins. */
export const BUILT_IN_APPLICATIONS: readonly ApplicationInfo[] = [
  app('resource-lists', 'application/resource-lists+xml', 'urn:ietf:params:xml:ns:resource-lists', 'resource-lists'),
  app('rls-services', 'application/rls-services+xml', 'urn:ietf:params:xml:ns:rls-services', 'rls-services'),
  // RFC 5025 §9.2: the default namespace is pres-rules, while the root <ruleset> is common-policy.
  app('pres-rules', 'application/auth-policy+xml', 'urn:ietf:params:xml:ns:pres-rules', 'ruleset', { rootNamespace: COMMON_POLICY }),
  app('org.openmobilealliance.pres-rules', 'application/auth-policy+xml', COMMON_POLICY, 'ruleset', { defaultDocument: 'pres-rules' }),
  app('pidf-manipulation', 'application/pidf+xml', 'urn:ietf:params:xml:ns:pidf', 'presence'),
  app('xcap-caps', 'application/xcap-caps+xml', 'urn:ietf:params:xml:ns:xcap-caps', 'xcap-caps', { defaultTree: 'global' }),
  app('org.openmobilealliance.xcap-directory', 'application/vnd.oma.xcap-directory+xml', 'urn:oma:xml:xdm:xcap-directory', 'xcap-directory', {
    defaultDocument: 'directory.xml',
  }),
  app('org.openmobilealliance.pres-content', 'application/vnd.oma.pres-content+xml', PRES_CONTENT, 'content', {
    defaultDocument: 'oma_status-icon/index',
  }),
  app('org.openxcap.watchers', 'application/xml', 'http://openxcap.org/ns/watchers', 'watchers'),
  app('org.openxcap.dialog-rules', 'application/auth-policy+xml', 'http://openxcap.org/ns/dialog-rules', 'dialog-rules'),
  app('dialog-rules', 'application/auth-policy+xml', 'urn:ietf:params:xml:ns:dialog-rules', null),
  app('oma_status-icon', 'application/vnd.oma.pres-content+xml', PRES_CONTENT, null),
  app('test-app', 'application/test-app+xml', 'test-app', null),
  app('simservs.ngn.etsi.org', 'application/vnd.etsi.simservs+xml', 'http://uri.etsi.org/ngn/params/xml/simservs/xcap', 'simservs', {
    defaultDocument: 'simservs.xml',
  }),
];

/** The AUIDs the client knows, for help texts and shell completion. */
export function knownAuids(custom: Readonly<Record<string, ApplicationDefinition>> = {}): string[] {
  return [...new Set([...BUILT_IN_APPLICATIONS.map((a) => a.auid), ...Object.keys(custom)])];
}

export class ApplicationTable {
  readonly #byAuid = new Map<string, ApplicationInfo>();

  constructor(custom: Readonly<Record<string, ApplicationDefinition>> = {}) {
    for (const a of BUILT_IN_APPLICATIONS) this.#byAuid.set(a.auid, a);
    for (const [auid, d] of Object.entries(custom)) {
      const base = this.#byAuid.get(auid);
      const rootNamespace = d.rootNamespace ?? base?.rootNamespace;
      this.#byAuid.set(auid, {
        auid,
        mimeType: d.mimeType,
        namespace: d.namespace ?? base?.namespace ?? null,
        defaultDocument: d.defaultDocument ?? base?.defaultDocument ?? 'index',
        defaultTree: d.defaultTree ?? base?.defaultTree ?? 'users',
        rootElement: d.rootElement ?? base?.rootElement ?? null,
        ...(rootNamespace === undefined ? {} : { rootNamespace }),
      });
    }
  }

  get(auid: string): ApplicationInfo | undefined {
    return this.#byAuid.get(auid);
  }

  /**
   * The usage an unknown AUID is treated as: `application/xml` and no default
   * namespace (selectors then resolve against the fetched document's root namespace).
   */
  resolve(auid: string): ApplicationInfo {
    return this.#byAuid.get(auid) ?? app(auid, 'application/xml', null, null);
  }

  list(): ApplicationInfo[] {
    return [...this.#byAuid.values()];
  }

  /**
   * The AUID a document or selector belongs to, from its root element: the local name
   * alone (a selector's first step), or with the namespace (an input document), which
   * tells `pres-rules` from the OpenXCAP dialog rules.
   */
  guessByRoot(localName: string, namespace?: string | null): ApplicationInfo | undefined {
    const candidates = this.list().filter((a) => a.rootElement === localName);
    if (namespace === undefined || namespace === null) return candidates[0];
    return candidates.find((a) => (a.rootNamespace ?? a.namespace) === namespace) ?? candidates[0];
  }
}
