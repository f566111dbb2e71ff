import { rng } from './random.js';
import { FakeServer, type JsonReply, type LoggedRequest } from './server.js';

/**
 * A fake of Aurous Labs' GET /v1/usage (shared/reference/provider-apis.md section 5,
 * provider-docs/aurous-usage-pagination.txt), reproducing what a connector must survive:
 *
 * - `X-Api-Key` auth (401 otherwise); errors as {"error":{"type","code","message"}};
 * - `Aurous-Version`: documented as optional (default 2026-05-15), but one reference page shows /v1/usage
 *   answering only lifetime totals, so the fake takes the stricter reading: a request without the header
 *   gets the lifetime-totals shape (200, no buckets); a malformed one gets 400 invalid_version;
 * - RFC 3339 `start_time` (required) / `end_time` (default now), `bucket_width` 1m/5m/15m/1h/1d/7d,
 *   `group_by` (at most 2 of status, api_key_id, user_id, type, model; comma list, repeated or group_by[];
 *   `groupByDimensions` narrows the list to the API reference's four, without model),
 *   filters status/type/api_key_id/user_id/lora_id (lists) and character_id (single);
 * - `limit` counts GROUP ROWS, 1-100 (default 24); buckets come newest first (the API reference; the pagination
 *   page says oldest first: `oldestFirst`), groups by credits desc;
 * - the fingerprinted cursor: pages after the first send ONLY `page_token`; any other parameter next to
 *   it is a fingerprint mismatch (400 invalid_page_token). Tokens expire 24 h after the page-1 response
 *   (400 invalid_page_token, detail token_expired), judged on the injectable clock. Tokens are scoped to the
 *   team of the key that minted them (`teamKeys` adds keys of other teams): another team's key gets 400;
 * - the group split: when a bucket holds more groups than fit, the page cuts it and the token resumes
 *   AFTER that bucket (older buckets), so its remaining groups are never served;
 * - empty buckets are omitted by default (UNCONFIRMED upstream; `includeEmptyBuckets` serves them with
 *   `groups: []`, each counting as one row);
 * - 7d buckets are aligned to multiples of 7 days since the unix epoch (Thursdays 00:00 UTC), like every width;
 * - `RateLimit-Limit/Remaining/Reset` on every response, 429 + Retry-After when the budget is spent or
 *   when a test calls throttle();
 * - a maximum range per width (400 range_too_large), UNCONFIRMED upstream, so generous by default.
 */
export const DAY = 86_400;
export const WIDTH_SECONDS = { '1m': 60, '5m': 300, '15m': 900, '1h': 3_600, '1d': DAY, '7d': 7 * DAY } as const;
export type Width = keyof typeof WIDTH_SECONDS;
export const DIMS = ['status', 'api_key_id', 'user_id', 'type', 'model'] as const;
export type Dim = (typeof DIMS)[number];
export const FINGERPRINT_MISMATCH = 'page_token fingerprint mismatch — query parameters drifted between pages.';
/** The version the fake's callers send (the documented default). */
export const AUROUS_VERSION = '2026-05-15';
export const TOKEN_LIFETIME_MS = 24 * 3_600_000;

const STATUSES = ['succeeded', 'failed', 'cancelled'] as const;
const TYPES = ['image', 'video', 'upscale', 'chat'] as const;
/**
 * The request type of a credit given back (credits of failed generations refunded, a goodwill grant):
 * no requests, negative credits, its own type, so grouped by type it is a negative group. Not in the
 * reference pages (UNCONFIRMED upstream): the fake sends it so FOCUS ChargeCategory `Credit` is exercised.
 */
export const REFUND_TYPE = 'refund';
const MODEL_NAMES = ['aurora-xl', 'aurora-turbo', 'halo-video-1', 'lumen-2', 'prism-mini', 'nova-edit', 'flux-lite', 'echo-chat'];
const DEFAULT_MAX_RANGE: Record<Width, number> = { '1m': 7 * 1440, '5m': 31 * 288, '15m': 31 * 96, '1h': 92 * 24, '1d': 366, '7d': 522 };

export interface Filters {
  status?: string[];
  type?: string[];
  api_key_id?: string[];
  user_id?: string[];
  lora_id?: string[];
  character_id?: string;
}

