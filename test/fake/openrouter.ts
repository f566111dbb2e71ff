import { rng, shortHash } from './random.js';
import { FakeServer, presentedKey, type JsonReply, type LoggedRequest } from './server.js';
import { decimalOf } from '../support/number-text.js';

/**
 * A fake of OpenRouter's management API (shared/reference/openrouter-xai-fireworks.md section 1,
 * specs/openrouter.openapi.yaml), unkind by default, reproducing the reference's list (1.11):
 *
 * - Bearer auth: 401 {"error":{"code":401,"message":"Missing Authentication header"}} without a known key;
 *   403 "Only management keys can perform this operation" for an inference key (`inferenceKeys`);
 * - GET /activity: the last 30 completed UTC days of the fake clock (`now`), one date per request or all 30
 *   without `date`; today, a day older than 30 days and a malformed date are 400 with the exact body
 *   {"error":{"message":"Date must be within the last 30 (completed) UTC days","code":400}}; no pagination;
 * - amounts as doubles with float noise (0.30000000000000004) and exponent notation (2.5e-7), rows with both
 *   usage and byok_usage_inference, `date` as "YYYY-MM-DD" or "YYYY-MM-DD 00:00:00", reasoning_tokens
 *   sometimes above completion_tokens, unknown extra fields (variant, byok_requests);
 * - POST /analytics/query: at most 2 dimensions (400 with the zod message), at most 365 days per query,
 *   time_range end exclusive (INFERRED), counts as strings, unused components null, the time key
 *   date__day or created_at__day with an ISO or a date-only value, rows time-descending, `truncated`
 *   when the rows exceed `limit` (default 1000, max 10,000), cachedAt on a repeated query, a 429 with
 *   X-RateLimit-* and Retry-After and a 408 (`throttleAnalytics`: the first analytics requests);
 * - GET /workspaces (offset, limit <= 100, total_count), GET /keys (100 per page by offset, newest first,
 *   the default workspace unless workspace_id, disabled keys only with include_disabled "true"), GET /credits;
 * - a Cloudflare HTML 524 once (`cloudflare524`: on the 3rd /activity request).
 *
 * Ground truth is one ledger (`rows`): /activity serves its rows (`lateChanges`: partial until 30 minutes after
 * their day), analytics sums them per day and model, /credits sums all usage. Not reproduced:
 * group_by=workspace, the api_key_hash/user_id filters.
 */
export const DAY = 86_400;
export const WINDOW_MESSAGE = 'Date must be within the last 30 (completed) UTC days';
export const FORBIDDEN_MESSAGE = 'Only management keys can perform this operation';
export const MISSING_AUTH_MESSAGE = 'Missing Authentication header';
export const DIMENSIONS_MESSAGE = 'dimensions: Too big: expected array to have <=2 items';
const ACTIVITY_DAYS = 30;
const ANALYTICS_MAX_DAYS = 365;

/** One ledger row: a UTC day x model x endpoint, as /activity serves it (amounts as the doubles sent). */
export interface LedgerRow {
  day: number;
  model: string;
  model_permaslug: string;
  endpoint_id: string;
  provider_name: string;
  usage: number;
  byok_usage_inference: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}

