/**
 * The vocabulary of the CounterPath phone book (Snom deskphones, Bria): the
 * `cp:prop` field names, the numbered extras of the number fields, and the category
 * values — including the localized category names phones write themselves.
 */

export const COUNTERPATH_NAMESPACE = 'counterpath:properties';

export const ENTRY_ID_FIELD = 'entry_id';

/** The fields that may repeat as `name#1`, `name#2`, ...; in the order the phones list them. */
export const NUMBER_FIELDS = ['sip_address', 'mobile_number', 'home_number', 'business_number'] as const;
export type NumberField = (typeof NUMBER_FIELDS)[number];

export const TEXT_FIELDS = ['given_name', 'surname', 'profession', 'company', 'email_address', 'comment'] as const;

export const CATEGORY_FIELD = 'category';
/** The second category: blacklisted (`dnd`) or `vip`. */
export const CATEGORY2_FIELD = 'category#1';

export const CATEGORIES = ['friend', 'family', 'work', 'colleague'] as const;
export type Category = (typeof CATEGORIES)[number];
export const CATEGORIES2 = ['dnd', 'vip'] as const;

/** The order fields are written in, as in the phones' own documents. */
export const FIELD_ORDER: readonly string[] = [
  ENTRY_ID_FIELD,
  'given_name',
  'surname',
  'profession',
  'company',
  'email_address',
  'comment',
  ...NUMBER_FIELDS,
  CATEGORY_FIELD,
  CATEGORY2_FIELD,
];

const NUMBERED = /^(sip_address|mobile_number|home_number|business_number)(?:#([1-9][0-9]{0,3}))?$/;

/** `home_number#2` → { field: 'home_number', index: 2 }; `home_number` → index 0; null for other names. */
export function parseNumberField(name: string): { field: NumberField; index: number } | null {
  const m = NUMBERED.exec(name);
  if (!m) return null;
  return { field: m[1] as NumberField, index: m[2] === undefined ? 0 : Number(m[2]) };
}

/** The name of the `index`th number of a kind: 0 → `mobile_number`, 1 → `mobile_number#1`. */
export function numberFieldName(field: NumberField, index: number): string {
  return index === 0 ? field : `${field}#${index}`;
}

export function isKnownField(name: string): boolean {
  return (
    name === ENTRY_ID_FIELD ||
    (TEXT_FIELDS as readonly string[]).includes(name) ||
    name === CATEGORY_FIELD ||
    name === CATEGORY2_FIELD ||
    parseNumberField(name) !== null
  );
}

/** Sort key of a field name: its place in FIELD_ORDER, numbered extras right after their base field. */
export function fieldRank(name: string): number {
  const number = parseNumberField(name);
  if (number) return FIELD_ORDER.indexOf(number.field) * 10_000 + number.index;
  const i = FIELD_ORDER.indexOf(name);
  return (i < 0 ? FIELD_ORDER.length : i) * 10_000;
}

/**
 * Category names as the phones' own user interfaces (and address books) spell them,
 * lower-cased. A German Snom writes `Arbeit` for `work`.
 */
const LOCALIZED_CATEGORIES: Readonly<Record<string, Category>> = {
  friend: 'friend', friends: 'friend', freund: 'friend', freunde: 'friend', freundin: 'friend', ami: 'friend', amis: 'friend',
  amigo: 'friend', amigos: 'friend', amico: 'friend', amici: 'friend', vriend: 'friend', vrienden: 'friend',
  family: 'family', familie: 'family', famille: 'family', familia: 'family', famiglia: 'family',
  work: 'work', business: 'work', arbeit: 'work', beruf: 'work', 'geschäftlich': 'work', büro: 'work', travail: 'work',
  trabajo: 'work', lavoro: 'work', werk: 'work', office: 'work',
  colleague: 'colleague', colleagues: 'colleague', coworker: 'colleague', coworkers: 'colleague', kollege: 'colleague',
  kollegen: 'colleague', kollegin: 'colleague', 'collègue': 'colleague', 'collègues': 'colleague', colega: 'colleague',
  colegas: 'colleague', collega: 'colleague', colleghi: 'colleague',
};

/** The category a name stands for (`Arbeit` → `work`), or null when it is none of them. */
export function categoryOf(name: string): Category | null {
  return LOCALIZED_CATEGORIES[name.trim().toLowerCase()] ?? null;
}

const SECOND_CATEGORIES: Readonly<Record<string, 'dnd' | 'vip'>> = {
  vip: 'vip', important: 'vip', wichtig: 'vip',
  dnd: 'dnd', blocked: 'dnd', blacklist: 'dnd', blacklisted: 'dnd', gesperrt: 'dnd', blockiert: 'dnd',
};

/** `VIP` → `vip`, `Blocked` → `dnd`; null otherwise. */
export function secondCategoryOf(name: string): 'dnd' | 'vip' | null {
  return SECOND_CATEGORIES[name.trim().toLowerCase()] ?? null;
}
