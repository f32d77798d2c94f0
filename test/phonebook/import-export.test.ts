import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, test } from 'node:test';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import { exportPhonebook, importPhonebook, phonebookKey } from '../../src/phonebook/import-export.js';
import { phonebookFromDocument } from '../../src/phonebook/model.js';
import { openSqliteStorage } from '../../src/storage/sqlite.js';
import type { Storage } from '../../src/storage/types.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';

const fixture = (name: string) => readFileSync(join(import.meta.dirname, '../fixtures/phonebook', name));
const alice = { user: 'alice@example.com' };

async function stored(storage: Storage, target: Parameters<typeof phonebookKey>[0] = alice) {
  const doc = await storage.getDocument(phonebookKey(target));
  assert.ok(doc, 'the phone book exists');
  return { doc, model: phonebookFromDocument(parseXmlDocument(doc.content)) };
}

describe('phone book import and export', () => {
  let storage: Storage;
  beforeEach(async () => {
    storage = await openSqliteStorage({ file: ':memory:' });
  });
  afterEach(() => storage.close());

  test("a vCard import makes a valid tbook.xml in the user's tree", async () => {
    const report = await importPhonebook(storage, fixture('apple-contacts.vcf'), { target: alice, fileName: 'apple-contacts.vcf', numbers: { countryCode: '49' } });
    assert.equal(report.format, 'vcf');
    assert.deepEqual([report.contacts, report.added, report.updated, report.written], [2, 2, 0, true]);
    assert.deepEqual(report.key, { auid: 'com.counterpath.tbook', tree: 'users', owner: 'sip:alice@example.com', path: 'tbook.xml' });
    const { doc, model } = await stored(storage);
    assert.deepEqual(SchemaValidator.load('resource-lists.xsd').validate(doc.content), []);
    assert.match(doc.content, /^<\?xml version="1.0" encoding="UTF-8"\?>\n<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="counterpath:properties">\n  <list name="Contact List">\n    <entry>\n      <display-name>Dr. Jürgen Müller<\/display-name>\n      <cp:prop name="entry_id" value="[0-9A-F]{32}"\/>\n      <cp:prop name="given_name" value="Jürgen"\/>/);
    assert.deepEqual(model.entries.map((e) => e.displayName), ['Dr. Jürgen Müller', '山田 花子']);
    assert.match(report.warnings.join('\n'), /duplicate number \+491715550101 \(also mobile_number\) imported once/);
  });

  test('re-importing the same file changes nothing and duplicates nothing', async () => {
    await importPhonebook(storage, fixture('google-contacts.csv'), { target: alice, fileName: 'g.csv' });
    const first = await stored(storage);
    const again = await importPhonebook(storage, fixture('google-contacts.csv'), { target: alice, fileName: 'g.csv' });
    assert.deepEqual([again.added, again.updated, again.unchanged, again.written], [0, 0, 3, false]);
    const second = await stored(storage);
    assert.equal(second.doc.etag, first.doc.etag);
    assert.equal(second.model.entries.length, 3);
  });

  test('the same people from two sources meet by name; numbers duplicated across contacts are reported', async () => {
    await importPhonebook(storage, fixture('google-contacts.vcf'), { target: alice, fileName: 'g.vcf' });
    const report = await importPhonebook(storage, fixture('google-contacts.csv'), { target: alice, fileName: 'g.csv' });
    // Ana and Bob exist already (same name, no UID): updated in place; Carla is new.
    assert.deepEqual([report.added, report.updated + report.unchanged, report.untouched], [1, 2, 0]);
    const { model } = await stored(storage);
    assert.deepEqual(model.entries.map((e) => e.displayName), ['Ana María Núñez', 'Bob Smith', 'Carla Rossi']);
    assert.ok(
      report.warnings.includes('duplicate number +14155550111 in 2 entries (Bob Smith (7F65CF763E4A2D0E26CDF9DA7C6A7A72); Carla Rossi (2D93191CEF6B285F4E3EFF487300C671)); duplicates make Snom phones slow'),
      report.warnings.join('\n'),
    );
  });

  test('merge keeps what a phone added; replace makes the book exactly the import', async () => {
    await importPhonebook(storage, fixture('outlook-contacts.csv'), { target: alice, fileName: 'o.csv' });
    const { doc, model } = await stored(storage);
    // A phone added a second mobile number to David and an entry of its own.
    const david = model.entries[0]!;
    const phoneText = doc.content
      .replace(`<cp:prop name="mobile_number" value="+353875550142"/>`, `<cp:prop name="mobile_number" value="+353875550142"/>\n      <cp:prop name="mobile_number#1" value="+353875550143"/>`)
      .replace('  </list>', `    <entry>\n      <display-name>Pizza</display-name>\n      <cp:prop name="entry_id" value="00000000000000000000000000000001"/>\n    </entry>\n  </list>`);
    await storage.updateDocument(doc.key, () => ({ mutation: { kind: 'put', content: phoneText }, result: null }));

    const merged = await importPhonebook(storage, fixture('outlook-contacts.csv'), { target: alice, fileName: 'o.csv' });
    assert.deepEqual([merged.added, merged.updated, merged.unchanged, merged.untouched, merged.written], [0, 0, 2, 1, false]);
    const afterMerge = await stored(storage);
    assert.equal(afterMerge.model.entries.find((e) => e.id === david.id)!.props.find((p) => p.name === 'mobile_number#1')?.value, '+353875550143');

    const replaced = await importPhonebook(storage, fixture('outlook-contacts.csv'), { target: alice, fileName: 'o.csv', mode: 'replace' });
    assert.deepEqual([replaced.removed, replaced.updated, replaced.written], [1, 1, true]);
    const afterReplace = await stored(storage);
    assert.deepEqual(afterReplace.model.entries.map((e) => e.displayName), ["David O'Neill", 'Eve Kowalska']);
    assert.equal(afterReplace.model.entries[0]!.props.find((p) => p.name === 'mobile_number#1'), undefined);
  });

  test('two contacts with the same name become two entries', async () => {
    const text = 'BEGIN:VCARD\r\nVERSION:3.0\r\nFN:Chris Lee\r\nTEL;TYPE=CELL:111\r\nEND:VCARD\r\nBEGIN:VCARD\r\nVERSION:3.0\r\nFN:Chris Lee\r\nTEL;TYPE=CELL:222\r\nEND:VCARD\r\n';
    const report = await importPhonebook(storage, Buffer.from(text), { target: alice, fileName: 'x.vcf' });
    assert.equal(report.added, 2);
    assert.match(report.warnings.join('\n'), /Chris Lee \(card 2 \(line 6\)\) has the same name or UID as Chris Lee/);
    const { model } = await stored(storage);
    assert.equal(new Set(model.entries.map((e) => e.id)).size, 2);
  });

  test('the shared directory lives in the global tree; dry runs write nothing', async () => {
    const dry = await importPhonebook(storage, fixture('nextcloud-v4.vcf'), { target: { shared: true }, fileName: 'n.vcf', dryRun: true });
    assert.deepEqual([dry.added, dry.written], [1, false]);
    assert.equal(await storage.getDocument(phonebookKey({ shared: true })), null);
    await importPhonebook(storage, fixture('nextcloud-v4.vcf'), { target: { shared: true }, fileName: 'n.vcf' });
    const { doc } = await stored(storage, { shared: true });
    assert.deepEqual(doc.key, { auid: 'com.counterpath.tbook', tree: 'global', owner: '', path: 'tbook.xml' });
  });

  test('export to vCard and CSV, and the export imports back onto the same entries', async () => {
    await importPhonebook(storage, fixture('apple-contacts.vcf'), { target: alice, fileName: 'a.vcf' });
    const before = await stored(storage);
    const vcf = await exportPhonebook(storage, { target: alice, format: 'vcf' });
    assert.equal(vcf!.entries, 2);
    assert.match(vcf!.text, /^BEGIN:VCARD\r\nVERSION:3\.0\r\nUID:[0-9A-F]{32}\r\nFN:Dr\. Jürgen Müller\r\n/);
    const csv = await exportPhonebook(storage, { target: alice, format: 'csv' });
    assert.match(csv!.text, /^entry_id,display_name,given_name,surname,profession,company,email_address,comment,sip_address,mobile_number/);
    for (const [text, name] of [[vcf!.text, 'back.vcf'], [csv!.text, 'back.csv']] as const) {
      const report = await importPhonebook(storage, Buffer.from(text), { target: alice, fileName: name });
      assert.deepEqual([report.added, report.written], [0, false], name);
    }
    assert.equal((await stored(storage)).doc.etag, before.doc.etag);
    assert.equal(await exportPhonebook(storage, { target: { user: 'nobody@example.com' }, format: 'vcf' }), null);
  });
});
