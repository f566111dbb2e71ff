import { z } from 'zod';
import { compareDecimal, multiplyDecimal, normalizeDecimal } from '../../decimal.js';
import { col, columns, type Column } from '../columns/columns.js';
import type { Bucket, BucketPlan, BucketStream, Row } from '../stream.js';
import { systemError } from '../errors.js';
import { IGNORE_NOTICES, type NoticeSink } from '../notices.js';
import { isoTime } from '../time.js';
import { nameOf, type NameColumn, type NameKind, type SpendNames } from './names.js';

/**
 * FinOps FOCUS 1.3 cost-and-usage rows (docs/focus.md): the `spend` stream every connector
 * declares over the same API pages as its cost stream. A provider supplies only a mapping from
 * its cost stream's record (already checked by that stream's own columns) to the provider part
 * of a FOCUS row; the columns, their order, the schema, the billing period and the record key
 * live here; the exact decimal arithmetic is ../../decimal.ts.
 */

export const SPEND_STREAM = 'spend';
/** The record key of a spend row: FOCUS has no id column, and custom columns are x_-prefixed. */
export const SPEND_KEY = 'x_RecordId';

// ---- config -----------------------------------------------------------------------

/** The FOCUS choices a user may set (config `focus`), with each provider's defaults. */
export interface FocusSettings {
  billing_account_id?: string | undefined;
  billing_account_name?: string | undefined;
  billing_period_start_day: number;
  /**
   * The account the run resolved (engine/source.ts AccountSpec; not a config field): the default of
   * BillingAccountId and BillingAccountName where focus.billing_account_id/name are not set.
   */
  account?: { id: string; name: string | null } | undefined;
  /**
   * The names the run resolved for the ids of its spend rows (engine/focus/names.ts; not a config field):
   * SubAccountName and the provider's x_ name columns. Absent: every name is null.
   */
  names?: SpendNames | undefined;
}

/** A config with the names its run resolved (engine/focus/names.ts) for the spend rows. */
export function withFocusNames<C extends { focus: FocusSettings }>(config: C, names: SpendNames): C {
  return { ...config, focus: { ...config.focus, names } };
}

/** A config with its resolved account as the spend stream's default billing account. */
export function withFocusAccount<C extends { focus: FocusSettings }>(config: C, account: { id: string; name: string | null }): C {
  return { ...config, focus: { ...config.focus, account: { id: account.id, name: account.name } } };
}

const nonEmpty = (name: string) => z.string().trim().min(1, `focus.${name} must not be empty`);

/** The config fields of `focus`; `more` adds a provider's own (Aurous's credit rate). */
export function focusConfigShape<S extends z.ZodRawShape>(
  defaults: {
    accountId: string;
    accountName: string;
    /** Where the default comes from first, e.g. "organization_id, else ". */
    accountFrom?: string;
    nameFrom?: string;
  },
  more: S,
) {
  const shape = z.strictObject({
    billing_account_id: nonEmpty('billing_account_id')
      .optional()
      .meta({
        title: 'BillingAccountId',
        description: `FOCUS BillingAccountId of every spend row. Default: ${defaults.accountFrom ?? ''}'${defaults.accountId}'.`,
      }),
    billing_account_name: nonEmpty('billing_account_name')
      .optional()
      .meta({
        title: 'BillingAccountName',
        description: `FOCUS BillingAccountName of every spend row. Default: ${defaults.nameFrom ?? ''}'${defaults.accountName}'.`,
      }),
    billing_period_start_day: z
      .number()
      .int('focus.billing_period_start_day must be a whole number')
      .min(1, 'focus.billing_period_start_day must be between 1 and 28')
      .max(28, 'focus.billing_period_start_day must be between 1 and 28')
      .default(1)
      .meta({
        title: 'Billing period start day',
        description: 'Day of the month (UTC) on which a FOCUS billing period starts. Default 1: calendar months, as OpenAI and Anthropic invoice.',
      }),
    ...more,
  });
  // Absent: every field's default (a provider's own, e.g. Anthropic's focus.anthropic_source, included).
  return shape.default(shape.parse({}) as never).meta({
    title: 'FOCUS spend stream',
    description: 'Choices of the FOCUS 1.3 `spend` stream (docs/focus.md): billing account and billing period.',
    order: 15,
  });
}

// ---- columns ----------------------------------------------------------------------

