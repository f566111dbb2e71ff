import type { Warehouse } from './db.js';
import { type ChartTable, chartData, cumulativeLines, esc, OTHER_COLOR, PALETTE, stackedBars, type Series } from './charts.js';
import { formatMoney, fromScaled, mulDiv, percentChange, runRateForecast, toScaled, trimDecimal } from './money.js';
import { ident, STATE_TABLE } from './schema.js';

/**
 * The spend report: one static HTML page from whatever spend tables the database has.
 *
 *   costs           (source-openai-costs)     amount_value, a DOUBLE holding the exact double the API sent
 *   analytics_cost  (source-anthropic-costs)  amount_usd (and list_amount_usd), exact decimal strings
 *   cost_report     (source-anthropic-costs)  amount_usd, an exact decimal string; Anthropic's legacy
 *                                             report, used for the days analytics_cost does not cover
 *
 * Every amount becomes DECIMAL(38,12) in SQL (a DOUBLE through its shortest text form,
 * so 0.1 stays 0.1) and every sum is a DuckDB DECIMAL sum returned as text: no float
 * ever touches money. Dates are UTC days.
 */
interface ReportOptions {
  /** Days of daily history shown, ending on the latest day with spend. */
  days: number;
  /** When the page is generated (shown on it). */
  now: Date;
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

/** Spend by one analytics_cost dimension (API key, actor) over the report's period. */
interface Breakdown {
  label: string;
  kind: string;
  period: string;
  list: string;
  share: string;
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
  };
  cumulative: { current: string[]; previous: string[]; forecast: string[] };
  topProjects: Array<{ provider: string; label: string; period: string; mtd: string; prevSame: string; share: string }>;
  topModels: Array<{ provider: string; label: string; period: string; mtd: string; share: string }>;
  /** Every day of the period, newest first; total "0" on days without spend. */
  daily: Array<{ day: string; total: string; top: string }>;
  mtdDetail: Array<{ provider: string; project: string; lineItem: string; amount: string }>;
  /** Anthropic analytics_cost by API key and by actor (empty unless the rows are grouped so). */
  byApiKey: Breakdown[];
  byActor: Breakdown[];
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

export type ProviderKey = 'openai' | 'anthropic' | 'aurous';

/**
 * THE one place a logical table name becomes the table the report reads: `sync` keeps each
 * connector's tables in its own schema (`anthropic.analytics_cost`); a database of an earlier version
 * has them in `main`. The connector's schema wins. `focus_spend` (a view over every connector's
 * spend) is looked up without a provider, in `main`.
 */
export function resolveTable(catalog: Catalog, logical: string, provider?: ProviderKey): ResolvedTable | null {
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

/** focus_spend as a SELECT of (provider, day, currency, project_key, project, line_item, model, amount). */
function focusSource(t: ResolvedTable): SpendSource | null {
  const c = t.columns;
  if (!FOCUS_REQUIRED.every((k) => c.has(k))) return null;
  const col = (name: string): string | null => (c.has(name) ? `f.${ident(name)}` : null);
  const first = (...xs: Array<string | null>): string => {
    const have = xs.filter((x): x is string => x !== null);
    return have.length === 0 ? 'NULL' : have.length === 1 ? (have[0] as string) : `coalesce(${have.join(', ')})`;
  };
  const text = (x: string | null): string | null => (x === null ? null : `CAST(${x} AS VARCHAR)`);
  const details = text(col('SkuPriceDetails'));
  const modelId = details ? `CASE WHEN json_valid(${details}) THEN json_extract_string(${details}, '$.ModelId') END` : null;
  const provider = first(text(col('ServiceProviderName')), text(col('ProviderName')), "'Unknown provider'");
  return {
    provider: 'FOCUS',
    table: t.name,
    focus: true,
    select: `SELECT ${provider} AS provider, CAST(CAST(f."ChargePeriodStart" AS TIMESTAMPTZ) AS DATE) AS day,
          upper(${first(text(col('BillingCurrency')), "'USD'")}) AS currency,
          ${first(text(col('SubAccountId')), "''")} AS project_key,
          ${first(text(col('SubAccountName')), text(col('SubAccountId')), "'No sub-account'")} AS project,
          ${first(text(col('ChargeDescription')), text(col('SkuId')), text(col('ServiceName')), "'All charges'")} AS line_item,
          ${first(modelId, text(col('x_model')), text(col('SkuId')), "'Other'")} AS model,
          CAST(CAST(f."BilledCost" AS VARCHAR) AS DECIMAL(38,12)) AS amount
        FROM ${t.sql} AS f
        WHERE f."BilledCost" IS NOT NULL AND f."ChargePeriodStart" IS NOT NULL`,
  };
}

/** The provider spend tables present (older databases, without focus_spend), each as a SELECT of (provider, day, currency, project_key, project, line_item, model, amount). */
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
          CAST(CAST(c."amount_value" AS VARCHAR) AS DECIMAL(38,12)) AS amount
        FROM ${costs.sql} AS c ${join && projects ? `LEFT JOIN ${projects.sql} AS p ON p."id" = c."project_id"` : ''}
        WHERE c."amount_value" IS NOT NULL AND c."date" IS NOT NULL`,
      });
    }
  }
  // Anthropic: analytics_cost, and the legacy cost_report for the days analytics_cost has no rows
  // (the same money is never counted twice). Both by workspace, named from `workspaces`.
  const ws = resolveTable(catalog, 'workspaces', 'anthropic');
  const anthropic = (table: ResolvedTable, lineItem: string, where = ''): string => {
    const c = table.columns;
    const join = ws?.columns.has('id') === true && ws.columns.has('name') && c.has('workspace_id');
    const wid = or(c, 't', 'workspace_id');
    return `SELECT 'Anthropic' AS provider, CAST(t."date" AS DATE) AS day, upper(coalesce(${or(c, 't', 'currency')}, 'USD')) AS currency,
          coalesce(${wid}, '') AS project_key, coalesce(${join ? 'w."name", ' : ''}${wid}, 'Default workspace') AS project,
          ${lineItem} AS line_item,
          coalesce(${or(c, 't', 'model')}, ${or(c, 't', 'cost_type')}, 'Other') AS model,
          CAST(CAST(t."amount_usd" AS VARCHAR) AS DECIMAL(38,12)) AS amount
        FROM ${table.sql} AS t ${join && ws ? `LEFT JOIN ${ws.sql} AS w ON w."id" = t."workspace_id"` : ''}
        WHERE t."amount_usd" IS NOT NULL AND t."date" IS NOT NULL ${where}`;
  };
  if (analytics.use && analytics.table) {
    const c = analytics.columns;
    const parts = ['model', 'cost_type', 'token_type'].filter((k) => c.has(k)).map((k) => `t.${ident(k)}`);
    const lineItem = `coalesce(${parts.length > 0 ? `nullif(concat_ws(' · ', ${parts.join(', ')}), '')` : 'NULL'}, 'All costs')`;
    out.push({ provider: 'Anthropic', table: analytics.table.name, select: anthropic(analytics.table, lineItem) });
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

/**
 * analytics_cost over the report's days by API key (named from the api_keys table) or by actor
 * (the user, service account, API key or federated identity Anthropic attributes the cost to;
 * named from the actor object or the users table), paid amount beside list price. Empty when the
 * rows are not grouped by that dimension (every value null).
 */
async function analyticsBreakdown(
  db: Warehouse,
  analytics: ResolvedTable,
  catalog: Catalog,
  by: 'api_key' | 'actor',
  currency: string,
  from: string,
  to: string,
): Promise<Breakdown[]> {
  const c = analytics.columns;
  const key = by === 'api_key' ? 'api_key_id' : 'actor_id';
  if (!c.has(key) || (by === 'actor' && !c.has('actor'))) return [];
  const other = resolveTable(catalog, by === 'api_key' ? 'api_keys' : 'users', 'anthropic');
  const oc = other?.columns ?? new Set<string>();
  const join = oc.has('id') && (oc.has('name') || oc.has('email'));
  const named = [
    ...(by === 'actor' ? [`json_extract_string(a."actor", '$.email')`, `json_extract_string(a."actor", '$.name')`] : []),
    ...(join ? ['email', 'name'].filter((k) => oc.has(k)).map((k) => `o.${ident(k)}`) : []),
  ];
  const kind = by === 'actor' ? `json_extract_string(a."actor", '$.type')` : 'NULL';
  const dec = (col: string): string => (c.has(col) ? `sum(CAST(CAST(a.${ident(col)} AS VARCHAR) AS DECIMAL(38,12)))` : 'NULL');
  const grouped = by === 'api_key' ? `a."api_key_id" IS NOT NULL` : `a."actor" IS NOT NULL`;
  const rows = await db.rows(
    `WITH a AS (SELECT * FROM ${analytics.sql} WHERE upper(coalesce(${c.has('currency') ? '"currency"' : 'NULL'}, 'USD')) = ${quote(currency)}
        AND CAST("date" AS DATE) BETWEEN DATE ${quote(from)} AND DATE ${quote(to)} AND "amount_usd" IS NOT NULL),
      t AS (SELECT sum(CAST(CAST("amount_usd" AS VARCHAR) AS DECIMAL(38,12))) AS all_total FROM a)
    SELECT a.${ident(key)} AS k, ${kind} AS kind, ${named.length > 0 ? `any_value(coalesce(${named.join(', ')}))` : 'NULL'} AS name,
      CAST(${dec('amount_usd')} AS VARCHAR) AS period, CAST(${dec('list_amount_usd')} AS VARCHAR) AS list,
      CAST(round(${dec('amount_usd')} * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share
    FROM a ${join && other ? `LEFT JOIN ${other.sql} AS o ON o."id" = a.${ident(key)}` : ''}, t
    WHERE EXISTS (SELECT 1 FROM a WHERE ${grouped})
    GROUP BY a.${ident(key)}, ${kind} ORDER BY ${dec('amount_usd')} DESC, k NULLS LAST, kind LIMIT 10`,
  );
  return rows.map((r) => {
    const id = r.k === null || r.k === undefined ? null : String(r.k);
    const name = r.name === null || r.name === undefined ? null : String(r.name);
    const k = str(r.kind);
    const fallback = by === 'api_key' ? 'No API key (Console)' : k === 'federated_actor' ? 'Federated identity' : 'Unattributed';
    return {
      label: name && id ? `${name} (${id})` : (name ?? id ?? fallback),
      kind: by === 'actor' ? (ACTOR_KINDS[k] ?? (k || '—')) : '',
      period: str(r.period),
      list: str(r.list),
      share: str(r.share),
    };
  });
}

/** Exact sum of decimal strings (12 decimals), trimmed. */
const add = (xs: readonly string[]): string =>
  trimDecimal(
    fromScaled(
      xs.reduce((acc, x) => acc + toScaled(x, 12), 0n),
      12,
    ),
  );

export async function buildReport(db: Warehouse, o: ReportOptions): Promise<ReportData> {
  const catalog = await readCatalog(db);
  const analytics = await analyticsCost(db, catalog);
  const notes = analytics.why ? [analytics.why] : [];
  // focus_spend gives the money when it has rows; the provider tables only for a database synced
  // before the spend stream existed (the page says so). Never both: the same money would count twice.
  const focusTable = resolveTable(catalog, 'focus_spend');
  const focus = focusTable ? focusSource(focusTable) : null;
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
    for (const [provider, names] of missing)
      notes.push(
        `${names.join(' and ')} ${names.length > 1 ? 'have' : 'has'} ${provider} spend but ${focus.table} has no ${provider} rows: those amounts are not in this report. Re-sync source-${provider.toLowerCase()}-costs with the spend stream.`,
      );
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
    },
    cumulative: { current: [], previous: [], forecast: [] },
    topProjects: [],
    topModels: [],
    daily: [],
    mtdDetail: [],
    byApiKey: [],
    byActor: [],
    notes,
    lastSync,
    rows: 0,
  };
  if (sources.length === 0) return empty;
  const spend = `WITH spend AS (${sources.map((s) => s.select).join('\nUNION ALL\n')})`;
  const q = (sql: string): Promise<Array<Record<string, unknown>>> => db.rows(`${spend}\n${sql}`);

  const cur = await q(`SELECT currency, count(*) AS n, CAST(sum(amount) AS VARCHAR) AS total FROM spend GROUP BY currency ORDER BY n DESC, currency`);
  if (cur.length === 0) return empty;
  const currency = str(cur[0]?.currency);
  const C = quote(currency);
  const span = await q(`SELECT CAST(min(day) AS VARCHAR) AS first, CAST(max(day) AS VARCHAR) AS last, count(*) AS n FROM spend WHERE currency = ${C}`);
  const first = str(span[0]?.first);
  const last = str(span[0]?.last);
  const L = `DATE ${quote(last)}`;
  const periodStartRow = await q(`SELECT CAST(greatest(DATE ${quote(first)}, ${L} - ${Math.max(1, o.days) - 1}) AS VARCHAR) AS s`);
  const periodStart = str(periodStartRow[0]?.s);
  const inPeriod = `currency = ${C} AND day BETWEEN DATE ${quote(periodStart)} AND ${L}`;
  const days: string[] = [];
  for (let t = Date.parse(`${periodStart}T00:00:00Z`); t <= Date.parse(`${last}T00:00:00Z`); t += 86_400_000) days.push(new Date(t).toISOString().slice(0, 10));

  const total = await q(`SELECT CAST(coalesce(sum(amount), 0) AS VARCHAR) AS t FROM spend WHERE ${inPeriod}`);
  const periodTotal = str(total[0]?.t);

  // The month of the latest day: its dates, and the previous month's.
  const m = await q(`, b AS (SELECT date_trunc('month', ${L}) AS cs, date_trunc('month', ${L}) - INTERVAL 1 MONTH AS ps, dayofmonth(${L}) AS dom)
    SELECT strftime(b.cs, '%B %Y') AS label, strftime(b.ps, '%B %Y') AS prev_label, CAST(CAST(b.cs AS DATE) AS VARCHAR) AS start,
      CAST(CAST(b.ps AS DATE) AS VARCHAR) AS prev_start, b.dom AS dom, dayofmonth(last_day(${L})) AS dim,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day BETWEEN CAST(b.cs AS DATE) AND ${L}), 0) AS VARCHAR) AS mtd,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day >= CAST(b.ps AS DATE) AND day < CAST(b.cs AS DATE) AND dayofmonth(day) <= b.dom), 0) AS VARCHAR) AS prev_same,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day >= CAST(b.ps AS DATE) AND day < CAST(b.cs AS DATE)), 0) AS VARCHAR) AS prev_full
    FROM b`);
  const mr = m[0] ?? {};
  const mtd = str(mr.mtd);
  const prevSame = str(mr.prev_same);
  const monthStart = str(mr.start);
  const prevStart = str(mr.prev_start);
  const monthLabel = str(mr.label);
  const prevLabel = str(mr.prev_label);
  const dom = Number(mr.dom ?? 0);
  const dim = Number(mr.dim ?? 0);
  const ms = `DATE ${quote(monthStart)}`;

  // Per provider. A provider whose first row is after the previous month's first day cannot be
  // compared with that month (its absence is missing data, not zero spend): marked, never a +N%.
  const providers: ProviderRow[] = (
    await q(`, t AS (SELECT sum(amount) AS all_total FROM spend WHERE ${inPeriod})
      SELECT provider, CAST(min(day) AS VARCHAR) AS first, CAST(max(day) AS VARCHAR) AS last,
        CAST(coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) AS VARCHAR) AS period,
        CAST(round(coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share,
        CAST(coalesce(sum(amount) FILTER (WHERE day BETWEEN ${ms} AND ${L}), 0) AS VARCHAR) AS mtd,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= DATE ${quote(prevStart)} AND day < ${ms} AND dayofmonth(day) <= ${dom}), 0) AS VARCHAR) AS prev_same,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= DATE ${quote(prevStart)} AND day < ${ms}), 0) AS VARCHAR) AS prev_full
      FROM spend, t WHERE currency = ${C} GROUP BY provider
      ORDER BY coalesce(sum(amount) FILTER (WHERE day BETWEEN DATE ${quote(periodStart)} AND ${L}), 0) DESC, provider`)
  ).map((r) => {
    const provider = str(r.provider);
    const pFirst = str(r.first);
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
      change: incomplete ? null : percentChange(pm, str(r.prev_same)),
      incomplete,
      forecast: runRateForecast(pm, dom, dim),
      forecastIncomplete: pFirst > monthStart ? `no data for ${provider} before ${pFirst}` : null,
    };
  });
  const multi = providers.length > 1;
  // For the all-provider figures, one clause: "no data for Anthropic and Aurous in October 2026".
  const names = (xs: string[]): string => (xs.length < 2 ? xs.join('') : `${xs.slice(0, -1).join(', ')} and ${xs.at(-1)}`);
  const absent = providers.filter((p) => p.incomplete && p.first >= monthStart).map((p) => p.provider);
  const incomplete = [
    ...(absent.length > 0 ? [`no data for ${names(absent)} in ${prevLabel}`] : []),
    ...providers.flatMap((p) => (p.incomplete && p.first < monthStart ? [p.incomplete] : [])),
  ];

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
    const list = [...series.values()].sort((a, b) => Number(a.key === '\u0000other') - Number(b.key === '\u0000other'));
    const sum = (s: Series): bigint => [...s.values.values()].reduce((acc, v) => acc + toScaled(v, 12), 0n);
    const other = list.find((s) => s.key === '\u0000other');
    let largest = 0n;
    for (const s of list) {
      const v = s === other ? 0n : sum(s);
      if (v > largest) largest = v;
    }
    const otherNote =
      other && sum(other) > largest
        ? `"Other" (grey, on top) is ${otherItems} ${noun} added together: more than any one shown, though each alone is smaller.`
        : null;
    return { series: list, otherItems, otherNote };
  };
  const byProvider = await stacked('provider', 'provider', TOP_N, 'providers');
  const byProject = await stacked('project_key', 'project', TOP_N, mode === 'focus' ? 'sub-accounts' : 'projects');
  const byLineItem = await stacked('line_item', 'line_item', TOP_N, mode === 'focus' ? 'charges' : 'line items');

  const cumulative = async (fromSql: string, toSql: string): Promise<string[]> => {
    const rows =
      await q(`, d AS (SELECT dayofmonth(day) AS dom, sum(amount) AS a FROM spend WHERE currency = ${C} AND day >= ${fromSql} AND day < ${toSql} GROUP BY 1),
      r AS (SELECT range AS dom FROM range(1, 32))
      SELECT r.dom, CAST(sum(coalesce(d.a, 0)) OVER (ORDER BY r.dom) AS VARCHAR) AS c FROM r LEFT JOIN d USING (dom) ORDER BY r.dom`);
    return rows.map((r) => str(r.c));
  };
  const current = (await cumulative(ms, `${L} + 1`)).slice(0, dom);
  const prevDays = await q(`SELECT dayofmonth(${ms} - 1) AS n`);
  const previous = (await cumulative(`${ms} - INTERVAL 1 MONTH`, ms)).slice(0, Number(prevDays[0]?.n ?? 31));
  // The run rate carried to the month's end: day d of the month at MTD × d ÷ elapsed days.
  const forecastLine: string[] = [];
  for (let dd = dom; dd <= dim; dd++) forecastLine.push(mulDiv(mtd, dd, dom));

  const topProjects = (
    await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}), t AS (SELECT sum(amount) AS all_total FROM p)
      SELECT provider, any_value(project) AS label, CAST(sum(amount) AS VARCHAR) AS period,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= ${ms}), 0) AS VARCHAR) AS mtd,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= ${ms} - INTERVAL 1 MONTH AND day < ${ms} AND dayofmonth(day) <= ${dom}), 0) AS VARCHAR) AS prev_same,
        CAST(round(sum(amount) * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share
      FROM p, t GROUP BY provider, project_key ORDER BY sum(amount) DESC, provider, project_key LIMIT 10`)
  ).map((r) => ({ provider: str(r.provider), label: str(r.label), period: str(r.period), mtd: str(r.mtd), prevSame: str(r.prev_same), share: str(r.share) }));
  const topModels = (
    await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}), t AS (SELECT sum(amount) AS all_total FROM p)
      SELECT provider, model AS label, CAST(sum(amount) AS VARCHAR) AS period,
        CAST(coalesce(sum(amount) FILTER (WHERE day >= ${ms}), 0) AS VARCHAR) AS mtd,
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
  const daily = [...days].reverse().map((dd) => ({ day: dd, total: spent.get(dd)?.total ?? '0', top: spent.get(dd)?.top ?? '—' }));
  const mtdDetail = (
    await q(`SELECT provider, any_value(project) AS project, line_item, CAST(sum(amount) AS VARCHAR) AS amount
      FROM spend WHERE currency = ${C} AND day BETWEEN ${ms} AND ${L}
      GROUP BY provider, project_key, line_item ORDER BY sum(amount) DESC, provider, project_key, line_item LIMIT 50`)
  ).map((r) => ({ provider: str(r.provider), project: str(r.project), lineItem: str(r.line_item), amount: str(r.amount) }));

  // Cost by API key and by actor: only Anthropic's provider table has them (FOCUS rows carry no actor).
  const byApiKey = analytics.use && analytics.table ? await analyticsBreakdown(db, analytics.table, catalog, 'api_key', currency, periodStart, last) : [];
  const byActor = analytics.use && analytics.table ? await analyticsBreakdown(db, analytics.table, catalog, 'actor', currency, periodStart, last) : [];

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
      changePct: incomplete.length > 0 ? null : percentChange(mtd, prevSame),
      dayOfMonth: dom,
      daysInMonth: dim,
      forecast: runRateForecast(mtd, dom, dim),
      incomplete,
      forecastIncomplete: providers.flatMap((p) => (p.forecastIncomplete ? [p.forecastIncomplete] : [])),
    },
    cumulative: { current, previous, forecast: forecastLine },
    topProjects,
    topModels,
    daily,
    mtdDetail,
    byApiKey,
    byActor,
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
      : pct === null
        ? 'no spend in the same days of the previous month'
        : `${changeText(pct, null, '')} vs ${esc(d.month.prevLabel)} 1–${d.month.dayOfMonth}`;
  const others =
    d.otherCurrencies.length > 0
      ? `<p class="note">Charts and totals are in ${esc(cur)}; also present: ${d.otherCurrencies.map((o2) => money(o2.total, o2.currency)).join(', ')}.</p>`
      : '';
  const how = `${esc(d.month.label)} to date ÷ ${d.month.dayOfMonth} elapsed days × ${d.month.daysInMonth} days`;
  const cards = `<section class="cards">
<div class="card"><div class="k">Last ${d.days.length} days</div><div class="v">${money(d.periodTotal, cur, 'total-period')}</div><div class="n">${esc(d.periodStart ?? '')} to ${esc(d.last)}</div></div>
<div class="card"><div class="k">${esc(d.month.label)} to date</div><div class="v">${money(d.month.mtd, cur, 'total-mtd')}</div><div class="n" id="change-mtd">${changeHtml}</div></div>
<div class="card" id="forecast-card"><div class="k">${esc(d.month.label)} forecast</div><div class="v forecast">${money(d.month.forecast, cur, 'forecast-total')}</div><div class="n">forecast at the daily run rate: ${how}${d.month.forecastIncomplete.length > 0 ? ` · ${mark(d.month.forecastIncomplete.join('; '))}` : ''}</div></div>
<div class="card"><div class="k">${esc(d.month.prevLabel)} 1–${d.month.dayOfMonth}</div><div class="v">${money(d.month.prevSame, cur, 'total-prev-same')}</div><div class="n">same days of the previous month</div></div>
<div class="card"><div class="k">${esc(d.month.prevLabel)} total</div><div class="v">${money(d.month.prevFull, cur, 'total-prev-month')}</div><div class="n">whole previous month${d.month.incomplete.length > 0 ? ` · ${mark(d.month.incomplete.join('; '))}` : ''}</div></div>
</section>${others}`;
  const amountCell = (v: string): string => formatMoney(v, cur);
  const stackTable = (id: string, s: Stack): ChartTable => ({
    id,
    header: ['Date', ...s.series.map((x) => x.label), 'Total'],
    rows: d.days.map((day) => {
      const vs = s.series.map((x) => trimDecimal(x.values.get(day) ?? '0'));
      return [day, ...vs, add(vs)];
    }),
  });
  const stackChart = (id: string, title: string, s: Stack, file: string): string =>
    `${stackedBars(id, title, d.days, s.series, cur)}${s.otherNote ? `<p class="note" id="${id}-other-note">${esc(s.otherNote)}</p>` : ''}${chartData(stackTable(id, s), file, amountCell)}`;
  const monthDays = Math.max(d.cumulative.previous.length, d.month.daysInMonth);
  const monthTable: ChartTable = {
    id: 'chart-month',
    header: ['Day of month', `${d.month.prevLabel} (cumulative)`, `${d.month.label} (cumulative)`, `${d.month.label} forecast (cumulative)`],
    rows: Array.from({ length: monthDays }, (_, i) => [
      String(i + 1),
      trimDecimal(d.cumulative.previous[i] ?? ''),
      trimDecimal(d.cumulative.current[i] ?? ''),
      trimDecimal(i + 1 >= d.month.dayOfMonth ? (d.cumulative.forecast[i + 1 - d.month.dayOfMonth] ?? '') : ''),
    ]),
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
        `<tr data-provider="${esc(p.provider)}"><td>${esc(p.provider)}</td><td class="num">${money(p.period, cur)}</td><td class="num">${bar(p.share)}</td><td class="num">${money(p.mtd, cur)}</td><td class="num">${money(p.prevSame, cur)}</td><td class="num change">${changeText(p.change, p.incomplete, 'the same days')}</td><td class="num forecast">${money(p.forecast, cur)}${p.forecastIncomplete ? ` ${mark(p.forecastIncomplete)}` : ''}</td></tr>`,
    )
    .join('\n');
  const providerTable = `<h2>By provider</h2><table id="providers"><thead><tr><th>Provider</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">${esc(d.month.label)} to date</th><th class="num">${esc(d.month.prevLabel)} 1–${d.month.dayOfMonth}</th><th class="num">Change</th><th class="num">Month-end forecast</th></tr></thead><tbody>
${providerRows}
</tbody><tfoot><tr><th>All</th><td class="num">${money(d.periodTotal, cur)}</td><td></td><td class="num">${money(d.month.mtd, cur)}</td><td class="num">${money(d.month.prevSame, cur)}</td><td class="num change">${d.month.incomplete.length > 0 ? `<span class="incomplete" data-incomplete title="${esc(d.month.incomplete.join('; '))}">incomplete</span>` : changeText(pct, null, 'the same days')}</td><td class="num forecast">${money(d.month.forecast, cur)}</td></tr></tfoot></table>
<p class="note" id="forecast-how">Forecast (not a bill): the month's daily run rate carried to its end, ${how}, exact to 12 decimals; a provider whose data starts later in the month is marked, as its run rate still divides by every elapsed day. A change against the previous month is shown only for providers with data from that month's first day; otherwise it is marked incomplete.</p>`;
  const multi = d.providers.length > 1;
  const prov = (p: string): string => (multi ? `<td>${esc(p)}</td>` : '');
  const provH = multi ? '<th>Provider</th>' : '';
  const topProjects = `<div><h2>Top projects</h2><table id="top-projects"><thead><tr>${provH}<th>Project</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">MTD</th><th class="num">Prev. month 1–${d.month.dayOfMonth}</th></tr></thead><tbody>
${d.topProjects.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.label)}</td><td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${money(r.mtd, cur)}</td><td class="num">${money(r.prevSame, cur)}</td></tr>`).join('\n')}
</tbody></table></div>`;
  const topModels = `<div><h2>Top models</h2><table id="top-models"><thead><tr>${provH}<th>Model</th><th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">MTD</th></tr></thead><tbody>
