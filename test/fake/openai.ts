import { FakeServer, type Fault, type JsonReply, type LoggedRequest } from './server.js';
import { arrayParam, err, intParam, INVALID_TOKEN_MESSAGE, reportPage } from './openai-http.js';
import { rng } from './random.js';
import {
  listReply,
  OrgDirectory,
  OrgUsage,
  usageEndpoint,
  usageReply,
  type ExpectedUsage,
  type KeyObject,
  type ProjectObject,
  type UsageFilters,
  type UsageResult,
  type UsageWidth,
  type UserObject,
} from './openai-usage.js';

export { arrayParam, INVALID_TOKEN_MESSAGE };

/**
 * A faithful fake of OpenAI's organization admin API: costs here, usage and the
 * entity lists (projects, users, project API keys) in openai-usage.ts, all on
 * the same org. Deterministic seeded data, parameters
 * validated as the OpenAPI excerpt says, and OpenAI's known pagination bugs:
 * a grouped query gets has_more:true with a next_page that then fails with
 * "The page token is invalid, have you modified the query parameters?", also on
 * pages whose last buckets are empty.
 */
export const DAY = 86_400;
export const API_KEY_ID_FLOOR = 1764979200;
const COST_DIMS = ['project_id', 'line_item', 'api_key_id'] as const;
export type CostDim = (typeof COST_DIMS)[number];

/** `d` as a costs dimension; throws for any other (a test's grouping that the costs endpoint does not take). */
export function costDim(d: string): CostDim {
  const found = COST_DIMS.find((c) => c === d);
  if (found === undefined) throw new Error(`not a costs dimension: ${d}`);
  return found;
}

export interface OrgOptions {
  seed?: number;
  projects?: number;
  lineItems?: number;
  keysPerProject?: number;
  /** First day with data, unix seconds (UTC midnight). */
  firstDay: number;
  days: number;
  /** Line items after the first `lineItems` (a model missing from the list prices: its name as the API writes it, and its quantity_unit). */
  extraLineItems?: ReadonlyArray<{ name: string; unit: string }>;
  /** Leave `quantity_unit` out of every costs result, as the live API did before the field was added (2026-08-21). */
  omitQuantityUnit?: boolean;
  /** Every n-th day has no cost at all (0 = none). */
  emptyEvery?: number;
  adminKey?: string;
  /** Projects without cost besides the `projects` with cost (every third archived). Default 22. */
  extraProjects?: number;
  /** Members of the org. Default 48. */
  users?: number;
  /** Never-used keys listed in every project. Default 1. */
  idleKeysPerProject?: number;
  /**
   * Every n-th day (day index % n === 1) that has cost also has a credit: a negative line item
   * (`CREDIT_LINE_ITEM`) in the first project, so FOCUS ChargeCategory `Credit` is exercised. Default 3; 0 = none.
   */
  creditEvery?: number;
  /**
   * Plant PLANTED_NANOS on the org's first day (default true: the tests want those unkind amounts).
   * `npm run fake-api` and `npm run demo` turn it off, so a newcomer's first report is not one
   * $12,345.68 line item.
   */
  plantedAmounts?: boolean;
}

export interface CostBase {
  day: number;
  project_id: string | null;
  line_item: string;
  api_key_id: string | null;
  /** Cost in nano-dollars (1e-9 USD): amounts carry up to 9 decimals, and every sum is an exact integer. */
  nanos: number;
  quantity: number;
  unit: string;
}

/**
 * The org's line items, in the order `lineItems` takes them: written as the live costs API writes them
 * (`<model>, <token type>`; Batch API usage as `batch api | <model>, <token type>`, the prefix seen on
 * live line items), every one a model and token type OpenAI publishes a per-token price for, so each
 * has an entry in connector/prices/list-prices.ts (test/unit/openai-spend.test.ts fails otherwise).
 * The first four hold a batch and a standard line item of the same model and token type. Past the
 * end, rounds repeat the list with `-r<n>` models: invented, unpriced (a WARN line per price point).
 */
