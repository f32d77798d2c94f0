import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { mergePhonebooks, summarizeMerge } from '../../src/phonebook/merge.js';
import { deriveEntryId, type PhonebookEntry } from '../../src/phonebook/model.js';

function e(id: string | null, name: string, props: Record<string, string> = {}): PhonebookEntry {
  return { id, list: 'Contact List', displayName: name, uri: null, props: Object.entries(props).map(([n, v]) => ({ name: n, value: v })), extras: [] };
}

const names = (entries: readonly PhonebookEntry[]) => entries.map((x) => x.displayName);

describe('three-way merge of phone books', () => {
  const max = e('A', 'Max', { mobile_number: '0171' });
  const erika = e('B', 'Erika', { home_number: '089' });
  const hans = e('C', 'Hans');
  const base = [max, erika, hans];

  test('changes on one side only: that side wins, additions from both sides are kept', () => {
    const current = [max, erika, hans, e('D', 'Carol')];
    const incoming = [e('A', 'Max', { mobile_number: '0172' }), erika, hans, e('E', 'Dora')];
    const { entries, report } = mergePhonebooks(base, current, incoming);
    assert.deepEqual(names(entries), ['Max', 'Erika', 'Hans', 'Dora', 'Carol']);
    assert.equal(entries[0]!.props[0]!.value, '0172');
    assert.deepEqual(report.keptFromServer, ['Carol (D)']);
    assert.deepEqual(report.conflicts, []);
  });

  test('deleted on one side and unchanged on the other: deleted', () => {
    const current = [max, hans]; // the server deleted Erika
    const incoming = [max, erika]; // the phone deleted Hans
    const { entries, report } = mergePhonebooks(base, current, incoming);
    assert.deepEqual(names(entries), ['Max']);
    assert.deepEqual(report.deleted.sort(), ['Erika (B)', 'Hans (C)']);
  });

  test('deleted on one side and changed on the other: kept, changed', () => {
    const current = [max, e('C', 'Hans', { mobile_number: '0160' })]; // server changed Hans, deleted Erika
    const incoming = [max, e('B', 'Erika', { home_number: '090' })]; // phone changed Erika, deleted Hans
    const { entries, report } = mergePhonebooks(base, current, incoming);
    assert.deepEqual(names(entries), ['Max', 'Erika', 'Hans']);
    assert.deepEqual(report.keptChanged, ['Erika (B)', 'Hans (C)']);
  });

  test('different fields changed on both sides merge field by field', () => {
    const current = [e('A', 'Max', { mobile_number: '0171', email_address: 'max@example.com' }), erika, hans];
    const incoming = [e('A', 'Max', { mobile_number: '0172' }), erika, hans];
    const { entries, report } = mergePhonebooks(base, current, incoming);
    assert.equal(entries.length, 3);
    assert.deepEqual(entries[0]!.props, [
      { name: 'mobile_number', value: '0172' },
      { name: 'email_address', value: 'max@example.com' },
    ]);
    assert.deepEqual(report.conflicts, []);
  });

  test("the same field changed differently: the phone's value, and the server's version as a second entry", () => {
    const serverMax = e('A', 'Max', { mobile_number: '0179' });
    const { entries, report } = mergePhonebooks(base, [serverMax, erika, hans], [e('A', 'Max', { mobile_number: '0172' }), erika, hans]);
    assert.deepEqual(names(entries), ['Max', 'Max', 'Erika', 'Hans']);
    assert.equal(entries[0]!.id, 'A');
    assert.equal(entries[0]!.props[0]!.value, '0172');
    assert.match(entries[1]!.id!, /^[0-9A-F]{32}$/);
    assert.equal(entries[1]!.props[0]!.value, '0179');
    assert.deepEqual(report.conflicts, ['Max (A)']);
    // Merging the result again does not add a third copy.
    const again = mergePhonebooks(base, [serverMax, erika, hans, entries[1]!], [entries[0]!, erika, hans]);
    assert.equal(again.entries.filter((x) => x.displayName === 'Max').length, 2);
  });

  test('without a base nothing is deleted and the phone wins where both have an entry', () => {
    const { entries, report } = mergePhonebooks(null, [max, erika, e('D', 'Carol')], [e('A', 'Max', { mobile_number: '0172' }), e('E', 'Dora')]);
    assert.deepEqual(names(entries), ['Max', 'Max', 'Dora', 'Erika', 'Carol']);
    assert.equal(entries[0]!.props[0]!.value, '0172');
    assert.equal(entries[1]!.id, deriveEntryId(`A:server-copy:${JSON.stringify(['A', 'Contact List', 'Max', null, [['mobile_number', '0171']], []])}`));
    assert.deepEqual(report.deleted, []);
    assert.deepEqual(report.keptFromServer, ['Erika (B)', 'Carol (D)']);
  });

  test('entries without entry_id are matched by what they hold', () => {
    const plain = e(null, 'Pizza', { business_number: '555' });
    const b = [plain, max];
    const current = [plain, max, e(null, 'Taxi', { business_number: '556' })];
    const incoming = [e(null, 'Pizza Roma', { business_number: '555' }), max];
    const { entries } = mergePhonebooks(b, current, incoming);
    assert.deepEqual(names(entries), ['Pizza Roma', 'Max', 'Taxi']);
  });

  test('the summary line says what happened', () => {
    const { report } = mergePhonebooks(base, [max, erika, hans, e('D', 'Carol')], [max, erika]);
    assert.equal(summarizeMerge(report), 'kept 1 entry only the server had; deleted 1 entry');
    assert.equal(summarizeMerge(mergePhonebooks(base, base, base).report), 'merged without changes from the server');
  });
});
