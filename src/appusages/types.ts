/**
 * An application usage (RFC 4825 §5): everything xcapd knows about one AUID. Adding
 * one is adding a file that exports one of these and a line in the registry.
 */
import type { XmlDocument, XmlElement } from '../xcap/xml/tree.js';
import type { DocumentKey, Storage, UniqueClaim } from '../storage/types.js';

export type Tree = 'users' | 'global';

/** Who is asking, as the authorization policy sees it. */
export interface Requester {
  /** The normalized user id (`alice@example.com`), null when unauthenticated (auth mode none). */
  readonly userId: string | null;
  readonly admin: boolean;
}

export type Access = 'read' | 'write';

/** Whatever a generated document needs to be computed. */
export interface GenerationContext {
  readonly storage: Storage;
  readonly registry: { list(): readonly AppUsage[] };
  /** The absolute XCAP root URI as the client reached it, e.g. `https://xcap.example.com/xcap-root`. */
  readonly rootUri: string;
}

/**
 * What a write changed in a document that was valid before it: the element a PUT
 * inserted or replaced, the parent an element was deleted from, or the element whose
 * attribute was set or removed.
 */
export type ChangedPart =
  | { readonly kind: 'element'; readonly element: XmlElement }
  | { readonly kind: 'children'; readonly parent: XmlElement }
  | { readonly kind: 'attribute'; readonly element: XmlElement; readonly attribute: { readonly namespace: string | null; readonly localName: string } };

export interface AppUsage {
  readonly auid: string;
  readonly mimeType: string;
  /** The namespace unprefixed element names in node selectors are resolved in (RFC 4825 §5.2). */
  readonly defaultNamespace: string;
  /** Every namespace the usage's documents use, reported in xcap-caps. */
  readonly namespaces: readonly string[];
  /** The schema file below src/schemas/, or null when documents are not schema-checked. */
  readonly schema: string | null;
  /** The document name clients conventionally use (RFC 4825 §5.5), for clients and docs. */
  readonly defaultDocumentName: string;
  /** Which trees documents may live in. */
  readonly trees: readonly Tree[];
  /**
   * The only document names the usage allows, when it restricts them (pidf-manipulation
   * keeps one `index` per user, RFC 4827 §9); a PUT of another name is a constraint-failure.
   */
  readonly documentNames?: readonly string[];
  /**
   * The semantic constraints beyond the schema (RFC 4825 §5.4), run on a document that
   * is well-formed and schema-valid. Throws XcapConflictError (uniqueness-failure,
   * constraint-failure); returns the server-wide unique values the document claims
   * (all of them, whatever `changed` says). `changed`, when given, is what a node
   * write changed in a version that met the constraints: a usage may check just that.
   */
  checkConstraints?(document: XmlDocument, key: DocumentKey, changed?: ChangedPart): readonly UniqueClaim[];
  /**
   * A uniqueness-failure for a claim another document already holds, so the client
   * gets `<exists field>` with alternatives.
   */
  describeClaimConflict?(claim: UniqueClaim): { field: string; altValues: string[] };
  /**
   * Documents the server computes rather than stores (xcap-caps, xcap-directory, the
   * rls-services global index). Returns null when `key` is not such a document; then
   * it is an ordinary stored document.
   */
  generate?(key: DocumentKey, context: GenerationContext): Promise<string | null> | string | null;
  /** Whether `key` names a generated document (writes to it are refused with 405). */
  isGenerated?(key: DocumentKey): boolean;
  /**
   * Widens the default policy (RFC 4825 §5.7: owners read and write their users tree,
   * everyone reads global, administrators write it). Returns true to allow, false to
   * deny, undefined to keep the default.
   */
  authorize?(requester: Requester, key: DocumentKey, access: Access): boolean | undefined;
}