export const LINE_ITEMS: ReadonlyArray<{ surface?: string; model: string; meter: string }> = [
  { model: 'gpt-4o-2024-08-06', meter: 'input' },
  { model: 'gpt-4o-2024-08-06', meter: 'output' },
  { model: 'gpt-4o-2024-08-06', meter: 'cached input' },
  { surface: 'batch api', model: 'gpt-4o-2024-08-06', meter: 'input' },
  { model: 'gpt-4o-mini-2024-07-18', meter: 'input' },
  { model: 'gpt-4o-mini-2024-07-18', meter: 'output' },
  { model: 'gpt-4o-mini-2024-07-18', meter: 'cached input' },
  { surface: 'batch api', model: 'gpt-4o-2024-08-06', meter: 'output' },
  { model: 'text-embedding-3-small', meter: 'input' },
  { model: 'gpt-4.1-2025-04-14', meter: 'input' },
  { model: 'gpt-4.1-2025-04-14', meter: 'output' },
  { surface: 'batch api', model: 'gpt-4o-mini-2024-07-18', meter: 'input' },
  { surface: 'batch api', model: 'gpt-4o-mini-2024-07-18', meter: 'output' },
  { model: 'o3-2025-04-16', meter: 'input' },
  { model: 'o3-2025-04-16', meter: 'output' },
  { surface: 'batch api', model: 'text-embedding-3-small', meter: 'input' },
  { model: 'o4-mini-2025-04-16', meter: 'input' },
  { model: 'o4-mini-2025-04-16', meter: 'output' },
  { surface: 'batch api', model: 'gpt-4.1-2025-04-14', meter: 'input' },
  { surface: 'batch api', model: 'gpt-4.1-2025-04-14', meter: 'output' },
];
/** Every line item of LINE_ITEMS counts tokens (the costs API's quantity_unit). */
const TOKENS = 'tokens';
/**
 * The line item of a credit (a negative amount given back, e.g. a promotional credit or a refund): its
 * own line item, so grouped by line item it is a negative result; grouped by project only it nets into
 * the project's day. How the live API reports credits is not documented; the fake takes the form that
 * reaches FOCUS rows as they are.
 */
export const CREDIT_LINE_ITEM = 'Promotional credit';
/** Amounts (nano-dollars) of the first rows of the org's first day: $0.00000012 and $12,345.678901234. */
export const PLANTED_NANOS = [120, 12_345_678_901_234] as const;

export class OpenAiOrg {
  readonly projects: string[];
  readonly lineItems: Array<{ name: string; unit: string }>;
  readonly keys: Map<string | null, string[]>;
  /**
   * Keys deleted since they were used: in costs (and usage) under their id, in no project's key
   * list, so they have no name. The second key of the first project (when it has two).
   */
  readonly deletedKeys: ReadonlySet<string>;
  readonly adminKey: string;
  readonly firstDay: number;
  readonly endDay: number;
  readonly seed: number;
  private readonly emptyEvery: number;
  private readonly creditEvery: number;
  private readonly plantedAmounts: boolean;
  private readonly omitQuantityUnit: boolean;
  private readonly directory: () => OrgDirectory;
  readonly usage: OrgUsage;

  constructor(o: OrgOptions) {
    this.seed = o.seed ?? 42;
    this.firstDay = o.firstDay;
    this.endDay = o.firstDay + o.days * DAY;
    this.emptyEvery = o.emptyEvery ?? 7;
    this.creditEvery = o.creditEvery ?? 3;
    this.plantedAmounts = o.plantedAmounts ?? true;
    this.omitQuantityUnit = o.omitQuantityUnit ?? false;
    this.adminKey = o.adminKey ?? 'sk-admin-fake-0123456789abcdef';
    this.projects = Array.from({ length: o.projects ?? 3 }, (_, i) => `proj_${String(i + 1).padStart(3, '0')}`);
    const n = o.lineItems ?? 4;
    this.lineItems = [
      ...Array.from({ length: n }, (_, i) => {
        const item = LINE_ITEMS[i % LINE_ITEMS.length] as (typeof LINE_ITEMS)[number];
        const round = Math.floor(i / LINE_ITEMS.length);
        return { name: `${item.surface ? `${item.surface} | ` : ''}${item.model}${round ? `-r${round}` : ''}, ${item.meter}`, unit: TOKENS };
      }),
      ...(o.extraLineItems ?? []),
    ];
    const kpp = o.keysPerProject ?? 2;
    this.keys = new Map<string | null, string[]>([
      ...this.projects.map((p, i): [string, string[]] => [p, Array.from({ length: kpp }, (_, k) => `key_${String(i + 1).padStart(3, '0')}_${k}`)]),
      [null, []],
    ]);
    const second = this.keys.get(this.projects[0] ?? '')?.[1];
    this.deletedKeys = new Set(second === undefined ? [] : [second]);
    let dir: OrgDirectory | undefined;
    this.directory = () =>
      (dir ??= new OrgDirectory(this, { extraProjects: o.extraProjects ?? 22, users: o.users ?? 48, idleKeysPerProject: o.idleKeysPerProject ?? 1 }));
    this.usage = new OrgUsage(this, () => this.directory().users.map((u) => u.id));
  }