const MODELS: ReadonlyArray<{ model: string; permaslug: string; endpoints: ReadonlyArray<{ id: string; provider: string }> }> = [
  {
    model: 'openai/gpt-4.1',
    permaslug: 'openai/gpt-4.1-2025-04-14',
    endpoints: [
      { id: '550e8400-e29b-41d4-a716-446655440000', provider: 'OpenAI' },
      { id: '6f1c2d3e-4b5a-4c6d-8e7f-901a2b3c4d5e', provider: 'Azure' },
    ],
  },
  {
    model: 'anthropic/claude-sonnet-4',
    permaslug: 'anthropic/claude-4-sonnet-20250522',
    endpoints: [
      { id: '0a1b2c3d-4e5f-4a6b-9c7d-8e9f0a1b2c3d', provider: 'Anthropic' },
      { id: '1b2c3d4e-5f6a-4b7c-8d9e-0f1a2b3c4d5e', provider: 'Amazon Bedrock' },
    ],
  },
  { model: 'deepseek/deepseek-r1', permaslug: 'deepseek/deepseek-r1', endpoints: [{ id: '2c3d4e5f-6a7b-4c8d-9e0f-1a2b3c4d5e6f', provider: 'Together' }] },
  {
    model: 'google/gemini-2.5-flash',
    permaslug: 'google/gemini-2.5-flash',
    endpoints: [{ id: '3d4e5f6a-7b8c-4d9e-8f0a-2b3c4d5e6f7a', provider: 'Google AI Studio' }],
  },
  {
    model: 'meta-llama/llama-3.3-70b-instruct:free',
    permaslug: 'meta-llama/llama-3.3-70b-instruct',
    endpoints: [{ id: '4e5f6a7b-8c9d-4e0f-9a1b-3c4d5e6f7a8b', provider: 'Chutes' }],
  },
];

/** An amount with the noise a JavaScript backend sends: sums of tenths (0.1 + 0.2), tiny costs (exponent form), zeros. */
function amount(r: () => number): number {
  const pick = r();
  if (pick < 0.1) return 0;
  if (pick < 0.25) return Math.round(1 + r() * 9) * 1e-7 * (r() < 0.5 ? 2.5 : 1); // 2.5e-7, 1e-7 ...
  if (pick < 0.5) return 0.1 * Math.round(1 + r() * 30) + 0.2; // 0.30000000000000004 and kin
  return Math.round(r() * 1e9) / 1e7;
}

export interface FakeOpenRouterOptions {
  /** The first ledger day (unix seconds, a UTC midnight); default 400 days before today. */
  firstDay?: number;
  /** The end of the ledger (exclusive); default today + 1 day (today's rows exist but are never served). */
  endDay?: number;
  /** The management key(s) accepted. */
  keys: readonly string[];
  /** Inference keys: known, but refused (403) by every management endpoint. */
  inferenceKeys?: readonly string[];
  seed?: number;
  /** The fake clock (ms); default Date.now. */
  now?: () => number;
  /** A 429 then a 408 on the first analytics requests (default true). */
  throttleAnalytics?: boolean;
  /** An HTML 524 on the 3rd /activity request (default true). */
  cloudflare524?: boolean;
  /** Workspaces beyond the default one (default 2) and keys per workspace (default 3; the first 150 to exercise paging). */
  workspaces?: number;
  keysPerWorkspace?: number;
  /** Total credits purchased (default 5000). */
  totalCredits?: number;
  /**
   * Late changes (reference 1.11 item 3): until 30 minutes after a day ends (by the fake clock), a quarter of
   * its rows report half their usage (requests that started before midnight still running); default false.
   */
  lateChanges?: boolean;
}

const err = (status: number, message: string, headers?: Record<string, string>): JsonReply => ({
  status,
  body: { error: { code: status, message, metadata: null }, user_id: null },
  ...(headers ? { headers } : {}),
});

const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const startOfDay = (ms: number): number => Math.floor(ms / 1000 / DAY) * DAY;

export class FakeOpenRouter extends FakeServer {
  readonly rows: LedgerRow[] = [];
  /** The fake clock (ms); a test may move it. */
  now: () => number;
  private readonly lateChanges: boolean;
  readonly workspaceList: Array<Record<string, unknown>> = [];
  readonly keyList: Array<Record<string, unknown>> = [];
  readonly totalCredits: number;
  private readonly keys: Set<string>;
  private readonly inference: Set<string>;
  private readonly queries = new Set<string>();
  private analyticsThrottled: boolean;
  /** Analytics queries answered 200, with their bodies. */
  readonly analyticsBodies: unknown[] = [];

