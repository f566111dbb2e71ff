import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import Ajv from 'ajv';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, CONTRACTS, catalog, errors, files, records, ROOT, run, type RunResult } from '../support/cli.js';
import { assertProtocol } from '../support/invariants.js';
import { apiGivesNoCount, NO_COUNT_COLUMNS } from '../support/focus-rules.js';
import { decimalOf } from '../support/number-text.js';

/**
 * FOCUS 1.3 conformance (issues 16, 24): every `spend` row of every connector, read by the built CLI
 * from the fakes, validates against test/fixtures/focus-1.3.schema.json (derived from the FOCUS 1.3
 * requirements model and column text, sources named in the file, independently of the connector's own
 * schema), its charge period ends after it starts and lies in its billing period, and per day the
 * BilledCost sum equals the provider's cost stream total for that day exactly (decimal strings summed
 * as scaled BigInts). The rules one by one, with their ids, are test/e2e/focus-rules.test.ts.
 */
const FOCUS = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/focus-1.3.schema.json'), 'utf8')) as Record<string, unknown>;
const validateFocus = new Ajv.default({ strict: false, allErrors: true }).compile(FOCUS);

// ---- exact decimals, written here (not the connector's) ---------------------------

const SCALE = 30;
function scaled(text: string): bigint {
  const m = /^(-?)(\d+)(?:\.(\d+))?$/.exec(text);
  if (!m) throw new Error(`not a plain decimal string: ${JSON.stringify(text)}`);
  const [, sign, int = '', frac = ''] = m;
  if (frac.length > SCALE) throw new Error(`more than ${SCALE} decimals: ${text}`);
  const v = BigInt(int + frac.padEnd(SCALE, '0'));
  return sign === '-' ? -v : v;
}
const sum = (values: Iterable<string>): bigint => [...values].reduce((a, v) => a + scaled(v), 0n);

/** Per UTC day (YYYY-MM-DD), the exact total of `amount` over `rows`. */
function byDay<R>(rows: readonly R[], dayOf: (r: R) => string, amount: (r: R) => string): Map<string, bigint> {
  const out = new Map<string, bigint>();
  for (const r of rows) out.set(dayOf(r), (out.get(dayOf(r)) ?? 0n) + scaled(amount(r)));
  return out;
}

// ---- checks every connector's spend rows must pass --------------------------------

/** The schema errors, each with the FOCUS rule of the fixture's condition it broke (its $comment). */
const CONDITIONS = (FOCUS.allOf as Array<{ $comment?: string }>).map((c) => c.$comment ?? '');
function broken(errors: typeof validateFocus.errors): string {
  return (errors ?? [])
    .filter((e) => e.keyword !== 'if')
    .map((e) => {
      const n = /^#\/allOf\/(\d+)\//.exec(e.schemaPath)?.[1];
      return `${e.instancePath || '(row)'} ${e.message ?? ''}${n === undefined ? '' : ` [${CONDITIONS[Number(n)]}]`}`;
    })
    .join('\n');
}

function expectFocusRows(rows: ReadonlyArray<Record<string, unknown>>): void {
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    // A row the APIs give no count for may lack its quantities and unit price, and nothing else (docs/focus.md).
    const letOff = apiGivesNoCount(row);
    const errs = validateFocus(row)
      ? []
      : (validateFocus.errors ?? []).filter((e) => e.keyword !== 'if' && !(letOff && NO_COUNT_COLUMNS.has(e.instancePath.slice(1))));
    expect(errs, `${broken(errs)}\n${JSON.stringify(row)}`).toEqual([]);
    const cs = Date.parse(row.ChargePeriodStart as string);
    const ce = Date.parse(row.ChargePeriodEnd as string);
    const bs = Date.parse(row.BillingPeriodStart as string);
    const be = Date.parse(row.BillingPeriodEnd as string);
    expect(ce, 'ChargePeriodEnd after ChargePeriodStart').toBeGreaterThan(cs);
    expect(be, 'BillingPeriodEnd after BillingPeriodStart').toBeGreaterThan(bs);
    expect(cs >= bs && ce <= be, `charge period inside its billing period: ${JSON.stringify(row)}`).toBe(true);
    expect(row.ServiceCategory).toBe('AI and Machine Learning');
    expect(row.ServiceSubcategory).toBe('Generative AI');
    expect(row.ProviderName).toBe(row.ServiceProviderName);
    expect(row.PublisherName).toBe(row.ServiceProviderName);
    expect(typeof row.x_RecordId).toBe('string');
  }
  expect(new Set(rows.map((r) => r.x_RecordId)).size, 'x_RecordId is unique').toBe(rows.length);
}