  /** Every project, archived included, in creation order: those with cost first. */
  projectsList(): ProjectObject[] {
    return this.directory().projects;
  }

  usersList(): UserObject[] {
    return this.directory().users;
  }

  /** The keys of a project (undefined for an unknown project). */
  apiKeys(projectId: string): KeyObject[] | undefined {
    return this.directory().apiKeys(projectId);
  }

  /** The full secret of a key: what must never appear in the connector's output. */
  apiKeyValue(id: string): string | undefined {
    return this.directory().keyValue(id);
  }

  /** Usage results of one bucket as the API sends them. */
  usageResults(endpoint: string, start: number, width: UsageWidth, groupBy: readonly string[], filters: UsageFilters = {}): UsageResult[] {
    return this.usage.results(usageEndpoint(endpoint), start, width, groupBy, filters);
  }

  /** Ground truth: the usage_<endpoint> records a connector must emit for [start, end). */
  expectedUsage(stream: string, start: number, end: number, width: UsageWidth, groupBy: readonly string[], filters: UsageFilters = {}): ExpectedUsage[] {
    return this.usage.expected(stream, start, end, width, groupBy, filters);
  }

  /** The finest-grain cost rows of one day (deterministic per day). Null project = unattributed spend. */
  costsOn(day: number): CostBase[] {
    if (day < this.firstDay || day >= this.endDay) return [];
    const index = (day - this.firstDay) / DAY;
    if (this.emptyEvery > 0 && index % this.emptyEvery === this.emptyEvery - 1) return [];
    const rand = rng(this.seed * 1_000_003 + index);
    const rows: CostBase[] = [];
    for (const project of [...this.projects, null]) {
      for (const [li, item] of this.lineItems.entries()) {
        if (project === null && li % 3 !== 0) continue;
        if (rand() < 0.2) continue;
        const keys = this.keys.get(project) ?? [];
        const api_key_id = keys.length && day >= API_KEY_ID_FLOOR ? (keys[Math.floor(rand() * keys.length)] as string) : null;
        rows.push({
          day,
          project_id: project,
          line_item: item.name,
          api_key_id,
          nanos: 1 + Math.floor(rand() * 5_000_000_000),
          quantity: 1 + Math.floor(rand() * 2_000_000),
          unit: item.unit,
        });
      }
    }
    // The org's first day plants amounts a float-minded connector would mangle: below a micro-dollar
    // (sent as 1.2e-7) and with 14 significant digits. Tests only (plantedAmounts).
    if (this.plantedAmounts) for (const [i, nanos] of PLANTED_NANOS.entries()) if (index === 0 && rows[i]) rows[i].nanos = nanos;
    // A credit on some days: negative, far below the day's charges (a day's total stays positive).
    if (this.creditEvery > 0 && index % this.creditEvery === 1 && rows.length > 0) {
      rows.push({
        day,
        project_id: this.projects[0] ?? null,
        line_item: CREDIT_LINE_ITEM,
        api_key_id: null,
        nanos: -(1 + Math.floor(rand() * 100_000_000)),
        quantity: 1,
        unit: 'credits',
      });
    }
    return rows;
  }

