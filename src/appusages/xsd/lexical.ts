/**
 * Lexical checks of the XSD built-in datatypes, as libxml2 makes them.
 *
 * They are applied to a value as the document has it (attribute values already
 * normalized by the XML parser, element text as written): like libxml2, each
 * check tolerates the white space its type collapses in its own way. Where that
 * differs from the XSD specification it is on purpose, to give libxml2's verdict:
 *
 * - date and time types accept trailing but not leading white space
 *   (`" 2024-01-01T00:00:00Z"` is refused, `"2024-01-01T00:00:00Z "` accepted),
 *   and xs:time, xs:date and the g* types accept neither;
 * - `NaN` and `INF` may not be followed by white space, and an exponent may have
 *   no digits (`1e`);
 * - base64Binary ignores characters outside the base64 alphabet;
 * - years and durations are C `long`s of a 32-bit build: components past
 *   2147483647 are refused.
 */
import { isNameChar, isNameStartChar } from '../../xcap/xml/escape.js';

/** The XML white space characters (XML 1.0 §2.3 S), which XSD normalization knows. */
export function isXmlBlank(c: number): boolean {
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d;
}

/** True when `s` is empty or only XML white space. */
export function isBlankString(s: string): boolean {
  for (let i = 0; i < s.length; i += 1) if (!isXmlBlank(s.charCodeAt(i))) return false;
  return true;
}

const XML_WHITESPACE = /[ \t\n\r]/;
const XML_WHITESPACE_RUN = /[ \t\n\r]+/g;
const REPLACED_WHITESPACE = /[\t\n\r]/g;

/** whiteSpace="collapse": runs of white space become one space, leading and trailing ones go. */
export function collapseWhitespace(value: string): string {
  if (!XML_WHITESPACE.test(value)) return value;
  const spaced = value.replace(XML_WHITESPACE_RUN, ' ');
  const start = spaced.charCodeAt(0) === 0x20 ? 1 : 0;
  const end = spaced.length > start && spaced.charCodeAt(spaced.length - 1) === 0x20 ? spaced.length - 1 : spaced.length;
  return spaced.slice(start, end);
}

/** whiteSpace="replace": tab, line feed and carriage return become spaces. */
export function replaceWhitespace(value: string): string {
  return value.replace(REPLACED_WHITESPACE, ' ');
}

/** Removes leading and trailing white space only. */
export function stripBlanks(value: string): string {
  let start = 0;
  let end = value.length;
  while (start < end && isXmlBlank(value.charCodeAt(start))) start += 1;
  while (end > start && isXmlBlank(value.charCodeAt(end - 1))) end -= 1;
  return start === 0 && end === value.length ? value : value.slice(start, end);
}

function skipBlanks(s: string, i: number): number {
  while (i < s.length && isXmlBlank(s.charCodeAt(i))) i += 1;
  return i;
}

function isDigitAt(s: string, i: number): boolean {
  const c = s.charCodeAt(i);
  return c >= 0x30 && c <= 0x39;
}

function digitAt(s: string, i: number): number {
  return s.charCodeAt(i) - 0x30;
}

export function isDecimal(s: string): boolean {
  let i = skipBlanks(s, 0);
  if (s[i] === '-' || s[i] === '+') i += 1;
  if (i >= s.length) return false;
  while (s[i] === '0') i += 1;
  const numberStart = i;
  let digits = 0;
  while (isDigitAt(s, i)) {
    i += 1;
    digits += 1;
  }
  if (s[i] === '.') i += 1;
  while (isDigitAt(s, i)) {
    i += 1;
    digits += 1;
  }
  // "." alone (or "+.") has no digit at all; "0." has its skipped zero.
  if (digits === 0 && (numberStart === 0 || s[numberStart - 1] !== '0')) return false;
  return skipBlanks(s, i) === s.length;
}

/** Bounds of the integer types, inclusive; undefined for an unbounded side. */
export interface IntegerRange {
  readonly min?: bigint;
  readonly max?: bigint;
}

