import { CONNECTORS, type Connector, type InvoiceTable } from '../connectors.js';
import type { Warehouse } from './db.js';
import { type ChartTable, chartData, cumulativeLines, esc, OTHER_COLOR, PALETTE, stackedBars, type Series } from './charts.js';
import { DAY, isoDate, startOfDay } from '../engine/time.js';
import { fromScaled, mulDiv, toScaled, trimDecimal } from '../decimal.js';
import { formatMoney, percentChange, percentShare, runRateForecast } from './money.js';
import { ident, STATE_TABLE } from './schema.js';

/**
 * The spend report: one static HTML page from whatever spend tables the database has.
 *
 *   costs           (source-openai-costs)     amount_value, a DOUBLE holding the exact double the API sent
 *   analytics_cost  (source-anthropic-costs)  amount_usd (and list_amount_usd), exact decimal strings
 *   cost_report     (source-anthropic-costs)  amount_usd, an exact decimal string; Anthropic's legacy
 *                                             report, used for the days analytics_cost does not cover
 *
 * Every amount becomes DECIMAL(38,24) in SQL, the scale of focus_spend (a DOUBLE through its shortest text form,
 * so 0.1 stays 0.1) and every sum is a DuckDB DECIMAL sum returned as text: no float
 * ever touches money. Dates are UTC days.
 *
 * Every spend source is one SELECT of the same columns (the spend columns): provider, day,
 * currency, project_key, project, line_item, model, amount, then account_key, account (billing
 * account), source (the Anthropic stream a row came from), api_key, api_key_name, actor_type, actor_id,
 * actor_name and list_amount (the Anthropic breakdown). Names come from focus_spend's SubAccountName,
 * x_ApiKeyName and x_ActorName (docs/focus.md, Names), else the entity tables; a name that two
 * projects (keys, people) share is shown with the id. Month to date, the comparison and the forecast use each
 * provider's complete days only (settleRules: each provider's about.ts, through the registry).
 */
interface ReportOptions {
  /** Days of daily history shown, ending on the latest day with spend (or complete day, if later). */
  days: number;
  /** When the page is generated (shown on it). */
  now: Date;
  /** The providers whose names and settle rules the report knows (default: the registry, connector/connectors.ts). */
  connectors?: readonly Connector[];
}

interface SpendSource {
  provider: string;
  table: string;
  select: string;
  /** How the source is used, when not plainly (shown after the table name). */
  note?: string;
  /** focus_spend: one source for every provider (the provider is a column). */
  focus?: boolean;
}

/** Spend by one Anthropic dimension (API key, actor) over the report's period. */
interface Breakdown {
  label: string;
  kind: string;
  period: string;
  list: string;
  share: string;
}

/** A cost-by-API-key or by-actor table: its rows, and what makes them add up to the headline. */
interface BreakdownTable {
  /** The 10 largest, then "Other (n more)" when there are at least 2 more. */
  rows: Breakdown[];
  /** Anthropic spend of the same days from rows without a per-key breakdown (cost_report days). */
  uncovered: { amount: string; days: string } | null;
  /** Every row plus `uncovered`: the Anthropic headline over the same days when `sameRows`. */
  total: string;
  /** True: the rows are the headline's own (focus_spend rows, or the provider tables the headline sums). */
  sameRows: boolean;
}

/** Spend per billing account (shown when a provider has more than one). */
interface AccountRow {
  provider: string;
  accountId: string;
  account: string;
  period: string;
  share: string;
  mtd: string;
  prevSame: string;
}

/** One provider's money: the period, the month to date against the previous month, and the month-end forecast. */
interface ProviderRow {
  provider: string;
  /** First and last day with rows (any amount), over the whole table. */
  first: string;
  last: string;
  period: string;
  share: string;
  mtd: string;
  prevSame: string;
  prevFull: string;
  /** Percent change of MTD against the same days of the previous month; null when not comparable. */
  change: string | null;
  /** Why the previous month cannot be compared ("no data for Anthropic in October 2026"), or null. */
  incomplete: string | null;
  forecast: string;
  /** Why the forecast is short of a full month of data, or null. */
  forecastIncomplete: string | null;
  /** The last complete day (settle rule), and how it was found. */
  through: string;
  basis: string;
  /** Complete days of the month (0: none yet); MTD, the comparison and the forecast use only these. */
  elapsed: number;
  /** The days compared, "Dec 1–4 vs Nov 1–4", or why none are. */
  compared: string;
  /** Set when the provider's latest day is missing (complete through an earlier day than another provider). */
  behind: string | null;
}

/**
 * One billing month of a provider's invoices against its daily spend: the invoiced subtotal (exact,
 * from cents), the sum of its daily spend rows of that month's days, and the difference when every
 * day of the month is complete.
 */
interface InvoiceMonth {
  /** The provider as the report names it (its about.ts displayName). */
  provider: string;
  /** "2026-10". */
  month: string;
  /** "Oct 2026". */
  label: string;
  currency: string;
  /** The invoices' status, as sent (several, comma-separated, when a month has invoices of different statuses). */
  status: string;
  /** Invoices of the month (more than one: several accounts in one file). */
  invoices: number;
  /** Σ subtotal cents with the decimal point moved two places: exact dollars. */
  invoiced: string;
  /** Σ the provider's daily spend rows of the month's days in this file (DECIMAL(38,24), exact). */
  daily: string;
  /** invoiced − daily, exact; null when the month is incomplete. */
  difference: string | null;
  /** Why the month cannot be compared (days not synced or not final, an unreadable subtotal), or null. */
  incomplete: string | null;
}

/** Stacked series and what the page says about its "Other" band. */
interface Stack {
  series: Series[];
  /** Items folded into "Other" (0: no Other band). */
  otherItems: number;
  /** Set when Other is larger than every item shown. */
  otherNote: string | null;
}

interface ReportData {
  /** focus: the focus_spend table; tables: the provider tables of a database synced before the spend stream. */
  mode: 'focus' | 'tables';
  sources: SpendSource[];
  currency: string;
  otherCurrencies: Array<{ currency: string; total: string }>;
  first: string | null;
  last: string | null;
  periodStart: string | null;
  days: string[];
  periodTotal: string;
  providers: ProviderRow[];
  byProvider: Stack;
  byProject: Stack;
  byLineItem: Stack;
  month: {
    label: string;
    start: string;
    mtd: string;
    prevLabel: string;
    prevSame: string;
    prevFull: string;
    changePct: string | null;
    dayOfMonth: number;
    daysInMonth: number;
    forecast: string;
    /** Providers without data in the compared days of the previous month (the change is then not shown). */
    incomplete: string[];
    forecastIncomplete: string[];
    /** Complete days of the month when every provider has the same, else null (each provider's own). */
    elapsed: number | null;
    /** The days MTD and the comparison cover: "Dec 1–4 vs Nov 1–4", or per provider. */
    compared: string;
    /** How the forecast is computed, for the page. */
    how: string;
  };
  cumulative: { current: string[]; previous: string[]; forecast: string[] };
  topProjects: Array<{ provider: string; label: string; period: string; mtd: string; prevSame: string; share: string }>;
  topModels: Array<{ provider: string; label: string; period: string; mtd: string; share: string }>;
  /** Every day of the period, newest first; total "0" on days without spend; `pending`: providers for which the day is not complete yet. */
  daily: Array<{ day: string; total: string; top: string; pending: string[] }>;
  /** day -> providers for which it is not complete yet (days complete for every provider are absent). */
  pending: Map<string, string[]>;
  /** The providers' complete-through days. */
  coverage: Coverage[];
  /** Spend per billing account, when a provider has more than one (else empty). */
  accounts: AccountRow[];
  /** Each provider's invoices (those that declare them) against its daily spend, per billing month of the period. */
  invoices: InvoiceMonth[];
  /** Why each of those providers' invoices differ from the daily sum (its about.ts), for the page. */
  invoiceGaps: Array<{ provider: string; gap: string }>;
  mtdDetail: Array<{ provider: string; project: string; lineItem: string; amount: string }>;
  /** Anthropic cost by API key and by actor (null unless the rows are grouped so). */
  byApiKey: BreakdownTable | null;
  byActor: BreakdownTable | null;
  /** What the breakdown covers and how it relates to the Anthropic headline, for the page. */
  breakdownNote: string | null;
  /** Why a table was left out of the money, for the page. */
  notes: string[];
  lastSync: string | null;
  rows: number;
}

/** Items shown by name in a stacked chart; the rest are one "Other" band (grey, on top, labelled with its count). */
export const TOP_N = 8;

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * Dimensions whose analytics_cost rows do not add up to the spend: an rbac_group_id row counts a
 * user in every group they belong to (rows overlap), claude_tag_user_id rows leave out Claude Tag
 * usage no single user started. Rows grouped by them give no totals.
 */
const NON_ADDITIVE = ['rbac_group_id', 'claude_tag_user_id'] as const;

/** Whether analytics_cost can give the money: present, with amounts and dates, and grouped only by dimensions whose rows add up. */
interface AnalyticsCost {
  use: boolean;
  columns: Set<string>;
  table: ResolvedTable | null;
  /** Why it is not used for money, for the page. */
  why?: string;
}

/** A table (or view) of the database as found by `resolveTable`. */
export interface ResolvedTable {
  /** The name to write in SQL: "anthropic"."analytics_cost", or "analytics_cost" in an earlier layout. */
  sql: string;
  /** The same, for people: anthropic.analytics_cost, or analytics_cost. */
  name: string;
  columns: Set<string>;
}

/** Every table and view of the database file, in any schema, with its columns: read once per report. */
export interface Catalog {
  /** "schema.table" -> column names */
  tables: Map<string, Set<string>>;
}

export async function readCatalog(db: Warehouse): Promise<Catalog> {
  const rows = await db.rows(
    'SELECT table_schema AS s, table_name AS t, column_name AS c FROM information_schema.columns WHERE table_catalog = current_database() ORDER BY table_schema, table_name, ordinal_position',
  );
  const tables = new Map<string, Set<string>>();
  for (const r of rows) {
    const key = `${String(r.s)}.${String(r.t)}`;
    const cols = tables.get(key) ?? new Set<string>();
    cols.add(String(r.c));
    tables.set(key, cols);
  }
  return { tables };
}

/**
 * THE one place a logical table name becomes the table the report reads: `sync` keeps each
 * connector's tables in its own schema (`anthropic.analytics_cost`); a database of an earlier version
 * has them in `main`. The connector's schema wins. `focus_spend` (a view over every connector's
 * spend) is looked up without a provider, in `main`.
 */
export function resolveTable(catalog: Catalog, logical: string, provider?: string): ResolvedTable | null {
  const candidates: Array<[string, string]> = provider
    ? [
        [provider, logical],
        ['main', logical],
      ]
    : [['main', logical]];
  for (const [schema, table] of candidates) {
    const columns = catalog.tables.get(`${schema}.${table}`);
    if (!columns) continue;
    return schema === 'main' ? { sql: ident(table), name: table, columns } : { sql: `${ident(schema)}.${ident(table)}`, name: `${schema}.${table}`, columns };
  }
  return null;
}

