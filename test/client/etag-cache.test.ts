import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EtagCache } from '../../src/client/etag-cache.js';

describe('EtagCache', () => {
  test('document ETags and fetched resources; forgetting a document forgets its resources', () => {
    const c = new EtagCache();
    c.setDocumentEtag('/d1', '"1"');
    c.setResource('/d1', '/d1', { etag: '"1"', body: '<a/>', contentType: 'application/x' });
    c.setResource('/d1/~~/a', '/d1', { etag: '"1"', body: '<a/>', contentType: null });
    c.setResource('/d2', '/d2', { etag: '"9"', body: '<b/>', contentType: null });
    assert.equal(c.documentEtag('/d1'), '"1"');
    assert.equal(c.resource('/d1/~~/a')?.body, '<a/>');
    c.forgetDocument('/d1');
    assert.equal(c.documentEtag('/d1'), undefined);
    assert.equal(c.resource('/d1'), undefined);
    assert.equal(c.resource('/d1/~~/a'), undefined);
    assert.equal(c.resource('/d2')?.etag, '"9"');
  });

  test('bounded: the least recently used resource goes first; oversized bodies are not kept', () => {
    const c = new EtagCache({ maxResources: 2, maxBodyChars: 10 });
    c.setResource('/a', '/a', { etag: '"a"', body: 'a', contentType: null });
    c.setResource('/b', '/b', { etag: '"b"', body: 'b', contentType: null });
    assert.ok(c.resource('/a'));
    c.setResource('/c', '/c', { etag: '"c"', body: 'c', contentType: null });
    assert.ok(c.resource('/a'));
    assert.equal(c.resource('/b'), undefined);
    c.setResource('/big', '/big', { etag: '"x"', body: 'x'.repeat(11), contentType: null });
    assert.equal(c.resource('/big'), undefined);
  });
});
