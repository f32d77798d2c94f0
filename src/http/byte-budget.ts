/**
 * How many request-body bytes one process holds at once. Each body is parsed into a
 * tree several times its size, so without a bound enough large PUTs arriving together
 * could take more memory than the process has; beyond it, requests are turned away
 * with 503 and Retry-After instead.
 */
export class ByteBudget {
  private held = 0;

  constructor(readonly limit: number) {}

  /** Takes `bytes` if they fit; false (taking nothing) when they do not. */
  tryTake(bytes: number): boolean {
    if (this.held + bytes > this.limit) return false;
    this.held += bytes;
    return true;
  }

  give(bytes: number): void {
    this.held = Math.max(0, this.held - bytes);
  }

  get inUse(): number {
    return this.held;
  }
}