async function analyticsCost(db: Warehouse, catalog: Catalog): Promise<AnalyticsCost> {
  const t = resolveTable(catalog, 'analytics_cost', 'anthropic');
  if (!t) return { use: false, columns: new Set(), table: null };
  const columns = t.columns;
  if (!columns.has('date') || !columns.has('amount_usd')) return { use: false, columns, table: t };
  const present = NON_ADDITIVE.filter((k) => columns.has(k));
  if (present.length > 0) {
    const r = await db.rows(`SELECT ${present.map((k) => `count(*) FILTER (WHERE ${ident(k)} IS NOT NULL) AS ${ident(k)}`).join(', ')} FROM ${t.sql}`);
    const grouped = present.filter((k) => Number(r[0]?.[k] ?? 0) > 0);
    if (grouped.length > 0) {
      return {
        use: false,
        columns,
        table: t,
        why: `${t.name} is left out of the totals: its rows are grouped by ${grouped.join(' and ')}, whose rows overlap or fall short of the spend (sync it without that grouping for totals).`,
      };
    }
  }
  return { use: true, columns, table: t };
}

/**
 * FOCUS 1.3 columns read from focus_spend (PascalCase, as the spec names them). Only
 * ChargePeriodStart and BilledCost are required; every other column is used when present.
 */
const FOCUS_REQUIRED = ['ChargePeriodStart', 'BilledCost'] as const;

/** focus_spend as a SELECT of the spend columns (above). */
/**
 * The names of sub accounts in the entity tables (openai.projects, anthropic.workspaces): for
 * focus_spend rows without SubAccountName (synced before the spend stream named them). One row per
 * id, so the join never repeats money.
 */
function subAccountNames(catalog: Catalog): string | null {
  const parts = [resolveTable(catalog, 'projects', 'openai'), resolveTable(catalog, 'workspaces', 'anthropic')]
    .filter((x): x is ResolvedTable => x?.columns.has('id') === true && x.columns.has('name'))
    .map((x) => `SELECT CAST("id" AS VARCHAR) AS id, CAST("name" AS VARCHAR) AS name FROM ${x.sql}`);
  return parts.length === 0 ? null : `(SELECT id, any_value(name) AS name FROM (${parts.join(' UNION ALL ')}) WHERE name IS NOT NULL GROUP BY id)`;
}

function focusSource(t: ResolvedTable, catalog: Catalog): SpendSource | null {
  const c = t.columns;
  if (!FOCUS_REQUIRED.every((k) => c.has(k))) return null;
  const col = (name: string): string | null => (c.has(name) ? `f.${ident(name)}` : null);
  const first = (...xs: Array<string | null>): string => {
    const have = xs.filter((x): x is string => x !== null);
    return have.length === 0 ? 'NULL' : have.length === 1 ? (have[0] as string) : `coalesce(${have.join(', ')})`;
  };
  const text = (x: string | null): string | null => (x === null ? null : `CAST(${x} AS VARCHAR)`);
  const details = text(col('SkuPriceDetails'));
  // x_ModelId since FOCUS 1.3 conformance (CAU-SkuPriceDetails-C-017-C); ModelId in files of earlier versions.
  const modelId = details
    ? `CASE WHEN json_valid(${details}) THEN coalesce(json_extract_string(${details}, '$.x_ModelId'), json_extract_string(${details}, '$.ModelId')) END`
    : null;
  const provider = first(text(col('ServiceProviderName')), text(col('ProviderName')), "'Unknown provider'");
  const named = c.has('SubAccountId') ? subAccountNames(catalog) : null;
  return {
    provider: 'FOCUS',
    table: t.name,
    focus: true,
    select: `SELECT ${provider} AS provider, CAST(CAST(f."ChargePeriodStart" AS TIMESTAMPTZ) AS DATE) AS day,
          upper(${first(text(col('BillingCurrency')), "'USD'")}) AS currency,
          ${first(text(col('SubAccountId')), "''")} AS project_key,
          ${first(text(col('SubAccountName')), named ? 'sa.name' : null, text(col('SubAccountId')), "'No sub-account'")} AS project,
          ${first(text(col('ChargeDescription')), text(col('SkuId')), text(col('ServiceName')), "'All charges'")} AS line_item,
          ${first(modelId, text(col('x_model')), text(col('SkuId')), "'Other'")} AS model,
          CAST(CAST(f."BilledCost" AS VARCHAR) AS DECIMAL(38,24)) AS amount,
          ${first(text(col('BillingAccountId')), "''")} AS account_key,
          ${first(text(col('BillingAccountName')), text(col('BillingAccountId')), "'Default account'")} AS account,
          ${first(text(col('x_Source')))} AS source,
          ${first(text(col('x_ApiKeyId')))} AS api_key,
          ${first(text(col('x_ApiKeyName')))} AS api_key_name,
          ${first(text(col('x_ActorType')))} AS actor_type,
          ${first(text(col('x_ActorId')))} AS actor_id,
          ${first(text(col('x_ActorName')))} AS actor_name,
          ${c.has('ListCost') ? `CAST(CAST(f."ListCost" AS VARCHAR) AS DECIMAL(38,24))` : 'CAST(NULL AS DECIMAL(38,24))'} AS list_amount
        FROM ${t.sql} AS f ${named ? `LEFT JOIN ${named} AS sa ON sa.id = CAST(f."SubAccountId" AS VARCHAR)` : ''}
        WHERE f."BilledCost" IS NOT NULL AND f."ChargePeriodStart" IS NOT NULL`,
  };
}

/** The account and breakdown columns of a spend source without them (every source selects the spend columns). */
const noBreakdown = (source: string): string =>
  `'' AS account_key, 'Default account' AS account, ${quote(source)} AS source, CAST(NULL AS VARCHAR) AS api_key,
          CAST(NULL AS VARCHAR) AS api_key_name, CAST(NULL AS VARCHAR) AS actor_type,
          CAST(NULL AS VARCHAR) AS actor_id, CAST(NULL AS VARCHAR) AS actor_name, CAST(NULL AS DECIMAL(38,24)) AS list_amount`;

/** The provider spend tables present (older databases, without focus_spend), each as a SELECT of the spend columns (above). */
function providerSources(catalog: Catalog, analytics: AnalyticsCost): SpendSource[] {
  const out: SpendSource[] = [];
  const or = (have: Set<string>, alias: string, name: string, fallback = 'NULL'): string => (have.has(name) ? `${alias}.${ident(name)}` : fallback);

  const costs = resolveTable(catalog, 'costs', 'openai');
  if (costs) {
    const c = costs.columns;
    if (c.has('date') && c.has('amount_value')) {
      const projects = resolveTable(catalog, 'projects', 'openai');
      const join = projects?.columns.has('id') === true && projects.columns.has('name') && c.has('project_id');
      const pid = or(c, 'c', 'project_id');
      const li = or(c, 'c', 'line_item');
      out.push({
        provider: 'OpenAI',
        table: costs.name,
        select: `SELECT 'OpenAI' AS provider, CAST(c."date" AS DATE) AS day, upper(coalesce(${or(c, 'c', 'amount_currency')}, 'usd')) AS currency,
          coalesce(${pid}, '') AS project_key, coalesce(${join ? 'p."name", ' : ''}${pid}, 'No project') AS project,
          coalesce(${li}, 'All line items') AS line_item,
          CASE WHEN ${li} IS NULL THEN 'Unknown' ELSE split_part(${li}, ', ', 1) END AS model,
          CAST(CAST(c."amount_value" AS VARCHAR) AS DECIMAL(38,24)) AS amount, ${noBreakdown('costs')}
        FROM ${costs.sql} AS c ${join && projects ? `LEFT JOIN ${projects.sql} AS p ON p."id" = c."project_id"` : ''}
        WHERE c."amount_value" IS NOT NULL AND c."date" IS NOT NULL`,
      });
    }
  }
  // Anthropic: analytics_cost, and the legacy cost_report for the days analytics_cost has no rows
  // (the same money is never counted twice). Both by workspace, named from `workspaces`.
  const ws = resolveTable(catalog, 'workspaces', 'anthropic');
  const anthropic = (table: ResolvedTable, lineItem: string, where = '', breakdown = noBreakdown(table.name.replace(/^.*\./, ''))): string => {
    const c = table.columns;
    const join = ws?.columns.has('id') === true && ws.columns.has('name') && c.has('workspace_id');
    const wid = or(c, 't', 'workspace_id');
    return `SELECT 'Anthropic' AS provider, CAST(t."date" AS DATE) AS day, upper(coalesce(${or(c, 't', 'currency')}, 'USD')) AS currency,
          coalesce(${wid}, '') AS project_key, coalesce(${join ? 'w."name", ' : ''}${wid}, 'Default workspace') AS project,
          ${lineItem} AS line_item,
          coalesce(${or(c, 't', 'model')}, ${or(c, 't', 'cost_type')}, 'Other') AS model,
          CAST(CAST(t."amount_usd" AS VARCHAR) AS DECIMAL(38,24)) AS amount, ${breakdown}
        FROM ${table.sql} AS t ${join && ws ? `LEFT JOIN ${ws.sql} AS w ON w."id" = t."workspace_id"` : ''}
        WHERE t."amount_usd" IS NOT NULL AND t."date" IS NOT NULL ${where}`;
  };
  if (analytics.use && analytics.table) {
    const c = analytics.columns;
    const parts = ['model', 'cost_type', 'token_type'].filter((k) => c.has(k)).map((k) => `t.${ident(k)}`);
    const lineItem = `coalesce(${parts.length > 0 ? `nullif(concat_ws(' · ', ${parts.join(', ')}), '')` : 'NULL'}, 'All costs')`;
    // The columns of the cost by API key and by actor, as focus_spend's x_ApiKeyId, x_ActorType, x_ActorId.
    const actor = c.has('actor');
    const breakdown = `'' AS account_key, 'Anthropic organization' AS account, 'analytics_cost' AS source,
          ${or(c, 't', 'api_key_id')} AS api_key, CAST(NULL AS VARCHAR) AS api_key_name,
          ${actor ? `json_extract_string(t."actor", '$.type')` : or(c, 't', 'actor_type')} AS actor_type,
          ${or(c, 't', 'actor_id')} AS actor_id,
          ${actor ? `coalesce(json_extract_string(t."actor", '$.email'), json_extract_string(t."actor", '$.name'))` : 'NULL'} AS actor_name,
          ${c.has('list_amount_usd') ? `CAST(CAST(t."list_amount_usd" AS VARCHAR) AS DECIMAL(38,24))` : 'CAST(NULL AS DECIMAL(38,24))'} AS list_amount`;
    out.push({ provider: 'Anthropic', table: analytics.table.name, select: anthropic(analytics.table, lineItem, '', breakdown) });
  }
  const report = resolveTable(catalog, 'cost_report', 'anthropic');
  if (report) {
    const c = report.columns;
    if (c.has('date') && c.has('amount_usd')) {
      const lineItem = `coalesce(${or(c, 't', 'description')}, ${or(c, 't', 'cost_type')}, 'All cost lines')`;
      out.push({
        provider: 'Anthropic',
        table: report.name,
        ...(analytics.use && analytics.table
          ? {
              note: `days without ${analytics.table.name} rows`,
              select: anthropic(
                report,
                lineItem,
                `AND NOT EXISTS (SELECT 1 FROM ${analytics.table.sql} AS a WHERE CAST(a."date" AS DATE) = CAST(t."date" AS DATE))`,
              ),
            }
          : { select: anthropic(report, lineItem) }),
      });
    }
  }
  return out;
}

