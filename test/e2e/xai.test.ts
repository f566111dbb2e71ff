import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BINS, CONTRACTS, catalog, errors, files, records, run, states, type RunResult } from '../support/cli.js';
import { assertProtocol, withoutIds } from '../support/invariants.js';
import { CORRECTION_CENTS, CORRECTION_LINE, CREDIT_LINE, DAY, FakeXai, ticksToUsd, ZERO_LINE, type XaiFakeOptions } from '../fake/xai.js';

/**
 * source-xai-costs against the fake xAI Management API (test/fake/xai.ts): exact output against the
 * fake's ledger, the exact request body, limitReached splits, invoices in exact cents, API keys
 * without their secrets, and errors that never leak the key. Every output is searched for the keys.
 */
const KEY = 'mgmt-SENTINEL-9b2e7d4c1a';
const INFERENCE_KEY = 'xai-SENTINEL-inference-5e6f';
const TEAM = 'team-e2e-71c4';
const FIRST = Date.UTC(2026, 5, 1) / 1000; // 2026-06-01
const DAYS = 70;
const day = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;
const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const schemaOf = (stream: string) => JSON.parse(readFileSync(join(CONTRACTS.xai, `schemas/${stream}.json`), 'utf8')) as Record<string, unknown>;
const outputs: RunResult[] = [];
const base: XaiFakeOptions = { firstDay: FIRST, days: DAYS, key: KEY, team: TEAM };

let fake: FakeXai;
beforeAll(async () => {
  fake = new FakeXai(base);
  await fake.start();
});
afterAll(async () => {
  await fake.stop();
});

const config = (server: FakeXai, extra: Record<string, unknown> = {}) => ({
  management_key: KEY,
  team_id: TEAM,
  start_date: '2026-06-01',
  end_date: '2026-07-20',
  base_url: server.baseUrl,
  ...extra,
});

async function read(server: FakeXai, cfg: Record<string, unknown>, streams: string[], state?: unknown) {
  const f = files({
    'c.json': cfg,
    'cat.json': catalog(streams.map((name) => ({ name, mode: name === 'usage' || name === 'spend' ? 'incremental' : 'full_refresh' }))),
    ...(state ? { 's.json': state } : {}),
  });
  const before = server.requests.length;
  const result = await run(BINS.xai, [
    'read',
    '--config',
    f['c.json'] as string,
    '--catalog',
    f['cat.json'] as string,
    ...(f['s.json'] ? ['--state', f['s.json']] : []),
  ]);
  outputs.push(result);
  return { result, requests: server.requests.slice(before) };
}

/** The usage records the ledger says [start, end) holds: one per day, key and description with money, the dollars exact. */
function truth(server: FakeXai, start: number, end: number) {
  const sums = new Map<string, { day: number; apiKeyId: string; description: string; ticks: bigint }>();
  for (const l of server.linesIn(start, end)) {
    const k = `${l.day}|${l.apiKeyId}|${l.description}`;
    const s = sums.get(k) ?? { day: l.day, apiKeyId: l.apiKeyId, description: l.description, ticks: 0n };
    s.ticks += l.ticks;
    sums.set(k, s);
  }
  return withoutIds(
    [...sums.values()]
      .filter((s) => s.ticks !== 0n)
      .map((s) => {
        const key = server.keys.find((k) => k.apiKeyId === s.apiKeyId);
        return {
          bucket_start: iso(s.day),
          bucket_end: iso(s.day + DAY),
          date: iso(s.day).slice(0, 10),
          api_key_id: s.apiKeyId,
          api_key_label: `${key?.name} (${key?.redacted})`,
          description: s.description,
          usd: ticksToUsd(s.ticks),
        };
      }),
  );
}

const usagePosts = (requests: ReadonlyArray<{ method: string; path: string; body?: string }>) =>
  requests
    .filter((r) => r.method === 'POST' && r.path.endsWith('/usage'))
    .map((r) => JSON.parse(r.body ?? '{}') as { analyticsRequest: Record<string, unknown> });

