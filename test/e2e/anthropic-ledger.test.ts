import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { Ledger, type TokenType, tokenPrice, unitsToUsd } from '../fake/anthropic-ledger.js';
import type { LoggedRequest } from '../fake/server.js';
import { BINS, CONTRACTS, catalog, dataLines, errors, files, ofType, records, run, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { query, runCli, trimDecimal } from '../support/warehouse.js';

/**
 * Anthropic's money has one source per day (issue 23): the spend stream reads analytics_cost for
 * every day the analytics API serves and cost_report for the days before, and the fake serves one
 * ledger (test/fake/anthropic-ledger.ts), so cost_report, analytics_cost and focus_spend must
 * each equal the ledger per day. On the real clock: the boundary is computed here, independently,
 * with the analytics API's floor formula (max(2026-01-01, now - 365 days) in whole days).
 */
const KEY = 'sk-ant-admin01-E2E-LEDGER-0a1b2c3d4e';
const DAY = 86_400;
const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const isoDate = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const BOUNDARY = Math.max(at('2026-01-01'), Math.ceil((Date.now() / 1000 - 365 * DAY) / DAY) * DAY);
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const START = at('2025-12-01');
/** end_date is inclusive: 2026-02-28 is the last day read. */
const LAST = at('2026-02-28');
const END = LAST + DAY;
/** The group_by of the spend stream's analytics_cost requests (docs/streams-anthropic.md). */
const SPEND_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model', 'token_type'];
/** ... and of the analytics usage requests whose token counts it joins (docs/focus.md). */
const SPEND_USAGE_GROUP_BY = ['workspace_id', 'api_key_id', 'actor', 'model'];
/** The group_by of the usage_report/messages requests joined to cost_report rows (docs/focus.md). */
const COST_REPORT_JOIN_GROUP_BY = ['workspace_id', 'model', 'service_tier', 'context_window', 'inference_geo'];

/**
 * Ground truth of spend's ListCost per day, from the ledger (its prices are the published ones):
 * - cost_report rows: a token line's list price times its tokens is the ledger's list amount of
 *   the line; a web search line's is its searches' list amount (a credit on the line is not a
 *   search); a line without a count (code execution) or a credit (negative line) keeps its amount;
 * - analytics_cost rows: tokens at the published standard price (standard tier, 0-200k, global),
 *   whatever tier, context and geo they ran at; any other row its list amount.
 */
function expectedListUsd(day: number, source: 'cost_report' | 'analytics_cost'): string {
  let units = 0n;
  if (source === 'analytics_cost') {
    for (const e of fake.org.ledger.eventsOn(day))
      for (const c of e.costs) {
        units +=
          c[0] === 'tokens' ? BigInt(e.tokens[c[1] as TokenType]) * tokenPrice(String(e.dims.model), 'standard', '0-200k', 'global', c[1] as TokenType) : c[2];
      }
    return unitsToUsd(units);
  }
  const lines = new Map<string, { type: string; amount: bigint; list: bigint }>();
  for (const e of fake.org.ledger.eventsOn(day))
    for (const c of e.costs) {
      const line = Ledger.costLine(e, c);
      const k = JSON.stringify([e.dims.workspace_id, line.description]);
      const g = lines.get(k) ?? { type: line.cost_type, amount: 0n, list: 0n };
      g.amount += c[3];
      if (c[2] > 0n) g.list += c[2];
      lines.set(k, g);
    }
  for (const g of lines.values()) units += g.amount < 0n || (g.type !== 'tokens' && g.type !== 'web_search') ? g.amount : g.list;
  return unitsToUsd(units);
}
const schemas = Object.fromEntries(
  ['cost_report', 'spend', 'analytics_cost'].map((s) => [
    s,
    JSON.parse(readFileSync(join(CONTRACTS.anthropic, 'schemas', `${s}.json`), 'utf8')) as Record<string, unknown>,
  ]),
);

let fake: FakeAnthropic;
let dir: string;
const outputs: string[] = [];
beforeAll(async () => {
  // Every day has charges (emptyEvery 0), so "each day once" is each of the 90 days; the data runs up to today,
  // so the analytics API serves some of it whatever the clock.
  const first = at('2025-11-01');
  fake = new FakeAnthropic({ firstDay: first, days: (TODAY - first) / DAY + 1, adminKey: KEY, emptyEvery: 0 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'anthropic-ledger-'));
});
afterAll(async () => {
  await fake.stop();
  rmSync(dir, { recursive: true, force: true });
  for (const o of outputs) expect(o).not.toContain(KEY);
});

const configFile = (name: string, extra: Record<string, unknown> = {}): string => {
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ admin_api_key: KEY, start_date: isoDate(START), end_date: isoDate(LAST), base_url: fake.baseUrl, ...extra }));
  return path;
};