const str = (v: unknown): string => (v === null || v === undefined ? '' : String(v));

const ACTOR_KINDS: Record<string, string> = {
  user_actor: 'User',
  service_account_actor: 'Service account',
  api_actor: 'API key',
  federated_actor: 'Federated identity',
};

/** One grouped row of a breakdown query: key, kind, name, exact paid and list amounts. */
type BreakdownRow = Record<string, unknown>;

/**
 * Grouped rows as the page's table: the 10 largest by name, the rest as one "Other (n more …)" row, so
 * that the rows (with `uncovered`) add up exactly to `total`.
 */
function foldBreakdown(
  rows: readonly BreakdownRow[],
  by: 'api_key' | 'actor',
  total: string,
  uncovered: BreakdownTable['uncovered'],
  sameRows: boolean,
): BreakdownTable {
  // Names, not ids: the id only where two keys (people) share a name, or where nothing names it.
  const nameOf = (r: BreakdownRow): string | null => (r.name === null || r.name === undefined || r.name === '' ? null : String(r.name));
  const seen = new Map<string, number>();
  for (const r of rows) {
    const n = nameOf(r);
    if (n !== null) seen.set(n, (seen.get(n) ?? 0) + 1);
  }
  const all = rows.map((r) => {
    const id = r.k === null || r.k === undefined ? null : String(r.k);
    const name = nameOf(r);
    const k = str(r.kind);
    const fallback = by === 'api_key' ? 'No API key (Console)' : k === 'federated_actor' ? 'Federated identity' : 'Unattributed';
    return {
      label: name && id && (seen.get(name) ?? 0) > 1 ? `${name} (${id})` : (name ?? id ?? fallback),
      kind: by === 'actor' ? (ACTOR_KINDS[k] ?? (k || '—')) : '',
      period: trimDecimal(str(r.period) || '0'),
      list: r.list === null || r.list === undefined ? '' : trimDecimal(str(r.list)),
      share: '',
    };
  });
  // One more than 10 is shown by name: an "Other (1 more)" row would hide a name for nothing.
  const shown = all.length <= 11 ? all : all.slice(0, 10);
  const rest = all.length <= 11 ? [] : all.slice(10);
  if (rest.length > 0) {
    const lists = rest.map((r) => r.list);
    shown.push({
      label: `Other (${rest.length} more ${by === 'api_key' ? 'API keys' : 'people and accounts'})`,
      kind: '',
      period: add(rest.map((r) => r.period)),
      list: lists.every((l) => l === '') ? '' : add(lists.filter((l) => l !== '')),
      share: '',
    });
  }
  for (const r of shown) r.share = percentShare(r.period, total);
  return { rows: shown, uncovered, total: trimDecimal(total), sameRows };
}

/** The SQL of a breakdown's group key, kind, name and the table naming it, over rows `b` of the spend columns. */
function breakdownSql(catalog: Catalog, by: 'api_key' | 'actor', rows: string): string {
  const key = by === 'api_key' ? 'api_key' : 'actor_id';
  const kind = by === 'api_key' ? 'CAST(NULL AS VARCHAR)' : 'b."actor_type"';
  const other = resolveTable(catalog, by === 'api_key' ? 'api_keys' : 'users', 'anthropic');
  const oc = other?.columns ?? new Set<string>();
  const join = oc.has('id') && (oc.has('name') || oc.has('email'));
  const named = [
    by === 'actor' ? 'b."actor_name"' : 'b."api_key_name"',
    ...(join ? ['email', 'name'].filter((k) => oc.has(k)).map((k) => `o.${ident(k)}`) : []),
  ];
  const grouped = by === 'api_key' ? 'b."api_key" IS NOT NULL' : '(b."actor_type" IS NOT NULL OR b."actor_id" IS NOT NULL)';
  return `, b AS (${rows})
    SELECT b.${ident(key)} AS k, ${kind} AS kind, ${named.length > 0 ? `any_value(coalesce(${named.join(', ')}))` : 'CAST(NULL AS VARCHAR)'} AS name,
      CAST(sum(b.amount) AS VARCHAR) AS period, CAST(sum(b.list_amount) AS VARCHAR) AS list
    FROM b ${join && other ? `LEFT JOIN ${other.sql} AS o ON o."id" = b.${ident(key)}` : ''}
    WHERE EXISTS (SELECT 1 FROM b WHERE ${grouped})
    GROUP BY b.${ident(key)}, ${kind} ORDER BY sum(b.amount) DESC, k NULLS LAST, kind`;
}

/**
 * analytics_cost rows with the breakdown columns, for the breakdown of a focus_spend without x_Source (a spend
 * stream that read cost_report): the days given only.
 */
function analyticsRows(analytics: ResolvedTable, currency: string, days: readonly string[]): string {
  const c = analytics.columns;
  const or = (name: string): string => (c.has(name) ? `a.${ident(name)}` : 'NULL');
  const actor = c.has('actor');
  return `SELECT CAST(CAST(a."amount_usd" AS VARCHAR) AS DECIMAL(38,24)) AS amount,
      ${c.has('list_amount_usd') ? `CAST(CAST(a."list_amount_usd" AS VARCHAR) AS DECIMAL(38,24))` : 'CAST(NULL AS DECIMAL(38,24))'} AS list_amount,
      ${or('api_key_id')} AS api_key, CAST(NULL AS VARCHAR) AS api_key_name,
      ${actor ? `json_extract_string(a."actor", '$.type')` : or('actor_type')} AS actor_type, ${or('actor_id')} AS actor_id,
      ${actor ? `coalesce(json_extract_string(a."actor", '$.email'), json_extract_string(a."actor", '$.name'))` : 'NULL'} AS actor_name
    FROM ${analytics.sql} AS a
    WHERE a."amount_usd" IS NOT NULL AND upper(coalesce(${or('currency')}, 'USD')) = ${quote(currency)}
      AND CAST(a."date" AS DATE) IN (${days.length > 0 ? days.map((d) => `DATE ${quote(d)}`).join(', ') : 'NULL'})`;
}

/** Exact sum of decimal strings (24 decimals, the scale of every amount here), trimmed. */
const add = (xs: readonly string[]): string =>
  trimDecimal(
    fromScaled(
      xs.reduce((acc, x) => acc + toScaled(x, 24), 0n),
      24,
    ),
  );

/**
 * When a provider's day is final: THE settle rule of each provider, declared once as data in its
 * about.ts (connector/providers/<provider>/about.ts, found through the registry; docs/warehouse.md,
 * "Complete through"). A day counts as complete for a provider when both
 *   - the sync read it: it is before the day of the cursor of the provider's spend stream (or, in a
 *     database synced before the spend stream, of its cost stream) in `<connector>._connector_state`
 *     (the cursor is the start of the first bucket not read yet, and never after the start of today),
 *   - and it had settled when that state was written (`updated_at`, the sync time): the day ended at
 *     least `settleHours` before.
 * Not the latest day with spend: a provider that spent nothing on its last days is complete through
 * them, and a provider whose latest day is not final (a report that never holds today, or a partial
 * today) is not compared with a full day of another month.
 */
export interface SettleRule {
  /** The provider as the report names it (focus_spend.ServiceProviderName). */
  provider: string;
  /** Its connector's DuckDB schema, where its _connector_state is: the registry's provider. */
  connector: string;
  /** Its connector's name (the registry's): the `source` of its rows in a main._connector_state of an earlier layout. */
  name: string;
  /** The streams whose cursor says what was read, first found wins: spend, else the cost stream(s) of an older sync. */
  streams: readonly string[];
  /** Hours after a UTC day ends before its data counts as final. */
  settleHours: number;
  /** Why, for the docs and the page. */
  why: string;
}

/** The settle rule of every connector of `connectors` (the registry by default), in its order. */
export async function settleRules(connectors: readonly Connector[] = CONNECTORS): Promise<SettleRule[]> {
  return Promise.all(
    connectors.map(async (c) => {
      const about = await c.about();
      return {
        provider: about.displayName,
        connector: c.provider,
        name: c.name,
        streams: about.settle.streams,
        settleHours: about.settle.hours,
        why: about.settle.why,
      };
    }),
  );
}

/**
 * The last complete day (YYYY-MM-DD) of a stream whose cursor is `cursor` (unix seconds, the start of
 * the first bucket not read) and whose state was written at `syncedAt` (unix seconds): the day before
 * the cursor's day, and no later than the last day that ended `settleHours` before the sync.
 */
export function completeThrough(cursor: number, syncedAt: number, settleHours: number): string {
  const read = startOfDay(cursor) - DAY;
  const settled = startOfDay(syncedAt - settleHours * 3600) - DAY;
  return isoDate(Math.min(read, settled));
}

/** Where a provider's data is complete through, and what says so. */
export interface Coverage {
  provider: string;
  through: string;
  /** How `through` was found, for the page. */
  basis: string;
  /** False: no sync state for the provider, so its latest day with spend is taken as complete. */
  fromState: boolean;
}

/** Each provider's complete-through day from its connector's state (providers without a rule or a state are left out). */
async function stateCoverage(db: Warehouse, catalog: Catalog, mode: 'focus' | 'tables', rules: readonly SettleRule[]): Promise<Map<string, Coverage>> {
  const out = new Map<string, Coverage>();
  for (const rule of rules) {
    const streams = rule.streams.filter((s) => mode === 'focus' || s !== 'spend');
    for (const schema of [rule.connector, 'main']) {
      const cols = catalog.tables.get(`${schema}.${STATE_TABLE}`);
      if (!cols?.has('stream') || !cols.has('state') || !cols.has('updated_at')) continue;
      const mine = schema === 'main' && cols.has('source') ? ` AND "source" = ${quote(rule.name)}` : '';
      // One row per stream, or several when the state is kept per account: the provider is complete
      // through the earliest of them.
      const rows = await db.rows(
        `SELECT stream, TRY_CAST(json_extract_string(CAST(state AS VARCHAR), '$.cursor') AS BIGINT) AS cursor, CAST(floor(epoch(updated_at)) AS BIGINT) AS at
         FROM ${ident(schema)}.${ident(STATE_TABLE)} WHERE stream IN (${streams.map(quote).join(', ')})${mine}`,
      );
      const stream = streams.find((s) => rows.some((r) => str(r.stream) === s && r.cursor !== null && r.cursor !== undefined));
      if (!stream) continue;
      let best: { through: string; cursor: number; at: number } | null = null;
      for (const r of rows) {
        if (str(r.stream) !== stream || r.cursor === null || r.cursor === undefined) continue;
        const cursor = Number(r.cursor);
        const at = Number(r.at);
        const through = completeThrough(cursor, at, rule.settleHours);
        if (!best || through < best.through) best = { through, cursor, at };
      }
      if (!best) continue;
      const at = new Date(best.at * 1000).toISOString().slice(0, 16).replace('T', ' ');
      out.set(rule.provider, {
        provider: rule.provider,
        through: best.through,
        basis: `${schema}.${stream} read up to ${new Date(best.cursor * 1000).toISOString().slice(0, 10)} (exclusive), synced ${at} UTC; a day is final ${rule.settleHours} h after it ends (${rule.why})`,
        fromState: true,
      });
      break;
    }
  }
  return out;
}

