import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { rewritePhoneTarget, type PhoneUrlOptions } from '../../src/phonebook/phone-url.js';

const registered = new Set(['resource-lists', 'com.counterpath.tbook', 'xcap-caps']);
const options = (over: Partial<PhoneUrlOptions> = {}): PhoneUrlOptions => ({
  phonePath: '/',
  auid: 'com.counterpath.tbook',
  rootPath: '/xcap-root',
  isRegisteredAuid: (a) => registered.has(a),
  ...over,
});

describe('phone directory URLs', () => {
  test('the layout of seed 001: no root, no AUID', () => {
    assert.equal(
      rewritePhoneTarget('/users/sip:alice@example.com/tbook.xml', options()),
      '/xcap-root/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml',
    );
  });

  test('whatever xcap_directory_auid holds is ignored, slashes and doubled slashes too', () => {
    for (const target of ['/snom/users/sip:alice@example.com/tbook.xml', '//snom//users/sip:alice@example.com/tbook.xml', '/a/b/users/sip:alice@example.com/tbook.xml', '/resource-lists/users/sip:alice@example.com/tbook.xml']) {
      assert.equal(rewritePhoneTarget(target, options()), '/xcap-root/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml', target);
    }
  });

  test('the XUI without sip:, other document names and the query pass through', () => {
    assert.equal(
      rewritePhoneTarget('/users/alice@pbx.example.com/snom_xcap_private.xml?x=1', options()),
      '/xcap-root/com.counterpath.tbook/users/alice@pbx.example.com/snom_xcap_private.xml?x=1',
    );
  });

  test('canonical XCAP URIs are left alone', () => {
    assert.equal(rewritePhoneTarget('/xcap-root/resource-lists/users/sip:alice@example.com/index', options()), null);
    assert.equal(rewritePhoneTarget('/xcap-root/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml', options()), null);
    assert.equal(rewritePhoneTarget('/resource-lists/users/sip:alice@example.com/index', options({ rootPath: '' })), null);
  });

  test('below the XCAP root only an empty AUID is a phone URL; a typo stays a 404', () => {
    assert.equal(
      rewritePhoneTarget('/xcap-root/users/sip:alice@example.com/tbook.xml', options()),
      '/xcap-root/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml',
    );
    assert.equal(rewritePhoneTarget('/xcap-root/resource-list/users/sip:alice@example.com/index', options()), null);
  });

  test('a root of / and a configured phone path', () => {
    assert.equal(rewritePhoneTarget('/users/sip:alice@example.com/tbook.xml', options({ rootPath: '' })), '/com.counterpath.tbook/users/sip:alice@example.com/tbook.xml');
    const phones = options({ phonePath: '/phones', auid: 'resource-lists' });
    assert.equal(rewritePhoneTarget('/phones/users/sip:alice@example.com/x.xml', phones), '/xcap-root/resource-lists/users/sip:alice@example.com/x.xml');
    assert.equal(rewritePhoneTarget('/users/sip:alice@example.com/x.xml', phones), null);
  });

  test('what is not a document of a user is not rewritten', () => {
    for (const target of ['/', '/health', '/users', '/users/', '/users/sip:alice@example.com', '/users/sip:alice@example.com/', '/users//tbook.xml', '/~~/users/sip:a@b/c', '/global/tbook.xml']) {
      assert.equal(rewritePhoneTarget(target, options()), null, target);
    }
  });
});
