/**
 * Differential tests against libxml2 for resource-lists (with the counterpath
 * properties it imports) and rls-services: mutated documents get the same verdict.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runAttributeEdits, runDifferential, runIncremental, runRemovals } from './differential.js';

const RL = 'xmlns="urn:ietf:params:xml:ns:resource-lists"';

/** A document that uses every resource-lists construct, including extensions and xml: attributes. */
const RICH_RESOURCE_LISTS = `<?xml version="1.0" encoding="UTF-8"?>
<resource-lists ${RL} xmlns:cp="counterpath:properties" xmlns:x="urn:example:ext">
  <list name="friends" x:color="blue">
    <display-name xml:lang="en">Friends</display-name>
    <entry uri="sip:alice@example.com"><display-name xml:lang="en-GB">Alice</display-name><cp:prop name="given_name" value="Alice"/></entry>
    <list name="nested" xml:id="n1"><entry/></list>
    <external anchor="http://xcap.example.com/resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d"/>
    <entry-ref ref="resource-lists/users/sip:bob@example.com/index/~~/resource-lists/list%5b@name=%22a%22%5d/entry%5b1%5d"><display-name>Ref</display-name></entry-ref>
    <x:tail x:level="1"><x:inner/></x:tail>
  </list>
  <list/>
</resource-lists>`;

describe('resource-lists.xsd against libxml2', () => {
  for (const [name, seed, runs] of [
    ['rfc4826-resource-lists.xml', fixture('rfc4826-resource-lists.xml'), 120],
    ['snom-tbook.xml', fixture('snom-tbook.xml'), 90],
    ['a document with every construct', RICH_RESOURCE_LISTS, 90],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('resource-lists.xsd', seed, runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }

  test('element edits validated incrementally get the full verdict', () => {
    const result = runIncremental('resource-lists.xsd', RICH_RESOURCE_LISTS, 150);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals validated incrementally get the full verdict', () => {
    // Every particle of resource-lists is optional: no removal from a valid document makes it invalid.
    const result = runRemovals('resource-lists.xsd', RICH_RESOURCE_LISTS, 150);
    assert.ok(result.valid > 0 && result.invalid === 0, JSON.stringify(result));
  });

  test('attribute edits validated incrementally get the full verdict', () => {
    const result = runAttributeEdits('resource-lists.xsd', RICH_RESOURCE_LISTS, 250);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });
});

describe('rls-services.xsd against libxml2', () => {
  test('mutations of rfc4826-rls-services.xml', () => {
    const result = runDifferential('rls-services.xsd', fixture('rfc4826-rls-services.xml'), 300);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element edits validated incrementally get the full verdict', () => {
    const result = runIncremental('rls-services.xsd', fixture('rfc4826-rls-services.xml'), 100);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals and attribute edits validated incrementally get the full verdict', () => {
    for (const result of [
      runRemovals('rls-services.xsd', fixture('rfc4826-rls-services.xml'), 120),
      runAttributeEdits('rls-services.xsd', fixture('rfc4826-rls-services.xml'), 150),
    ]) {
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    }
  });
});
