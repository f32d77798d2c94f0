/**
 * A contact as address books export it (vCard, CSV), and how it becomes a phone
 * book entry: names, company, title, one e-mail, a note, numbers by kind
 * (`mobile_number`, `mobile_number#1`, ...), category, and a stable entry_id.
 */
import {
  CATEGORY2_FIELD,
  CATEGORY_FIELD,
  categoryOf,
  numberFieldName,
  secondCategoryOf,
  type NumberField,
} from './fields.js';
import { deriveEntryId, type PhonebookEntry, type Prop } from './model.js';
import { isSipAddress, normalizeNumber, numberIdentity, type NumberOptions } from './numbers.js';

export type PhoneKind = 'mobile' | 'home' | 'business' | 'sip' | 'fax' | 'other';

export interface ContactPhone {
  readonly kind: PhoneKind;
  readonly value: string;
}

export interface Contact {
  /** Where in the file it came from, for warnings: `card 3 (line 41)`, `row 7`. */
  readonly source: string;
  readonly uid: string | null;
  readonly formattedName: string | null;
  readonly givenName: string | null;
  readonly familyName: string | null;
  readonly prefix: string | null;
  readonly organization: string | null;
  readonly title: string | null;
  readonly emails: readonly string[];
  readonly note: string | null;
  readonly categories: readonly string[];
  readonly phones: readonly ContactPhone[];
}

export function emptyContact(source: string): Contact {
  return {
    source,
    uid: null,
    formattedName: null,
    givenName: null,
    familyName: null,
    prefix: null,
    organization: null,
    title: null,
    emails: [],
    note: null,
    categories: [],
    phones: [],
  };
}

const KIND_FIELDS: Readonly<Record<Exclude<PhoneKind, 'fax' | 'sip'>, NumberField>> = {
  mobile: 'mobile_number',
  home: 'home_number',
  business: 'business_number',
  // A number of no particular kind is taken as the business number: an office directory's default.
  other: 'business_number',
};

/** The kind a vCard TYPE, an Apple/Google label or a CSV column word names. */
export function phoneKindOf(words: readonly string[]): PhoneKind {
  const w = words.map((x) => x.toLowerCase().replace(/^_\$!<|>!\$_$/g, '').trim());
  if (w.some((x) => /fax/.test(x))) return 'fax';
  if (w.some((x) => ['x-sip', 'sip'].includes(x))) return 'sip';
  if (w.some((x) => ['cell', 'mobile', 'iphone', 'handy', 'mobil', 'mobiltelefon', 'portable', 'móvil', 'cellulare', 'car', 'pager'].includes(x))) return 'mobile';
  if (w.some((x) => ['home', 'privat', 'private', 'zuhause', 'domicile', 'casa'].includes(x))) return 'home';
  if (w.some((x) => ['work', 'business', 'office', 'arbeit', 'büro', 'geschäftlich', 'dienstlich', 'travail', 'main', 'company', 'company main'].includes(x))) return 'business';
  return 'other';
}

export interface EntryFromContact {
  readonly entry: PhonebookEntry;
  readonly warnings: string[];
  /** Categories of the contact that mean nothing to the phones. */
  readonly unmappedCategories: string[];
}

export interface ContactConversionOptions {
  readonly list: string;
  readonly numbers?: NumberOptions;
}

/** Name prefixes that are a form of address, not a title worth showing (Dr. and Prof. are). */
const SALUTATIONS = /^(mr|mrs|ms|miss|mx|herr|frau|fr|hr|m|mme|mlle|sr|sra|srta|sig|sig\.ra|dhr|mevr)\.?$/i;

function clean(value: string | null | undefined): string {
  return (value ?? '').replace(/\s+/g, ' ').trim();
}

export function displayNameOf(c: Contact): string {
  return (
    clean(c.formattedName) ||
    [clean(c.givenName), clean(c.familyName)].filter(Boolean).join(' ') ||
    clean(c.organization) ||
    clean(c.phones[0]?.value) ||
    clean(c.emails[0])
  );
}

/**
 * The entry_id of a contact: its vCard UID (as is when it already has the phones'
 * 32-hex form, hashed otherwise), or a hash of its name and company. Either way a
 * re-import of the same contact finds the entry it made last time.
 */
export function entryIdOf(c: Contact): string {
  const uid = clean(c.uid);
  if (/^[0-9A-Fa-f]{32}$/.test(uid)) return uid.toUpperCase();
  if (uid !== '') return deriveEntryId(`uid:${uid}`);
  return deriveEntryId(`name:${displayNameOf(c).toLowerCase()}|${clean(c.organization).toLowerCase()}`);
}

export function contactToEntry(c: Contact, options: ContactConversionOptions): EntryFromContact {
  const warnings: string[] = [];
  const unmappedCategories: string[] = [];
  const name = displayNameOf(c);
  const props: Prop[] = [];
  const add = (field: string, value: string | null | undefined) => {
    const v = clean(value);
    if (v !== '') props.push({ name: field, value: v });
  };
  add('given_name', c.givenName);
  add('surname', c.familyName);
  add('profession', c.title || (SALUTATIONS.test(clean(c.prefix)) ? '' : c.prefix));
  add('company', c.organization);
  const emails = c.emails.map(clean).filter(Boolean);
  add('email_address', emails[0]);
  if (emails.length > 1) warnings.push(`${name} (${c.source}): the phones keep one e-mail address; dropped ${emails.slice(1).join(', ')}`);
  const note = (c.note ?? '').trim();
  if (note !== '') props.push({ name: 'comment', value: note });

  const counts = new Map<NumberField, number>();
  const seen = new Map<string, string>();
  for (const phone of c.phones) {
    if (phone.kind === 'fax') {
      warnings.push(`${name} (${c.source}): fax number ${phone.value} skipped`);
      continue;
    }
    const normalized = normalizeNumber(phone.value, options.numbers);
    if (normalized.value === '') continue;
    if (normalized.note) warnings.push(`${name} (${c.source}): ${normalized.note}`);
    const identity = numberIdentity(normalized.value, options.numbers);
    const field = phone.kind === 'sip' || isSipAddress(normalized.value) ? 'sip_address' : KIND_FIELDS[phone.kind];
    const earlier = seen.get(identity);
    if (earlier !== undefined) {
      warnings.push(`${name} (${c.source}): duplicate number ${normalized.value} (also ${earlier}) imported once`);
      continue;
    }
    const index = counts.get(field) ?? 0;
    counts.set(field, index + 1);
    seen.set(identity, numberFieldName(field, index));
    props.push({ name: numberFieldName(field, index), value: normalized.value });
  }

  let category: string | null = null;
  let second: string | null = null;
  for (const raw of c.categories) {
    const value = clean(raw);
    // Google's system group, on every contact it exports.
    if (value === '' || value.toLowerCase() === 'mycontacts') continue;
    const meant = categoryOf(value);
    const flag = secondCategoryOf(value);
    if (meant !== null && category === null) category = meant;
    else if (flag !== null && second === null) second = flag;
    else if (meant === null && flag === null) unmappedCategories.push(value);
  }
  if (category !== null) props.push({ name: CATEGORY_FIELD, value: category });
  if (second !== null) props.push({ name: CATEGORY2_FIELD, value: second });

  return {
    entry: { id: entryIdOf(c), list: options.list, displayName: name === '' ? null : name, uri: null, props, extras: [] },
    warnings,
    unmappedCategories,
  };
}
