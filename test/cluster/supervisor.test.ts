/**
 * The Node options a worker is started with: the primary's, plus the old-space limit
 * heapMb asks for, unless the operator already set one.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { workerExecArgv } from '../../src/cluster/supervisor.js';

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
