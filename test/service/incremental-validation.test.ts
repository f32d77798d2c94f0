/**
 * Node writes are schema-checked where they change the document (the inserted
 * element, the parent of a deleted one, the element of a changed attribute): each
 * kind must still refuse what would make the document invalid, and change nothing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { rawRequest, startTestServer, type TestServer } from '../helpers/xcapd.js';

const DOC = '/xcap-root/resource-lists/users/sip:alice@example.com/index';
const LIST = `${DOC}/~~/resource-lists/list%5B@name=%22friends%22%5D`;
const RULES = '/xcap-root/pres-rules/users/sip:alice@example.com/index';
const CP = 'urn:ietf:params:xml:ns:common-policy';

describe('schema checks of node writes', () => {
  let server: TestServer;
  before(async () => {
    server = await startTestServer({ auth: 'none' });
  });
  after(() => server.stop());

  const send = (method: string, path: string, headers: Record<string, string> = {}, body?: string) =>
    rawRequest(server.origin, { method, path, headers, ...(body === undefined ? {} : { body }) });

  test('element PUT, attribute PUT and attribute DELETE that break the schema are refused', async () => {
    const list = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends"><entry uri="sip:bob@example.com"/></list></resource-lists>';
    assert.equal((await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, list)).status, 201);
    const before = await send('GET', DOC);

    const noUri = await send('PUT', `${LIST}/entry%5B2%5D`, { 'Content-Type': 'application/xcap-el+xml' }, '<entry><display-name>x</display-name></entry>');
    assert.equal(noUri.status, 409);
    assert.match(noUri.body, /<schema-validation-error/);
    const badChild = await send('PUT', `${LIST}/entry%5B1%5D`, { 'Content-Type': 'application/xcap-el+xml' }, '<entry uri="sip:bob@example.com"><unknown/></entry>');
    assert.equal(badChild.status, 409);
    assert.match(badChild.body, /<schema-validation-error/);
    const unknownAttribute = await send('PUT', `${LIST}/entry%5B1%5D/@colour`, { 'Content-Type': 'application/xcap-att+xml' }, '"red"');
    assert.equal(unknownAttribute.status, 409);
    assert.match(unknownAttribute.body, /<schema-validation-error/);
    const requiredAttribute = await send('DELETE', `${LIST}/entry%5B1%5D/@uri`);
    assert.equal(requiredAttribute.status, 409);
    assert.match(requiredAttribute.body, /<schema-validation-error/);

    const after = await send('GET', DOC);
    assert.equal(after.headers.etag, before.headers.etag);
    assert.equal(after.body, before.body);
  });

  test('an element DELETE that leaves a required child missing is refused', async () => {
    // common-policy: a <conditions> holding <identity> needs at least one <one> or <many> in it.
    const rules = `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="urn:ietf:params:xml:ns:pres-rules" xmlns:cr="${CP}">
  <cr:rule id="a"><cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions><cr:actions><sub-handling>allow</sub-handling></cr:actions></cr:rule>
</cr:ruleset>`;
    const put = await send('PUT', RULES, { 'Content-Type': 'application/auth-policy+xml' }, rules);
    assert.equal(put.status, 201, put.body);
    const path = `${RULES}/~~/cr:ruleset/cr:rule%5B@id=%22a%22%5D/cr:conditions/cr:identity/cr:one?xmlns(cr=${CP})`;
    const refused = await send('DELETE', path);
    assert.equal(refused.status, 409, refused.body);
    assert.match(refused.body, /<schema-validation-error/);
    assert.equal((await send('GET', RULES)).headers.etag, put.headers.etag);
  });
});
