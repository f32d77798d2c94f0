/**
 * Differential tests against libxml2 for the XCAP documents themselves: xcap-caps,
 * xcap-error, xcap-diff, the OMA xcap-directory and pres-content.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runAttributeEdits, runDifferential, runIncremental, runRemovals } from './differential.js';

/** xcap-diff with the XPath patterns of RFC 5261, positions, whitespace handling and element/attribute reports. */
const RICH_XCAP_DIFF = `<xcap-diff xmlns="urn:ietf:params:xml:ns:xcap-diff" xmlns:x="urn:example:ext" xcap-root="http://xcap.example.com/" x:note="1">
  <document sel="resource-lists/users/sip:a@example.com/index" previous-etag="1" new-etag="2">
    <add sel="/rl:resource-lists/rl:list[@name='friends']" pos="prepend"><entry xmlns="urn:ietf:params:xml:ns:resource-lists" uri="sip:b@example.com"/></add>
    <add sel="*/rl:list[2]" type="@rl:name">x</add>
    <replace sel="id('k')/rl:entry[1]/@uri">sip:c@example.com</replace>
    <remove sel="rl:list/rl:entry[3]" ws="after"/>
    <remove sel="rl:list/comment()[1]"/>
    <x:custom/>
  </document>
  <document sel="pres-rules/users/sip:a@example.com/index"><body-not-changed/></document>
  <element sel="resource-lists/users/sip:a@example.com/index/~~/resource-lists/list" exists="0"/>
  <attribute sel="resource-lists/users/sip:a@example.com/index/~~/resource-lists/list/@name" exists="true">friends</attribute>
</xcap-diff>`;

describe('xcap-caps.xsd against libxml2 (strict wildcard)', () => {
  test('mutations of rfc4825-xcap-caps.xml', () => {
    const result = runDifferential('xcap-caps.xsd', fixture('rfc4825-xcap-caps.xml'), 200);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals validated incrementally get the full verdict', () => {
    const result = runRemovals('xcap-caps.xsd', fixture('rfc4825-xcap-caps.xml'), 150);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });
});

describe('xcap-error.xsd against libxml2 (substitution group of an abstract head)', () => {
  for (const name of ['rfc4825-xcap-error-uniqueness.xml', 'rfc4825-xcap-error-no-parent.xml']) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('xcap-error.xsd', fixture(name), 150);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }
});

describe('xcap-diff.xsd against libxml2 (patterns)', () => {
  for (const [name, seed, runs] of [
    ['rfc5874-xcap-diff.xml', fixture('rfc5874-xcap-diff.xml'), 100],
    ['rfc5874-xcap-diff-aggregated.xml', fixture('rfc5874-xcap-diff-aggregated.xml'), 60],
    ['a document with every patch operation', RICH_XCAP_DIFF, 140],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('xcap-diff.xsd', seed, runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }

  test('element edits validated incrementally get the full verdict', () => {
    const result = runIncremental('xcap-diff.xsd', RICH_XCAP_DIFF, 100);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals and attribute edits validated incrementally get the full verdict', () => {
    // Nothing the seed holds is required: its removals all stay valid (xcap-caps below has required elements).
    const removals = runRemovals('xcap-diff.xsd', RICH_XCAP_DIFF, 150);
    assert.ok(removals.valid > 0, JSON.stringify(removals));
    const edits = runAttributeEdits('xcap-diff.xsd', RICH_XCAP_DIFF, 250);
    assert.ok(edits.valid > 0 && edits.invalid > 0, JSON.stringify(edits));
  });
});

describe('xcap-directory.xsd and pres-content.xsd against libxml2', () => {
  const DIRECTORY = `<xcap-directory xmlns="urn:oma:xml:xdm:xcap-directory">
  <folder auid="resource-lists"><entry uri="http://xcap.example.com/resource-lists/users/sip:a@example.com/index" etag="e1" last-modified="2024-01-01T00:00:00Z" size="1024" x:flag="1" xmlns:x="urn:example:ext"/></folder>
  <folder auid="pres-rules"><error-code>500 internal</error-code></folder>
</xcap-directory>`;
  for (const [schema, name, seed, runs] of [
    ['xcap-directory.xsd', 'oma-xcap-directory.xml', fixture('oma-xcap-directory.xml'), 150],
    ['xcap-directory.xsd', 'a directory with sizes and dates', DIRECTORY, 150],
    ['pres-content.xsd', 'oma-pres-content.xml', fixture('oma-pres-content.xml'), 300],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential(schema, seed, runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }
});
