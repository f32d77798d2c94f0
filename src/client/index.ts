/** The XCAP client library: `import { XcapClient, selector } from 'xcapd/client'`. */
export {
  XcapClient,
  CLIENT_USER_AGENT,
  type XcapClientOptions,
  type OperationOptions,
  type GetOptions,
  type PutDocumentOptions,
  type ResponseInfo,
  type FetchedResource,
  type NotModifiedResource,
  type GetResult,
  type AttributeResult,
  type NamespaceBindingsResult,
  type WriteResult,
  type CapabilitiesResult,
  type DirectoryResult,
} from './client.js';
export { ApplicationTable, BUILT_IN_APPLICATIONS, knownAuids, type ApplicationInfo, type ApplicationDefinition } from './applications.js';
export { attributeBody, attributeValueOf, type AttributeStyle } from './att-value.js';
export type { AuthMode } from './auth.js';
export { parseXcapCaps, parseXcapDirectory, type XcapCapabilities, type DirectoryFolder, type DirectoryEntry } from './capabilities.js';
export {
  XcapClientError,
  NotModifiedError,
  BadRequestError,
  UnauthorizedError,
  ForbiddenError,
  NotFoundError,
  MethodNotAllowedError,
  ConflictError,
  PreconditionFailedError,
  UnsupportedMediaTypeError,
  ServerError,
  HttpError,
  NetworkError,
  TimeoutError,
  AlreadyExistsError,
  UsageError,
  ProtocolError,
  ClientConfigError,
  parseXcapErrorBody,
  type ConflictDetail,
  type ConflictExists,
} from './errors.js';
export { EtagCache, type CachedResource } from './etag-cache.js';
export { NodeSelectorBuilder, selector, resolveSelector, SelectorError, type SelectorInput, type SelectorKind, type StepPredicate, type ResolvedSelector } from './selector-builder.js';
export { childSelectors } from './selector-paths.js';
export type { HttpExchange, HttpRequest, HttpResponse, TlsOptions } from './transport.js';
export { parseXcapRoot, type XcapRoot } from './xcap-root.js';