describe('source-xai-costs usage', () => {
  it('given 50 days of usage when usage is read then every record equals the ledger exactly (no zero rows), and the protocol holds', async () => {
    const { result, requests } = await read(fake, config(fake), ['usage']);
    expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
    assertProtocol(result, { streams: ['usage'], schemas: { usage: schemaOf('usage') } });
    const expected = truth(fake, day('2026-06-01'), day('2026-07-21'));
    expect(expected.length).toBeGreaterThan(100);
    expect(withoutIds(records(result.messages, 'usage'))).toEqual(expected);
    // Amounts with many decimals came through as their digits, and the fake's series were dense with zeros.
    expect(records(result.messages, 'usage').some((r) => String(r.usd).split('.')[1]?.length === 10)).toBe(true);
    // The fake's first answers, an HTML 502 and a 429, were retried (and said so), never taken as data.
    expect(result.messages.some((m) => m.type === 'LOG' && /HTTP 502 .*retry/.test(m.log.message))).toBe(true);
    expect(result.messages.some((m) => m.type === 'LOG' && /HTTP 429 .*retry/.test(m.log.message))).toBe(true);
    expect(usagePosts(requests).length).toBeGreaterThan(2);
    // The fake shifts buckets for any other timezone: the connector asks for UTC days, so every bucket is a UTC midnight.
    for (const b of usagePosts(requests)) {
      const tr = b.analyticsRequest.timeRange as Record<string, string>;
      expect([tr.timezone, tr.startTime?.slice(10), tr.endTime?.slice(10)]).toEqual(['Etc/UTC', ' 00:00:00', ' 00:00:00']);
    }
    expect(records(result.messages, 'usage').every((r) => String(r.bucket_start).endsWith('T00:00:00Z'))).toBe(true);
  });

  it('given a read when its first usage request is looked at then the body is exactly the proto request: UTC day buckets, exclusive end, prefixed enums, value objects', async () => {
    const { result, requests } = await read(fake, config(fake, { start_date: '2026-06-03', end_date: '2026-06-04' }), ['usage']);
    expect(result.code).toBe(0);
    const bodies = usagePosts(requests);
    expect(bodies[0]).toEqual({
      analyticsRequest: {
        timeRange: { startTime: '2026-06-03 00:00:00', endTime: '2026-06-05 00:00:00', timezone: 'Etc/UTC' },
        timeUnit: 'TIME_UNIT_DAY',
        values: [{ name: 'usd', aggregation: 'AGGREGATION_SUM' }],
        groupBy: ['api_key_id', 'description'],
        filters: [],
      },
    });
    expect(requests.find((r) => r.path.endsWith('/usage'))?.headers.authorization).toBe(`Bearer ${KEY}`);
  });

  it('given a cardinality cap smaller than one day when usage is read then each capped day is split by API key (and the rest) and the records still equal the ledger', async () => {
    // At most 6 series per key and day (5 lines and the credit): a key alone always fits.
    const small = new FakeXai({ ...base, cap: 6 });
    await small.start();
    try {
      const { result, requests } = await read(small, config(small, { end_date: '2026-06-20' }), ['usage']);
      expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
      assertProtocol(result, { streams: ['usage'] });
      expect(withoutIds(records(result.messages, 'usage'))).toEqual(truth(small, day('2026-06-01'), day('2026-06-21')));
      const filters = usagePosts(requests).map((b) => b.analyticsRequest.filters as string[]);
      expect(filters.some((f) => f.length === 1 && f[0]?.startsWith('api_key_id:'))).toBe(true);
      // The rest: every listed key excluded, so a key no longer listed (deleted) is still read.
      expect(filters.some((f) => f.length === 4 && f.every((x) => x.startsWith('NOT api_key_id:')))).toBe(true);
      expect(records(result.messages, 'usage').some((r) => r.api_key_id === small.keys.find((k) => !k.listed)?.apiKeyId)).toBe(true);
      expect(requests.some((r) => r.path.endsWith('/api-keys'))).toBe(true);
      // The answers that were not capped carried limitReached both ways, false and omitted (proto3's default), and were read alike.
      expect(small.limitFlags.sent).toBeGreaterThan(0);
      expect(small.limitFlags.omitted).toBeGreaterThan(0);
    } finally {
      await small.stop();
    }
  });

  it('given one API key with more series in a day than the cap when usage is read then the stream fails loudly, emits nothing of that day and keeps the state before it', async () => {
    const tight = new FakeXai({ ...base, cap: 1, density: 0.9 });
    await tight.start();
    try {
      const { result } = await read(tight, config(tight, { end_date: '2026-06-10' }), ['usage']);
      expect(result.code).toBe(1);
      const [error] = errors(result.messages);
      expect(error?.trace.error.message).toMatch(/limitReached .* even for API key .* alone; the stream stops rather than emit a partial day/);
      expect(records(result.messages, 'usage')).toEqual([]);
      expect(states(result.messages, 'usage')).toEqual([]);
    } finally {
      await tight.stop();
    }
  });

  it('given two reads of overlapping days when their records are compared then the same day, key and description has the same id (a re-read replaces)', async () => {
    const a = await read(fake, config(fake, { start_date: '2026-06-10', end_date: '2026-06-15' }), ['usage']);
    const b = await read(fake, config(fake, { start_date: '2026-06-12', end_date: '2026-06-18' }), ['usage']);
    const idsOf = (r: RunResult, d: string) =>
      records(r.messages, 'usage')
        .filter((x) => x.date === d)
        .map((x) => `${x.id}|${x.usd}`)
        .sort();
    expect(idsOf(a.result, '2026-06-13').length).toBeGreaterThan(0);
    expect(idsOf(b.result, '2026-06-13')).toEqual(idsOf(a.result, '2026-06-13'));
  });
});