  /** Cost results for one day bucket as the API would send them. */
  costResults(day: number, groupBy: readonly CostDim[], filters: { projectIds?: string[]; apiKeyIds?: string[] } = {}): CostResult[] {
    const groups = new Map<string, { dims: Record<CostDim, string | null>; nanos: number; quantity: number; unit: string | null }>();
    for (const row of this.costsOn(day)) {
      if (filters.projectIds?.length && !filters.projectIds.includes(row.project_id ?? '')) continue;
      if (filters.apiKeyIds?.length && !filters.apiKeyIds.includes(row.api_key_id ?? '')) continue;
      const dims = { project_id: null, line_item: null, api_key_id: null } as Record<CostDim, string | null>;
      for (const d of groupBy) dims[d] = row[d];
      const key = JSON.stringify(COST_DIMS.map((d) => dims[d]));
      const g = groups.get(key) ?? { dims, nanos: 0, quantity: 0, unit: row.unit };
      g.nanos += row.nanos;
      g.quantity += row.quantity;
      groups.set(key, g);
    }
    const byLine = groupBy.includes('line_item');
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({
        object: 'organization.costs.result',
        // One division of exact integers: the double nearest the decimal, which JSON prints as that decimal.
        amount: { value: g.nanos / 1e9, currency: 'usd' },
        line_item: g.dims.line_item,
        project_id: g.dims.project_id,
        api_key_id: g.dims.api_key_id,
        quantity: byLine ? g.quantity : null,
        ...(this.omitQuantityUnit ? {} : { quantity_unit: byLine ? g.unit : null }),
      }));
  }

  /** Ground truth: the `costs` records a connector must emit for [start, end). */
  expectedCosts(start: number, end: number, groupBy: readonly CostDim[], filters: { projectIds?: string[]; apiKeyIds?: string[] } = {}): ExpectedCost[] {
    const out: ExpectedCost[] = [];
    for (let day = start; day < end; day += DAY) {
      for (const r of this.costResults(day, groupBy, filters)) {
        out.push({
          start_time: day,
          end_time: day + DAY,
          date: new Date(day * 1000).toISOString().slice(0, 10),
          project_id: r.project_id,
          line_item: r.line_item,
          api_key_id: r.api_key_id,
          amount_value: r.amount.value,
          amount_currency: r.amount.currency,
          quantity: r.quantity,
          quantity_unit: r.quantity_unit ?? null,
        });
      }
    }
    return out;
  }
}

export interface CostResult {
  object: string;
  amount: { value: number; currency: string };
  line_item: string | null;
  project_id: string | null;
  api_key_id: string | null;
  quantity: number | null;
  /** Absent with `omitQuantityUnit`. */
  quantity_unit?: string | null;
}

export type ExpectedCost = Omit<CostResult, 'object' | 'amount'> & {
  start_time: number;
  end_time: number;
  date: string;
  amount_value: number;
  amount_currency: string;
};

export interface FakeOpenAiOptions extends OrgOptions {
  now?: () => number;
  /** Serve at most this many buckets per page whatever `limit` says (a server whose real maximum is lower). */
  truncateAt?: number;
  /** Answer 400 to a `limit` above this (a server refusing large responses). */
  refuseLimitAbove?: number;
  /** Serve at most this many items per entity list page whatever `limit` says. */
  listPageCap?: number;
  /** Send each key's full secret as `value` in key lists (the real API does not): a connector must drop it. */
  leakKeyValues?: boolean;
  /**
   * Projects deleted just after the project list was served: still listed, but their api_keys list
   * answers 404 `No project found`, as for any unknown project; with `midList`, only the pages after
   * the first (deleted while its keys were being listed).
   */
  deletedProjects?: { ids: readonly string[]; midList?: boolean };
  /**
   * Deleted upstream, for a later sync (set it between two): these projects and users are no longer
   * listed, and a removed project's key list answers 404 `No project found`, as for any unknown project.
   */
  removed?: { projects?: readonly string[]; users?: readonly string[] } | undefined;
  /**
   * costs with group_by=api_key_id, which the spec allows but field reports disagree on:
   * 'refused' (default, the stricter report: refused on costs altogether, PostHog/posthog#71784),
   * 'floor' (refused for windows starting before 1764979200, the 400 naming that epoch,
   * langwatch/langwatch#7579) or 'allowed' (the spec).
   */
  apiKeyIdGrouping?: 'refused' | 'floor' | 'allowed';
  /** Leave out a field the spec requires, on report pages (costs, usage) from the bucket starting at `from` on. */
  malformed?: Malformation & { from?: number };
  /** Keep the text of every response body in `bodies` (to compare raw numbers with the connector's output). */
  recordBodies?: boolean;
}

/**
 * Report pages with a required field left out. `result` is the bucket key OpenAI's own API
 * reference uses in one place instead of the spec's `results`.
 */
export type Malformation = { kind: 'bucket_key_result' } | { kind: 'no_has_more' } | { kind: 'no_next_page' } | { kind: 'no_required_metric'; metric: string };

interface ReportBody {
  data: Array<{ start_time: number; results?: Array<Record<string, unknown>>; result?: unknown }>;
  has_more?: boolean;
  next_page?: string | null;
}