  constructor(o: FakeOpenRouterOptions) {
    super((req) => this.route(req));
    this.now = o.now ?? Date.now;
    this.lateChanges = o.lateChanges ?? false;
    this.keys = new Set(o.keys);
    this.inference = new Set(o.inferenceKeys ?? []);
    this.analyticsThrottled = o.throttleAnalytics ?? true;
    this.totalCredits = o.totalCredits ?? 5000;
    const today = startOfDay(this.now());
    const first = o.firstDay ?? today - 400 * DAY;
    const end = o.endDay ?? today + DAY;
    const r = rng(o.seed ?? 27);
    for (let day = first; day < end; day += DAY) {
      for (const m of MODELS) {
        for (const e of m.endpoints) {
          if (r() < 0.2) continue; // not every endpoint every day
          const completion = Math.floor(r() * 5000);
          this.rows.push({
            day,
            model: m.model,
            model_permaslug: m.permaslug,
            endpoint_id: e.id,
            provider_name: e.provider,
            usage: m.model.endsWith(':free') ? 0 : amount(r),
            byok_usage_inference: r() < 0.3 ? amount(r) : 0,
            requests: 1 + Math.floor(r() * 200),
            prompt_tokens: Math.floor(r() * 20000),
            completion_tokens: completion,
            // Sometimes above completion (reported upstream), never asserted away.
            reasoning_tokens: r() < 0.1 ? completion + 1 + Math.floor(r() * 100) : Math.floor(r() * completion * 0.5),
          });
        }
      }
    }
    this.buildEntities(o.workspaces ?? 2, o.keysPerWorkspace ?? 3, o.seed ?? 27);
    if (o.cloudflare524 ?? true) {
      this.fault({
        path: '/activity',
        after: 2,
        fault: {
          kind: 'status',
          status: 524,
          contentType: 'text/html',
          body: '<!DOCTYPE html><html><head><title>openrouter.ai | 524: A timeout occurred</title></head><body>Cloudflare</body></html>',
        },
      });
    }
  }

  get baseUrl(): string {
    return `${this.url}/api/v1`;
  }

  /** The first day /activity serves, and the end of its window (today), by the fake clock. */
  activityWindow(): { from: number; to: number } {
    const today = startOfDay(this.now());
    return { from: today - ACTIVITY_DAYS * DAY, to: today };
  }

  private buildEntities(extra: number, perWorkspace: number, seed: number): void {
    const r = rng(seed + 1);
    const workspaces = [{ id: 'a0d2c4e6-0000-4000-8000-000000000001', name: 'Default', slug: 'default' }];
    for (let i = 0; i < extra; i++) workspaces.push({ id: `a0d2c4e6-0000-4000-8000-00000000010${i}`, name: `Équipe ${i + 1}`, slug: `team-${i + 1}` });
    for (const [wi, w] of workspaces.entries()) {
      this.workspaceList.push({
        ...w,
        description: wi === 0 ? null : `Workspace ${w.name}`,
        created_at: '2025-08-24T10:30:00Z',
        updated_at: wi === 0 ? null : '2025-09-01T15:45:00Z',
        created_by: 'user_abc123',
        default_text_model: 'openai/gpt-4o',
        include_byok_in_budgets: false,
        io_logging_sampling_rate: 1,
      });
      const count = wi === 0 ? 150 : perWorkspace;
      for (let k = 0; k < count; k++) {
        const hash = shortHash(`${w.id}/${k}`, 64);
        this.keyList.push({
          hash,
          name: `key ${wi}-${k}`,
          label: `sk-or-v1-${hash.slice(0, 3)}...${hash.slice(-4)}`,
          disabled: k % 7 === 3,
          limit: k % 2 === 0 ? null : 100,
          limit_remaining: k % 2 === 0 ? null : 74.5,
          limit_reset: k % 2 === 0 ? null : 'monthly',
          include_byok_in_limit: false,
          usage: Math.round(r() * 1e6) / 1e4 + 0.1,
          usage_daily: 0,
          usage_weekly: 2.5e-7,
          usage_monthly: 1.25,
          byok_usage: 0,
          byok_usage_daily: 0,
          byok_usage_weekly: 0,
          byok_usage_monthly: 0,
          created_at: new Date(Date.UTC(2025, 8, 1) + k * 3_600_000).toISOString(),
          updated_at: null,
          expires_at: null,
          creator_user_id: k % 3 === 0 ? null : 'user_abc123',
          workspace_id: w.id,
          variant: 'extra-unknown-field',
        });
      }
    }
  }

