import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CONNECTORS } from '../../connector/connectors.js';
import { FakeAurous } from '../fake/aurous.js';
import { CREDIT_LINE_ITEM, DAY, FakeOpenAi } from '../fake/openai.js';
import { BINS, catalog, errors, files, ROOT, records, run, type RunResult } from '../support/cli.js';
import {
  apiGivesNoCount,
  DATETIME_COLUMNS,
  DECIMAL_COLUMNS,
  decimalEquals,
  exact,
  FOCUS_COLUMNS,
  NO_COUNT_RULES,
  productEquals,
  RULES,
  rule,
  type Row,
} from '../support/focus-rules.js';
import { kitsOf } from '../support/kit.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * FOCUS 1.3 conformance, rule by rule (issue 24): every rule of shared/reference/focus-1.3-rules.md and
 * every other 1.3 column rule that applies to AI spend rows (test/support/focus-rules.ts, written from
 * the FOCUS 1.3 requirements model and column text) is one named test, with the rule id in its name,
 * over the real `spend` output of every registered connector (the built CLI against the fake and config
 * of its test kit's `e2e.spend`, one read per connector) and over the warehouse view `focus_spend` after
 * a `sync` of all of them into one file. Each kit's fake sends negative amounts (OpenAI a credit line,
 * Aurous a refund group, Anthropic its ledger's web-search credits), so the Credit branches are
 * exercised. Each rule is also run over Aurous rows broken the way it forbids (`MUTATIONS`): a rule
 * that cannot fail fails there. The provider-specific checks (the OpenAI credit line, the Anthropic
 * sources, the Aurous price points) are in their own describes below.
 */

const at = (iso: string): number => Date.parse(`${iso}T00:00:00Z`) / 1000;

/** Every registered connector with its kit's spend fake (keys shaped as its config wants, all marked FOCUS-RULES) and display name. */
const CASES = await Promise.all(
  (await kitsOf(CONNECTORS)).map(async ({ connector, kit }) => ({
    connector,
    displayName: (await connector.about()).displayName,
    ...kit.e2e.spend(kit.e2e.key('FOCUS-RULES')),
  })),
);
type Case = (typeof CASES)[number];
const EACH = CASES.map((c) => [c.connector.name, c] as const);
const caseOf = (provider: string): Case => {
  const c = CASES.find((x) => x.connector.provider === provider);
  if (!c) throw new Error(`${provider} is not registered`);
  return c;
};

let dir: string;
const outputs: RunResult[] = [];
const stderrs: string[] = [];
const spend = new Map<string, Row[]>();
const view = new Map<string, Row[]>();
const rowsOf = (m: Map<string, Row[]>, c: Case): Row[] => m.get(c.connector.provider) ?? [];
let viewTypes = new Map<string, string>();

async function readSpend(bin: string, cfg: Record<string, unknown>): Promise<Row[]> {
  const f = files({ 'c.json': cfg, 'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]) });
  const r = await run(bin, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
  outputs.push(r);
  expect(r.code, JSON.stringify(errors(r.messages).map((e) => e.trace.error.message))).toBe(0);
  return records(r.messages, 'spend');
}

/** focus_spend's rows as text: Date/Time as ISO 8601 UTC, DECIMAL and JSON as their exact text. */
async function readView(db: string): Promise<Row[]> {
  const select = [...viewTypes]
    .map(([c, t]) =>
      t.startsWith('TIMESTAMP')
        ? `strftime("${c}", '%Y-%m-%dT%H:%M:%SZ') AS "${c}"`
        : t.startsWith('DECIMAL') || t === 'JSON'
          ? `CAST("${c}" AS VARCHAR) AS "${c}"`
          : `"${c}"`,
    )
    .join(', ');
  return query(db, `SELECT ${select} FROM focus_spend`);
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'focus-rules-'));
  await Promise.all(CASES.map((c) => c.fake.start()));
  await Promise.all(CASES.map(async (c) => spend.set(c.connector.provider, await readSpend(BINS[c.connector.provider], c.config()))));
  // The same configs synced into one warehouse file (one after the other: one writer per file).
  const db = join(dir, 'focus.duckdb');
  for (const c of CASES) {
    const path = join(dir, `${c.connector.provider}.json`);
    writeFileSync(path, JSON.stringify(c.config()));
    const r = await runCli(BINS[c.connector.provider], ['sync', '--config', path, '--db', db, '--streams', 'spend'], { timeoutMs: 120_000 });
    stderrs.push(r.stderr);
    expect(r.code, r.stderr).toBe(0);
  }
  viewTypes = new Map(
    (await query(db, "SELECT column_name AS c, data_type AS t FROM information_schema.columns WHERE table_name = 'focus_spend' ORDER BY ordinal_position")).map(
      (r) => [String(r.c), String(r.t)],
    ),
  );
  const rows = await readView(db);
  for (const c of CASES)
    view.set(
      c.connector.provider,
      rows.filter((r) => r.ServiceProviderName === c.displayName),
    );
}, 240_000);

afterAll(async () => {
  await Promise.all(CASES.map((c) => c.fake.stop()));
  if (dir) rmSync(dir, { recursive: true, force: true });
  for (const text of [...outputs.map((r) => r.stdout + r.stderr), ...stderrs]) expect(text).not.toMatch(/FOCUS-RULES|FOCUS_RULES/);
});

const nonEmpty = (list: Row[]): Row[] => {
  expect(list.length, 'rows were read').toBeGreaterThan(0);
  return list;
};

/** Every rule over every row, but the no-count rules over the rows the APIs give a count for (test/support/focus-rules.ts apiGivesNoCount). */
const held = (rule: { id: string }, rows: Row[]): Row[] => (NO_COUNT_RULES.has(rule.id) ? rows.filter((r) => !apiGivesNoCount(r)) : rows);

describe.each(EACH)('%s spend: FOCUS 1.3 rules', (_name, c) => {
  it.each(RULES.map((r) => [r.id, r.says, r] as const))(
    '%s: given the connector’s spend rows read from the fake when the rule is checked then %s',
    (_id, _says, r) => {
      expect(r.check(held(r, nonEmpty(rowsOf(spend, c))))).toEqual([]);
    },
  );

  it('CAU-ChargeCategory-C-003-M: given the fake’s charges and credits (its kit’s spend.credits) when spend is read then both Credit and Usage rows are there (the Credit branch is exercised); for an API without credits, only Usage rows', () => {
    const categories = new Set(nonEmpty(rowsOf(spend, c)).map((r) => r.ChargeCategory));
    expect([categories.has('Credit'), categories.has('Usage')], JSON.stringify([...categories])).toEqual([c.credits, true]);
  });
});

describe.each(EACH)('%s rows in the warehouse view focus_spend: FOCUS 1.3 rules', (_name, c) => {
  it.each(RULES.map((r) => [r.id, r.says, r] as const))(
    '%s: given every connector synced into one file when focus_spend is checked then %s',
    (_id, _says, r) => {
      expect(r.check(held(r, nonEmpty(rowsOf(view, c))))).toEqual([]);
    },
  );

  it('given the sync of the same configs when focus_spend is read then it holds exactly the spend rows the connector emitted, every FOCUS column equal (decimals exactly)', () => {
    const byKey = new Map(nonEmpty(rowsOf(view, c)).map((r) => [r.x_RecordId, r]));
    expect(byKey.size).toBe(rowsOf(spend, c).length);
    for (const row of rowsOf(spend, c)) {
      const v = byKey.get(row.x_RecordId);
      expect(v, String(row.x_RecordId)).toBeDefined();
      for (const col of Object.keys(row).filter((k) => FOCUS_COLUMNS.has(k))) {
        const [a, b] = [row[col] ?? null, v?.[col] ?? null];
        if (a === null || b === null) expect(b, `${row.x_RecordId} ${col}`).toBe(a);
        else if (DECIMAL_COLUMNS.includes(col)) expect(decimalEquals(a, b), `${row.x_RecordId} ${col}: ${a} vs ${b}`).toBe(true);
        else if (col === 'SkuPriceDetails') expect(JSON.parse(String(b)), `${row.x_RecordId} ${col}`).toEqual(a);
        else expect(b, `${row.x_RecordId} ${col}`).toBe(a);
      }
    }
  });
});

describe('where the APIs give no count (docs/focus.md)', () => {
  it('given every connector’s spend when the rows without a count are picked then they are only Anthropic code execution and mixed non-token analytics rows, both kinds are there, each has a SkuPriceId, and docs/focus.md names the rules they do not meet', () => {
    for (const c of CASES) if (c.connector.provider !== 'anthropic') expect(rowsOf(spend, c).filter(apiGivesNoCount), c.connector.name).toEqual([]);
    const rows = rowsOf(spend, caseOf('anthropic')).filter(apiGivesNoCount);
    expect(new Set(rows.map((r) => (r.x_CostType === 'code_execution' ? 'code_execution' : 'mixed')))).toEqual(new Set(['code_execution', 'mixed']));
    for (const r of rows) {
      expect(r.SkuPriceId, String(r.x_RecordId)).toEqual(expect.any(String));
      expect([r.PricingQuantity, r.PricingUnit, r.ConsumedUnit, r.ListUnitPrice], String(r.x_RecordId)).toEqual([null, null, null, null]);
    }
    const docs = readFileSync(join(ROOT, 'docs/focus.md'), 'utf8');
    const section = docs.slice(docs.indexOf('### Where the APIs give no count'));
    expect(section.length).toBeLessThan(docs.length);
    for (const id of ['CAU-PricingQuantity-C-005-C', 'CAU-ConsumedQuantity-C-006-C', 'CAU-ListUnitPrice-C-013-C', 'CAU-ListUnitPrice-C-005-C'])
      expect(section).toContain(id);
  });
});

describe('focus_spend as a typed FOCUS table', () => {
  it('CAU-<Column>-C-001-M (Decimal): given every connector synced when focus_spend’s types are read then every FOCUS Decimal column it has is DECIMAL, and the Date/Time columns are TIMESTAMP WITH TIME ZONE', () => {
    const decimals = DECIMAL_COLUMNS.filter((c) => viewTypes.has(c));
    expect(decimals).toEqual(
      expect.arrayContaining(['BilledCost', 'ContractedCost', 'EffectiveCost', 'ListCost', 'ListUnitPrice', 'PricingQuantity', 'ConsumedQuantity']),
    );
    for (const c of decimals) expect(viewTypes.get(c), c).toMatch(/^DECIMAL\(38,\d+\)$/);
    for (const c of DATETIME_COLUMNS) expect(viewTypes.get(c), c).toBe('TIMESTAMP WITH TIME ZONE');
  });

  it('ColumnHandling-A-010-M: given every connector synced when focus_spend’s columns are read then every column FOCUS does not define starts with x_ (the loader’s bookkeeping ones included)', () => {
    expect([...viewTypes.keys()].filter((c) => !FOCUS_COLUMNS.has(c) && !c.startsWith('x_'))).toEqual([]);
    expect(viewTypes.has('x_ExtractedAt') && viewTypes.has('x_AccountId')).toBe(true);
  });
});

// ---- provider-specific: each provider's own credits and price points, from its fake's ledger ---------

/** A provider's spend window: its kit config's start_date to the end of its end_date. */
const windowOf = (provider: string): [number, number] => {
  const cfg = caseOf(provider).config();
  return [at(String(cfg.start_date)), at(String(cfg.end_date)) + DAY];
};
const openaiFake = (): FakeOpenAi => {
  const f = caseOf('openai').fake;
  if (!(f instanceof FakeOpenAi)) throw new Error('the OpenAI kit’s spend fake is not a FakeOpenAi');
  return f;
};
const aurousFake = (): FakeAurous => {
  const f = caseOf('aurous').fake;
  if (!(f instanceof FakeAurous)) throw new Error('the Aurous kit’s spend fake is not a FakeAurous');
  return f;
};
/** The Aurous kit config's USD price of a credit: each Usage row's ListUnitPrice. */
const RATE = (): string => {
  const focus = caseOf('aurous').config().focus;
  const rate = typeof focus === 'object' && focus !== null && 'credit_usd_rate' in focus ? focus.credit_usd_rate : undefined;
  if (typeof rate !== 'string') throw new Error('the Aurous kit’s spend config has no focus.credit_usd_rate');
  return rate;
};

describe('the fakes’ credits and Aurous’s price points reach spend as they were sent', () => {
  it('given the OpenAI fake’s credit line on some days when spend is read then its Credit rows are exactly the negative costs results of the default grouping (project_id, line_item), the credit line item', () => {
    const expected = openaiFake()
      .org.expectedCosts(...windowOf('openai'), ['project_id', 'line_item'])
      .filter((c) => c.amount_value < 0)
      .map((c) => `${c.date}|${c.project_id}|${c.line_item}`);
    expect(expected.length).toBeGreaterThan(0);
    const credits = rowsOf(spend, caseOf('openai')).filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.map((r) => `${String(r.ChargePeriodStart).slice(0, 10)}|${r.SubAccountId}|${r.x_LineItem}`).sort()).toEqual(expected.sort());
    expect(new Set(credits.map((r) => r.x_LineItem))).toEqual(new Set([CREDIT_LINE_ITEM]));
  });

  it('given the Anthropic ledger’s web-search credits when spend is read across the analytics floor then analytics_cost days carry Credit rows', () => {
    const credits = rowsOf(spend, caseOf('anthropic')).filter((r) => r.ChargeCategory === 'Credit');
    expect(credits.some((r) => r.x_Source === 'analytics_cost')).toBe(true);
    expect(new Set(rowsOf(spend, caseOf('anthropic')).map((r) => r.x_Source))).toEqual(new Set(['cost_report', 'analytics_cost']));
  });

  it('given the Aurous fake’s usage groups (type, model) when spend is read then each Usage row is the price point type/model with SkuId the type, PricingQuantity its credits, ConsumedQuantity its request count, ListUnitPrice the rate, and each refund is a Credit row without one', () => {
    const truth = aurousFake().data.expected(...windowOf('aurous'), '1d', ['type', 'model']);
    const rows = new Map(rowsOf(spend, caseOf('aurous')).map((r) => [`${String(r.ChargePeriodStart).slice(0, 10)}|${r.x_RequestType}|${r.x_Model}`, r]));
    expect(rows.size).toBe(truth.length);
    let refunds = 0;
    for (const g of truth) {
      const r = rows.get(`${g.bucket_start.slice(0, 10)}|${g.type}|${g.model}`);
      expect(r, JSON.stringify(g)).toBeDefined();
      const credits = String(g.credits_used);
      if (g.credits_used < 0) {
        refunds += 1;
        expect(r).toMatchObject({ ChargeCategory: 'Credit', SkuPriceId: null, PricingQuantity: null, ListUnitPrice: null, ConsumedQuantity: null });
        expect(decimalEquals(r?.ListCost, r?.BilledCost)).toBe(true);
        continue;
      }
      expect(r).toMatchObject({
        ChargeCategory: 'Usage',
        SkuId: g.type,
        SkuPriceId: `${g.type}/${g.model}`,
        PricingUnit: 'Credits',
        ConsumedQuantity: String(g.request_count),
        ConsumedUnit: 'Requests',
        ListUnitPrice: RATE(),
        PricingCategory: 'Standard',
      });
      expect(decimalEquals(r?.PricingQuantity, credits), `${r?.PricingQuantity} vs ${credits}`).toBe(true);
      expect(productEquals(RATE(), credits, r?.ListCost) && decimalEquals(r?.ListCost, r?.BilledCost)).toBe(true);
    }
    expect(refunds).toBeGreaterThan(0);
  });
});

