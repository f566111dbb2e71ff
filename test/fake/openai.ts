import { FakeServer, type JsonReply, type LoggedRequest } from './server.js';

/**
 * A faithful fake of OpenAI's organization admin API (costs today; usage and
 * entities build on the same org). Deterministic seeded data, parameters
 * validated as the OpenAPI excerpt says, and OpenAI's known pagination bugs:
 * a grouped query gets has_more:true with a next_page that then fails with
 * "The page token is invalid, have you modified the query parameters?", also on
 * pages whose last buckets are empty.
 */
export const DAY = 86_400;
export const API_KEY_ID_FLOOR = 1764979200;
const COST_DIMS = ['project_id', 'line_item', 'api_key_id'] as const;
export type CostDim = (typeof COST_DIMS)[number];
export const INVALID_TOKEN_MESSAGE = 'The page token is invalid, have you modified the query parameters?';

export interface OrgOptions {
  seed?: number;
  projects?: number;
  lineItems?: number;
  keysPerProject?: number;
  /** First day with data, unix seconds (UTC midnight). */
  firstDay: number;
  days: number;
  /** Every n-th day has no cost at all (0 = none). */
  emptyEvery?: number;
  adminKey?: string;
}

export interface CostBase {
  day: number;
  project_id: string | null;
  line_item: string;
  api_key_id: string | null;
  micros: number;
  quantity: number;
  unit: string;
}

function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const MODELS = ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'o3-2025-04-16', 'gpt-4.1-2025-04-14', 'text-embedding-3-small', 'gpt-image-1', 'whisper-1', 'tts-1', 'o4-mini-2025-04-16'];
const PARTS: Array<[string, string]> = [['input', 'tokens'], ['output', 'tokens'], ['cached input', 'tokens']];

export class OpenAiOrg {
  readonly projects: string[];
  readonly lineItems: Array<{ name: string; unit: string }>;
  readonly keys: Map<string | null, string[]>;
  readonly adminKey: string;
  readonly firstDay: number;
  readonly endDay: number;
  private readonly seed: number;
  private readonly emptyEvery: number;