export type Metrics = {
  request_count: number;
  successful_count: number;
  failed_count: number;
  cancelled_count: number;
  credits_used: number;
  duration_ms_p50: number | null;
  duration_ms_p95: number | null;
  image_count: number;
  video_seconds: number;
  total_input_tokens: number;
  total_output_tokens: number;
};

export interface Group {
  key: Partial<Record<Dim, string | null>>;
  metrics: Metrics;
}

/** A record as the connector must emit it, without its id. */
export type ExpectedUsage = { bucket_start: string; bucket_end: string } & Record<Dim, string | null> & Metrics;

interface BaseRow {
  status: string;
  api_key_id: string | null;
  user_id: string | null;
  type: string;
  model: string;
  lora_id: string | null;
  character_id: string | null;
  requests: number;
  milliCredits: number;
  p50: number;
  p95: number;
  images: number;
  videoHalfSeconds: number;
  inTokens: number;
  outTokens: number;
}

export interface AurousDataOptions {
  seed?: number;
  /** Data exists for buckets starting in [firstTime, endTime) (unix seconds). */
  firstTime: number;
  endTime: number;
  users?: number;
  keys?: number;
  models?: number;
  loras?: number;
  characters?: number;
  /** Average raw rows per bucket (groups per bucket grow with it). Default 12. */
  rowsPerBucket?: number;
  /** Every n-th bucket since the epoch has no usage at all (0 = none). Default 5. */
  emptyEvery?: number;
  /** Buckets with usage whose index since the epoch % n === 1 also have a refund (REFUND_TYPE, negative credits). Default 3; 0 = none. */
  refundEvery?: number;
  /** Buckets containing any of these times are never empty and get `denseRows` raw rows (to exceed the page maximum). */
  dense?: number[];
  denseRows?: number;
}

function hash(text: string): number {
  let h = 2166136261;
  for (const ch of text) h = Math.imul(h ^ ch.charCodeAt(0), 16777619) >>> 0;
  return h;
}

export const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/** The usage of one team: deterministic raw rows per bucket, aggregated on demand. Ground truth for tests. */
export class AurousData {
  readonly users: string[];
  readonly keys: string[];
  readonly models: string[];
  readonly loras: string[];
  readonly characters: string[];
  private readonly rowCache = new Map<string, BaseRow[]>();
  private readonly groupCache = new Map<string, Group[]>();

  constructor(readonly o: AurousDataOptions) {
    const n = (k: number, prefix: string) => Array.from({ length: k }, (_, i) => `${prefix}${String(i + 1).padStart(3, '0')}`);
    this.users = n(o.users ?? 8, 'usr_');
    this.keys = n(o.keys ?? 4, 'key_');
    this.loras = n(o.loras ?? 3, 'lora_');
    this.characters = n(o.characters ?? 3, 'chr_');
    this.models = Array.from(
      { length: o.models ?? 3 },
      (_, i) => `${MODEL_NAMES[i % MODEL_NAMES.length]}${i >= MODEL_NAMES.length ? `-${Math.floor(i / MODEL_NAMES.length)}` : ''}`,
    );
  }