/** The refusals of group_by=api_key_id on costs (the live wording is not published; the body is OpenAI's Error). */
export const COSTS_GROUP_BY_REFUSED = `Invalid value for 'group_by': 'api_key_id'. Supported values are: 'project_id', 'line_item'.`;
export const API_KEY_ID_FLOOR_MESSAGE = `Grouping by api_key_id is only supported for start_time on or after ${API_KEY_ID_FLOOR}.`;

/**
 * An OpenAI error with `x-should-retry`, the header OpenAI's and Anthropic's APIs send and openai-node
 * obeys over the status: `false` on a status that is otherwise retried, `true` on one that is not.
 */
export function shouldRetryFault(status: number, shouldRetry: boolean): Fault {
  const body = { error: { message: `The server could not complete the request (HTTP ${status}).`, type: 'server_error', param: null, code: null } };
  return { kind: 'status', status, body: JSON.stringify(body), headers: { 'x-should-retry': String(shouldRetry) } };
}

/** OpenAI's 429: the spec makes Retry-After optional ("may be omitted for 429 responses that require user action"). */
export function rateLimitFault(retryAfterSeconds?: number): Fault {
  const body = { error: { message: 'Rate limit reached for requests. Please try again later.', type: 'requests', param: null, code: 'rate_limit_exceeded' } };
  return {
    kind: 'status',
    status: 429,
    body: JSON.stringify(body),
    ...(retryAfterSeconds === undefined ? {} : { headers: { 'retry-after': String(retryAfterSeconds) } }),
  };
}

export class FakeOpenAi extends FakeServer {
  readonly org: OpenAiOrg;
  /** With recordBodies: every response body as sent, in order. */
  readonly bodies: Array<{ path: string; text: string }> = [];

  constructor(readonly options: FakeOpenAiOptions) {
    const org = new OpenAiOrg(options);
    super((req) => this.route(req));
    this.org = org;
  }

  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  private route(req: LoggedRequest): JsonReply {
    const reply = this.dispatch(req);
    if (this.options.recordBodies) this.bodies.push({ path: req.path, text: JSON.stringify(reply.body) });
    return reply;
  }

