import { encodedRows } from '../../connector/engine/decode/decode.js';
import { describe, expect, it } from 'vitest';
import { read, type Emitter, type StreamHooks } from '../../connector/engine/read.js';
import { runOf } from '../../connector/engine/run.js';
import type { BucketPlan, BucketStream, ListStream, StreamDef } from '../../connector/engine/stream.js';
import { HttpClient } from '../../connector/http/client.js';
import { RateLimiter } from '../../connector/http/rate-limit.js';
import type { AirbyteMessage } from '../../connector/protocol/messages.js';

const DAY = 86_400;
const NOW_S = 200 * DAY;
const quiet = { debug: () => undefined, info: () => undefined, warn: () => undefined, error: () => undefined };

const list = (name: string, pages: Array<Array<Record<string, unknown>>>, fail?: string): ListStream<unknown> => ({
  kind: 'list',
  name,
  schema: {},
  primaryKey: [['id']],
  description: name,
  async *pages(ctx) {
    for (const rows of pages) {
      ctx.onResponse();
      yield rows;
    }
    if (fail) throw new Error(fail);
  },
});

/** A bucketed stream; read with end_date at its start, it plans no window and makes no request. */
const buckets: BucketStream<unknown> = {
  kind: 'buckets',
  name: 'costs',
  schema: {},
  primaryKey: [['id']],
  description: 'costs',
  cursorField: 'start_time',
  plan: () => ({ bucketSeconds: DAY, maxBuckets: 31, includeCurrentBucket: false }) as BucketPlan,
};

/** Runs a read of `streams` and returns one event log: the messages emitted and the hook calls, in order. */
async function events(
  streams: Array<StreamDef<unknown>>,
  states = new Map(),
  common = { start: 100 * DAY, end: 100 * DAY, lookbackDays: 3 },
): Promise<string[]> {
  const log: string[] = [];
  const emitter: Emitter = {
    emit: (m: AirbyteMessage) => {
      if (m.type === 'STATE') log.push(`STATE ${m.state.stream.stream_descriptor.name}`);
      else if (m.type === 'TRACE' && m.trace.type === 'STREAM_STATUS')
        log.push(`${m.trace.stream_status.status} ${m.trace.stream_status.stream_descriptor.name}`);
      else if (m.type === 'TRACE' && m.trace.type === 'ERROR') log.push(`ERROR ${m.trace.error.stream_descriptor?.name}`);
    },
    records: { kind: 'rows' },
    emitRecords: (stream, records, written) => {
      for (const data of encodedRows(records).rows) log.push(`RECORD ${stream} ${String(data.id)}`);
      written();
    },
    ready: async () => undefined,
  };
  const hooks: StreamHooks = {
    onStreamStart: (s) => log.push(`start ${s}`),
    onRange: (s, r) => log.push(`range ${s} ${r.from / DAY}..${r.to / DAY}`),
    onCheckpoint: (s, state) => log.push(`checkpoint ${s} ${JSON.stringify(state)}`),
    onStreamEnd: (s, status, error) => log.push(`end ${s} ${status}${error ? ` ${error}` : ''}`),
  };
  // No request is sent: the streams' pages come from the test.
  const clock = { now: () => NOW_S * 1000 };
  const sleep = async (): Promise<void> => undefined;
  const http = new HttpClient({
    baseUrl: 'http://127.0.0.1',
    headers: {},
    fetch: () => Promise.reject(new Error('no request expected')),
    sleep,
    clock,
    limiter: new RateLimiter(clock, sleep, {}),
    logger: quiet,
    redact: (t) => t,
  });
  await read({
    run: runOf({ config: {}, common, streams, clock }),
    catalog: streams.map((s) => ({ name: s.name, syncMode: s.kind === 'buckets' ? 'incremental' : 'full_refresh' })),
    states,
    http,
    emitter,
    hooks,
    logger: quiet,
  });
  return log;
}

describe('read() stream hooks', () => {
  it('given a list stream when read then each hook follows its message: start after STARTED, checkpoint after STATE, end after COMPLETE', async () => {
    expect(await events([list('projects', [[{ id: 'a' }], [{ id: 'b' }]])])).toEqual([
      'STARTED projects',
      'start projects',
      'RUNNING projects',
      'RECORD projects a',
      'RECORD projects b',
      'STATE projects',
      `checkpoint projects {"version":1,"synced_at":${NOW_S},"pages":2}`,
      'COMPLETE projects',
      'end projects COMPLETE',
    ]);
  });

  it('given a stream that fails after its rows when read then no checkpoint covers them and the end carries the error of the TRACE ERROR', async () => {
    const log = await events([list('users', [[{ id: 'u' }]], 'boom')]);
    expect(log.filter((e) => !e.startsWith('run'))).toEqual([
      'STARTED users',
      'start users',
      'RUNNING users',
      'RECORD users u',
      'INCOMPLETE users',
      'ERROR users',
      expect.stringMatching(/^end users INCOMPLETE .*boom/),
    ]);
  });

  it('given a bucketed stream with a stored state when read then its range starts lookback_days before the cursor, as the read plans it, and its final state is checkpointed', async () => {
    const state = { version: 2, covered_from: 90 * DAY, cursor: 100 * DAY };
    // start_date 95 is inside the coverage: the read starts at cursor 100 - 3 days; end_date 97 leaves no window to request.
    const log = await events([buckets], new Map([['costs', state]]), { start: 95 * DAY, end: 97 * DAY, lookbackDays: 3 });
    expect(log).toContain('range costs 97..97');
    expect(log).toContain(`checkpoint costs ${JSON.stringify(state)}`);
    expect(log.at(-1)).toBe('end costs COMPLETE');
  });
});