  /** The raw rows of one bucket. */
  rows(width: Width, start: number): BaseRow[] {
    const cacheKey = `${width}:${start}`;
    const cached = this.rowCache.get(cacheKey);
    if (cached) return cached;
    const step = WIDTH_SECONDS[width];
    const rows: BaseRow[] = [];
    const every = this.o.emptyEvery ?? 5;
    const dense = (this.o.dense ?? []).some((t) => t >= start && t < start + step);
    const empty = start < this.o.firstTime || start >= this.o.endTime || (!dense && every > 0 && (start / step) % every === every - 1);
    if (!empty) {
      const rand = rng(hash(`${this.o.seed ?? 7}:${width}:${start}`));
      const pick = <T>(xs: readonly T[]): T => xs[Math.floor(rand() * xs.length)] as T;
      const count = dense ? (this.o.denseRows ?? 400) : 1 + Math.floor(rand() * 2 * (this.o.rowsPerBucket ?? 12));
      for (let i = 0; i < count; i++) {
        const r = rand();
        const status = r < 0.8 ? STATUSES[0] : r < 0.93 ? STATUSES[1] : STATUSES[2];
        const type = pick(TYPES);
        const requests = 1 + Math.floor(rand() * 40);
        const p50 = 200 + Math.floor(rand() * 3000);
        rows.push({
          status,
          type,
          model: pick(this.models),
          // Dashboard requests have no API key; API-key requests made by automation have no user.
          api_key_id: rand() < 0.2 ? null : pick(this.keys),
          user_id: rand() < 0.15 ? null : pick(this.users),
          lora_id: rand() < 0.5 ? null : pick(this.loras),
          character_id: rand() < 0.5 ? null : pick(this.characters),
          requests,
          milliCredits: status === 'cancelled' ? 0 : requests * (100 + Math.floor(rand() * 5000)),
          p50,
          p95: p50 + Math.floor(rand() * 5000),
          images: type === 'image' || type === 'upscale' ? requests * (1 + Math.floor(rand() * 4)) : 0,
          videoHalfSeconds: type === 'video' ? requests * (2 + Math.floor(rand() * 20)) : 0,
          inTokens: requests * (10 + Math.floor(rand() * 2000)),
          outTokens: type === 'chat' ? requests * (5 + Math.floor(rand() * 1500)) : 0,
        });
      }
      // A refund: credits given back, no requests, far below the bucket's charges (its total stays positive).
      const refundEvery = this.o.refundEvery ?? 3;
      if (refundEvery > 0 && (start / step) % refundEvery === 1 && rows.length > 0) {
        rows.push({
          status: STATUSES[0],
          type: REFUND_TYPE,
          model: pick(this.models),
          api_key_id: null,
          user_id: pick(this.users),
          lora_id: null,
          character_id: null,
          requests: 0,
          milliCredits: -(1 + Math.floor(rand() * 50_000)),
          p50: 0,
          p95: 0,
          images: 0,
          videoHalfSeconds: 0,
          inTokens: 0,
          outTokens: 0,
        });
      }
    }
    this.rowCache.set(cacheKey, rows);
    return rows;
  }

  /** Every group of one bucket, in the API's order (credits desc, then dimensions alphabetically). */
  groups(width: Width, start: number, groupBy: readonly Dim[], filters: Filters = {}): Group[] {
    const cacheKey = JSON.stringify([width, start, groupBy, filters]);
    const cached = this.groupCache.get(cacheKey);
    if (cached) return cached;
    const pass = (list: string[] | undefined, v: string | null) => !list?.length || (v !== null && list.includes(v));
    const byKey = new Map<string, { key: Partial<Record<Dim, string | null>>; rows: BaseRow[] }>();
    for (const row of this.rows(width, start)) {
      if (!pass(filters.status, row.status) || !pass(filters.type, row.type) || !pass(filters.api_key_id, row.api_key_id)) continue;
      if (!pass(filters.user_id, row.user_id) || !pass(filters.lora_id, row.lora_id)) continue;
      if (filters.character_id !== undefined && row.character_id !== filters.character_id) continue;
      const key: Partial<Record<Dim, string | null>> = {};
      for (const d of groupBy) key[d] = row[d];
      const k = JSON.stringify(groupBy.map((d) => row[d]));
      const g = byKey.get(k) ?? { key, rows: [] };
      g.rows.push(row);
      byKey.set(k, g);
    }
    const groups = [...byKey.entries()]
      .map(([k, g]) => ({ k, group: { key: g.key, metrics: aggregate(g.rows) } }))
      .sort((a, b) => b.group.metrics.credits_used - a.group.metrics.credits_used || (a.k < b.k ? -1 : a.k > b.k ? 1 : 0))
      .map((x) => x.group);
    this.groupCache.set(cacheKey, groups);
    return groups;
  }

  /** Ground truth: the records a connector must emit for the buckets starting in [start, end). */
  expected(start: number, end: number, width: Width, groupBy: readonly Dim[], filters: Filters = {}): ExpectedUsage[] {
    const step = WIDTH_SECONDS[width];
    const out: ExpectedUsage[] = [];
    for (let t = Math.floor(start / step) * step; t < end; t += step) {
      for (const g of this.groups(width, t, groupBy, filters)) {
        const dims = Object.fromEntries(DIMS.map((d) => [d, groupBy.includes(d) ? (g.key[d] ?? null) : null])) as Record<Dim, string | null>;
        out.push({ bucket_start: iso(t), bucket_end: iso(t + step), ...dims, ...g.metrics });
      }
    }
    return out;
  }
}