/** xs:integer and its restrictions: optional sign, at least one digit, within `range`. */
export function isIntegerIn(s: string, range: IntegerRange): boolean {
  let i = skipBlanks(s, 0);
  let negative = false;
  if (s[i] === '-') {
    negative = true;
    i += 1;
  } else if (s[i] === '+') {
    i += 1;
  }
  const digitsStart = i;
  while (isDigitAt(s, i)) i += 1;
  if (i === digitsStart) return false;
  const digitsEnd = i;
  if (skipBlanks(s, i) !== s.length) return false;
  if (range.min === undefined && range.max === undefined) return true;
  const magnitude = BigInt(s.slice(digitsStart, digitsEnd));
  const value = negative ? -magnitude : magnitude;
  if (range.min !== undefined && value < range.min) return false;
  // positiveInteger refuses any minus sign, even on zero (which is refused anyway).
  return range.max === undefined || value <= range.max;
}

export function isBoolean(s: string): boolean {
  let i = skipBlanks(s, 0);
  if (s[i] === '0' || s[i] === '1') i += 1;
  else if (s.startsWith('true', i)) i += 4;
  else if (s.startsWith('false', i)) i += 5;
  else return false;
  return skipBlanks(s, i) === s.length;
}

/** xs:float and xs:double. */
export function isFloatingPoint(s: string): boolean {
  let i = skipBlanks(s, 0);
  if (s.startsWith('NaN', i)) return i + 3 === s.length;
  let negative = false;
  if (s[i] === '-') {
    negative = true;
    i += 1;
  }
  if (s.startsWith('INF', i)) return i + 3 === s.length;
  if (!negative && s[i] === '+') i += 1;
  if (i >= s.length || s[i] === '+' || s[i] === '-') return false;
  let digits = 0;
  while (isDigitAt(s, i)) {
    i += 1;
    digits += 1;
  }
  if (s[i] === '.') {
    i += 1;
    while (isDigitAt(s, i)) {
      i += 1;
      digits += 1;
    }
  }
  if (digits === 0) return false;
  if (s[i] === 'e' || s[i] === 'E') {
    i += 1;
    if (s[i] === '-' || s[i] === '+') i += 1;
    while (isDigitAt(s, i)) i += 1;
  }
  return skipBlanks(s, i) === s.length;
}

export function isHexBinary(s: string): boolean {
  let i = skipBlanks(s, 0);
  const start = i;
  while (/[0-9A-Fa-f]/.test(s[i] ?? '')) i += 1;
  const count = i - start;
  return skipBlanks(s, i) === s.length && count % 2 === 0;
}

function base64Value(c: string | undefined): number {
  if (c === undefined) return -1;
  const code = c.charCodeAt(0);
  if (code >= 0x41 && code <= 0x5a) return code - 0x41;
  if (code >= 0x61 && code <= 0x7a) return code - 0x61 + 26;
  if (code >= 0x30 && code <= 0x39) return code - 0x30 + 52;
  if (c === '+') return 62;
  if (c === '/') return 63;
  if (c === '=') return 64;
  return -1;
}

export function isBase64Binary(s: string): boolean {
  let i = 0;
  let count = 0;
  for (; i < s.length; i += 1) {
    const v = base64Value(s[i]);
    if (v === 64) break;
    if (v >= 0) count += 1;
  }
  let pad = 0;
  for (; i < s.length; i += 1) {
    const v = base64Value(s[i]);
    if (v >= 0 && v < 64) return false;
    if (v === 64) pad += 1;
  }
  if (pad === 0) return count % 4 === 0;
  if (pad > 2 || count % 4 !== (pad === 1 ? 3 : 2)) return false;
  // The last significant character must not carry bits beyond the encoded octets.
  let last = s.length - 1;
  while (last >= 0 && !(base64Value(s[last]) >= 0 && base64Value(s[last]) < 64)) last -= 1;
  return (base64Value(s[last]) & (pad === 1 ? ~0x3c : ~0x30)) === 0;
}

