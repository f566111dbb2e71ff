import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ROOT } from './cli.js';

/**
 * FOCUS 1.3 rules as checks over Cost and Usage rows, each named by its rule id in the FOCUS 1.3
 * requirements model (FinOps-Open-Cost-and-Usage-Spec/FOCUS_Spec,
 * specification/requirements_model/releases/1.3/model_rules/...; the column text in
 * specification/datasets/cost_and_usage/columns/*.md). Written from the spec, not from the
 * connectors: a check returns the rows that break its rule (empty: the rule holds), so the same
 * check runs over a connector's `spend` output, over the warehouse view `focus_spend`, and over
 * deliberately broken rows (test/e2e/focus-rules.test.ts proves each check can fail).
 *
 * Decimals are compared exactly: decimal strings as scaled BigInts, never floats.
 */
export type Row = Record<string, unknown>;

export interface Rule {
  /** The rule id(s) of the FOCUS 1.3 requirements model. */
  id: string;
  /** What the rule says, in short (the test name's "then"). */
  says: string;
  /** The rows that break it, as one line each (row key and the offending values). */
  check: (rows: readonly Row[]) => string[];
}

// ---- the 1.3 definitions the checks use (test/fixtures/focus-1.3.schema.json names their sources) ------

export const FOCUS_SCHEMA = JSON.parse(readFileSync(join(ROOT, 'test/fixtures/focus-1.3.schema.json'), 'utf8')) as {
  required: string[];
  properties: Record<string, { enum?: unknown[] }>;
  'x-feature-levels': Record<string, 'M' | 'C' | 'O'>;
};
/** Every Cost and Usage column FOCUS 1.3 defines (CAU-CostAndUsage-D-002-M's list). */
export const FOCUS_COLUMNS = new Set(Object.keys(FOCUS_SCHEMA['x-feature-levels']));
/** Mandatory columns (CAU-<Column>-C-000-M). */
export const MANDATORY_COLUMNS = Object.entries(FOCUS_SCHEMA['x-feature-levels'])
  .filter(([, level]) => level === 'M')
  .map(([c]) => c);
/** The Decimal columns of 1.3 (each one's C-001-M: "MUST be of type Decimal"). */
export const DECIMAL_COLUMNS = [
  'BilledCost',
  'CommitmentDiscountQuantity',
  'ConsumedQuantity',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'ListCost',
  'ListUnitPrice',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'PricingCurrencyListUnitPrice',
  'PricingQuantity',
];
/** The Date/Time columns (DateTimeFormat: ISO 8601 UTC, `YYYY-MM-DDTHH:mm:ssZ`). */
export const DATETIME_COLUMNS = ['BillingPeriodEnd', 'BillingPeriodStart', 'ChargePeriodEnd', 'ChargePeriodStart'];
/** CAU-SkuPriceDetails-C-017-C: the keys 1.3 defines; any other key starts with x_. */
export const FOCUS_SKU_PRICE_KEYS = new Set([
  'CoreCount',
  'DiskMaxIops',
  'DiskSpace',
  'DiskType',
  'GpuCount',
  'InstanceType',
  'InstanceSeries',
  'MemorySize',
  'NetworkMaxIops',
  'NetworkMaxThroughput',
  'OperatingSystem',
  'Redundancy',
  'StorageClass',
]);
/** ServiceSubcategory's allowed values under `AI and Machine Learning` (servicesubcategory.md). */
const AI_SUBCATEGORIES = ['AI Platforms', 'Bots', 'Generative AI', 'Machine Learning', 'Natural Language Processing', 'Other (AI and Machine Learning)'];
const allowed = (column: string): unknown[] => FOCUS_SCHEMA.properties[column]?.enum ?? [];

// ---- exact decimals ------------------------------------------------------------------------