/** The invoices a provider declares in its about.ts (found through the registry), for the report. */
interface InvoiceRule {
  /** The provider as the report names it (focus_spend.ServiceProviderName). */
  provider: string;
  /** Its connector's DuckDB schema, where its invoices table is. */
  connector: string;
  invoices: InvoiceTable;
}

/** The invoice declarations of the connectors (the registry by default) that have one, in their order. */
export async function invoiceRules(connectors: readonly Connector[] = CONNECTORS): Promise<InvoiceRule[]> {
  const out: InvoiceRule[] = [];
  for (const c of connectors) {
    const about = await c.about();
    if (about.invoices) out.push({ provider: about.displayName, connector: c.provider, invoices: about.invoices });
  }
  return out;
}

/**
 * Each declared provider's invoices against its daily spend, per billing month from the month of
 * `from` (the period's first day) to the month of `to` (its last): the months the period touches. A
 * provider whose invoices table (or one of its declared columns) is absent has no rows. A month is
 * compared only when each of its days is complete for the provider (its complete-through day is on or
 * after the month's last day) and its daily rows start on or before the month's first day: a month
 * partly synced is marked incomplete, never shown as a gap.
 */
async function invoiceMonths(
  db: Warehouse,
  catalog: Catalog,
  rules: readonly InvoiceRule[],
  union: string,
  coverage: readonly Coverage[],
  from: string,
  to: string,
): Promise<{ months: InvoiceMonth[]; gaps: Array<{ provider: string; gap: string }> }> {
  const months: InvoiceMonth[] = [];
  const gaps: Array<{ provider: string; gap: string }> = [];
  for (const rule of rules) {
    const d = rule.invoices;
    const t = resolveTable(catalog, d.table, rule.connector);
    if (!t || ![d.year, d.month, d.subtotalCents, d.status].every((c) => t.columns.has(c))) continue;
    // Whole numbers only: DuckDB's cast would round "12.5" cents to 13.
    const asInt = (c: string, type: string): string =>
      `CASE WHEN regexp_full_match(trim(CAST(i.${ident(c)} AS VARCHAR)), '-?[0-9]{1,30}') THEN TRY_CAST(trim(CAST(i.${ident(c)} AS VARCHAR)) AS ${type}) END`;
    const inv = await db.rows(`SELECT y, m, CAST(sum(cents) AS VARCHAR) AS cents, count(*) AS n, count(*) FILTER (WHERE cents IS NULL) AS bad,
        array_to_string(list_sort(list_distinct(list(coalesce(status, 'unknown')))), ', ') AS status
      FROM (SELECT ${asInt(d.year, 'INTEGER')} AS y, ${asInt(d.month, 'INTEGER')} AS m, ${asInt(d.subtotalCents, 'HUGEINT')} AS cents,
          CAST(i.${ident(d.status)} AS VARCHAR) AS status FROM ${t.sql} AS i)
      WHERE y IS NOT NULL AND m BETWEEN 1 AND 12 AND make_date(y, m, 1) BETWEEN DATE ${quote(`${from.slice(0, 7)}-01`)} AND DATE ${quote(to)}
      GROUP BY y, m ORDER BY y, m`);
    if (inv.length === 0) continue;
    const P = quote(rule.provider);
    const currency = d.currency.toUpperCase();
    const daily = new Map(
      (
        await db.rows(`WITH spend AS (${union})
          SELECT strftime(day, '%Y-%m') AS ym, CAST(sum(amount) AS VARCHAR) AS s FROM spend WHERE provider = ${P} AND currency = ${quote(currency)} GROUP BY 1`)
      ).map((r) => [str(r.ym), str(r.s)]),
    );
    const first = str((await db.rows(`WITH spend AS (${union}) SELECT CAST(min(day) AS VARCHAR) AS f FROM spend WHERE provider = ${P}`))[0]?.f);
    const cov = coverage.find((c) => c.provider === rule.provider);
    gaps.push({ provider: rule.provider, gap: d.gap });
    for (const r of inv) {
      const y = Number(r.y);
      const m = Number(r.m);
      const month = `${y}-${String(m).padStart(2, '0')}`;
      const start = `${month}-01`;
      const end = isoDate(Date.UTC(y, m, 0) / 1000);
      const bad = Number(r.bad ?? 0);
      const invoicedUsd = trimDecimal(fromScaled(BigInt(str(r.cents) || '0'), 2));
      const sum = trimDecimal(daily.get(month) ?? '0');
      const incomplete =
        bad > 0
          ? `${bad} invoice${bad > 1 ? 's' : ''} of ${month} without a whole number of cents in ${t.name}.${d.subtotalCents}`
          : !cov || first === ''
            ? `no daily spend of ${rule.provider} in this file`
            : first > start
              ? `days before ${first} not synced (the first daily row of ${rule.provider})`
              : cov.through < end
                ? `${rule.provider} is complete through ${cov.through}: the days after it are not synced or not final yet`
                : null;
      months.push({
        provider: rule.provider,
        month,
        label: `${MONTHS[m - 1]} ${y}`,
        currency,
        status: str(r.status),
        invoices: Number(r.n),
        invoiced: invoicedUsd,
        daily: sum,
        difference: incomplete ? null : trimDecimal(fromScaled(toScaled(invoicedUsd, 24) - toScaled(sum, 24), 24)),
        incomplete,
      });
    }
  }
  return { months, gaps };
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
/** "2026-12-04" -> "Dec 4". */
const shortDay = (d: string): string => `${MONTHS[Number(d.slice(5, 7)) - 1]} ${Number(d.slice(8, 10))}`;
/** Days as ranges: ["2025-12-01", "2025-12-02", "2025-12-05"] -> "2025-12-01 to 2025-12-02, 2025-12-05"; more than 3 ranges: "40 days from 2025-10-01 to 2025-12-05". */
export function dayRanges(days: readonly string[]): string {
  const sorted = [...new Set(days)].sort();
  const out: string[] = [];
  let start: string | null = null;
  let prev: string | null = null;
  const close = (): void => {
    if (start !== null && prev !== null) out.push(start === prev ? start : `${start} to ${prev}`);
  };
  for (const d of sorted) {
    if (prev !== null && Date.parse(`${d}T00:00:00Z`) - Date.parse(`${prev}T00:00:00Z`) === 86_400_000) {
      prev = d;
      continue;
    }
    close();
    start = d;
    prev = d;
  }
  close();
  // Many gaps (days without rows): the count and the bounds say more than a long list.
  return out.length <= 3 ? out.join(', ') : `${sorted.length} days from ${sorted[0]} to ${sorted.at(-1)}`;
}

export async function buildReport(db: Warehouse, o: ReportOptions): Promise<ReportData> {
  const rules = await settleRules(o.connectors);
  const catalog = await readCatalog(db);
  const analytics = await analyticsCost(db, catalog);
  const notes = analytics.why ? [analytics.why] : [];
  // focus_spend gives the money when it has rows; the provider tables only for a database synced
  // before the spend stream existed (the page says so). Never both: the same money would count twice.
  const focusTable = resolveTable(catalog, 'focus_spend');
  const focus = focusTable ? focusSource(focusTable, catalog) : null;
  if (focusTable && !focus) notes.push(`${focusTable.name} is left out: it has no ${FOCUS_REQUIRED.join(' or ')} column.`);
  const focusRows = focus ? Number((await db.rows(`SELECT count(*) AS n FROM (${focus.select})`))[0]?.n ?? 0) : 0;
  const mode: ReportData['mode'] = focus && focusRows > 0 ? 'focus' : 'tables';
  const sources = focus && mode === 'focus' ? [focus] : providerSources(catalog, analytics);
  if (focus && mode === 'focus') {
    // A provider whose own tables have spend but focus_spend has none was synced without the spend
    // stream: its money is not in this report, and the page says so rather than show a smaller total.
    const inFocus = (await db.rows(`SELECT DISTINCT lower(provider) AS p FROM (${focus.select})`)).map((r) => str(r.p));
    const missing = new Map<string, string[]>();
    for (const s of providerSources(catalog, analytics)) {
      if (inFocus.some((p) => p.startsWith(s.provider.toLowerCase()))) continue;
      const n = Number((await db.rows(`SELECT count(*) AS n FROM (${s.select})`))[0]?.n ?? 0);
      if (n > 0) missing.set(s.provider, [...(missing.get(s.provider) ?? []), s.table]);
    }
    for (const [provider, names] of missing) {
      const connector = rules.find((r) => r.provider === provider)?.name ?? `the ${provider} connector`;
      notes.push(
        `${names.join(' and ')} ${names.length > 1 ? 'have' : 'has'} ${provider} spend but ${focus.table} has no ${provider} rows: those amounts are not in this report. Re-sync ${connector} with the spend stream.`,
      );
    }
  }
  let lastSync: string | null = null;
  // Every connector keeps its state in its own schema (openai._connector_state); earlier versions in main.
  const states = [...catalog.tables]
    .filter(([key, columns]) => key.endsWith(`.${STATE_TABLE}`) && columns.has('updated_at'))
    .map(([key]) => `${ident(key.slice(0, key.indexOf('.')))}.${ident(STATE_TABLE)}`);
  if (states.length > 0) {
    const r = await db.rows(
      `SELECT strftime(max(updated_at), '%Y-%m-%d %H:%M UTC') AS t FROM (${states.map((t) => `SELECT updated_at FROM ${t}`).join(' UNION ALL ')})`,
    );
    lastSync = r[0]?.t ? str(r[0].t) : null;
  }
  const noStack: Stack = { series: [], otherItems: 0, otherNote: null };
  const empty: ReportData = {
    mode,
    sources,
    currency: 'USD',
    otherCurrencies: [],
    first: null,
    last: null,
    periodStart: null,
    days: [],
    periodTotal: '0',
    providers: [],
    byProvider: noStack,
    byProject: noStack,
    byLineItem: noStack,
    month: {
      label: '',
      start: '',
      mtd: '0',
      prevLabel: '',
      prevSame: '0',
      prevFull: '0',
      changePct: null,
      dayOfMonth: 0,
      daysInMonth: 0,
      forecast: '0',
      incomplete: [],
      forecastIncomplete: [],
      elapsed: null,
      compared: '',
      how: '',
    },
    cumulative: { current: [], previous: [], forecast: [] },
    topProjects: [],
    topModels: [],
    daily: [],
    mtdDetail: [],
    pending: new Map(),
    coverage: [],
    accounts: [],
    invoices: [],
    invoiceGaps: [],
    byApiKey: null,
    byActor: null,
    breakdownNote: null,
    notes,
    lastSync,
    rows: 0,
  };
  if (sources.length === 0) return empty;
  const union = sources.map((s) => s.select).join('\nUNION ALL\n');
  const q0 = (sql: string): Promise<Array<Record<string, unknown>>> => db.rows(`WITH spend AS (${union})\n${sql}`);

  const cur = await q0(`SELECT currency, count(*) AS n, CAST(sum(amount) AS VARCHAR) AS total FROM spend GROUP BY currency ORDER BY n DESC, currency`);
  if (cur.length === 0) return empty;
  const currency = str(cur[0]?.currency);
  const C = quote(currency);
  const span = await q0(`SELECT CAST(min(day) AS VARCHAR) AS first, CAST(max(day) AS VARCHAR) AS last, count(*) AS n FROM spend WHERE currency = ${C}`);
  const first = str(span[0]?.first);
  const lastWithSpend = str(span[0]?.last);

  // Each provider's complete-through day (the settle rule over its sync state); without a state, the
  // latest day with spend of any provider (what an older database can tell).
  const fromState = await stateCoverage(db, catalog, mode, rules);
  const names = (await q0(`SELECT DISTINCT provider FROM spend WHERE currency = ${C} ORDER BY provider`)).map((r) => str(r.provider));
  const coverage: Coverage[] = names.map(
    (p) =>
      fromState.get(p) ?? {
        provider: p,
        through: lastWithSpend,
        basis: 'no sync state for it in this file: taken as complete through the latest day with spend',
        fromState: false,
      },
  );
  // The month shown is the one of the latest complete day; the period runs to the latest day with spend (or complete, if later).
  // (ISO days compare as text.)
  const anchor =
    coverage
      .map((c) => c.through)
      .sort()
      .at(-1) ?? lastWithSpend;
  const last = [anchor, lastWithSpend].sort().at(-1) as string;
  const L = `DATE ${quote(last)}`;
  const A = `DATE ${quote(anchor)}`;
  const ct = coverage.map((c) => `SELECT ${quote(c.provider)} AS provider, DATE ${quote(c.through)} AS through`).join(' UNION ALL ');
  // A project (workspace) name that two ids share is shown with its id, so the two stay apart.
  const spend = `WITH spend0 AS (${union}), ct AS (${ct}),
    twins AS (SELECT provider, project FROM spend0 WHERE project_key <> '' GROUP BY provider, project HAVING count(DISTINCT project_key) > 1),
    spend AS (SELECT s.* REPLACE (CASE WHEN tw.project IS NOT NULL AND s.project_key <> '' THEN s.project || ' (' || s.project_key || ')' ELSE s.project END AS project), ct.through
      FROM spend0 AS s LEFT JOIN ct USING (provider) LEFT JOIN twins AS tw ON tw.provider = s.provider AND tw.project = s.project)`;
  const q = (sql: string): Promise<Array<Record<string, unknown>>> => db.rows(`${spend}\n${sql}`);

  const periodStartRow = await q(`SELECT CAST(greatest(DATE ${quote(first)}, ${L} - ${Math.max(1, o.days) - 1}) AS VARCHAR) AS s`);
  const periodStart = str(periodStartRow[0]?.s);
  const inPeriod = `currency = ${C} AND day BETWEEN DATE ${quote(periodStart)} AND ${L}`;
  const days: string[] = [];
  for (let t = Date.parse(`${periodStart}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));
  // Days not complete yet, for the daily table and the charts: day -> the providers it is not complete for.
  const pending = new Map<string, string[]>();
  for (const d of days) {
    const not = coverage.filter((c) => c.through < d).map((c) => c.provider);
    if (not.length > 0) pending.set(d, not);
  }

  const total = await q(`SELECT CAST(coalesce(sum(amount), 0) AS VARCHAR) AS t FROM spend WHERE ${inPeriod}`);
  const periodTotal = str(total[0]?.t);

  // The month of the latest complete day: its dates, and the previous month's.
  const m = await q(`, b AS (SELECT date_trunc('month', ${A}) AS cs, date_trunc('month', ${A}) - INTERVAL 1 MONTH AS ps)
    SELECT strftime(b.cs, '%B %Y') AS label, strftime(b.ps, '%B %Y') AS prev_label, CAST(CAST(b.cs AS DATE) AS VARCHAR) AS start,
      CAST(CAST(b.ps AS DATE) AS VARCHAR) AS prev_start, dayofmonth(${A}) AS dom, dayofmonth(last_day(${A})) AS dim,
      dayofmonth(CAST(b.cs AS DATE) - 1) AS prev_dim,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day >= CAST(b.ps AS DATE) AND day < CAST(b.cs AS DATE)), 0) AS VARCHAR) AS prev_full
    FROM b`);
  const mr = m[0] ?? {};
  const monthStart = str(mr.start);
  const prevStart = str(mr.prev_start);
  const monthLabel = str(mr.label);
  const prevLabel = str(mr.prev_label);
  const dom = Number(mr.dom ?? 0);
  const dim = Number(mr.dim ?? 0);
  const prevDim = Number(mr.prev_dim ?? 31);
  const ms = `DATE ${quote(monthStart)}`;
  const ps = `DATE ${quote(prevStart)}`;
  // Month to date and the same days of the previous month, per provider: only its complete days.
  const inMtd = `day BETWEEN ${ms} AND through`;
  const inPrevSame = `day >= ${ps} AND day < ${ms} AND through >= ${ms} AND dayofmonth(day) <= dayofmonth(through)`;
  const elapsedOf = (through: string): number => (through >= monthStart ? Number(through.slice(8, 10)) : 0);
  const monthShort = MONTHS[Number(monthStart.slice(5, 7)) - 1] as string;
  const prevShort = MONTHS[Number(prevStart.slice(5, 7)) - 1] as string;
  const comparedText = (e: number): string =>
    e === 0 ? `no complete day of ${monthLabel} yet` : `${monthShort} 1–${e} vs ${prevShort} 1–${Math.min(e, prevDim)}`;

  // Per provider. A provider whose first row is after the previous month's first day cannot be
  // compared with that month (its absence is missing data, not zero spend): marked, never a +N%.
  const providers: ProviderRow[] = (
    await q(`, t AS (SELECT sum(amount) AS all_total FROM spend WHERE ${inPeriod})
      SELECT provider, CAST(min(day) AS VARCHAR) AS first, CAST(max(day) AS VARCHAR) AS last, CAST(any_value(through) AS VARCHAR) AS through,
        CAST(coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) AS VARCHAR) AS period,
        CAST(round(coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inMtd}), 0) AS VARCHAR) AS mtd,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inPrevSame}), 0) AS VARCHAR) AS prev_same,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= ${ps} AND day < ${ms}), 0) AS VARCHAR) AS prev_full
      FROM spend, t WHERE currency = ${C} GROUP BY provider
      ORDER BY coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) DESC, provider`)
  ).map((r) => {
    const provider = str(r.provider);
    const pFirst = str(r.first);
    const through = str(r.through);
    const elapsed = elapsedOf(through);
    const incomplete =
      pFirst <= prevStart ? null : pFirst >= monthStart ? `no data for ${provider} in ${prevLabel}` : `no data for ${provider} before ${pFirst}`;
    const pm = str(r.mtd);
    return {
      provider,
      first: pFirst,
      last: str(r.last),
      period: str(r.period),
      share: str(r.share),
      mtd: pm,
      prevSame: str(r.prev_same),
      prevFull: str(r.prev_full),
      change: incomplete || elapsed === 0 ? null : percentChange(pm, str(r.prev_same)),
      incomplete,
      forecast: elapsed === 0 ? '0' : runRateForecast(pm, elapsed, dim),
      forecastIncomplete: pFirst > monthStart ? `no data for ${provider} before ${pFirst}` : null,
      through,
      basis: coverage.find((c) => c.provider === provider)?.basis ?? '',
      elapsed,
      compared: comparedText(elapsed),
      behind: through < anchor ? `latest day missing: ${provider} is complete through ${through} (${shortDay(through)})` : null,
    };
  });
  const multi = providers.length > 1;
  // For the all-provider figures, one clause: "no data for Anthropic and Aurous in October 2026".
  const list = (xs: string[]): string => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  const absent = providers.filter((p) => p.incomplete && p.first >= monthStart).map((p) => p.provider);
  const incomplete = [
    ...(absent.length > 0 ? [`no data for ${list(absent)} in ${prevLabel}`] : []),
    ...providers.flatMap((p) => (p.incomplete && p.first < monthStart ? [p.incomplete] : [])),
  ];
  const mtd = add(providers.map((p) => p.mtd));
  const prevSame = add(providers.map((p) => p.prevSame));
  const elapsedAll = new Set(providers.map((p) => p.elapsed));
  const uniform = elapsedAll.size === 1 ? (providers[0]?.elapsed ?? 0) : null;
  // One rounding when every provider covers the same days; else each provider's forecast, added.
  const forecast = uniform !== null ? (uniform === 0 ? '0' : runRateForecast(mtd, uniform, dim)) : add(providers.map((p) => p.forecast));
  const compared = uniform !== null ? comparedText(uniform) : providers.map((p) => `${p.provider} ${p.compared}`).join('; ');
  const how =
    uniform !== null
      ? `${monthLabel} to date ÷ ${uniform} elapsed days × ${dim} days`
      : `each provider's ${monthLabel} to date ÷ its complete days (${providers.map((p) => `${p.provider} ${p.elapsed}`).join(', ')}) × ${dim} days, added`;

  const stacked = async (key: string, label: string, top: number, noun: string): Promise<Stack> => {
    const rows = await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}),
      totals AS (SELECT provider, ${key} AS k, any_value(${label}) AS label, sum(amount) AS total FROM p GROUP BY provider, ${key}),
      ranked AS (SELECT *, row_number() OVER (ORDER BY total DESC, provider, k) AS rank FROM totals QUALIFY rank <= ${top}),
      keyed AS (SELECT p.day, p.amount, r.provider, r.k, r.label, r.rank FROM p LEFT JOIN ranked AS r ON r.provider = p.provider AND r.k = p.${key})
      SELECT CAST(day AS VARCHAR) AS day, rank IS NULL AS other, coalesce(provider, '') AS provider, coalesce(k, '') AS k,
             coalesce(label, 'Other') AS label, coalesce(rank, ${top + 1}) AS rank, CAST(sum(amount) AS VARCHAR) AS amount,
             (SELECT count(*) FROM totals) AS items
      FROM keyed GROUP BY ALL ORDER BY rank, day`);
    const items = Number(rows[0]?.items ?? 0);
    const otherItems = Math.max(0, items - top);
    const series = new Map<string, Series>();
    for (const r of rows) {
      const id = r.other ? '\u0000other' : `${str(r.provider)}\u0000${str(r.k)}`;
      let s = series.get(id);
      if (!s) {
        const color = r.other ? OTHER_COLOR : (PALETTE[series.size % PALETTE.length] as string);
        const name = r.other ? `Other (${otherItems} more ${noun})` : multi && key !== 'provider' ? `${str(r.provider)} · ${str(r.label)}` : str(r.label);
        s = { key: id, label: name, color, values: new Map() };
        series.set(id, s);
      }
      s.values.set(str(r.day), str(r.amount));
    }
    // "Other" last (top of the stack).
    const ordered = [...series.values()].sort((a, b) => Number(a.key === '\u0000other') - Number(b.key === '\u0000other'));
    const sum = (s: Series): bigint => [...s.values.values()].reduce((acc, v) => acc + toScaled(v, 24), 0n);
    const other = ordered.find((s) => s.key === '\u0000other');
    let largest = 0n;
    for (const s of ordered) {
      const v = s === other ? 0n : sum(s);
      if (v > largest) largest = v;
    }
    const otherNote =
      other && sum(other) > largest
        ? `"Other" (grey, on top) is ${otherItems} ${noun} added together: more than any one shown, though each alone is smaller.`
        : null;
    return { series: ordered, otherItems, otherNote };
  };
  const byProvider = await stacked('provider', 'provider', TOP_N, 'providers');
  const byProject = await stacked('project_key', 'project', TOP_N, mode === 'focus' ? 'sub-accounts' : 'projects');
  const byLineItem = await stacked('line_item', 'line_item', TOP_N, mode === 'focus' ? 'charges' : 'line items');

  // This month's cumulative line: at day d, every provider's complete days up to d (what MTD sums at the anchor day).
  const currentRows = await q(`, r AS (SELECT range AS d FROM range(1, ${dom + 1})),
      s AS (SELECT day, amount FROM spend WHERE currency = ${C} AND ${inMtd})
    SELECT r.d, CAST(coalesce(sum(s.amount), 0) AS VARCHAR) AS c FROM r LEFT JOIN s ON dayofmonth(s.day) <= r.d GROUP BY r.d ORDER BY r.d`);
  const current = currentRows.map((r) => str(r.c));
  const previousRows =
    await q(`, d AS (SELECT dayofmonth(day) AS dom, sum(amount) AS a FROM spend WHERE currency = ${C} AND day >= ${ps} AND day < ${ms} GROUP BY 1),
      r AS (SELECT range AS dom FROM range(1, 32))
    SELECT r.dom, CAST(sum(coalesce(d.a, 0)) OVER (ORDER BY r.dom) AS VARCHAR) AS c FROM r LEFT JOIN d USING (dom) ORDER BY r.dom`);
  const previous = previousRows.map((r) => str(r.c)).slice(0, prevDim);
  // The run rate carried to the month's end: day d of the month at MTD × d ÷ elapsed days (each provider's own, added).
  const forecastLine: string[] = [];
  for (let dd = dom; dd <= dim; dd++)
    forecastLine.push(
      uniform !== null ? (uniform === 0 ? '0' : mulDiv(mtd, dd, uniform)) : add(providers.map((p) => (p.elapsed === 0 ? '0' : mulDiv(p.mtd, dd, p.elapsed)))),
    );

  const topProjects = (
    await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}), t AS (SELECT sum(amount) AS all_total FROM p)
      SELECT provider, any_value(project) AS label, CAST(sum(amount) AS VARCHAR) AS period,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inMtd}), 0) AS VARCHAR) AS mtd,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inPrevSame}), 0) AS VARCHAR) AS prev_same,
        CAST(round(sum(amount) * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share
      FROM p, t GROUP BY provider, project_key ORDER BY sum(amount) DESC, provider, project_key LIMIT 10`)
  ).map((r) => ({ provider: str(r.provider), label: str(r.label), period: str(r.period), mtd: str(r.mtd), prevSame: str(r.prev_same), share: str(r.share) }));
  const topModels = (
    await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}), t AS (SELECT sum(amount) AS all_total FROM p)
      SELECT provider, model AS label, CAST(sum(amount) AS VARCHAR) AS period,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inMtd}), 0) AS VARCHAR) AS mtd,
        CAST(round(sum(amount) * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share
      FROM p, t GROUP BY provider, model ORDER BY sum(amount) DESC, provider, model LIMIT 10`)
  ).map((r) => ({ provider: str(r.provider), label: str(r.label), period: str(r.period), mtd: str(r.mtd), share: str(r.share) }));
  const spent = new Map(
    (
      await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}),
      d AS (SELECT day, sum(amount) AS total FROM p GROUP BY day),
      top AS (SELECT day, arg_max(project, a) AS project FROM (SELECT day, project_key, any_value(project) AS project, sum(amount) AS a FROM p GROUP BY day, project_key) GROUP BY day)
      SELECT CAST(d.day AS VARCHAR) AS day, CAST(d.total AS VARCHAR) AS total, top.project AS top FROM d JOIN top USING (day)`)
    ).map((r) => [str(r.day), { total: str(r.total), top: str(r.top) }]),
  );
  // Every day of the period, spend or not: a day without rows is $0.00, not a missing line.
  const daily = [...days]
    .reverse()
    .map((dd) => ({ day: dd, total: spent.get(dd)?.total ?? '0', top: spent.get(dd)?.top ?? '—', pending: pending.get(dd) ?? [] }));
  const mtdDetail = (
    await q(`SELECT provider, any_value(project) AS project, line_item, CAST(sum(amount) AS VARCHAR) AS amount
      FROM spend WHERE currency = ${C} AND ${inMtd}
      GROUP BY provider, project_key, line_item ORDER BY sum(amount) DESC, provider, project_key, line_item LIMIT 50`)
  ).map((r) => ({ provider: str(r.provider), project: str(r.project), lineItem: str(r.line_item), amount: str(r.amount) }));

  // Spend per billing account, when a provider has more than one (several organizations in one file).
  const accountRows = await q(`, p AS (SELECT * FROM spend WHERE currency = ${C}), t AS (SELECT sum(amount) AS all_total FROM p WHERE ${inPeriod})
      SELECT provider, account_key, any_value(account) AS account,
        CAST(coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) AS VARCHAR) AS period,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inMtd}), 0) AS VARCHAR) AS mtd,
        CAST(coalesce(sum(amount) FILTER (WHERE ${inPrevSame}), 0) AS VARCHAR) AS prev_same,
        CAST(any_value(t.all_total) AS VARCHAR) AS all_total,
        count(*) OVER (PARTITION BY provider) AS n
      FROM p, t GROUP BY provider, account_key
      ORDER BY coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) DESC, provider, account_key`);
  const accounts: AccountRow[] = accountRows.some((r) => Number(r.n) > 1)
    ? accountRows.map((r) => ({
        provider: str(r.provider),
        accountId: str(r.account_key),
        account: str(r.account),
        period: str(r.period),
        share: percentShare(str(r.period), str(r.all_total) || '0'),
        mtd: str(r.mtd),
        prevSame: str(r.prev_same),
      }))
    : [];

  const invoiced = await invoiceMonths(db, catalog, await invoiceRules(o.connectors), union, coverage, periodStart, last);

  // Cost by API key and by actor, from the same rows and days as Anthropic's headline ("Last N days"):
  // focus_spend's analytics-sourced rows (x_Source, x_ApiKeyId, x_ActorType, x_ActorId) or the provider
  // tables the headline sums; the headline's days without a per-key breakdown (cost_report) are one row.
  const anthropic = providers.find((p) => p.provider === 'Anthropic');
  let byApiKey: BreakdownTable | null = null;
  let byActor: BreakdownTable | null = null;
  let breakdownNote: string | null = null;
  const hasSource = mode === 'tables' || focusTable?.columns.has('x_Source') === true;
  const inAnthropic = `provider = 'Anthropic' AND ${inPeriod}`;
  if (anthropic && hasSource) {
    const rest = (
      await q(`SELECT CAST(sum(amount) AS VARCHAR) AS a, string_agg(DISTINCT CAST(day AS VARCHAR), ',') AS days, count(*) AS n
        FROM spend WHERE ${inAnthropic} AND source IS DISTINCT FROM 'analytics_cost'`)
    )[0];
    const uncovered = Number(rest?.n ?? 0) > 0 ? { amount: trimDecimal(str(rest?.a)), days: dayRanges(str(rest?.days).split(',')) } : null;
    const rowsSql = `SELECT * FROM spend WHERE ${inAnthropic} AND source = 'analytics_cost'`;
    const keyRows = await q(breakdownSql(catalog, 'api_key', rowsSql));
    const actorRows = await q(breakdownSql(catalog, 'actor', rowsSql));
    if (keyRows.length > 0) byApiKey = foldBreakdown(keyRows, 'api_key', anthropic.period, uncovered, true);
    if (actorRows.length > 0) byActor = foldBreakdown(actorRows, 'actor', anthropic.period, uncovered, true);
    if (byApiKey || byActor)
      breakdownNote = `From the rows of Anthropic's headline over the same days (${periodStart} to ${last}), so they add up to it exactly${uncovered ? `; the days read from cost_report (${uncovered.days}) have no per-key or per-person breakdown and are one row` : ''}.`;
  } else if (anthropic && analytics.use && analytics.table) {
    // focus_spend without x_Source: its Anthropic rows came from cost_report, which has no API key or
    // actor. analytics_cost gives the breakdown, over the headline's days only, and the page says they
    // are another API's figures.
    const anthropicDays = (await q(`SELECT DISTINCT CAST(day AS VARCHAR) AS d FROM spend WHERE ${inAnthropic} ORDER BY d`)).map((r) => str(r.d));
    const rowsSql = analyticsRows(analytics.table, currency, anthropicDays);
    const aTotal = str((await db.rows(`SELECT CAST(coalesce(sum(amount), 0) AS VARCHAR) AS t FROM (${rowsSql})`))[0]?.t) || '0';
    const keyRows = await q(breakdownSql(catalog, 'api_key', rowsSql));
    const actorRows = await q(breakdownSql(catalog, 'actor', rowsSql));
    if (keyRows.length > 0) byApiKey = foldBreakdown(keyRows, 'api_key', aTotal, null, false);
    if (actorRows.length > 0) byActor = foldBreakdown(actorRows, 'actor', aTotal, null, false);
    if (byApiKey || byActor)
      breakdownNote = `From ${analytics.table.name} over the days of Anthropic's headline only (${dayRanges(anthropicDays)}): ${formatMoney(aTotal, currency)} there against ${formatMoney(anthropic.period, currency)} in ${focusTable?.name ?? 'focus_spend'}, whose Anthropic rows have no x_Source column (an older spend stream that read cost_report), so the two need not agree. Re-sync the spend stream for a breakdown of the headline's own rows.`;
  }

  return {
    mode,
    sources,
    currency,
    otherCurrencies: cur.slice(1).map((r) => ({ currency: str(r.currency), total: str(r.total) })),
    first,
    last,
    periodStart,
    days,
    periodTotal,
    providers,
    byProvider,
    byProject,
    byLineItem,
    month: {
      label: monthLabel,
      start: monthStart,
      mtd,
      prevLabel,
      prevSame,
      prevFull: str(mr.prev_full),
      changePct: incomplete.length > 0 || uniform === 0 ? null : percentChange(mtd, prevSame),
      dayOfMonth: dom,
      daysInMonth: dim,
      forecast,
      incomplete,
      forecastIncomplete: providers.flatMap((p) => (p.forecastIncomplete ? [p.forecastIncomplete] : [])),
      elapsed: uniform,
      compared,
      how,
    },
    cumulative: { current, previous, forecast: forecastLine },
    topProjects,
    topModels,
    daily,
    pending,
    coverage,
    accounts,
    invoices: invoiced.months,
    invoiceGaps: invoiced.gaps,
    mtdDetail,
    byApiKey,
    byActor,
    breakdownNote,
    notes,
    lastSync,
    rows: Number(span[0]?.n ?? 0),
  };
}