/** xs:language: [a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*, after collapsing. */
const LANGUAGE = /^[a-zA-Z]{1,8}(-[a-zA-Z0-9]{1,8})*$/;
export function isLanguage(s: string): boolean {
  return LANGUAGE.test(collapseWhitespace(s));
}

function nameLike(s: string, colons: boolean, first: (cp: number) => boolean): boolean {
  const value = stripBlanks(s);
  if (value.length === 0) return false;
  let i = 0;
  let initial = true;
  while (i < value.length) {
    const cp = value.codePointAt(i)!;
    if (cp === 0x3a && !colons) return false;
    if (!(initial ? first(cp) : isNameChar(cp))) return false;
    initial = false;
    i += cp > 0xffff ? 2 : 1;
  }
  return true;
}

/** xs:NCName (and ID, IDREF): a name without colons, white space around it tolerated. */
export function isNcNameLoose(s: string): boolean {
  return nameLike(s, false, isNameStartChar);
}

/** xs:QName's lexical form: an NCName, or two joined by a colon; white space around it tolerated. */
export function isQNameLoose(s: string): boolean {
  const value = stripBlanks(s);
  const colon = value.indexOf(':');
  if (colon < 0) return isNcNameLoose(value);
  return colon > 0 && isNcNameLoose(value.slice(0, colon)) && value.length > colon + 1 && isNcNameLoose(value.slice(colon + 1)) && !/[ \t\n\r]/.test(value);
}

/** xs:Name. */
export function isNameLoose(s: string): boolean {
  return nameLike(s, true, isNameStartChar);
}

/** xs:NMTOKEN. */
export function isNmtokenLoose(s: string): boolean {
  return nameLike(s, true, isNameChar);
}

/* ------------------------------------------------------------------------------------------------
 * Dates and times. The parse follows libxml2's: it tries, in order, the g-types written with a
 * leading "--", then xs:time, then a year-first form from the start of the string (which is why a
 * leading blank defeats it), and accepts the first form that is followed by a valid time zone and
 * the end of the value. The type found must be the type asked for.
 * ------------------------------------------------------------------------------------------------ */

export type DateTimeKind = 'dateTime' | 'date' | 'time' | 'gYear' | 'gYearMonth' | 'gMonth' | 'gMonthDay' | 'gDay';

const LONG_MAX = 2147483647;
const DAYS_IN_MONTH = [31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];
const DAYS_IN_MONTH_LEAP = [31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31];

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
}

function validMonthDay(year: number, month: number, day: number): boolean {
  return day <= (isLeap(year) ? DAYS_IN_MONTH_LEAP : DAYS_IN_MONTH)[month - 1]!;
}

interface DateFields {
  year: number;
  month: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  zoneMinutes: number;
}

class DateParser {
  i = 0;
  readonly f: DateFields = { year: 0, month: 0, day: 0, hour: 0, minute: 0, second: 0, zoneMinutes: 0 };

  constructor(readonly s: string) {}

  twoDigits(): number {
    if (!isDigitAt(this.s, this.i) || !isDigitAt(this.s, this.i + 1)) return -1;
    const value = digitAt(this.s, this.i) * 10 + digitAt(this.s, this.i + 1);
    this.i += 2;
    return value;
  }

  /** 0 when parsed, >0 when not. */
  month(): number {
    const m = this.twoDigits();
    if (m < 0) return 1;
    if (m < 1 || m > 12) return 2;
    this.f.month = m;
    return 0;
  }

  day(): number {
    const d = this.twoDigits();
    if (d < 0) return 1;
    if (d < 1 || d > 31) return 2;
    this.f.day = d;
    return 0;
  }

