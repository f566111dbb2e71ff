import { rng, shortHash } from './random.js';
import { FakeServer, presentedKey, type JsonReply, type LoggedRequest } from './server.js';
import { decimalOf } from '../support/number-text.js';

/**
 * A fake of OpenRouter's management API (shared/reference/openrouter-xai-fireworks.md section 1,
 * specs/openrouter.openapi.yaml), unkind by default, reproducing the reference's list (1.11):
 *
 * - Bearer auth: 401 {"error":{"code":401,"message":"Missing Authentication header"}} without a known key;
 *   403 "Only management keys can perform this operation" for an inference key (`inferenceKeys`) on the
 *   management endpoints; a management key on POST /chat/completions is a 403 (401 or 403 is UNKNOWN);
 * - GET /activity: the last 30 completed UTC days of the fake clock (`now`), one date per request or all 30
 *   without `date`; today, a day older than 30 days and a malformed date are 400 with the exact body
 *   {"error":{"message":"Date must be within the last 30 (completed) UTC days","code":400}}; no pagination;
 *   rows per (date, model, endpoint) by default, `group_by=workspace` splits them per workspace with
 *   `workspace_id` (the parts add up to the default row exactly), `workspace_id`, `api_key_hash`, `user_id`
 *   filters, days before `workspacesSince` wholly in the default workspace (legacy attribution);
 * - amounts as doubles with float noise (0.30000000000000004) and exponent notation (2.5e-7), rows with both
 *   usage and byok_usage_inference, `date` as "YYYY-MM-DD" or "YYYY-MM-DD 00:00:00" (`dateWithTime`),
 *   reasoning_tokens sometimes above completion_tokens, unknown extra fields (variant, byok_requests) at random;
 * - POST /analytics/query: at most 2 dimensions (400 with the zod message), at most 365 days per query,
 *   31-day-only metrics and dimensions 400 above 31 days, time_range end exclusive (INFERRED), default
 *   time_range the last 7 days, granularity day or none (totals), counts as strings, unused components null,
 *   the time key date__day or created_at__day with an ISO or a date-only value, rows time-descending,
 *   `truncated` when the rows exceed `limit` (default 1000, max 10,000), cachedAt on a repeated query,
 *   labels (names) for the workspace/api_key_id/user dimensions, raw-id filters (an unresolvable key hash:
 *   zero rows and `warnings`), total_usage = credits_usage + byok_usage and credits_usage = openrouter_usage
 *   + byok_fees (as doubles); 64 requests per rolling minute (`analyticsRateLimit`: 429 with X-RateLimit-*,
 *   every other one with Retry-After), a 408 for an expensive query (two dimensions over more than 90 days,
 *   the first time), and `throttleAnalytics` (a 429 then a 408 on the first analytics requests);
 * - GET /workspaces (offset, limit <= 100, total_count), GET /keys (100 per page by offset, newest first,
 *   the default workspace unless workspace_id, disabled keys only with include_disabled "true"; running
 *   usage counters of the current UTC day, Monday week and month from the ledger: `keyCounters`);
 * - GET /credits: total_usage the ledger's usage up to now, cached 60 s (`creditsStaleMs`);
 * - POST /chat/completions (an inference key) makes a generation; GET /generation?id= is 404 for
 *   `generationDelayMs` after it, then the full object (upstream_inference_cost null or 0 unless BYOK);
 * - a Cloudflare HTML 524 once (`cloudflare524`: on the 3rd /activity request) and an HTML 502 once
 *   (`cloudflare502`: on the 2nd /workspaces request).
 *
 * Ground truth is one ledger (`rows`, each split into `parts` by workspace, key and user): /activity serves
 * its rows (`lateChanges`: partial until 30 minutes after their day), analytics sums them per day and
 * dimension, /credits sums all usage.
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
  /** Who spent it: one part (the default workspace) or two (workspaces, keys and users apart), adding up to the row exactly. */
  parts: LedgerPart[];
}

/** A part of a ledger row: one workspace, key and user; its amounts add up with the other parts' to the row's exactly (decimal). */
export interface LedgerPart {
  workspace_id: string;
  api_key_hash: string;
  user_id: string;
  usage: number;
  byok_usage_inference: number;
  /** The BYOK platform fee inside `usage` (usage - byok_fees is the non-BYOK spend, exactly). */
  byok_fees: number;
  requests: number;
  prompt_tokens: number;
  completion_tokens: number;
  reasoning_tokens: number;
}

/** Org members: the `user_id` filter of /activity and the analytics `user` dimension (a display name, or null, and an email). */
export const USERS: ReadonlyArray<{ id: string; name: string | null; email: string }> = [
  { id: 'user_abc123', name: 'Ada Lovelace', email: 'ada@example.com' },
  { id: 'user_def456', name: null, email: 'grace@example.com' },
];

const SCALE = 10n ** 30n;
const scaled = (d: string): bigint => {
  const [i = '0', f = ''] = d.replace(/^-/, '').split('.');
  const v = BigInt(i) * SCALE + BigInt(`${f}${'0'.repeat(30)}`.slice(0, 30));
  return d.startsWith('-') ? -v : v;
};
const unscaled = (v: bigint): string => {
  const a = v < 0n ? -v : v;
  const f = (a % SCALE).toString().padStart(30, '0').replace(/0+$/, '');
  return `${v < 0n ? '-' : ''}${a / SCALE}${f ? `.${f}` : ''}`;
};

