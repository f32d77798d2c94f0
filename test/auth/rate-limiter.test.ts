import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { FailureRateLimiter } from '../../src/auth/rate-limiter.js';

class Clock {
  t = 1_000_000;
  readonly now = (): number => this.t;
}

function limiter(clock: Clock, options: { maxFailures?: number; windowMs?: number; blockMs?: number; maxKeys?: number } = {}) {
  return new FailureRateLimiter({ maxFailures: 3, windowMs: 1_000, blockMs: 5_000, now: clock.now, ...options });
}

describe('FailureRateLimiter', () => {
  test('defaults: 10 failures within a minute block for a minute', () => {
    const clock = new Clock();
    const limits = new FailureRateLimiter({ now: clock.now });
    for (let i = 1; i <= 9; i++) {
      assert.equal(limits.recordFailure('10.0.0.1'), false);
      clock.t += 6_000;
    }
    assert.equal(limits.recordFailure('10.0.0.1'), true);
    assert.equal(limits.retryAfterMs('10.0.0.1'), 60_000);
    clock.t += 60_000;
    assert.equal(limits.isBlocked('10.0.0.1'), false);
  });

  test('blocks after maxFailures within the window, for blockMs', () => {
    const clock = new Clock();
    const limits = limiter(clock);
    assert.equal(limits.recordFailure('a'), false);
    clock.t += 400;
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.isBlocked('a'), false);
    clock.t += 599;
    assert.equal(limits.recordFailure('a'), true);
    assert.equal(limits.isBlocked('a'), true);
    assert.equal(limits.retryAfterMs('a'), 5_000);
    assert.equal(limits.isBlocked('b'), false);
    clock.t += 4_999;
    assert.equal(limits.isBlocked('a'), true);
    assert.equal(limits.retryAfterMs('a'), 1);
    // Failures while blocked neither extend the block nor count towards the next one.
    assert.equal(limits.recordFailure('a'), true);
    clock.t += 1;
    assert.equal(limits.isBlocked('a'), false);
    assert.equal(limits.retryAfterMs('a'), 0);
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), true);
  });

  test('failures spread over more than a window never block', () => {
    const clock = new Clock();
    const limits = limiter(clock);
    for (let i = 0; i < 20; i++) {
      assert.equal(limits.recordFailure('a'), false);
      if (i % 2 === 1) clock.t += 1_000;
    }
    assert.equal(limits.isBlocked('a'), false);
  });

  test('the window opens at the first failure and resets once over', () => {
    const clock = new Clock();
    const limits = limiter(clock);
    limits.recordFailure('a');
    clock.t += 999;
    limits.recordFailure('a');
    clock.t += 1;
    // 1000 ms after the first failure: a new window, this is failure 1 of it.
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), true);
  });

  test('success forgets failures but does not lift a block', () => {
    const clock = new Clock();
    const limits = limiter(clock);
    limits.recordFailure('a');
    limits.recordFailure('a');
    limits.recordSuccess('a');
    assert.equal(limits.size, 0);
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), false);
    assert.equal(limits.recordFailure('a'), true);
    limits.recordSuccess('a');
    assert.equal(limits.isBlocked('a'), true);
    limits.recordSuccess('never-seen');
    assert.equal(limits.size, 1);
  });

  test('keys per address or per address and user name are independent', () => {
    const clock = new Clock();
    const limits = limiter(clock, { maxFailures: 1 });
    const alice = FailureRateLimiter.key('192.0.2.1', 'alice');
    assert.notEqual(alice, FailureRateLimiter.key('192.0.2.1', 'bob'));
    assert.notEqual(alice, FailureRateLimiter.key('192.0.2.1'));
    assert.equal(FailureRateLimiter.key('192.0.2.1'), '192.0.2.1');
    assert.equal(limits.recordFailure(alice), true);
    assert.equal(limits.isBlocked(FailureRateLimiter.key('192.0.2.1', 'bob')), false);
    assert.equal(limits.isBlocked('192.0.2.1'), false);
  });

  test('memory is bounded; forgotten first: idle keys, then unblocked ones, blocked ones last', () => {
    const clock = new Clock();
    // With maxFailures 2, a second failure blocks a remembered key but not a forgotten one.
    const limits = limiter(clock, { maxKeys: 3, maxFailures: 2 });
    limits.recordFailure('blocked');
    limits.recordFailure('blocked');
    limits.recordFailure('idle');
    clock.t += 1_000;
    limits.recordFailure('recent');
    // 'idle' (its window is over) goes, although 'blocked' is older.
    limits.recordFailure('new1');
    assert.equal(limits.size, 3);
    assert.equal(limits.recordFailure('recent'), true, "'recent' was kept");
    // No idle key: the least recently touched unblocked one ('new1') goes.
    limits.recordFailure('other');
    assert.equal(limits.recordFailure('new1'), false, "'new1' was forgotten");
    // A flood of new addresses does not free the blocked ones.
    for (let i = 0; i < 50; i++) limits.recordFailure(`flood${i}`);
    assert.equal(limits.size, 3);
    assert.equal(limits.isBlocked('blocked'), true);
    assert.equal(limits.isBlocked('recent'), true);
    // Only when everything is blocked does the least recently touched give way.
    limits.recordFailure('flood49');
    assert.equal(limits.isBlocked('flood49'), true);
    limits.recordFailure('last');
    assert.equal(limits.size, 3);
    assert.equal(limits.isBlocked('blocked'), false);
    assert.equal(limits.isBlocked('recent'), true);
  });

  test('deterministic: the same sequence gives the same answers', () => {
    const run = () => {
      const clock = new Clock();
      const limits = limiter(clock, { maxKeys: 5 });
      const answers: boolean[] = [];
      for (let i = 0; i < 200; i++) {
        clock.t += (i * 37) % 50;
        // One hot key among many cold ones that keep the table full.
        const key = i % 3 === 0 ? 'hot' : `k${(i * 7) % 9}`;
        answers.push(limits.recordFailure(key), limits.isBlocked(`k${i % 9}`), limits.size <= 5);
      }
      return answers;
    };
    const answers = run();
    assert.deepEqual(answers, run());
    assert.ok(answers.filter((_, i) => i % 3 === 0).includes(true), 'the hot key got blocked');
    assert.ok(answers.filter((_, i) => i % 3 === 2).every(Boolean), 'size bound held');
  });
});