  year(): number {
    const s = this.s;
    const c = s[this.i];
    if (!(isDigitAt(s, this.i) || c === '-' || c === '+')) return 1;
    let negative = false;
    if (c === '-') {
      negative = true;
      this.i += 1;
    }
    const first = this.i;
    let year = 0;
    while (isDigitAt(s, this.i)) {
      const digit = digitAt(s, this.i);
      if (year > Math.floor(LONG_MAX / 10)) return 2;
      year *= 10;
      if (year > LONG_MAX - digit) return 2;
      year += digit;
      this.i += 1;
    }
    const count = this.i - first;
    if (count < 4 || (count > 4 && s[first] === '0')) return 1;
    this.f.year = negative ? -year : year;
    return this.f.year === 0 ? 2 : 0;
  }

  time(): number {
    const f = this.f;
    const hour = this.twoDigits();
    if (hour < 0) return 1;
    if (this.s[this.i] !== ':') return 1;
    if (hour > 24) return 2;
    this.i += 1;
    f.hour = hour;
    const minute = this.twoDigits();
    if (minute < 0) return 1;
    if (minute > 59) return 2;
    f.minute = minute;
    if (this.s[this.i] !== ':') return 1;
    this.i += 1;
    const whole = this.twoDigits();
    if (whole < 0) return 1;
    let second = whole;
    if (this.s[this.i] === '.') {
      this.i += 1;
      if (!isDigitAt(this.s, this.i)) return 1;
      // Summed in doubles exactly as libxml2 does, so that 59.99...9 rounds the same way.
      let scale = 1;
      while (isDigitAt(this.s, this.i)) {
        scale /= 10;
        second += digitAt(this.s, this.i) * scale;
        this.i += 1;
      }
    }
    f.second = second;
    return validTime(f) ? 0 : 2;
  }

  zone(): number {
    const c = this.s[this.i];
    if (c === undefined) return 0;
    if (c === 'Z') {
      this.i += 1;
      this.f.zoneMinutes = 0;
      return 0;
    }
    if (c !== '+' && c !== '-') return 1;
    this.i += 1;
    const hours = this.twoDigits();
    if (hours < 0) return 1;
    if (hours > 23) return 2;
    if (this.s[this.i] !== ':') return 1;
    this.i += 1;
    const minutes = this.twoDigits();
    if (minutes < 0) return 1;
    if (minutes > 59) return 2;
    const offset = (hours * 60 + minutes) * (c === '-' ? -1 : 1);
    if (offset < -840 || offset > 840) return 2;
    this.f.zoneMinutes = offset;
    return 0;
  }

  /** libxml2's RETURN_TYPE_IF_VALID: a time zone (or nothing) then the end makes `kind` the result. */
  endsAs(kind: DateTimeKind): DateTimeKind | 'error' | null {
    const c = this.s[this.i];
    if (!(c === undefined || c === 'Z' || c === '+' || c === '-')) return null;
    const saved = this.i;
    if (this.zone() === 0) return this.i === this.s.length ? kind : 'error';
    this.i = saved;
    return null;
  }
}

function validTime(f: DateFields): boolean {
  const endOfDay = f.hour === 24 && f.minute === 0 && f.second === 0;
  return (f.hour < 24 && f.minute < 60 && f.second >= 0 && f.second < 60) || endOfDay;
}

