/**
 * vCard 2.1, 3.0 (RFC 2426) and 4.0 (RFC 6350) as address books export them —
 * CardDAV servers, Google, Apple, Outlook — read into contacts, and phone books
 * written out as vCard 3.0, which all of them import.
 *
 * Read: folded lines; `TEL;TYPE=CELL,VOICE`, `TEL;TYPE=home;TYPE=voice`, bare 2.1
 * types (`TEL;CELL`), 4.0 `VALUE=uri` numbers (`tel:+1...`); Apple/Google
 * `item1.TEL` with its `item1.X-ABLabel`; quoted-printable (with soft line breaks)
 * in any CHARSET; `\,` `\;` `\n` escapes; IMPP/X-SIP SIP addresses. PHOTO, LOGO,
 * SOUND and KEY are skipped, including 2.1's unindented base64 lines.
 */
import { emptyContact, phoneKindOf, type Contact, type ContactPhone } from './contacts.js';
import { parseNumberField } from './fields.js';
import { propValue, type PhonebookEntry, type PhonebookModel } from './model.js';
import { isSipAddress } from './numbers.js';

interface ContentLine {
  readonly group: string | null;
  readonly name: string;
  readonly params: ReadonlyMap<string, readonly string[]>;
  /** TYPE values and bare 2.1 parameters, lower-cased. */
  readonly types: readonly string[];
  readonly value: string;
}

export interface VcardReadResult {
  readonly contacts: Contact[];
  readonly warnings: string[];
}

const SKIPPED = new Set(['PHOTO', 'LOGO', 'SOUND', 'KEY']);

/** Splits at `separator` outside double quotes. */
function splitOutsideQuotes(s: string, separator: string): string[] {
  const out: string[] = [];
  let quoted = false;
  let start = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (c === '"') quoted = !quoted;
    else if (c === separator && !quoted) {
      out.push(s.slice(start, i));
      start = i + 1;
    }
  }
  out.push(s.slice(start));
  return out;
}

function unquote(s: string): string {
  return s.length >= 2 && s.startsWith('"') && s.endsWith('"') ? s.slice(1, -1) : s;
}

function parseContentLine(line: string): ContentLine | null {
  let quoted = false;
  let colon = -1;
  for (let i = 0; i < line.length; i++) {
    if (line[i] === '"') quoted = !quoted;
    else if (line[i] === ':' && !quoted) {
      colon = i;
      break;
    }
  }
  if (colon <= 0) return null;
  const [head = '', ...rawParams] = splitOutsideQuotes(line.slice(0, colon), ';');
  const dot = head.lastIndexOf('.');
  const group = dot > 0 ? head.slice(0, dot) : null;
  const name = head.slice(dot + 1).toUpperCase();
  const params = new Map<string, string[]>();
  const types: string[] = [];
  for (const raw of rawParams) {
    const eq = raw.indexOf('=');
    const key = (eq < 0 ? 'TYPE' : raw.slice(0, eq)).trim().toUpperCase();
    const values = eq < 0 ? [raw] : splitOutsideQuotes(raw.slice(eq + 1), ',').flatMap((v) => unquote(v.trim()).split(','));
    const list = params.get(key) ?? [];
    list.push(...values.map((v) => v.trim()).filter(Boolean));
    params.set(key, list);
    if (key === 'TYPE') types.push(...values.map((v) => v.trim().toLowerCase()).filter(Boolean));
  }
  // 2.1 writes QUOTED-PRINTABLE and BASE64 as bare parameters.
  for (const t of types) if (t === 'quoted-printable' || t === 'base64') params.set('ENCODING', [t]);
  return { group, name, params, types, value: line.slice(colon + 1) };
}

function param(line: ContentLine, key: string): string | undefined {
  return line.params.get(key)?.[0];
}

function isQuotedPrintable(line: ContentLine): boolean {
  return param(line, 'ENCODING')?.toLowerCase() === 'quoted-printable';
}

function decodeQuotedPrintable(value: string, charset: string | undefined): string {
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '=' && /^[0-9A-Fa-f]{2}$/.test(value.slice(i + 1, i + 3))) {
      bytes.push(parseInt(value.slice(i + 1, i + 3), 16));
      i += 2;
    } else {
      for (const b of Buffer.from(c, 'utf8')) bytes.push(b);
    }
  }
  const data = Uint8Array.from(bytes);
  try {
    return new TextDecoder(charset ?? 'utf-8').decode(data);
  } catch {
    return new TextDecoder('utf-8').decode(data);
  }
}