const decimal = (name: string, description: string, notNull = true): Column =>
  col(name, 'string', `${description} Exact decimal string (FOCUS Decimal), never a float.`, { notNull, from: null });
const text = (name: string, description: string, notNull = false): Column => col(name, 'string', description, { notNull, from: null });
const time = (name: string, description: string): Column =>
  col(name, 'string', `${description} ISO 8601 UTC (YYYY-MM-DDTHH:mm:ssZ).`, { notNull: true, from: null, format: 'date-time' });

/** The FOCUS columns every spend row has, in this order, then the record key, then the provider's x_ columns. */
const FOCUS_COLUMNS: readonly Column[] = [
  decimal('BilledCost', 'Charge that is the basis for invoicing, in BillingCurrency.'),
  text('BillingAccountId', 'Billing account: config focus.billing_account_id, else the account of the run (docs/focus.md).', true),
  text('BillingAccountName', 'Billing account name: config focus.billing_account_name, else the account of the run (docs/focus.md).', true),
  text('BillingAccountType', 'Kind of billing account, e.g. Organization.', true),
  text('BillingCurrency', 'ISO 4217 currency of BilledCost, EffectiveCost, ListCost and ContractedCost.', true),
  time('BillingPeriodEnd', 'Exclusive end of the billing period (the next period start).'),
  time('BillingPeriodStart', 'Inclusive start of the billing period (a month from config focus.billing_period_start_day).'),
  text('ChargeCategory', 'Usage, or Credit for a negative amount.', true),
  text('ChargeClass', 'Correction or null; always null here.'),
  text('ChargeDescription', 'What was charged, in the provider’s words.', true),
  text('ChargeFrequency', 'Usage-Based.', true),
  time('ChargePeriodEnd', 'Exclusive end of the charge period (the end of the day bucket).'),
  time('ChargePeriodStart', 'Inclusive start of the charge period (the day bucket). Cursor.'),
  decimal('ConsumedQuantity', 'Volume consumed, when the provider gives it.', false),
  text('ConsumedUnit', 'Unit of ConsumedQuantity, when the provider gives it.'),
  decimal('ContractedCost', 'Cost at contracted prices; BilledCost (the providers report no contract price).'),
  decimal('EffectiveCost', 'Amortized cost after discounts; BilledCost (no commitments to amortize).'),
  text(
    'HostProviderName',
    'Who hosts the service: the provider itself, or for a reseller the upstream provider it names (FocusCharge.hostProviderName).',
    true,
  ),
  text('InvoiceIssuerName', 'Who issues the invoice: the provider itself.', true),
  decimal('ListCost', 'Cost at list prices: ListUnitPrice x PricingQuantity exactly where both are set; else the provider’s list amount, else BilledCost.'),
  decimal(
    'ListUnitPrice',
    'Published list price of one PricingUnit at this SkuPriceId (docs/focus.md: the price data file); null without a SkuPriceId or a known price.',
    false,
  ),
  text('PricingCategory', 'Standard where the row has a SkuPriceId; null otherwise (FOCUS 1.3).'),
  text('PricingCurrency', 'Currency the provider prices in: BillingCurrency (USD) where it prices in it, Aurous: credits.', true),
  decimal(
    'PricingCurrencyEffectiveCost',
    'EffectiveCost in PricingCurrency: EffectiveCost where PricingCurrency is BillingCurrency, Aurous: the credits used.',
  ),
  decimal('PricingQuantity', 'Volume priced, in PricingUnit (e.g. tokens / 1000000 for `1000000 Tokens`); null without a SkuPriceId (FOCUS 1.3).', false),
  text('PricingUnit', 'Unit of PricingQuantity in FOCUS UnitFormat (`1000000 Tokens`, `1000 Requests`, `Credits`); null with PricingQuantity.'),
  text('ProviderName', 'Deprecated in FOCUS 1.3 (ServiceProviderName); kept for FOCUS 1.2 tools.', true),
  text('PublisherName', 'Deprecated in FOCUS 1.3; kept for FOCUS 1.2 tools.', true),
  text('ServiceCategory', 'AI and Machine Learning.', true),
  text('ServiceName', 'The provider’s service.', true),
  text('ServiceProviderName', 'Who makes the service available.', true),
  text('ServiceSubcategory', 'Generative AI.', true),
  text('SkuId', 'The priced item, when the provider names one.'),
  text('SkuMeter', 'What the SKU meters (a token type, a request type).'),
  col(
    'SkuPriceDetails',
    'object',
    'Properties of the price point, every key x_-prefixed (FOCUS defines none for AI models): x_ModelId and x_ModelDeveloper where known, then the provider’s; null without a SkuPriceId (FOCUS 1.3).',
    {
      from: null,
      extra: { additionalProperties: true },
    },
  ),
  text(
    'SkuPriceId',
    'The price point: model x meter x price factors (batch, context window) where the provider prices per unit (docs/focus.md); null on rows with no unit price (credits).',
  ),
  text('SubAccountId', 'Project (OpenAI), workspace (Anthropic; null for the default workspace) or null.'),
  text(
    'SubAccountName',
    'Name of the sub account (project, workspace) from the provider’s entity list, read by the run (docs/focus.md, Names); null when SubAccountId is null or no list names it (deleted, unknown).',
  ),
  text('SubAccountType', 'Project or Workspace, when SubAccountId is set.'),
  text(SPEND_KEY, 'Deterministic key: the id of the cost record this row was mapped from (null-safe hash).', true),
];