describe('source-xai-costs spend', () => {
  it('given the fake ledger when spend is read then each day sums exactly to the ledger, credits are Credit rows and xAI is provider, host and issuer', async () => {
    const { result } = await read(fake, config(fake), ['spend']);
    expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
    assertProtocol(result, { streams: ['spend'], schemas: { spend: schemaOf('spend') } });
    const rows = records(result.messages, 'spend');
    const byDay = new Map<string, bigint>();
    const scale = (usd: string): bigint => {
      const [i, f = ''] = usd.replace('-', '').split('.');
      const v = BigInt(i ?? '0') * 10_000_000_000n + BigInt((f + '0000000000').slice(0, 10));
      return usd.startsWith('-') ? -v : v;
    };
    for (const r of rows) byDay.set(String(r.ChargePeriodStart), (byDay.get(String(r.ChargePeriodStart)) ?? 0n) + scale(String(r.BilledCost)));
    const ledger = new Map<string, bigint>();
    for (const l of fake.linesIn(day('2026-06-01'), day('2026-07-21'))) ledger.set(iso(l.day), (ledger.get(iso(l.day)) ?? 0n) + l.ticks);
    expect(byDay).toEqual(new Map([...ledger].filter(([, v]) => v !== 0n)));
    for (const r of rows) {
      expect([r.ServiceProviderName, r.HostProviderName, r.InvoiceIssuerName, r.ProviderName]).toEqual(['xAI', 'xAI', 'xAI', 'xAI']);
      expect(r.BillingAccountId).toBe(TEAM);
      expect(r.ChargeCategory).toBe(String(r.BilledCost).startsWith('-') ? 'Credit' : 'Usage');
      // No count from the daily analytics: never one invented.
      expect([r.ConsumedQuantity, r.PricingQuantity, r.ListUnitPrice]).toEqual([null, null, null]);
      expect(r.ListCost).toBe(r.BilledCost);
    }
    const credits = rows.filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.length).toBeGreaterThan(0);
    expect(credits.every((r) => r.x_Description === CREDIT_LINE && r.SkuPriceId === null)).toBe(true);
    expect(rows.filter((r) => r.ChargeCategory === 'Usage').every((r) => r.SkuPriceId === r.x_Description)).toBe(true);
    expect(rows.find((r) => r.x_Description === 'Chat grok-4-0709')?.SkuPriceDetails).toEqual({ x_ModelId: 'grok-4-0709', x_ModelDeveloper: 'xAI' });
  });
});

