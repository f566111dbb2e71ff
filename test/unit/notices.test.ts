import { describe, expect, it } from 'vitest';
import { encodePage, type RecordFormat } from '../../connector/engine/decode/decode.js';
import { NoticeLog } from '../../connector/engine/notices.js';
import type { Window } from '../../connector/engine/plan/planner.js';
import type { BucketStream } from '../../connector/engine/stream.js';
import { openAiSource } from '../../connector/providers/openai/index.js';

/**
 * Notices (engine/notices.ts): what a record mapping reports comes back with its page, each text
 * once, and the run logs each text once whichever page, stream or thread it came from. Worker
 * threads carry them the same way (test/e2e/openai-spend-prices.test.ts reads with and without).
 */
const DAY = 86_400;
const D1 = Date.UTC(2026, 0, 1) / 1000;
const window: Window = { start: D1, end: D1 + 2 * DAY };
const config = openAiSource.configSchema.parse({ admin_api_key: 'sk-admin-notices-0000', start_date: '2026-01-01' });
const spend = openAiSource.streams.find((s) => s.name === 'spend') as BucketStream<typeof config>;
const plan = spend.plan(config);

const result = (project: string, lineItem: string) => ({
  object: 'organization.costs.result',
  amount: { value: 0.25, currency: 'usd' },
  line_item: lineItem,
  project_id: project,
  quantity: 1000,
  quantity_unit: 'tokens',
});
const page = (buckets: unknown[][]) =>
  new TextEncoder().encode(
    JSON.stringify({
      object: 'page',
      data: buckets.map((results, i) => ({ object: 'bucket', start_time: D1 + i * DAY, end_time: D1 + (i + 1) * DAY, results })),
      has_more: false,
      next_page: null,
    }),
  );
const AIRBYTE: RecordFormat = { kind: 'airbyte' };
const ROWS: RecordFormat = { kind: 'rows' };

describe('notices of a mapping', () => {
  it('given the same notice many times and another when logged then each text is one WARN line, in the order first seen', () => {
    const warned: string[] = [];
    const log = new NoticeLog((m) => warned.push(m));
    for (const m of ['a', 'b', 'a', 'a']) log.add(m);
    log.addAll(['b', 'c']);
    log.addAll(undefined);
    expect(warned).toEqual(['a', 'b', 'c']);
  });

  it('given a page whose rows name two unpriced models in both buckets when encoded on this thread then the page carries each notice once, for every output format', () => {
    const body = page([
      [result('proj_1', 'gpt-9-preview, input'), result('proj_2', 'gpt-9-preview, input'), result('proj_1', 'gpt-4o-2024-08-06, input')],
      [result('proj_1', 'gpt-9-preview, input'), result('proj_1', 'gpt-9-mini, output')],
    ]);
    for (const format of [AIRBYTE, ROWS]) {
      const { page: decoded } = encodePage(plan, 'spend', format, body, window, 7);
      expect(decoded.buckets.map((b) => b.encoded?.count)).toEqual([3, 2]);
      expect(decoded.notices).toHaveLength(2);
      expect(decoded.notices?.[0]).toContain('gpt-9-preview "input" (standard)');
      expect(decoded.notices?.[1]).toContain('gpt-9-mini "output" (standard)');
    }
  });

  it('given a page whose rows are all priced when encoded then it carries no notices at all', () => {
    const { page: decoded } = encodePage(plan, 'spend', AIRBYTE, page([[result('proj_1', 'gpt-4o-2024-08-06, output')]]), window, 7);
    expect(decoded.notices).toBeUndefined();
  });

  it('given an unpriced row in a bucket outside the window when encoded then it is not mapped and reports nothing', () => {
    const body = page([[result('proj_1', 'gpt-4o-2024-08-06, output')], [], [result('proj_1', 'gpt-9-preview, input')]]);
    const { page: decoded } = encodePage(plan, 'spend', AIRBYTE, body, window, 7);
    expect(decoded.notices).toBeUndefined();
  });
});