/** What a provider's mapping gives for one cost record; the rest of the row is derived here. */
export interface FocusCharge {
  /** BilledCost in BillingCurrency, an exact decimal. */
  billedCost: string;
  billingCurrency: string;
  /**
   * The provider's own list amount (an exact decimal): ListCost where no ListUnitPrice is set;
   * with a ListUnitPrice, ListCost is ListUnitPrice x PricingQuantity (FOCUS ListCost-C-009-C) and
   * the provider's amount belongs in one of its x_ columns.
   */
  listCost?: string | null;
  chargeDescription: string;
  /**
   * The price point (FOCUS SkuPriceId). FOCUS 1.3: without it PricingQuantity, PricingUnit,
   * PricingCategory, ConsumedQuantity, ConsumedUnit, SkuPriceDetails and ListUnitPrice are null,
   * whatever is given below; every Usage row should have one.
   */
  skuPriceId?: string | null;
  /** Volume and unit priced (UnitFormat: `1000000 Tokens`); only with skuPriceId. */
  pricingQuantity?: string | null;
  pricingUnit?: string | null;
  /** Volume and unit consumed (`Tokens`, `Requests`); only with skuPriceId. */
  consumedQuantity?: string | null;
  consumedUnit?: string | null;
  /** List price of one pricingUnit at skuPriceId, exact (engine/focus/prices.ts); ListCost is then its product with pricingQuantity. */
  listUnitPrice?: string | null;
  /** Where the provider prices in another currency than BillingCurrency (Aurous: credits); absent: BillingCurrency. */
  pricingCurrency?: string | null;
  /** EffectiveCost in pricingCurrency, exact; absent (with pricingCurrency absent): EffectiveCost. */
  pricingCurrencyEffectiveCost?: string | null;
  skuId?: string | null;
  /**
   * HostProviderName where it is not the provider itself (a reseller: the upstream that served the
   * request); absent or null: providerName.
   */
  hostProviderName?: string | null;
  skuMeter?: string | null;
  skuPriceDetails?: Record<string, unknown> | null;
  subAccountId?: string | null;
  subAccountName?: string | null;
  subAccountType?: string | null;
  /** The provider's x_ columns, in their declared order. */
  extra: Record<string, unknown>;
}

/** A provider's FOCUS identity and defaults. */
export interface FocusProvider {
  /** ServiceProviderName, ProviderName, PublisherName, HostProviderName, InvoiceIssuerName. */
  providerName: string;
  serviceName: string;
  defaultAccountId: string;
  defaultAccountName: string;
  /** The provider's x_ columns (names start with x_). */
  extraColumns: readonly Column[];
  /**
   * Where names come from (engine/focus/names.ts): SubAccountName from the `subAccount` kind by
   * SubAccountId, each of `columns` (declared in extraColumns) from the id column beside it.
   */
  names?: { subAccount?: NameKind; columns?: readonly NameColumn[] };
}

const DAY_MS = 86_400_000;

