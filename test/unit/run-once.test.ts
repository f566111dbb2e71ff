import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { main } from '../../connector/cli/main.js';
import { floorNotices, plannedRequests } from '../../connector/engine/read.js';
import { runOf } from '../../connector/engine/run.js';
import type { SourceDefinition } from '../../connector/engine/source.js';
import type { BucketStream } from '../../connector/engine/stream.js';
import type { OpenAiConfig } from '../../connector/providers/openai/config.js';
import { openAiSource } from '../../connector/providers/openai/index.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';

/**
 * Issue 26 point 1: following start_date from the CLI to the request crosses each layer once. A
 * whole `check`, `read` and `sync` (in this process, against the fake) parse the config, resolve
 * its dates (SourceDefinition.common) and its HTTP settings (SourceDefinition.http) exactly once:
 * the run (engine/run.ts) carries them down to the read loop, the planner and the HTTP client.
 */
const KEY = 'sk-admin-unit-run-once-1a2b3c4d';
const FIRST = Date.UTC(2025, 8, 1) / 1000;
const DAYS = 6;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let dir: string;
let configFile: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 2, lineItems: 2, adminKey: KEY });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'run-once-'));
  configFile = join(dir, 'config.json');
  // Decoded on this thread: the workers load the built connector, not this test's spies.
  const config = { admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl, decode_threads: 0 };
  writeFileSync(configFile, JSON.stringify(config));
});
afterAll(() => fake.stop());
afterEach(() => {
  vi.restoreAllMocks();
  process.exitCode = undefined;
});

/** The OpenAI source with its config parse, `common` and `http` counted. */
function spied() {
  const common = vi.fn(openAiSource.common);
  const http = vi.fn(openAiSource.http);
  const parse = vi.spyOn(openAiSource.configSchema, 'safeParse');
  const source: SourceDefinition<OpenAiConfig> = { ...openAiSource, common, http };
  const calls = () => ({ parse: parse.mock.calls.length, common: common.mock.calls.length, http: http.mock.calls.length });
  return { source, calls };
}

/** What a command writes to stdout and stderr, captured (the writer's callbacks called at once). */
function capture(): { stdout: string[]; stderr: string[] } {
  const out = { stdout: [] as string[], stderr: [] as string[] };
  for (const [stream, into] of [
    [process.stdout, out.stdout],
    [process.stderr, out.stderr],
  ] as const) {
    vi.spyOn(stream, 'write').mockImplementation(((chunk: string | Uint8Array, ...rest: unknown[]) => {
      into.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
      const done = rest.find((r) => typeof r === 'function');
      if (typeof done === 'function') done();
      return true;
    }) as typeof stream.write);
  }
  return out;
}

const lines = (chunks: string[]): Array<Record<string, unknown>> =>
  chunks
    .join('')
    .split('\n')
    .filter((l) => l.startsWith('{'))
    .map((l) => JSON.parse(l) as Record<string, unknown>);

describe('one run', () => {
  it('given a check when it runs then the config is parsed, its dates and its HTTP settings resolved exactly once', async () => {
    const { source, calls } = spied();
    const out = capture();
    await main(source, ['check', '--config', configFile]);
    expect(lines(out.stdout).find((m) => m.type === 'CONNECTION_STATUS')).toEqual({ type: 'CONNECTION_STATUS', connectionStatus: { status: 'SUCCEEDED' } });
    expect(calls()).toEqual({ parse: 1, common: 1, http: 1 });
  });

  it('given a read of a bucketed stream, spend (with its account and names) and a list when it runs then the config is parsed, its dates and its HTTP settings resolved exactly once', async () => {
    const catalog = join(dir, 'catalog.json');
    const stream = (name: string, mode: 'incremental' | 'full_refresh') => ({
      stream: { name, json_schema: {}, supported_sync_modes: [mode] },
      sync_mode: mode,
      destination_sync_mode: mode === 'incremental' ? 'append_dedup' : 'overwrite',
    });
    writeFileSync(catalog, JSON.stringify({ streams: [stream('costs', 'incremental'), stream('spend', 'incremental'), stream('projects', 'full_refresh')] }));
    const { source, calls } = spied();
    const out = capture();
    const before = fake.requests.length;
    await main(source, ['read', '--config', configFile, '--catalog', catalog]);
    expect(process.exitCode).toBe(0);
    const completed = lines(out.stdout).filter((m) => {
      const trace = m.trace as { stream_status?: { status: string } } | undefined;
      return m.type === 'TRACE' && trace?.stream_status?.status === 'COMPLETE';
    });
    expect(completed).toHaveLength(3);
    expect(fake.requests.length).toBeGreaterThan(before + 3);
    expect(calls()).toEqual({ parse: 1, common: 1, http: 1 });
  });

  it('given a sync of a bucketed stream, spend (with its account and names) and a list when it runs then the config is parsed, its dates and its HTTP settings resolved exactly once', async () => {
    const { source, calls } = spied();
    const out = capture();
    await main(source, ['sync', '--config', configFile, '--db', join(dir, 'costs.duckdb'), '--streams', 'costs,spend,projects']);
    expect(process.exitCode, out.stderr.join('')).toBe(0);
    expect(out.stderr.join('')).toMatch(/3\/3 streams loaded/);
    expect(calls()).toEqual({ parse: 1, common: 1, http: 1 });
  });

  it('given a dry run (floor notices, then the planned requests) when a stream is planned twice then its plan is derived from the config once, and again once after the config changes', () => {
    const costs = openAiSource.streams.find((d): d is BucketStream<OpenAiConfig> => d.name === 'costs' && d.kind === 'buckets');
    if (!costs) throw new Error('no costs stream');
    const plan = vi.fn(costs.plan);
    const stream: BucketStream<OpenAiConfig> = { ...costs, plan };
    const config = openAiSource.configSchema.parse({ admin_api_key: KEY, start_date: iso(FIRST), end_date: iso(FIRST + (DAYS - 1) * DAY) });
    const clock = { now: () => (FIRST + 30 * DAY) * 1000 };
    const run = runOf({ config, common: openAiSource.common(config, clock.now()), clock, streams: [stream] });
    const o = { run, catalog: [{ name: 'costs', syncMode: 'incremental' as const }], states: new Map() };
    floorNotices(o);
    expect(plannedRequests(o)).toHaveLength(1);
    expect(plan).toHaveBeenCalledTimes(1);
    const later = run.withConfig({ ...config, max_window_days: 1 });
    expect(plannedRequests({ ...o, run: later })).toHaveLength(DAYS);
    expect(plan).toHaveBeenCalledTimes(2);
  });
});
