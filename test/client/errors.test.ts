import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { attributeBody, attributeValueOf } from '../../src/client/att-value.js';
import { parseXcapCaps, parseXcapDirectory } from '../../src/client/capabilities.js';
import { ConflictError, ServerError, HttpError, errorForResponse, parseXcapErrorBody } from '../../src/client/errors.js';

const context = { method: 'PUT', url: 'http://x/xcap-root/a/users/sip:a@b/index' };

describe('xcap-error bodies', () => {
  test('uniqueness-failure with several fields and alternative values (RFC 4825 §11 example)', () => {
    const detail = parseXcapErrorBody(`<?xml version="1.0" encoding="UTF-8"?>
   <xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error">
    <uniqueness-failure phrase="taken">
     <exists field="rls-services/service/@uri">
       <alt-value>sip:mybuddies@example.com</alt-value>
       <alt-value>sip:mybuddies2@example.com</alt-value>
     </exists>
     <exists field="rls-services/service[2]/@uri"/>
    </uniqueness-failure>
   </xcap-error>`);
    assert.deepEqual(detail, {
      kind: 'uniqueness-failure',
      phrase: 'taken',
      ancestor: null,
      exists: [
        { field: 'rls-services/service/@uri', altValues: ['sip:mybuddies@example.com', 'sip:mybuddies2@example.com'] },
        { field: 'rls-services/service[2]/@uri', altValues: [] },
      ],
    });
  });

  test('no-parent with its ancestor; prefixed error documents; extensions', () => {
    assert.deepEqual(parseXcapErrorBody('<e:xcap-error xmlns:e="urn:ietf:params:xml:ns:xcap-error"><e:no-parent><e:ancestor> http://x/r/~~/a </e:ancestor></e:no-parent></e:xcap-error>'), {
      kind: 'no-parent',
      phrase: null,
      ancestor: 'http://x/r/~~/a',
      exists: [],
    });
    assert.equal(parseXcapErrorBody('<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"><extension><mine xmlns="urn:x"/></extension></xcap-error>')?.kind, 'extension');
  });

  test('anything else is no detail, and the 409 still becomes a ConflictError', () => {
    assert.equal(parseXcapErrorBody('conflict'), null);
    assert.equal(parseXcapErrorBody('<other xmlns="urn:x"/>'), null);
    assert.equal(parseXcapErrorBody('<xcap-error xmlns="urn:ietf:params:xml:ns:xcap-error"/>'), null);
    const e = errorForResponse({ ...context, status: 409, statusText: 'Conflict', body: 'nope' });
    assert.ok(e instanceof ConflictError);
    assert.equal(e.detail, null);
    assert.match(e.message, /^409 Conflict: the server refused the change \(no xcap-error detail\) \(PUT http:/);
  });

  test('status classes', () => {
    assert.ok(errorForResponse({ ...context, status: 503, statusText: 'Service Unavailable' }) instanceof ServerError);
    const e = errorForResponse({ ...context, status: 429, statusText: 'Too Many Requests', body: 'too many failed authentication attempts\n' });
    assert.ok(e instanceof HttpError);
    assert.equal(e.reason, 'too many failed authentication attempts');
  });
});

describe('attribute bodies', () => {
  test('quoted AttValues are unquoted and unescaped; bare values (OpenXCAP) are taken as they are', () => {
    assert.equal(attributeValueOf('"sip:bob@example.com"'), 'sip:bob@example.com');
    assert.equal(attributeValueOf("'a &amp; &quot;b&quot;'"), 'a & "b"');
    assert.equal(attributeValueOf('friends'), 'friends');
    assert.equal(attributeValueOf('"'), '"');
    assert.equal(attributeBody('a & "b"'), '"a &amp; &quot;b&quot;"');
    assert.equal(attributeBody('a & "b"', 'bare'), 'a & "b"');
    assert.equal(attributeValueOf(attributeBody('tab\there <x>')), 'tab\there <x>');
  });
});

describe('xcap-caps and xcap-directory', () => {
  test('Kamailio-style xcap-caps with an empty extensions list', () => {
    const caps = parseXcapCaps(`<?xml version='1.0' encoding='UTF-8'?> <xcap-caps xmlns='urn:ietf:params:xml:ns:xcap-caps'> <auids> <auid>rls-services</auid> <auid>xcap-caps</auid> </auids> <extensions> </extensions> <namespaces> <namespace>urn:ietf:params:xml:ns:rls-services</namespace> </namespaces> </xcap-caps>`);
    assert.deepEqual(caps, { auids: ['rls-services', 'xcap-caps'], extensions: [], namespaces: ['urn:ietf:params:xml:ns:rls-services'] });
    assert.throws(() => parseXcapCaps('<x/>'), /expected <xcap-caps/);
  });

  test('directory folders with entries or an error code', () => {
    const folders = parseXcapDirectory(`<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory">
  <folder auid="resource-lists"><entry uri="http://x/resource-lists/users/sip:a@b/index" etag="e1" last-modified="2024-01-01T00:00:00Z" size="512"/></folder>
  <folder auid="rls-services"><error-code>500</error-code></folder>
</xcap-directory>`);
    assert.equal(folders.length, 2);
    assert.deepEqual(folders[0]!.entries[0], { uri: 'http://x/resource-lists/users/sip:a@b/index', etag: 'e1', lastModified: new Date('2024-01-01T00:00:00Z'), size: 512 });
    assert.equal(folders[1]!.errorCode, '500');
  });
});
