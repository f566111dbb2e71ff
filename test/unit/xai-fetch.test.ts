import { describe, expect, it } from 'vitest';
import type { FetchLike, RequestInit } from '../../connector/http/client.js';
import { XaiConfigSchema } from '../../connector/providers/xai/config.js';
import { usageStream } from '../../connector/providers/xai/usage.js';
import { testWindowReader } from '../support/window-reader.js';

/**
 * The xAI usage reader over a scripted API: POST bodies through the engine's HTTP client (method,
 * content type, the body), and what it does with limitReached: a window of days halved (saying why),
 * a day split by API key into parts that add up, and a part still capped failing.
 */
const DAY = 86_400;
const D0 = Date.UTC(2026, 6, 1) / 1000;
const config = XaiConfigSchema.parse({ management_key: 'mgmt-unit', team_id: 'team-u', start_date: '2026-07-01' });
const plan = usageStream.plan(config);

interface Sent {
  url: string;
  init: RequestInit;
  body?: { analyticsRequest: { timeRange: { startTime: string; endTime: string }; filters: string[] } };
}

const json = (body: unknown, status = 200): Response => new Response(JSON.stringify(body), { status, headers: { 'content-type': 'application/json' } });
const point = (t: number, usd: number) => ({ timestamp: new Date(t * 1000).toISOString().replace('.000Z', 'Z'), values: [usd] });
const series = (key: string, line: string, points: Array<[number, number]>) => ({
  group: [key, line],
  groupLabels: [`${key} (xai-...0000)`, line],
  dataPoints: points.map(([t, v]) => point(t, v)),
});

/** A fetch that answers each request with `answer` and keeps what was sent. */
function scripted(answer: (s: Sent) => Response): { fetch: FetchLike; sent: Sent[] } {
  const sent: Sent[] = [];
  const fetch: FetchLike = async (url, init) => {
    const s: Sent = { url, init, ...(init.body === undefined ? {} : { body: JSON.parse(init.body) }) };
    sent.push(s);
    return answer(s);
  };
  return { fetch, sent };
}

const days = (s: Sent): number =>
  (Date.parse(`${s.body?.analyticsRequest.timeRange.endTime.replace(' ', 'T')}Z`) -
    Date.parse(`${s.body?.analyticsRequest.timeRange.startTime.replace(' ', 'T')}Z`)) /
  86_400_000;