const DECIMAL = /^(-?)(\d+)(?:\.(\d+))?$/;
/** A decimal string as value x 10^-scale; null when it is not a plain decimal string. */
export function exact(text: unknown): { v: bigint; scale: number } | null {
  const m = typeof text === 'string' ? DECIMAL.exec(text) : null;
  if (!m) return null;
  const [, sign, int = '', frac = ''] = m;
  const v = BigInt(int + frac);
  return { v: sign === '-' ? -v : v, scale: frac.length };
}
const at = (x: { v: bigint; scale: number }, scale: number): bigint => x.v * 10n ** BigInt(scale - x.scale);
/** a = b exactly (any number of trailing zeros). */
export function decimalEquals(a: unknown, b: unknown): boolean {
  const x = exact(a);
  const y = exact(b);
  if (!x || !y) return false;
  const s = Math.max(x.scale, y.scale);
  return at(x, s) === at(y, s);
}
/** a x b = c exactly. */
export function productEquals(a: unknown, b: unknown, c: unknown): boolean {
  const x = exact(a);
  const y = exact(b);
  const z = exact(c);
  if (!x || !y || !z) return false;
  const product = { v: x.v * y.v, scale: x.scale + y.scale };
  const s = Math.max(product.scale, z.scale);
  return at(product, s) === at(z, s);
}
const negative = (text: unknown): boolean => (exact(text)?.v ?? 0n) < 0n;

// ---- row predicates of the rules' conditions -------------------------------------------------

const isNull = (v: unknown): boolean => v === null || v === undefined;
const usageOrPurchase = (r: Row): boolean => (r.ChargeCategory === 'Usage' || r.ChargeCategory === 'Purchase') && r.ChargeClass !== 'Correction';
/** UnitFormat (specification/attributes/unit_format.md): `[<quantity> ]<Units>[-<Units>][/[<quantity> ]<Unit>]`, capitalized. */
export const UNIT_FORMAT = /^(?:[1-9]\d* )?(?:[A-Z][A-Za-z]*|[KMGTPE]i?[bB]|[bB])(?:-(?:[A-Z][A-Za-z]*|[KMGTPE]i?[bB]))?(?:\/(?:[1-9]\d* )?[A-Z][A-Za-z]*)?$/;
const ISO = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

const key = (r: Row): string => String(r.x_RecordId ?? '?');
const show = (r: Row, ...cols: string[]): string => `${key(r)}: ${cols.map((c) => `${c}=${JSON.stringify(r[c] ?? null)}`).join(' ')}`;
/** Rows matching `when` that break `holds`, shown with `cols`. */
const each =
  (when: (r: Row) => boolean, holds: (r: Row) => boolean, ...cols: string[]) =>
  (rows: readonly Row[]): string[] =>
    rows.filter((r) => when(r) && !holds(r)).map((r) => show(r, ...cols));
const always = (): boolean => true;
/** A column that must be present in every row (the rows as read: a missing key is a missing column). */
const present =
  (...cols: string[]) =>
  (rows: readonly Row[]): string[] =>
    cols.flatMap((c) => (rows.length > 0 && rows.every((r) => c in r) ? [] : [`column ${c} is missing`]));

/** SkuPriceDetails as an object: JSON text (a warehouse column) is parsed. */
export function details(v: unknown): Record<string, unknown> | null | 'invalid' {
  if (isNull(v)) return null;
  let o = v;
  if (typeof v === 'string') {
    try {
      o = JSON.parse(v);
    } catch {
      return 'invalid';
    }
  }
  return typeof o === 'object' && o !== null && !Array.isArray(o) ? (o as Record<string, unknown>) : 'invalid';
}

// ---- the rules ---------------------------------------------------------------------------------