const money = (exact: string, currency: string, id?: string): string =>
  `<span class="money"${id ? ` id="${id}"` : ''} data-exact="${esc(trimDecimal(exact))}" title="${esc(`${trimDecimal(exact)} ${currency}`)}">${esc(formatMoney(exact, currency))}</span>`;

function bar(share: string): string {
  const pct = Math.max(0, Math.min(100, Number(share) || 0));
  return `<span class="bar"><span style="width:${pct.toFixed(1)}%"></span></span> ${esc(share)}%`;
}

export function renderHtml(d: ReportData, o: ReportOptions, dbName: string): string {
  const cur = d.currency;
  const generated = `${o.now.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
  const sourcesText =
    d.mode === 'focus'
      ? d.sources.map((s) => `FOCUS 1.3 (table <code>${esc(s.table)}</code>: ${esc(d.providers.map((p) => p.provider).join(', ') || 'no rows')})`).join(', ')
      : d.sources.length > 0
        ? d.sources.map((s) => `${s.provider} (table <code>${esc(s.table)}</code>${s.note ? `, ${esc(s.note)}` : ''})`).join(', ')
        : 'none';
  const legacy =
    d.mode === 'tables' && d.sources.length > 0
      ? `<p class="note" id="legacy">No <code>focus_spend</code> table with rows: amounts come from the provider tables of an older sync. Re-sync with the <code>spend</code> stream for the FOCUS table.</p>`
      : '';
  const notes = d.notes.map((n) => `<p class="note" data-note>${esc(n)}</p>`).join('') + legacy;
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI spend report</title>
<style>
:root{color-scheme:light;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--card:#f9fafb;--accent:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px 20px 48px}h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px}
.sub{color:var(--muted);margin:0}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(180px,1fr));gap:12px;margin-top:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:24px;font-weight:650;margin-top:4px;font-variant-numeric:tabular-nums}.card .n{color:var(--muted);font-size:12px;margin-top:2px}
.up{color:#b91c1c}.down{color:#15803d}svg.chart{width:100%;height:auto;display:block}svg .tick{font-size:11px;fill:#6b7280;text-anchor:middle}svg text.tick[text-anchor="end"]{text-anchor:end}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:6px 0 0;font-size:12px;color:#374151}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}.bar{display:inline-block;width:80px;height:8px;background:#eef2ff;border-radius:4px;vertical-align:middle;overflow:hidden}.bar span{display:block;height:100%;background:var(--accent)}
.note{color:var(--muted);font-size:12px}.incomplete{color:#92400e;background:#fef3c7;border-radius:4px;padding:0 4px;white-space:normal}td.change,td.forecast{white-space:normal;max-width:220px}.forecast{font-style:italic}
.csv{font-size:12px;margin:4px 0 0}summary{font-size:12px;color:var(--muted);cursor:pointer}
.empty{padding:32px;border:1px dashed var(--line);border-radius:10px;color:var(--muted);margin-top:24px}code{font-size:12px}details{margin-top:8px}
.scroll{overflow-x:auto;max-width:100%}
@media (max-width:${PHONE_WIDTH}px){main{padding:16px 12px 40px}.sub,td,th{overflow-wrap:anywhere}}
</style></head><body><main>
<h1>AI spend report</h1>
<p class="sub">${esc(dbName)} · sources: ${sourcesText} · all dates UTC · generated ${esc(generated)}${d.lastSync ? ` · last sync ${esc(d.lastSync)}` : ''}</p>${notes}`;
  const foot = `<p class="note" style="margin-top:32px">Amounts are summed exactly as decimals in DuckDB; hover an amount for its exact value. Made by <code>report</code> from the tables written by <code>sync</code>.</p></main></body></html>\n`;
  if (d.sources.length === 0 || d.last === null) {
    return `${head}<div class="empty" id="empty">No spend yet: the database has no <code>focus_spend</code> table (the <code>spend</code> stream of every connector) with rows, nor an older sync's <code>costs</code> (OpenAI), <code>analytics_cost</code> or <code>cost_report</code> (Anthropic) table. Run <code>sync</code> first.</div>${foot}`;
  }
  const pct = d.month.changePct;
  const mark = (text: string): string => `<span class="incomplete" data-incomplete>incomplete: ${esc(text)}</span>`;
  const changeText = (p: string | null, incompleteWhy: string | null, what: string): string =>
    incompleteWhy
      ? mark(incompleteWhy)
      : p === null
        ? `no spend in ${what}`
        : `<span class="${p.startsWith('-') ? 'down' : 'up'}">${p.startsWith('-') || p === '0.0' ? '' : '+'}${esc(p)}%</span>`;
  const changeHtml =
    d.month.incomplete.length > 0
      ? mark(d.month.incomplete.join('; '))
      : d.month.elapsed === 0
        ? esc(d.month.compared)
        : pct === null
          ? 'no spend in the same days of the previous month'
          : `${changeText(pct, null, '')} vs the same days of ${esc(d.month.prevLabel)}`;
  // The days month to date and its comparison cover (each provider's complete days), and what each provider is complete through.
  const comparedHtml = `<div class="n" id="compared" data-compared="${esc(d.month.compared)}">${esc(d.month.compared)}</div>`;
  const prevSameLabel =
    d.month.elapsed === null ? `${d.month.prevLabel}, same days` : `${d.month.prevLabel} 1–${Math.min(d.month.elapsed, d.cumulative.previous.length || 31)}`;
  const coverageHtml =
    d.coverage.length === 0
      ? ''
      : `<p class="note" id="coverage">Complete through (the last day whose data is final; month to date, the comparison and the forecast use only complete days): ${d.coverage
          .map(
            (c) =>
              `<span data-provider="${esc(c.provider)}" data-through="${esc(c.through)}" title="${esc(c.basis)}">${esc(c.provider)} ${esc(c.through)}${c.fromState ? '' : ' (no sync state)'}</span>`,
          )
          .join(' · ')}.${d.pending.size > 0 ? ' Days not complete yet are shaded on the charts and marked in the tables.' : ''}</p>`;
  const others =
    d.otherCurrencies.length > 0
      ? `<p class="note">Charts and totals are in ${esc(cur)}; also present: ${d.otherCurrencies.map((o2) => money(o2.total, o2.currency)).join(', ')}.</p>`
      : '';
  const how = esc(d.month.how);
  const cards = `<section class="cards">
<div class="card"><div class="k">Last ${d.days.length} days</div><div class="v">${money(d.periodTotal, cur, 'total-period')}</div><div class="n">${esc(d.periodStart ?? '')} to ${esc(d.last)}</div></div>
<div class="card"><div class="k">${esc(d.month.label)} to date</div><div class="v">${money(d.month.mtd, cur, 'total-mtd')}</div><div class="n" id="change-mtd">${changeHtml}</div>${comparedHtml}</div>
<div class="card" id="forecast-card"><div class="k">${esc(d.month.label)} forecast</div><div class="v forecast">${money(d.month.forecast, cur, 'forecast-total')}</div><div class="n">forecast at the daily run rate: ${how}${d.month.forecastIncomplete.length > 0 ? ` · ${mark(d.month.forecastIncomplete.join('; '))}` : ''}</div></div>
<div class="card"><div class="k">${esc(prevSameLabel)}</div><div class="v">${money(d.month.prevSame, cur, 'total-prev-same')}</div><div class="n">same days of the previous month</div></div>
<div class="card"><div class="k">${esc(d.month.prevLabel)} total</div><div class="v">${money(d.month.prevFull, cur, 'total-prev-month')}</div><div class="n">whole previous month${d.month.incomplete.length > 0 ? ` · ${mark(d.month.incomplete.join('; '))}` : ''}</div></div>
</section>${others}${coverageHtml}`;
  const amountCell = (v: string): string => formatMoney(v, cur);
  const completeCell = (day: string): string => {
    const not = d.pending.get(day);
    return not ? `no: ${not.join(', ')}` : 'yes';
  };
  const stackTable = (id: string, s: Stack): ChartTable => ({
    id,
    header: ['Date', ...s.series.map((x) => x.label), 'Total', 'Complete'],
    rows: d.days.map((day) => {
      const vs = s.series.map((x) => trimDecimal(x.values.get(day) ?? '0'));
      return [day, ...vs, add(vs), completeCell(day)];
    }),
    textColumns: [s.series.length + 2],
  });
  const stackChart = (id: string, title: string, s: Stack, file: string): string =>
    `${stackedBars(id, title, d.days, s.series, cur, d.pending)}${s.otherNote ? `<p class="note" id="${id}-other-note">${esc(s.otherNote)}</p>` : ''}${chartData(stackTable(id, s), file, amountCell)}`;
  const monthDays = Math.max(d.cumulative.previous.length, d.month.daysInMonth);
  const monthTable: ChartTable = {
    id: 'chart-month',
    header: [
      'Day of month',
      `${d.month.prevLabel} (cumulative)`,
      `${d.month.label} (cumulative)`,
      `${d.month.label} forecast (cumulative)`,
      `${d.month.label} left out (not complete yet)`,
    ],
    rows: Array.from({ length: monthDays }, (_, i) => {
      const day = `${d.month.start.slice(0, 8)}${String(i + 1).padStart(2, '0')}`;
      const left = i < d.cumulative.current.length ? (d.pending.get(day) ?? []) : [];
      return [
        String(i + 1),
        trimDecimal(d.cumulative.previous[i] ?? ''),
        trimDecimal(d.cumulative.current[i] ?? ''),
        trimDecimal(i + 1 >= d.month.dayOfMonth ? (d.cumulative.forecast[i + 1 - d.month.dayOfMonth] ?? '') : ''),
        left.join(', '),
      ];
    }),
    textColumns: [4],
  };
  const charts = `<h2>Daily spend by provider</h2>${stackChart('chart-providers', 'Daily spend by provider', d.byProvider, 'spend-by-provider.csv')}
<h2>Daily spend by ${d.mode === 'focus' ? 'sub-account (project, workspace)' : 'project'}</h2>${stackChart('chart-projects', 'Daily spend by project', d.byProject, 'spend-by-project.csv')}
<p class="note">The ${TOP_N} largest over the period by name; the rest are one grey band, "Other", on top.</p>
<h2>Daily spend by ${d.mode === 'focus' ? 'charge' : 'line item'}</h2>${stackChart('chart-line-items', 'Daily spend by line item', d.byLineItem, 'spend-by-line-item.csv')}
<h2>${esc(d.month.label)} to date against ${esc(d.month.prevLabel)}</h2>${cumulativeLines(
    'chart-month',
    'Cumulative spend by day of month',
    [
      { label: `${d.month.prevLabel} (cumulative)`, color: '#9ca3af', dashed: true, points: d.cumulative.previous },
      { label: `${d.month.label} (cumulative)`, color: '#2563eb', points: d.cumulative.current },
      { label: `${d.month.label} forecast (run rate)`, color: '#f97316', dashed: true, points: d.cumulative.forecast, start: d.month.dayOfMonth },
    ],
    cur,
  )}${chartData(monthTable, 'month-cumulative.csv', amountCell)}`;
  const providerRows = d.providers
    .map(
      (p) =>
        `<tr data-provider="${esc(p.provider)}"><td data-through="${esc(p.through)}">${esc(p.provider)}</td><td class="num">${money(p.period, cur)}</td><td class="num">${bar(p.share)}</td><td class="num">${money(p.mtd, cur)}</td><td class="num">${money(p.prevSame, cur)}</td><td class="num change">${p.elapsed === 0 && !p.incomplete ? esc(p.compared) : changeText(p.change, p.incomplete, 'the same days')}</td><td class="num forecast">${money(p.forecast, cur)}${p.forecastIncomplete ? ` ${mark(p.forecastIncomplete)}` : ''}</td><td class="days" title="${esc(p.basis)}">${esc(p.compared)}${p.behind ? ` <span class="incomplete" data-behind>${esc(p.behind)}</span>` : ''}</td></tr>`,
    )
    .join('\n');
  const providerTable = `<h2>By provider</h2><table id="providers"><thead><tr><th>Provider</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">${esc(d.month.label)} to date</th><th class="num">${esc(prevSameLabel)}</th><th class="num">Change</th><th class="num">Month-end forecast</th><th>Days compared</th></tr></thead><tbody>
${providerRows}
</tbody><tfoot><tr><th>All</th><td class="num">${money(d.periodTotal, cur)}</td><td></td><td class="num">${money(d.month.mtd, cur)}</td><td class="num">${money(d.month.prevSame, cur)}</td><td class="num change">${d.month.incomplete.length > 0 ? `<span class="incomplete" data-incomplete title="${esc(d.month.incomplete.join('; '))}">incomplete</span>` : changeText(pct, null, 'the same days')}</td><td class="num forecast">${money(d.month.forecast, cur)}</td><td class="days">${esc(d.month.compared)}</td></tr></tfoot></table>
<p class="note" id="forecast-how">Month to date, the previous month's same days and the forecast count, per provider, only the days complete for it (its "complete through" day, above): a provider whose latest day is not final yet is compared over fewer days, and marked, never shown as a drop. Forecast (not a bill): the month's daily run rate carried to its end, ${how}, exact to 12 decimals; a provider whose data starts later in the month is marked, as its run rate still divides by every elapsed day. A change against the previous month is shown only for providers with data from that month's first day; otherwise it is marked incomplete.</p>`;
  const multi = d.providers.length > 1;
  const prov = (p: string): string => (multi ? `<td>${esc(p)}</td>` : '');
  const provH = multi ? '<th>Provider</th>' : '';
  const topProjects = `<div><h2>Top projects</h2><table id="top-projects"><thead><tr>${provH}<th>Project</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">MTD</th><th class="num">${esc(prevSameLabel)}</th></tr></thead><tbody>
${d.topProjects.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.label)}</td><td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${money(r.mtd, cur)}</td><td class="num">${money(r.prevSame, cur)}</td></tr>`).join('\n')}
</tbody></table></div>`;
  const topModels = `<div><h2>Top models</h2><table id="top-models"><thead><tr>${provH}<th>Model</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">MTD</th></tr></thead><tbody>