describe('source-xai-costs invoices and api_keys', () => {
  it('given monthly invoices when invoices are read then cents and dollars are exact, a zero tax is 0, and the rounding gap against the daily usd is a few cents', async () => {
    const { result, requests } = await read(fake, config(fake, { start_date: '2026-07-01' }), ['invoices']);
    expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
    assertProtocol(result, { streams: ['invoices'], schemas: { invoices: schemaOf('invoices') } });
    const q = requests.find((r) => r.path.endsWith('/invoices'))?.query;
    expect([q?.get('since.year'), q?.get('since.month')]).toEqual(['2026', '7']);
    const rows = records(result.messages, 'invoices');
    const sent = fake.invoiceList(2026, 7);
    expect(rows.map((r) => [r.id, r.subtotal_cents, r.total_cents, r.tax_cents, r.tax_usd, r.billing_cycle_month])).toEqual(
      sent.map((i) => [i.invoiceId, i.subtotal, i.total, '0', '0', (i.monthly as { billingCycle: { month: number } }).billingCycle.month]),
    );
    for (const r of rows) expect(String(r.subtotal_usd)).toBe((Number(r.subtotal_cents) / 100).toFixed(2).replace(/\.?0+$/, ''));
    // July: each line is whole units of its price rounded to cents; the daily usd summed exactly differ from the subtotal
    // by a few cents, at most half a unit and half a cent per line, and not by nothing.
    const july = rows.find((r) => r.billing_cycle_month === 7) as Record<string, unknown>;
    const lines = july.lines as Array<Record<string, unknown>>;
    const dailyTicks = fake.linesIn(day('2026-07-01'), day('2026-08-01')).reduce((s, l) => s + l.ticks, 0n);
    const gap = Math.abs(Number(BigInt(String(july.subtotal_cents)) * 100_000_000n - dailyTicks)) / 1e8;
    const bound = lines.reduce((s, l) => s + Math.abs(Number(l.unit_price_micro_cents)) / 2e6 + 0.5, 0);
    expect(gap).toBeGreaterThan(0);
    expect(gap).toBeLessThanOrEqual(bound);
    // unitPrice is in 1/1,000,000 cents: numUnits x unitPrice is each line's amount, rounded to cents.
    for (const l of lines) {
      const micro = BigInt(String(l.num_units)) * BigInt(String(l.unit_price_micro_cents));
      expect(Math.abs(Number(micro - BigInt(String(l.amount_cents)) * 1_000_000n))).toBeLessThanOrEqual(500_000);
    }
    // A line with nothing billed comes without numUnits and amount (proto3): 0, never null.
    expect(lines.find((l) => l.description === ZERO_LINE)).toMatchObject({ num_units: '0', amount_cents: '0', amount_usd: '0' });
    // The invoices path first answered a gateway's HTML 504: retried, never taken as data.
    expect(result.messages.some((m) => m.type === 'LOG' && /HTTP 504 .*retry/.test(m.log.message))).toBe(true);
  });

  it('given the first month corrected and a month due on the 3rd when invoices are read before and after it then the correction is emitted and the same id turns PENDING to PAID', async () => {
    let now = Date.UTC(2026, 6, 2, 12); // 2026-07-02: June is closed, not yet charged
    const clocked = new FakeXai({ ...base, gatewayOnce: false, throttleOnce: false, now: () => now });
    await clocked.start();
    try {
      const before = records((await read(clocked, config(clocked), ['invoices'])).result.messages, 'invoices');
      now = Date.UTC(2026, 6, 4, 12); // charged on 2026-07-03
      const { result } = await read(clocked, config(clocked), ['invoices']);
      expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
      const after = records(result.messages, 'invoices');
      const june = (rows: Array<Record<string, unknown>>) => rows.find((r) => r.billing_cycle_month === 6) as Record<string, unknown>;
      expect([june(before).id, june(before).invoice_status]).toEqual([june(after).id, 'PENDING']);
      expect(june(after).invoice_status).toBe('PAID');
      expect(june(after).first_desired_next_cycle_ts).toBe('2026-07-03T00:00:00Z');
      expect(june(after).corrections_csv_asset_key_suffix).toBe(`${june(after).id}-corrections.csv`);
      const correction = (june(after).lines as Array<Record<string, unknown>>).find((l) => l.description === CORRECTION_LINE);
      expect(correction?.amount_cents).toBe(CORRECTION_CENTS.toString());
      const sent = clocked.invoiceList(2026, 6).find((i) => i.invoiceId === june(after).id);
      expect(june(after).subtotal_cents).toBe(sent?.subtotal);
      // July is the month of the clock: PENDING, and uncorrected.
      expect(after.find((r) => r.billing_cycle_month === 7)).toMatchObject({ invoice_status: 'PENDING', corrections_csv_asset_key_suffix: null });
    } finally {
      await clocked.stop();
    }
  });

  it('given an invoice paid since the last read when invoices are read again then the same id comes with the new status', async () => {
    const first = records((await read(fake, config(fake, { start_date: '2026-07-01' }), ['invoices'])).result.messages, 'invoices')[0] as Record<
      string,
      unknown
    >;
    fake.statusOf.set(String(first.id), first.invoice_status === 'PAID' ? 'FAILED' : 'PAID');
    try {
      const again = records((await read(fake, config(fake, { start_date: '2026-07-01' }), ['invoices'])).result.messages, 'invoices')[0] as Record<
        string,
        unknown
      >;
      expect(again.id).toBe(first.id);
      expect(again.invoice_status).not.toBe(first.invoice_status);
    } finally {
      fake.statusOf.clear();
    }
  });

  it('given API keys (one listed with its secret) when api_keys are read then only the redacted keys are emitted, disabled is a bool either way', async () => {
    const { result } = await read(fake, config(fake), ['api_keys']);
    expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
    assertProtocol(result, { streams: ['api_keys'], schemas: { api_keys: schemaOf('api_keys') } });
    const rows = records(result.messages, 'api_keys');
    expect(rows.map((r) => [r.id, r.redacted_api_key, r.disabled])).toEqual(fake.keys.filter((k) => k.listed).map((k, i) => [k.apiKeyId, k.redacted, i === 2]));
    expect(rows[3]?.tpm).toBe('100000');
    expect(result.stdout).not.toMatch(/xai-[0-9a-f]{40}/);
    expect(result.stdout).not.toContain('"apiKey"');
  });
});

