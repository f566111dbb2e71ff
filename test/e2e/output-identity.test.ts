import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { BINS, catalog, files, ROOT, run, type Message } from '../support/cli.js';
import { providerFakes, type ProviderFakes, startFakes, stopFakes } from '../support/fakes.js';
import { kitsOf } from '../support/kit.js';
import { AS_OF_ENV, testClock } from '../support/clock.js';

/** Every registered connector, its key and settings from its test kit (a new one writes its fixture with UPDATE_OUTPUT_FIXTURE=1). */
const KITS = await kitsOf(CONNECTORS);

/**
 * The connectors' output is a contract: a restructure must not change a byte of it. Each
 * connector reads every stream of its fake (20 days, the default fakes) with decode workers
 * and without; the messages of each stream, in order, with what a clock or a scheduler decides
 * taken out (emitted_at, synced_at, a duration, the worker LOG line, how streams interleave), as
 * of one instant (support/clock.ts TEST_NOW, so that the days read never age out of an API's window),
 * must hash to what test/fixtures/output/<connector>.json holds. The fixtures of the first three were written from
 * the code before issue 26 (`UPDATE_OUTPUT_FIXTURE=1`); on a difference, the normalized output
 * is written beside the temp dir so it can be diffed against a checkout of that code.
 */
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const KEYS = Object.fromEntries(KITS.map(({ connector, kit }) => [connector.provider, kit.e2e.key('output')]));
const DATES = { start_date: '2025-12-20', end_date: '2026-01-08' };

interface StreamOutput {
  lines: number;
  sha256: string;
}

/** The messages of each stream, in order, clock and scheduler taken out; messages of no stream under ''. */
function byStream(messages: Message[]): Record<string, string[]> {
  const out: Record<string, string[]> = {};
  for (const m of messages) {
    const text = JSON.stringify(m)
      .replace(/"emitted_at":\d+/g, '"emitted_at":0')
      .replace(/"synced_at":\d+/g, '"synced_at":0')
      .replace(/ in \d+ ms/g, ' in N ms');
    // The worker count, and the LOG line that says the run is as of TEST_NOW (support/clock.ts): not the connector's output.
    if (m.type === 'LOG' && /worker thread|AI_SPEND_NOW: running as of/.test(text)) continue;
    const stream = streamOf(m);
    (out[stream] ??= []).push(text);
  }
  return out;
}

function streamOf(m: Message): string {
  if (m.type === 'RECORD') return m.record.stream;
  if (m.type === 'STATE') return m.state.stream?.stream_descriptor?.name ?? '';
  if (m.type === 'TRACE') return m.trace.stream_status?.stream_descriptor?.name ?? m.trace.error?.stream_descriptor?.name ?? m.trace.estimate?.name ?? '';
  if (m.type === 'LOG') return /^(\w+): /.exec(m.log.message)?.[1] ?? '';
  return '';
}

const digest = (lines: string[]): StreamOutput => ({ lines: lines.length, sha256: createHash('sha256').update(lines.join('\n')).digest('hex') });

describe('output identity', () => {
  let fakes: ProviderFakes;
  beforeAll(async () => {
    fakes = providerFakes({ firstDay: day('2025-12-20'), days: 20, keys: KEYS, now: testClock() });
    await startFakes(fakes);
  });
  afterAll(() => stopFakes(fakes));

  for (const { connector, kit } of KITS) {
    const p = connector.provider;
    const name = connector.name;
    it(`given every ${name} stream read from its fake, with and without decode workers, when each stream's messages are hashed then they equal the committed fixture`, async () => {
      const config = { [kit.acceptance.keyField]: KEYS[p], ...kit.e2e.settings, ...DATES, base_url: fakes[p].baseUrl };
      const d = await run(BINS[p], ['discover', '--config', files({ 'c.json': config })['c.json'] as string], { env: AS_OF_ENV });
      const discovered: Array<{ name: string; supported_sync_modes: string[] }> = d.messages.find((m) => m.type === 'CATALOG')?.catalog.streams;
      const streams = discovered.map((s) => ({
        name: s.name,
        mode: s.supported_sync_modes.includes('incremental') ? ('incremental' as const) : ('full_refresh' as const),
      }));
      const outputs: Array<Record<string, StreamOutput>> = [];
      for (const decode_threads of [0, 2]) {
        const f = files({ 'c.json': { ...config, decode_threads }, 'cat.json': catalog(streams) });
        const r = await run(BINS[p], ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string], { env: AS_OF_ENV });
        expect(r.code, r.stderr).toBe(0);
        const grouped = byStream(r.messages);
        outputs.push(
          Object.fromEntries(
            Object.keys(grouped)
              .sort()
              .map((s) => [s, digest(grouped[s] as string[])]),
          ),
        );
        const dump = join(tmpdir(), `output-identity-${name}-${decode_threads}.json`);
        writeFileSync(dump, JSON.stringify(grouped, null, 1));
      }
      const fixture = join(ROOT, 'test/fixtures/output', `${name}.json`);
      if (process.env.UPDATE_OUTPUT_FIXTURE === '1') writeFileSync(fixture, `${JSON.stringify(outputs[0], null, 2)}\n`);
      if (!existsSync(fixture))
        throw new Error(
          `${name}: no ${fixture}: once its output is right, write it with UPDATE_OUTPUT_FIXTURE=1 npx vitest run test/e2e/output-identity.test.ts -t ${name}`,
        );
      const expected = JSON.parse(readFileSync(fixture, 'utf8')) as Record<string, StreamOutput>;
      expect(outputs[0], `without workers; normalized output in ${tmpdir()}/output-identity-${name}-0.json`).toEqual(expected);
      expect(outputs[1], `with workers; normalized output in ${tmpdir()}/output-identity-${name}-2.json`).toEqual(expected);
    }, 120_000);
  }
});