  /** The total usage of the ledger up to now (what /credits says), as the double it sends. */
  totalUsage(): number {
    const today = startOfDay(this.now());
    return this.rows.filter((x) => x.day <= today).reduce((s, x) => s + x.usage, 0);
  }

  // ---- ground truth -------------------------------------------------------------------

  /**
   * The records the connector must emit for the days [from, to): each day inside the /activity window its
   * ledger rows, each older day within 365 days the analytics sums per model; computed from the ledger.
   */
  expectedActivity(from: number, to: number): Array<Record<string, unknown>> {
    const w = this.activityWindow();
    const floor = w.to - ANALYTICS_MAX_DAYS * DAY;
    const out: Array<Record<string, unknown>> = [];
    for (const x of this.rows) {
      if (x.day < Math.max(from, w.from) || x.day >= Math.min(to, w.to)) continue;
      out.push({
        date: isoDay(x.day),
        source: 'activity',
        model: x.model,
        model_permaslug: x.model_permaslug,
        endpoint_id: x.endpoint_id,
        provider_name: x.provider_name,
        usage: decimalOf(x.usage),
        byok_usage_inference: decimalOf(x.byok_usage_inference),
        requests: x.requests,
        prompt_tokens: x.prompt_tokens,
        completion_tokens: x.completion_tokens,
        reasoning_tokens: x.reasoning_tokens,
      });
    }
    for (const a of this.analyticsRows(Math.max(from, floor), Math.min(to, w.from))) {
      out.push({
        date: a.date,
        source: 'analytics',
        model: a.model,
        model_permaslug: a.model,
        endpoint_id: null,
        provider_name: null,
        usage: a.credits_usage === null ? '0' : decimalOf(a.credits_usage),
        byok_usage_inference: a.byok_usage === null ? '0' : decimalOf(a.byok_usage),
        requests: Number(a.request_count),
        prompt_tokens: Number(a.tokens_prompt),
        completion_tokens: Number(a.tokens_completion),
        reasoning_tokens: Number(a.reasoning_tokens),
      });
    }
    return out;
  }

  /** Analytics per day x model (the permaslug) over [from, to), time-descending; amounts summed as doubles, counts as strings. */
  analyticsRows(
    from: number,
    to: number,
  ): Array<{
    date: string;
    day: number;
    model: string;
    credits_usage: number | null;
    byok_usage: number | null;
    request_count: string;
    tokens_prompt: string;
    tokens_completion: string;
    reasoning_tokens: string;
  }> {
    const groups = new Map<string, LedgerRow[]>();
    for (const x of this.rows) {
      if (x.day < from || x.day >= to) continue;
      const k = `${x.day}|${x.model_permaslug}`;
      const g = groups.get(k);
      if (g) g.push(x);
      else groups.set(k, [x]);
    }
    const sum = (g: LedgerRow[], f: (x: LedgerRow) => number): number => g.reduce((s, x) => s + f(x), 0);
    return [...groups.values()]
      .map((g) => {
        const x = g[0] as LedgerRow;
        const credits = sum(g, (y) => y.usage);
        const byok = sum(g, (y) => y.byok_usage_inference);
        return {
          date: isoDay(x.day),
          day: x.day,
          model: x.model_permaslug,
          // Unused components come back as null, not 0 [DOC cookbook].
          credits_usage: credits === 0 ? null : credits,
          byok_usage: byok === 0 ? null : byok,
          request_count: String(sum(g, (y) => y.requests)),
          tokens_prompt: String(sum(g, (y) => y.prompt_tokens)),
          tokens_completion: String(sum(g, (y) => y.completion_tokens)),
          reasoning_tokens: String(sum(g, (y) => y.reasoning_tokens)),
        };
      })
      .sort((a, b) => b.day - a.day || a.model.localeCompare(b.model));
  }

