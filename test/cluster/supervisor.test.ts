/**
 * The Node options a worker is started with: the primary's, plus the old-space limit
 * heapMb asks for, unless the operator already set one.
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { makeSocketDir, workerExecArgv } from '../../src/cluster/supervisor.js';

describe('worker Node options', () => {
  test("heapMb becomes --max-old-space-size, after the primary's own options", () => {
    assert.deepEqual(workerExecArgv(['--enable-source-maps'], '', 1024), ['--enable-source-maps', '--max-old-space-size=1024']);
  });

  test('0 leaves the options as they are', () => {
    assert.deepEqual(workerExecArgv(['--enable-source-maps'], '', 0), ['--enable-source-maps']);
  });

  test('a limit given on the command line or in NODE_OPTIONS wins, in either spelling', () => {
    assert.deepEqual(workerExecArgv(['--max-old-space-size=200'], '', 1024), ['--max-old-space-size=200']);
    assert.deepEqual(workerExecArgv([], '--max_old_space_size=200 --trace-warnings', 1024), []);
    assert.deepEqual(workerExecArgv(['--import', 'tsx'], '--max-old-space-size=160', 512), ['--import', 'tsx']);
  });
});

describe('the writer socket folder', () => {
  test('is private to this user, in the temporary folder', () => {
    const base = mkdtempSync(join(tmpdir(), 'xcapd-sock-'));
    try {
      const dir = makeSocketDir(base);
      assert.ok(dir.startsWith(base));
      assert.equal(statSync(dir).mode & 0o777, 0o700);
    } finally {
      rmSync(base, { recursive: true, force: true });
    }
  });

  test('moves to /tmp when the temporary folder is too long a path for a socket', () => {
    const base = mkdtempSync(join(tmpdir(), 'xcapd-sock-'));
    const deep = join(base, 'a-rather-long-folder-name-'.repeat(4));
    mkdirSync(deep, { recursive: true });
    let dir = '';
    try {
      dir = makeSocketDir(deep);
      assert.ok(dir.startsWith('/tmp/xcapd-'), dir);
      assert.ok(Buffer.byteLength(join(dir, 'writer.sock')) <= 100);
    } finally {
      if (dir) rmSync(dir, { recursive: true, force: true });
      rmSync(base, { recursive: true, force: true });
    }
  });
});
