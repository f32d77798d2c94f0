/**
 * Differential tests against libxml2 for PIDF with the data model and RPID
 * extensions it imports: mutated documents get the same verdict.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { fixture, runAttributeEdits, runDifferential, runIncremental, runRemovals } from './differential.js';

/** RPID attributes and values the fixtures leave out: from/until, ids, thresholds, time offsets. */
const RICH_RPID = `<presence xmlns="urn:ietf:params:xml:ns:pidf" xmlns:dm="urn:ietf:params:xml:ns:pidf:data-model" xmlns:rpid="urn:ietf:params:xml:ns:pidf:rpid" xmlns:x="urn:example:ext" entity="pres:a@example.com">
  <tuple id="t1">
    <status><basic>open</basic><x:state>on</x:state></status>
    <rpid:user-input idle-threshold="600" last-input="2024-01-01T10:00:00Z" id="u1">idle</rpid:user-input>
    <contact priority="0.5">sip:a@example.com</contact>
    <note xml:lang="en">Hi</note>
    <timestamp>2024-01-01T10:00:00.25Z</timestamp>
  </tuple>
  <dm:person id="p1">
    <rpid:activities from="2024-01-01T09:00:00Z" until="2024-01-01T17:00:00-05:00" id="a1"><rpid:meeting/><x:other/></rpid:activities>
    <rpid:mood id="m1"><rpid:note>fine</rpid:note><rpid:happy/></rpid:mood>
    <rpid:sphere>work</rpid:sphere>
    <rpid:time-offset description="local" id="o1">-300</rpid:time-offset>
    <rpid:status-icon>http://example.com/i.png</rpid:status-icon>
    <rpid:class>personal</rpid:class>
    <dm:note>busy day</dm:note>
    <dm:timestamp>2024-01-01T10:00:00Z</dm:timestamp>
  </dm:person>
  <dm:device id="d1"><rpid:place-is><rpid:audio><rpid:quiet/></rpid:audio></rpid:place-is><dm:deviceID>urn:device:1</dm:deviceID></dm:device>
  <note>general</note>
</presence>`;

describe('pidf.xsd against libxml2', () => {
  for (const [name, runs] of [
    ['rfc3863-pidf-basic.xml', 60],
    ['rfc3863-pidf-status-extension.xml', 60],
    ['rfc3863-pidf-must-understand.xml', 40],
    ['rfc4479-data-model.xml', 60],
    ['rfc4480-rpid.xml', 80],
    ['pidf-manipulation-person.xml', 60],
  ] as const) {
    test(`mutations of ${name}`, () => {
      const result = runDifferential('pidf.xsd', fixture(name), runs);
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    });
  }

  test('mutations of a document with RPID attributes', () => {
    const result = runDifferential('pidf.xsd', RICH_RPID, 150);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element edits validated incrementally get the full verdict', () => {
    const result = runIncremental('pidf.xsd', RICH_RPID, 150);
    assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
  });

  test('element removals and attribute edits validated incrementally get the full verdict', () => {
    for (const result of [runRemovals('pidf.xsd', RICH_RPID, 150), runAttributeEdits('pidf.xsd', RICH_RPID, 250)]) {
      assert.ok(result.valid > 0 && result.invalid > 0, JSON.stringify(result));
    }
  });
});
