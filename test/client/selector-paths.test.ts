import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { childSelectors } from '../../src/client/selector-paths.js';

const DOC = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:x="urn:example:ext">
  <list name="friends">
    <entry uri="sip:bill@example.com"><display-name>Bill Doe</display-name></entry>
    <entry-ref ref="ref1"/>
    <list name="close-friends">
      <display-name>Close Friends</display-name>
      <entry uri="sip:joe@example.com"><display-name>Joe</display-name></entry>
      <entry uri="sip:nancy@example.com"/>
      <x:note/>
    </list>
  </list>
</resource-lists>`;

describe('childSelectors', () => {
  test('the root first', () => {
    assert.deepEqual(childSelectors(DOC, ''), ['resource-lists', 'resource-lists/']);
    assert.deepEqual(childSelectors(DOC, '/res'), ['/resource-lists', '/resource-lists/']);
    assert.deepEqual(childSelectors(DOC, '/pres'), []);
  });

  test('children: unique names alone, repeated ones by position, attribute tests that tell siblings apart', () => {
    assert.deepEqual(childSelectors(DOC, '/resource-lists/list/list/'), [
      '/resource-lists/list/list/@name',
      '/resource-lists/list/list/display-name',
      '/resource-lists/list/list/entry[1]',
      '/resource-lists/list/list/entry[1]/',
      '/resource-lists/list/list/entry[2]',
      '/resource-lists/list/list/entry[@uri="sip:joe@example.com"]',
      '/resource-lists/list/list/entry[@uri="sip:joe@example.com"]/',
      '/resource-lists/list/list/entry[@uri="sip:nancy@example.com"]',
      '/resource-lists/list/list/namespace::*',
      '/resource-lists/list/list/x:note',
    ]);
  });

  test('filtered by what was typed, also inside attribute tests', () => {
    assert.deepEqual(childSelectors(DOC, '/resource-lists/list/e'), [
      '/resource-lists/list/entry',
      '/resource-lists/list/entry-ref',
      '/resource-lists/list/entry-ref[@ref="ref1"]',
      '/resource-lists/list/entry/',
      '/resource-lists/list/entry[@uri="sip:bill@example.com"]',
      '/resource-lists/list/entry[@uri="sip:bill@example.com"]/',
    ]);
    assert.deepEqual(childSelectors(DOC, '/resource-lists/list[@name="friends"]/list[@name="close-friends"]/entry[@uri="sip:n'), [
      '/resource-lists/list[@name="friends"]/list[@name="close-friends"]/entry[@uri="sip:nancy@example.com"]',
    ]);
  });

  test('a parent that selects nothing, several elements, or a broken document gives nothing', () => {
    assert.deepEqual(childSelectors(DOC, '/resource-lists/nothing/'), []);
    assert.deepEqual(childSelectors(DOC, '/resource-lists/list/list/entry/'), []);
    assert.deepEqual(childSelectors('<not xml', '/a/'), []);
  });
});
