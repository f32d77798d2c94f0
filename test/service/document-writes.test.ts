/**
 * Writes of one document that arrive together (forwarded writes reach worker 1 several
 * to a socket read) are carried out one after another, each on the tree the previous
 * one filed: none is lost, each gets its own ETag, and the document is not parsed again.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { CachingStorage } from '../../src/storage/cache.js';
import { openSqliteStorage, type SqliteStorage } from '../../src/storage/sqlite.js';
import { ParsedDocumentCache } from '../../src/service/parsed-documents.js';
import { XcapService } from '../../src/service/xcap-service.js';
import { serviceRequest } from '../helpers/service-request.js';
import type { XmlDocument } from '../../src/xcap/xml/tree.js';

const DOC = 'resource-lists/users/sip:alice@example.com/index';
const LIST = `${DOC}/~~/resource-lists/list%5B@name=%22friends%22%5D`;

/** The real cache, counting the parses it had to make. */
class CountingParsedDocuments extends ParsedDocumentCache {
  parses = 0;
  override read(...[key, stored, parse]: Parameters<ParsedDocumentCache['read']>): XmlDocument {
    return super.read(key, stored, (content) => {
      this.parses++;
      return parse(content);
    });
  }
}

describe('writes of one document that arrive together', () => {
  let storage: SqliteStorage;
  let parsed: CountingParsedDocuments;
  let service: XcapService;

  before(async () => {
    storage = await openSqliteStorage({ file: ':memory:' });
    parsed = new CountingParsedDocuments(8 * 2 ** 20);
    service = new XcapService({ storage: new CachingStorage(storage, { maxBytes: 8 * 2 ** 20 }), parsedDocuments: parsed });
  });
  after(() => storage.close());

  test('are carried out in turn on the tree the previous one filed', async () => {
    const list = '<?xml version="1.0" encoding="UTF-8"?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="friends"/></resource-lists>';
    const created = await service.handle(serviceRequest('PUT', DOC, list, 'application/resource-lists+xml'));
    assert.equal(created.status, 201);
    const parsesBefore = parsed.parses;

    const writers = Array.from({ length: 20 }, (_, n) => n);
    const puts = await Promise.all(
      writers.map((n) =>
        service.handle(serviceRequest('PUT', `${LIST}/entry%5B@uri=%22sip:friend${n}@example.com%22%5D`, `<entry uri="sip:friend${n}@example.com"/>`, 'application/xcap-el+xml')),
      ),
    );
    assert.deepEqual(puts.map((r) => r.status), writers.map(() => 201));
    assert.equal(new Set(puts.map((r) => r.headers.ETag)).size, writers.length, 'every write got its own ETag');

    const deletes = await Promise.all(
      writers.filter((n) => n % 2 === 0).map((n) => service.handle(serviceRequest('DELETE', `${LIST}/entry%5B@uri=%22sip:friend${n}@example.com%22%5D`))),
    );
    assert.deepEqual(deletes.map((r) => r.status), deletes.map(() => 200));
    assert.equal(parsed.parses, parsesBefore, 'no write parsed the document again');

    const whole = await service.handle(serviceRequest('GET', DOC));
    const body = String(whole.body);
    for (const n of writers) assert.equal(body.includes(`sip:friend${n}@example.com`), n % 2 === 1, `entry ${n}`);
    assert.equal(whole.headers.ETag, deletes.at(-1)!.headers.ETag);
  });
});
