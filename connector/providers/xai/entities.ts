import { z } from 'zod';
import { shiftDecimalLeft } from '../../decimal.js';
import { col, columns, entityId, type Column } from '../../engine/columns/columns.js';
import { RecordIdHasher } from '../../engine/columns/records.js';
import { describeZodError } from '../../engine/columns/validation.js';
import { systemError } from '../../engine/errors.js';
import { idListStream, listBody } from '../../engine/fetch/lists.js';
import type { ListStream, Row } from '../../engine/stream.js';
import type { Query } from '../../http/client.js';
import { apiKeysPath, invoicesPath, prepaidBalancePath, teamNotFound } from './api.js';
import type { XaiConfig } from './config.js';

/**
 * The team's invoices and API keys as full-refresh streams keyed by `id`. Neither list is paged in the
 * proto [SDK] (one response each). Each record is an explicit pick of documented fields: a key's
 * secret (`apiKey`, sent only when a key is created) is never copied.
 */

const time = (name: string, description: string, from?: readonly string[]): Column =>
  col(name, 'string', description, { format: 'date-time', ...(from ? { from } : {}) });

/** An int64 as proto3 JSON sends it (a string), or as a number (one client met both [FIELD]). */
const int64 = z.union([z.string().regex(/^-?\d+$/, 'an int64 as a string of digits'), z.number().int()]).nullish();
const int64Text = (v: string | number): string => (typeof v === 'number' ? BigInt(v).toString() : v);
/** Integer USD cents as exact dollars: the decimal point of the digits moved two places ("12345" -> "123.45"). */
const centsToUsd = (v: string | number): string => shiftDecimalLeft(int64Text(v), 2);

const cents = (name: string, description: string, from: readonly string[]): Column[] => [
  col(`${name}_cents`, 'string', `${description} in USD cents, as sent (int64).`, { from, check: int64, convert: int64Text }),
  col(`${name}_usd`, 'string', `${description} in US dollars: the cents with the decimal point moved, exact.`, { from, check: int64, convert: centsToUsd }),
];

// ---- api_keys ----------------------------------------------------------------------

const API_KEYS_DESCRIPTION =
  'Every API key of the team (GET /auth/teams/{team_id}/api-keys): name, owner, limits, ACLs, disabled. Only the redacted key is emitted, never the key. Full refresh.';

const apiKeyColumns = columns([
  entityId('API key id (apiKeyId). Primary key; joins usage.api_key_id.'),
  col('name', 'string', 'Key name.'),
  col('redacted_api_key', 'string', 'The redacted key (xai-...abcd). The key itself is never emitted.', { from: ['redactedApiKey'] }),
  col('team_id', 'string', 'Team of the key.', { from: ['teamId'] }),
  col('user_id', 'string', 'User who created the key.', { from: ['userId'] }),
  time('create_time', 'Creation time, RFC 3339.', ['createTime']),
  time('modify_time', 'Last change, RFC 3339.', ['modifyTime']),
  time('expire_time', 'Expiry, RFC 3339; null when it does not expire.', ['expireTime']),
  col('disabled', 'boolean', 'Whether the key is disabled (sent as a bool, or by some responses as "true"/"false"); absent: false (proto3 default).', {
    check: z.union([z.boolean(), z.enum(['true', 'false'])]).nullish(),
    convert: (v: boolean | string) => v === true || v === 'true',
  }),
  col('qps', 'integer', 'Requests per second allowed; null when not set.'),
  col('qpm', 'integer', 'Requests per minute allowed; null when not set.'),
  col('tpm', 'string', 'Tokens per minute allowed (int64, as a string); null when not set.', { check: int64, convert: int64Text }),
  col('acl_strings', 'array', 'ACLs of the key, e.g. api-key:model:*.', { from: ['aclStrings'], extra: { items: { type: 'string' } } }),
]);

/** The API key id is `apiKeyId`; the record's key is `id`. */
const keyItem = (it: unknown): unknown => (it && typeof it === 'object' ? { ...(it as object), id: (it as { apiKeyId?: unknown }).apiKeyId } : it);

export const apiKeysStream: ListStream<XaiConfig> = idListStream({
  name: 'api_keys',
  description: API_KEYS_DESCRIPTION,
  responses: [teamNotFound((path: string) => path)],
  schema: apiKeyColumns.schema('api_keys', API_KEYS_DESCRIPTION),
  async *pages(ctx, config) {
    const path = apiKeysPath(config.team_id);
    const body = await listBody(ctx, path, []);
    const page = z.looseObject({ apiKeys: z.array(z.unknown()).optional() }).safeParse(body);
    if (!page.success) throw systemError(`${path}: unexpected response: ${describeZodError(page.error, body)}`);
    yield (page.data.apiKeys ?? []).map((it, i) => {
      const r = apiKeyColumns.item.safeParse(keyItem(it));
      if (!r.success) throw systemError(`${path} apiKeys[${i}]: unexpected item: ${describeZodError(r.error, it)}`);
      // Disabled omitted is proto3's false.
      const row = apiKeyColumns.row(r.data);
      if (row.disabled === null) row.disabled = false;
      return row;
    });
  },
});