${d.topModels.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.label)}</td><td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${money(r.mtd, cur)}</td></tr>`).join('\n')}
</tbody></table></div>`;
  const breakdown = (id: string, title: string, what: string, rows: Breakdown[]): string =>
    rows.length === 0
      ? ''
      : `<div><h2>${esc(title)}</h2><table id="${id}"><thead><tr><th>${esc(what)}</th>${id === 'by-actor' ? '<th>Type</th>' : ''}<th class="num">Last ${d.days.length} days</th><th class="num">Share</th><th class="num">At list price</th></tr></thead><tbody>
${rows.map((r) => `<tr><td>${esc(r.label)}</td>${id === 'by-actor' ? `<td>${esc(r.kind)}</td>` : ''}<td class="num">${money(r.period, cur)}</td><td class="num">${bar(r.share)}</td><td class="num">${r.list ? money(r.list, cur) : '—'}</td></tr>`).join('\n')}
</tbody></table><p class="note">Anthropic <code>analytics_cost</code>: paid (after discounts, before credits) beside list price; the 10 largest.</p></div>`;
  const byKey = breakdown('by-api-key', 'Anthropic cost by API key', 'API key', d.byApiKey);
  const byActor = breakdown('by-actor', 'Anthropic cost by person or service account', 'Actor', d.byActor);
  const daily = `<h2>Daily totals</h2><table id="daily"><thead><tr><th>Date (UTC)</th><th class="num">Spend</th><th>Largest project</th></tr></thead><tbody>
${d.daily.map((r) => `<tr data-day="${esc(r.day)}"><td>${esc(r.day)}</td><td class="num">${money(r.total, cur)}</td><td>${esc(r.top)}</td></tr>`).join('\n')}
</tbody></table><p class="note">Every day of the period; zero on days without spend rows.</p>`;
  const detail = `<h2>${esc(d.month.label)} to date by project and line item</h2><table id="mtd-detail"><thead><tr>${provH}<th>Project</th><th>Line item</th><th class="num">Spend</th></tr></thead><tbody>
${d.mtdDetail.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.project)}</td><td>${esc(r.lineItem)}</td><td class="num">${money(r.amount, cur)}</td></tr>`).join('\n')}
</tbody></table><p class="note">The 50 largest combinations.</p>`;
  return `${head}${cards}${providerTable}${charts}${topProjects}${topModels}${byKey}${byActor}${daily}${detail}${foot}`;
}