function aggregate(rows: BaseRow[]): Metrics {
  const sum = (f: (r: BaseRow) => number, only: (r: BaseRow) => boolean = () => true) => rows.filter(only).reduce((a, r) => a + f(r), 0);
  // Cancelled requests and refunds (no requests) have no duration.
  const timed = rows.filter((r) => r.status !== 'cancelled' && r.requests > 0);
  const timedRequests = timed.reduce((a, r) => a + r.requests, 0);
  return {
    request_count: sum((r) => r.requests),
    successful_count: sum(
      (r) => r.requests,
      (r) => r.status === 'succeeded',
    ),
    failed_count: sum(
      (r) => r.requests,
      (r) => r.status === 'failed',
    ),
    cancelled_count: sum(
      (r) => r.requests,
      (r) => r.status === 'cancelled',
    ),
    credits_used: sum((r) => r.milliCredits) / 1000,
    // Cancelled requests have no duration: a group of only cancelled requests has null percentiles.
    duration_ms_p50: timed.length ? Math.round(timed.reduce((a, r) => a + r.p50 * r.requests, 0) / timedRequests) : null,
    duration_ms_p95: timed.length ? Math.max(...timed.map((r) => r.p95)) : null,
    image_count: sum((r) => r.images),
    video_seconds: sum((r) => r.videoHalfSeconds) / 2,
    total_input_tokens: sum((r) => r.inTokens),
    total_output_tokens: sum((r) => r.outTokens),
  };
}

export interface FakeAurousOptions extends AurousDataOptions {
  apiKey?: string;
  /** The fake's clock (epoch ms): token expiry, default end_time and rate-limit windows. */
  now?: () => number;
  /** Serve empty buckets as `groups: []` (each counts as one row) instead of omitting them. */
  includeEmptyBuckets?: boolean;
  maxLimit?: number;
  defaultLimit?: number;
  /** Refuse (400 range_too_large) a range of more buckets than this, whatever the width. */
  maxRangeBuckets?: number;
  /** Request budget per window: RateLimit-* headers, 429 + Retry-After once spent. Default 10000 per minute. */
  rateLimit?: { limit: number; windowMs: number };
  /** Leave out a field of the documented envelope (a bucket's `groups`, the page's `has_more` or `next_page`) on pages holding a bucket starting at `from` or later. */
  malformed?: { kind: 'no_groups' | 'no_has_more' | 'no_next_page'; from?: number };
  /** Answer every request as if it had no Aurous-Version header (a proxy that strips it): lifetime totals. */
  stripVersionHeader?: boolean;
  /** The group_by values accepted (default all five; the API reference lists only status, api_key_id, user_id, type). */
  groupByDimensions?: readonly Dim[];
  /** More API keys, each of another team (key -> team id): a token works only for keys of the team that minted it. */
  teamKeys?: Record<string, string>;
  /** Serve buckets oldest first, as the pagination page says (the API reference says newest first, the default). */
  oldestFirst?: boolean;
}

interface UsageQuery {
  start: number;
  end: number;
  width: Width;
  groupBy: Dim[];
  filters: Filters;
  limit: number;
}

interface Token {
  v: 1;
  fp: string;
  /** last_bucket_start: the next page starts with the bucket before it (older). */
  last: number;
  /** Expiry, epoch ms: 24 h after the page-1 response. */
  exp: number;
  team: string;
  q: UsageQuery;
}

export interface Served {
  query: URLSearchParams;
  status: number;
  code: string | null;
  detail?: string;
}

type ErrorReply = JsonReply;
const error = (status: number, type: string, code: string, message: string, extra: Record<string, unknown> = {}): ErrorReply => ({
  status,
  body: { error: { type, code, message, ...extra } },
});
const invalid = (message: string): ErrorReply => error(400, 'invalid_request', 'invalid_parameter', message);

