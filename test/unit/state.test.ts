import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connector/engine/errors.js';
import { Coverage, parseStateFile, readRanges } from '../../connector/engine/state/state.js';

const DAY = 86_400;

const ctx = {
  streams: new Map<string, string | undefined>([
    ['costs', 'start_time'],
    ['projects', undefined],
  ]),
};
const msg = (name: string, state: unknown) => ({ type: 'STREAM', stream: { stream_descriptor: { name }, stream_state: state } });

function configErrorOf(fn: () => unknown): string {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(ConnectorError);
    expect((e as ConnectorError).failureType).toBe('config_error');
    return (e as Error).message;
  }
  throw new Error('expected a config_error');
}

describe('parseStateFile', () => {
  it.each(['', '  ', '[]', '{}'])('given %j when parsed then there is no state', (text) => {
    expect(parseStateFile(text, ctx).size).toBe(0);
  });

  it('given a v2 state when parsed then its coverage is kept', () => {
    expect(parseStateFile(JSON.stringify([msg('costs', { version: 2, covered_from: 50, cursor: 100 })]), ctx).get('costs')).toEqual({
      version: 2,
      covered_from: 50,
      cursor: 100,
    });
  });

  it('given a v1 state when parsed then it migrates to v2 with no proven coverage before its cursor', () => {
    expect(parseStateFile(JSON.stringify([msg('costs', { version: 1, cursor: 100 })]), ctx).get('costs')).toEqual({
      version: 2,
      covered_from: 100,
      cursor: 100,
    });
  });

  it('given the state a full-refresh list stream emitted when passed back then it is accepted and ignored', () => {
    const text = JSON.stringify([msg('projects', { version: 1, synced_at: 1735689600, pages: 2 }), msg('costs', { version: 2, covered_from: 7, cursor: 7 })]);
    const states = parseStateFile(text, ctx);
    expect(states.has('projects')).toBe(false);
    expect(states.get('costs')).toEqual({ version: 2, covered_from: 7, cursor: 7 });
  });

  it('given a version-0 state keyed by the cursor field when parsed then it migrates to v2 with no proven coverage before its cursor', () => {
    expect(parseStateFile(JSON.stringify([msg('costs', { start_time: 1735689600 })]), ctx).get('costs')).toEqual({
      version: 2,
      covered_from: 1735689600,
      cursor: 1735689600,
    });
  });

  it('given a v2 state whose covered_from is after its cursor when parsed then a config_error names covered_from', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('costs', { version: 2, covered_from: 9, cursor: 1 })]), ctx))).toMatch(/covered_from/);
  });

  it('given a v2 state without covered_from when parsed then a config_error names it and the expected shape', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('costs', { version: 2, cursor: 1 })]), ctx))).toMatch(/covered_from.*"version":2/);
  });

  it('given text that is not JSON when parsed then a config_error says to pass the STATE array', () => {
    expect(configErrorOf(() => parseStateFile('{nope', ctx))).toMatch(/not valid JSON/);
  });

  it('given a LEGACY state when parsed then a config_error says per-stream states are needed', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify({ data: { costs: 1 } }), ctx))).toMatch(/per-stream state/);
  });

  it('given a state for a stream this connector lacks when parsed then a config_error names it', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('cost_report', { version: 1, cursor: 1 })]), ctx))).toMatch(/cost_report/);
  });

  it('given a cursor of the wrong type when parsed then a config_error names the field', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('costs', { version: 1, cursor: 'yesterday' })]), ctx))).toMatch(/cursor/);
  });

  it('given a state from a newer version when parsed then a config_error says to upgrade', () => {
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('costs', { version: 3, covered_from: 0, cursor: 1 })]), ctx))).toMatch(/upgrade/);
  });
});

describe('readRanges', () => {
  const prior = { version: 2 as const, covered_from: 100 * DAY, cursor: 200 * DAY };

  it('given no state when planned then one range from start_date', () => {
    expect(readRanges(50 * DAY, 3, undefined)).toEqual([{ from: 50 * DAY }]);
  });

  it('given start_date inside the coverage when planned then one range from the cursor minus the lookback', () => {
    expect(readRanges(120 * DAY, 3, prior)).toEqual([{ from: 197 * DAY }]);
  });

  it('given start_date after the cursor when planned then one range from start_date', () => {
    expect(readRanges(250 * DAY, 3, prior)).toEqual([{ from: 250 * DAY }]);
  });

  it('given start_date before the coverage when planned then the missing range first, then the lookback range', () => {
    expect(readRanges(40 * DAY, 3, prior)).toEqual([{ from: 40 * DAY, to: 100 * DAY }, { from: 197 * DAY }]);
  });

  it('given start_date before the coverage and a lookback reaching into it when planned then one range from start_date', () => {
    expect(readRanges(40 * DAY, 3, { version: 2, covered_from: 100 * DAY, cursor: 102 * DAY })).toEqual([{ from: 40 * DAY }]);
  });

  it('given a migrated v1 state (empty coverage at the cursor) when planned then one range from start_date', () => {
    expect(readRanges(40 * DAY, 3, { version: 2, covered_from: 200 * DAY, cursor: 200 * DAY })).toEqual([{ from: 40 * DAY }]);
  });
});

describe('Coverage', () => {
  it('given a backfilled range that does not touch the stored interval when added then the state is still the stored interval', () => {
    const c = new Coverage({ version: 2, covered_from: 100, cursor: 200 });
    c.add(40, 80);
    expect(c.state()).toEqual({ version: 2, covered_from: 100, cursor: 200 });
    c.add(80, 100);
    expect(c.state()).toEqual({ version: 2, covered_from: 40, cursor: 200 });
  });

  it('given ranges re-read below the cursor when added then the cursor never moves back', () => {
    const c = new Coverage({ version: 2, covered_from: 100, cursor: 200 });
    c.add(150, 170);
    c.add(170, 190);
    expect(c.state()).toEqual({ version: 2, covered_from: 100, cursor: 200 });
    c.add(190, 260);
    expect(c.state()).toEqual({ version: 2, covered_from: 100, cursor: 260 });
  });

  it('given a range after a gap when added then the state is the later interval, never one with a hole', () => {
    const c = new Coverage({ version: 2, covered_from: 100, cursor: 200 });
    c.add(300, 400);
    expect(c.state()).toEqual({ version: 2, covered_from: 300, cursor: 400 });
  });

  it('given nothing read and no prior when asked then there is no state, and an empty range adds nothing', () => {
    const c = new Coverage(undefined);
    c.add(10, 10);
    expect(c.state()).toBeNull();
  });
});