/** Two doubles whose decimals add up to `total`'s exactly, the first about `share` of it; null when the rest is no double's shortest text. */
export function splitExact(total: number, share: number): [number, number] | null {
  if (total === 0) return [0, 0];
  const a = Math.round(total * share * 1e8) / 1e8;
  const rest = scaled(decimalOf(total)) - scaled(decimalOf(a));
  if (rest < 0n) return null;
  const text = unscaled(rest);
  const b = Number(text);
  return decimalOf(b) === text ? [a, b] : null;
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
  /**
   * Analytics requests answered per rolling window (default 64 per 60 s [DOC skill]); above it a 429 with
   * X-RateLimit-Limit/Remaining/Reset (epoch ms) and, every other time, Retry-After (s). false: no limit.
   */
  analyticsRateLimit?: { limit: number; windowMs: number } | false;
  /** A Cloudflare HTML 524 on the 3rd /activity request (default true). */
  cloudflare524?: boolean;
  /** A Cloudflare HTML 502 on the 2nd /workspaces request (default true). */
  cloudflare502?: boolean;
  /** Workspaces beyond the default one (default 2) and keys per workspace (default 3; the first 150 to exercise paging). */
  workspaces?: number;
  keysPerWorkspace?: number;
  /** Total credits purchased (default 5000). */
  totalCredits?: number;
  /**
   * Late changes (reference 1.11 item 3): until 30 minutes after a day ends (by the fake clock), a quarter of
   * its rows report half their usage (requests that started before midnight still running); default false
   * (no change after the day: the e2e tests on the real clock would otherwise depend on the time of day).
   */
  lateChanges?: boolean;
  /** /activity `date` as "YYYY-MM-DD 00:00:00": on every third row (`some`, default), `never` or `always`. */
  dateWithTime?: 'some' | 'never' | 'always';
  /** Days before this (unix seconds) are wholly the default workspace's (legacy attribution); default 20 days before today. */
  workspacesSince?: number;
  /** /keys usage counters from the ledger, reset at UTC day, Monday-week and month boundaries (default true); false: fixed values. */
  keyCounters?: boolean;
  /** How long /credits serves a cached answer (default 60 s). */
  creditsStaleMs?: number;
  /** How long GET /generation is a 404 after the generation was made (default 1500 ms). */
  generationDelayMs?: number;
}

interface Envelope {
  metadata?: Record<string, unknown> | null;
  user_id?: string | null;
  openrouter_metadata?: Record<string, unknown> | null;
}

const err = (status: number, message: string, headers?: Record<string, string>, envelope: Envelope = {}): JsonReply => ({
  status,
  body: {
    error: { code: status, message, metadata: envelope.metadata ?? null },
    user_id: envelope.user_id ?? null,
    ...('openrouter_metadata' in envelope ? { openrouter_metadata: envelope.openrouter_metadata } : {}),
  },
  ...(headers ? { headers } : {}),
});

const isoDay = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
const startOfDay = (ms: number): number => Math.floor(ms / 1000 / DAY) * DAY;

/** Analytics metrics: served for 365 days, or only for 31 [DOC skill]; the usage components are always null here (unused). */
const METRICS_365 = [
  'total_usage',
  'credits_usage',
  'byok_usage',
  'request_count',
  'tokens_prompt',
  'tokens_completion',
  'reasoning_tokens',
  'byok_request_count',
  'usage_upstream',
  'usage_cache',
  'usage_data',
  'usage_web',
  'usage_upstream_web',
];
const METRICS_31 = ['openrouter_usage', 'byok_fees', 'usage_file', 'usage_upstream_file', 'usage_web_fetch', 'usage_upstream_web_fetch'];
const NULL_METRICS = new Set([
  'usage_upstream',
  'usage_cache',
  'usage_data',
  'usage_web',
  'usage_upstream_web',
  'usage_file',
  'usage_upstream_file',
  'usage_web_fetch',
  'usage_upstream_web_fetch',
]);
const DIMENSIONS_365 = ['model', 'variant', 'api_key_id', 'user', 'workspace', 'app'];
const DIMENSIONS_31 = ['provider', 'origin', 'country', 'finish_reason', 'external_user', 'context_length_bucket', 'generation_id'];
/** The dimensions this fake groups by (the others are known, and refused with a 400 naming them). */
const SERVED_DIMENSIONS = new Set(['model', 'api_key_id', 'user', 'workspace', 'provider']);
const PART_FIELDS = new Set(['api_key_id', 'user', 'workspace']);
const SHORT_DAYS = 31;

/** What analytics sums: a ledger row, or a part of one (when a dimension or filter needs the workspace, key or user). */
interface Atom {
  day: number;
  model: string;
  provider: string;
  workspace_id: string | null;
  api_key_hash: string | null;
  user_id: string | null;
  usage: number;
  byok: number;
  fees: number;
  requests: number;
  byokRequests: number;
  prompt: number;
  completion: number;
  reasoning: number;
}

interface AnalyticsQuery {
  metrics: string[];
  dimensions: string[];
  /** Day buckets, or none (totals over the range). */
  byDay: boolean;
  from: number;
  to: number;
  filters: Array<{ field: string; operator: string; values: string[] }>;
}

