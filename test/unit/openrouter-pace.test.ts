import { describe, expect, it } from 'vitest';
import { RollingPacer } from '../../connector/http/rate-limit.js';
import { ANALYTICS_PER_MINUTE, analyticsPacer } from '../../connector/providers/openrouter/pace.js';

/** The analytics pacer of OpenRouter (connector/providers/openrouter/pace.ts) on a clock the test moves. */
describe('OpenRouter analytics pacer', () => {
  it('given 61 queries at once when paced at 60 per rolling minute then the first 60 start at once and the 61st waits until the first is a minute old', async () => {
    let now = 1_000;
    const slept: number[] = [];
    const pacer = new RollingPacer(
      60,
      60_000,
      () => now,
      async (ms) => {
        slept.push(ms);
        now += ms;
      },
    );
    const starts: number[] = [];
    for (let i = 0; i < 60; i++) {
      await pacer.acquire();
      starts.push(now);
      now += 10;
    }
    expect(slept).toEqual([]);
    await pacer.acquire();
    starts.push(now);
    // The first start was at 1000: the 61st may start at 61000, not before.
    expect(starts.at(-1)).toBe(61_000);
    expect(slept).toEqual([61_000 - 1_600]);
  });

  it('given the pacer every analytics query waits for when read then it allows fewer than the 64 requests per minute OpenRouter documents', () => {
    expect(ANALYTICS_PER_MINUTE).toBeLessThan(64);
    expect(analyticsPacer).toBeInstanceOf(RollingPacer);
  });
});