const fingerprint = (q: UsageQuery): string => hash(JSON.stringify([q.start, q.end, q.width, q.groupBy, q.filters, q.limit])).toString(16);
const encodeToken = (t: Token): string => Buffer.from(JSON.stringify(t)).toString('base64url');
function decodeToken(text: string): Token | null {
  try {
    const t = JSON.parse(Buffer.from(text, 'base64url').toString('utf8')) as Token;
    return t && t.v === 1 && typeof t.last === 'number' && typeof t.exp === 'number' && t.q && typeof t.fp === 'string' ? t : null;
  } catch {
    return null;
  }
}

function parseTime(v: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/.test(v)) return null;
  const ms = Date.parse(v);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

/** Comma lists, repeated keys and `name[]`, as the API accepts them. */
function listParam(q: URLSearchParams, name: string): string[] {
  return [...q.getAll(name), ...q.getAll(`${name}[]`)]
    .flatMap((v) => v.split(','))
    .map((v) => v.trim())
    .filter(Boolean);
}

const TEAM = 'team_fake';

export class FakeAurous extends FakeServer {
  readonly data: AurousData;
  readonly apiKey: string;
  /** Every /v1/usage reply the handler produced (faults of FakeServer excluded), in order. */
  readonly served: Served[] = [];
  /** Added to the clock (ms): a test can expire tokens by moving time forward. */
  clockOffsetMs = 0;
  private throttled: Array<{ retryAfter: number }> = [];
  private budget = { windowStart: 0, used: 0 };

  constructor(readonly options: FakeAurousOptions) {
    super((req) => this.route(req));
    this.data = new AurousData(options);
    this.apiKey = options.apiKey ?? 'al_live_fake_0123456789abcdef';
  }

  get baseUrl(): string {
    return this.url;
  }

  now(): number {
    return (this.options.now ?? Date.now)() + this.clockOffsetMs;
  }

  /** The next `times` requests get 429 with `Retry-After: retryAfterSeconds`. */
  throttle(times: number, retryAfterSeconds: number): this {
    for (let i = 0; i < times; i++) this.throttled.push({ retryAfter: retryAfterSeconds });
    return this;
  }

  /** Replies by error code (null for 200). */
  codes(): Array<string | null> {
    return this.served.map((s) => s.code);
  }

  /** Answer one request in-process (unit tests drive the connector's fetcher with it). */
  reply(query: URLSearchParams, headers: Record<string, string> = { 'x-api-key': this.apiKey, 'aurous-version': AUROUS_VERSION }): JsonReply {
    return this.route({ method: 'GET', path: '/v1/usage', query, headers, at: Date.now() });
  }

  private route(req: LoggedRequest): JsonReply {
    const now = this.now();
    const { headers, limited } = this.rateLimit(now);
    let reply: JsonReply;
    const forced = this.throttled.shift();
    if (forced) {
      headers['retry-after'] = String(forced.retryAfter);
      headers['ratelimit-remaining'] = '0';
      headers['ratelimit-reset'] = String(forced.retryAfter);
      reply = error(429, 'rate_limit_error', 'rate_limited', `Too many requests; retry after ${forced.retryAfter} s.`);
    } else if (limited) {
      headers['retry-after'] = headers['ratelimit-reset'] as string;
      reply = error(429, 'rate_limit_error', 'rate_limited', `Rate limit exceeded; retry after ${headers['retry-after']} s.`);
    } else {
      reply = this.handle(req, now);
    }
    const body = reply.body as { error?: { code?: string; detail?: string } };
    if (req.path === '/v1/usage') {
      this.served.push({
        query: req.query,
        status: reply.status,
        code: body?.error?.code ?? null,
        ...(body?.error?.detail ? { detail: body.error.detail } : {}),
      });
    }
    return { ...reply, headers: { ...headers, ...reply.headers } };
  }

  private rateLimit(now: number): { headers: Record<string, string>; limited: boolean } {
    const { limit, windowMs } = this.options.rateLimit ?? { limit: 10_000, windowMs: 60_000 };
    if (now >= this.budget.windowStart + windowMs || now < this.budget.windowStart) this.budget = { windowStart: now, used: 0 };
    const limited = this.budget.used >= limit;
    if (!limited) this.budget.used += 1;
    const reset = Math.max(1, Math.ceil((this.budget.windowStart + windowMs - now) / 1000));
    return {
      headers: { 'ratelimit-limit': String(limit), 'ratelimit-remaining': String(limit - this.budget.used), 'ratelimit-reset': String(reset) },
      limited,
    };
  }

