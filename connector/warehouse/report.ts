import type { Warehouse } from './db.js';
import { cumulativeLines, esc, OTHER_COLOR, PALETTE, stackedBars, type Series } from './charts.js';
import { formatMoney, trimDecimal } from './money.js';
import { ident, qualified, STATE_TABLE } from './schema.js';

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
}

/** Spend by one analytics_cost dimension (API key, actor) over the report's period. */
interface Breakdown {
  label: string;
  kind: string;
  period: string;
  list: string;
  share: string;
}

interface ReportData {
  sources: SpendSource[];
  currency: string;
  otherCurrencies: Array<{ currency: string; total: string }>;
  first: string | null;
  last: string | null;
  periodStart: string | null;
  days: string[];
  periodTotal: string;
  byProject: Series[];
  byLineItem: Series[];
  month: { label: string; start: string; mtd: string; prevLabel: string; prevSame: string; prevFull: string; changePct: string | null; dayOfMonth: number };
  cumulative: { current: string[]; previous: string[] };
  topProjects: Array<{ provider: string; label: string; period: string; mtd: string; prevSame: string; share: string }>;
  topModels: Array<{ provider: string; label: string; period: string; mtd: string; share: string }>;
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

const quote = (s: string): string => `'${s.replace(/'/g, "''")}'`;

/**
 * The connector schema each table the report reads lives in (sync keeps every connector's tables
 * in its own schema: openai.costs, anthropic.users). A database of an earlier version has them in
 * main: a table not found in its connector's schema is read from main.
 */
const OWNER: Readonly<Record<string, string>> = {
  costs: 'openai',
  projects: 'openai',
  cost_report: 'anthropic',
  analytics_cost: 'anthropic',
  workspaces: 'anthropic',
  api_keys: 'anthropic',
  users: 'anthropic',
};

/** The report's tables by name: whether present, their SQL name, their columns. */
export interface ReportTables {
  has(name: string): boolean;
  /** The table's qualified SQL name ("openai"."costs", or "main"."costs" in an earlier layout). */
  sql(name: string): string;
  columns(name: string): Promise<Set<string>>;
  /** Every _connector_state table, qualified. */
  states: string[];
}

export async function reportTables(db: Warehouse): Promise<ReportTables> {
  const all = await db.allTables();
  const present = (schema: string, table: string): boolean => all.some((t) => t.schema === schema && t.table === table);
  const where = new Map<string, string>();
  for (const [name, schema] of Object.entries(OWNER)) {
    if (present(schema, name)) where.set(name, schema);
    else if (present('main', name)) where.set(name, 'main');
  }
  const schemaOf = (name: string): string => {
    const s = where.get(name);
    if (s === undefined) throw new Error(`table ${name} is not in this database`);
    return s;
  };
  return {
    has: (name) => where.has(name),
    sql: (name) => qualified(schemaOf(name), name),
    columns: async (name) => (where.has(name) ? new Set((await db.columns(name, schemaOf(name))).keys()) : new Set()),
    states: all.filter((t) => t.table === STATE_TABLE).map((t) => qualified(t.schema, t.table)),
  };
}

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
  /** Why it is not used for money, for the page. */
  why?: string;
}

async function analyticsCost(db: Warehouse, tables: ReportTables): Promise<AnalyticsCost> {
  if (!tables.has('analytics_cost')) return { use: false, columns: new Set() };
  const columns = await tables.columns('analytics_cost');
  if (!columns.has('date') || !columns.has('amount_usd')) return { use: false, columns };
  const present = NON_ADDITIVE.filter((k) => columns.has(k));
  if (present.length > 0) {
    const r = await db.rows(
      `SELECT ${present.map((k) => `count(*) FILTER (WHERE ${ident(k)} IS NOT NULL) AS ${ident(k)}`).join(', ')} FROM ${tables.sql('analytics_cost')}`,
    );
    const grouped = present.filter((k) => Number(r[0]?.[k] ?? 0) > 0);
    if (grouped.length > 0) {
      return {
        use: false,
        columns,
        why: `analytics_cost is left out of the totals: its rows are grouped by ${grouped.join(' and ')}, whose rows overlap or fall short of the spend (sync it without that grouping for totals).`,
      };
    }
  }
  return { use: true, columns };
}

