/**
 * The built-in types and the simple types of our schemas give libxml2's verdicts on
 * values chosen around their edges (white space, signs, bounds, calendars) and on
 * random ones.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { CONTEXTS, assertSameValueVerdicts, builtinContext, pieces, sample } from './values.js';

const SPACES = ['', ' ', '\t', '\n'];

function padded(values: readonly string[]): string[] {
  return values.flatMap((v) => SPACES.flatMap((before) => SPACES.map((after) => `${before}${v}${after}`)));
}

function exercised(result: { accepted: number; refused: number }): void {
  assert.ok(result.accepted > 0 && result.refused > 0, JSON.stringify(result));
}

const DATE_PIECES = ['0', '1', '2', '9', '12', '24', '29', '30', '31', '59', '60', '2024', '0000', '-', ':', 'T', 'Z', '+', '.', ' ', '14:00', '-02-29'];

const dateTimes = fc.oneof(
  fc
    .tuple(
      fc.constantFrom('2024', '2023', '1900', '2000', '0001', '0000', '-0001', '12024', '02024', '+2024', '2147483647', '2147483648'),
      fc.constantFrom('01', '02', '12', '13', '00', '1'),
      fc.constantFrom('01', '28', '29', '30', '31', '32', '00'),
      fc.constantFrom('00', '23', '24', '25', '9'),
      fc.constantFrom('00', '59', '60'),
      fc.constantFrom('00', '59', '60', '59.999', '00.', '30.5', '59.99999999999999999'),
      fc.constantFrom('', 'Z', 'z', '+14:00', '-14:00', '+14:01', '+05:30', '-13:60', '+1:00', '+24:00', ' Z'),
    )
    .map(([y, mo, d, h, mi, s, z]) => `${y}-${mo}-${d}T${h}:${mi}:${s}${z}`),
  pieces(DATE_PIECES, 10),
);

describe('the simple types of our schemas, in their schemas', () => {
  test('xs:dateTime in element content and in attributes', () => {
    const values = [...padded(['2024-01-01T00:00:00Z', '2024-02-29T24:00:00']), ...sample(dateTimes, 400)];
    exercised(assertSameValueVerdicts(CONTEXTS.dateTimeText, values));
    exercised(assertSameValueVerdicts(CONTEXTS.dateTimeAttribute, values));
  });

  test('xs:boolean (through a restriction) and an xs:token enumeration', () => {
    const words = ['true', 'false', '0', '1', 'TRUE', 'yes', 't', 'allow', 'block', 'polite-block', 'polite  block', 'confirm'];
    const values = [...padded(words), ...sample(pieces([...words, ' ', '-', 'x']), 150)];
    exercised(assertSameValueVerdicts(CONTEXTS.booleanText, values));
    exercised(assertSameValueVerdicts(CONTEXTS.tokenEnumerationText, values));
  });

  test('xs:integer, xs:positiveInteger and xs:nonNegativeInteger', () => {
    const numbers = ['0', '-0', '+0', '1', '-1', '+5', '007', '123456789012345678901234567890', '1.0', '1e3', '+', '-', '', '- 1', '1 2', '٣'];
    const values = [...padded(numbers), ...sample(pieces(['0', '1', '9', '-', '+', ' ', '.', 'e']), 200)];
    exercised(assertSameValueVerdicts(CONTEXTS.integerText, values));
    exercised(assertSameValueVerdicts(CONTEXTS.positiveIntegerAttribute, values));
    exercised(assertSameValueVerdicts(CONTEXTS.nonNegativeIntegerAttribute, values));
  });

  test('the PIDF q-value: xs:decimal restricted by two patterns', () => {
    const numbers = ['0', '1', '0.5', '0.', '1.', '.5', '0.123', '0.1234', '1.000', '1.001', '00.5', '0x5', '0,5', '+0.5', '-0', '1.0000'];
    const values = [...padded(numbers), ...sample(pieces(['0', '1', '5', '.', '+', '-', ' ', 'x']), 200)];
    exercised(assertSameValueVerdicts(CONTEXTS.qvalueAttribute, values));
  });

  test('xs:ID, xml:id, the xml:lang union and the xml:space enumeration', () => {
    const names = ['a', '1a', 'a:b', '_x', 'a-b.c', 'é', 'Ĳ', '·a', 'a·', 'en', 'en-US', 'en-', '-en', 'x-1-2', 'abcdefghi', 'default', 'preserve', ''];
    const values = [...padded(names), ...sample(pieces(['a', 'Z', '1', '-', '_', '.', ':', ' ', 'é', '·']), 200)];
    exercised(assertSameValueVerdicts(CONTEXTS.idAttribute, values));
    exercised(assertSameValueVerdicts(CONTEXTS.xmlId, values));
    exercised(assertSameValueVerdicts(CONTEXTS.languageUnionAttribute, values));
    exercised(assertSameValueVerdicts(CONTEXTS.ncNameEnumerationAttribute, values));
  });
});

describe('every built-in type, reached through xsi:type', () => {
  const cases: ReadonlyArray<readonly [type: string, values: readonly string[], alphabet: readonly string[]]> = [
    ['string', ['', ' a ', '\t'], ['a', ' ']],
    ['normalizedString', ['a\tb', ' a '], ['a', '\t', ' ']],
    ['token', [' a  b ', '\n'], ['a', ' ', '\n']],
    ['language', ['en', 'en-US', '', 'x-1'], ['a', '-', '1', ' ']],
    ['NMTOKEN', ['a:b', '-1', '', 'a b'], ['a', ':', '-', ' ', '1']],
    ['Name', ['a:b', ':a', '1a', ''], ['a', ':', '1', '-']],
    ['NCName', ['a', 'a:b', '_1'], ['a', ':', '1', '_']],
    ['anyURI', ['a b', '%zz', 'sip:a@b'], ['a', ':', '/', '%', '#', ' ']],
    ['boolean', ['true', ' 1 ', 'no'], ['true', 'false', '0', ' ']],
    ['decimal', ['1.5', '.5', '5.', '.', '+', '-0.0'], ['1', '.', '-', '+', ' ']],
    ['integer', ['-5', '5.0'], ['1', '-', '+', ' ']],
    ['nonPositiveInteger', ['0', '-1', '1', '+0'], ['0', '1', '-', '+']],
    ['negativeInteger', ['-1', '-0', '0'], ['0', '1', '-']],
    ['long', ['9223372036854775807', '9223372036854775808', '-9223372036854775808'], ['9', '2', '-']],
    ['int', ['2147483647', '2147483648', '-2147483648'], ['2', '1', '4', '-']],
    ['short', ['32767', '32768', '-32768'], ['3', '2', '7', '8', '-']],
    ['byte', ['127', '128', '-128', '-129'], ['1', '2', '8', '-']],
    ['unsignedLong', ['18446744073709551615', '18446744073709551616', '-0'], ['1', '8', '-']],
    ['unsignedInt', ['4294967295', '4294967296'], ['4', '9', '6']],
    ['unsignedShort', ['65535', '65536', '-1'], ['6', '5', '-']],
    ['unsignedByte', ['255', '256', '-0'], ['2', '5', '6', '-']],
    ['positiveInteger', ['1', '0', '+1'], ['0', '1', '+', '-']],
    ['nonNegativeInteger', ['0', '-0', '-1'], ['0', '1', '-']],
    ['float', ['NaN', 'NaN ', ' NaN', '-INF', '+INF', 'INF', '1e', '1e5', '.5e-3', '.', 'e5'], ['1', '.', 'e', 'E', '-', '+', 'NaN', 'INF', ' ']],
    ['double', ['1.5E300', '-0'], ['1', '.', 'e', '-', ' ']],
    ['duration', ['P1Y', 'PT1H', 'P', 'PT', '-P1D', 'P1.5D', 'PT1.5S', 'P1Y2M3DT4H5M6.7S', ' P1D', 'P1D ', 'P2147483648D'], ['P', 'T', '1', 'Y', 'M', 'D', 'H', 'S', '.', '-']],
    ['dateTime', ['2024-01-01T00:00:00'], DATE_PIECES],
    ['date', ['2024-02-29', '2023-02-29', '2024-01-01Z', ' 2024-01-01', '2024-01-01 '], DATE_PIECES],
    ['time', ['12:00:00', '24:00:00', ' 12:00:00', '12:00:00 ', '12:00:00+01:00'], DATE_PIECES],
    ['gYear', ['2024', '-2024', '0000', '2024Z', '2024+14:00'], DATE_PIECES],
    ['gYearMonth', ['2024-12', '2024-13', '2024-01Z'], DATE_PIECES],
    ['gMonth', ['--12', '--13', '--01Z', '--01-'], DATE_PIECES],
    ['gMonthDay', ['--02-29', '--02-30', '--12-31Z', '--12-31-05:00'], DATE_PIECES],
    ['gDay', ['---31', '---32', '---01Z'], DATE_PIECES],
    ['hexBinary', ['', '0aFf', '0aF', ' 0a ', 'g0'], ['0', 'a', 'F', 'g', ' ']],
    ['QName', ['x:y', 'y', ' x:y', 'x:y ', ' y ', 'q:y', 'x:y:z', ':y', 'x:', 'x: y'], ['x', ':', 'y', 'q', ' ', '1']],
    ['base64Binary', ['', 'QUJD', 'QUI=', 'QQ==', 'QUJ=', 'QR==', 'Q===', 'QU JD', 'QUJD!'], ['Q', 'U', 'J', 'D', '=', ' ', '!', '+', '/']],
  ];
  for (const [type, values, alphabet] of cases) {
    test(`xs:${type}`, () => {
      assertSameValueVerdicts(builtinContext(type), [...padded(values), ...sample(pieces(alphabet, 10), 120)]);
    });
  }
});