async function read(cfg: Record<string, unknown>, streams: readonly string[]): Promise<{ result: RunResult; requests: LoggedRequest[] }> {
  const fl = files({
    'c.json': { admin_api_key: KEY, base_url: fake.baseUrl, ...cfg },
    'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))),
  });
  const before = fake.requests.length;
  const result = await run(BINS.anthropic, ['read', '--config', fl['c.json'] as string, '--catalog', fl['cat.json'] as string]);
  outputs.push(result.stdout + result.stderr);
  expect(result.code, JSON.stringify(errors(result.messages).map((e) => e.trace.error.message))).toBe(0);
  assertProtocol(result, { streams: [...streams], schemas });
  // A read of spend first asks once for the organization (its BillingAccountId); the rest are the streams' own.
  const sent = fake.requests.slice(before);
  const me = sent.filter((r) => r.path === '/v1/organizations/me');
  expect(me.length).toBe(streams.includes('spend') ? 1 : 0);
  // And it lists the entities that name its ids (docs/focus.md, Names): not requests of a stream read here.
  const names = /^\/v1\/organizations\/(workspaces|api_keys|users)$/;
  expect(sent.some((r) => names.test(r.path))).toBe(streams.includes('spend'));
  return { result, requests: sent.filter((r) => r.path !== '/v1/organizations/me' && !names.test(r.path)) };
}

/** Per day, the exact sum of `amount` (decimal strings), by BigInt at 1e-11 dollar (the ledger's grain). */
function perDay<R>(rows: readonly R[], dayOf: (r: R) => string, amount: (r: R) => string): Map<string, string> {
  const units = new Map<string, bigint>();
  for (const r of rows) {
    const v = amount(r);
    const neg = v.startsWith('-');
    const [i = '0', f = ''] = (neg ? v.slice(1) : v).split('.');
    if (f.length > 11) throw new Error(`more than 11 decimals: ${v}`);
    const u = BigInt(i) * 100_000_000_000n + BigInt(f.padEnd(11, '0') || '0');
    units.set(dayOf(r), (units.get(dayOf(r)) ?? 0n) + (neg ? -u : u));
  }
  const usd = (u: bigint): string => {
    const neg = u < 0n;
    const a = neg ? -u : u;
    const frac = (a % 100_000_000_000n).toString().padStart(11, '0').replace(/0+$/, '');
    return `${neg ? '-' : ''}${a / 100_000_000_000n}${frac ? `.${frac}` : ''}`;
  };
  return new Map([...units].map(([d, u]) => [d, usd(u)]));
}