/** The adjacent double above (dir 1) or below (dir -1). */
function nextDouble(x: number, dir: 1 | -1): number {
  const f = new Float64Array([x]);
  const b = new BigInt64Array(f.buffer);
  if (x === 0) return dir * Number.MIN_VALUE;
  b[0] = (b[0] as bigint) + BigInt(x > 0 === (dir === 1) ? 1 : -1);
  return f[0] as number;
}

/**
 * openrouter_usage and byok_fees for a group as doubles o and f with o + f === credits (the invariant as the
 * backend's doubles add up): o = credits - fees nudged by ulps, else fees nudged; a group where neither
 * lands (rare) reports its fees in openrouter_usage (o = credits, f = 0).
 */
function nonByok(credits: number, fees: number): [number, number] {
  let o = credits - fees;
  for (let i = 0; i < 64 && o + fees !== credits; i++) o = nextDouble(o, o + fees < credits ? 1 : -1);
  if (o + fees === credits) return [o, fees];
  let f = fees;
  o = credits - fees;
  for (let i = 0; i < 64 && o + f !== credits; i++) f = nextDouble(f, o + f < credits ? 1 : -1);
  return o + f === credits ? [o, f] : [credits, 0];
}

export class FakeOpenRouter extends FakeServer {
  readonly rows: LedgerRow[] = [];
  /** The fake clock (ms); a test may move it. */
  now: () => number;
  private readonly lateChanges: boolean;
  readonly workspaceList: Array<Record<string, unknown>> = [];
  readonly keyList: Array<Record<string, unknown>> = [];
  /** The numeric id of each key (analytics filters accept it or the hash). */
  readonly keyIds = new Map<string, number>();
  readonly totalCredits: number;
  readonly workspacesSince: number;
  private readonly keys: Set<string>;
  private readonly inference: Set<string>;
  private readonly queries = new Set<string>();
  private readonly expensive = new Set<string>();
  private analyticsThrottled: boolean;
  private readonly rateLimit: { limit: number; windowMs: number } | false;
  private readonly analyticsServed: number[] = [];
  private rateLimited = 0;
  private readonly dateWithTime: 'some' | 'never' | 'always';
  private readonly keyCounters: boolean;
  private readonly creditsStaleMs: number;
  private credits: { at: number; total_usage: number } | null = null;
  private readonly generationDelayMs: number;
  /** Generations made by POST /chat/completions (or makeGeneration), by id. */
  readonly generations = new Map<string, { createdMs: number; data: Record<string, unknown> }>();
  /** Analytics queries answered 200, with their bodies. */
  readonly analyticsBodies: unknown[] = [];

