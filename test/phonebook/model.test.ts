import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { SchemaValidator } from '../../src/appusages/schema-validator.js';
import {
  canonicalEntry,
  entryKey,
  phonebookFromDocument,
  samePhonebook,
  serializePhonebook,
} from '../../src/phonebook/model.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';

const SEED = readFileSync(join(import.meta.dirname, '../fixtures/documents/snom-tbook.xml'), 'utf8');

describe('phone book documents as data', () => {
  test("the seed's document: one list, one entry, its fields in order", () => {
    const model = phonebookFromDocument(parseXmlDocument(SEED));
    assert.deepEqual(model.lists, [{ name: 'Contact List', displayName: null, extras: [] }]);
    const [entry] = model.entries;
    assert.equal(entry!.id, '534BB0BC2DDA09E2567C5D8D5B2C0120');
    assert.equal(entry!.displayName, 'Testentry');
    assert.equal(entry!.props.length, 13);
    assert.deepEqual(entry!.props[0], { name: 'given_name', value: 'Max' });
    assert.deepEqual(entry!.props.at(-1), { name: 'category', value: 'Arbeit' });
  });

  test('serializing writes the layout of the seed, byte for byte', () => {
    assert.equal(serializePhonebook(phonebookFromDocument(parseXmlDocument(SEED))), SEED);
  });

  test('other prefixes, escapes, uris, unknown elements and nested lists survive a round trip', () => {
    const source =
      '<rl:resource-lists xmlns:rl="urn:ietf:params:xml:ns:resource-lists" xmlns:p="counterpath:properties" xmlns:x="urn:example:x">' +
      '<rl:list name="A &amp; B"><rl:display-name>Friends</rl:display-name>' +
      '<rl:entry uri="sip:bob@example.com"><rl:display-name>Bob &lt;3</rl:display-name><p:prop name="entry_id" value="B1"/><p:prop name="comment" value="a&#10;b &quot;c&quot;"/><x:ring tone="2"/></rl:entry>' +
      '<rl:list name="nested"/><x:ext/></rl:list></rl:resource-lists>';
    const model = phonebookFromDocument(parseXmlDocument(source));
    const text = serializePhonebook(model);
    assert.deepEqual(SchemaValidator.load('resource-lists.xsd').validate(text), []);
    const again = phonebookFromDocument(parseXmlDocument(text));
    assert.ok(samePhonebook(model, again));
    assert.deepEqual(again.lists, model.lists);
    assert.equal(again.entries[0]!.props[0]!.value, 'a\nb "c"');
    assert.equal(again.entries[0]!.uri, 'sip:bob@example.com');
    assert.match(text, /<x:ring xmlns:x="urn:example:x"[^>]*tone="2"\/>/);
  });

  test('an empty model is one empty "Contact List"', () => {
    const text = serializePhonebook({ lists: [], entries: [] });
    assert.match(text, /<list name="Contact List">\n  <\/list>/);
    assert.deepEqual(SchemaValidator.load('resource-lists.xsd').validate(text), []);
  });

  test('entries are compared by meaning: field order does not count, values do', () => {
    const a = { id: 'X', list: 'L', displayName: 'N', uri: null, props: [{ name: 'a', value: '1' }, { name: 'b', value: '2' }], extras: [] };
    const b = { ...a, props: [...a.props].reverse() };
    assert.equal(canonicalEntry(a), canonicalEntry(b));
    assert.notEqual(canonicalEntry(a), canonicalEntry({ ...a, displayName: 'M' }));
    assert.equal(entryKey(a), 'X');
    assert.match(entryKey({ ...a, id: null }), /^~/);
    assert.equal(entryKey({ ...a, id: null }), entryKey({ ...b, id: null, list: 'other' }));
  });
});