function parseDateTime(s: string, wanted: DateTimeKind): DateTimeKind | 'error' {
  const p = new DateParser(s);
  p.i = skipBlanks(s, 0);
  if (s[p.i] === '-' && s[p.i + 1] === '-') {
    p.i += 2;
    if (s[p.i] === '-') {
      if (wanted === 'gMonth') return 'error';
      p.i += 1;
      if (p.day() !== 0) return 'error';
      return p.endsAs('gDay') ?? 'error';
    }
    if (p.month() !== 0) return 'error';
    if (s[p.i] === '-') {
      const rewind = p.i;
      p.i += 1;
      if (p.day() === 0 && s[p.i] !== ':') {
        // The year is unknown (0), which the leap-year rule counts as leap: --02-29 is fine.
        if (validMonthDay(0, p.f.month, p.f.day)) return p.endsAs('gMonthDay') ?? 'error';
      }
      p.i = rewind;
    }
    return p.endsAs('gMonth') ?? 'error';
  }
  if (isDigitAt(s, p.i)) {
    const start = p.i;
    if (p.time() === 0) {
      const result = p.endsAs('time');
      if (result !== null) return result;
    }
    p.i = start;
  }
  p.i = 0;
  if (p.year() !== 0) return 'error';
  const asYear = p.endsAs('gYear');
  if (asYear !== null) return asYear;
  if (s[p.i] !== '-') return 'error';
  p.i += 1;
  if (p.month() !== 0) return 'error';
  const asYearMonth = p.endsAs('gYearMonth');
  if (asYearMonth !== null) return asYearMonth;
  if (s[p.i] !== '-') return 'error';
  p.i += 1;
  if (p.day() !== 0 || !validMonthDay(p.f.year, p.f.month, p.f.day)) return 'error';
  const asDate = p.endsAs('date');
  if (asDate !== null) return asDate;
  if (s[p.i] !== 'T') return 'error';
  p.i += 1;
  if (p.time() !== 0) return 'error';
  const zone = p.zone();
  p.i = skipBlanks(s, p.i);
  if (zone !== 0 || p.i !== s.length || !validTime(p.f)) return 'error';
  return 'dateTime';
}

export function isDateTimeOf(kind: DateTimeKind, s: string): boolean {
  return parseDateTime(s, kind) === kind;
}

/** xs:duration: -?P(nY)?(nM)?(nD)?(T(nH)?(nM)?(n(.n*)?S)?)?, at least one component. */
export function isDuration(s: string): boolean {
  let i = skipBlanks(s, 0);
  if (s[i] === '-') i += 1;
  if (s[i] !== 'P') return false;
  i += 1;
  if (i >= s.length) return false;
  const designators = ['Y', 'M', 'D', 'H', 'M', 'S'];
  let seq = 0;
  let months = 0;
  let days = 0;
  let seconds = 0;
  while (i < s.length) {
    if (seq >= designators.length) return false;
    if (s[i] === 'T') {
      if (seq > 3) return false;
      i += 1;
      seq = 3;
    } else if (seq === 3) {
      return false;
    }
    let num = 0;
    let hasDigits = false;
    let hasFraction = false;
    while (isDigitAt(s, i)) {
      const digit = digitAt(s, i);
      if (num > Math.floor(LONG_MAX / 10)) return false;
      num *= 10;
      if (num > LONG_MAX - digit) return false;
      num += digit;
      hasDigits = true;
      i += 1;
    }
    if (s[i] === '.') {
      i += 1;
      hasFraction = true;
      while (isDigitAt(s, i)) {
        hasDigits = true;
        i += 1;
      }
    }
    while (s[i] !== designators[seq]) {
      seq += 1;
      if (seq === 3 || seq === designators.length) return false;
    }
    i += 1;
    if (!hasDigits || (hasFraction && seq !== 5)) return false;
    // Components are accumulated the way libxml2 does, only to refuse the same overflows.
    switch (seq) {
      case 0:
        if (num > Math.floor(LONG_MAX / 12)) return false;
        months = num * 12;
        break;
      case 1:
        if (months > LONG_MAX - num) return false;
        months += num;
        break;
      case 2:
        days = num;
        break;
      case 3:
        if (days > LONG_MAX - Math.floor(num / 24)) return false;
        days += Math.floor(num / 24);
        seconds = (num % 24) * 3600;
        break;
      case 4:
        if (days > LONG_MAX - Math.floor(num / 1440)) return false;
        days += Math.floor(num / 1440);
        seconds += (num % 1440) * 60;
        break;
      case 5:
        if (days > LONG_MAX - Math.floor(num / 86400)) return false;
        days += Math.floor(num / 86400);
        seconds += num % 86400;
        break;
    }
    seq += 1;
  }
  return days <= LONG_MAX - Math.floor(seconds / 86400);
}