describe('source-xai-costs prepaid_balance_changes', () => {
  it('given the inverted ledger when it is read then amounts keep their sign, credit_usd is the opposite in dollars (a purchase positive, posted spend negative)', async () => {
    const { result } = await read(fake, config(fake), ['prepaid_balance_changes']);
    expect(result.code, JSON.stringify(errors(result.messages))).toBe(0);
    assertProtocol(result, { streams: ['prepaid_balance_changes'], schemas: { prepaid_balance_changes: schemaOf('prepaid_balance_changes') } });
    const ledger = fake.prepaidLedger();
    const rows = records(result.messages, 'prepaid_balance_changes');
    expect(rows.map((r) => [r.change_origin, r.topup_status, r.amount_cents, r.create_time])).toEqual(
      ledger.changes.map((c) => [c.changeOrigin, c.topupStatus ?? null, (c.amount as { val: string }).val, c.createTime]),
    );
    const purchases = rows.filter((r) => r.change_origin === 'PURCHASE');
    expect(purchases.map((r) => r.credit_usd)).toEqual(purchases.map((r) => (r.amount_cents === '-100000' ? '1000' : '20')));
    const spends = rows.filter((r) => r.change_origin === 'SPEND');
    expect(spends.length).toBeGreaterThan(0);
    for (const r of spends) {
      const invoice = fake.invoiceList(2000, 1).find((i) => (i.monthly as { billingCycle: { month: number } }).billingCycle.month === r.spend_month);
      expect(r.amount_cents).toBe(invoice?.subtotal);
      expect(r.credit_usd).toBe(`-${Number(r.amount_cents) / 100}`.replace(/^-0$/, '0'));
    }
  });
});

