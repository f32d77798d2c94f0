import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import {
  baseHashOf,
  digestResponse,
  effectiveHa1,
  hashHex,
  parseDigestAlgorithm,
  protocolBytes,
  timingSafeEqualStrings,
} from '../../src/auth/digest-hash.js';

// RFC 7616 §3.9.1.
const RFC = {
  nonce: '7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v',
  cnonce: 'f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ',
  md5Ha1: hashHex('MD5', 'Mufasa:http-auth@example.org:Circle of Life'),
  sha256Ha1: hashHex('SHA-256', 'Mufasa:http-auth@example.org:Circle of Life'),
};

describe('digestResponse', () => {
  test('RFC 7616 §3.9.1 MD5 and SHA-256 responses', () => {
    const common = { nonce: RFC.nonce, qop: 'auth', nc: '00000001', cnonce: RFC.cnonce, method: 'GET', uri: '/dir/index.html' } as const;
    assert.equal(digestResponse({ ...common, algorithm: 'MD5', ha1: RFC.md5Ha1 }), '8ca523f5e9506fed4657c9700eebdbec');
    assert.equal(
      digestResponse({ ...common, algorithm: 'SHA-256', ha1: RFC.sha256Ha1 }),
      '753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1',
    );
  });

  test('RFC 2617 §3.5 example in the no-qop (RFC 2069) form is H(HA1:nonce:HA2)', () => {
    const ha1 = hashHex('MD5', 'Mufasa:testrealm@host.com:Circle Of Life');
    const ha2 = hashHex('MD5', 'GET:/dir/index.html');
    const nonce = 'dcd98b7102dd2f0e8b11d0f600bfb0c093';
    assert.equal(
      digestResponse({ algorithm: 'MD5', ha1, nonce, method: 'GET', uri: '/dir/index.html' }),
      hashHex('MD5', `${ha1}:${nonce}:${ha2}`),
    );
    // The RFC 2617 qop=auth example response.
    assert.equal(
      digestResponse({ algorithm: 'MD5', ha1, nonce, qop: 'auth', nc: '00000001', cnonce: '0a4f113b', method: 'GET', uri: '/dir/index.html' }),
      '6629fae49393a05397450978507c4ef1',
    );
  });

  test('-sess folds nonce and cnonce into HA1; upper-case stored HA1 is fine', () => {
    assert.equal(effectiveHa1('MD5', 'abc', 'n', 'c'), 'abc');
    assert.equal(effectiveHa1('SHA-256-sess', 'abc', 'n', 'c'), createHash('sha256').update('abc:n:c').digest('hex'));
    const input = { algorithm: 'MD5-sess', nonce: 'n', qop: 'auth', nc: '00000001', cnonce: 'c', method: 'GET', uri: '/' } as const;
    assert.equal(digestResponse({ ...input, ha1: RFC.md5Ha1.toUpperCase() }), digestResponse({ ...input, ha1: RFC.md5Ha1 }));
  });
});

describe('helpers', () => {
  test('algorithm names', () => {
    assert.equal(parseDigestAlgorithm(undefined), 'MD5');
    assert.equal(parseDigestAlgorithm('sha-256-SESS'), 'SHA-256-sess');
    assert.equal(parseDigestAlgorithm('SHA-512-256'), null);
    assert.equal(baseHashOf('SHA-256-sess'), 'SHA-256');
    assert.equal(baseHashOf('MD5-sess'), 'MD5');
  });

  test('protocol strings are octets when they fit, UTF-8 otherwise', () => {
    assert.deepEqual([...protocolBytes('a\u00e9')], [0x61, 0xe9]);
    assert.deepEqual([...protocolBytes('\u20ac')], [0xe2, 0x82, 0xac]);
  });

  test('timingSafeEqualStrings', () => {
    assert.equal(timingSafeEqualStrings('abc', 'abc'), true);
    assert.equal(timingSafeEqualStrings('abc', 'abd'), false);
    assert.equal(timingSafeEqualStrings('abc', 'abcd'), false);
    assert.equal(timingSafeEqualStrings('', ''), true);
  });
});