  private dispatch(req: LoggedRequest): JsonReply {
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (key !== this.org.adminKey) {
      const masked = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '*****';
      return {
        status: 401,
        body: {
          error: {
            message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`,
            type: 'invalid_request_error',
            param: null,
            code: 'invalid_api_key',
          },
        },
      };
    }
    if (req.path === '/v1/organization/costs') return this.malform(this.costs(req.query));
    const now = Math.floor((this.options.now ?? Date.now)() / 1000);
    const usage = /^\/v1\/organization\/usage\/([^/]+)$/.exec(req.path);
    if (usage) {
      return this.malform(
        usageReply(this.org.usage, usage[1] as string, req.query, {
          now,
          truncateAt: this.options.truncateAt,
          refuseLimitAbove: this.options.refuseLimitAbove,
        }),
      );
    }
    // The legacy usage endpoints (QuantumNous/new-api#4994): dashboard/billing refuses API keys
    // with a 403 (the body seen by Grt1228/chatgpt-java#194), /v1/usage is gone.
    if (req.path.startsWith('/v1/dashboard/billing/')) {
      const message = `Your request to GET ${req.path} must be made with a session key (that is, it can only be made from the browser). You made it with the following key type: secret.`;
      return { status: 403, body: { error: { message, type: 'server_error', param: null, code: null } } };
    }
    const list = { pageCap: this.options.listPageCap };
    if (req.path === '/v1/organization/projects') {
      const archived = req.query.get('include_archived') ?? 'false';
      if (!['true', 'false'].includes(archived)) return err(400, "Invalid 'include_archived': expected a boolean.", 'include_archived');
      const projects = this.org.projectsList().filter((p) => (archived === 'true' || p.status === 'active') && !this.options.removed?.projects?.includes(p.id));
      return listReply(projects, req.query, ['include_archived'], list);
    }
    if (req.path === '/v1/organization/users') {
      const emails = arrayParam(req.query, 'emails');
      const users = this.org.usersList().filter((u) => (emails.length === 0 || emails.includes(u.email)) && !this.options.removed?.users?.includes(u.id));
      return listReply(users, req.query, ['emails', 'emails[]'], list);
    }
    const keys = /^\/v1\/organization\/projects\/([^/]+)\/api_keys$/.exec(req.path);
    if (keys) {
      const projectId = decodeURIComponent(keys[1] as string);
      const items = this.org.apiKeys(projectId);
      if (!items || this.deletedBeforeThisPage(projectId, req.query) || this.options.removed?.projects?.includes(projectId))
        return err(404, `No project found with id '${projectId}'.`, null, 'not_found');
      const served = this.options.leakKeyValues ? items.map((k) => ({ ...k, value: this.org.apiKeyValue(k.id) })) : items;
      return listReply(served, req.query, ['owner_project_access'], list);
    }
    // The live text, also for a path without /v1 (a base_url missing it): nomic-ai/gpt4all#3214.
    return err(
      404,
      `Unknown request URL: GET ${req.path}. Please check the URL for typos, or see the docs at https://platform.openai.com/docs/api-reference/.`,
      null,
      'unknown_url',
    );
  }

  /** The `deletedProjects` switch: whether the project is gone by the time this page of its key list is asked for. */
  private deletedBeforeThisPage(projectId: string, q: URLSearchParams): boolean {
    const d = this.options.deletedProjects;
    return d?.ids.includes(projectId) === true && (!d.midList || q.has('after'));
  }

  /** The `malformed` switch: a good report page with a required field left out. */
  private malform(reply: JsonReply): JsonReply {
    const m = this.options.malformed;
    if (!m || reply.status !== 200) return reply;
    const body = reply.body as ReportBody;
    const hit = body.data.filter((b) => b.start_time >= (m.from ?? -Infinity));
    if (hit.length === 0) return reply;
    switch (m.kind) {
      case 'bucket_key_result':
        for (const b of hit) {
          b.result = b.results;
          delete b.results;
        }
        break;
      case 'no_has_more':
        delete body.has_more;
        break;
      case 'no_next_page':
        delete body.next_page;
        break;
      case 'no_required_metric':
        for (const b of hit) for (const r of b.results ?? []) delete r[m.metric];
        break;
    }
    return reply;
  }

  private costs(q: URLSearchParams): JsonReply {
    const start = intParam(q, 'start_time');
    if (start === null) return err(400, "Missing required parameter: 'start_time'.", 'start_time');
    if (start === 'bad' || start < 0) return err(400, "Invalid 'start_time': expected an integer unix timestamp.", 'start_time');
    const endParam = intParam(q, 'end_time');
    if (endParam === 'bad') return err(400, "Invalid 'end_time': expected an integer unix timestamp.", 'end_time');
    const now = Math.floor((this.options.now ?? Date.now)() / 1000);
    const end = endParam ?? now;
    if (end <= start) return err(400, "'end_time' must be after 'start_time'.", 'end_time');
    const width = q.get('bucket_width') ?? '1d';
    if (width !== '1d') return err(400, `Invalid value for 'bucket_width': '${width}'. Supported values are: '1d'.`, 'bucket_width');
    const limitParam = intParam(q, 'limit');
    if (limitParam === 'bad') return err(400, "Invalid 'limit': expected an integer.", 'limit');
    const limit = limitParam ?? 7;
    if (limit < 1 || limit > 180) return err(400, `Invalid limit provided: ${limit}. Limit must be less than or equal to 180.`, 'limit');
    if (this.options.refuseLimitAbove !== undefined && limit > this.options.refuseLimitAbove) {
      return err(400, 'The response would be too large; request fewer buckets.', 'limit');
    }
    const groupBy = arrayParam(q, 'group_by');
    const keyGrouping = this.options.apiKeyIdGrouping ?? 'refused';
    const supported = keyGrouping === 'refused' ? COST_DIMS.filter((d) => d !== 'api_key_id') : COST_DIMS;
    for (const g of groupBy) {
      if (!(supported as readonly string[]).includes(g))
        return err(400, `Invalid value for 'group_by': '${g}'. Supported values are: ${supported.map((d) => `'${d}'`).join(', ')}.`, 'group_by');
    }
    const firstBucket = Math.floor(start / DAY) * DAY;
    if (groupBy.includes('api_key_id') && keyGrouping === 'floor' && firstBucket < API_KEY_ID_FLOOR) return err(400, API_KEY_ID_FLOOR_MESSAGE, 'group_by');
    const filters = { projectIds: arrayParam(q, 'project_ids'), apiKeyIds: arrayParam(q, 'api_key_ids') };
    return reportPage(q, {
      first: firstBucket,
      end,
      step: DAY,
      perPage: Math.min(limit, this.options.truncateAt ?? Infinity),
      grouped: groupBy.length > 0,
      results: (t) => this.org.costResults(t, groupBy as CostDim[], filters),
    });
  }
}