  private handle(req: LoggedRequest, now: number): JsonReply {
    const key = req.headers['x-api-key'];
    const team = key === this.apiKey ? TEAM : typeof key === 'string' ? this.options.teamKeys?.[key] : undefined;
    if (team === undefined) {
      const shown = typeof key === 'string' && key.length > 8 ? `${key.slice(0, 3)}*****${key.slice(-4)}` : '*****';
      return error(401, 'authentication_error', 'invalid_api_key', `Invalid API key ${shown}: pass an Aurous Labs key in X-Api-Key.`);
    }
    const version = this.options.stripVersionHeader ? undefined : req.headers['aurous-version'];
    if (version !== undefined && !/^\d{4}-\d{2}-\d{2}$/.test(String(version))) {
      return error(400, 'invalid_request', 'invalid_version', `Aurous-Version must be a date (YYYY-MM-DD), got '${String(version)}'.`);
    }
    if (req.path !== '/v1/usage') return error(404, 'invalid_request', 'not_found', `Unknown path ${req.path}.`);
    if (version === undefined) return this.lifetimeTotals(team);
    const q = req.query;
    const tokenText = q.get('page_token');
    let query: UsageQuery;
    let after: number | null = null;
    let exp: number;
    if (tokenText !== null) {
      const token = decodeToken(tokenText);
      const others = [...q.keys()].filter((k) => k !== 'page_token');
      if (!token) return error(400, 'invalid_request', 'invalid_page_token', 'page_token is malformed.');
      if (token.team !== team) return error(400, 'invalid_request', 'invalid_page_token', 'page_token belongs to another team.');
      // Every parameter is in the token: anything sent with it drifts from the fingerprint.
      if (others.length > 0 || fingerprint(token.q) !== token.fp) return error(400, 'invalid_request', 'invalid_page_token', FINGERPRINT_MISMATCH);
      if (now >= token.exp) {
        return error(400, 'invalid_request', 'invalid_page_token', 'page_token expired: tokens are valid for 24 hours after the first page.', {
          detail: 'token_expired',
        });
      }
      query = token.q;
      after = token.last;
      exp = token.exp;
    } else {
      const parsed = this.parseQuery(q, now);
      if ('status' in parsed) return parsed;
      query = parsed;
      exp = now + TOKEN_LIFETIME_MS;
    }
    return this.page(query, after, exp, team);
  }

  /**
   * The stricter reading of "one reference page shows /v1/usage returning only lifetime totals": without
   * Aurous-Version the endpoint answers the team's totals over all time, whatever the query, with no buckets.
   */
  private lifetimeTotals(team: string): JsonReply {
    const rows: BaseRow[] = [];
    for (let t = Math.floor(this.options.firstTime / DAY) * DAY; t < this.options.endTime; t += DAY) rows.push(...this.data.rows('1d', t));
    return { status: 200, body: { object: 'usage.lifetime', team_id: team, metrics: aggregate(rows) } };
  }