${d.topModels.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.label)}</td><td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${money(r.mtd, cur)}</td></tr>`).join('\n')}
</tbody></table></div>`;
  const breakdown = (id: string, title: string, what: string, t: BreakdownTable | null): string => {
    if (!t) return '';
    const actor = id === 'by-actor';
    const rows = t.rows.map(
      (r) =>
        `<tr><td>${esc(r.label)}</td>${actor ? `<td>${esc(r.kind)}</td>` : ''}<td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${r.list ? money(r.list, cur) : '—'}</td></tr>`,
    );
    if (t.uncovered)
      rows.push(
        `<tr data-uncovered><td>No per-key breakdown: cost_report days (${esc(t.uncovered.days)})</td>${actor ? '<td>—</td>' : ''}<td class="num">${money(t.uncovered.amount, cur)}</td><td class="num">${bar(percentShare(t.uncovered.amount, t.total))}</td><td class="num">—</td></tr>`,
      );
    return `<div id="${id}-section" data-same-rows="${t.sameRows}"><h2>${esc(title)}</h2><table id="${id}"><thead><tr><th>${esc(what)}</th>${actor ? '<th>Type</th>' : ''}<th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">At list price</th></tr></thead><tbody>
${rows.join('\n')}
</tbody><tfoot><tr><th>${t.sameRows ? 'All (Anthropic, the same days as its headline)' : "All (analytics_cost, the headline's days)"}</th>${actor ? '<td></td>' : ''}<td class="num">${money(t.total, cur)}</td><td></td><td></td></tr></tfoot></table><p class="note">Paid (after discounts, before credits) beside list price; the 10 largest, the rest as one row.</p></div>`;
  };
  const byKey = breakdown('by-api-key', 'Anthropic cost by API key', 'API key', d.byApiKey);
  const byActor = breakdown('by-actor', 'Anthropic cost by person or service account', 'Actor', d.byActor);
  const breakdownNote = d.breakdownNote ? `<p class="note" id="breakdown-note">${esc(d.breakdownNote)}</p>` : '';
  const accounts =
    d.accounts.length === 0
      ? ''
      : `<h2>By account</h2><table id="accounts"><thead><tr><th>Provider</th><th>Account</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">${esc(d.month.label)} to date</th><th class="num">Same days of ${esc(d.month.prevLabel)}</th></tr></thead><tbody>
${d.accounts.map((a) => `<tr data-provider="${esc(a.provider)}" data-account="${esc(a.accountId)}"><td>${esc(a.provider)}</td><td>${esc(a.account === a.accountId || !a.accountId ? a.account : `${a.account} (${a.accountId})`)}</td><td class="num">${money(a.period, cur)}</td><td class="num">${bar(a.share)}</td><td class="num">${money(a.mtd, cur)}</td><td class="num">${money(a.prevSame, cur)}</td></tr>`).join('\n')}
</tbody></table><p class="note">Spend per billing account (<code>BillingAccountId</code>): several organizations of one provider synced into this file. Month to date over each provider's complete days.</p>`;
  // The exact value under an amount with more than cents: the rounding gap is often less than a cent.
  const subCent = (v: string): string => ((v.split('.')[1]?.length ?? 0) > 2 ? `<div class="note">${esc(v)}</div>` : '');
  const invoiceRows = d.invoices
    .map(
      (r) =>
        `<tr data-provider="${esc(r.provider)}" data-month="${esc(r.month)}" data-status="${esc(r.status)}" data-complete="${r.incomplete === null}" data-invoiced="${esc(r.invoiced)}" data-daily="${esc(r.daily)}"${r.difference === null ? '' : ` data-difference="${esc(r.difference)}"`}><td>${esc(r.provider)}</td><td>${esc(r.label)}${r.invoices > 1 ? ` (${r.invoices} invoices)` : ''}</td><td>${esc(r.status)}</td><td class="num">${money(r.invoiced, r.currency)}</td><td class="num">${money(r.daily, r.currency)}${subCent(r.daily)}</td><td class="num change">${r.difference === null ? mark(r.incomplete ?? '') : `${money(r.difference, r.currency)}${subCent(r.difference)}`}</td></tr>`,
    )
    .join('\n');
  const invoices =
    d.invoices.length === 0
      ? ''
      : `<h2>Invoices against daily usage</h2><table id="invoices"><thead><tr><th>Provider</th><th>Billing month</th><th>Status</th><th class="num">Invoiced (subtotal)</th><th class="num">Daily usage (sum)</th><th class="num">Difference</th></tr></thead><tbody>
${invoiceRows}
</tbody></table><p class="note" id="invoices-note">Each billing month the period touches: the invoice's subtotal (before tax; integer cents, the decimal point moved) against the sum of the same provider's daily spend rows of that month's UTC days, both exact; the difference is invoiced minus daily. ${d.invoiceGaps.map((g) => `${esc(g.provider)}: ${esc(g.gap)}.`).join(' ')} A month is compared only when every one of its days is complete (see "Complete through") and the daily rows start by its first day; a month not wholly synced, or not final yet, is marked incomplete with its partial sum, never shown as a gap. The status is the provider's (PENDING: the month is not closed or not charged yet).</p>`;
  const daily = `<h2>Daily totals</h2><table id="daily"><thead><tr><th>Date (UTC)</th><th class="num">Spend</th><th>Largest project</th><th>Complete</th></tr></thead><tbody>
${d.daily.map((r) => `<tr data-day="${esc(r.day)}"${r.pending.length > 0 ? ' data-pending' : ''}><td>${esc(r.day)}</td><td class="num">${money(r.total, cur)}</td><td>${esc(r.top)}</td><td>${r.pending.length > 0 ? `<span class="incomplete">not yet: ${esc(r.pending.join(', '))}</span>` : 'yes'}</td></tr>`).join('\n')}
</tbody></table><p class="note">Every day of the period; zero on days without spend rows. A day is complete once it is final for every provider (see "Complete through").</p>`;
  const detail = `<h2>${esc(d.month.label)} to date by project and line item</h2><table id="mtd-detail"><thead><tr>${provH}<th>Project</th><th>Line item</th><th class="num">Spend</th></tr></thead><tbody>
${d.mtdDetail.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.project)}</td><td>${esc(r.lineItem)}</td><td class="num">${money(r.amount, cur)}</td></tr>`).join('\n')}
</tbody></table><p class="note">The 50 largest combinations.</p>`;
  const body = `${cards}${providerTable}${accounts}${invoices}${charts}${topProjects}${topModels}${byKey}${byActor}${breakdownNote}${daily}${detail}`;
  return `${head.replace('</style>', `${phoneLabels(body)}\n</style>`)}${body}${foot}`;
}

/** Below this width the summary tables (STACKED) show one block per row, each cell after its column's name. */
const PHONE_WIDTH = 640;
/** The tables that become labelled rows at phone width (the chart tables scroll in their own box instead). */
const STACKED = ['providers', 'accounts', 'invoices', 'top-projects', 'top-models', 'by-api-key', 'by-actor'] as const;

/** A CSS string literal of plain text (quotes, backslashes and "<" escaped, so nothing ends the style element). */
const cssString = (text: string): string => `"${text.replace(/[\\"<\n]/g, (c) => `\\${c.charCodeAt(0).toString(16)} `)}"`;