// ---- invoices ----------------------------------------------------------------------

const INVOICES_DESCRIPTION =
  'The invoices of the team from the month of start_date on (GET /v1/billing/teams/{team_id}/invoices?since.year=&since.month=): status, billing cycle, subtotal, tax and total as exact cents and dollars, and the lines. A re-read invoice (PENDING to PAID) replaces its row. Full refresh.';

const LINE_COLUMNS: readonly Column[] = [
  col('cluster_name', 'string', 'The cluster the resource was consumed on.', { from: ['clusterName'] }),
  col('description', 'string', 'The billed line, e.g. "Chat grok-4-0709".'),
  col('unit_type', 'string', 'The unit the price is measured in.', { from: ['unitType'] }),
  col('unit_price_micro_cents', 'string', 'Price per unit in 1/1,000,000 USD cents (int64, as sent).', {
    from: ['unitPrice'],
    check: int64,
    convert: int64Text,
  }),
  col('num_units', 'string', 'Units billed (int64, as sent).', { from: ['numUnits'], check: int64, convert: int64Text }),
  ...cents('amount', 'The line amount', ['amount']),
];

const invoiceColumns = columns([
  entityId('Invoice id (invoiceId). Primary key.'),
  col('invoice_number', 'string', 'Invoice number.', { from: ['invoiceNumber'] }),
  col('team_id', 'string', 'Team invoiced.', { from: ['teamId'] }),
  time('create_time', 'Creation time, RFC 3339.', ['createTime']),
  col('invoice_status', 'string', 'INVALID, PENDING, PAID, WILL_NEVER_BE_CHARGED or FAILED.', { from: ['invoiceStatus'] }),
  time('first_desired_next_cycle_ts', 'When the customer is expected to be charged, RFC 3339.', ['firstDesiredNextCycleTs']),
  col('billing_cycle_year', 'integer', 'Year of the billing cycle (monthly invoices).', { from: ['monthly', 'billingCycle', 'year'] }),
  col('billing_cycle_month', 'integer', 'Month of the billing cycle, 1-12 (monthly invoices).', { from: ['monthly', 'billingCycle', 'month'] }),
  ...cents('subtotal', 'Subtotal', ['subtotal']),
  ...cents('tax', 'Tax', ['tax']),
  ...cents('total', 'Total', ['total']),
  col('corrections_csv_asset_key_suffix', 'string', 'Set when the invoice has post-hoc corrections (a corrections CSV).', {
    from: ['monthly', 'correctionsCsvAssetKeySuffix'],
  }),
  col('lines', 'array', 'The invoice lines, in the order sent (their identity is positional).', { items: LINE_COLUMNS }),
]);

/** Fields of a record that proto3 JSON omits when they are zero: an absent one is "0". */
function zeroIfAbsent(row: Row, names: readonly string[]): void {
  for (const name of names) if (row[name] === null || row[name] === undefined) row[name] = '0';
}

const invoiceItem = (it: unknown): unknown => (it && typeof it === 'object' ? { ...(it as object), id: (it as { invoiceId?: unknown }).invoiceId } : it);

/** since.year and since.month: the month of the run's start (start_date, or the first day of the default history; engine/config.ts). */
export function invoicesSince(start: number): Query {
  const d = new Date(start * 1000);
  return [
    ['since.year', String(d.getUTCFullYear())],
    ['since.month', String(d.getUTCMonth() + 1)],
  ];
}

export const invoicesStream: ListStream<XaiConfig> = idListStream({
  name: 'invoices',
  description: INVOICES_DESCRIPTION,
  responses: [teamNotFound((path: string) => path)],
  schema: invoiceColumns.schema('invoices', INVOICES_DESCRIPTION),
  async *pages(ctx, config, common) {
    const path = invoicesPath(config.team_id);
    const body = await listBody(ctx, path, invoicesSince(common.start));
    const page = z.looseObject({ invoices: z.array(z.unknown()).optional() }).safeParse(body);
    if (!page.success) throw systemError(`${path}: unexpected response: ${describeZodError(page.error, body)}`);
    yield (page.data.invoices ?? []).map((it, i) => {
      const r = invoiceColumns.item.safeParse(invoiceItem(it));
      if (!r.success) throw systemError(`${path} invoices[${i}]: unexpected item: ${describeZodError(r.error, it)}`);
      const row = invoiceColumns.row(r.data);
      // proto3 JSON omits a zero int64: an absent amount is 0 cents (docs/xai.md), on the invoice and on each line.
      zeroIfAbsent(row, ['subtotal_cents', 'subtotal_usd', 'tax_cents', 'tax_usd', 'total_cents', 'total_usd']);
      if (Array.isArray(row.lines)) {
        for (const line of row.lines) zeroIfAbsent(line as Row, ['unit_price_micro_cents', 'num_units', 'amount_cents', 'amount_usd']);
      }
      return row;
    });
  },
});

