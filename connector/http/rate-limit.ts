/**
 * One limiter shared by every request of a process. It spaces request starts
 * (`requestsPerMinute`) and, after a 429, holds every request until the server's
 * reset time and widens the spacing, so the whole process slows down rather than
 * only the request that was refused. Separate from retry: retry decides whether
 * to try again, the limiter decides when any request may start.
 */
export interface Clock {
  now(): number;
}
export type Sleep = (ms: number) => Promise<void>;

interface RateLimiterOptions {
  requestsPerMinute?: number | undefined;
  /** Spacing after a 429 starts here and doubles on each further 429. */
  penaltyStartMs?: number;
  penaltyMaxMs?: number;
}

export class RateLimiter {
  private nextStart = 0;
  private pausedUntil = 0;
  private penaltyMs = 0;
  private readonly baseIntervalMs: number;

  constructor(
    private readonly clock: Clock,
    private readonly sleep: Sleep,
    private readonly options: RateLimiterOptions = {},
  ) {
    this.baseIntervalMs = options.requestsPerMinute ? 60_000 / options.requestsPerMinute : 0;
  }

  /** Milliseconds until a request may start, or 0. */
  waitMs(): number {
    const now = this.clock.now();
    return Math.max(0, this.pausedUntil - now, this.nextStart - now);
  }

  /** When the current pause ends (epoch ms), if one is in force. */
  get pausedUntilMs(): number {
    return this.pausedUntil > this.clock.now() ? this.pausedUntil : 0;
  }

  async acquire(): Promise<void> {
    // Loop: another caller may have taken the slot or a 429 may have extended the pause.
    for (;;) {
      const wait = this.waitMs();
      if (wait <= 0) break;
      await this.sleep(wait);
    }
    const interval = Math.max(this.baseIntervalMs, this.penaltyMs);
    this.nextStart = this.clock.now() + interval;
  }

  /** A 429 (or a server-announced empty budget): pause everyone for `delayMs`. */
  penalize(delayMs: number): void {
    const start = this.options.penaltyStartMs ?? 250;
    const max = this.options.penaltyMaxMs ?? 10_000;
    this.penaltyMs = Math.min(max, this.penaltyMs === 0 ? start : this.penaltyMs * 2);
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + delayMs);
  }

  /** A success: let the extra spacing decay back towards the configured rate. */
  relax(): void {
    if (this.penaltyMs > 0) this.penaltyMs = this.penaltyMs < 50 ? 0 : this.penaltyMs / 2;
  }
}

/**
 * At most `limit` request starts in any rolling `windowMs` (elapsed time, monotonic), bursts allowed:
 * an API's documented per-minute limit on some of its paths (OpenRouter's analytics), where the
 * RateLimiter's even spacing would slow a burst that fits the limit. `acquire` waits for a slot.
 */
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

/** At most `max` holders at once; waiters are served in arrival order. */
export class Semaphore {
  private active = 0;
  private readonly waiters: Array<() => void> = [];

  constructor(private readonly max: number) {}

  async acquire(): Promise<void> {
    if (this.active < this.max) {
      this.active += 1;
      return;
    }
    await new Promise<void>((resolve) => this.waiters.push(resolve));
  }

  release(): void {
    const next = this.waiters.shift();
    if (next) next();
    else this.active -= 1;
  }
}