/** Splits a structured value (N, ORG, lists) at unescaped `separator` and unescapes each part. */
function splitEscaped(value: string, separator: ';' | ','): string[] {
  const parts: string[] = [];
  let current = '';
  for (let i = 0; i < value.length; i++) {
    const c = value[i]!;
    if (c === '\\' && i + 1 < value.length) {
      const next = value[i + 1]!;
      current += next === 'n' || next === 'N' ? '\n' : next;
      i++;
    } else if (c === separator) {
      parts.push(current);
      current = '';
    } else {
      current += c;
    }
  }
  parts.push(current);
  return parts;
}

function unescapeText(value: string): string {
  return value.replace(/\\([\\,;:nN])/g, (_, c: string) => (c === 'n' || c === 'N' ? '\n' : c));
}

interface Logical {
  readonly text: string;
  readonly line: number;
}

/** Physical lines → content lines: unfolding, QP soft line breaks, 2.1 base64 continuation lines. */
function logicalLines(text: string): Logical[] {
  const physical = text.split(/\r\n|\n|\r/);
  const out: { text: string; line: number }[] = [];
  const headOf = (t: string) => t.slice(0, Math.max(0, t.indexOf(':'))).toUpperCase();
  for (let i = 0; i < physical.length; i++) {
    const raw = physical[i]!;
    const last = out[out.length - 1];
    if (last && (raw.startsWith(' ') || raw.startsWith('\t'))) {
      last.text += raw.slice(1);
      continue;
    }
    if (last && /QUOTED-PRINTABLE/.test(headOf(last.text)) && last.text.endsWith('=')) {
      last.text = last.text.slice(0, -1) + raw;
      continue;
    }
    if (last && /BASE64|ENCODING=B\b/.test(headOf(last.text)) && /^[A-Za-z0-9+/=]+$/.test(raw)) {
      last.text += raw;
      continue;
    }
    if (raw.trim() === '') continue;
    out.push({ text: raw, line: i + 1 });
  }
  return out;
}

interface PendingPhone {
  readonly value: string;
  readonly types: readonly string[];
  readonly group: string | null;
  readonly sip: boolean;
}

export function readVcards(text: string): VcardReadResult {
  const contacts: Contact[] = [];
  const warnings: string[] = [];
  let card: { contact: Contact; phones: PendingPhone[]; labels: Map<string, string> } | null = null;
  let cardNumber = 0;
  let depth = 0;
  for (const { text: lineText, line } of logicalLines(text)) {
    const parsed = parseContentLine(lineText);
    if (parsed === null) {
      if (card) warnings.push(`line ${line}: not a vCard property, skipped: ${lineText.slice(0, 40)}`);
      continue;
    }
    const upperValue = parsed.value.trim().toUpperCase();
    if (parsed.name === 'BEGIN' && upperValue === 'VCARD') {
      depth++;
      // A nested card (2.1 AGENT) is skipped with its parent's properties untouched.
      if (depth === 1) {
        cardNumber++;
        card = { contact: emptyContact(`card ${cardNumber} (line ${line})`), phones: [], labels: new Map() };
      }
      continue;
    }
    if (parsed.name === 'END' && upperValue === 'VCARD') {
      depth = Math.max(0, depth - 1);
      if (depth === 0 && card) {
        contacts.push(finishCard(card));
        card = null;
      }
      continue;
    }
    if (card === null || depth !== 1 || SKIPPED.has(parsed.name)) continue;
    const raw = isQuotedPrintable(parsed) ? decodeQuotedPrintable(parsed.value, param(parsed, 'CHARSET')) : parsed.value;
    const c = card.contact as { -readonly [K in keyof Contact]: Contact[K] };
    switch (parsed.name) {
      case 'FN':
        c.formattedName = unescapeText(raw);
        break;
      case 'N': {
        const [family = '', given = '', , prefix = ''] = splitEscaped(raw, ';');
        c.familyName = family;
        c.givenName = given;
        c.prefix = prefix;
        break;
      }
      case 'ORG':
        c.organization = splitEscaped(raw, ';')[0] ?? '';
        break;
      case 'TITLE':
        c.title = unescapeText(raw);
        break;
      case 'EMAIL':
        c.emails = [...c.emails, unescapeText(raw).trim()];
        break;
      case 'NOTE':
        c.note = unescapeText(raw);
        break;
      case 'CATEGORIES':
        c.categories = [...c.categories, ...splitEscaped(raw, ',').map((s) => s.trim())];
        break;
      case 'UID':
        c.uid = unescapeText(raw).trim();
        break;
      case 'TEL': {
        const value = unescapeText(raw).trim().replace(/^tel:/i, '');
        card.phones.push({ value, types: parsed.types, group: parsed.group, sip: /^sips?:/i.test(value) });
        break;
      }
      case 'IMPP':
      case 'X-SIP': {
        const value = unescapeText(raw).trim();
        if (parsed.name === 'X-SIP' || /^sips?:/i.test(value)) card.phones.push({ value, types: ['sip'], group: parsed.group, sip: true });
        break;
      }
      case 'X-ABLABEL':
        if (parsed.group !== null) card.labels.set(parsed.group, unescapeText(raw));
        break;
    }
  }
  if (card) warnings.push(`${card.contact.source}: the file ends inside the card; it was imported anyway`);
  if (card) contacts.push(finishCard(card));
  return { contacts, warnings };
}

