import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import {
  AlreadyExistsError,
  ConflictError,
  ForbiddenError,
  NotFoundError,
  NotModifiedError,
  PreconditionFailedError,
  UnsupportedMediaTypeError,
  UsageError,
  XcapClient,
  XcapClientError,
  selector,
  type XcapClientOptions,
} from '../../src/client/index.js';
import type { HttpExchange } from '../../src/client/transport.js';
import { startTestServer, type TestServer } from '../helpers/xcapd.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const LIST = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="${RL}">
  <list name="friends">
    <entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>
  </list>
</resource-lists>
`;
const friends = selector('resource-lists').step('list', { attribute: ['name', 'friends'] });

describe('XcapClient against xcapd', () => {
  let server: TestServer;
  const clients: XcapClient[] = [];
  const exchanges: HttpExchange[] = [];
  const make = (options: Partial<XcapClientOptions> = {}) => {
    const c = new XcapClient({
      xcapRoot: server.rootUrl,
      user: 'sip:alice@example.com',
      password: 'alice-secret',
      onExchange: (x) => exchanges.push(x),
      ...options,
    });
    clients.push(c);
    return c;
  };
  const bob = () => make({ user: 'bob@example.com', password: 'bob-secret' });
  const admin = () => make({ user: 'admin@example.com', password: 'admin-secret' });
  const reset = async (c: XcapClient) => {
    await c.deleteDocument('resource-lists', { etag: 'none' }).catch((e: unknown) => {
      if (!(e instanceof NotFoundError)) throw e;
    });
    await c.putDocument('resource-lists', LIST, { etag: 'none' });
  };

  before(async () => {
    server = await startTestServer({ auth: 'digest', defaultRealm: 'example.com' });
  });
  after(async () => {
    for (const c of clients) c.close();
    await server.stop();
  });

  test('documents: put creates then replaces, get, delete; ETags reported', async () => {
    const c = make();
    await c.deleteDocument('resource-lists').catch(() => undefined);
    const created = await c.putDocument('resource-lists', LIST);
    assert.equal(created.status, 201);
    assert.equal(created.created, true);
    assert.match(String(created.etag), /^"[^"]+"$/);
    const got = await c.getDocument('resource-lists', { etag: 'none' });
    assert.equal(got.notModified, false);
    assert.equal(got.body, LIST);
    assert.equal(got.contentType, 'application/resource-lists+xml');
    assert.equal(got.etag, created.etag);
    const replaced = await c.putDocument('resource-lists', LIST.replace('friends', 'buddies'));
    assert.equal(replaced.status, 200);
    assert.equal(replaced.created, false);
    assert.notEqual(replaced.etag, created.etag);
    assert.equal((await c.deleteDocument('resource-lists')).status, 200);
    await assert.rejects(c.getDocument('resource-lists'), NotFoundError);
    await assert.rejects(c.deleteDocument('resource-lists'), NotFoundError);
  });

  test('the request target is the XCAP URI of the user, document and selector', async () => {
    const c = make();
    assert.equal(c.url('resource-lists'), `${server.rootUrl}/resource-lists/users/sip:alice@example.com/index`);
    assert.equal(c.url('xcap-caps'), `${server.rootUrl}/xcap-caps/global/index`);
    assert.equal(c.url('org.openmobilealliance.pres-rules'), `${server.rootUrl}/org.openmobilealliance.pres-rules/users/sip:alice@example.com/pres-rules`);
    assert.equal(
      c.url('resource-lists', friends.step('entry', { position: 1 }).attribute('uri'), { document: 'work', xui: 'bob@example.com' }),
      `${server.rootUrl}/resource-lists/users/sip:bob@example.com/work/~~/resource-lists/list%5B@name=%22friends%22%5D/entry%5B1%5D/@uri`,
    );
    assert.equal(
      c.url('pres-rules', '/cp:ruleset/cp:rule[@id="a"]', { namespaces: { cp: 'urn:ietf:params:xml:ns:common-policy' } }),
      `${server.rootUrl}/pres-rules/users/sip:alice@example.com/index/~~/cp:ruleset/cp:rule%5B@id=%22a%22%5D?xmlns(cp=urn:ietf:params:xml:ns:common-policy)`,
    );
  });

  test('elements: get, put (create and replace), insert only if absent, replace only if present, delete', async () => {
    const c = make();
    await reset(c);
    const bobEntry = friends.step('entry', { attribute: ['uri', 'sip:bob@example.com'] });
    const el = await c.getElement('resource-lists', bobEntry);
    assert.equal(el.notModified, false);
    assert.equal(el.body, '<entry uri="sip:bob@example.com"><display-name>Bob</display-name></entry>');
    assert.equal(el.contentType, 'application/xcap-el+xml');

    const carol = friends.step('entry', { attribute: ['uri', 'sip:carol@example.com'] });
    const inserted = await c.insertElement('resource-lists', carol, '<entry uri="sip:carol@example.com"/>');
    assert.equal(inserted.status, 201);
    const again = await c.insertElement('resource-lists', carol, '<entry uri="sip:carol@example.com"/>').catch((e: unknown) => e);
    assert.ok(again instanceof AlreadyExistsError, String(again));
    assert.match(again.message, /already selects a node/);

    const replaced = await c.replaceElement('resource-lists', carol, '<entry uri="sip:carol@example.com"><display-name>Carol</display-name></entry>');
    assert.equal(replaced.status, 200);
    const dave = friends.step('entry', { attribute: ['uri', 'sip:dave@example.com'] });
    await assert.rejects(c.replaceElement('resource-lists', dave, '<entry uri="sip:dave@example.com"/>'), NotFoundError);

    assert.equal((await c.putElement('resource-lists', dave, '<entry uri="sip:dave@example.com"/>')).status, 201);
    assert.equal((await c.putElement('resource-lists', dave, '<entry uri="sip:dave@example.com"><display-name>D</display-name></entry>')).status, 200);
    assert.equal((await c.deleteElement('resource-lists', dave)).status, 200);
    await assert.rejects(c.deleteElement('resource-lists', dave), NotFoundError);
    const doc = await c.getDocument('resource-lists', { etag: 'none' });
    assert.ok(!doc.notModified && doc.body.includes('<display-name>Carol</display-name>') && !doc.body.includes('dave'));
  });

  test('insert/replace of a whole document are conditional PUTs', async () => {
    const c = make();
    await reset(c);
    await assert.rejects(c.insertDocument('resource-lists', LIST), AlreadyExistsError);
    assert.equal((await c.replaceDocument('resource-lists', LIST)).status, 200);
    await c.deleteDocument('resource-lists');
    await assert.rejects(c.replaceDocument('resource-lists', LIST), NotFoundError);
    assert.equal((await c.insertDocument('resource-lists', LIST)).status, 201);
    const sent = exchanges
      .filter((x) => x.request.method === 'PUT' && x.response?.status !== 401)
      .slice(-4)
      .map((x) => [x.request.headers['If-None-Match'], x.request.headers['If-Match'], x.response?.status]);
    assert.equal(sent[0]?.[0], '*');
    assert.equal(sent[0]?.[2], 412);
    assert.match(String(sent[1]?.[1]), /^"/, 'replace uses the known ETag');
    assert.equal(sent[1]?.[2], 200);
    assert.deepEqual(sent[2], [undefined, '*', 412]);
    assert.deepEqual(sent[3], ['*', undefined, 201]);
  });

  test('attributes: values are unquoted and unescaped on read, quoted and escaped on write; bare values work too', async () => {
    const c = make();
    await reset(c);
    const name = selector('resource-lists').step('list').attribute('name');
    const got = await c.getAttribute('resource-lists', friends.attribute('name'));
    assert.equal(got.value, 'friends');
    assert.equal(got.notModified ? null : got.body, '"friends"');
    const tricky = 'a "quoted" & <odd> name';
    assert.equal((await c.putAttribute('resource-lists', name, tricky)).status, 200);
    const list = selector('resource-lists').step('list');
    assert.equal((await c.getAttribute('resource-lists', name)).value, tricky);
    const bare = make({ attributeStyle: 'bare' });
    assert.equal((await bare.putAttribute('resource-lists', list.attribute('name'), 'plain')).status, 200);
    assert.equal((await bare.getAttribute('resource-lists', '/resource-lists/list/@name')).value, 'plain');
    const created = await c.insertAttribute('resource-lists', '/resource-lists/list/entry/@uri', 'x').catch((e: unknown) => e);
    assert.ok(created instanceof AlreadyExistsError);
    assert.equal((await c.deleteAttribute('resource-lists', '/resource-lists/list/@name')).status, 200);
    await assert.rejects(c.replaceAttribute('resource-lists', '/resource-lists/list/@name', 'x'), NotFoundError);
    assert.equal((await c.insertAttribute('resource-lists', '/resource-lists/list/@name', 'friends')).status, 201);
  });

  test('typed operations refuse selectors of the wrong kind before sending', async () => {
    const c = make();
    const before = exchanges.length;
    await assert.rejects(() => c.getElement('resource-lists', '/resource-lists/list/@name'), UsageError);
    await assert.rejects(() => c.getAttribute('resource-lists', '/resource-lists/list'), UsageError);
    await assert.rejects(() => c.delete('resource-lists', '/resource-lists/namespace::*'), /can only be read/);
    assert.equal(exchanges.length, before);
  });

  test('namespace bindings', async () => {
    const c = make();
    await reset(c);
    const ns = await c.getNamespaceBindings('resource-lists', friends);
    assert.deepEqual(ns.bindings, new Map([['', RL]]));
    const text = await c.getNamespaceBindings('resource-lists', '/resource-lists/list');
    assert.deepEqual(text.bindings, new Map([['', RL]]));
    assert.ok(text.url.endsWith('/~~/resource-lists/list/namespace::*'));
  });

  test('conditional GET: a second GET of the same URI is a 304, surfaced as notModified with the remembered body', async () => {
    const c = make();
    await reset(c);
    const first = await c.getDocument('resource-lists');
    assert.equal(first.notModified, false);
    const second = await c.getDocument('resource-lists');
    assert.equal(second.notModified, true);
    assert.equal(second.status, 304);
    assert.equal(second.etag, first.etag);
    assert.equal(second.body, LIST);
    assert.equal(exchanges.at(-1)?.request.headers['If-None-Match'], first.etag);
    // Another URI of the same document is fetched in full: its body was never seen.
    const el = await c.getElement('resource-lists', friends);
    assert.equal(el.notModified, false);
    await assert.rejects(c.getElement('resource-lists', friends, { notModified: 'error' }), NotModifiedError);
    const forced = await c.getDocument('resource-lists', { etag: 'none' });
    assert.equal(forced.notModified, false);
    assert.equal(exchanges.at(-1)?.request.headers['If-None-Match'], undefined);
    // After someone else changes the document, the conditional GET brings the new body.
    await make().putDocument('resource-lists', LIST.replace('Bob', 'Robert'), { etag: 'none' });
    const changed = await c.getDocument('resource-lists');
    assert.ok(!changed.notModified && changed.body.includes('Robert'));
  });

  test('explicit conditions: If-Match / If-None-Match values', async () => {
    const c = make();
    await reset(c);
    const { etag } = await c.getDocument('resource-lists', { etag: 'none' });
    const viaIfNoneMatch = await c.getDocument('resource-lists', { etag: 'none', ifNoneMatch: etag! });
    assert.equal(viaIfNoneMatch.notModified, true);
    // Unquoted values are quoted, as python-xcaplib users write them.
    const unquoted = etag!.slice(1, -1);
    assert.equal((await c.putDocument('resource-lists', LIST.replace('Bob', 'Bobby'), { etag: unquoted })).status, 200);
    const stale = await c.putDocument('resource-lists', LIST, { etag: unquoted }).catch((e: unknown) => e);
    assert.ok(stale instanceof PreconditionFailedError, String(stale));
    assert.equal(stale.status, 412);
    assert.equal(stale.method, 'PUT');
    assert.ok(stale instanceof XcapClientError);
    await assert.rejects(c.getDocument('resource-lists', { etag: '"nope"' }), PreconditionFailedError);
  });

  test('auto ETags protect writes: a change by someone else since the last response is refused (412), not overwritten', async () => {
    const mine = make();
    await reset(mine);
    await mine.getDocument('resource-lists');
    await make().putElement('resource-lists', friends.step('entry', { attribute: ['uri', 'sip:eve@example.com'] }), '<entry uri="sip:eve@example.com"/>', { etag: 'none' });
    const refused = await mine.putDocument('resource-lists', LIST).catch((e: unknown) => e);
    assert.ok(refused instanceof PreconditionFailedError, String(refused));
    assert.ok(exchanges.at(-1)?.request.headers['If-Match']);
    await mine.getDocument('resource-lists');
    assert.equal((await mine.putDocument('resource-lists', LIST)).status, 200);
  });

  test('element writes carry the document ETag and refresh it', async () => {
    const c = make();
    await reset(c);
    const { etag } = await c.getDocument('resource-lists', { etag: 'none' });
    const w = await c.putElement('resource-lists', friends.step('entry', { attribute: ['uri', 'sip:f@example.com'] }), '<entry uri="sip:f@example.com"/>');
    assert.equal(exchanges.at(-1)?.request.headers['If-Match'], etag);
    assert.notEqual(w.etag, etag);
    assert.equal(c.etags?.documentEtag(new URL(c.url('resource-lists')).pathname), w.etag);
    const d = await c.deleteElement('resource-lists', friends.step('entry', { attribute: ['uri', 'sip:f@example.com'] }));
    assert.equal(exchanges.at(-1)?.request.headers['If-Match'], w.etag);
    assert.ok(d.etag);
  });

  test('409 conflicts carry the parsed xcap-error detail', async () => {
    const c = make();
    await reset(c);
    const dup = await c.putElement('resource-lists', friends.step('entry', { position: 2 }), '<entry uri="sip:bob@example.com"/>').catch((e: unknown) => e);
    assert.ok(dup instanceof ConflictError, String(dup));
    assert.equal(dup.status, 409);
    assert.equal(dup.detail?.kind, 'uniqueness-failure');
    assert.equal(dup.detail?.exists[0]?.field, 'resource-lists/list[@name="friends"]/entry/@uri');
    assert.match(dup.message, /uniqueness-failure/);

    const noParent = await c.putElement('resource-lists', '/resource-lists/list[@name="nope"]/entry', '<entry uri="sip:x@example.com"/>').catch((e: unknown) => e);
    assert.ok(noParent instanceof ConflictError);
    assert.equal(noParent.detail?.kind, 'no-parent');
    assert.equal(noParent.detail?.ancestor, `${server.rootUrl}/resource-lists/users/sip:alice@example.com/index/~~/resource-lists`);

    const schema = await c.putElement('resource-lists', friends.step('bogus'), '<bogus/>').catch((e: unknown) => e);
    assert.ok(schema instanceof ConflictError);
    assert.equal(schema.detail?.kind, 'schema-validation-error');
    assert.ok(schema.detail?.phrase);
  });

  test('rls-services uniqueness across users comes with alternative values', async () => {
    const doc = (uri: string) => `<?xml version="1.0" encoding="UTF-8"?>
