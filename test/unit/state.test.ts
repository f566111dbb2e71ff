import { describe, expect, it } from 'vitest';
import { ConnectorError } from '../../connector/engine/errors.js';
import { parseStateFile } from '../../connector/engine/state.js';

const ctx = { streams: new Map<string, string | undefined>([['costs', 'start_time'], ['projects', undefined]]), log: () => {} };
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

  it('given a v1 state when parsed then its cursor is kept', () => {
    expect(parseStateFile(JSON.stringify([msg('costs', { version: 1, cursor: 100 })]), ctx).get('costs')).toEqual({ version: 1, cursor: 100 });
  });

  it('given the state a full-refresh list stream emitted when passed back then it is accepted and ignored', () => {
    const text = JSON.stringify([msg('projects', { version: 1, synced_at: 1735689600, pages: 2 }), msg('costs', { version: 1, cursor: 7 })]);
    const states = parseStateFile(text, ctx);
    expect(states.has('projects')).toBe(false);
    expect(states.get('costs')).toEqual({ version: 1, cursor: 7 });
  });

  it('given a version-0 state keyed by the cursor field when parsed then it is migrated to v1', () => {
    expect(parseStateFile(JSON.stringify([msg('costs', { start_time: 1735689600 })]), ctx).get('costs')).toEqual({ version: 1, cursor: 1735689600 });
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
    expect(configErrorOf(() => parseStateFile(JSON.stringify([msg('costs', { version: 2, cursor: 1 })]), ctx))).toMatch(/upgrade/);
  });
});