const X_COLUMN: Record<string, string> = { type: 'x_RequestType', model: 'x_Model', status: 'x_Status', user_id: 'x_UserId' };

describe('Aurous price points under other groupings', () => {
  it.each([
    [['model', 'status'], (g: Row) => `credits/${g.model}`, 'credits'],
    [['type', 'user_id'], (g: Row) => String(g.type), (g: Row) => String(g.type)],
  ] as const)(
    'given group_by %j when spend is read then every rule holds and each Usage row’s SkuPriceId is the coarser price point the grouping leaves',
    async (groupBy, priceId, skuId) => {
      const rows = await readSpend(BINS.aurous, { ...caseOf('aurous').config(), group_by: [...groupBy] });
      for (const r of RULES) expect(r.check(nonEmpty(rows)), r.id).toEqual([]);
      const truth = aurousFake().data.expected(...windowOf('aurous'), '1d', groupBy);
      // A group's key: its day and dimension values (the spend row carries them in its x_ columns).
      const key = (day: unknown, values: unknown[]) => [String(day).slice(0, 10), ...values.map((v) => v ?? null)].join('|');
      const byKey = new Map(
        rows.map((r) => [
          key(
            r.ChargePeriodStart,
            groupBy.map((d) => r[X_COLUMN[d] ?? d]),
          ),
          r,
        ]),
      );
      expect(byKey.size).toBe(truth.length);
      for (const g of truth) {
        const r = byKey.get(
          key(
            g.bucket_start,
            groupBy.map((d) => g[d]),
          ),
        );
        if ((g.credits_used as number) < 0)
          expect(
            r?.SkuPriceId,
            key(
              g.bucket_start,
              groupBy.map((d) => g[d]),
            ),
          ).toBeNull();
        else
          expect(
            [r?.SkuPriceId, r?.SkuId],
            key(
              g.bucket_start,
              groupBy.map((d) => g[d]),
            ),
          ).toEqual([priceId(g), typeof skuId === 'string' ? skuId : skuId(g)]);
      }
    },
  );
});