/** The billing period holding `start` (unix seconds): months starting on `day` (UTC). */
export function billingPeriod(start: number, day: number): { start: number; end: number } {
  const d = new Date(start * 1000);
  let y = d.getUTCFullYear();
  let m = d.getUTCMonth();
  if (d.getUTCDate() < day) m -= 1;
  const from = Date.UTC(y, m, day);
  y = new Date(from).getUTCFullYear();
  m = new Date(from).getUTCMonth();
  const to = Date.UTC(y, m + 1, day);
  return { start: from / 1000, end: Math.max(to, from + DAY_MS) / 1000 };
}

/** The columns of a provider's spend stream: FOCUS's, the key, its x_ columns. */
function spendColumns(p: FocusProvider): readonly Column[] {
  for (const c of p.extraColumns) {
    if (!c.name.startsWith('x_')) throw new Error(`spend column ${c.name} of ${p.providerName} must be x_-prefixed`);
  }
  return [...FOCUS_COLUMNS, ...p.extraColumns.map((c) => ({ ...c, from: null }))];
}

/** One cost stream a spend stream maps, and from when (BucketStream.segments) it serves the spend rows. */
export interface SpendSource<C> {
  /** Where this source starts serving, given now (unix seconds, a UTC midnight); absent on the first source only. */
  from?: (nowS: number) => number;
  costs: BucketStream<C>;
  /**
   * Called once per plan; returns the mapping of one cost record (the plan's config bound). `notice`
   * takes what the run should log once (engine/notices.ts: a price missing from the list-price file).
   */
  charge: (config: C) => (record: Row, bucket: Bucket, notice: NoticeSink) => FocusCharge;
}

/**
 * The spend stream of a provider: the cost stream's plan (same requests, paging, responses and
 * checks), each cost record mapped into a FOCUS row by `charge`. `settings` reads the config's
 * focus choices; `check` refuses a config the stream cannot map (Aurous without a credit rate).
 * `sources` instead of `costs`/`charge`: the days are served by several cost streams by date,
 * one source per day (the stream's segments, engine/read.ts); the first one's plan is plan(config).
 */