/**
 * The phone layout of the STACKED tables present, as CSS: each row a block, each cell a line with its
 * column's name before it (`#providers td:nth-child(2)::before{content:"Last 90 days"}`), the names
 * taken from the table's own header row, so a header and its phone label never disagree. The first
 * column (the row's name) has none.
 */
function phoneLabels(body: string): string {
  const rules: string[] = [];
  for (const m of body.matchAll(new RegExp(`<table id="(${STACKED.join('|')})"><thead><tr>([\\s\\S]*?)</tr></thead>`, 'g'))) {
    const t = `#${m[1]}`;
    rules.push(
      `${t} thead{display:none}${t} tr{display:block;padding:6px 0;border-bottom:1px solid var(--line)}`,
      `${t} td,${t} th{display:block;padding:2px 0;border:0;text-align:right;white-space:normal;max-width:none;overflow:hidden}`,
      `${t} td:first-child,${t} th:first-child{text-align:left;font-weight:600;color:var(--fg);font-size:14px}${t} td:empty{display:none}`,
      `${t} td::before{float:left;margin-right:12px;color:var(--muted);font-size:12px;font-weight:400}`,
    );
    const labels = [...(m[2] as string).matchAll(/<th[^>]*>([\s\S]*?)<\/th>/g)].map((h) => unescapeHtml((h[1] as string).replace(/<[^>]*>/g, '')));
    labels.forEach((label, i) => {
      if (i > 0 && label !== '') rules.push(`${t} td:nth-child(${i + 1})::before{content:${cssString(label)}}`);
    });
  }
  return rules.length === 0 ? '' : `@media (max-width:${PHONE_WIDTH}px){\n${rules.join('\n')}}`;
}

const unescapeHtml = (s: string): string =>
  s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, '&');
