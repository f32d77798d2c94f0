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

  test('node writes that break RFC 4826 constraints get the same refusal as the whole document would', async () => {
    const base = (entries: string) =>
      `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends">${entries}</list><list name="work"/></resource-lists>`;
    const start = '<entry uri="sip:a@example.com"/><entry uri="sip:b@example.com"/>';
    const cases: { name: string; method: string; path: string; type?: string; body?: string; whole: string }[] = [
      {
        name: 'an inserted entry repeating a sibling uri',
        method: 'PUT',
        path: `${LIST}/entry%5B3%5D`,
        type: 'application/xcap-el+xml',
        body: '<entry uri="sip:a@example.com"/>',
        whole: base(`${start}<entry uri="sip:a@example.com"/>`),
      },
      {
        name: 'an attribute PUT making two entry uris equal',
        method: 'PUT',
        path: `${LIST}/entry%5B2%5D/@uri`,
        type: 'application/xcap-att+xml',
        body: '"sip:a@example.com"',
        whole: base('<entry uri="sip:a@example.com"/><entry uri="sip:a@example.com"/>'),
      },
      {
        name: 'a list name used twice',
        method: 'PUT',
        path: `${DOC}/~~/resource-lists/list%5B2%5D/@name`,
        type: 'application/xcap-att+xml',
        body: '"friends"',
        whole: base(start).replace('<list name="work"/>', '<list name="friends"/>'),
      },
      {
        name: 'a nested list holding two equal entries',
        method: 'PUT',
        path: `${LIST}/list%5B@name=%22inner%22%5D`,
        type: 'application/xcap-el+xml',
        body: '<list name="inner"><entry uri="sip:x@example.com"/><entry uri="sip:x@example.com"/></list>',
        whole: base(`${start}<list name="inner"><entry uri="sip:x@example.com"/><entry uri="sip:x@example.com"/></list>`),
      },
      {
        name: 'an absolute entry-ref',
        method: 'PUT',
        path: `${LIST}/entry-ref%5B1%5D`,
        type: 'application/xcap-el+xml',
        body: '<entry-ref ref="http://example.com/x"/>',
        whole: base(`${start}<entry-ref ref="http://example.com/x"/>`),
      },
      {
        name: 'an entry without uri',
        method: 'DELETE',
        path: `${LIST}/entry%5B1%5D/@uri`,
        whole: base('<entry/><entry uri="sip:b@example.com"/>'),
      },
    ];
    for (const c of cases) {
      const put = await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, base(start));
      assert.ok(put.status === 200 || put.status === 201, put.body);
      const node = await send(c.method, c.path, c.type ? { 'Content-Type': c.type } : {}, c.body);
      assert.equal(node.status, 409, `${c.name}: ${node.body}`);
      assert.equal((await send('GET', DOC)).headers.etag, put.headers.etag, `${c.name}: nothing changed`);
      const whole = await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, c.whole);
      assert.equal(whole.status, 409, c.name);
      assert.equal(node.body, whole.body, `${c.name}: the same error as for the whole document`);
    }
    // And what is allowed stays allowed: a new unique entry, a rename, a delete.
    await send('PUT', DOC, { 'Content-Type': 'application/resource-lists+xml' }, base(start));
    assert.equal((await send('PUT', `${LIST}/entry%5B3%5D`, { 'Content-Type': 'application/xcap-el+xml' }, '<entry uri="sip:c@example.com"/>')).status, 201);
    assert.equal((await send('PUT', `${LIST}/entry%5B3%5D/@uri`, { 'Content-Type': 'application/xcap-att+xml' }, '"sip:d@example.com"')).status, 200);
    assert.equal((await send('DELETE', `${LIST}/entry%5B@uri=%22sip:a@example.com%22%5D`)).status, 200);
  });
});