function finishCard(card: { contact: Contact; phones: PendingPhone[]; labels: Map<string, string> }): Contact {
  const phones: ContactPhone[] = card.phones.map((p) => {
    const label = p.group === null ? undefined : card.labels.get(p.group);
    const words = label === undefined ? p.types : [label, ...p.types];
    return { kind: p.sip ? 'sip' : phoneKindOf(words), value: p.value };
  });
  return { ...card.contact, phones };
}

// ---------------------------------------------------------------------------
// Writing

function escapeValue(value: string): string {
  return value.replace(/\\/g, '\\\\').replace(/\n/g, '\\n').replace(/,/g, '\\,').replace(/;/g, '\\;');
}

/** Folds a content line at 75 octets without splitting a UTF-8 sequence (RFC 6350 §3.2). */
export function foldLine(line: string): string {
  const out: string[] = [];
  let current = '';
  let octets = 0;
  for (const ch of line) {
    const size = Buffer.byteLength(ch, 'utf8');
    if (octets + size > 75) {
      out.push(current);
      current = ' ';
      octets = 1;
    }
    current += ch;
    octets += size;
  }
  out.push(current);
  return out.join('\r\n');
}

const TEL_TYPES: Readonly<Record<string, string>> = {
  mobile_number: 'CELL',
  home_number: 'HOME',
  business_number: 'WORK',
};

function entryToVcard(entry: PhonebookEntry): string {
  const lines: string[] = ['BEGIN:VCARD', 'VERSION:3.0'];
  if (entry.id !== null) lines.push(`UID:${escapeValue(entry.id)}`);
  const given = propValue(entry, 'given_name');
  const surname = propValue(entry, 'surname');
  const fn = entry.displayName || [given, surname].filter(Boolean).join(' ') || propValue(entry, 'company');
  lines.push(`FN:${escapeValue(fn)}`);
  lines.push(`N:${escapeValue(surname)};${escapeValue(given)};;;`);
  const company = propValue(entry, 'company');
  if (company) lines.push(`ORG:${escapeValue(company)}`);
  const profession = propValue(entry, 'profession');
  if (profession) lines.push(`TITLE:${escapeValue(profession)}`);
  const email = propValue(entry, 'email_address');
  if (email) lines.push(`EMAIL;TYPE=INTERNET:${escapeValue(email)}`);
  for (const p of entry.props) {
    const number = parseNumberField(p.name);
    if (number === null || p.value === '') continue;
    if (number.field === 'sip_address') {
      lines.push(isSipAddress(p.value) ? `IMPP;X-SERVICE-TYPE=SIP:${/^sips?:/i.test(p.value) ? p.value : `sip:${p.value}`}` : `TEL;TYPE=X-SIP:${escapeValue(p.value)}`);
    } else {
      lines.push(`TEL;TYPE=${TEL_TYPES[number.field]}:${escapeValue(p.value)}`);
    }
  }
  const comment = propValue(entry, 'comment');
  if (comment) lines.push(`NOTE:${escapeValue(comment)}`);
  const categories = [propValue(entry, 'category'), propValue(entry, 'category#1').toUpperCase()].filter(Boolean);
  if (categories.length > 0) lines.push(`CATEGORIES:${categories.map(escapeValue).join(',')}`);
  lines.push('END:VCARD');
  return lines.map(foldLine).join('\r\n') + '\r\n';
}

/** Every entry of a phone book as a vCard 3.0 (CRLF line ends, folded at 75 octets). */
export function writeVcards(model: PhonebookModel): string {
  return model.entries.map(entryToVcard).join('');
}