  constructor(o: OrgOptions) {
    this.seed = o.seed ?? 42;
    this.firstDay = o.firstDay;
    this.endDay = o.firstDay + o.days * DAY;
    this.emptyEvery = o.emptyEvery ?? 7;
    this.adminKey = o.adminKey ?? 'sk-admin-fake-0123456789abcdef';
    this.projects = Array.from({ length: o.projects ?? 3 }, (_, i) => `proj_${String(i + 1).padStart(3, '0')}`);
    const n = o.lineItems ?? 4;
    this.lineItems = Array.from({ length: n }, (_, i) => {
      const model = MODELS[Math.floor(i / PARTS.length) % MODELS.length] as string;
      const [part, unit] = PARTS[i % PARTS.length] as [string, string];
      const round = Math.floor(i / (PARTS.length * MODELS.length));
      return { name: `${model}${round ? `-r${round}` : ''}, ${part}`, unit };
    });
    const kpp = o.keysPerProject ?? 2;
    this.keys = new Map<string | null, string[]>([
      ...this.projects.map((p, i): [string, string[]] => [p, Array.from({ length: kpp }, (_, k) => `key_${String(i + 1).padStart(3, '0')}_${k}`)]),
      [null, []],
    ]);
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
        rows.push({ day, project_id: project, line_item: item.name, api_key_id, micros: 1 + Math.floor(rand() * 5_000_000), quantity: 1 + Math.floor(rand() * 2_000_000), unit: item.unit });
      }
    }
    return rows;
  }

  /** Cost results for one day bucket as the API would send them. */
  costResults(day: number, groupBy: readonly CostDim[], filters: { projectIds?: string[]; apiKeyIds?: string[] } = {}): CostResult[] {
    const groups = new Map<string, { dims: Record<CostDim, string | null>; micros: number; quantity: number; unit: string | null }>();
    for (const row of this.costsOn(day)) {
      if (filters.projectIds?.length && !filters.projectIds.includes(row.project_id ?? '')) continue;
      if (filters.apiKeyIds?.length && !filters.apiKeyIds.includes(row.api_key_id ?? '')) continue;
      const dims = { project_id: null, line_item: null, api_key_id: null } as Record<CostDim, string | null>;
      for (const d of groupBy) dims[d] = row[d];
      const key = JSON.stringify(COST_DIMS.map((d) => dims[d]));
      const g = groups.get(key) ?? { dims, micros: 0, quantity: 0, unit: row.unit };
      g.micros += row.micros;
      g.quantity += row.quantity;
      groups.set(key, g);
    }
    const byLine = groupBy.includes('line_item');
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({
        object: 'organization.costs.result',
        amount: { value: g.micros / 1e6, currency: 'usd' },
        line_item: g.dims.line_item,
        project_id: g.dims.project_id,
        api_key_id: g.dims.api_key_id,
        quantity: byLine ? g.quantity : null,
        quantity_unit: byLine ? g.unit : null,
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
          quantity_unit: r.quantity_unit,
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
  quantity_unit: string | null;
}

export type ExpectedCost = Omit<CostResult, 'object' | 'amount'> & {
  start_time: number;
  end_time: number;
  date: string;
  amount_value: number;
  amount_currency: string;
};

const err = (status: number, message: string, param: string | null = null, code: string | null = null): JsonReply => ({
  status,
  body: { error: { message, type: 'invalid_request_error', param, code } },
});

/** group_by accepted repeated, as group_by[] and comma-joined, as OpenAI clients send it. */
export function arrayParam(q: URLSearchParams, name: string): string[] {
  return [...q.getAll(name), ...q.getAll(`${name}[]`)].flatMap((v) => v.split(',')).map((v) => v.trim()).filter(Boolean);
}

function intParam(q: URLSearchParams, name: string): number | null | 'bad' {
  const v = q.get(name);
  if (v === null) return null;
  return /^-?\d+$/.test(v) ? Number(v) : 'bad';
}

/** Fingerprint of every parameter but the cursor: a token is valid only for the same query. */
function fingerprint(q: URLSearchParams): string {
  const entries = [...q.entries()].filter(([k]) => k !== 'page').map(([k, v]) => `${k}=${v}`).sort();
  let h = 2166136261;
  for (const ch of entries.join('&')) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h.toString(16);
}

const encodeToken = (next: number, fp: string): string => `page_${Buffer.from(JSON.stringify({ n: next, f: fp })).toString('base64url')}`;
function decodeToken(token: string): { n: number; f: string } | null {
  try {
    const t = JSON.parse(Buffer.from(token.replace(/^page_/, ''), 'base64url').toString('utf8')) as { n: number; f: string };
    return typeof t.n === 'number' && typeof t.f === 'string' ? t : null;
  } catch {
    return null;
  }
}

export interface FakeOpenAiOptions extends OrgOptions {
  now?: () => number;
  /** Serve at most this many buckets per page whatever `limit` says (a server whose real maximum is lower). */
  truncateAt?: number;
  /** Answer 400 to a `limit` above this (a server refusing large responses). */
  refuseLimitAbove?: number;
}

export class FakeOpenAi extends FakeServer {
  readonly org: OpenAiOrg;

  constructor(readonly options: FakeOpenAiOptions) {
    const org = new OpenAiOrg(options);
    super((req) => this.route(req));
    this.org = org;
  }

  get baseUrl(): string {
    return `${this.url}/v1`;
  }

  private route(req: LoggedRequest): JsonReply {
    const auth = req.headers.authorization ?? '';
    const key = auth.startsWith('Bearer ') ? auth.slice(7) : '';
    if (key !== this.org.adminKey) {
      const masked = key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '*****';
      return {
        status: 401,
        body: { error: { message: `Incorrect API key provided: ${masked}. You can find your API key at https://platform.openai.com/account/api-keys.`, type: 'invalid_request_error', param: null, code: 'invalid_api_key' } },
      };
    }
    if (req.path === '/v1/organization/costs') return this.costs(req.query);
    return err(404, `Unknown request URL: GET ${req.path}.`, null, 'unknown_url');
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
    for (const g of groupBy) {
      if (!(COST_DIMS as readonly string[]).includes(g)) return err(400, `Invalid value for 'group_by': '${g}'. Supported values are: ${COST_DIMS.map((d) => `'${d}'`).join(', ')}.`, 'group_by');
    }
    const firstBucket = Math.floor(start / DAY) * DAY;
    if (groupBy.includes('api_key_id') && firstBucket < API_KEY_ID_FLOOR) {
      return err(400, `Grouping by api_key_id is only supported for start_time on or after ${API_KEY_ID_FLOOR}.`, 'group_by');
    }
    const fp = fingerprint(q);
    let from = firstBucket;
    const page = q.get('page');
    const grouped = groupBy.length > 0;
    if (page !== null) {
      const t = decodeToken(page);
      // Known bug: tokens handed out for grouped queries are never accepted.
      if (!t || t.f !== fp || grouped) return err(400, INVALID_TOKEN_MESSAGE, null, 'invalid_request_error');
      from = t.n;
    }
    const perPage = Math.min(limit, this.options.truncateAt ?? Infinity);
    const data: Array<{ object: string; start_time: number; end_time: number; results: CostResult[] }> = [];
    const filters = { projectIds: arrayParam(q, 'project_ids'), apiKeyIds: arrayParam(q, 'api_key_ids') };
    let t = from;
    for (; t < end && data.length < perPage; t += DAY) {
      data.push({ object: 'bucket', start_time: t, end_time: t + DAY, results: this.org.costResults(t, groupBy as CostDim[], filters) });
    }
    let hasMore = t < end;
    // Known bug: a grouped page that ends in empty buckets claims there is more.
    const last = data[data.length - 1];
    if (grouped && last && last.results.length === 0) hasMore = true;
    return { status: 200, body: { object: 'page', data, has_more: hasMore, next_page: hasMore ? encodeToken(t, fp) : null } };
  }
}
