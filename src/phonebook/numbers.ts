/**
 * Telephone numbers as the phones should store them: one spelling per number, so
 * that the same number imported from two address books is recognisably the same
 * (Snom phones slow down badly on directories with duplicate numbers).
 *
 * - visual separators go: spaces, dashes, dots, slashes, parentheses;
 * - a leading `+` stays, and the `(0)` of `+49 (0)89 ...` (the national prefix,
 *   never dialled after a country code) is dropped with it;
 * - with a country code configured (`--country-code 49`), `00` + number becomes
 *   `+` + number and a national `0` + number becomes `+49` + number, so national
 *   and international spellings meet;
 * - SIP URIs and values that are not numbers are left as they are.
 */

export interface NumberOptions {
  /** E.g. '49'. When set, national and `00` numbers are written internationally. */
  readonly countryCode?: string;
  /** The prefix for international calls; '00' unless set. */
  readonly internationalPrefix?: string;
  /** The national trunk prefix; '0' unless set. */
  readonly nationalPrefix?: string;
}

export interface NormalizedNumber {
  readonly value: string;
  /** Why the value was left (partly) as written, if it was. */
  readonly note: string | null;
}

const SEPARATORS = /[\s\u00a0\u2000-\u200b\u2010-\u2015\-.\/()\[\]]/g;

export function isSipAddress(value: string): boolean {
  return /^sips?:/i.test(value) || /^[^\s@]+@[^\s@]+$/.test(value);
}

export function normalizeNumber(raw: string, options: NumberOptions = {}): NormalizedNumber {
  const trimmed = raw.trim();
  if (trimmed === '') return { value: '', note: null };
  if (isSipAddress(trimmed)) return { value: trimmed, note: null };
  let value = trimmed.replace(/^tel:/i, '');
  if (value.startsWith('+')) value = value.replace(/^\+\s*(\d{1,4})\s*\(0\)/, '+$1');
  value = value.replace(SEPARATORS, '');
  const cc = options.countryCode?.replace(/^\+/, '');
  if (cc) {
    const international = options.internationalPrefix ?? '00';
    const national = options.nationalPrefix ?? '0';
    if (value.startsWith(international)) value = `+${value.slice(international.length)}`;
    else if (national !== '' && value.startsWith(national) && /^\d/.test(value.slice(national.length))) value = `+${cc}${value.slice(national.length)}`;
  }
  if (/^\+?[0-9*#]+$/.test(value)) return { value, note: null };
  return { value, note: `number ${JSON.stringify(raw)} is not only digits; kept as ${JSON.stringify(value)}` };
}

/** The spelling two numbers are compared by, whatever was stored. */
export function numberIdentity(value: string, options: NumberOptions = {}): string {
  return isSipAddress(value) ? value.toLowerCase().replace(/^sips?:/, '') : normalizeNumber(value, options).value;
}