  // ---- routes ---------------------------------------------------------------------------

  private route(req: LoggedRequest): JsonReply {
    const key = presentedKey(req);
    if (key === undefined || (!this.keys.has(key) && !this.inference.has(key))) return err(401, MISSING_AUTH_MESSAGE);
    const path = req.path.replace(/^\/api\/v1/, '');
    if (!req.path.startsWith('/api/v1/')) return err(404, 'Not Found');
    const management = ['/activity', '/analytics/query', '/credits', '/keys', '/workspaces'];
    if (this.inference.has(key) && management.includes(path)) return err(403, FORBIDDEN_MESSAGE);
    if (path === '/activity' && req.method === 'GET') return this.activity(req);
    if (path === '/analytics/query' && req.method === 'POST') return this.analytics(req);
    if (path === '/credits' && req.method === 'GET')
      return { status: 200, body: { data: { total_credits: this.totalCredits, total_usage: this.totalUsage() } } };
    if (path === '/workspaces' && req.method === 'GET') return this.workspaces(req);
    if (path === '/keys' && req.method === 'GET') return this.keysPage(req);
    return err(404, 'Not Found');
  }

  private activity(req: LoggedRequest): JsonReply {
    const w = this.activityWindow();
    const date = req.query.get('date');
    let from = w.from;
    let to = w.to;
    if (date !== null) {
      const t = /^\d{4}-\d{2}-\d{2}$/.test(date) ? Date.parse(`${date}T00:00:00Z`) / 1000 : Number.NaN;
      if (!Number.isFinite(t) || isoDay(t) !== date) return err(400, 'Invalid request parameters');
      if (t < w.from || t >= w.to) return { status: 400, body: { error: { message: WINDOW_MESSAGE, code: 400 } } };
      from = t;
      to = t + DAY;
    }
    const r = rng(from / DAY);
    const data = this.rows
      .filter((x) => x.day >= from && x.day < to)
      .map((x, i) => ({
        // Both date forms (one client reports "YYYY-MM-DD 00:00:00").
        date: i % 3 === 1 ? `${isoDay(x.day)} 00:00:00` : isoDay(x.day),
        model: x.model,
        model_permaslug: x.model_permaslug,
        endpoint_id: x.endpoint_id,
        provider_name: x.provider_name,
        usage: this.unsettled(x, i) ? x.usage / 2 : x.usage,
        byok_usage_inference: x.byok_usage_inference,
        requests: x.requests,
        prompt_tokens: x.prompt_tokens,
        completion_tokens: x.completion_tokens,
        reasoning_tokens: x.reasoning_tokens,
        // Undocumented extra fields, at random.
        ...(r() < 0.4 ? { variant: 'standard', byok_requests: 0 } : {}),
      }));
    return { status: 200, body: { data } };
  }

  /** Whether row `i` of a day's answer is still partial (lateChanges: its day ended less than 30 minutes ago). */
  private unsettled(x: LedgerRow, i: number): boolean {
    return this.lateChanges && i % 4 === 0 && this.now() < (x.day + DAY) * 1000 + 30 * 60_000;
  }

