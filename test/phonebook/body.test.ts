import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { decodePhonebookBody } from '../../src/phonebook/body.js';
import { XcapConflictError } from '../../src/xcap/errors.js';

const doc = (declaration: string) => `${declaration}<resource-lists xmlns="urn:ietf:params:xml:ns:resource-lists"><list name="Jörg"/></resource-lists>`;

describe('reading the body a phone PUT', () => {
  test('UTF-8, with or without a BOM, as it is', () => {
    const text = doc('<?xml version="1.0" encoding="UTF-8"?>');
    assert.deepEqual(decodePhonebookBody(Buffer.from(text)), { text, note: null });
    assert.deepEqual(decodePhonebookBody(Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from(text)])), { text, note: null });
  });

  test('a declared ISO-8859-1 body is transcoded and its declaration rewritten', () => {
    const r = decodePhonebookBody(Buffer.from(doc("<?xml version='1.0' encoding='ISO-8859-1'?>"), 'latin1'));
    assert.equal(r.text, doc("<?xml version='1.0' encoding='UTF-8'?>"));
    assert.equal(r.note, 'the body was ISO-8859-1; stored as UTF-8');
  });

  test('Latin-1 bytes without a declaration are read as Windows-1252', () => {
    const r = decodePhonebookBody(Buffer.from(doc(''), 'latin1'));
    assert.equal(r.text, doc(''));
    assert.match(r.note!, /not UTF-8; read as Windows-1252/);
  });

  test('another declared encoding is refused as not-utf-8', () => {
    assert.throws(
      () => decodePhonebookBody(Buffer.from(doc('<?xml version="1.0" encoding="UTF-16"?>').replace('ö', '\u00f6'), 'latin1')),
      (e: unknown) => e instanceof XcapConflictError && e.conflict === 'not-utf-8',
    );
  });
});
