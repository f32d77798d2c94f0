import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { AppUsageRegistry } from '../../../src/appusages/registry.js';
import { SchemaValidator } from '../../../src/appusages/schema-validator.js';
import { checkPhonebookConstraints, phonebook, reviewPhonebook } from '../../../src/appusages/usages/phonebook.js';
import { XcapConflictError } from '../../../src/xcap/errors.js';
import { parseXmlDocument } from '../../../src/xcap/xml/parser.js';

const SEED = readFileSync(join(import.meta.dirname, '../../fixtures/documents/snom-tbook.xml'), 'utf8');

function book(entries: string): string {
  return `<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="counterpath:properties"><list name="Contact List">${entries}</list></resource-lists>`;
}

const entry = (id: string, extra = '') => `<entry><display-name>X</display-name><cp:prop name="entry_id" value="${id}"/>${extra}</entry>`;

describe('the phone book application usage', () => {
  test('is registered with the resource-lists schema and both namespaces', () => {
    const usage = new AppUsageRegistry().get('com.counterpath.tbook');
    assert.equal(usage, phonebook);
    assert.equal(usage!.schema, 'resource-lists.xsd');
    assert.deepEqual(usage!.namespaces, ['urn:ietf:params:xml:ns:resource-lists', 'counterpath:properties']);
    assert.equal(usage!.defaultDocumentName, 'tbook.xml');
  });

  test("the seed's document is valid: entries without uri, its fields, a localized category", () => {
    assert.deepEqual(SchemaValidator.load('resource-lists.xsd').validate(SEED), []);
    const document = parseXmlDocument(SEED);
    assert.doesNotThrow(() => checkPhonebookConstraints(document));
    assert.deepEqual(reviewPhonebook(document), ['category "Arbeit" (localized work) kept as written']);
  });

  test('a prop without a name is a schema error', () => {
    const issues = SchemaValidator.load('resource-lists.xsd').validate(book('<entry><cp:prop value="x"/></entry>'));
    assert.equal(issues.length, 1);
    assert.match(issues[0]!.message, /name/);
  });

  test('entry_id is unique in the document: uniqueness-failure with the field and a fresh id', () => {
    const document = parseXmlDocument(book(entry('534BB0BC2DDA09E2567C5D8D5B2C0120') + entry('534BB0BC2DDA09E2567C5D8D5B2C0120')));
    assert.throws(
      () => checkPhonebookConstraints(document),
      (e: unknown) => {
        assert.ok(e instanceof XcapConflictError);
        assert.equal(e.conflict, 'uniqueness-failure');
        assert.equal(e.exists[0]!.field, 'resource-lists/list[@name="Contact List"]/entry/cp:prop[@name="entry_id"]/@value');
        assert.match(e.exists[0]!.altValues[0]!, /^[0-9A-F]{32}$/);
        assert.match(e.render().body, /<exists field="[^"]+"><alt-value>[0-9A-F]{32}<\/alt-value><\/exists>/);
        return true;
      },
    );
  });

  test('entries in different lists share the uniqueness of entry_id; empty ids are no ids', () => {
    const twoLists = `<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists" xmlns:cp="counterpath:properties"><list name="a">${entry('A')}</list><list name="b">${entry('A')}</list></resource-lists>`;
    assert.throws(() => checkPhonebookConstraints(parseXmlDocument(twoLists)), /uniqueness-failure/);
    assert.doesNotThrow(() => checkPhonebookConstraints(parseXmlDocument(book(entry('') + entry('')))));
  });

  test('an entry with two entry_ids is a constraint-failure', () => {
    const document = parseXmlDocument(book(entry('A', '<cp:prop name="entry_id" value="B"/>')));
    assert.throws(() => checkPhonebookConstraints(document), /constraint-failure.*2 entry_id/);
  });

  test('what a phone writes outside the vocabulary is reported, never refused', () => {
    const document = parseXmlDocument(
      book(
        entry('A', '<cp:prop name="category" value="Stammtisch"/><cp:prop name="category#1" value="blocked"/><cp:prop name="ringtone" value="3"/>') +
          entry('B', '<cp:prop name="mobile_number#12" value="1"/><cp:prop name="category" value="work"/><cp:prop name="category#1" value="vip"/>') +
          entry('C', '<cp:prop name="surname" value="a"/><cp:prop name="surname" value="b"/>'),
      ),
    );
    assert.doesNotThrow(() => checkPhonebookConstraints(document));
    assert.deepEqual(reviewPhonebook(document), [
      'category "Stammtisch" is none of friend, family, work, colleague; kept as written',
      'category#1 "blocked" is neither dnd nor vip; kept as written',
      'unknown field "ringtone" kept as written',
      'field surname appears twice in one entry; phones read the first',
    ]);
  });
});
