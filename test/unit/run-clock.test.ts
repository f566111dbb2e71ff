import { describe, expect, it } from 'vitest';
import { AS_OF_VARIABLE, asOfNote, runClock } from '../../connector/cli/runtime.js';
import { ConnectorError } from '../../connector/engine/errors.js';

/** A real clock a test moves by hand (milliseconds). */
function handClock(startIso: string): { real: () => number; advance: (ms: number) => void } {
  let t = Date.parse(startIso);
  return { real: () => t, advance: (ms) => void (t += ms) };
}

describe('the run clock (AI_SPEND_NOW)', () => {
  it('given no AI_SPEND_NOW (or an empty one) when the clock is made then it is the real clock and says nothing', () => {
    const h = handClock('2026-12-06T08:00:00Z');
    for (const value of [undefined, '']) {
      const c = runClock(value, h.real);
      expect(c.now()).toBe(Date.parse('2026-12-06T08:00:00Z'));
      expect(c.asOf).toBeUndefined();
      expect(asOfNote(c)).toBeUndefined();
    }
  });

  it('given an earlier instant when the clock is made then it reads that instant at once and runs at real speed from it', () => {
    const h = handClock('2026-12-06T08:00:00Z');
    const c = runClock('2026-03-10T12:00:00+01:00', h.real);
    expect(new Date(c.now()).toISOString()).toBe('2026-03-10T11:00:00.000Z');
    h.advance(90_500);
    expect(new Date(c.now()).toISOString()).toBe('2026-03-10T11:01:30.500Z');
    expect(c.asOf).toBe('2026-03-10T11:00:00Z');
    expect(asOfNote(c)).toBe(`${AS_OF_VARIABLE}: running as of 2026-03-10T11:00:00Z, not the real time: "today" is 2026-03-10 UTC.`);
  });

  it('given a UTC date when the clock is made then it starts at that midnight', () => {
    const c = runClock('2026-01-31', handClock('2026-12-06T08:00:00Z').real);
    expect(new Date(c.now()).toISOString()).toBe('2026-01-31T00:00:00.000Z');
  });

  it('given the real instant itself when the clock is made then it is taken (not later than now)', () => {
    const c = runClock('2026-12-06T08:00:00Z', handClock('2026-12-06T08:00:00Z').real);
    expect(c.now()).toBe(Date.parse('2026-12-06T08:00:00Z'));
  });

  it.each([
    ['a later instant', '2026-12-06T08:00:01Z', /is after the real time \(2026-12-06T08:00:00\.000Z\); a run can be as of an earlier instant only/],
    ['tomorrow', '2026-12-07', /is after the real time/],
    ['words', 'yesterday', /is not a UTC date or an RFC 3339 instant \(e\.g\. 2026-01-10T12:00:00Z\)/],
    ['a time without an offset', '2026-03-10T12:00:00', /is not a UTC date or an RFC 3339 instant/],
    ['an impossible date', '2026-02-30', /is not a UTC date or an RFC 3339 instant/],
    ['epoch milliseconds', '1765000000000', /is not a UTC date or an RFC 3339 instant/],
  ])('given %s when the clock is made then it is a config_error that names AI_SPEND_NOW and the fix', (_what, value, said) => {
    let thrown: unknown;
    try {
      runClock(value, handClock('2026-12-06T08:00:00Z').real);
    } catch (err) {
      thrown = err;
    }
    expect(thrown).toBeInstanceOf(ConnectorError);
    const e = thrown as ConnectorError;
    expect(e.failureType).toBe('config_error');
    expect(e.message.startsWith(`${AS_OF_VARIABLE}=`)).toBe(true);
    expect(e.message).toMatch(said);
    expect(e.message).not.toContain('\n');
  });
});