  constructor(o: FakeOpenRouterOptions) {
    super((req) => this.route(req));
    this.now = o.now ?? Date.now;
    this.lateChanges = o.lateChanges ?? false;
    this.keys = new Set(o.keys);
    this.inference = new Set(o.inferenceKeys ?? []);
    this.analyticsThrottled = o.throttleAnalytics ?? true;
    this.rateLimit = o.analyticsRateLimit ?? { limit: 64, windowMs: 60_000 };
    this.dateWithTime = o.dateWithTime ?? 'some';
    this.keyCounters = o.keyCounters ?? true;
    this.creditsStaleMs = o.creditsStaleMs ?? 60_000;
    this.generationDelayMs = o.generationDelayMs ?? 1500;
    this.totalCredits = o.totalCredits ?? 5000;
    const today = startOfDay(this.now());
    this.workspacesSince = o.workspacesSince ?? today - 20 * DAY;
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
            parts: [],
          });
        }
      }
    }
    this.buildEntities(o.workspaces ?? 2, o.keysPerWorkspace ?? 3, o.seed ?? 27);
    this.buildParts(o.seed ?? 27);
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
    if (o.cloudflare502 ?? true) {
      this.fault({
        path: '/workspaces',
        after: 1,
        fault: {
          kind: 'status',
          status: 502,
          contentType: 'text/html',
          body: '<html><head><title>502 Bad Gateway</title></head><body><center><h1>502 Bad Gateway</h1></center><hr><center>cloudflare</center></body></html>',
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
        this.keyIds.set(hash, 1000 * (wi + 1) + k);
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

  /**
   * Who spent each row (its own rng stream, so the ledger is the same with or without it): before
   * `workspacesSince` all of it the default workspace's (legacy attribution), after it often two parts,
   * the default workspace (USERS[0]) and another (USERS[1]), each by one key, adding up exactly.
   */
  private buildParts(seed: number): void {
    const r = rng(seed + 2);
    const byWorkspace = (id: unknown): string[] => this.keyList.filter((k) => k.workspace_id === id && k.disabled !== true).map((k) => String(k.hash));
    const pick = (list: readonly string[], fallback: string): string => list[Math.floor(r() * list.length)] ?? fallback;
    const defaultId = String(this.workspaceList[0]?.id);
    const defaultKeys = byWorkspace(defaultId);
    const others = this.workspaceList.slice(1).map((w) => ({ id: String(w.id), keys: byWorkspace(w.id) }));
    const withFees = (p: Omit<LedgerPart, 'byok_fees'>): LedgerPart => {
      // The BYOK platform fee is a part of usage on rows with BYOK traffic.
      const fee = p.byok_usage_inference > 0 && p.usage > 0 ? splitExact(p.usage, 0.2) : null;
      return { ...p, byok_fees: fee ? fee[0] : 0 };
    };
    // A key no longer listed (deleted keys are not in /keys): its spend is still in the totals.
    const deleted = shortHash('deleted-key', 64);
    for (const x of this.rows) {
      const whole = {
        workspace_id: defaultId,
        api_key_hash: pick(defaultKeys, deleted),
        user_id: USERS[0]?.id ?? '',
        usage: x.usage,
        byok_usage_inference: x.byok_usage_inference,
        requests: x.requests,
        prompt_tokens: x.prompt_tokens,
        completion_tokens: x.completion_tokens,
        reasoning_tokens: x.reasoning_tokens,
      };
      const other = others[Math.floor(r() * others.length)];
      const share = 0.2 + r() * 0.6;
      const usage = splitExact(x.usage, share);
      const byok = splitExact(x.byok_usage_inference, share);
      if (x.day < this.workspacesSince || other === undefined || r() < 0.3 || x.requests < 2 || !usage || !byok) {
        x.parts = [withFees(whole)];
        continue;
      }
      const cut = (n: number): number => Math.floor(n * share);
      const requests = Math.max(1, cut(x.requests));
      x.parts = [
        withFees({
          ...whole,
          usage: usage[1],
          byok_usage_inference: byok[1],
          requests: x.requests - requests,
          prompt_tokens: x.prompt_tokens - cut(x.prompt_tokens),
          completion_tokens: x.completion_tokens - cut(x.completion_tokens),
          reasoning_tokens: x.reasoning_tokens - cut(x.reasoning_tokens),
        }),
        withFees({
          workspace_id: other.id,
          api_key_hash: pick(other.keys, deleted),
          user_id: USERS[1]?.id ?? '',
          usage: usage[0],
          byok_usage_inference: byok[0],
          requests,
          prompt_tokens: cut(x.prompt_tokens),
          completion_tokens: cut(x.completion_tokens),
          reasoning_tokens: cut(x.reasoning_tokens),
        }),
      ];
    }
  }

  /** The total usage of the ledger up to now (what /credits says, up to its cache), as the double it sends. */
  totalUsage(): number {
    const today = startOfDay(this.now());
    return this.rows.filter((x) => x.day <= today).reduce((s, x) => s + x.usage, 0);
  }

  /**
   * The running counters of a key by the fake clock, from its parts of the ledger up to today: lifetime,
   * the current UTC day, the current Monday-based UTC week and the current UTC month (doubles summed).
   */
  keyUsage(hash: string): Record<string, number> {
    const today = startOfDay(this.now());
    const weekday = (new Date(today * 1000).getUTCDay() + 6) % 7; // Monday 0
    const monday = today - weekday * DAY;
    const d = new Date(today * 1000);
    const month = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1) / 1000;
    const out: Record<string, number> = {
      usage: 0,
      usage_daily: 0,
      usage_weekly: 0,
      usage_monthly: 0,
      byok_usage: 0,
      byok_usage_daily: 0,
      byok_usage_weekly: 0,
      byok_usage_monthly: 0,
    };
    const add = (suffix: string, p: LedgerPart): void => {
      out[`usage${suffix}`] = (out[`usage${suffix}`] ?? 0) + p.usage;
      out[`byok_usage${suffix}`] = (out[`byok_usage${suffix}`] ?? 0) + p.byok_usage_inference;
    };
    for (const x of this.rows) {
      if (x.day > today) continue;
      for (const p of x.parts) {
        if (p.api_key_hash !== hash) continue;
        add('', p);
        if (x.day === today) add('_daily', p);
        if (x.day >= monday) add('_weekly', p);
        if (x.day >= month) add('_monthly', p);
      }
    }
    return out;
  }

  /** A generation made now (as POST /chat/completions does): GET /generation finds it after `generationDelayMs`. */
  makeGeneration(o: { byok?: boolean } = {}): string {
    const n = this.generations.size + 1;
    const id = `gen-${shortHash(`generation/${n}`, 24)}`;
    const createdMs = this.now();
    const byok = o.byok ?? n % 3 === 0;
    const cost = 0.0001 * n + 0.2;
    this.generations.set(id, {
      createdMs,
      data: {
        id,
        upstream_id: `chatcmpl-${shortHash(id, 12)}`,
        request_id: `req-${shortHash(id, 12)}`,
        session_id: null,
        created_at: new Date(createdMs).toISOString().replace('Z', '000+00:00'),
        total_cost: cost,
        usage: cost,
        upstream_inference_cost: byok ? 0.0042 : n % 2 === 0 ? null : 0,
        cache_discount: null,
        model: 'openai/gpt-4.1',
        provider_name: 'OpenAI',
        router: null,
        service_tier: null,
        data_region: 'global',
        provider_responses: [
          {
            provider_name: 'OpenAI',
            model_permaslug: 'openai/gpt-4.1-2025-04-14',
            endpoint_id: MODELS[0]?.endpoints[0]?.id,
            id: null,
            status: 200,
            latency: 420,
            is_byok: byok,
          },
        ],
        is_byok: byok,
        tokens_prompt: 12,
        tokens_completion: 34,
        native_tokens_prompt: 12,
        native_tokens_completion: 34,
        native_tokens_completion_images: null,
        native_tokens_reasoning: 0,
        native_tokens_cached: 0,
        num_media_prompt: null,
        num_input_audio_prompt: null,
        num_media_completion: 0,
        num_search_results: null,
        num_fetches: null,
        web_search_engine: null,
        latency: 420,
        generation_time: 380,
        moderation_latency: null,
        streamed: false,
        cancelled: false,
        finish_reason: 'stop',
        native_finish_reason: 'stop',
        origin: '',
        app_id: null,
        external_user: null,
        api_type: 'completions',
        preset_id: null,
        user_agent: null,
        http_referer: null,
        workspace_id: this.workspaceList[0]?.id,
      },
    });
    return id;
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
        usage: a.credits_usage === null ? '0' : decimalOf(a.credits_usage as number),
        byok_usage_inference: a.byok_usage === null ? '0' : decimalOf(a.byok_usage as number),
        requests: Number(a.request_count),
        prompt_tokens: Number(a.tokens_prompt),
        completion_tokens: Number(a.tokens_completion),
        reasoning_tokens: Number(a.reasoning_tokens),
      });
    }
    return out;
  }

  /** Analytics per day x model (the permaslug) over [from, to), time-descending; amounts summed as doubles, counts as strings. */
  analyticsRows(from: number, to: number): Array<Record<string, unknown> & { date: string; day: number; model: string }> {
    return this.aggregate({
      metrics: ['credits_usage', 'byok_usage', 'request_count', 'tokens_prompt', 'tokens_completion', 'reasoning_tokens'],
      dimensions: ['model'],
      byDay: true,
      from,
      to,
      filters: [],
    }).map((a) => ({ ...a, model: String(a.model) }));
  }

  /** The analytics answer's rows (before the time key is named and the limit cut): sums per day (or none) x dimensions. */
  aggregate(q: AnalyticsQuery): Array<Record<string, unknown> & { date: string; day: number }> {
    const needParts = q.dimensions.some((d) => PART_FIELDS.has(d)) || q.filters.some((f) => PART_FIELDS.has(f.field));
    const atoms: Atom[] = [];
    for (const x of this.rows) {
      if (x.day < q.from || x.day >= q.to) continue;
      const base = { day: x.day, model: x.model_permaslug, provider: x.provider_name };
      if (!needParts) {
        const fees = x.parts.reduce((s, p) => s + p.byok_fees, 0);
        atoms.push({ ...base, workspace_id: null, api_key_hash: null, user_id: null, ...this.amounts(x, fees) });
      } else for (const p of x.parts) atoms.push({ ...base, ...p, ...this.amounts(p, p.byok_fees) });
    }
    const groups = new Map<string, Atom[]>();
    for (const a of atoms.filter((a) => q.filters.every((f) => this.matches(a, f)))) {
      const k = JSON.stringify([q.byDay ? a.day : 0, ...q.dimensions.map((d) => this.dimensionValue(a, d))]);
      const g = groups.get(k);
      if (g) g.push(a);
      else groups.set(k, [a]);
    }
    const sum = (g: Atom[], f: (x: Atom) => number): number => g.reduce((s, x) => s + f(x), 0);
    const nul = (v: number): number | null => (v === 0 ? null : v); // unused components come back as null, not 0 [DOC cookbook]
    return [...groups.values()]
      .map((g) => {
        const x = g[0] as Atom;
        const credits = sum(g, (y) => y.usage);
        const byok = sum(g, (y) => y.byok);
        const split = nonByok(
          credits,
          sum(g, (y) => y.fees),
        );
        const values: Record<string, unknown> = {
          credits_usage: nul(credits),
          byok_usage: nul(byok),
          total_usage: nul(credits + byok),
          byok_fees: nul(split[1]),
          openrouter_usage: nul(split[0]),
          request_count: String(sum(g, (y) => y.requests)),
          byok_request_count: String(sum(g, (y) => y.byokRequests)),
          tokens_prompt: String(sum(g, (y) => y.prompt)),
          tokens_completion: String(sum(g, (y) => y.completion)),
          reasoning_tokens: String(sum(g, (y) => y.reasoning)),
        };
        const row: Record<string, unknown> & { date: string; day: number } = { date: isoDay(x.day), day: x.day };
        for (const d of q.dimensions) {
          row[d] = this.dimensionLabel(x, d);
          if (d === 'user') row.user_email = USERS.find((u) => u.id === x.user_id)?.email ?? null;
        }
        for (const m of q.metrics) row[m] = NULL_METRICS.has(m) ? null : values[m];
        return row;
      })
      .sort(
        (a, b) =>
          b.day - a.day ||
          q.dimensions
            .map((d) => String(a[d]))
            .join('|')
            .localeCompare(q.dimensions.map((d) => String(b[d])).join('|')),
      );
  }

  private amounts(
    x: { usage: number; byok_usage_inference: number; requests: number; prompt_tokens: number; completion_tokens: number; reasoning_tokens: number },
    fees: number,
  ) {
    return {
      usage: x.usage,
      byok: x.byok_usage_inference,
      fees,
      requests: x.requests,
      byokRequests: x.byok_usage_inference > 0 ? x.requests : 0,
      prompt: x.prompt_tokens,
      completion: x.completion_tokens,
      reasoning: x.reasoning_tokens,
    };
  }

  /** The raw value a filter compares (ids), and the grouping key. */
  private dimensionValue(a: Atom, d: string): string | null {
    if (d === 'model') return a.model;
    if (d === 'provider') return a.provider;
    if (d === 'workspace') return a.workspace_id;
    if (d === 'api_key_id') return a.api_key_hash;
    return a.user_id;
  }

  /** What a row shows for a dimension: labels, never ids, for workspace, api_key_id and user [DOC skill]. */
  private dimensionLabel(a: Atom, d: string): string | null {
    if (d === 'workspace') return (this.workspaceList.find((w) => w.id === a.workspace_id)?.name as string | undefined) ?? null;
    if (d === 'api_key_id') return (this.keyList.find((k) => k.hash === a.api_key_hash)?.name as string | undefined) ?? null;
    if (d === 'user') return USERS.find((u) => u.id === a.user_id)?.name ?? null;
    return this.dimensionValue(a, d);
  }

  private matches(a: Atom, f: { field: string; operator: string; values: string[] }): boolean {
    const v = this.dimensionValue(a, f.field);
    const hit = v !== null && f.values.includes(v);
    return f.operator === 'eq' || f.operator === 'in' ? hit : !hit;
  }

  // ---- routes ---------------------------------------------------------------------------

  private route(req: LoggedRequest): JsonReply {
    const key = presentedKey(req);
    if (key === undefined || (!this.keys.has(key) && !this.inference.has(key)))
      return { status: 401, body: { error: { code: 401, message: MISSING_AUTH_MESSAGE } } };
    const path = req.path.replace(/^\/api\/v1/, '');
    if (!req.path.startsWith('/api/v1/')) return err(404, 'Not Found');
    const management = ['/activity', '/analytics/query', '/analytics/meta', '/credits', '/keys', '/workspaces'];
    if (this.inference.has(key) && management.includes(path)) return err(403, FORBIDDEN_MESSAGE, undefined, { openrouter_metadata: null });
    if (path === '/activity' && req.method === 'GET') return this.activity(req);
    if (path === '/analytics/query' && req.method === 'POST') return this.analytics(req);
    if (path === '/analytics/meta' && req.method === 'GET') return this.analyticsMeta();
    if (path === '/credits' && req.method === 'GET') return this.creditsReply();
    if (path === '/workspaces' && req.method === 'GET') return this.workspaces(req);
    if (path === '/keys' && req.method === 'GET') return this.keysPage(req);
    if (path === '/chat/completions' && req.method === 'POST') return this.completion(key);
    if (path === '/generation' && req.method === 'GET') return this.generation(req);
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
    const groupBy = req.query.get('group_by');
    const workspace = req.query.get('workspace_id');
    const hash = req.query.get('api_key_hash');
    const user = req.query.get('user_id');
    if (groupBy !== null && groupBy !== 'workspace') return err(400, 'Invalid request parameters');
    // The workspace must belong to the account; a key hash is 64 hex (an unknown one: no rows; 400 or empty is UNKNOWN).
    if (workspace !== null && !this.workspaceList.some((x) => x.id === workspace)) return err(400, 'Invalid request parameters');
    if (hash !== null && !/^[0-9a-f]{64}$/.test(hash)) return err(400, 'Invalid request parameters');
    const filtered = workspace !== null || hash !== null || user !== null;
    const items: Array<{ x: LedgerRow; v: Omit<LedgerPart, 'workspace_id' | 'api_key_hash' | 'user_id' | 'byok_fees'>; workspace_id?: string }> = [];
    for (const x of this.rows) {
      if (x.day < from || x.day >= to) continue;
      if (!filtered && groupBy === null) {
        items.push({ x, v: x });
        continue;
      }
      const parts = x.parts.filter(
        (p) => (workspace === null || p.workspace_id === workspace) && (hash === null || p.api_key_hash === hash) && (user === null || p.user_id === user),
      );
      // Each part of a row is another workspace, key and user: a filter keeps at most one, group_by splits them.
      if (groupBy !== null) for (const p of parts) items.push({ x, v: p, workspace_id: p.workspace_id });
      else if (parts.length === x.parts.length) items.push({ x, v: x });
      else for (const p of parts) items.push({ x, v: p });
    }
    const r = rng(from / DAY);
    const data = items.map(({ x, v, workspace_id }, i) => ({
      // Both date forms (one client reports "YYYY-MM-DD 00:00:00").
      date: this.dateWithTime === 'always' || (this.dateWithTime === 'some' && i % 3 === 1) ? `${isoDay(x.day)} 00:00:00` : isoDay(x.day),
      model: x.model,
      model_permaslug: x.model_permaslug,
      endpoint_id: x.endpoint_id,
      provider_name: x.provider_name,
      usage: this.unsettled(x, i) ? v.usage / 2 : v.usage,
      byok_usage_inference: v.byok_usage_inference,
      requests: v.requests,
      prompt_tokens: v.prompt_tokens,
      completion_tokens: v.completion_tokens,
      reasoning_tokens: v.reasoning_tokens,
      ...(workspace_id === undefined ? {} : { workspace_id }),
      // Undocumented extra fields, at random.
      ...(r() < 0.4 ? { variant: 'standard', byok_requests: 0 } : {}),
    }));
    return { status: 200, body: { data } };
  }

  /** Whether row `i` of a day's answer is still partial (lateChanges: its day ended less than 30 minutes ago). */
  private unsettled(x: LedgerRow, i: number): boolean {
    return this.lateChanges && i % 4 === 0 && this.now() < (x.day + DAY) * 1000 + 30 * 60_000;
  }

  /** 64 analytics requests per rolling minute [DOC skill]: a 429 above, with X-RateLimit-* and, every other time, Retry-After. */
  private overRateLimit(): JsonReply | null {
    if (this.rateLimit === false) return null;
    // Elapsed time, not the fake clock (a test may hold that still): the window always rolls on.
    const elapsed = performance.now();
    const { limit, windowMs } = this.rateLimit;
    while ((this.analyticsServed[0] ?? Number.POSITIVE_INFINITY) <= elapsed - windowMs) this.analyticsServed.shift();
    if (this.analyticsServed.length < limit) {
      this.analyticsServed.push(elapsed);
      return null;
    }
    this.rateLimited += 1;
    const waitMs = (this.analyticsServed[0] as number) + windowMs - elapsed;
    const now = this.now();
    const reset = Math.ceil(now + waitMs);
    return err(
      429,
      'Rate limit exceeded: limit_rpm/analytics',
      {
        'x-ratelimit-limit': String(limit),
        'x-ratelimit-remaining': '0',
        'x-ratelimit-reset': String(reset),
        ...(this.rateLimited % 2 === 1 ? { 'retry-after': String(Math.max(1, Math.ceil((reset - now) / 1000))) } : {}),
      },
      { metadata: { error_type: 'rate_limit_exceeded' }, openrouter_metadata: { limit_rpm: limit } },
    );
  }

  /** The number of 429s the analytics rate limit answered. */
  get analyticsRateLimited(): number {
    return this.rateLimited;
  }

  private analytics(req: LoggedRequest): JsonReply {
    const limited = this.overRateLimit();
    if (limited) return limited;
    if (this.analyticsThrottled) {
      // First a 429 (rate limit headers, Retry-After), next a 408; then served.
      const attempts = this.requests.filter((x) => x.path.endsWith('/analytics/query')).length;
      if (attempts === 1) {
        return err(
          429,
          'Rate limit exceeded',
          {
            'x-ratelimit-limit': '64',
            'x-ratelimit-remaining': '0',
            'x-ratelimit-reset': String(this.now() + 1000),
            'retry-after': '1',
          },
          { metadata: { error_type: 'rate_limit_exceeded' } },
        );
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
      filters?: unknown;
    };
    try {
      body = JSON.parse(req.body ?? '');
    } catch {
      return err(400, 'Invalid JSON body');
    }
    if (!Array.isArray(body.metrics) || body.metrics.length === 0) return err(400, 'metrics: Too small: expected array to have >=1 items');
    const metrics = body.metrics.map(String);
    const unknownMetric = metrics.find((m) => !METRICS_365.includes(m) && !METRICS_31.includes(m));
    if (unknownMetric !== undefined) return err(400, `metrics: unknown metric "${unknownMetric}"`);
    const dims = Array.isArray(body.dimensions) ? body.dimensions.map(String) : [];
    if (dims.length > 2) return err(400, DIMENSIONS_MESSAGE);
    const unknownDim = dims.find((d) => !DIMENSIONS_365.includes(d) && !DIMENSIONS_31.includes(d));
    if (unknownDim !== undefined) return err(400, `dimensions: unknown dimension "${unknownDim}"`);
    const unserved = dims.find((d) => !SERVED_DIMENSIONS.has(d));
    if (unserved !== undefined) return err(400, `this fake does not group by ${unserved}`);
    if (body.granularity !== undefined && body.granularity !== 'day')
      return err(400, `this fake serves granularity day or none, got ${JSON.stringify(body.granularity)}`);
    const limit = body.limit === undefined ? 1000 : Number(body.limit);
    if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) return err(400, 'limit: expected an integer between 1 and 10000');
    const today = startOfDay(this.now());
    // Default time_range: the last 7 days [DOC skill].
    const start = typeof body.time_range?.start === 'string' ? Date.parse(body.time_range.start) / 1000 : this.now() / 1000 - 7 * DAY;
    const end = typeof body.time_range?.end === 'string' ? Date.parse(body.time_range.end) / 1000 : this.now() / 1000;
    if (!Number.isFinite(start) || !Number.isFinite(end) || end <= start) return err(400, 'time_range: start must be before end');
    if (end - start > ANALYTICS_MAX_DAYS * DAY) return err(400, `time_range: at most ${ANALYTICS_MAX_DAYS} days`);
    const short = [...metrics.filter((m) => METRICS_31.includes(m)), ...dims.filter((d) => DIMENSIONS_31.includes(d))];
    if (short.length > 0 && end - start > SHORT_DAYS * DAY)
      return err(400, `time_range: ${short.join(', ')} can be queried for at most ${SHORT_DAYS} days; narrow the time range`);
    const filters: AnalyticsQuery['filters'] = [];
    const warnings: string[] = [];
    for (const f of Array.isArray(body.filters) ? (body.filters as Array<{ field?: unknown; operator?: unknown; value?: unknown }>) : []) {
      const field = String(f.field);
      const operator = String(f.operator);
      if (!['model', 'provider', 'workspace', 'api_key_id', 'user'].includes(field)) return err(400, `filters: this fake does not filter by ${field}`);
      if (!['eq', 'neq', 'in', 'not_in'].includes(operator)) return err(400, `filters: operator ${operator} is not valid for ${field}`);
      let values = (Array.isArray(f.value) ? f.value : [f.value]).map(String);
      if (field === 'api_key_id') {
        // A numeric id or a 64-hex key hash; an unresolvable hash is a sentinel that matches nothing (no error) [DOC skill].
        values = values.map((v) => {
          const known = /^\d+$/.test(v) ? [...this.keyIds].find(([, id]) => String(id) === v)?.[0] : this.keyIds.has(v) ? v : undefined;
          if (known === undefined) warnings.push(`api_key_id filter value ${v} could not be resolved to a key; it matches no rows`);
          return known ?? '__unresolved__';
        });
      }
      filters.push({ field, operator, values });
    }
    if (dims.length === 2 && end - start > 90 * DAY) {
      const signature = JSON.stringify(body);
      if (!this.expensive.has(signature)) {
        this.expensive.add(signature);
        return err(408, 'Operation timed out. Please try again later.');
      }
    }
    const signature = JSON.stringify(body);
    const cached = this.queries.has(signature);
    this.queries.add(signature);
    const floor = today - ANALYTICS_MAX_DAYS * DAY;
    const byDay = body.granularity === 'day';
    const from = Math.max(start, floor);
    const to = Math.min(end, this.now() / 1000);
    const all = this.aggregate({ metrics, dimensions: dims, byDay, from, to, filters });
    // One data source per query: created_at__day for some, date__day (ISO) for others.
    const createdAt = Math.floor(start / DAY) % 2 === 0;
    const rows = all.slice(0, limit).map(({ date, day: _day, ...a }) => ({
      ...(byDay ? (createdAt ? { created_at__day: date } : { date__day: `${date}T00:00:00.000Z` }) : {}),
      ...a,
    }));
    this.analyticsBodies.push(body);
    return {
      status: 200,
      body: {
        data: {
          data: rows,
          metadata: { query_time_ms: 42, row_count: rows.length, truncated: all.length > limit },
          ...(cached ? { cachedAt: this.now() } : {}),
          ...(warnings.length > 0 ? { warnings } : {}),
        },
      },
    };
  }

  private analyticsMeta(): JsonReply {
    const label = (n: string): string => n.replace(/_/g, ' ');
    return {
      status: 200,
      body: {
        data: {
          metrics: [...METRICS_365, ...METRICS_31].map((name) => ({
            name,
            display_label: label(name),
            is_rate: false,
            display_format: name.includes('usage') || name.includes('fees') ? 'currency' : 'number',
          })),
          dimensions: [...DIMENSIONS_365, ...DIMENSIONS_31].map((name) => ({ name, display_label: label(name) })),
          operators: ['eq', 'neq', 'in', 'not_in', 'gt', 'gte', 'lt', 'lte'].map((name) => ({ name, value_type: name.endsWith('in') ? 'array' : 'scalar' })),
          granularities: ['minute', 'hour', 'day', 'week', 'month'].map((name) => ({ name, display_label: label(name) })),
        },
      },
    };
  }

  /** /credits, cached up to `creditsStaleMs` (CodexBar: up to 60 s stale) [FIELD]. */
  private creditsReply(): JsonReply {
    const now = this.now();
    if (this.credits === null || now - this.credits.at >= this.creditsStaleMs || now < this.credits.at)
      this.credits = { at: now, total_usage: this.totalUsage() };
    return { status: 200, body: { data: { total_credits: this.totalCredits, total_usage: this.credits.total_usage } } };
  }

  /** A management key cannot make model requests (401 or 403 is UNKNOWN: 403 here); an inference key makes a generation. */
  private completion(key: string): JsonReply {
    if (!this.inference.has(key)) return err(403, 'Management keys cannot be used to make API calls to completion endpoints');
    const id = this.makeGeneration();
    return {
      status: 200,
      body: {
        id,
        object: 'chat.completion',
        model: 'openai/gpt-4.1',
        choices: [{ index: 0, message: { role: 'assistant', content: 'ok' }, finish_reason: 'stop' }],
        usage: { prompt_tokens: 12, completion_tokens: 34, total_tokens: 46 },
      },
    };
  }

  /** GET /generation?id=: any key; a 404 until `generationDelayMs` after the generation was made [FIELD]. */
  private generation(req: LoggedRequest): JsonReply {
    const id = req.query.get('id');
    if (id === null || id.length === 0) return err(400, 'id: Too small: expected string to have >=1 characters');
    const g = this.generations.get(id);
    if (g === undefined || this.now() < g.createdMs + this.generationDelayMs) return err(404, `Generation ${id} not found`);
    return { status: 200, body: { data: g.data } };
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
    const page = list.slice(offset, offset + 100);
    return { status: 200, body: { data: this.keyCounters ? page.map((k) => ({ ...k, ...this.keyUsage(String(k.hash)) })) : page } };
  }
}
