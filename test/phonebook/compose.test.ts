import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { composePhonebook, personalPart } from '../../src/phonebook/compose.js';
import type { PhonebookEntry, PhonebookModel } from '../../src/phonebook/model.js';

function e(id: string, name: string, list = 'Contact List', props: Record<string, string> = {}): PhonebookEntry {
  return { id, list, displayName: name, uri: null, props: Object.entries(props).map(([n, v]) => ({ name: n, value: v })), extras: [] };
}
const model = (entries: PhonebookEntry[], list = 'Contact List'): PhonebookModel => ({ lists: [{ name: list, displayName: null, extras: [] }], entries });
const names = (m: PhonebookModel) => m.entries.map((x) => `${x.list}/${x.displayName}`);

describe('the shared directory merged into a personal phone book', () => {
  const shared = model([e('S1', 'Reception', 'Company', { business_number: '100' }), e('S2', 'Support', 'Company', { business_number: '200' })], 'Company');

  test('shared entries come first, in the personal list', () => {
    const composed = composePhonebook(model([e('P1', 'Mum')]), shared);
    assert.deepEqual(names(composed), ['Contact List/Reception', 'Contact List/Support', 'Contact List/Mum']);
  });

  test("a personal copy of a shared entry shows in its place, once", () => {
    const composed = composePhonebook(model([e('P1', 'Mum'), e('S2', 'Support (my notes)')]), shared);
    assert.deepEqual(names(composed), ['Contact List/Reception', 'Contact List/Support (my notes)', 'Contact List/Mum']);
  });

  test('without shared entries the personal book is what is read', () => {
    const personal = model([e('P1', 'Mum')]);
    assert.equal(composePhonebook(personal, null), personal);
    assert.equal(composePhonebook(personal, model([])), personal);
  });

  test('an empty personal book shows the directory in a list of its name', () => {
    assert.deepEqual(names(composePhonebook({ lists: [], entries: [] }, shared)), ['Company/Reception', 'Company/Support']);
  });

  test('what comes back is split: unchanged shared entries are dropped, edited ones become personal', () => {
    const composed = composePhonebook(model([e('P1', 'Mum')]), shared);
    const edited: PhonebookModel = {
      lists: composed.lists,
      entries: [composed.entries[0]!, e('S2', 'Support', 'Contact List', { business_number: '201' }), composed.entries[2]!, e('P2', 'Dad')],
    };
    assert.deepEqual(names(personalPart(edited, [shared])), ['Contact List/Support', 'Contact List/Mum', 'Contact List/Dad']);
  });

  test('a shared entry as the phone last received it is the directory\'s even after the directory changed', () => {
    const before = model([e('S1', 'Reception', 'Company', { business_number: '100' })]);
    const now = model([e('S1', 'Reception', 'Company', { business_number: '101' })]);
    const phone = model([e('S1', 'Reception', 'Contact List', { business_number: '100' }), e('P1', 'Mum')]);
    assert.deepEqual(names(personalPart(phone, [now, before])), ['Contact List/Mum']);
    assert.deepEqual(names(personalPart(phone, [now])), ['Contact List/Reception', 'Contact List/Mum']);
  });
});
