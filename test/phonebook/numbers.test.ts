import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { normalizeNumber, numberIdentity } from '../../src/phonebook/numbers.js';

describe('telephone number normalisation', () => {
  test('separators go, a leading + stays', () => {
    const cases: [string, string][] = [
      ['+1 (415) 555-0111', '+14155550111'],
      ['+1.415.555.0112', '+14155550112'],
      ['089 / 555 01 00', '0895550100'],
      ['0042/1', '00421'],
      ['030-555\u00a00177', '0305550177'],
      ['tel:+47-22-55-0100', '+4722550100'],
      ['**21#', '**21#'],
    ];
    for (const [raw, want] of cases) assert.deepEqual(normalizeNumber(raw), { value: want, note: null }, raw);
  });

  test('the (0) after a country code is dropped', () => {
    assert.equal(normalizeNumber('+49 (0)171 555-0101').value, '+491715550101');
    assert.equal(normalizeNumber('+44(0)20 7946 0018').value, '+442079460018');
  });

  test('with a country code, national and 00 spellings become international', () => {
    const de = { countryCode: '49' };
    assert.equal(normalizeNumber('0171 5550101', de).value, '+491715550101');
    assert.equal(normalizeNumber('0049 171 5550101', de).value, '+491715550101');
    assert.equal(normalizeNumber('+49 (0)171 555-0101', de).value, '+491715550101');
    assert.equal(normalizeNumber('110', de).value, '110');
    assert.equal(normalizeNumber('0171 5550101').value, '01715550101');
  });

  test('SIP addresses and text are left alone; text is reported', () => {
    assert.deepEqual(normalizeNumber('sip:bob@example.com'), { value: 'sip:bob@example.com', note: null });
    assert.deepEqual(normalizeNumber('bob@example.com'), { value: 'bob@example.com', note: null });
    const ext = normalizeNumber('+1 555 0100 ext. 12');
    assert.equal(ext.value, '+15550100ext12');
    assert.match(ext.note!, /not only digits/);
  });

  test('identities compare SIP addresses without scheme and case', () => {
    assert.equal(numberIdentity('sip:Bob@Example.com'), numberIdentity('bob@example.com'));
    assert.equal(numberIdentity('+49 89 555'), numberIdentity('+4989555'));
  });
});