// ---- every rule can fail -------------------------------------------------------------------------

/** A decimal string made larger by one unit in a place after its last digit. */
const nudge = (d: unknown): string => (String(d).includes('.') ? `${String(d)}1` : `${String(d)}.1`);
const onUsage = (f: (r: Row) => Row) => (rows: Row[]) => rows.map((r) => (r.ChargeCategory === 'Usage' ? f(r) : r));
const onCredit = (f: (r: Row) => Row) => (rows: Row[]) => rows.map((r) => (r.ChargeCategory === 'Credit' ? f(r) : r));
const onAll = (f: (r: Row) => Row) => (rows: Row[]) => rows.map(f);
const without = (c: string) => onAll((r) => Object.fromEntries(Object.entries(r).filter(([k]) => k !== c)));

/** For each rule, Aurous rows broken the way it forbids (what a regression in a mapping would emit). */
const MUTATIONS: ReadonlyArray<[string, string, (rows: Row[]) => Row[]]> = [
  ['CAU-CostAndUsage-D-002-M (every CAU-<Column>-C-000-M)', 'HostProviderName left out', without('HostProviderName')],
  ['CAU-CostAndUsage-D-058-C, D-004-C, D-011-C, D-066-C, D-061-C', 'the SkuPriceId column dropped', without('SkuPriceId')],
  ['ColumnHandling-A-010-M', 'a loader column _extracted_at', onAll((r) => ({ ...r, _extracted_at: '2026-06-01T00:00:00Z' }))],
  ['CAU-<Column>-C-001-M (Decimal), NumericFormat-A-003-M', 'a quantity as a JSON number', onUsage((r) => ({ ...r, PricingQuantity: 12.5 }))],
  [
    'CAU-BilledCost-C-000-M, CAU-EffectiveCost-C-000-M, CAU-ContractedCost-C-000-M, CAU-ListCost-C-003-M',
    'ListCost null',
    onAll((r) => ({ ...r, ListCost: null })),
  ],
  [
    'DateTimeFormat (CAU-ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, BillingPeriodEnd)',
    'a charge period with a space and no Z',
    onAll((r) => ({ ...r, ChargePeriodStart: String(r.ChargePeriodStart).replace('T', ' ').replace('Z', '') })),
  ],
  [
    'CAU-ChargeCategory-C-003-M and the mapping of docs/focus.md',
    'the Credit and Usage branches swapped',
    onAll((r) => ({ ...r, ChargeCategory: r.ChargeCategory === 'Credit' ? 'Usage' : 'Credit' })),
  ],
  [
    'CAU-ChargeClass-C-000-M, CAU-ChargeFrequency-C-000-O, CAU-ServiceCategory-C-000-M, ServiceSubcategory, CurrencyFormat',
    'a ChargeFrequency of Daily',
    onAll((r) => ({ ...r, ChargeFrequency: 'Daily' })),
  ],
  ['CAU-SkuPriceId-C-005-C', 'SkuPriceId dropped from Usage rows', onUsage((r) => ({ ...r, SkuPriceId: null }))],
  [
    'CAU-SkuPriceId-C-004-C, CAU-PricingQuantity-C-004-C, CAU-PricingCategory-C-003-C, CAU-ListUnitPrice-C-004-C',
    'a priced row called Tax',
    onUsage((r) => ({ ...r, ChargeCategory: 'Tax' })),
  ],
  [
    'CAU-SkuPriceId-C-008-M',
    'the model as SkuId (one price point, several SkuIds across rows of another SkuId scheme)',
    (rows) => rows.map((r, i) => (r.ChargeCategory === 'Usage' && i % 2 === 0 ? { ...r, SkuId: `${String(r.SkuId)}-${i}` } : r)),
  ],
  ['CAU-PricingQuantity-C-011-C', 'SkuPriceId null with the quantities kept', onUsage((r) => ({ ...r, SkuPriceId: null }))],
  ['CAU-PricingQuantity-C-005-C', 'no PricingQuantity on Usage rows', onUsage((r) => ({ ...r, PricingQuantity: null, PricingUnit: null }))],
  ['CAU-PricingUnit-C-005-C, CAU-PricingUnit-C-006-C', 'PricingUnit null beside a quantity', onUsage((r) => ({ ...r, PricingUnit: null }))],
  ['CAU-PricingUnit-C-003-O (UnitFormat)', 'a lower-case unit', onUsage((r) => ({ ...r, PricingUnit: 'credits' }))],
  ['CAU-PricingCategory-C-012-C', 'PricingCategory Standard on every row', onAll((r) => ({ ...r, PricingCategory: 'Standard' }))],
  ['CAU-PricingCategory-C-004-C, CAU-PricingCategory-C-007-M', 'a PricingCategory of Discounted', onUsage((r) => ({ ...r, PricingCategory: 'Discounted' }))],
  ['CAU-ConsumedQuantity-C-009-C', 'SkuPriceId null with the request count kept', onUsage((r) => ({ ...r, SkuPriceId: null }))],
  ['CAU-ConsumedQuantity-C-004-C', 'a consumed quantity on Credit rows', onCredit((r) => ({ ...r, ConsumedQuantity: '0', ConsumedUnit: 'Requests' }))],
  ['CAU-ConsumedQuantity-C-006-C', 'no request count on Usage rows', onUsage((r) => ({ ...r, ConsumedQuantity: null, ConsumedUnit: null }))],
  ['CAU-ConsumedUnit-C-005-C, CAU-ConsumedUnit-C-006-C', 'ConsumedUnit null beside a quantity', onUsage((r) => ({ ...r, ConsumedUnit: null }))],
  ['CAU-ConsumedUnit-C-003-O (UnitFormat)', 'a lower-case unit', onUsage((r) => ({ ...r, ConsumedUnit: 'requests' }))],
  ['CAU-SkuPriceDetails-C-004-C', 'details on Credit rows', onCredit((r) => ({ ...r, SkuPriceDetails: { x_ModelId: 'aurora-xl' } }))],
  ['CAU-SkuPriceDetails-C-001-M (KeyValueFormat)', 'details as a list', onUsage((r) => ({ ...r, SkuPriceDetails: ['aurora-xl'] }))],
  ['CAU-SkuPriceDetails-C-017-C', 'a ModelId key', onUsage((r) => ({ ...r, SkuPriceDetails: { ModelId: 'aurora-xl' } }))],
  ['CAU-ListUnitPrice-C-012-C', 'a ListUnitPrice on Credit rows', onCredit((r) => ({ ...r, ListUnitPrice: RATE() }))],
  ['CAU-ListUnitPrice-C-013-C, CAU-ListUnitPrice-C-005-C', 'no ListUnitPrice on Usage rows', onUsage((r) => ({ ...r, ListUnitPrice: null }))],
  ['CAU-ListUnitPrice-C-008-M', 'a negative list price', onUsage((r) => ({ ...r, ListUnitPrice: `-${RATE()}` }))],
  [
    'CAU-ListCost-C-011-C (1.2: ListCost-C-009-C, ListUnitPrice-C-010-C), CAU-PricingQuantity-C-013-C',
    'ListCost one unit off ListUnitPrice x PricingQuantity',
    onUsage((r) => ({ ...r, ListCost: nudge(r.ListCost) })),
  ],
  ['CAU-ListCost-C-008-M', 'a Credit row’s ListCost of 0', onCredit((r) => ({ ...r, ListCost: '0' }))],
  [
    'SubAccountName-C-005-C (and the 1.3 text: null when SubAccountId is null)',
    'a sub account id without its name',
    onAll((r) => ({ ...r, SubAccountId: 'team_fake', SubAccountType: 'Team', SubAccountName: null })),
  ],
  ['CAU-PricingCurrency-C-004-M, C-003-M (CurrencyFormat-A-001-C, A-002-C)', 'PricingCurrency null', onAll((r) => ({ ...r, PricingCurrency: null }))],
  ['CAU-PricingCurrencyEffectiveCost-C-003-M', 'PricingCurrencyEffectiveCost null', onAll((r) => ({ ...r, PricingCurrencyEffectiveCost: null }))],
];

describe('every rule can fail: Aurous spend rows broken the way the rule forbids', () => {
  it('given the rule list when the mutations are listed then every rule has one', () => {
    expect(MUTATIONS.map(([id]) => id).sort()).toEqual(RULES.map((r) => r.id).sort());
  });

  it.each(MUTATIONS.map(([id, how, f]) => [id, how, f] as const))(
    '%s: given Aurous rows that pass it when they are broken (%s) then the check names the broken rows',
    (id, _how, f) => {
      const rows = nonEmpty(rowsOf(spend, caseOf('aurous')));
      const check = rule(id).check;
      expect(check(rows)).toEqual([]);
      expect(check(f(rows.map((r) => ({ ...r })))).length).toBeGreaterThan(0);
    },
  );

  it('given exact decimals when ListCost differs from ListUnitPrice x PricingQuantity in the 30th decimal then the product check sees it (no float rounding)', () => {
    expect(productEquals('0.0125', '123.456', '1.5432')).toBe(true);
    expect(productEquals('0.0125', '123.456', '1.543200000000000000000000000001')).toBe(false);
    expect(exact('1e-7')).toBeNull();
  });
});