/** Every rule of shared/reference/focus-1.3-rules.md and every other 1.3 column rule that applies to AI spend rows. */
export const RULES: readonly Rule[] = [
  {
    id: 'CAU-CostAndUsage-D-002-M (every CAU-<Column>-C-000-M)',
    says: 'every column FOCUS 1.3 makes mandatory is present',
    check: present(...MANDATORY_COLUMNS),
  },
  {
    id: 'CAU-CostAndUsage-D-058-C, D-004-C, D-011-C, D-066-C, D-061-C',
    says: 'SkuPriceId and ListUnitPrice (the providers publish unit prices), ConsumedQuantity and ConsumedUnit (usage is measured) and SkuPriceDetails are present',
    check: present('SkuPriceId', 'ListUnitPrice', 'ConsumedQuantity', 'ConsumedUnit', 'SkuPriceDetails'),
  },
  {
    id: 'ColumnHandling-A-010-M',
    says: 'every column FOCUS does not define starts with x_',
    check: (rows) =>
      [...new Set(rows.flatMap((r) => Object.keys(r)))].filter((c) => !FOCUS_COLUMNS.has(c) && !c.startsWith('x_')).map((c) => `custom column ${c}`),
  },
  {
    id: 'CAU-<Column>-C-001-M (Decimal), NumericFormat-A-003-M',
    says: 'every Decimal column holds a decimal (here: a plain decimal string, no exponent) or null',
    check: (rows) => rows.flatMap((r) => DECIMAL_COLUMNS.filter((c) => c in r && !isNull(r[c]) && exact(r[c]) === null).map((c) => show(r, c))),
  },
  {
    id: 'CAU-BilledCost-C-000-M, CAU-EffectiveCost-C-000-M, CAU-ContractedCost-C-000-M, CAU-ListCost-C-003-M',
    says: 'BilledCost, EffectiveCost, ContractedCost and ListCost are never null',
    check: each(
      always,
      (r) => ['BilledCost', 'EffectiveCost', 'ContractedCost', 'ListCost'].every((c) => !isNull(r[c])),
      'BilledCost',
      'EffectiveCost',
      'ContractedCost',
      'ListCost',
    ),
  },
  {
    id: 'DateTimeFormat (CAU-ChargePeriodStart, ChargePeriodEnd, BillingPeriodStart, BillingPeriodEnd)',
    says: 'the four Date/Time columns are ISO 8601 UTC (YYYY-MM-DDTHH:mm:ssZ), the charge period ends after it starts and lies inside its billing period',
    check: each(
      always,
      (r) => {
        if (!DATETIME_COLUMNS.every((c) => typeof r[c] === 'string' && ISO.test(r[c] as string))) return false;
        const [cs, ce, bs, be] = ['ChargePeriodStart', 'ChargePeriodEnd', 'BillingPeriodStart', 'BillingPeriodEnd'].map((c) => Date.parse(r[c] as string)) as [
          number,
          number,
          number,
          number,
        ];
        return ce > cs && be > bs && cs >= bs && ce <= be;
      },
      ...DATETIME_COLUMNS,
    ),
  },
  {
    id: 'CAU-ChargeCategory-C-003-M and the mapping of docs/focus.md',
    says: 'ChargeCategory is an allowed value: Credit exactly where BilledCost is negative, Usage elsewhere',
    check: each(
      always,
      (r) => allowed('ChargeCategory').includes(r.ChargeCategory) && r.ChargeCategory === (negative(r.BilledCost) ? 'Credit' : 'Usage'),
      'ChargeCategory',
      'BilledCost',
    ),
  },
  {
    id: 'CAU-ChargeClass-C-000-M, CAU-ChargeFrequency-C-000-O, CAU-ServiceCategory-C-000-M, ServiceSubcategory, CurrencyFormat',
    says: 'ChargeClass, ChargeFrequency, ServiceCategory and ServiceSubcategory are allowed values and BillingCurrency an ISO 4217 code',
    check: each(
      always,
      (r) =>
        allowed('ChargeClass').includes(r.ChargeClass ?? null) &&
        allowed('ChargeFrequency').includes(r.ChargeFrequency) &&
        allowed('ServiceCategory').includes(r.ServiceCategory) &&
        AI_SUBCATEGORIES.includes(r.ServiceSubcategory as string) &&
        typeof r.BillingCurrency === 'string' &&
        /^[A-Z]{3}$/.test(r.BillingCurrency),
      'ChargeClass',
      'ChargeFrequency',
      'ServiceCategory',
      'ServiceSubcategory',
      'BillingCurrency',
    ),
  },
  {
    id: 'CAU-SkuPriceId-C-005-C',
    says: 'SkuPriceId is not null on Usage and Purchase rows that are not corrections',
    check: each(usageOrPurchase, (r) => typeof r.SkuPriceId === 'string' && r.SkuPriceId.length > 0, 'ChargeCategory', 'SkuPriceId'),
  },
  {
    id: 'CAU-SkuPriceId-C-004-C, CAU-PricingQuantity-C-004-C, CAU-PricingCategory-C-003-C, CAU-ListUnitPrice-C-004-C',
    says: 'a Tax row has no SkuPriceId, PricingQuantity, PricingCategory or ListUnitPrice',
    check: each(
      (r) => r.ChargeCategory === 'Tax',
      (r) => ['SkuPriceId', 'PricingQuantity', 'PricingCategory', 'ListUnitPrice'].every((c) => isNull(r[c])),
      'SkuPriceId',
      'PricingQuantity',
    ),
  },
  {
    id: 'CAU-SkuPriceId-C-008-M',
    says: 'each SkuPriceId has one and only one parent SkuId',
    check: (rows) => {
      const parents = new Map<string, Set<unknown>>();
      for (const r of rows) if (typeof r.SkuPriceId === 'string') parents.set(r.SkuPriceId, (parents.get(r.SkuPriceId) ?? new Set()).add(r.SkuId ?? null));
      return [...parents].filter(([, s]) => s.size !== 1 || s.has(null)).map(([p, s]) => `SkuPriceId ${p}: SkuId ${JSON.stringify([...s])}`);
    },
  },
  {
    id: 'CAU-PricingQuantity-C-011-C',
    says: 'PricingQuantity is null when SkuPriceId is null',
    check: each(
      (r) => isNull(r.SkuPriceId),
      (r) => isNull(r.PricingQuantity),
      'SkuPriceId',
      'PricingQuantity',
    ),
  },
  {
    id: 'CAU-PricingQuantity-C-005-C',
    says: 'PricingQuantity is not null on Usage and Purchase rows that are not corrections',
    check: each(usageOrPurchase, (r) => !isNull(r.PricingQuantity), 'ChargeCategory', 'PricingQuantity'),
  },
  {
    id: 'CAU-PricingUnit-C-005-C, CAU-PricingUnit-C-006-C',
    says: 'PricingUnit is null exactly when PricingQuantity is null',
    check: each(always, (r) => isNull(r.PricingUnit) === isNull(r.PricingQuantity), 'PricingQuantity', 'PricingUnit'),
  },
  {
    id: 'CAU-PricingUnit-C-003-O (UnitFormat)',
    says: 'PricingUnit follows UnitFormat (`Tokens`, `1000000 Tokens`, `Requests`, `Credits`), never a currency',
    check: each(
      (r) => !isNull(r.PricingUnit),
      (r) => typeof r.PricingUnit === 'string' && UNIT_FORMAT.test(r.PricingUnit) && r.PricingUnit !== r.BillingCurrency,
      'PricingUnit',
    ),
  },
  {
    id: 'CAU-PricingCategory-C-012-C',
    says: 'PricingCategory is null when SkuPriceId is null (new in 1.3)',
    check: each(
      (r) => isNull(r.SkuPriceId),
      (r) => isNull(r.PricingCategory),
      'SkuPriceId',
      'PricingCategory',
    ),
  },
  {
    id: 'CAU-PricingCategory-C-004-C, CAU-PricingCategory-C-007-M',
    says: 'PricingCategory is an allowed value, and not null on Usage and Purchase rows that are not corrections',
    check: each(
      (r) => usageOrPurchase(r) || !isNull(r.PricingCategory),
      (r) => ['Standard', 'Dynamic', 'Committed', 'Other'].includes(r.PricingCategory as string),
      'ChargeCategory',
      'PricingCategory',
    ),
  },
  {
    id: 'CAU-ConsumedQuantity-C-009-C',
    says: 'ConsumedQuantity is null when SkuPriceId is null',
    check: each(
      (r) => isNull(r.SkuPriceId),
      (r) => isNull(r.ConsumedQuantity),
      'SkuPriceId',
      'ConsumedQuantity',
    ),
  },
  {
    id: 'CAU-ConsumedQuantity-C-004-C',
    says: 'ConsumedQuantity is null when ChargeCategory is not Usage',
    check: each(
      (r) => r.ChargeCategory !== 'Usage',
      (r) => isNull(r.ConsumedQuantity),
      'ChargeCategory',
      'ConsumedQuantity',
    ),
  },
  {
    id: 'CAU-ConsumedQuantity-C-006-C',
    says: 'ConsumedQuantity is not null on Usage rows that are not corrections (no commitment discounts: none is Unused)',
    check: each(
      (r) => r.ChargeCategory === 'Usage' && r.ChargeClass !== 'Correction',
      (r) => !isNull(r.ConsumedQuantity),
      'ChargeCategory',
      'ConsumedQuantity',
    ),
  },
  {
    id: 'CAU-ConsumedUnit-C-005-C, CAU-ConsumedUnit-C-006-C',
    says: 'ConsumedUnit is null exactly when ConsumedQuantity is null',
    check: each(always, (r) => isNull(r.ConsumedUnit) === isNull(r.ConsumedQuantity), 'ConsumedQuantity', 'ConsumedUnit'),
  },
  {
    id: 'CAU-ConsumedUnit-C-003-O (UnitFormat)',
    says: 'ConsumedUnit follows UnitFormat (`Tokens`, `Requests`)',
    check: each(
      (r) => !isNull(r.ConsumedUnit),
      (r) => typeof r.ConsumedUnit === 'string' && UNIT_FORMAT.test(r.ConsumedUnit),
      'ConsumedUnit',
    ),
  },
  {
    id: 'CAU-SkuPriceDetails-C-004-C',
    says: 'SkuPriceDetails is null when SkuPriceId is null',
    check: each(
      (r) => isNull(r.SkuPriceId),
      (r) => isNull(r.SkuPriceDetails),
      'SkuPriceId',
      'SkuPriceDetails',
    ),
  },
  {
    id: 'CAU-SkuPriceDetails-C-001-M (KeyValueFormat)',
    says: 'SkuPriceDetails is a JSON object or null',
    check: each(always, (r) => details(r.SkuPriceDetails) !== 'invalid', 'SkuPriceDetails'),
  },
  {
    id: 'CAU-SkuPriceDetails-C-017-C',
    says: 'every SkuPriceDetails key is FOCUS-defined or x_-prefixed',
    check: each(
      always,
      (r) => {
        const d = details(r.SkuPriceDetails);
        return d === null || d === 'invalid' || Object.keys(d).every((k) => FOCUS_SKU_PRICE_KEYS.has(k) || /^x_[A-Za-z0-9_]+$/.test(k));
      },
      'SkuPriceDetails',
    ),
  },
  {
    id: 'CAU-ListUnitPrice-C-012-C',
    says: 'ListUnitPrice is null when SkuPriceId is null',
    check: each(
      (r) => isNull(r.SkuPriceId),
      (r) => isNull(r.ListUnitPrice),
      'SkuPriceId',
      'ListUnitPrice',
    ),
  },
  {
    id: 'CAU-ListUnitPrice-C-013-C, CAU-ListUnitPrice-C-005-C',
    says: 'ListUnitPrice is not null when SkuPriceId is not null, nor on Usage and Purchase rows that are not corrections',
    check: each(
      (r) => !isNull(r.SkuPriceId) || usageOrPurchase(r),
      (r) => !isNull(r.ListUnitPrice),
      'ChargeCategory',
      'SkuPriceId',
      'ListUnitPrice',
    ),
  },
  {
    id: 'CAU-ListUnitPrice-C-008-M',
    says: 'ListUnitPrice is a non-negative decimal',
    check: each(
      (r) => !isNull(r.ListUnitPrice),
      (r) => exact(r.ListUnitPrice) !== null && !negative(r.ListUnitPrice),
      'ListUnitPrice',
    ),
  },
  {
    id: 'CAU-ListCost-C-011-C (1.2: ListCost-C-009-C, ListUnitPrice-C-010-C), CAU-PricingQuantity-C-013-C',
    says: 'ListCost equals ListUnitPrice x PricingQuantity exactly where both are set',
    check: each(
      (r) => !isNull(r.ListUnitPrice) && !isNull(r.PricingQuantity),
      (r) => productEquals(r.ListUnitPrice, r.PricingQuantity, r.ListCost),
      'ListUnitPrice',
      'PricingQuantity',
      'ListCost',
    ),
  },
  {
    id: 'CAU-ListCost-C-008-M',
    says: 'a Credit row (a charge unrelated to other charges) has ListCost = BilledCost',
    check: each(
      (r) => r.ChargeCategory === 'Credit',
      (r) => decimalEquals(r.ListCost, r.BilledCost),
      'BilledCost',
      'ListCost',
    ),
  },
  {
    id: 'SubAccountName-C-005-C (and the 1.3 text: null when SubAccountId is null)',
    says: 'SubAccountName is not null exactly when SubAccountId is not null, and SubAccountType with it',
    check: each(
      always,
      (r) => isNull(r.SubAccountName) === isNull(r.SubAccountId) && isNull(r.SubAccountType) === isNull(r.SubAccountId),
      'SubAccountId',
      'SubAccountName',
      'SubAccountType',
    ),
  },
  {
    id: 'CAU-PricingCurrency-C-004-M, C-003-M (CurrencyFormat-A-001-C, A-002-C)',
    says: 'PricingCurrency is never null (the column is present), and an ISO 4217 code or a virtual currency such as credits',
    check: each(
      always,
      (r) =>
        typeof r.PricingCurrency === 'string' &&
        /^\S(?:.*\S)?$/.test(r.PricingCurrency) &&
        (r.PricingCurrency.length !== 3 || /^[A-Z]{3}$/.test(r.PricingCurrency)),
      'PricingCurrency',
    ),
  },
  {
    id: 'CAU-PricingCurrencyEffectiveCost-C-003-M',
    says: 'PricingCurrencyEffectiveCost is never null, and equals EffectiveCost exactly where PricingCurrency is BillingCurrency',
    check: each(
      always,
      (r) =>
        exact(r.PricingCurrencyEffectiveCost) !== null &&
        (r.PricingCurrency !== r.BillingCurrency || decimalEquals(r.PricingCurrencyEffectiveCost, r.EffectiveCost)),
      'PricingCurrency',
      'BillingCurrency',
      'PricingCurrencyEffectiveCost',
      'EffectiveCost',
    ),
  },
];

