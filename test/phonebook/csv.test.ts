import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { contactToEntry, type Contact } from '../../src/phonebook/contacts.js';
import { parseCsv, readCsvContacts, writeCsv } from '../../src/phonebook/csv.js';
import { decodeTextFile } from '../../src/phonebook/text-file.js';

const fixture = (name: string) => decodeTextFile(readFileSync(join(import.meta.dirname, '../fixtures/phonebook', name)));
const props = (c: Contact) => Object.fromEntries(contactToEntry(c, { list: 'L' }).entry.props.map((p) => [p.name, p.value]));

describe('CSV import', () => {
  test('RFC 4180: quoted delimiters, doubled quotes, line breaks in fields, CRLF, a last line without a break', () => {
    assert.deepEqual(parseCsv('a,"b,c","d ""e""","f\r\ng"\r\nh,,i', ','), [
      ['a', 'b,c', 'd "e"', 'f\r\ng'],
      ['h', '', 'i'],
    ]);
  });

  test('Google Contacts: BOM, Phone n - Label/Value pairs, ::: multi-values, labels as categories', () => {
    const { contacts, warnings } = readCsvContacts(fixture('google-contacts.csv'));
    assert.deepEqual(warnings, []);
    assert.equal(contacts.length, 3);
    assert.deepEqual(props(contacts[0]!), {
      given_name: 'Ana María',
      surname: 'Núñez',
      profession: 'Arquitecta',
      company: 'Núñez Arquitectos',
      email_address: 'ana.nunez@example.es',
      mobile_number: '+34612550101',
      home_number: '+34915550102',
      business_number: '+34915550103',
      'business_number#1': '+34915550104',
      category: 'friend',
    });
    assert.equal(props(contacts[1]!).comment, 'Met at VoIP conference, booth 12\nAsk about "SIP trunks"');
    assert.equal(props(contacts[1]!).category, 'colleague');
    assert.equal(props(contacts[2]!).profession, 'Dr.');
  });

  test('Outlook: one column per number, Title as prefix, Job Title as profession, faxes skipped, Categories with ;', () => {
    const { contacts } = readCsvContacts(fixture('outlook-contacts.csv'));
    assert.equal(contacts.length, 2);
    const david = contactToEntry(contacts[0]!, { list: 'L' });
    assert.equal(david.entry.displayName, "David O'Neill");
    assert.deepEqual(props(contacts[0]!), {
      given_name: 'David',
      surname: "O'Neill",
      profession: 'Account Manager',
      company: 'Contoso Ltd.',
      email_address: 'david.oneill@contoso.example',
      comment: 'Prefers calls after 10am, never on Fridays',
      business_number: '+35315550140',
      'business_number#1': '+35315550141',
      mobile_number: '+353875550142',
      category: 'work',
      'category#1': 'vip',
    });
    assert.match(david.warnings.join('\n'), /fax number \+353 1 555 0149 skipped/);
    assert.deepEqual(props(contacts[1]!), {
      given_name: 'Eve',
      surname: 'Kowalska',
      email_address: 'eve@example.pl',
      home_number: '+48225550150',
      'home_number#1': '+48225550151',
      mobile_number: '+48601555015',
    });
  });

  test('German Outlook: semicolons, Windows-1252, a title line before the header, localized categories', () => {
    const { contacts, warnings } = readCsvContacts(fixture('outlook-de.csv'));
    assert.deepEqual(warnings, ['skipped 1 line(s) before the header row']);
    assert.equal(contacts.length, 2);
    const hildegard = props(contacts[0]!);
    assert.equal(hildegard.surname, 'Größmann');
    assert.equal(hildegard.company, 'Straßenbau Süd GmbH');
    assert.equal(hildegard.profession, 'Bauleiterin');
    assert.equal(hildegard.comment, 'Baustelle Königstraße; Rückruf');
    assert.equal(hildegard.category, 'work');
    const klaus = props(contacts[1]!);
    assert.equal(klaus.profession, undefined, 'Herr is a salutation, not a title');
    assert.equal(klaus.home_number, '07115550170');
    assert.equal(klaus.category, 'family');
  });

  test('a file without a recognisable header is reported, not guessed', () => {
    const { contacts, warnings } = readCsvContacts('foo,bar\n1,2\n');
    assert.equal(contacts.length, 0);
    assert.match(warnings[0]!, /no header row/);
  });

  test("xcapd's own CSV reads back to the same fields and an Excel sep= line is honoured", () => {
    const entries = [
      { id: 'A1', list: 'L', displayName: 'Max, "Maxi"', uri: null, props: [{ name: 'mobile_number', value: '0171' }, { name: 'mobile_number#1', value: '0172' }, { name: 'category', value: 'friend' }, { name: 'category#1', value: 'vip' }], extras: [] },
    ];
    const text = writeCsv({ lists: [], entries });
    assert.equal(text.split('\r\n')[0], 'entry_id,display_name,mobile_number,mobile_number#1,category,category#1');
    const back = readCsvContacts(`sep=,\r\n${text}`).contacts[0]!;
    const converted = contactToEntry(back, { list: 'L' });
    assert.equal(back.uid, 'A1');
    assert.equal(converted.entry.displayName, 'Max, "Maxi"');
    assert.deepEqual(props(back), { mobile_number: '0171', 'mobile_number#1': '0172', category: 'friend', 'category#1': 'vip' });
  });
});
