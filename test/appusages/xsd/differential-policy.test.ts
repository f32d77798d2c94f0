/**
 * Differential tests against libxml2 for common-policy, pres-rules and the OMA
 * pres-rules extensions: mutated documents get the same verdict.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runAttributeEdits, runDifferential, runIncremental, runRemovals } from './differential.js';

/** Every pres-rules transformation, with the booleans, tokens and enumerations they take. */
const RICH_PRES_RULES = `<cr:ruleset xmlns:cr="urn:ietf:params:xml:ns:common-policy" xmlns:pr="urn:ietf:params:xml:ns:pres-rules" xmlns:x="urn:example:ext">
  <cr:rule id="a1">
    <cr:conditions>
      <cr:identity><cr:one id="sip:a@example.com"/><cr:many domain="example.com"><cr:except id="sip:eve@example.com"/></cr:many></cr:identity>
      <cr:sphere value="work"/>
      <cr:validity><cr:from>2024-01-01T00:00:00Z</cr:from><cr:until>2024-12-31T23:59:59.5+01:00</cr:until></cr:validity>
    </cr:conditions>
    <cr:actions><pr:sub-handling>allow</pr:sub-handling><x:extra/></cr:actions>
    <cr:transformations>
      <pr:provide-services><pr:service-uri>sip:s@example.com</pr:service-uri><pr:service-uri-scheme>sip</pr:service-uri-scheme><pr:occurrence-id>o1</pr:occurrence-id><pr:class>work</pr:class></pr:provide-services>
      <pr:provide-devices><pr:deviceID>urn:device:1</pr:deviceID></pr:provide-devices>
      <pr:provide-persons><pr:all-persons/></pr:provide-persons>
      <pr:provide-activities>true</pr:provide-activities>
      <pr:provide-mood>false</pr:provide-mood>
      <pr:provide-user-input>bare</pr:provide-user-input>
      <pr:provide-unknown-attribute ns="urn:example:ext" name="level">1</pr:provide-unknown-attribute>
      <pr:provide-all-attributes/>
    </cr:transformations>
  </cr:rule>
  <cr:rule id="a2"/>
</cr:ruleset>`;

describe('common-policy.xsd against libxml2', () => {
  test('mutations of rfc4745-common-policy.xml', () => {
    const result = runDifferential('common-policy.xsd', fixture('rfc4745-common-policy.xml'), 300);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });
});

describe('pres-rules.xsd against libxml2', () => {
  for (const [name, seed, runs] of [
    ['rfc5025-pres-rules.xml', fixture('rfc5025-pres-rules.xml'), 150],
    ['a document with every transformation', RICH_PRES_RULES, 150],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('pres-rules.xsd', seed, runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }

  test('element edits validated incrementally get the full verdict', () => {
    const result = runIncremental('pres-rules.xsd', RICH_PRES_RULES, 150);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals and attribute edits validated incrementally get the full verdict', () => {
    for (const result of [runRemovals('pres-rules.xsd', RICH_PRES_RULES, 150), runAttributeEdits('pres-rules.xsd', RICH_PRES_RULES, 250)]) {
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    }
  });
});

describe('oma-pres-rules.xsd against libxml2', () => {
  for (const [name, seed, runs] of [
    ['oma-pres-rules.xml', fixture('oma-pres-rules.xml'), 200],
    ['rfc5025-pres-rules.xml', fixture('rfc5025-pres-rules.xml'), 100],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('oma-pres-rules.xsd', seed, runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }
});