  private analytics(req: LoggedRequest): JsonReply {
    if (this.analyticsThrottled) {
      // First a 429 (rate limit headers, Retry-After), next a 408; then served.
      const attempts = this.requests.filter((x) => x.path.endsWith('/analytics/query')).length;
      if (attempts === 1) {
        return err(429, 'Rate limit exceeded', {
          'x-ratelimit-limit': '64',
          'x-ratelimit-remaining': '0',
          'x-ratelimit-reset': String(this.now() + 1000),
          'retry-after': '1',
        });
      }
      if (attempts === 2) return err(408, 'Operation timed out. Please try again later.');
      this.analyticsThrottled = false;
    }
    let body: {
      metrics?: unknown;
      dimensions?: unknown;
      granularity?: unknown;
      time_range?: { start?: unknown; end?: unknown };
      limit?: unknown;
    };
    try {
      body = JSON.parse(req.body ?? '');
    } catch {
      return err(400, 'Invalid JSON body');
    }
    if (!Array.isArray(body.metrics) || body.metrics.length === 0) return err(400, 'metrics: Too small: expected array to have >=1 items');
    const dims = Array.isArray(body.dimensions) ? body.dimensions : [];
    if (dims.length > 2) return err(400, DIMENSIONS_MESSAGE);
    if (dims.some((d) => d !== 'model')) return err(400, `this fake serves the model dimension only, got ${JSON.stringify(dims)}`);
    if (body.granularity !== 'day') return err(400, `this fake serves granularity day only, got ${JSON.stringify(body.granularity)}`);
    const limit = body.limit === undefined ? 1000 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return err(400, 'limit: expected an integer between 1 and 10000');
    const today = startOfDay(this.now());
    const start = typeof body.time_range?.start === 'string' ? Date.parse(body.time_range.start) / 1000 : today - 7 * DAY;
    const end = typeof body.time_range?.end === 'string' ? Date.parse(body.time_range.end) / 1000 : this.now() / 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return err(400, 'time_range: start must be before end');
    if (end - start > ANALYTICS_MAX_DAYS * DAY) return err(400, `time_range: at most ${ANALYTICS_MAX_DAYS} days`);
    const signature = JSON.stringify(body);
    const cached = this.queries.has(signature);
    this.queries.add(signature);
    const floor = today - ANALYTICS_MAX_DAYS * DAY;
    const all = this.analyticsRows(Math.max(start, floor), Math.min(end, this.now() / 1000));
    const metrics = new Set(body.metrics as string[]);
    // One data source per query: created_at__day for some, date__day (ISO) for others.
    const createdAt = Math.floor(start / DAY) % 2 === 0;
    const rows = all.slice(0, limit).map((a) => {
      const row: Record<string, unknown> = createdAt ? { created_at__day: a.date } : { date__day: `${a.date}T00:00:00.000Z` };
      row.model = a.model;
      for (const m of ['credits_usage', 'byok_usage', 'request_count', 'tokens_prompt', 'tokens_completion', 'reasoning_tokens'] as const) {
        if (metrics.has(m)) row[m] = a[m];
      }
      return row;
    });
    this.analyticsBodies.push(body);
    return {
      status: 200,
      body: {
        data: {
          data: rows,
          metadata: { query_time_ms: 42, row_count: rows.length, truncated: all.length > limit },
          ...(cached ? { cachedAt: this.now() } : {}),
        },
      },
    };
  }

  private workspaces(req: LoggedRequest): JsonReply {
    const offset = Number(req.query.get('offset') ?? '0');
    const limit = Number(req.query.get('limit') ?? '50');
    if (!Number.isInteger(limit) || limit < 1 || limit > 100) return err(400, 'limit: expected an integer between 1 and 100');
    return { status: 200, body: { data: this.workspaceList.slice(offset, offset + limit), total_count: this.workspaceList.length } };
  }

  private keysPage(req: LoggedRequest): JsonReply {
    const workspace = req.query.get('workspace_id') ?? (this.workspaceList[0]?.id as string);
    const includeDisabled = req.query.get('include_disabled') === 'true';
    const offset = Number(req.query.get('offset') ?? '0');
    const list = this.keyList
      .filter((k) => k.workspace_id === workspace && (includeDisabled || k.disabled !== true))
      .sort((a, b) => String(b.created_at).localeCompare(String(a.created_at)));
    return { status: 200, body: { data: list.slice(offset, offset + 100) } };
  }
}
