/**
 * Node selectors are parsed once per distinct text, default namespace and xmlns()
 * bindings: the same text under other bindings, or in another application usage,
 * means what it says there, not what it meant the first time.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite.js';
import { XcapService } from '../../src/service/xcap-service.js';
import { serviceRequest } from '../helpers/service-request.js';

const RL = 'urn:ietf:params:xml:ns:resource-lists';
const CP = 'urn:ietf:params:xml:ns:common-policy';

describe('node selectors parsed once', () => {
  let storage: SqliteStorage;
  let service: XcapService;
  before(async () => {
    storage = await openSqliteStorage({ file: ':memory:' });
    service = new XcapService({ storage });
    const list = `<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="${RL}"><list name="friends"/></resource-lists>`;
    assert.equal((await service.handle(serviceRequest('PUT', 'resource-lists/users/sip:alice@example.com/index', list, 'application/resource-lists+xml'))).status, 201);
    const rules = `<?xml version="1.0" encoding="UTF-8"?>\n<cr:ruleset xmlns:cr="${CP}"><cr:rule id="a"/></cr:ruleset>`;
    assert.equal((await service.handle(serviceRequest('PUT', 'pres-rules/users/sip:alice@example.com/index', rules, 'application/auth-policy+xml'))).status, 201);
  });
  after(() => storage.close());

  const status = async (path: string) => {
    try {
      return (await service.handle(serviceRequest('GET', path))).status;
    } catch (e) {
      return (e as { status?: number }).status ?? 0;
    }
  };

  test('the same selector under other xmlns() bindings selects by those', async () => {
    const selector = 'resource-lists/users/sip:alice@example.com/index/~~/p:resource-lists/p:list';
    for (let round = 0; round < 3; round++) {
      assert.equal(await status(`${selector}?xmlns(p=${RL})`), 200);
      assert.equal(await status(`${selector}?xmlns(p=urn:example:other)`), 404);
      assert.equal(await status(`${selector}?xmlns(q=${RL})`), 400, 'p is not bound');
    }
  });

  test('the same selector in another application usage is resolved against that usage', async () => {
    for (let round = 0; round < 3; round++) {
      // Unprefixed names take the usage's default namespace: resource-lists' own, pres-rules' own (RFC 5025).
      assert.equal(await status('resource-lists/users/sip:alice@example.com/index/~~/resource-lists/list'), 200);
      assert.equal(await status('pres-rules/users/sip:alice@example.com/index/~~/resource-lists/list'), 404);
      assert.equal(await status('pres-rules/users/sip:alice@example.com/index/~~/ruleset/rule'), 404, 'pres-rules:ruleset is not cp:ruleset');
      assert.equal(await status(`pres-rules/users/sip:alice@example.com/index/~~/cp:ruleset/cp:rule?xmlns(cp=${CP})`), 200);
      assert.equal(await status(`resource-lists/users/sip:alice@example.com/index/~~/cp:ruleset/cp:rule?xmlns(cp=${CP})`), 404);
    }
  });
});