/** The spend tables present, each as a SELECT of (provider, day, currency, project_key, project, line_item, model, amount). */
async function spendSources(tables: ReportTables, analytics: AnalyticsCost): Promise<SpendSource[]> {
  const cols = (t: string): Promise<Set<string>> => tables.columns(t);
  const out: SpendSource[] = [];
  const or = (have: Set<string>, alias: string, name: string, fallback = 'NULL'): string => (have.has(name) ? `${alias}.${ident(name)}` : fallback);

  if (tables.has('costs')) {
    const c = await cols('costs');
    if (c.has('date') && c.has('amount_value')) {
      const projects = tables.has('projects') ? await cols('projects') : new Set<string>();
      const join = projects.has('id') && projects.has('name') && c.has('project_id');
      const pid = or(c, 'c', 'project_id');
      const li = or(c, 'c', 'line_item');
      out.push({
        provider: 'OpenAI',
        table: 'costs',
        select: `SELECT 'OpenAI' AS provider, CAST(c."date" AS DATE) AS day, upper(coalesce(${or(c, 'c', 'amount_currency')}, 'usd')) AS currency,
          coalesce(${pid}, '') AS project_key, coalesce(${join ? 'p."name", ' : ''}${pid}, 'No project') AS project,
          coalesce(${li}, 'All line items') AS line_item,
          CASE WHEN ${li} IS NULL THEN 'Unknown' ELSE split_part(${li}, ', ', 1) END AS model,
          CAST(CAST(c."amount_value" AS VARCHAR) AS DECIMAL(38,12)) AS amount
        FROM ${tables.sql('costs')} AS c ${join ? `LEFT JOIN ${tables.sql('projects')} AS p ON p."id" = c."project_id"` : ''}
        WHERE c."amount_value" IS NOT NULL AND c."date" IS NOT NULL`,
      });
    }
  }
  // Anthropic: analytics_cost, and the legacy cost_report for the days analytics_cost has no rows
  // (the same money is never counted twice). Both by workspace, named from `workspaces`.
  const ws = tables.has('workspaces') ? await cols('workspaces') : new Set<string>();
  const anthropic = (table: string, c: Set<string>, lineItem: string, where = ''): string => {
    const join = ws.has('id') && ws.has('name') && c.has('workspace_id');
    const wid = or(c, 't', 'workspace_id');
    return `SELECT 'Anthropic' AS provider, CAST(t."date" AS DATE) AS day, upper(coalesce(${or(c, 't', 'currency')}, 'USD')) AS currency,
          coalesce(${wid}, '') AS project_key, coalesce(${join ? 'w."name", ' : ''}${wid}, 'Default workspace') AS project,
          ${lineItem} AS line_item,
          coalesce(${or(c, 't', 'model')}, ${or(c, 't', 'cost_type')}, 'Other') AS model,
          CAST(CAST(t."amount_usd" AS VARCHAR) AS DECIMAL(38,12)) AS amount
        FROM ${tables.sql(table)} AS t ${join ? `LEFT JOIN ${tables.sql('workspaces')} AS w ON w."id" = t."workspace_id"` : ''}
        WHERE t."amount_usd" IS NOT NULL AND t."date" IS NOT NULL ${where}`;
  };
  if (analytics.use) {
    const c = analytics.columns;
    const parts = ['model', 'cost_type', 'token_type'].filter((k) => c.has(k)).map((k) => `t.${ident(k)}`);
    const lineItem = `coalesce(${parts.length > 0 ? `nullif(concat_ws(' · ', ${parts.join(', ')}), '')` : 'NULL'}, 'All costs')`;
    out.push({ provider: 'Anthropic', table: 'analytics_cost', select: anthropic('analytics_cost', c, lineItem) });
  }
  if (tables.has('cost_report')) {
    const c = await cols('cost_report');
    if (c.has('date') && c.has('amount_usd')) {
      const lineItem = `coalesce(${or(c, 't', 'description')}, ${or(c, 't', 'cost_type')}, 'All cost lines')`;
      out.push({
        provider: 'Anthropic',
        table: 'cost_report',
        ...(analytics.use
          ? {
              note: 'days without analytics_cost rows',
              select: anthropic(
                'cost_report',
                c,
                lineItem,
                `AND NOT EXISTS (SELECT 1 FROM ${tables.sql('analytics_cost')} AS a WHERE CAST(a."date" AS DATE) = CAST(t."date" AS DATE))`,
              ),
            }
          : { select: anthropic('cost_report', c, lineItem) }),
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
  c: Set<string>,
  tables: ReportTables,
  by: 'api_key' | 'actor',
  currency: string,
  from: string,
  to: string,
): Promise<Breakdown[]> {
  const key = by === 'api_key' ? 'api_key_id' : 'actor_id';
  if (!c.has(key) || (by === 'actor' && !c.has('actor'))) return [];
  const other = by === 'api_key' ? 'api_keys' : 'users';
  const oc = await tables.columns(other);
  const join = oc.has('id') && (oc.has('name') || oc.has('email'));
  const named = [
    ...(by === 'actor' ? [`json_extract_string(a."actor", '$.email')`, `json_extract_string(a."actor", '$.name')`] : []),
    ...(join ? ['email', 'name'].filter((k) => oc.has(k)).map((k) => `o.${ident(k)}`) : []),
  ];
  const kind = by === 'actor' ? `json_extract_string(a."actor", '$.type')` : 'NULL';
  const dec = (col: string): string => (c.has(col) ? `sum(CAST(CAST(a.${ident(col)} AS VARCHAR) AS DECIMAL(38,12)))` : 'NULL');
  const grouped = by === 'api_key' ? `a."api_key_id" IS NOT NULL` : `a."actor" IS NOT NULL`;
  const rows = await db.rows(
    `WITH a AS (SELECT * FROM ${tables.sql('analytics_cost')} WHERE upper(coalesce(${c.has('currency') ? '"currency"' : 'NULL'}, 'USD')) = ${quote(currency)}
        AND CAST("date" AS DATE) BETWEEN DATE ${quote(from)} AND DATE ${quote(to)} AND "amount_usd" IS NOT NULL),
      t AS (SELECT sum(CAST(CAST("amount_usd" AS VARCHAR) AS DECIMAL(38,12))) AS all_total FROM a)
    SELECT a.${ident(key)} AS k, ${kind} AS kind, ${named.length > 0 ? `any_value(coalesce(${named.join(', ')}))` : 'NULL'} AS name,
      CAST(${dec('amount_usd')} AS VARCHAR) AS period, CAST(${dec('list_amount_usd')} AS VARCHAR) AS list,
      CAST(round(${dec('amount_usd')} * 100 / nullif(any_value(t.all_total), 0), 1) AS VARCHAR) AS share
    FROM a ${join ? `LEFT JOIN ${tables.sql(other)} AS o ON o."id" = a.${ident(key)}` : ''}, t
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

export async function buildReport(db: Warehouse, o: ReportOptions): Promise<ReportData> {
  const tables = await reportTables(db);
  const analytics = await analyticsCost(db, tables);
  const sources = await spendSources(tables, analytics);
  const notes = analytics.why ? [analytics.why] : [];
  let lastSync: string | null = null;
  if (tables.states.length > 0) {
    const r = await db.rows(
      `SELECT strftime(max(updated_at), '%Y-%m-%d %H:%M UTC') AS t FROM (${tables.states.map((t) => `SELECT updated_at FROM ${t}`).join(' UNION ALL ')})`,
    );
    lastSync = r[0]?.t ? str(r[0].t) : null;
  }
  const empty: ReportData = {
    sources,
    currency: 'USD',
    otherCurrencies: [],
    first: null,
    last: null,
    periodStart: null,
    days: [],
    periodTotal: '0',
    byProject: [],
    byLineItem: [],
    month: { label: '', start: '', mtd: '0', prevLabel: '', prevSame: '0', prevFull: '0', changePct: null, dayOfMonth: 0 },
    cumulative: { current: [], previous: [] },
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
  const multi = sources.length > 1;
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

  const stacked = async (key: string, label: string, top: number): Promise<Series[]> => {
    const rows = await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}),
      totals AS (SELECT provider, ${key} AS k, any_value(${label}) AS label, sum(amount) AS total FROM p GROUP BY provider, ${key}),
      ranked AS (SELECT *, row_number() OVER (ORDER BY total DESC, provider, k) AS rank FROM totals QUALIFY rank <= ${top}),
      keyed AS (SELECT p.day, p.amount, r.provider, r.k, r.label, r.rank FROM p LEFT JOIN ranked AS r ON r.provider = p.provider AND r.k = p.${key})
      SELECT CAST(day AS VARCHAR) AS day, rank IS NULL AS other, coalesce(provider, '') AS provider, coalesce(k, '') AS k,
             coalesce(label, 'Other') AS label, coalesce(rank, ${top + 1}) AS rank, CAST(sum(amount) AS VARCHAR) AS amount
      FROM keyed GROUP BY ALL ORDER BY rank, day`);
    const series = new Map<string, Series>();
    for (const r of rows) {
      const id = r.other ? '\u0000other' : `${str(r.provider)}\u0000${str(r.k)}`;
      let s = series.get(id);
      if (!s) {
        const color = r.other ? OTHER_COLOR : (PALETTE[series.size % PALETTE.length] as string);
        s = { key: id, label: r.other ? 'Other' : multi ? `${str(r.provider)} · ${str(r.label)}` : str(r.label), color, values: new Map() };
        series.set(id, s);
      }
      s.values.set(str(r.day), str(r.amount));
    }
    // "Other" last (top of the stack).
    return [...series.values()].sort((a, b) => Number(a.key === '\u0000other') - Number(b.key === '\u0000other'));
  };
  const byProject = await stacked('project_key', 'project', 8);
  const byLineItem = await stacked('line_item', 'line_item', 8);

  // Month to date (the month of the latest day) against the same days of the previous month.
  const m = await q(`, b AS (SELECT date_trunc('month', ${L}) AS cs, date_trunc('month', ${L}) - INTERVAL 1 MONTH AS ps, dayofmonth(${L}) AS dom)
    SELECT strftime(b.cs, '%B %Y') AS label, strftime(b.ps, '%B %Y') AS prev_label, CAST(CAST(b.cs AS DATE) AS VARCHAR) AS start, b.dom AS dom,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day BETWEEN CAST(b.cs AS DATE) AND ${L}), 0) AS VARCHAR) AS mtd,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day >= CAST(b.ps AS DATE) AND day < CAST(b.cs AS DATE) AND dayofmonth(day) <= b.dom), 0) AS VARCHAR) AS prev_same,
      CAST(coalesce((SELECT sum(amount) FROM spend WHERE currency = ${C} AND day >= CAST(b.ps AS DATE) AND day < CAST(b.cs AS DATE)), 0) AS VARCHAR) AS prev_full
    FROM b`);
  const mr = m[0] ?? {};
  const mtd = str(mr.mtd);
  const prevSame = str(mr.prev_same);
  const change = await db.rows(
    `SELECT CASE WHEN CAST(? AS DECIMAL(38,12)) = 0 THEN NULL ELSE CAST(round((CAST(? AS DECIMAL(38,12)) - CAST(? AS DECIMAL(38,12))) * 100 / CAST(? AS DECIMAL(38,12)), 1) AS VARCHAR) END AS pct`,
    [prevSame, mtd, prevSame, prevSame],
  );
  const monthStart = str(mr.start);
  const cumulative = async (fromSql: string, toSql: string): Promise<string[]> => {
    const rows =
      await q(`, d AS (SELECT dayofmonth(day) AS dom, sum(amount) AS a FROM spend WHERE currency = ${C} AND day >= ${fromSql} AND day < ${toSql} GROUP BY 1),
      r AS (SELECT range AS dom FROM range(1, 32))
      SELECT r.dom, CAST(sum(coalesce(d.a, 0)) OVER (ORDER BY r.dom) AS VARCHAR) AS c FROM r LEFT JOIN d USING (dom) ORDER BY r.dom`);
    return rows.map((r) => str(r.c));
  };
  const ms = `DATE ${quote(monthStart)}`;
  const dom = Number(mr.dom ?? 0);
  const current = (await cumulative(ms, `${L} + 1`)).slice(0, dom);
  const prevDays = await q(`SELECT dayofmonth(${ms} - 1) AS n`);
  const previous = (await cumulative(`${ms} - INTERVAL 1 MONTH`, ms)).slice(0, Number(prevDays[0]?.n ?? 31));

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
  const daily = (
    await q(`, p AS (SELECT * FROM spend WHERE ${inPeriod}),
      d AS (SELECT day, sum(amount) AS total FROM p GROUP BY day),
      top AS (SELECT day, arg_max(project, a) AS project FROM (SELECT day, project_key, any_value(project) AS project, sum(amount) AS a FROM p GROUP BY day, project_key) GROUP BY day)
      SELECT CAST(d.day AS VARCHAR) AS day, CAST(d.total AS VARCHAR) AS total, top.project AS top FROM d JOIN top USING (day) ORDER BY d.day DESC`)
  ).map((r) => ({ day: str(r.day), total: str(r.total), top: str(r.top) }));
  const mtdDetail = (
    await q(`SELECT provider, any_value(project) AS project, line_item, CAST(sum(amount) AS VARCHAR) AS amount
      FROM spend WHERE currency = ${C} AND day BETWEEN ${ms} AND ${L}
      GROUP BY provider, project_key, line_item ORDER BY sum(amount) DESC, provider, project_key, line_item LIMIT 50`)
  ).map((r) => ({ provider: str(r.provider), project: str(r.project), lineItem: str(r.line_item), amount: str(r.amount) }));

  const byApiKey = analytics.use ? await analyticsBreakdown(db, analytics.columns, tables, 'api_key', currency, periodStart, last) : [];
  const byActor = analytics.use ? await analyticsBreakdown(db, analytics.columns, tables, 'actor', currency, periodStart, last) : [];

  return {
    sources,
    currency,
    otherCurrencies: cur.slice(1).map((r) => ({ currency: str(r.currency), total: str(r.total) })),
    first,
    last,
    periodStart,
    days,
    periodTotal,
    byProject,
    byLineItem,
    month: {
      label: str(mr.label),
      start: monthStart,
      mtd,
      prevLabel: str(mr.prev_label),
      prevSame,
      prevFull: str(mr.prev_full),
      changePct: change[0]?.pct === null || change[0]?.pct === undefined ? null : str(change[0].pct),
      dayOfMonth: dom,
    },
    cumulative: { current, previous },
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
    d.sources.length > 0 ? d.sources.map((s) => `${s.provider} (table <code>${esc(s.table)}</code>${s.note ? `, ${esc(s.note)}` : ''})`).join(', ') : 'none';
  const notes = d.notes.map((n) => `<p class="note" data-note>${esc(n)}</p>`).join('');
  const head = `<!doctype html>
<html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1">
<title>AI spend report</title>
<style>
:root{color-scheme:light;--fg:#111827;--muted:#6b7280;--line:#e5e7eb;--card:#f9fafb;--accent:#2563eb}
*{box-sizing:border-box}body{margin:0;font:14px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"Helvetica Neue",Arial,sans-serif;color:var(--fg);background:#fff}
main{max-width:1040px;margin:0 auto;padding:24px 20px 48px}h1{font-size:24px;margin:0 0 4px}h2{font-size:17px;margin:32px 0 8px}
.sub{color:var(--muted);margin:0}.cards{display:grid;grid-template-columns:repeat(auto-fit,minmax(220px,1fr));gap:12px;margin-top:20px}
.card{background:var(--card);border:1px solid var(--line);border-radius:10px;padding:14px 16px}.card .k{color:var(--muted);font-size:12px;text-transform:uppercase;letter-spacing:.04em}
.card .v{font-size:24px;font-weight:650;margin-top:4px;font-variant-numeric:tabular-nums}.card .n{color:var(--muted);font-size:12px;margin-top:2px}
.up{color:#b91c1c}.down{color:#15803d}svg.chart{width:100%;height:auto;display:block}svg .tick{font-size:11px;fill:#6b7280;text-anchor:middle}svg text.tick[text-anchor="end"]{text-anchor:end}
.legend{list-style:none;display:flex;flex-wrap:wrap;gap:6px 16px;padding:0;margin:6px 0 0;font-size:12px;color:#374151}.swatch{display:inline-block;width:10px;height:10px;border-radius:2px;margin-right:6px;vertical-align:-1px}
table{border-collapse:collapse;width:100%;font-variant-numeric:tabular-nums}th,td{text-align:left;padding:6px 8px;border-bottom:1px solid var(--line);vertical-align:top}th{font-size:12px;color:var(--muted);font-weight:600}
td.num,th.num{text-align:right;white-space:nowrap}.bar{display:inline-block;width:80px;height:8px;background:#eef2ff;border-radius:4px;vertical-align:middle;overflow:hidden}.bar span{display:block;height:100%;background:var(--accent)}
.note{color:var(--muted);font-size:12px}
.empty{padding:32px;border:1px dashed var(--line);border-radius:10px;color:var(--muted);margin-top:24px}code{font-size:12px}details{margin-top:8px}
</style></head><body><main>
<h1>AI spend report</h1>
<p class="sub">${esc(dbName)} · sources: ${sourcesText} · all dates UTC · generated ${esc(generated)}${d.lastSync ? ` · last sync ${esc(d.lastSync)}` : ''}</p>${notes}`;
  const foot = `<p class="note" style="margin-top:32px">Amounts are summed exactly as decimals in DuckDB; hover an amount for its exact value. Made by <code>report</code> from the tables written by <code>sync</code>.</p></main></body></html>\n`;
  if (d.sources.length === 0 || d.last === null) {
    return `${head}<div class="empty" id="empty">No spend yet: the database has no <code>costs</code> (OpenAI), <code>analytics_cost</code> or <code>cost_report</code> (Anthropic) table with rows. Run <code>sync</code> first.</div>${foot}`;
  }
  const pct = d.month.changePct;
  const changeHtml =
    pct === null
      ? 'no spend in the same days of the previous month'
      : `<span class="${pct.startsWith('-') ? 'down' : 'up'}">${pct.startsWith('-') ? '' : '+'}${esc(pct)}%</span> vs ${esc(d.month.prevLabel)} 1–${d.month.dayOfMonth}`;
  const others =
    d.otherCurrencies.length > 0
      ? `<p class="note">Charts and totals are in ${esc(cur)}; also present: ${d.otherCurrencies.map((o2) => money(o2.total, o2.currency)).join(', ')}.</p>`
      : '';
  const cards = `<section class="cards">
<div class="card"><div class="k">Last ${d.days.length} days</div><div class="v">${money(d.periodTotal, cur, 'total-period')}</div><div class="n">${esc(d.periodStart ?? '')} to ${esc(d.last)}</div></div>
<div class="card"><div class="k">${esc(d.month.label)} to date</div><div class="v">${money(d.month.mtd, cur, 'total-mtd')}</div><div class="n">${changeHtml}</div></div>
<div class="card"><div class="k">${esc(d.month.prevLabel)} 1–${d.month.dayOfMonth}</div><div class="v">${money(d.month.prevSame, cur, 'total-prev-same')}</div><div class="n">same days of the previous month</div></div>
<div class="card"><div class="k">${esc(d.month.prevLabel)} total</div><div class="v">${money(d.month.prevFull, cur, 'total-prev-month')}</div><div class="n">whole previous month</div></div>
</section>${others}`;
  const charts = `<h2>Daily spend by project</h2>${stackedBars('chart-projects', 'Daily spend by project', d.days, d.byProject, cur)}
<h2>Daily spend by line item</h2>${stackedBars('chart-line-items', 'Daily spend by line item', d.days, d.byLineItem, cur)}
<h2>${esc(d.month.label)} to date against ${esc(d.month.prevLabel)}</h2>${cumulativeLines(
    'chart-month',
    'Cumulative spend by day of month',
    [
      { label: `${d.month.prevLabel} (cumulative)`, color: '#9ca3af', dashed: true, points: d.cumulative.previous },
      { label: `${d.month.label} (cumulative)`, color: '#2563eb', points: d.cumulative.current },
    ],
    cur,
  )}`;
  const multi = d.sources.length > 1;
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
</tbody></table>`;
  const detail = `<h2>${esc(d.month.label)} to date by project and line item</h2><table id="mtd-detail"><thead><tr>${provH}<th>Project</th><th>Line item</th><th class="num">Spend</th></tr></thead><tbody>
${d.mtdDetail.map((r) => `<tr>${prov(r.provider)}<td>${esc(r.project)}</td><td>${esc(r.lineItem)}</td><td class="num">${money(r.amount, cur)}</td></tr>`).join('\n')}
</tbody></table><p class="note">The 50 largest combinations.</p>`;
  return `${head}${cards}${charts}${topProjects}${topModels}${byKey}${byActor}${daily}${detail}${foot}`;
}
