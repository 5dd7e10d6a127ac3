/**
 * Spaces calls to at most `ratePerSecond`, in arrival order. Route53's API allows 5 requests/second per
 * account; the original platform slept a fixed 0.5 s per page and ignored its configured rate.
 */
export class RateLimiter {
  private nextAt = 0;
  private readonly interval: number;

  constructor(
    ratePerSecond: number,
    private readonly now: () => number = Date.now,
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((r) => setTimeout(r, ms)),
  ) {
    if (!(ratePerSecond > 0) || !Number.isFinite(ratePerSecond)) {
      throw new RangeError(`rate must be a positive number of requests per second, got ${ratePerSecond}`);
    }
    this.interval = 1000 / ratePerSecond;
  }

  /** Resolves when the caller may make its request. */
  async take(): Promise<void> {
    const now = this.now();
    const at = Math.max(now, this.nextAt);
    this.nextAt = at + this.interval;
    if (at > now) await this.sleep(at - now);
  }
}