export function spendStream<C>(
  o: {
    provider: FocusProvider;
    settings: (config: C) => FocusSettings;
    description: string;
  } & (
    | {
        costs: BucketStream<C>;
        /** Called once per plan; returns the mapping of one cost record (the plan's config bound). */
        charge: (config: C) => (record: Row, bucket: Bucket, notice: NoticeSink) => FocusCharge;
      }
    | { sources: (config: C) => ReadonlyArray<SpendSource<C>> }
  ),
): BucketStream<C> {
  const list = spendColumns(o.provider);
  const cols = columns(list);
  const template: Row = Object.fromEntries(list.map((c) => [c.name, null]));
  const p = o.provider;
  const sourcesOf = (config: C): ReadonlyArray<SpendSource<C>> => ('sources' in o ? o.sources(config) : [{ costs: o.costs, charge: o.charge }]);
  const spendPlan = (config: C, source: SpendSource<C>): BucketPlan => {
    const base = source.costs.plan(config);
    const settings = o.settings(config);
    const charge = source.charge(config);
    const accountId = settings.billing_account_id ?? settings.account?.id ?? p.defaultAccountId;
    const accountName = settings.billing_account_name ?? settings.account?.name ?? p.defaultAccountName;
    const names = settings.names;
    const nameColumns = p.names?.columns ?? [];
    let periodOf = NaN;
    let period = { start: '', end: '' };
    return {
      ...base,
      idField: SPEND_KEY,
      toRecord(bucket, result, index, notice) {
        const record = base.toRecord(bucket, result, index, notice);
        const c = charge(record, bucket, notice ?? IGNORE_NOTICES);
        if (bucket.start !== periodOf) {
          const bp = billingPeriod(bucket.start, settings.billing_period_start_day);
          period = { start: isoTime(bp.start), end: isoTime(bp.end) };
          periodOf = bucket.start;
        }
        const billed = normalizeDecimal(c.billedCost);
        const row: Row = { ...template };
        row.BilledCost = billed;
        row.BillingAccountId = accountId;
        row.BillingAccountName = accountName;
        row.BillingAccountType = 'Organization';
        row.BillingCurrency = c.billingCurrency.toUpperCase();
        row.BillingPeriodEnd = period.end;
        row.BillingPeriodStart = period.start;
        row.ChargeCategory = compareDecimal(billed, '0') < 0 ? 'Credit' : 'Usage';
        row.ChargeClass = null;
        row.ChargeDescription = c.chargeDescription;
        row.ChargeFrequency = 'Usage-Based';
        row.ChargePeriodEnd = isoTime(bucket.end);
        row.ChargePeriodStart = isoTime(bucket.start);
        // FOCUS 1.3: the pricing and consumption columns, and SkuPriceDetails, exist only at a price point.
        const priceId = c.skuPriceId ?? null;
        const pricingQuantity = priceId === null || c.pricingQuantity == null ? null : normalizeDecimal(c.pricingQuantity);
        const consumedQuantity = priceId === null || c.consumedQuantity == null ? null : normalizeDecimal(c.consumedQuantity);
        const listUnitPrice = priceId === null || c.listUnitPrice == null ? null : normalizeDecimal(c.listUnitPrice);
        row.ConsumedQuantity = consumedQuantity;
        row.ConsumedUnit = consumedQuantity === null ? null : (c.consumedUnit ?? null);
        row.ContractedCost = billed;
        row.EffectiveCost = billed;
        row.HostProviderName = c.hostProviderName ?? p.providerName;
        row.InvoiceIssuerName = p.providerName;
        // ListCost-C-009-C: ListUnitPrice x PricingQuantity, exactly, where both are set.
        row.ListCost =
          listUnitPrice !== null && pricingQuantity !== null
            ? multiplyDecimal(listUnitPrice, pricingQuantity)
            : c.listCost == null
              ? billed
              : normalizeDecimal(c.listCost);
        row.ListUnitPrice = listUnitPrice;
        row.PricingCategory = priceId === null ? null : 'Standard';
        // PricingCurrency-C-004-M, PricingCurrencyEffectiveCost-C-003-M: once present, never null. Priced in
        // BillingCurrency (OpenAI, Anthropic), the effective cost is the same amount in the same currency.
        const ownCurrency = c.pricingCurrency != null;
        if (ownCurrency !== (c.pricingCurrencyEffectiveCost != null))
          throw systemError('a FOCUS mapping gave pricingCurrency without pricingCurrencyEffectiveCost (or the reverse)');
        row.PricingCurrency = ownCurrency ? c.pricingCurrency : row.BillingCurrency;
        row.PricingCurrencyEffectiveCost = ownCurrency ? normalizeDecimal(c.pricingCurrencyEffectiveCost as string) : billed;
        row.PricingQuantity = pricingQuantity;
        row.PricingUnit = pricingQuantity === null ? null : (c.pricingUnit ?? null);
        row.ProviderName = p.providerName;
        row.PublisherName = p.providerName;
        row.ServiceCategory = 'AI and Machine Learning';
        row.ServiceName = p.serviceName;
        row.ServiceProviderName = p.providerName;
        row.ServiceSubcategory = 'Generative AI';
        row.SkuId = c.skuId ?? null;
        row.SkuMeter = c.skuMeter ?? null;
        row.SkuPriceDetails = priceId === null ? null : (c.skuPriceDetails ?? null);
        row.SkuPriceId = priceId;
        row.SubAccountId = c.subAccountId ?? null;
        row.SubAccountName = c.subAccountName ?? (p.names?.subAccount ? nameOf(names, p.names.subAccount, row.SubAccountId) : null);
        row.SubAccountType = c.subAccountId == null ? null : (c.subAccountType ?? null);
        row[SPEND_KEY] = record.id;
        for (const [k, v] of Object.entries(c.extra)) row[k] = v;
        for (const n of nameColumns) {
          const kind = typeof n.kind === 'function' ? n.kind(row) : n.kind;
          row[n.column] = kind === null ? null : nameOf(names, kind, row[n.idColumn]);
        }
        return row;
      },
    };
  };
  const stream: BucketStream<C> = {
    kind: 'buckets',
    name: SPEND_STREAM,
    description: o.description,
    schema: cols.schema(SPEND_STREAM, o.description),
    primaryKey: [[SPEND_KEY]],
    cursorField: 'ChargePeriodStart',
    plan: (config) => spendPlan(config, sourcesOf(config)[0] as SpendSource<C>),
  };
  if ('sources' in o) {
    stream.segments = (config) => sourcesOf(config).map((source) => ({ ...(source.from ? { from: source.from } : {}), plan: spendPlan(config, source) }));
  }
  return stream;
}

/** A record field as a FOCUS string column: the string, else null. */
export const stringOrNull = (v: unknown): string | null => (typeof v === 'string' ? v : null);
