/** XCAP requests as the HTTP layer hands them to the service, for tests that drive XcapService directly. */
import type { Requester } from '../../src/appusages/types.js';
import type { XcapMethod, XcapRequest } from '../../src/service/xcap-service.js';
import { parseXcapPath } from '../../src/xcap/uri.js';

export const ALICE: Requester = { userId: 'alice@example.com', admin: false };

/** `path` is relative to the XCAP root, e.g. `resource-lists/users/sip:alice@example.com/index`. */
export function serviceRequest(method: XcapMethod, path: string, body?: string, contentType?: string, requester: Requester = ALICE): XcapRequest {
  return {
    method,
    uri: parseXcapPath(path),
    requester,
    ...(body === undefined ? {} : { body: new TextEncoder().encode(body) }),
    contentType: contentType ?? null,
    rootUri: 'http://xcap.example.com/xcap-root',
  };
}