export const rule = (id: string): Rule => {
  const r = RULES.find((x) => x.id === id);
  if (!r) throw new Error(`no rule ${id}`);
  return r;
};

/**
 * Where the APIs give no count (docs/focus.md, "Where the APIs give no count"): a Usage row whose
 * provider reports no quantity for it, so the connector gives it none rather than inventing one.
 * Only Anthropic has them: code execution (no API reports container hours), analytics rows without
 * a token type that mix web search and code execution (the 5-group cap cannot split them), and the
 * messages report's documented gaps (no cache_creation counts before 2025-09-15, no server_tool_use
 * before 2025-10-01). They do not meet NO_COUNT_RULES, and only those.
 */
export const NO_COUNT_RULES: ReadonlySet<string> = new Set([
  'CAU-PricingQuantity-C-005-C',
  'CAU-ConsumedQuantity-C-006-C',
  'CAU-ListUnitPrice-C-013-C, CAU-ListUnitPrice-C-005-C',
]);
/** The columns those rules find null on such a row. */
export const NO_COUNT_COLUMNS: ReadonlySet<string> = new Set(['PricingQuantity', 'ConsumedQuantity', 'ListUnitPrice']);

export function apiGivesNoCount(r: Row): boolean {
  if (r.ServiceProviderName !== 'Anthropic' || r.ChargeCategory !== 'Usage' || r.ConsumedQuantity !== null) return false;
  if (r.x_CostType === 'code_execution') return true;
  if (r.x_Source === 'analytics_cost') return r.x_CostType === null && r.x_TokenType === null;
  const day = String(r.ChargePeriodStart).slice(0, 10);
  if (r.x_CostType === 'web_search') return day < '2025-10-01';
  return typeof r.x_TokenType === 'string' && r.x_TokenType.startsWith('cache_creation.') && day < '2025-09-15';
}
