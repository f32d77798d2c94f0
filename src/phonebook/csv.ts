/**
 * Contacts from CSV as Google Contacts (both its current and its older export),
 * Outlook (English and German column names) and xcapd itself write it, and phone
 * books written as CSV.
 *
 * RFC 4180 quoting (quoted fields may hold delimiters, quotes as `""` and line
 * breaks); the delimiter is `,`, `;` (Outlook in many locales) or a tab, found from
 * the header or an Excel `sep=` line; the header row is the first of the first ten
 * rows that names at least two known columns, so title lines before it are skipped.
 * Google's `::: ` separates several values in one cell.
 */
import { emptyContact, phoneKindOf, type Contact, type ContactPhone, type PhoneKind } from './contacts.js';
import { fieldRank, parseNumberField } from './fields.js';
import type { PhonebookModel } from './model.js';

export type CsvRow = string[];

/** Rows of CSV text (RFC 4180, with `delimiter`). */
export function parseCsv(text: string, delimiter: string): CsvRow[] {
  const rows: CsvRow[] = [];
  let row: string[] = [];
  let field = '';
  let quoted = false;
  let fieldStarted = false;
  for (let i = 0; i < text.length; i++) {
    const c = text[i]!;
    if (quoted) {
      if (c === '"') {
        if (text[i + 1] === '"') {
          field += '"';
          i++;
        } else {
          quoted = false;
        }
      } else {
        field += c;
      }
      continue;
    }
    if (c === '"' && !fieldStarted) {
      quoted = true;
      fieldStarted = true;
    } else if (c === delimiter) {
      row.push(field);
      field = '';
      fieldStarted = false;
    } else if (c === '\n' || c === '\r') {
      if (c === '\r' && text[i + 1] === '\n') i++;
      row.push(field);
      rows.push(row);
      row = [];
      field = '';
      fieldStarted = false;
    } else {
      field += c;
      fieldStarted = true;
    }
  }
  if (fieldStarted || row.length > 0) {
    row.push(field);
    rows.push(row);
  }
  return rows.filter((r) => r.some((f) => f.trim() !== ''));
}

/** An Excel `sep=` hint line, which names the delimiter and is not data. */
function sepHint(text: string): { delimiter: string; body: string } | null {
  const sep = /^sep=(.)\r?\n/i.exec(text);
  return sep ? { delimiter: sep[1]!, body: text.slice(sep[0].length) } : null;
}

type Column =
  | { readonly role: 'given' | 'family' | 'fullName' | 'prefix' | 'organization' | 'title' | 'note' | 'categories' | 'email' | 'uid' }
  | { readonly role: 'phone'; readonly kind: PhoneKind }
  | { readonly role: 'phoneValue' | 'phoneType'; readonly n: number }
  | { readonly role: 'ignored' };

const NAMED: Readonly<Record<string, Column['role']>> = {
  'first name': 'given', 'given name': 'given', vorname: 'given', given_name: 'given',
  'last name': 'family', 'family name': 'family', nachname: 'family', surname: 'family',
  name: 'fullName', 'display name': 'fullName', display_name: 'fullName', 'display-name': 'fullName', 'full name': 'fullName', anzeigename: 'fullName',
  'name prefix': 'prefix', title: 'prefix', titel: 'prefix', anrede: 'prefix',
  company: 'organization', 'organization name': 'organization', 'organization 1 - name': 'organization', firma: 'organization', organisation: 'organization',
  'job title': 'title', 'organization title': 'title', 'organization 1 - title': 'title', position: 'title', profession: 'title', beruf: 'title',
  notes: 'note', note: 'note', notizen: 'note', comment: 'note',
  categories: 'categories', labels: 'categories', 'group membership': 'categories', kategorien: 'categories', category: 'categories', 'category#1': 'categories',
  'e-mail address': 'email', 'e-mail 2 address': 'email', 'e-mail 3 address': 'email', email: 'email', 'e-mail': 'email', email_address: 'email',
  'e-mail-adresse': 'email', 'e-mail 2: adresse': 'email', 'e-mail 3: adresse': 'email',
  entry_id: 'uid', uid: 'uid',
};

/** Outlook's (and its German edition's) one-column-per-number layout. */
const PHONE_COLUMNS: Readonly<Record<string, PhoneKind>> = {
  'mobile phone': 'mobile', 'car phone': 'mobile', pager: 'mobile', mobiltelefon: 'mobile', autotelefon: 'mobile',
  'home phone': 'home', 'home phone 2': 'home', 'telefon privat': 'home', 'telefon privat 2': 'home',
  'business phone': 'business', 'business phone 2': 'business', 'company main phone': 'business', "assistant's phone": 'business',
  'telefon geschäftlich': 'business', 'telefon geschäftlich 2': 'business', 'telefon firma': 'business', 'telefon assistent': 'business',
  'other phone': 'other', 'primary phone': 'other', callback: 'other', 'radio phone': 'other', isdn: 'other', 'weiteres telefon': 'other', telefon: 'other', phone: 'other',
  'business fax': 'fax', 'home fax': 'fax', 'other fax': 'fax', 'fax geschäftlich': 'fax', 'fax privat': 'fax', 'weiteres fax': 'fax',
};