describe('xAI usage through the window reader', () => {
  it('given a window when it is read then the engine POSTs the JSON body with its content type and maps each non-zero point', async () => {
    const { fetch, sent } = scripted(() =>
      json({
        timeSeries: [
          series('k1', 'Search', [
            [D0, 0.123456789],
            [D0 + DAY, 0],
          ]),
        ],
      }),
    );
    const rows = (await testWindowReader(plan, { fetch, stream: 'usage' }).read({ start: D0, end: D0 + 2 * DAY })).batches.flatMap((b) =>
      'rows' in b ? b.rows : [],
    );
    expect(sent).toHaveLength(1);
    expect(sent[0]?.init.method).toBe('POST');
    expect(sent[0]?.init.headers['content-type']).toBe('application/json');
    expect(sent[0]?.url).toBe('https://api.example.com/v1/billing/teams/team-u/usage');
    expect(sent[0]?.body?.analyticsRequest.timeRange).toEqual({ startTime: '2026-07-01 00:00:00', endTime: '2026-07-03 00:00:00', timezone: 'Etc/UTC' });
    expect(rows.map((r) => [r.date, r.api_key_id, r.description, r.usd])).toEqual([['2026-07-01', 'k1', 'Search', '0.123456789']]);
  });

  it('given limitReached for two days when read then the answer is discarded, the window halved with the reason, and each day read alone', async () => {
    const { fetch, sent } = scripted((s) =>
      days(s) > 1
        ? json({ timeSeries: [series('k1', 'Search', [[D0, 5]])], limitReached: true })
        : json({ timeSeries: [series('k1', 'Search', [[Date.parse(`${s.body?.analyticsRequest.timeRange.startTime.replace(' ', 'T')}Z`) / 1000, 1.5]])] }),
    );
    const warnings: string[] = [];
    const records = await testWindowReader(plan, { fetch, stream: 'usage', warn: (m) => warnings.push(m) }).read({ start: D0, end: D0 + 2 * DAY });
    const rows = records.batches.flatMap((b) => ('rows' in b ? b.rows : []));
    expect(sent.map(days)).toEqual([2, 1, 1]);
    expect(warnings.join('\n')).toMatch(/limitReached for 2 days/);
    expect(rows.map((r) => [r.date, r.usd])).toEqual([
      ['2026-07-01', '1.5'],
      ['2026-07-02', '1.5'],
    ]);
  });

  it('given limitReached for one day when read then it is split by listed API key and the rest, and the parts add up in the day', async () => {
    const { fetch, sent } = scripted((s) => {
      if (s.init.method !== 'POST') return json({ apiKeys: [{ apiKeyId: 'k1' }, { apiKeyId: 'k2' }] });
      const f = s.body?.analyticsRequest.filters ?? [];
      if (f.length === 0) return json({ timeSeries: [], limitReached: true });
      if (f[0] === 'api_key_id:k1') return json({ timeSeries: [series('k1', 'Search', [[D0, 1]]), series('k1', 'Chat grok-4', [[D0, 2]])] });
      if (f[0] === 'api_key_id:k2') return json({ timeSeries: [series('k2', 'Search', [[D0, 3]])], limitReached: false });
      return json({ timeSeries: [series('gone', 'Search', [[D0, 4]])] });
    });
    const rows = (await testWindowReader(plan, { fetch, stream: 'usage' }).read({ start: D0, end: D0 + DAY })).batches.flatMap((b) =>
      'rows' in b ? b.rows : [],
    );
    expect(sent.map((s) => (s.init.method === 'POST' ? s.body?.analyticsRequest.filters : s.url))).toEqual([
      [],
      'https://api.example.com/auth/teams/team-u/api-keys',
      ['api_key_id:k1'],
      ['api_key_id:k2'],
      ['NOT api_key_id:k1', 'NOT api_key_id:k2'],
    ]);
    expect(rows.map((r) => `${r.api_key_id}/${r.description}=${r.usd}`).sort()).toEqual(['gone/Search=4', 'k1/Chat grok-4=2', 'k1/Search=1', 'k2/Search=3']);
  });

  it('given an API that ignores the key filter when a day is split then the overlapping parts fail the read as duplicates, never summed twice', async () => {
    const { fetch } = scripted((s) => {
      if (s.init.method !== 'POST') return json({ apiKeys: [{ apiKeyId: 'k1' }, { apiKeyId: 'k2' }] });
      const all = { timeSeries: [series('k1', 'Search', [[D0, 1]]), series('k2', 'Search', [[D0, 3]])] };
      return (s.body?.analyticsRequest.filters ?? []).length === 0 ? json({ ...all, limitReached: true }) : json(all);
    });
    await expect(testWindowReader(plan, { fetch, stream: 'usage' }).read({ start: D0, end: D0 + DAY })).rejects.toThrow(/same dimensions .*duplicate key/);
  });

  it('given a part still capped when a day is split then the read fails naming limitReached, and nothing is returned', async () => {
    const { fetch } = scripted((s) => (s.init.method !== 'POST' ? json({ apiKeys: [{ apiKeyId: 'k1' }] }) : json({ timeSeries: [], limitReached: true })));
    await expect(testWindowReader(plan, { fetch, stream: 'usage' }).read({ start: D0, end: D0 + DAY })).rejects.toThrow(
      /limitReached .* even for API key k1 alone/,
    );
  });

  it('given a point off a UTC midnight (another timezone) when read then the read fails rather than misplace it', async () => {
    const { fetch } = scripted(() => json({ timeSeries: [series('k1', 'Search', [[D0 + 4 * 3600, 1]])] }));
    await expect(testWindowReader(plan, { fetch, stream: 'usage' }).read({ start: D0, end: D0 + DAY })).rejects.toThrow(/aligned|outside|not/);
  });
});