const outputs: RunResult[] = [];

async function read(bin: string, cfg: Record<string, unknown>, streams: string[]): Promise<RunResult> {
  const f = files({ 'c.json': cfg, 'cat.json': catalog(streams.map((name) => ({ name, mode: 'incremental' as const }))) });
  const r = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  outputs.push(r);
  return r;
}

const schemaOf = (dir: string, stream: string) => JSON.parse(readFileSync(join(dir, 'schemas', `${stream}.json`), 'utf8')) as Record<string, unknown>;
const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

describe('source-openai-costs spend (FOCUS 1.3)', () => {
  const KEY = 'sk-admin-FOCUS-SENTINEL-0a1b2c3d';
  const FIRST = Date.UTC(2025, 8, 28) / 1000; // 2025-09-28: the period crosses a month end
  const DAYS = 10;
  let fake: FakeOpenAi;
  beforeAll(async () => {
    fake = new FakeOpenAi({ firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey: KEY });
    await fake.start();
  });
  afterAll(() => fake.stop());

  it('given the fake organization when costs and spend are read then every spend row is a FOCUS 1.3 row and each day sums exactly to the costs total and the fake’s own', async () => {
    const cfg = { admin_api_key: KEY, start_date: isoDay(FIRST), end_date: isoDay(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl };
    const r = await read(BINS.openai, cfg, ['costs', 'spend']);
    expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
    assertProtocol(r, { streams: ['costs', 'spend'], schemas: { costs: schemaOf(CONTRACTS.openai, 'costs'), spend: schemaOf(CONTRACTS.openai, 'spend') } });
    const spend = records(r.messages, 'spend');
    const costs = records(r.messages, 'costs');
    expectFocusRows(spend);
    expect(spend).toHaveLength(costs.length);
    const spendDays = byDay(
      spend,
      (s) => (s.ChargePeriodStart as string).slice(0, 10),
      (s) => s.BilledCost as string,
    );
    const costDays = byDay(
      costs,
      (c) => c.date as string,
      (c) => decimalOf(c.amount_value as number),
    );
    // Ground truth: the fake's finest rows in integer nanodollars, summed per day.
    const truth = new Map<string, bigint>();
    for (let d = FIRST; d < FIRST + DAYS * DAY; d += DAY) {
      const nanos = fake.org.costsOn(d).reduce((a, row) => a + BigInt(row.nanos), 0n);
      if (nanos > 0n) truth.set(isoDay(d), nanos * 10n ** BigInt(SCALE - 9));
    }
    expect(spendDays).toEqual(costDays);
    expect(spendDays).toEqual(truth);
    expect(spendDays.size).toBeGreaterThan(DAYS / 2);
    // The org's first day holds amounts below a micro-dollar (sent as 1.2e-7): written out, not in exponent form.
    expect(spend.some((s) => /^0\.0000001/.test(s.BilledCost as string))).toBe(true);
    // Billing periods are calendar months: the run crosses from September into October.
    expect(new Set(spend.map((s) => `${s.BillingPeriodStart}..${s.BillingPeriodEnd}`))).toEqual(
      new Set(['2025-09-01T00:00:00Z..2025-10-01T00:00:00Z', '2025-10-01T00:00:00Z..2025-11-01T00:00:00Z']),
    );
    expect(spend.every((s) => s.BillingAccountId === 'openai' && s.BillingCurrency === 'USD')).toBe(true);
    // ListCost: the published price times the tokens priced where the row has one (ListCost-C-009-C), else BilledCost.
    for (const s of spend) {
      const listed =
        s.ListUnitPrice === null
          ? scaled(s.BilledCost as string)
          : (scaled(s.ListUnitPrice as string) * scaled(s.PricingQuantity as string)) / 10n ** BigInt(SCALE);
      expect(scaled(s.ListCost as string), JSON.stringify(s)).toBe(listed);
    }
    expect(spend.filter((s) => s.ChargeCategory === 'Usage').every((s) => typeof s.ListUnitPrice === 'string')).toBe(true);
    expect(spend.some((s) => s.SubAccountId === null && s.SubAccountType === null)).toBe(true);
    expect(spend.some((s) => typeof s.SubAccountId === 'string' && s.SubAccountType === 'Project')).toBe(true);
    expect(spend.some((s) => (s.SkuPriceDetails as { x_ModelDeveloper?: string } | null)?.x_ModelDeveloper === 'OpenAI')).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });

  it('given focus settings in the config when spend is read then the billing account and a billing period starting on the 15th are used', async () => {
    const cfg = {
      admin_api_key: KEY,
      start_date: isoDay(FIRST),
      end_date: isoDay(FIRST + 2 * DAY),
      base_url: fake.baseUrl,
      focus: { billing_account_id: 'org-Acme', billing_account_name: 'Acme Corp', billing_period_start_day: 15 },
    };
    const r = await read(BINS.openai, cfg, ['spend']);
    expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
    const spend = records(r.messages, 'spend');
    expectFocusRows(spend);
    expect(new Set(spend.map((s) => [s.BillingAccountId, s.BillingAccountName, s.BillingPeriodStart, s.BillingPeriodEnd].join('|')))).toEqual(
      new Set(['org-Acme|Acme Corp|2025-09-15T00:00:00Z|2025-10-15T00:00:00Z']),
    );
  });
});

describe('source-anthropic-costs spend (FOCUS 1.3)', () => {
  const KEY = 'sk-ant-admin01-FOCUS-SENTINEL-4d5e6f';
  const FIRST = Date.UTC(2025, 8, 1) / 1000;
  const DAYS = 20;
  let fake: FakeAnthropic;
  beforeAll(async () => {
    fake = new FakeAnthropic({ firstDay: FIRST, days: DAYS, adminKey: KEY });
    await fake.start();
  });
  afterAll(() => fake.stop());

  it('given the fake organization when cost_report and spend are read then every spend row is a FOCUS 1.3 row and each day sums exactly to the cost_report total', async () => {
    const cfg = { admin_api_key: KEY, start_date: isoDay(FIRST), end_date: isoDay(FIRST + (DAYS - 1) * DAY), base_url: fake.baseUrl };
    const r = await read(BINS.anthropic, cfg, ['cost_report', 'spend']);
    expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
    assertProtocol(r, {
      streams: ['cost_report', 'spend'],
      schemas: { cost_report: schemaOf(CONTRACTS.anthropic, 'cost_report'), spend: schemaOf(CONTRACTS.anthropic, 'spend') },
    });
    const spend = records(r.messages, 'spend');
    const costs = records(r.messages, 'cost_report');
    expectFocusRows(spend);
    expect(spend).toHaveLength(costs.length);
    const spendDays = byDay(
      spend,
      (s) => (s.ChargePeriodStart as string).slice(0, 10),
      (s) => s.BilledCost as string,
    );
    const costDays = byDay(
      costs,
      (c) => c.date as string,
      (c) => c.amount_usd as string,
    );
    expect(spendDays.size).toBeGreaterThan(10);
    expect(spendDays).toEqual(costDays);
    // And the cents as sent: BilledCost is x_AmountCents with the point moved two places.
    expect(sum(spend.map((s) => s.BilledCost as string)) * 100n).toBe(sum(spend.map((s) => s.x_AmountCents as string)));
    expect(spend.some((s) => s.SubAccountId === null && s.SubAccountType === null)).toBe(true);
    expect(spend.some((s) => typeof s.SubAccountId === 'string' && s.SubAccountType === 'Workspace')).toBe(true);
    expect(spend.some((s) => (s.SkuPriceDetails as { x_ModelDeveloper?: string } | null)?.x_ModelDeveloper === 'Anthropic')).toBe(true);
    expect(r.stdout + r.stderr).not.toContain(KEY);
  });
});

describe('source-aurous-usage spend (FOCUS 1.3)', () => {
  const KEY = 'al_live_FOCUS_SENTINEL_7a8b9c';
  const FIRST = Date.UTC(2026, 5, 1) / 1000;
  const DAYS = 20;
  let fake: FakeAurous;
  beforeAll(async () => {
    fake = new FakeAurous({ firstTime: FIRST, endTime: FIRST + DAYS * DAY, apiKey: KEY, users: 6, models: 3 });
    await fake.start();
  });
  afterAll(() => fake.stop());
  const config = (extra: Record<string, unknown> = {}) => ({
    api_key: KEY,
    start_date: isoDay(FIRST),
    end_date: isoDay(FIRST + (DAYS - 1) * DAY),
    base_url: fake.baseUrl,
    ...extra,
  });

  it('given a credit rate when usage and spend are read then every spend row is a FOCUS 1.3 row priced in credits and each day sums exactly to credits times the rate', async () => {
    const RATE = '0.0125';
    const r = await read(BINS.aurous, config({ focus: { credit_usd_rate: RATE } }), ['usage', 'spend']);
    expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
    assertProtocol(r, { streams: ['usage', 'spend'], schemas: { usage: schemaOf(CONTRACTS.aurous, 'usage'), spend: schemaOf(CONTRACTS.aurous, 'spend') } });
    const spend = records(r.messages, 'spend');
    const usage = records(r.messages, 'usage');
    expectFocusRows(spend);
    expect(spend).toHaveLength(usage.length);
    const spendDays = byDay(
      spend,
      (s) => (s.ChargePeriodStart as string).slice(0, 10),
      (s) => s.BilledCost as string,
    );
    const rate = scaled(RATE);
    const creditDays = byDay(
      usage,
      (u) => (u.bucket_start as string).slice(0, 10),
      (u) => decimalOf(u.credits_used as number),
    );
    const usdDays = new Map([...creditDays].map(([d, credits]) => [d, (credits * rate) / 10n ** BigInt(SCALE)]));
    expect(spendDays.size).toBeGreaterThan(DAYS / 2);
    expect(spendDays).toEqual(usdDays);
    // Usage rows are priced per credit at the rate (ListUnitPrice); refunds are Credit rows without a price point.
    const usageRows = spend.filter((s) => s.ChargeCategory === 'Usage');
    const creditRows = spend.filter((s) => s.ChargeCategory === 'Credit');
    expect(usageRows.length > 0 && creditRows.length > 0).toBe(true);
    expect(
      usageRows.every(
        (s) => s.PricingUnit === 'Credits' && s.PricingQuantity === s.PricingCurrencyEffectiveCost && s.ListUnitPrice === RATE && s.ListCost === s.BilledCost,
      ),
    ).toBe(true);
    expect(creditRows.every((s) => s.SkuPriceId === null && s.PricingQuantity === null && s.PricingUnit === null && s.ListCost === s.BilledCost)).toBe(true);
    expect(spend.every((s) => s.PricingCurrency === 'credits' && s.BillingCurrency === 'USD' && s.x_CreditUsdRate === RATE)).toBe(true);
  });

  it('given no credit rate when spend is read then it fails with a one-line config_error naming focus.credit_usd_rate, and usage alone still reads', async () => {
    const r = await read(BINS.aurous, config(), ['usage', 'spend']);
    expect(r.code).toBe(1);
    assertProtocol(r, { streams: ['usage', 'spend'], expectComplete: false });
    const e = errors(r.messages).find((m) => /credit_usd_rate/.test(m.trace.error.message));
    expect(e?.trace.error.failure_type).toBe('config_error');
    expect(e?.trace.error.message).not.toContain('\n');
    expect(records(r.messages, 'spend')).toEqual([]);
    const alone = await read(BINS.aurous, config(), ['usage']);
    expect(alone.code, JSON.stringify(errors(alone.messages))).toBe(0);
    expect(records(alone.messages, 'usage').length).toBeGreaterThan(0);
  });

  it('given a rate that is not a decimal string when the config is read then it is refused saying how to write it', async () => {
    const r = await read(BINS.aurous, config({ focus: { credit_usd_rate: 0.01 } }), ['spend']);
    expect(r.code).toBe(1);
    const e = errors(r.messages).at(-1);
    expect(e?.trace.error.failure_type).toBe('config_error');
    expect(e?.trace.error.message).toMatch(/focus\.credit_usd_rate.*decimal string such as "0\.01"/);
  });
});

afterAll(() => {
  for (const r of outputs) expect(r.stdout).not.toMatch(/sk-admin-FOCUS|sk-ant-admin01-FOCUS|al_live_FOCUS/);
});
