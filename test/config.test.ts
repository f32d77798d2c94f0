/**
 * The memory settings of `xcapd serve`: where they come from and what is refused.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ConfigError, loadConfig } from '../src/config.js';

describe('memory settings', () => {
  test('heapMb is 1024 unless the flag or XCAPD_HEAP_MB says otherwise; 0 is allowed', () => {
    assert.equal(loadConfig({}, { env: {} }).heapMb, 1024);
    assert.equal(loadConfig({}, { env: { XCAPD_HEAP_MB: '512' } }).heapMb, 512);
    assert.equal(loadConfig({ heapMb: '0' }, { env: { XCAPD_HEAP_MB: '512' } }).heapMb, 0);
  });

  test('a heapMb that is not a whole number of megabytes is refused, naming the setting', () => {
    for (const bad of ['-1', '1.5', 'lots']) {
      assert.throws(() => loadConfig({}, { env: { XCAPD_HEAP_MB: bad } }), (e: unknown) => e instanceof ConfigError && /XCAPD_HEAP_MB/.test(e.message));
    }
  });

  test('cacheMb may be 0 (no caching) but not negative', () => {
    assert.equal(loadConfig({ cacheMb: '0' }, { env: {} }).cacheMb, 0);
    assert.throws(() => loadConfig({ cacheMb: '-4' }, { env: {} }), ConfigError);
  });

  test('maxBodyBytesInFlight is 32 MB unless XCAPD_MAX_BODY_BYTES_IN_FLIGHT says otherwise', () => {
    assert.equal(loadConfig({}, { env: {} }).maxBodyBytesInFlight, 32 * 1024 * 1024);
    assert.equal(loadConfig({}, { env: { XCAPD_MAX_BODY_BYTES_IN_FLIGHT: '1048576' } }).maxBodyBytesInFlight, 1048576);
    assert.throws(() => loadConfig({}, { env: { XCAPD_MAX_BODY_BYTES_IN_FLIGHT: '0' } }), ConfigError);
  });
});
