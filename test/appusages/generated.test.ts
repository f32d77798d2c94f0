import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AppUsageRegistry } from '../../src/appusages/registry.js';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import { xcapCaps } from '../../src/appusages/usages/xcap-caps.js';
import { xcapDirectory } from '../../src/appusages/usages/xcap-directory.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import { XcapConflictError, renderXcapErrorDocument, type ConflictKind } from '../../src/xcap/errors.js';

describe('documents the server generates are valid against their schemas', () => {
  test('xcap-caps lists every registered usage and its namespaces', async () => {
    const registry = new AppUsageRegistry();
    const storage = await openSqliteStorage({ file: ':memory:' });
    try {
      const caps = await xcapCaps.generate!({ auid: 'xcap-caps', tree: 'global', owner: '', path: 'index' }, { storage, registry, rootUri: 'http://x/xcap-root' });
      assert.ok(caps);
      assert.deepEqual(SchemaValidator.load('xcap-caps.xsd').validate(caps), []);
      for (const usage of registry.list()) {
        assert.ok(caps.includes(`<auid>${usage.auid}</auid>`), usage.auid);
        for (const ns of usage.namespaces) assert.ok(caps.includes(`<namespace>${ns}</namespace>`), ns);
      }
    } finally {
      await storage.close();
    }
  });

  test('xcap-directory of a user with documents', async () => {
    const registry = new AppUsageRegistry();
    const storage = await openSqliteStorage({ file: ':memory:' });
    try {
      const owner = 'sip:alice@example.com';
      await storage.updateDocument({ auid: 'resource-lists', tree: 'users', owner, path: 'index' }, () => ({
        mutation: { kind: 'put', content: '<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"/>' },
        result: null,
      }));
      const dir = await xcapDirectory.generate!({ auid: xcapDirectory.auid, tree: 'users', owner, path: 'directory.xml' }, { storage, registry, rootUri: 'http://x/xcap-root' });
      assert.ok(dir);
      assert.deepEqual(SchemaValidator.load('xcap-directory.xsd').validate(dir), []);
      assert.match(dir, /<entry uri="http:\/\/x\/xcap-root\/resource-lists\/users\/sip:alice@example.com\/index" etag="[^"]+" last-modified="\d{4}-\d\d-\d\dT[^"]+" size="\d+"\/>/);
    } finally {
      await storage.close();
    }
  });

  test('every xcap-error document', () => {
    const kinds: ConflictKind[] = ['not-well-formed', 'not-xml-frag', 'no-parent', 'schema-validation-error', 'not-xml-att-value', 'cannot-insert', 'cannot-delete', 'uniqueness-failure', 'constraint-failure', 'not-utf-8'];
    const validator = SchemaValidator.load('xcap-error.xsd');
    for (const kind of kinds) {
      const error = new XcapConflictError(kind, 'a "phrase" with <markup> & more', {
        ancestor: 'http://x/xcap-root/resource-lists/users/sip:a@b/index/~~/resource-lists',
        exists: [{ field: 'rls-services/service/@uri', altValues: ['sip:a-2@b', 'sip:a-3@b'] }],
      });
      const body = renderXcapErrorDocument(error);
      assert.deepEqual(validator.validate(body), [], kind);
    }
  });
});