<rls-services xmlns="urn:ietf:params:xml:ns:rls-services" xmlns:rl="${RL}">
  <service uri="${uri}"><list name="l"><rl:entry uri="sip:x@example.com"/></list><packages><package>presence</package></packages></service>
</rls-services>`;
    await make().putDocument('rls-services', doc('sip:shared-name@example.com'), { etag: 'none' });
    const taken = await bob().putDocument('rls-services', doc('sip:shared-name@example.com')).catch((e: unknown) => e);
    assert.ok(taken instanceof ConflictError);
    assert.equal(taken.detail?.exists[0]?.field, 'rls-services/service/@uri');
    assert.ok((taken.detail?.exists[0]?.altValues.length ?? 0) > 0);
    assert.match(taken.detail!.exists[0]!.altValues[0]!, /^sip:shared-name-/);
  });

  test('404 and 415 are typed', async () => {
    const c = make();
    await reset(c);
    await assert.rejects(c.getElement('resource-lists', friends.step('entry', { position: 9 })), NotFoundError);
    await assert.rejects(c.getDocument('resource-lists', { document: 'missing' }), NotFoundError);
    const wrongType = await c.putDocument('resource-lists', LIST, { contentType: 'application/xml', etag: 'none' }).catch((e: unknown) => e);
    assert.ok(wrongType instanceof UnsupportedMediaTypeError);
    assert.equal(wrongType.status, 415);
  });

  test('third-party XUI: another user\'s tree is forbidden; an administrator may read it', async () => {
    const alice = make();
    await reset(alice);
    const forbidden = await bob().getDocument('resource-lists', { xui: 'sip:alice@example.com' }).catch((e: unknown) => e);
    assert.ok(forbidden instanceof ForbiddenError, String(forbidden));
    assert.equal(forbidden.status, 403);
    assert.ok(forbidden.url.includes('/users/sip:alice@example.com/index'));
    const read = await admin().getDocument('resource-lists', { xui: 'alice@example.com' });
    assert.equal(read.notModified ? null : read.body, LIST);
  });

  test('global tree: readable by users, writable by the administrator only', async () => {
    const a = admin();
    const created = await a.putDocument('resource-lists', LIST, { tree: 'global', document: 'shared', etag: 'none' });
    assert.ok(created.status === 201 || created.status === 200);
    assert.ok(created.url.endsWith('/resource-lists/global/shared'));
    const read = await make().getDocument('resource-lists', { tree: 'global', document: 'shared' });
    assert.equal(read.notModified ? null : read.body, LIST);
    await assert.rejects(make().putDocument('resource-lists', LIST, { tree: 'global', document: 'shared' }), ForbiddenError);
  });

  test('capabilities and directory', async () => {
    const c = make();
    await reset(c);
    const caps = await c.capabilities();
    for (const auid of ['xcap-caps', 'resource-lists', 'rls-services', 'pres-rules', 'org.openmobilealliance.pres-rules']) assert.ok(caps.auids.includes(auid), auid);
    assert.ok(caps.namespaces.includes('urn:ietf:params:xml:ns:xcap-caps'));
    assert.deepEqual(caps.extensions, []);
    const again = await c.capabilities();
    assert.deepEqual(again.auids, caps.auids, 'a 304 is answered from the remembered document');
    const dir = await c.directory();
    const rl = dir.folders.find((f) => f.auid === 'resource-lists');
    assert.ok(rl);
    const entry = rl.entries.find((e) => e.uri.endsWith('/resource-lists/users/sip:alice@example.com/index'));
    assert.ok(entry, JSON.stringify(rl));
    assert.match(entry.etag, /./);
    assert.ok(entry.lastModified instanceof Date);
    assert.ok((entry.size ?? 0) > 0);
  });

  test('per-call headers reach the server and override the client\'s', async () => {
    const c = make({ headers: { 'X-Trace': 'client' } });
    await reset(c);
    await c.getDocument('resource-lists', { headers: { 'X-Trace': 'call', 'User-Agent': 'test-agent' } });
    const sent = exchanges.at(-1)!.request.headers;
    assert.equal(sent['X-Trace'], 'call');
    assert.equal(sent['User-Agent'], 'test-agent');
  });

  test('bad configuration fails at construction with a clear message', () => {
    assert.throws(() => new XcapClient({ xcapRoot: 'ftp://x', user: 'alice@example.com' }), /http:\/\/ or https:\/\//);
    assert.throws(() => new XcapClient({ xcapRoot: 'http://u:p@x/xcap-root', user: 'alice@example.com' }), /credentials/);
    assert.throws(() => new XcapClient({ xcapRoot: server.rootUrl, user: 'not a user' }), /invalid user id/);
  });
});
