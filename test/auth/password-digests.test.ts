import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { ha1, makePasswordDigests, passwordMatchesHa1 } from '../../src/auth/password-digests.js';

describe('password digests', () => {
  test('HA1 values of the RFC examples', () => {
    // RFC 2617 §3.5 (computed independently with Python's hashlib).
    assert.equal(ha1('MD5', 'Mufasa', 'testrealm@host.com', 'Circle Of Life'), '939e7578ed9e3c518a452acee763bce9');
    assert.deepEqual(makePasswordDigests('Mufasa', 'http-auth@example.org', 'Circle of Life'), {
      ha1Md5: '3d78807defe7de2157e2b0b6573a855f',
      ha1Sha256: '7987c64c30e25f1b74be53f966b49b90f2808aa92faf9a00262392d7b4794232',
    });
  });

  test('user names and passwords are hashed as UTF-8', () => {
    assert.equal(ha1('MD5', 'Jäsøn', 'r', 'pä:ss'), ha1('MD5', 'J\u00e4s\u00f8n', 'r', 'p\u00e4:ss'));
    assert.notEqual(ha1('MD5', 'Jäsøn', 'r', 'x'), ha1('MD5', Buffer.from('Jäsøn').toString('latin1'), 'r', 'x'));
  });

  test('a password is checked against the stored HA1 only', () => {
    const { ha1Md5, ha1Sha256 } = makePasswordDigests('alice', 'example.com', 'sécret:with:colons');
    assert.equal(passwordMatchesHa1(ha1Md5, 'MD5', 'alice', 'example.com', 'sécret:with:colons'), true);
    assert.equal(passwordMatchesHa1(ha1Sha256.toUpperCase(), 'SHA-256', 'alice', 'example.com', 'sécret:with:colons'), true);
    assert.equal(passwordMatchesHa1(ha1Md5, 'MD5', 'alice', 'example.com', 'secret:with:colons'), false);
    assert.equal(passwordMatchesHa1(ha1Md5, 'MD5', 'Alice', 'example.com', 'sécret:with:colons'), false);
    assert.equal(passwordMatchesHa1(ha1Md5, 'SHA-256', 'alice', 'example.com', 'sécret:with:colons'), false);
    assert.equal(passwordMatchesHa1('', 'MD5', 'alice', 'example.com', 'sécret:with:colons'), false);
  });
});