// ---- prepaid_balance_changes ---------------------------------------------------------

const PREPAID_DESCRIPTION =
  "The team's prepaid credit ledger (GET /v1/billing/teams/{team_id}/prepaid/balance): purchases, spend posted at billing-cycle close, refunds, manual changes. xAI's ledger is inverted: amount_cents keeps its sign (a purchase is negative, spend positive); credit_usd is the change to the available credit (a purchase positive). Full refresh.";

/** An int64's digits with the other sign ("-1000" -> "1000", "0" -> "0"). */
const negate = (digits: string): string => (/^-?0+$/.test(digits) ? '0' : digits.startsWith('-') ? digits.slice(1) : `-${digits}`);

/** `Cent` is {"val": "<int64>"}; the value as sent. */
const centVal = (v: { val?: string | number | null | undefined } | null | undefined): string | null =>
  v?.val === undefined || v.val === null ? null : int64Text(v.val);

const prepaidColumns = columns([
  col('id', 'string', 'Deterministic key: hash of create_time, change_origin, amount_cents and invoice_id (the ledger has no change id).', {
    notNull: true,
    from: null,
  }),
  col('team_id', 'string', 'Team of the change.', { from: ['teamId'] }),
  col('change_origin', 'string', 'PURCHASE, SPEND, REFUND or MANUAL.', { from: ['changeOrigin'] }),
  col('topup_status', 'string', 'For a purchase: TO_GENERATE_INVOICE, FAILED_TO_GENERATE_INVOICE, TO_CHARGE, FAILED_TO_CHARGE or SUCCEEDED.', {
    from: ['topupStatus'],
  }),
  col('amount_cents', 'string', "The ledger amount in USD cents as sent, with xAI's sign: a purchase or refund negative, spend positive.", { from: null }),
  col(
    'credit_usd',
    'string',
    'The change to the available prepaid credit in US dollars: -amount_cents / 100, exact (a $10 purchase is 10, spend is negative).',
    {
      from: null,
    },
  ),
  col('invoice_id', 'string', 'Invoice of the change, when it has one.', { from: ['invoiceId'] }),
  col('invoice_number', 'string', 'Invoice number, when it has one.', { from: ['invoiceNumber'] }),
  time('create_time', 'When the change was recorded, RFC 3339.', ['createTime']),
  col('spend_year', 'integer', 'For posted spend: the year of the billing period it closes.', { from: ['spendBpKeyYear'] }),
  col('spend_month', 'integer', 'For posted spend: the month (1-12) of the billing period it closes.', { from: ['spendBpKeyMonth'] }),
]);

const Cent = z.looseObject({ val: z.union([z.string().regex(/^-?\d+$/), z.number().int()]).nullish() });
const Ledger = z.looseObject({ changes: z.array(z.unknown()).optional(), total: Cent.nullish() });
const ChangeAmount = z.looseObject({ amount: Cent.nullish() });

export const prepaidBalanceChangesStream: ListStream<XaiConfig> = idListStream({
  name: 'prepaid_balance_changes',
  description: PREPAID_DESCRIPTION,
  schema: prepaidColumns.schema('prepaid_balance_changes', PREPAID_DESCRIPTION),
  responses: [teamNotFound((path: string) => path)],
  async *pages(ctx, config) {
    const path = prepaidBalancePath(config.team_id);
    const body = await listBody(ctx, path, []);
    const page = Ledger.safeParse(body);
    if (!page.success) throw systemError(`${path}: unexpected response: ${describeZodError(page.error, body)}`);
    // The balance itself is not a record (this stream is the changes); the debug log says it, inverted back.
    const total = centVal(page.data.total);
    if (total !== null) ctx.log(`${path}: available prepaid credit ${shiftDecimalLeft(negate(total), 2)} USD (total.val ${total}, inverted)`);
    yield (page.data.changes ?? []).map((it, i) => {
      const r = prepaidColumns.item.safeParse(it);
      const a = ChangeAmount.safeParse(it);
      if (!r.success) throw systemError(`${path} changes[${i}]: unexpected item: ${describeZodError(r.error, it)}`);
      if (!a.success) throw systemError(`${path} changes[${i}]: unexpected amount: ${describeZodError(a.error, it)}`);
      const row = prepaidColumns.row(r.data);
      // proto3 omits a zero amount.
      const cents = centVal(a.data.amount) ?? '0';
      row.amount_cents = cents;
      row.credit_usd = shiftDecimalLeft(negate(cents), 2);
      row.id = new RecordIdHasher().add(row.create_time).add(row.change_origin).add(cents).add(row.invoice_id).digest();
      return row;
    });
  },
});
