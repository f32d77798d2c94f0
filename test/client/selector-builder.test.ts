import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { NodeSelectorBuilder, SelectorError, resolveSelector, selector } from '../../src/client/selector-builder.js';
import { parseNodeSelector } from '../../src/xcap/selector.js';
import { buildXcapPath, parseXcapPath } from '../../src/xcap/uri.js';

const DOC = { auid: 'resource-lists', tree: 'users', xui: 'sip:alice@example.com', path: 'index' } as const;

/** What a server sees: the request target built from a resolved selector, parsed back. */
function roundTrip(input: string | NodeSelectorBuilder, namespaces: Record<string, string> = {}) {
  const r = resolveSelector(input, namespaces);
  const path = buildXcapPath({ document: DOC, nodeSelector: r.text, ...(r.bindings.size > 0 ? { namespaceBindings: r.bindings } : {}) });
  return { resolved: r, path, parsed: parseXcapPath(path) };
}

describe('selector builder', () => {
  test('steps, positions, attribute tests and terminals format like RFC 4825 selectors', () => {
    const s = selector('resource-lists').step('list', { attribute: ['name', 'friends'] }).step('entry', { position: 2 });
    assert.equal(s.toString(), 'resource-lists/list[@name="friends"]/entry[2]');
    assert.equal(s.kind, 'element');
    assert.equal(s.attribute('uri').toString(), 'resource-lists/list[@name="friends"]/entry[2]/@uri');
    assert.equal(s.attribute('uri').kind, 'attribute');
    assert.equal(s.namespaces().toString(), 'resource-lists/list[@name="friends"]/entry[2]/namespace::*');
    assert.equal(s.namespaces().kind, 'namespaces');
    assert.equal(selector('watcherinfo').step('watcher-list').step('*', { position: 2, attribute: ['id', 'hhggff'] }).toString(), 'watcherinfo/watcher-list/*[2][@id="hhggff"]');
    assert.equal(s.attribute('uri').element().toString(), s.toString());
  });

  test('builders are immutable', () => {
    const base = selector('resource-lists');
    const a = base.step('list');
    const b = base.step('entry');
    assert.equal(base.toString(), 'resource-lists');
    assert.equal(a.toString(), 'resource-lists/list');
    assert.equal(b.toString(), 'resource-lists/entry');
  });

  test('attribute values are escaped so that they parse back to themselves', () => {
    for (const value of ['plain', 'with "double" quotes', "it's", 'both "x" and \'y\'', 'a & b < c', 'sip:x%41@example.com', 'slash/inside', 'Müller']) {
      const s = selector('resource-lists').step('list', { attribute: ['name', value] });
      const { parsed } = roundTrip(s);
      // The server-side parser reads back the very value.
      const steps = parseNodeSelector(parsed.nodeSelector!, { defaultNamespace: 'urn:x', bindings: new Map() }).steps;
      assert.equal(steps[1]?.attributeTest?.value, value);
    }
  });

  test('prefixed names need a binding; bindings travel as the xmlns() query', () => {
    const cp = 'urn:ietf:params:xml:ns:common-policy';
    const s = selector('cp:ruleset', {}, { cp }).step('cp:rule', { attribute: ['id', 'a1'] });
    const { path, parsed } = roundTrip(s);
    assert.equal(path, 'resource-lists/users/sip:alice@example.com/index/~~/cp:ruleset/cp:rule%5B@id=%22a1%22%5D?xmlns(cp=urn:ietf:params:xml:ns:common-policy)');
    assert.equal(parsed.namespaceBindings.get('cp'), cp);
    assert.throws(() => resolveSelector(selector('cp:ruleset')), /prefix 'cp' is not bound/);
    assert.equal(resolveSelector('/cp:ruleset', { cp }).bindings.get('cp'), cp);
    assert.equal(selector('p:a').bind('p', 'urn:x').bindings.get('p'), 'urn:x');
  });

  test('python-style and Android-style spellings of one selector reach the server as the same URI', () => {
    const python = roundTrip('/resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/display-name');
    const android = roundTrip('resource-lists/list%5B@name=%22friends%22%5D/entry%5B@uri=%22sip:bob@example.com%22%5D/display-name');
    const built = roundTrip(selector('resource-lists').step('list', { attribute: ['name', 'friends'] }).step('entry', { attribute: ['uri', 'sip:bob@example.com'] }).step('display-name'));
    assert.equal(python.path, android.path);
    assert.equal(python.path, built.path);
    assert.deepEqual(python.parsed, android.parsed);
    assert.equal(python.parsed.nodeSelector, 'resource-lists/list[@name="friends"]/entry[@uri="sip:bob@example.com"]/display-name');
    // Android also sends the query percent-encoded.
    const q = roundTrip('/cp:ruleset?xmlns(cp=urn:ietf:params:xml:ns:common-policy)');
    const qEncoded = roundTrip('cp:ruleset?xmlns%28cp=urn:ietf:params:xml:ns:common-policy%29');
    assert.equal(q.path, qEncoded.path);
    // A literal '%' in an unencoded selector stays a '%'.
    assert.equal(roundTrip('/resource-lists/list[@name="100%"]').parsed.nodeSelector, 'resource-lists/list[@name="100%"]');
    // A '?' inside a quoted value is not the query.
    assert.equal(roundTrip('/resource-lists/list[@name="why?"]').parsed.nodeSelector, 'resource-lists/list[@name="why?"]');
  });

  test('mistakes are SelectorErrors naming the selector and the place', () => {
    assert.throws(() => resolveSelector('/resource-lists/list[@name=friends]'), (e: unknown) => e instanceof SelectorError && /'resource-lists\/list\[@name=friends\]' at character 27: the attribute value must be quoted/.test(e.message));
    assert.throws(() => resolveSelector('/resource-lists/'), SelectorError);
    assert.throws(() => resolveSelector(''), SelectorError);
    assert.throws(() => selector('bad name'), /not a valid element name/);
    assert.throws(() => selector('a').step('b', { position: 0 }), /position must be an integer from 1/);
    assert.throws(() => selector('a').attribute('x').step('b'), /already ends with an attribute/);
    assert.throws(() => selector('a').bind('xmlns', 'urn:x'), /cannot be bound/);
    assert.throws(() => resolveSelector('/a?xmlns(p)'), SelectorError);
  });
});
