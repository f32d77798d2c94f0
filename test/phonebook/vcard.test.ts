import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { contactToEntry, type Contact } from '../../src/phonebook/contacts.js';
import { phonebookFromDocument } from '../../src/phonebook/model.js';
import { decodeTextFile } from '../../src/phonebook/text-file.js';
import { foldLine, readVcards, writeVcards } from '../../src/phonebook/vcard.js';
import { parseXmlDocument } from '../../src/xcap/xml/parser.js';

const fixture = (name: string) => decodeTextFile(readFileSync(join(import.meta.dirname, '../fixtures/phonebook', name)));
const fields = (c: Contact, numbers?: { countryCode: string }) => {
  const converted = contactToEntry(c, { list: 'Contact List', ...(numbers ? { numbers } : {}) });
  return { props: Object.fromEntries(converted.entry.props.map((p) => [p.name, p.value])), ...converted };
};

describe('vCard import', () => {
  test('Apple Contacts 3.0: folded lines, item1.TEL labels, several numbers per type, photo skipped, non-ASCII', () => {
    const { contacts, warnings } = readVcards(fixture('apple-contacts.vcf'));
    assert.deepEqual(warnings, []);
    assert.equal(contacts.length, 2);
    const [juergen, hanako] = contacts;
    assert.equal(juergen!.formattedName, 'Dr. Jürgen Müller');
    assert.equal(juergen!.uid, '6B29FC40-CA47-1067-B31D-00DD010662DA');
    assert.equal(juergen!.note, 'Ansprechpartner für Rahmenverträge, Termine bitte über das Sekretariat; Durchwahl siehe Zentrale. Sehr lange Notiz, damit die Zeile gefaltet wird.');
    assert.deepEqual(juergen!.phones.map((p) => p.kind), ['mobile', 'mobile', 'business', 'business', 'business', 'other', 'fax']);
    const { props, entry, warnings: w } = fields(juergen!, { countryCode: '49' });
    assert.deepEqual(props, {
      given_name: 'Jürgen',
      surname: 'Müller',
      profession: 'Einkaufsleiter',
      company: 'Müller & Söhne GmbH',
      email_address: 'j.mueller@mueller-soehne.de',
      comment: juergen!.note,
      mobile_number: '+491715550101',
      business_number: '+49895550100',
      'business_number#1': '+49895550199',
      'business_number#2': '+49895550150',
      'business_number#3': '+49305550177',
      category: 'work',
      'category#1': 'vip',
    });
    assert.equal(entry.displayName, 'Dr. Jürgen Müller');
    assert.match(entry.id!, /^[0-9A-F]{32}$/);
    assert.deepEqual(w, [
      'Dr. Jürgen Müller (card 1 (line 1)): the phones keep one e-mail address; dropped juergen@example.org',
      'Dr. Jürgen Müller (card 1 (line 1)): duplicate number +491715550101 (also mobile_number) imported once',
      'Dr. Jürgen Müller (card 1 (line 1)): fax number +49 89 555 0102 skipped',
    ]);
    const h = fields(hanako!);
    assert.equal(h.entry.displayName, '山田 花子');
    assert.deepEqual(h.props, {
      given_name: 'Hanako',
      surname: 'Yamada',
      home_number: '0355550123',
      'home_number#1': '0355550124',
      mobile_number: '09055550125',
      sip_address: 'sip:hanako@example.jp',
      category: 'family',
    });
  });

  test('Google 3.0: TYPE=CELL, X-ABLabel Work, myContacts ignored', () => {
    const { contacts } = readVcards(fixture('google-contacts.vcf'));
    const ana = fields(contacts[0]!);
    assert.equal(ana.entry.displayName, 'Ana María Núñez');
    assert.equal(ana.props['business_number#1'], '+34915550104');
    assert.equal(ana.props.category, 'friend');
    assert.deepEqual(ana.unmappedCategories, []);
    const bob = fields(contacts[1]!);
    assert.equal(bob.props.comment, 'Met at VoIP conference\nBooth 12');
    assert.equal(bob.props.category, 'colleague');
  });

  test('Nextcloud 4.0: VALUE=uri tel: numbers with quoted TYPE lists, IMPP sip:, data: photo', () => {
    const { contacts } = readVcards(fixture('nextcloud-v4.vcf'));
    const zoe = fields(contacts[0]!);
    assert.equal(zoe.entry.displayName, 'Zoë Ødegård');
    assert.deepEqual(zoe.props, {
      given_name: 'Zoë',
      surname: 'Ødegård',
      company: 'Fjord Telecom AS',
      email_address: 'zoe@fjord.example.no',
      mobile_number: '+4741255010',
      business_number: '+4722550100',
      'business_number#1': '+4722550101',
      sip_address: 'sip:zoe@fjord.example.no',
      category: 'colleague',
    });
  });

  test('Outlook 2.1: Windows-1252 file, quoted-printable with soft line breaks, bare types, unindented base64 photo', () => {
    const { contacts, warnings } = readVcards(fixture('outlook-2.1.vcf'));
    assert.deepEqual(warnings, []);
    assert.equal(contacts.length, 1);
    const joerg = fields(contacts[0]!);
    assert.equal(joerg.entry.displayName, 'Jörg Bäcker');
    assert.equal(joerg.props.company, 'Backstube Zürich AG');
    assert.equal(joerg.props.comment, 'Grüße an das Büro in Zürich; Rückruf erwünscht zwischen 9 und 12 Uhr bitte');
    assert.equal(joerg.props.email_address, 'joerg@backstube.example.ch');
    assert.equal(joerg.props.business_number, '0445550120');
    assert.equal(joerg.props.mobile_number, '0795550121');
    assert.deepEqual(joerg.warnings, ['Jörg Bäcker (card 1 (line 1)): fax number 044 555 01 22 skipped']);
  });

  test('the entry_id comes from the UID, so a changed contact keeps its id; a 32-hex UID is the id', () => {
    const card = (uid: string, tel: string) => `BEGIN:VCARD\r\nVERSION:3.0\r\nUID:${uid}\r\nFN:X\r\nTEL:${tel}\r\nEND:VCARD\r\n`;
    const a = fields(readVcards(card('abc-1', '1')).contacts[0]!).entry.id;
    const b = fields(readVcards(card('abc-1', '2')).contacts[0]!).entry.id;
    assert.equal(a, b);
    assert.equal(fields(readVcards(card('534bb0bc2dda09e2567c5d8d5b2c0120', '1')).contacts[0]!).entry.id, '534BB0BC2DDA09E2567C5D8D5B2C0120');
  });

  test('export writes vCard 3.0 that reads back to the same entries', () => {
    const source = readFileSync(join(import.meta.dirname, '../fixtures/documents/snom-tbook.xml'), 'utf8');
    const model = phonebookFromDocument(parseXmlDocument(source));
    const text = writeVcards(model);
    assert.match(text, /^BEGIN:VCARD\r\nVERSION:3\.0\r\nUID:534BB0BC2DDA09E2567C5D8D5B2C0120\r\nFN:Testentry\r\nN:Mustermann;Max;;;\r\n/);
    assert.match(text, /TEL;TYPE=HOME:0042\/4\r\n/);
    assert.match(text, /TEL;TYPE=X-SIP:0042\/1\r\n/);
    const back = fields(readVcards(text).contacts[0]!);
    assert.equal(back.entry.id, '534BB0BC2DDA09E2567C5D8D5B2C0120');
    assert.deepEqual(back.props, {
      given_name: 'Max',
      surname: 'Mustermann',
      profession: 'Dr.',
      company: 'crashtestdummy',
      email_address: 'max@mustermann.de',
      comment: 'demonstrating xcap',
      sip_address: '00421',
      mobile_number: '00422',
      home_number: '00423',
      'home_number#1': '00424',
      business_number: '00425',
      'business_number#1': '00426',
      category: 'work',
    });
  });

  test('lines fold at 75 octets without splitting a character', () => {
    const folded = foldLine(`NOTE:${'ä'.repeat(60)}`);
    for (const line of folded.split('\r\n')) assert.ok(Buffer.byteLength(line) <= 75);
    assert.equal(folded.split('\r\n').map((l, i) => (i === 0 ? l : l.slice(1))).join(''), `NOTE:${'ä'.repeat(60)}`);
  });
});