function columnOf(header: string): Column {
  const h = header.trim().toLowerCase().replace(/\s+/g, ' ');
  const named = NAMED[h];
  if (named !== undefined) return { role: named } as Column;
  const phone = PHONE_COLUMNS[h];
  if (phone !== undefined) return { role: 'phone', kind: phone };
  const google = /^phone (\d+) - (value|type|label)$/.exec(h);
  if (google) return { role: google[2] === 'value' ? 'phoneValue' : 'phoneType', n: Number(google[1]) };
  if (/^e-mail \d+ - value$/.test(h)) return { role: 'email' };
  const number = parseNumberField(h);
  if (number) return { role: 'phone', kind: number.field === 'sip_address' ? 'sip' : number.field === 'mobile_number' ? 'mobile' : number.field === 'home_number' ? 'home' : 'business' };
  return { role: 'ignored' };
}

/** Google puts several values in one cell: `+49 1 ::: +49 2`; labels as `* myContacts ::: Friends`. */
function cellValues(cell: string): string[] {
  return cell
    .split(':::')
    .map((v) => v.trim().replace(/^\* /, ''))
    .filter(Boolean);
}

export interface CsvReadResult {
  readonly contacts: Contact[];
  readonly warnings: string[];
}

/** The first of the first ten rows naming at least two known columns, and how many it names. */
function findHeader(rows: readonly CsvRow[]): { index: number; columns: Column[]; known: number } | null {
  for (let i = 0; i < Math.min(10, rows.length); i++) {
    const columns = rows[i]!.map(columnOf);
    const known = columns.filter((c) => c.role !== 'ignored').length;
    if (known >= 2) return { index: i, columns, known };
  }
  return null;
}

export function readCsvContacts(text: string): CsvReadResult {
  // The delimiter is the one under which a header row appears with the most known columns.
  const hint = sepHint(text);
  let best: { rows: CsvRow[]; header: NonNullable<ReturnType<typeof findHeader>> } | null = null;
  for (const delimiter of hint ? [hint.delimiter] : [',', ';', '\t']) {
    const rows = parseCsv(hint ? hint.body : text, delimiter);
    const header = findHeader(rows);
    if (header && (best === null || header.known > best.header.known)) best = { rows, header };
  }
  const warnings: string[] = [];
  const rows = best?.rows ?? [];
  const headerIndex = best?.header.index ?? -1;
  const columns = best?.header.columns ?? [];
  if (headerIndex < 0) return { contacts: [], warnings: ['no header row with known column names (First Name, Last Name, Mobile Phone, Phone 1 - Value, ...) in the first 10 rows'] };
  if (headerIndex > 0) warnings.push(`skipped ${headerIndex} line(s) before the header row`);
  const contacts: Contact[] = [];
  for (let r = headerIndex + 1; r < rows.length; r++) {
    const row = rows[r]!;
    const c = emptyContact(`row ${r + 1}`) as { -readonly [K in keyof Contact]: Contact[K] };
    const phones: ContactPhone[] = [];
    const googlePhones = new Map<number, { value?: string; type?: string }>();
    const emails: string[] = [];
    const categories: string[] = [];
    columns.forEach((column, i) => {
      const cell = (row[i] ?? '').trim();
      if (cell === '') return;
      switch (column.role) {
        case 'given': c.givenName = cell; break;
        case 'family': c.familyName = cell; break;
        case 'fullName': c.formattedName = cell; break;
        case 'prefix': c.prefix = cell; break;
        case 'organization': c.organization = cell; break;
        case 'title': c.title = cell; break;
        case 'note': c.note = cell; break;
        case 'uid': c.uid = cell; break;
        case 'email': emails.push(...cellValues(cell)); break;
        case 'categories': categories.push(...cellValues(cell).flatMap((v) => v.split(';')).map((v) => v.trim()).filter((v) => v !== '' && v.toLowerCase() !== 'mycontacts')); break;
        case 'phone': for (const v of cellValues(cell)) phones.push({ kind: column.kind, value: v }); break;
        case 'phoneValue': googlePhones.set(column.n, { ...googlePhones.get(column.n), value: cell }); break;
        case 'phoneType': googlePhones.set(column.n, { ...googlePhones.get(column.n), type: cell }); break;
        case 'ignored': break;
      }
    });
    for (const n of [...googlePhones.keys()].sort((a, b) => a - b)) {
      const g = googlePhones.get(n)!;
      for (const v of cellValues(g.value ?? '')) phones.push({ kind: phoneKindOf(g.type ? [g.type] : []), value: v });
    }
    c.phones = phones;
    c.emails = emails;
    c.categories = categories;
    contacts.push(c);
  }
  return { contacts, warnings };
}

// ---------------------------------------------------------------------------
// Writing

function quoteCsv(value: string): string {
  return /[",\r\n]/.test(value) || /^\s|\s$/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/**
 * A phone book as CSV in xcapd's own layout: one column per field name, as the
 * phones name them (`entry_id`, `display_name`, `given_name`, ..., `mobile_number#1`,
 * `category`), which `readCsvContacts` reads back.
 */
export function writeCsv(model: PhonebookModel): string {
  const names = new Set<string>();
  for (const e of model.entries) for (const p of e.props) names.add(p.name);
  const fields = [...names].sort((a, b) => fieldRank(a) - fieldRank(b) || (a < b ? -1 : 1));
  const header = ['entry_id', 'display_name', ...fields];
  const lines = [header.map(quoteCsv).join(',')];
  for (const e of model.entries) {
    const values = [e.id ?? '', e.displayName ?? '', ...fields.map((f) => e.props.find((p) => p.name === f)?.value ?? '')];
    lines.push(values.map(quoteCsv).join(','));
  }
  return `${lines.join('\r\n')}\r\n`;
}