describe('Anthropic money: one source per day, one ledger', () => {
  it('given a sync from 2025-12-01 to 2026-02-28 when focus_spend is read then each day is there once, from one source, BilledCost equals the ledger per day across the analytics boundary and ListCost the published list price times the joined token counts', async () => {
    const db = join(dir, 'ledger.duckdb');
    const sync = await runCli(BINS.anthropic, ['sync', '--config', configFile('sync'), '--db', db, '--streams', 'spend,cost_report'], { timeoutMs: 240_000 });
    outputs.push(sync.stdout + sync.stderr);
    expect(sync.code, sync.stderr).toBe(0);

    const days = await query(
      db,
      `SELECT strftime(ChargePeriodStart, '%Y-%m-%d') AS d, count(DISTINCT x_Source) AS sources, min(x_Source) AS source,
              CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS billed, CAST(sum(CAST(ListCost AS DECIMAL(38,12))) AS VARCHAR) AS list
       FROM focus_spend GROUP BY 1 ORDER BY 1`,
    );
    const ledger = fake.org.ledger.dailyTotals(START, END);
    // Every day of the range, each once: one source per day, the right one on each side of the boundary.
    expect(ledger).toHaveLength(90);
    expect(days.map((d) => d.d)).toEqual(ledger.map((l) => l.date));
    for (const d of days) {
      expect(Number(d.sources), String(d.d)).toBe(1);
      expect(d.source, String(d.d)).toBe(at(String(d.d)) < BOUNDARY ? 'cost_report' : 'analytics_cost');
    }
    // Exactly the ledger's money per day; ListCost the published list price times the joined quantities (expectedListUsd).
    expect(Object.fromEntries(days.map((d) => [d.d, trimDecimal(String(d.billed))]))).toEqual(Object.fromEntries(ledger.map((l) => [l.date, l.amountUsd])));
    expect(Object.fromEntries(days.map((d) => [d.d, trimDecimal(String(d.list))]))).toEqual(
      Object.fromEntries(ledger.map((l) => [l.date, expectedListUsd(at(l.date), at(l.date) < BOUNDARY ? 'cost_report' : 'analytics_cost')])),
    );
    // The list price is above the amount on analytics days (the ledger's discounts): ListCost is not a copy of BilledCost.
    if (BOUNDARY < END) expect(ledger.filter((l) => at(l.date) >= BOUNDARY).some((l) => l.listUsd !== l.amountUsd)).toBe(true);
    // No row twice, and the cost report table agrees with the ledger on every day too.
    const dup = await query(db, 'SELECT count(*) AS n, count(DISTINCT x_RecordId) AS d FROM focus_spend');
    expect(dup[0]?.d).toBe(dup[0]?.n);
    const cost = await query(
      db,
      `SELECT date AS d, CAST(sum(CAST(amount_usd AS DECIMAL(38,12))) AS VARCHAR) AS total FROM anthropic.cost_report GROUP BY 1 ORDER BY 1`,
    );
    expect(Object.fromEntries(cost.map((c) => [String(c.d).slice(0, 10), trimDecimal(String(c.total))]))).toEqual(
      Object.fromEntries(ledger.map((l) => [l.date, l.amountUsd])),
    );
    // Analytics rows carry the key and the actor (null only where the API did not attribute them).
    const attributed = await query(
      db,
      "SELECT count(*) AS n, count(x_ApiKeyId) AS keys, count(x_ActorType) AS actors FROM focus_spend WHERE x_Source = 'analytics_cost'",
    );
    if (BOUNDARY < END) {
      expect(Number(attributed[0]?.keys)).toBeGreaterThan(0);
      expect(Number(attributed[0]?.actors)).toBeGreaterThan(0);
    }
    const legacy = await query(db, "SELECT count(x_ApiKeyId) AS keys, count(x_ListAmountCents) AS list FROM focus_spend WHERE x_Source = 'cost_report'");
    expect(legacy[0]).toEqual({ keys: '0', list: '0' });
    // One stream, one state: the coverage runs contiguously across the boundary, over every day read.
    const state = await query(db, "SELECT CAST(state AS VARCHAR) AS s FROM anthropic._connector_state WHERE stream = 'spend'");
    expect(state.map((r) => JSON.parse(String(r.s)))).toEqual([{ version: 2, covered_from: START, cursor: END }]);
    // Synced again: the lookback days are read again from the same source, and nothing is counted twice.
    const before = await query(db, 'SELECT count(*) AS n FROM focus_spend');
    const again = await runCli(BINS.anthropic, ['sync', '--config', configFile('sync'), '--db', db, '--streams', 'spend,cost_report'], { timeoutMs: 240_000 });
    outputs.push(again.stdout + again.stderr);
    expect(again.code, again.stderr).toBe(0);
    expect(await query(db, 'SELECT count(*) AS n FROM focus_spend')).toEqual(before);
    const after = await query(
      db,
      `SELECT strftime(ChargePeriodStart, '%Y-%m-%d') AS d, CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS billed FROM focus_spend GROUP BY 1 ORDER BY 1`,
    );
    expect(Object.fromEntries(after.map((d) => [d.d, trimDecimal(String(d.billed))]))).toEqual(Object.fromEntries(ledger.map((l) => [l.date, l.amountUsd])));
  });

  it('given the ledger when cost_report, analytics_cost and spend are read over the analytics days then every money table equals the ledger per day, analytics_cost list_amount its list price and spend ListCost the published standard price of its tokens', async () => {
    const from = Math.max(BOUNDARY, at('2026-01-20'));
    const last = from + 9 * DAY;
    const { result, requests } = await read({ start_date: isoDate(from), end_date: isoDate(last) }, ['cost_report', 'analytics_cost', 'spend']);
    const ledger = fake.org.ledger.dailyTotals(from, last + DAY);
    const truth = new Map(ledger.map((l) => [l.date, l.amountUsd]));
    const cost = records(result.messages, 'cost_report');
    const analytics = records(result.messages, 'analytics_cost');
    const spend = records(result.messages, 'spend');
    expect(
      perDay(
        cost,
        (r) => String(r.date),
        (r) => String(r.amount_usd),
      ),
    ).toEqual(truth);
    expect(
      perDay(
        analytics,
        (r) => String(r.date),
        (r) => String(r.amount_usd),
      ),
    ).toEqual(truth);
    expect(
      perDay(
        analytics,
        (r) => String(r.date),
        (r) => String(r.list_amount_usd),
      ),
    ).toEqual(new Map(ledger.map((l) => [l.date, l.listUsd])));
    expect(
      perDay(
        spend,
        (r) => String(r.ChargePeriodStart).slice(0, 10),
        (r) => String(r.BilledCost),
      ),
    ).toEqual(truth);
    expect(
      perDay(
        spend,
        (r) => String(r.ChargePeriodStart).slice(0, 10),
        (r) => String(r.ListCost),
      ),
    ).toEqual(new Map(ledger.map((l) => [l.date, expectedListUsd(at(l.date), 'analytics_cost')])));
    expect(spend.every((s) => s.x_Source === 'analytics_cost')).toBe(true);
    // The spend stream's own analytics requests: daily buckets, the additive grouping, no filters.
    const spendRequests = requests.filter((r) => r.path === '/v1/organizations/analytics/cost' && r.query.getAll('group_by[]').includes('token_type'));
    expect(spendRequests.length).toBeGreaterThan(0);
    for (const r of spendRequests) {
      expect(r.query.getAll('group_by[]')).toEqual(SPEND_GROUP_BY);
      expect(r.query.get('time_bucket_width')).toBe('1d');
    }
  });

  it('given analytics as the source when spend is read then each row is exactly an analytics_cost row of the spend grouping (amount, list amount, workspace, key, actor, model and token type) and each window reads the analytics usage of the spend grouping too', async () => {
    const from = Math.max(BOUNDARY, at('2026-02-01'));
    const last = from + 6 * DAY;
    // The analytics_cost stream's own choices (filters, grouping, width) do not change spend: it is the whole organisation's money.
    const { result, requests } = await read(
      {
        start_date: isoDate(from),
        end_date: isoDate(last),
        focus: { anthropic_source: 'analytics' },
        time_bucket_width: '1h',
        group_by: { analytics_cost: ['model'] },
        filters: { analytics_cost: { models: ['claude-haiku-4-5'] } },
      },
      ['spend'],
    );
    // Each window: the token counts (analytics usage) and then the cost, both of the spend grouping.
    expect(new Set(requests.map((r) => r.path))).toEqual(new Set(['/v1/organizations/analytics/cost', '/v1/organizations/analytics/usage']));
    for (const r of requests) {
      expect(r.query.getAll('group_by[]')).toEqual(r.path.endsWith('/cost') ? SPEND_GROUP_BY : SPEND_USAGE_GROUP_BY);
      expect(r.query.get('time_bucket_width')).toBe('1d');
      expect(r.query.has('models[]')).toBe(false);
    }
    const spend = records(result.messages, 'spend');
    const key = (x: Record<string, unknown>): string => JSON.stringify(x);
    const got = spend.map((s) =>
      key({
        date: String(s.ChargePeriodStart).slice(0, 10),
        workspace: s.SubAccountId,
        apiKey: s.x_ApiKeyId,
        actorType: s.x_ActorType,
        actorId: s.x_ActorId,
        model: (s.SkuPriceDetails as { x_ModelId?: string } | null)?.x_ModelId ?? null,
        tokenType: s.x_TokenType,
        billed: s.BilledCost,
        cents: s.x_AmountCents,
        listCents: s.x_ListAmountCents,
        source: s.x_Source,
      }),
    );
    const expected = fake.analytics.data.expectedCost(from, last + DAY, '1d', SPEND_GROUP_BY).map((e) =>
      key({
        date: e.date,
        workspace: e.workspace_id,
        apiKey: e.api_key_id,
        actorType: e.actor_type,
        actorId: e.actor_id,
        model: e.model,
        tokenType: e.token_type,
        billed: e.amount_usd,
        cents: e.amount_cents,
        listCents: e.list_amount_cents,
        source: 'analytics_cost',
      }),
    );
    expect(got.sort()).toEqual(expected.sort());
    expect(new Set(spend.map((s) => s.x_RecordId)).size).toBe(spend.length);
  });

  it('given auto across the boundary when spend is read on decode workers and on the main thread then the RECORD and STATE lines are byte for byte the same, each segment decoded with its own plan', async () => {
    const from = BOUNDARY - 4 * DAY;
    const last = BOUNDARY + 4 * DAY;
    const both = async (threads: number) => {
      const { result } = await read({ start_date: isoDate(from), end_date: isoDate(last), decode_threads: threads }, ['spend']);
      const workers = ofType(result.messages, 'LOG').filter((m) => /worker thread/.test(m.log.message as string)).length;
      return { workers, lines: dataLines(result.stdout), sources: new Set(records(result.messages, 'spend').map((s) => s.x_Source)) };
    };
    const [onWorkers, onMain] = [await both(2), await both(0)];
    expect([onWorkers.workers, onMain.workers]).toEqual([1, 0]);
    expect(onWorkers.sources).toEqual(new Set(['cost_report', 'analytics_cost']));
    expect(onWorkers.lines.length).toBeGreaterThan(20);
    expect(onWorkers.lines).toEqual(onMain.lines);
  });

  it('given cost_report as the source when spend is read across the boundary then every row comes from the cost report and each day equals the ledger', async () => {
    const from = BOUNDARY - 3 * DAY;
    const last = BOUNDARY + 3 * DAY;
    const { result, requests } = await read({ start_date: isoDate(from), end_date: isoDate(last), focus: { anthropic_source: 'cost_report' } }, ['spend']);
    // The cost report, and the messages usage report of the same days for the token counts (1d, every price factor of a cost line).
    expect(new Set(requests.map((r) => r.path))).toEqual(new Set(['/v1/organizations/cost_report', '/v1/organizations/usage_report/messages']));
    for (const r of requests.filter((q) => q.path.endsWith('/messages'))) {
      expect(r.query.getAll('group_by[]')).toEqual(COST_REPORT_JOIN_GROUP_BY);
      expect(r.query.get('bucket_width')).toBe('1d');
    }
    const spend = records(result.messages, 'spend');
    expect(spend.every((s) => s.x_Source === 'cost_report' && s.x_ApiKeyId === null && s.x_ListAmountCents === null)).toBe(true);
    expect(
      perDay(
        spend,
        (r) => String(r.ChargePeriodStart).slice(0, 10),
        (r) => String(r.BilledCost),
      ),
    ).toEqual(new Map(fake.org.ledger.dailyTotals(from, last + DAY).map((l) => [l.date, l.amountUsd])));
  });

  it('given a warehouse whose spend came from cost_report when the source changes to auto and the days are re-read then each day holds only the analytics rows: the replaced ones are deleted, never counted twice', async () => {
    // As after an upgrade from a version whose spend was cost_report only: the same days, re-read from the other source.
    const db = join(dir, 'source-change.duckdb');
    const from = BOUNDARY + 2 * DAY;
    const last = BOUNDARY + 8 * DAY;
    const cfg = (source: string): string =>
      configFile(`change-${source}`, { start_date: isoDate(from), end_date: isoDate(last), lookback_days: 7, focus: { anthropic_source: source } });
    const first = await runCli(BINS.anthropic, ['sync', '--config', cfg('cost_report'), '--db', db, '--streams', 'spend'], { timeoutMs: 120_000 });
    outputs.push(first.stdout + first.stderr);
    expect(first.code, first.stderr).toBe(0);
    const [before] = await query(db, "SELECT count(*) AS n, count(*) FILTER (WHERE x_Source = 'cost_report') AS c FROM focus_spend");
    expect(Number(before?.n)).toBeGreaterThan(0);
    expect(Number(before?.c)).toBe(Number(before?.n));

    const second = await runCli(BINS.anthropic, ['sync', '--config', cfg('auto'), '--db', db, '--streams', 'spend'], { timeoutMs: 120_000 });
    outputs.push(second.stdout + second.stderr);
    expect(second.code, second.stderr).toBe(0);
    // The summary counts the rows the re-read replaced.
    expect(second.stderr).toMatch(new RegExp(`spend: ok, .*, ${Number(before?.n).toLocaleString('en-US')} deleted\\)`));
    const days = await query(
      db,
      `SELECT strftime(ChargePeriodStart, '%Y-%m-%d') AS d, count(DISTINCT x_Source) AS sources, min(x_Source) AS source,
              CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS billed
       FROM focus_spend GROUP BY 1 ORDER BY 1`,
    );
    const ledger = fake.org.ledger.dailyTotals(from, last + DAY);
    expect(days.map((d) => [d.d, Number(d.sources), d.source])).toEqual(ledger.map((l) => [l.date, 1, 'analytics_cost']));
    expect(Object.fromEntries(days.map((d) => [d.d, trimDecimal(String(d.billed))]))).toEqual(Object.fromEntries(ledger.map((l) => [l.date, l.amountUsd])));
  });
});
