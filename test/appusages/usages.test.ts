import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { basic, rawRequest, startTestServer, type RawRequest, type TestServer } from '../helpers/xcapd.js';

const CP = 'urn:ietf:params:xml:ns:common-policy';
const PR = 'urn:ietf:params:xml:ns:pres-rules';
const RULES = `<?xml version="1.0" encoding="UTF-8"?>
<cr:ruleset xmlns="${PR}" xmlns:cr="${CP}">
  <cr:rule id="allow-bob">
    <cr:conditions><cr:identity><cr:one id="sip:bob@example.com"/></cr:identity></cr:conditions>
    <cr:actions><sub-handling>allow</sub-handling></cr:actions>
    <cr:transformations/>
  </cr:rule>
</cr:ruleset>
`;
const PIDF = `<?xml version="1.0" encoding="UTF-8"?>
<presence xmlns="urn:ietf:params:xml:ns:pidf" entity="sip:alice@example.com">
  <tuple id="t1"><status><basic>open</basic></status></tuple>
</presence>
`;

describe('application usages over HTTP', () => {
  let server: TestServer;
  const alice = basic('alice@example.com', 'alice-secret');
  const bob = basic('bob@example.com', 'bob-secret');
  const admin = basic('admin@example.com', 'admin-secret');
  const req = (r: RawRequest, auth = alice) => rawRequest(server.origin, { ...r, headers: { Authorization: auth, ...(r.headers ?? {}) } });
  before(async () => {
    server = await startTestServer({ auth: 'basic' });
  });
  after(async () => server.stop());

  test('pres-rules: the default namespace is pres-rules, so the common-policy root needs a prefix', async () => {
    const doc = '/xcap-root/pres-rules/users/sip:alice@example.com/index';
    assert.equal((await req({ method: 'PUT', path: doc, body: RULES, headers: { 'Content-Type': 'application/auth-policy+xml' } })).status, 201);
    const prefixed = await req({ path: `${doc}/~~/cr:ruleset/cr:rule[@id="allow-bob"]/cr:actions/sub-handling?xmlns(cr=${CP})` });
    assert.equal(prefixed.status, 200);
    assert.equal(prefixed.body, '<sub-handling>allow</sub-handling>');
    assert.equal((await req({ path: `${doc}/~~/ruleset` })).status, 404, 'unprefixed ruleset is {pres-rules}ruleset');
    const block = await req({
      method: 'PUT',
      path: `${doc}/~~/cr:ruleset/cr:rule[@id="allow-bob"]/cr:actions/sub-handling?xmlns(cr=${CP})`,
      body: '<sub-handling>block</sub-handling>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(block.status, 200);
    const invalid = await req({
      method: 'PUT',
      path: `${doc}/~~/cr:ruleset/cr:rule[@id="allow-bob"]/cr:actions/sub-handling?xmlns(cr=${CP})`,
      body: '<sub-handling>maybe</sub-handling>',
      headers: { 'Content-Type': 'application/xcap-el+xml' },
    });
    assert.equal(invalid.status, 409);
    assert.match(invalid.body, /<schema-validation-error/);
  });

  test('org.openmobilealliance.pres-rules: common policy is the default namespace', async () => {
    const doc = '/xcap-root/org.openmobilealliance.pres-rules/users/sip:alice@example.com/pres-rules';
    const body = RULES.replace(`xmlns="${PR}" xmlns:cr="${CP}"`, `xmlns="${PR}" xmlns:cr="${CP}"`);
    assert.equal((await req({ method: 'PUT', path: doc, body, headers: { 'Content-Type': 'application/auth-policy+xml' } })).status, 201);
    const r = await req({ path: `${doc}/~~/ruleset/rule[@id="allow-bob"]/@id` });
    assert.equal(r.status, 200);
    assert.equal(r.body, '"allow-bob"');
  });

  test('pidf-manipulation keeps one document per user, named index', async () => {
    const base = '/xcap-root/pidf-manipulation/users/sip:alice@example.com';
    assert.equal((await req({ method: 'PUT', path: `${base}/index`, body: PIDF, headers: { 'Content-Type': 'application/pidf+xml' } })).status, 201);
    const other = await req({ method: 'PUT', path: `${base}/other`, body: PIDF, headers: { 'Content-Type': 'application/pidf+xml' } });
    assert.equal(other.status, 409);
    assert.match(other.body, /<constraint-failure/);
    const basicEl = await req({ path: `${base}/index/~~/presence/tuple[@id="t1"]/status/basic` });
    assert.equal(basicEl.body, '<basic>open</basic>');
  });

  test('xcap-directory lists the user\'s documents with their etags and is read only', async () => {
    const put = await req({ method: 'PUT', path: '/xcap-root/resource-lists/users/sip:alice@example.com/buddies', body: '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>', headers: { 'Content-Type': 'application/resource-lists+xml' } });
    assert.equal(put.status, 201);
    const etag = String(put.headers.etag).slice(1, -1);
    const dirPath = '/xcap-root/org.openmobilealliance.xcap-directory/users/sip:alice@example.com/directory.xml';
    const dir = await req({ path: dirPath });
    assert.equal(dir.status, 200);
    assert.equal(dir.headers['content-type'], 'application/vnd.oma.xcap-directory+xml');
    assert.match(dir.body, new RegExp(`<folder auid="resource-lists">\\s*<entry uri="http://127\\.0\\.0\\.1:\\d+/xcap-root/resource-lists/users/sip:alice@example.com/buddies" etag="${etag}"`));
    assert.equal((await req({ path: dirPath }, bob)).status, 403);
    assert.equal((await req({ method: 'PUT', path: dirPath, body: dir.body, headers: { 'Content-Type': 'application/vnd.oma.xcap-directory+xml' } })).status, 405);
    const again = await req({ path: dirPath, headers: { 'If-None-Match': String(dir.headers.etag) } });
    assert.equal(again.status, 304);
  });

  test('pres-content: a watcher may read another user\'s status icon, not write it', async () => {
    const icon = '/xcap-root/org.openmobilealliance.pres-content/users/sip:alice@example.com/oma_status-icon/index';
    const body = `<?xml version="1.0" encoding="UTF-8"?>
<content xmlns="urn:oma:xml:prs:pres-content"><mime-type>image/png</mime-type><encoding>base64</encoding><data>iVBORw0KGgo=</data></content>`;
    assert.equal((await req({ method: 'PUT', path: icon, body, headers: { 'Content-Type': 'application/vnd.oma.pres-content+xml' } })).status, 201);
    assert.equal((await req({ path: icon }, bob)).status, 200);
    assert.equal((await req({ method: 'DELETE', path: icon }, bob)).status, 403);
  });

  test('the rls-services global index is for trusted identities only', async () => {
    assert.equal((await req({ path: '/xcap-root/rls-services/global/index' })).status, 403);
    assert.equal((await req({ path: '/xcap-root/rls-services/global/index' }, admin)).status, 200);
  });
});
