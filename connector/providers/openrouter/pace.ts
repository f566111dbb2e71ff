/**
 * OpenRouter rate-limits POST /analytics/query to 64 requests per minute [DOC skill
 * openrouter-analytics-query: "Rate-limited to 64 requests per minute"]. A long backfill of a large
 * account splits truncated answers in halves (activity.ts fetchAnalytics), and the activity and spend
 * streams each read analytics, so one run can send more than that: the connector paces its own analytics
 * queries to at most ANALYTICS_PER_MINUTE starts per rolling minute, below the limit by a margin for the
 * two clocks' difference. A 429 (another client of the account) is still waited out by the HTTP client
 * (Retry-After when sent, else backoff). Other endpoints' limits are UNKNOWN and are not paced here (the
 * shared requests_per_minute setting paces every request).
 */
export const ANALYTICS_PER_MINUTE = 60;

/** At most `limit` starts in any `windowMs` (elapsed time, monotonic); `acquire` waits for a slot. */
export class RollingPacer {
  private readonly starts: number[] = [];

  constructor(
    private readonly limit: number,
    private readonly windowMs: number,
    private readonly now: () => number = () => performance.now(),
    private readonly sleep: (ms: number) => Promise<void> = (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
  ) {}

  async acquire(): Promise<void> {
    for (;;) {
      const t = this.now();
      while (this.starts.length > 0 && (this.starts[0] as number) <= t - this.windowMs) this.starts.shift();
      if (this.starts.length < this.limit) {
        this.starts.push(t);
        return;
      }
      await this.sleep((this.starts[0] as number) + this.windowMs - t);
    }
  }
}

/** The pacer of every analytics query of this process (both streams share it). */
export const analyticsPacer = new RollingPacer(ANALYTICS_PER_MINUTE, 60_000);
