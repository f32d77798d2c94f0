/**
 * Slows password guessing: after `maxFailures` failed authentications within
 * `windowMs` (a fixed window opened by the first failure), a key is blocked for
 * `blockMs`. Memory is bounded by `maxKeys`; time comes only from the injected clock.
 */

export interface FailureRateLimiterOptions {
  readonly maxFailures?: number;
  readonly windowMs?: number;
  readonly blockMs?: number;
  readonly maxKeys?: number;
  readonly now?: () => number;
}

interface Entry {
  windowStart: number;
  failures: number;
  blockedUntil: number;
}

/** How many of the least recently touched keys are examined to find one worth forgetting. */
const EVICTION_SCAN = 16;

export class FailureRateLimiter {
  readonly #maxFailures: number;
  readonly #windowMs: number;
  readonly #blockMs: number;
  readonly #maxKeys: number;
  readonly #now: () => number;
  /** Map order is least recently touched first. */
  readonly #entries = new Map<string, Entry>();

  constructor(options: FailureRateLimiterOptions = {}) {
    this.#maxFailures = Math.max(1, options.maxFailures ?? 10);
    this.#windowMs = options.windowMs ?? 60_000;
    this.#blockMs = options.blockMs ?? 60_000;
    this.#maxKeys = Math.max(1, options.maxKeys ?? 10_000);
    this.#now = options.now ?? Date.now;
  }

  /** A key per client address, or per address and user name. */
  static key(address: string, username?: string): string {
    return username === undefined ? address : `${address}\u0000${username}`;
  }

  isBlocked(key: string): boolean {
    return this.retryAfterMs(key) > 0;
  }

  /** Milliseconds until the key is unblocked; 0 when it is not blocked (for Retry-After). */
  retryAfterMs(key: string): number {
    const entry = this.#entries.get(key);
    if (entry === undefined) return 0;
    const now = this.#now();
    if (this.#isIdle(entry, now)) {
      this.#entries.delete(key);
      return 0;
    }
    return Math.max(0, entry.blockedUntil - now);
  }

  /** Returns true when the key is blocked after this failure. */
  recordFailure(key: string): boolean {
    const now = this.#now();
    let entry = this.#entries.get(key);
    if (entry !== undefined) {
      this.#entries.delete(key);
    } else {
      this.#makeRoom(now);
      entry = { windowStart: now, failures: 0, blockedUntil: 0 };
    }
    this.#entries.set(key, entry);
    if (entry.blockedUntil > now) return true;
    if (now - entry.windowStart >= this.#windowMs || entry.blockedUntil > 0) {
      // The previous window (or block) is over: start counting afresh.
      entry.windowStart = now;
      entry.failures = 0;
      entry.blockedUntil = 0;
    }
    entry.failures++;
    if (entry.failures >= this.#maxFailures) {
      entry.blockedUntil = now + this.#blockMs;
      entry.failures = 0;
      return true;
    }
    return false;
  }

  /** Forgets the failures of a key, but does not lift a block in force. */
  recordSuccess(key: string): void {
    const entry = this.#entries.get(key);
    if (entry === undefined) return;
    if (entry.blockedUntil > this.#now()) return;
    this.#entries.delete(key);
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.#entries.size;
  }

  #isIdle(entry: Entry, now: number): boolean {
    return entry.blockedUntil <= now && now - entry.windowStart >= this.#windowMs;
  }

  /**
   * Forgets one key when full, preferring ones that no longer matter, then
   * unblocked ones, so a flood of new addresses cannot easily unblock an attacker.
   */
  #makeRoom(now: number): void {
    if (this.#entries.size < this.#maxKeys) return;
    let victim: string | undefined;
    let unblocked: string | undefined;
    let scanned = 0;
    for (const [key, entry] of this.#entries) {
      if (this.#isIdle(entry, now)) {
        victim = key;
        break;
      }
      if (unblocked === undefined && entry.blockedUntil <= now) unblocked = key;
      if (++scanned >= EVICTION_SCAN) break;
    }
    victim ??= unblocked ?? this.#entries.keys().next().value;
    if (victim !== undefined) this.#entries.delete(victim);
  }
}