  private parseQuery(q: URLSearchParams, now: number): UsageQuery | ErrorReply {
    const startText = q.get('start_time');
    if (startText === null) return invalid("Missing required parameter 'start_time' (RFC 3339).");
    const start = parseTime(startText);
    if (start === null) return invalid(`Invalid 'start_time' '${startText}': expected RFC 3339, e.g. 2026-01-01T00:00:00Z.`);
    const endText = q.get('end_time');
    const end = endText === null ? Math.floor(now / 1000) : parseTime(endText);
    if (end === null) return invalid(`Invalid 'end_time' '${endText}': expected RFC 3339.`);
    if (end <= start) return invalid("'end_time' must be after 'start_time'.");
    const width = (q.get('bucket_width') ?? '1d') as Width;
    if (!(width in WIDTH_SECONDS)) return invalid(`Invalid 'bucket_width' '${width}': one of ${Object.keys(WIDTH_SECONDS).join(', ')}.`);
    const groupBy = listParam(q, 'group_by');
    if (groupBy.length > 2) return invalid("'group_by' accepts at most 2 dimensions.");
    const dims: readonly string[] = this.options.groupByDimensions ?? DIMS;
    for (const g of groupBy) if (!dims.includes(g)) return invalid(`Invalid 'group_by' value '${g}': one of ${dims.join(', ')}.`);
    if (new Set(groupBy).size !== groupBy.length) return invalid("'group_by' lists a dimension twice.");
    const limitText = q.get('limit');
    const maxLimit = this.options.maxLimit ?? 100;
    const limit = limitText === null ? (this.options.defaultLimit ?? 24) : /^\d+$/.test(limitText) ? Number(limitText) : NaN;
    if (!(limit >= 1 && limit <= maxLimit)) return invalid(`Invalid 'limit' '${limitText}': must be between 1 and ${maxLimit}.`);
    const step = WIDTH_SECONDS[width];
    const buckets = Math.ceil((end - Math.floor(start / step) * step) / step);
    const maxRange = this.options.maxRangeBuckets ?? DEFAULT_MAX_RANGE[width];
    if (buckets > maxRange) {
      return error(400, 'invalid_request', 'range_too_large', `The range holds ${buckets} buckets of ${width}; at most ${maxRange} per request.`);
    }
    const filters: Filters = {};
    for (const f of ['status', 'type', 'api_key_id', 'user_id', 'lora_id'] as const) {
      const values = listParam(q, f);
      if (values.length) filters[f] = values;
    }
    const character = listParam(q, 'character_id');
    if (character.length > 1) return invalid("'character_id' takes a single ID.");
    if (character[0] !== undefined) filters.character_id = character[0];
    return { start, end, width, groupBy: groupBy as Dim[], filters, limit };
  }

  /** One page: newest bucket first (or oldest), `limit` group rows, the boundary bucket cut when it does not fit. */
  private page(q: UsageQuery, after: number | null, exp: number, team: string): JsonReply {
    const step = WIDTH_SECONDS[q.width];
    const first = Math.floor(q.start / step) * step;
    const newest = Math.ceil(q.end / step) * step - step;
    // The token resumes after the last bucket served, in the order of the pages.
    const dir = this.options.oldestFirst ? step : -step;
    let t = dir < 0 ? newest : first;
    if (after !== null) t = dir < 0 ? Math.min(t, after - step) : Math.max(t, after + step);
    const data: Array<{ object: string; bucket_start: string; bucket_end: string; groups: Group[] }> = [];
    let rows = 0;
    let hasMore = false;
    let last = 0;
    for (; t >= first && t <= newest; t += dir) {
      const groups = this.data.groups(q.width, t, q.groupBy, q.filters);
      if (groups.length === 0 && !this.options.includeEmptyBuckets) continue;
      if (rows >= q.limit) {
        hasMore = true;
        break;
      }
      const take = groups.slice(0, q.limit - rows);
      data.push({ object: 'usage.bucket', bucket_start: iso(t), bucket_end: iso(t + step), groups: take });
      rows += Math.max(1, take.length);
      last = t;
      if (take.length < groups.length) {
        // The split: this bucket's other groups are on no page, since the token resumes after it.
        hasMore = true;
        break;
      }
    }
    const next = hasMore ? encodeToken({ v: 1, fp: fingerprint(q), last, exp, team, q }) : null;
    const body: Record<string, unknown> = { object: 'list', data, has_more: hasMore, next_page: next };
    this.malform(body, data);
    return { status: 200, body };
  }

  /** The `malformed` switch, on a page holding a bucket that starts at `from` or later. */
  private malform(body: Record<string, unknown>, data: Array<{ bucket_start: string; groups?: Group[] }>): void {
    const m = this.options.malformed;
    const hit = m ? data.filter((b) => Date.parse(b.bucket_start) / 1000 >= (m.from ?? -Infinity)) : [];
    if (!m || hit.length === 0) return;
    if (m.kind === 'no_groups') for (const b of hit) delete b.groups;
    else delete body[m.kind === 'no_has_more' ? 'has_more' : 'next_page'];
  }
}