describe('source-xai-costs errors', () => {
  it('given a team the key does not manage when usage is read then the 404 names team_id as the setting to check, and the echoed key is not in the output', async () => {
    const { result } = await read(fake, config(fake, { team_id: 'team-other' }), ['usage']);
    expect(result.code).toBe(1);
    const [error] = errors(result.messages);
    expect(error?.trace.error.failure_type).toBe('system_error');
    expect(error?.trace.error.message).toMatch(/^HTTP 404 from \/v1\/billing\/teams\/team-other\/usage: xAI knows no such team .* check team_id/);
  });

  for (const status of [403, 404] as const) {
    it(`given a management key of another team answered ${status} when usage is read then the run fails saying which setting to check, and that key is masked`, async () => {
      const other = 'mgmt-SENTINEL-otherteam-3a9c';
      const server = new FakeXai({ ...base, gatewayOnce: false, throttleOnce: false, otherTeams: { [other]: 'team-b-55' }, otherTeamStatus: status });
      await server.start();
      try {
        const { result } = await read(server, config(server, { management_key: other }), ['usage']);
        expect(result.code).toBe(1);
        const [error] = errors(result.messages);
        if (status === 403) {
          expect(error?.trace.error.failure_type).toBe('config_error');
          expect(error?.trace.error.message).toMatch(/refused the management key for this team/);
        } else {
          expect(error?.trace.error.failure_type).toBe('system_error');
          expect(error?.trace.error.message).toMatch(/check team_id/);
        }
        expect(result.stdout + result.stderr).not.toContain(other);
      } finally {
        await server.stop();
      }
    });
  }

  it('given a 400 on every range (its body echoing the team and the key) when usage is read then the read fails after halving to one day, with the message and without the key', async () => {
    const server = new FakeXai({ ...base, gatewayOnce: false, throttleOnce: false, maxDays: 0 });
    await server.start();
    try {
      const { result, requests } = await read(server, config(server, { end_date: '2026-06-04' }), ['usage']);
      expect(result.code).toBe(1);
      const [error] = errors(result.messages);
      expect(error?.trace.error.message).toMatch(/HTTP 400 .*the time range exceeds 0 days/);
      // The team id is no secret; the key the body echoed is masked.
      expect(result.stdout).not.toContain(KEY);
      const days = usagePosts(requests).map((b) => b.analyticsRequest.timeRange as Record<string, string>);
      expect(days.at(-1)).toEqual({ startTime: '2026-06-01 00:00:00', endTime: '2026-06-02 00:00:00', timezone: 'Etc/UTC' });
      expect(states(result.messages, 'usage')).toEqual([]);
    } finally {
      await server.stop();
    }
  });

  it('given an inference API key when check runs then it fails with a message saying management keys only, and the echoed key is masked', async () => {
    const f = files({ 'c.json': config(fake, { management_key: INFERENCE_KEY }) });
    const result = await run(BINS.xai, ['check', '--config', f['c.json'] as string]);
    outputs.push(result);
    const status = result.messages.find((m) => m.type === 'CONNECTION_STATUS');
    expect(status?.connectionStatus.status).toBe('FAILED');
    expect(status?.connectionStatus.message).toMatch(/inference API key/);
    expect(result.stdout + result.stderr).not.toContain(INFERENCE_KEY);
  });

  it('given the fake when a body with a bare-string value, an unprefixed enum or an ISO time is posted then it answers 400 (the fake is strict)', async () => {
    const good = {
      timeRange: { startTime: '2026-06-01 00:00:00', endTime: '2026-06-02 00:00:00', timezone: 'Etc/UTC' },
      timeUnit: 'TIME_UNIT_DAY',
      values: [{ name: 'usd', aggregation: 'AGGREGATION_SUM' }],
      groupBy: [],
      filters: [],
    };
    const strict = new FakeXai({ ...base, gatewayOnce: false, throttleOnce: false });
    await strict.start();
    try {
      const at = (r: Record<string, unknown>) =>
        fetch(`${strict.baseUrl}/v1/billing/teams/${TEAM}/usage`, {
          method: 'POST',
          headers: { authorization: `Bearer ${KEY}` },
          body: JSON.stringify({ analyticsRequest: r }),
        }).then((x) => x.status);
      expect(await at(good)).toBe(200);
      expect(await at({ ...good, values: ['usd'] })).toBe(400);
      expect(await at({ ...good, timeUnit: 'DAY' })).toBe(400);
      expect(await at({ ...good, timeRange: { ...good.timeRange, startTime: '2026-06-01T00:00:00Z' } })).toBe(400);
      expect(await at({ ...good, timeRange: { startTime: '2026-06-01 00:00:00', endTime: '2026-06-02 00:00:00' } })).toBe(400);
    } finally {
      await strict.stop();
    }
  });

  afterAll(() => {
    for (const r of outputs) {
      expect(r.stdout + r.stderr).not.toContain(KEY);
      expect(r.stdout + r.stderr).not.toContain(INFERENCE_KEY);
    }
  });
});
