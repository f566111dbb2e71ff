import { FakeServer, type Fault, type JsonReply, type LoggedRequest } from './server.js';
import { rng, shortHash } from './random.js';
import { AnalyticsData, AnalyticsEndpoints, type AnalyticsOptions } from './anthropic-analytics.js';
import { centsToUnits, Ledger, type LedgerEvent, TWIN_DIMS, unitsToUsd } from './anthropic-ledger.js';

export { PLANTED_AMOUNTS, unitsToCents, unitsToUsd } from './anthropic-ledger.js';

/**
 * A faithful fake of Anthropic's Admin API (shared/specs/anthropic-admin-usage-cost.openapi.json,
 * shared/reference/provider-apis.md section 4) on one deterministic, seeded organisation whose
 * money and usage endpoints all derive from one ledger of charges (anthropic-ledger.ts), so they
 * agree as the real API's do (a cost report row is the day's analytics rows summed):
 * - GET /v1/organizations/cost_report: cents as decimal strings with up to 9 decimals (the spec's
 *   "123.78912", "0.1" and "1500" are planted on the first three days), group_by[] workspace_id/description,
 *   limit 1-31, bucket_width 1d, and the date rule: day-aligned starting_at/ending_at spanning
 *   at least one whole day and not ending after the start of today, else
 *   400 "Invalid date range" with `x-should-retry: false`;
 * - GET /v1/organizations/usage_report/messages: 1d/1h/1m with the per-width limits, every
 *   group_by[] (speed only with the beta header) but at most 5 of them per request (the live API's
 *   400 "Cannot specify more than 5 group_by[] dimensions.", PostHog/posthog#72556), every filter,
 *   nested cache_creation and server_tool_use (absent on the oldest days, as fields the API did not
 *   send yet); dimensions vary independently, and every day holds pairs of events that differ in
 *   exactly one dimension, so a record id that leaves a dimension out collides;
 * - GET /v1/organizations/usage_report/claude_code: one day per request, records paginated;
 * - GET /v1/organizations/{workspaces,api_keys,users}: after_id/before_id/limit lists;
 * - every bucketed page holds empty buckets too, cursors work for grouped queries, errors have
 *   Anthropic's shape {"type":"error","error":{type,message},"request_id"} and every response a
 *   `request-id` header; x-api-key and anthropic-version are required.
 * Ground truth: the expected* methods of AnthropicOrg give the records a connector must emit;
 * org.ledger.dailyTotals() the money every table must add up to per day.
 */
export const DAY = 86_400;
export const ANTHROPIC_VERSION = '2023-06-01';
export const FAST_MODE_BETA = 'fast-mode-2026-02-01';
export const INVALID_DATE_RANGE = 'Invalid date range: ending date must be after starting date';
/** Most group_by[] values usage_report/messages takes (PostHog/posthog#72556), and its refusal of more. */
export const MAX_GROUP_BY = 5;
export const tooManyGroupBy = (max: number): string => `Cannot specify more than ${max} group_by[] dimensions.`;
/** server_tool_use is absent from messages results before this day, cache_creation before CACHE_CREATION_DAY. */
export const SERVER_TOOL_USE_DAY = Date.UTC(2025, 9, 1) / 1000; // 2025-10-01
export const CACHE_CREATION_DAY = Date.UTC(2025, 8, 15) / 1000; // 2025-09-15

export type Width = '1d' | '1h' | '1m';
export const WIDTH_SECONDS: Record<Width, number> = { '1d': DAY, '1h': 3_600, '1m': 60 };
/** limit per bucket_width for usage_report/messages (spec: `limit` description). */
export const MESSAGES_LIMITS: Record<Width, { default: number; max: number }> = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 },
};
export const COST_GROUP_BY = ['workspace_id', 'description'] as const;
/** The messages report's group_by[] values (without `speed`): the ledger's twin dimensions. */
export const MESSAGES_DIMS = TWIN_DIMS;
/** Every group_by[] value of the messages report, `speed` (beta) included. */
export const MESSAGES_GROUP_BY = [
  'account_id',
  'api_key_id',
  'context_window',
  'inference_geo',
  'model',
  'service_account_id',
  'service_tier',
  'speed',
  'workspace_id',
] as const;
/** The grouping source-anthropic-costs sends by default: the cost-allocation five (its documented contract). */
export const DEFAULT_GROUP_BY = ['api_key_id', 'workspace_id', 'model', 'service_tier', 'context_window'] as const;
type MessagesDim = (typeof MESSAGES_DIMS)[number] | 'speed';

const TERMINALS = ['vscode', 'iTerm.app', 'tmux', 'cursor'] as const;
const TOOLS = ['edit_tool', 'multi_edit_tool', 'write_tool', 'notebook_edit_tool'] as const;
/** Claude Code's model breakdown names these. */
const CODE_MODELS = ['claude-opus-4-5', 'claude-sonnet-5', 'claude-haiku-4-5'] as const;

export interface UsageEvent {
  t: number;
  dims: Record<MessagesDim, string | null>;
  uncached_input_tokens: number;
  cache_1h: number;
  cache_5m: number;
  cache_read_input_tokens: number;
  output_tokens: number;
  web_search_requests: number;
}

export interface WorkspaceObject {
  id: string;
  type: 'workspace';
  name: string;
  created_at: string;
  archived_at: string | null;
  display_color: string;
  data_residency: { workspace_geo: string; default_inference_geo: string; allowed_inference_geos: string[] | 'unrestricted' };
}
export interface ApiKeyObject {
  id: string;
  type: 'api_key';
  name: string;
  workspace_id: string | null;
  status: 'active' | 'inactive' | 'archived';
  created_at: string;
  expires_at: string | null;
  created_by: { id: string; type: string };
  partial_key_hint: string;
}
export interface UserObject {
  id: string;
  type: 'user';
  email: string;
  name: string;
  role: string;
  added_at: string;
}
export interface ClaudeCodeRecord {
  date: string;
  actor: { type: 'user_actor'; email_address: string } | { type: 'api_actor'; api_key_name: string };
  organization_id: string;
  customer_type: 'api' | 'subscription';
  subscription_type: 'enterprise' | 'team' | null;
  terminal_type: string;
  is_remote: boolean;
  core_metrics: {
    num_sessions: number;
    lines_of_code: { added: number; removed: number };
    commits_by_claude_code: number;
    pull_requests_by_claude_code: number;
  };
  tool_actions: Record<string, { accepted: number; rejected: number }>;
  model_breakdown: Array<{
    model: string;
    tokens: { input: number; output: number; cache_read: number; cache_creation: number };
    estimated_cost: { amount: number; currency: string };
  }>;
}

export type Expected = Record<string, unknown>;

export interface AnthropicOrgOptions {
  seed?: number;
  /** First day with data, unix seconds (UTC midnight). */
  firstDay: number;
  days: number;
  /** Every n-th day has no cost, usage or Claude Code at all (0 = none). Default 7. */
  emptyEvery?: number;
  adminKey?: string;
  /** Active workspaces (2 archived ones come on top). Default 4. */
  workspaces?: number;
  /** Members of the org. Default 12. */
  users?: number;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');
const isoDay = (t: number): string => iso(t).slice(0, 10);

/** A ledger event as usage_report/messages sees it: its dimensions (inference_geo as a string) and tokens. */
function usageEvent(e: LedgerEvent): UsageEvent {
  return {
    t: e.t,
    dims: {
      api_key_id: e.dims.api_key_id as string | null,
      workspace_id: e.dims.workspace_id as string | null,
      account_id: e.accountId,
      service_account_id: e.serviceAccountId,
      model: e.dims.model as string | null,
      service_tier: e.dims.service_tier as string | null,
      context_window: e.dims.context_window as string | null,
      inference_geo: e.geo,
      speed: e.dims.speed as string | null,
    },
    uncached_input_tokens: e.tokens.uncached_input_tokens,
    cache_1h: e.tokens['cache_creation.ephemeral_1h_input_tokens'],
    cache_5m: e.tokens['cache_creation.ephemeral_5m_input_tokens'],
    cache_read_input_tokens: e.tokens.cache_read_input_tokens,
    output_tokens: e.tokens.output_tokens,
    web_search_requests: e.webSearches,
  };
}

/** Unkind workspace names (the rest are `Workspace NN`): two share a name, and names are not ASCII. */
export const WORKSPACE_NAMES: readonly string[] = ['Équipe Données', 'Production', 'Production', 'データ基盤 🚀'];
/** Unkind user names (the rest are `User NN`): not ASCII, and two people with the same name. */
export const USER_NAMES: readonly string[] = ['José Müller-Ñúñez', '王小明', 'Alex Kim', 'Alex Kim'];

export class AnthropicOrg {
  readonly seed: number;
  readonly firstDay: number;
  readonly endDay: number;
  readonly adminKey: string;
  readonly organizationId: string;
  readonly workspaces: WorkspaceObject[];
  readonly users: UserObject[];
  readonly apiKeys: ApiKeyObject[];
  /**
   * Deleted since they were used: in the ledger (costs, usage) under their id, in no list, so
   * with no name. A key of the first active workspace, and the last user.
   */
  readonly deletedApiKeys: ReadonlySet<string>;
  readonly deletedUsers: ReadonlySet<string>;
  readonly serviceAccounts: string[];
  /** The one ledger every money and usage endpoint derives from (anthropic-ledger.ts). */
  readonly ledger: Ledger;
  private readonly emptyEvery: number;
  private readonly secrets = new Map<string, string>();
  private readonly usageCache = new Map<string, UsageEvent[]>();
  private readonly codeCache = new Map<number, ClaudeCodeRecord[]>();

  constructor(o: AnthropicOrgOptions) {
    this.seed = o.seed ?? 42;
    this.firstDay = o.firstDay;
    this.endDay = o.firstDay + o.days * DAY;
    this.emptyEvery = o.emptyEvery ?? 7;
    this.adminKey = o.adminKey ?? 'sk-ant-admin01-fake-0123456789abcdef';
    this.organizationId = `${shortHash(`org${this.seed}`, 8)}-1234-5678-1234-${shortHash(`org${this.seed}b`, 12)}`;
    const t0 = o.firstDay - 300 * DAY;
    const pad = (n: number): string => String(n).padStart(2, '0');
    const active = o.workspaces ?? 4;
    this.workspaces = Array.from({ length: active + 2 }, (_, i) => ({
      id: `wrkspc_01${shortHash(`ws${this.seed}:${i}`, 22)}`,
      type: 'workspace',
      name: WORKSPACE_NAMES[i] ?? `Workspace ${pad(i + 1)}`,
      created_at: iso(t0 + i * DAY + 1234),
      archived_at: i >= active ? iso(t0 + (i + 40) * DAY) : null,
      display_color: `#${shortHash(`color${i}`, 6)}`,
      data_residency: {
        workspace_geo: 'us',
        default_inference_geo: i % 2 ? 'us' : 'global',
        allowed_inference_geos: i % 3 === 0 ? 'unrestricted' : ['us', 'global'],
      },
    }));
    const roles = ['admin', 'developer', 'user', 'billing', 'claude_code_user'];
    this.users = Array.from({ length: o.users ?? 12 }, (_, i) => ({
      id: `user_01${shortHash(`user${this.seed}:${i}`, 22)}`,
      type: 'user',
      email: `user${pad(i + 1)}@example.com`,
      name: USER_NAMES[i] ?? `User ${pad(i + 1)}`,
      role: roles[i % roles.length] as string,
      added_at: iso(t0 + i * 7 * 3_600),
    }));
    // Two keys in the default workspace (null) and in every active workspace, one more per archived one.
    const owners: Array<string | null> = [null, ...this.workspaces.map((w) => w.id)];
    const statuses = ['active', 'active', 'inactive', 'archived'] as const;
    this.apiKeys = owners.flatMap((ws, wi) =>
      Array.from({ length: wi > active ? 1 : 2 }, (_, k) => {
        const id = `apikey_01${shortHash(`key${this.seed}:${wi}:${k}`, 22)}`;
        const secret = `sk-ant-api03-${shortHash(`secret${this.seed}:${id}`, 86)}-${shortHash(id, 6)}AA`;
        this.secrets.set(id, secret);
        const creator = this.users[(wi + k) % this.users.length] as UserObject;
        return {
          id,
          type: 'api_key' as const,
          name: `${ws === null ? 'Default' : (this.workspaces[wi - 1]?.name ?? `Workspace ${pad(wi)}`)} key ${k + 1}`,
          workspace_id: ws,
          status: wi > active ? 'archived' : (statuses[(wi * 2 + k) % statuses.length] as ApiKeyObject['status']),
          created_at: iso(t0 + (wi * 2 + k) * DAY + 99),
          expires_at: k === 1 ? iso(o.firstDay + 400 * DAY) : null,
          created_by: { id: creator.id, type: 'user' },
          partial_key_hint: `${secret.slice(0, 16)}...${secret.slice(-4)}`,
        };
      }),
    );
    this.deletedApiKeys = new Set(
      this.apiKeys
        .filter((k) => k.workspace_id === this.workspaces[0]?.id)
        .map((k) => k.id)
        .slice(1, 2),
    );
    this.deletedUsers = new Set(this.users.slice(-1).map((u) => u.id));
    this.serviceAccounts = [`svac_01${shortHash(`svac${this.seed}:0`, 22)}`, `svac_01${shortHash(`svac${this.seed}:1`, 22)}`];
    this.ledger = new Ledger({
      seed: this.seed,
      firstDay: this.firstDay,
      endDay: this.endDay,
      emptyEvery: this.emptyEvery,
      workspaces: this.spendingWorkspaces,
      apiKeys: this.apiKeys,
      users: this.users,
      serviceAccounts: this.serviceAccounts,
    });
  }

  /** The full secret of an API key: what must never appear in a connector's output. */
  apiKeySecret(id: string): string | undefined {
    return this.secrets.get(id);
  }

  private dayIndex(day: number): number | null {
    if (day < this.firstDay || day >= this.endDay) return null;
    const index = (day - this.firstDay) / DAY;
    if (this.emptyEvery > 0 && index % this.emptyEvery === this.emptyEvery - 1) return null;
    return index;
  }

  /** Workspaces with spend: the default one (null) and the active ones. */
  private get spendingWorkspaces(): Array<string | null> {
    return [null, ...this.workspaces.filter((w) => w.archived_at === null).map((w) => w.id)];
  }

  // ---- cost_report ---------------------------------------------------------------------------

  /** Cost results of one day bucket as the API sends them: the ledger's charges of the day by workspace and cost line. */
  costResults(day: number, groupBy: readonly string[]): Array<Record<string, unknown>> {
    return this.ledger.costResults(day, groupBy);
  }

  /** Ground truth: the cost_report records for days [start, end). */
  expectedCostReport(start: number, end: number, groupBy: readonly string[] = COST_GROUP_BY): Expected[] {
    const out: Expected[] = [];
    for (let day = start; day < end; day += DAY) {
      for (const r of this.costResults(day, groupBy)) {
        const { amount, ...rest } = r;
        out.push({
          starting_at: iso(day),
          ending_at: iso(day + DAY),
          date: isoDay(day),
          ...rest,
          amount_cents: amount,
          amount_usd: unitsToUsd(centsToUnits(amount as string)),
        });
      }
    }
    return out;
  }

  // ---- usage_report/messages ----------------------------------------------------------------

  /** The usage events of one day as the messages report sees them: the ledger's events with tokens (not code execution). */
  usageOn(day: number): UsageEvent[] {
    const key = `${day}:${this.ledger.generation}`;
    const hit = this.usageCache.get(key);
    if (hit) return hit;
    const events = this.ledger
      .eventsOn(day)
      .filter((e) => Object.values(e.tokens).some((n) => n > 0))
      .map(usageEvent);
    this.usageCache.set(key, events);
    return events;
  }

  /** Messages usage results of one bucket [start, start + width) as the API sends them. */
  usageResults(
    start: number,
    width: Width,
    groupBy: readonly string[],
    filters: Readonly<Record<string, readonly string[]>> = {},
    withSpeed = false,
  ): Array<Record<string, unknown>> {
    const end = start + WIDTH_SECONDS[width];
    const day = Math.floor(start / DAY) * DAY;
    const groups = new Map<string, { dims: Record<string, string | null>; m: number[] }>();
    for (const ev of this.usageOn(day)) {
      if (ev.t < start || ev.t >= end) continue;
      if (Object.entries(filters).some(([dim, values]) => values.length > 0 && !values.includes(String(ev.dims[dim as MessagesDim])))) continue;
      const dims: Record<string, string | null> = {};
      for (const d of [...MESSAGES_DIMS, ...(withSpeed ? ['speed' as const] : [])]) dims[d] = groupBy.includes(d) ? ev.dims[d] : null;
      const key = JSON.stringify(dims);
      const g = groups.get(key) ?? { dims, m: [0, 0, 0, 0, 0, 0] };
      const add = [ev.uncached_input_tokens, ev.cache_1h, ev.cache_5m, ev.cache_read_input_tokens, ev.output_tokens, ev.web_search_requests];
      add.forEach((v, i) => (g.m[i] = (g.m[i] as number) + v));
      groups.set(key, g);
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => {
        const [uncached, c1h, c5m, read, output, web] = g.m as [number, number, number, number, number, number];
        return {
          uncached_input_tokens: uncached,
          // Fields the API had not added yet on the oldest days: absent, not zero.
          ...(day >= CACHE_CREATION_DAY ? { cache_creation: { ephemeral_1h_input_tokens: c1h, ephemeral_5m_input_tokens: c5m } } : {}),
          cache_read_input_tokens: read,
          output_tokens: output,
          ...(day >= SERVER_TOOL_USE_DAY ? { server_tool_use: { web_search_requests: web } } : {}),
          ...g.dims,
        };
      });
  }

  /** Ground truth: the usage_messages records for [start, end) at `width`. */
  expectedUsageMessages(start: number, end: number, width: Width = '1d', groupBy: readonly string[] = DEFAULT_GROUP_BY): Expected[] {
    const step = WIDTH_SECONDS[width];
    const out: Expected[] = [];
    for (let t = Math.floor(start / step) * step; t < end; t += step) {
      for (const r of this.usageResults(t, width, groupBy)) {
        const cc = r.cache_creation as { ephemeral_1h_input_tokens: number; ephemeral_5m_input_tokens: number } | undefined;
        const stu = r.server_tool_use as { web_search_requests: number } | undefined;
        const row: Expected = { starting_at: iso(t), ending_at: iso(t + step), date: isoDay(t) };
        for (const d of MESSAGES_DIMS) row[d] = r[d] ?? null;
        Object.assign(row, {
          uncached_input_tokens: r.uncached_input_tokens,
          cache_creation_ephemeral_1h_input_tokens: cc?.ephemeral_1h_input_tokens ?? null,
          cache_creation_ephemeral_5m_input_tokens: cc?.ephemeral_5m_input_tokens ?? null,
          cache_read_input_tokens: r.cache_read_input_tokens,
          output_tokens: r.output_tokens,
          server_tool_use_web_search_requests: stu?.web_search_requests ?? null,
        });
        out.push(row);
      }
    }
    return out;
  }

  // ---- usage_report/claude_code ---------------------------------------------------------------

  /** Claude Code records of one day, in the API's (stable) order. */
  claudeCodeOn(day: number): ClaudeCodeRecord[] {
    const hit = this.codeCache.get(day);
    if (hit) return hit;
    const index = this.dayIndex(day);
    const records: ClaudeCodeRecord[] = [];
    if (index !== null) {
      const rand = rng(this.seed * 104_729 + 17 + index);
      const f = (n: number): number => Math.floor(rand() * n);
      const actors: ClaudeCodeRecord['actor'][] = [
        ...this.users.slice(0, 5).map((u) => ({ type: 'user_actor' as const, email_address: u.email })),
        ...this.apiKeys.slice(0, 2).map((k) => ({ type: 'api_actor' as const, api_key_name: k.name })),
      ];
      for (const [ai, actor] of actors.entries()) {
        if (rand() < 0.4) continue;
        const terminals = TERMINALS.filter(() => rand() < 0.5);
        if (terminals.length === 0) terminals.push(TERMINALS[ai % TERMINALS.length] as (typeof TERMINALS)[number]);
        for (const terminal_type of terminals) {
          for (const is_remote of rand() < 0.25 ? [false, true] : [false]) {
            const user = actor.type === 'user_actor';
            const models = CODE_MODELS.filter(() => rand() < 0.6);
            records.push({
              date: iso(day),
              actor,
              organization_id: this.organizationId,
              customer_type: user ? 'subscription' : 'api',
              subscription_type: user ? (ai % 2 ? 'team' : 'enterprise') : null,
              terminal_type,
              is_remote,
              core_metrics: {
                num_sessions: 1 + f(15),
                lines_of_code: { added: f(900), removed: f(300) },
                commits_by_claude_code: f(9),
                pull_requests_by_claude_code: f(3),
              },
              tool_actions: Object.fromEntries(TOOLS.filter(() => rand() < 0.6).map((t) => [t, { accepted: f(30), rejected: f(5) }])),
              model_breakdown: models.map((m) => ({
                model: m,
                tokens: { input: f(50_000), output: f(15_000), cache_read: f(9_000), cache_creation: f(3_000) },
                estimated_cost: { amount: f(400), currency: 'USD' },
              })),
            });
          }
        }
      }
    }
    this.codeCache.set(day, records);
    return records;
  }

  /** Ground truth: the usage_claude_code records for days [start, end). */
  expectedClaudeCode(start: number, end: number): Expected[] {
    const out: Expected[] = [];
    for (let day = start; day < end; day += DAY) {
      for (const r of this.claudeCodeOn(day)) {
        const breakdown = r.model_breakdown.map((b) => ({
          model: b.model,
          input_tokens: b.tokens.input,
          output_tokens: b.tokens.output,
          cache_read_tokens: b.tokens.cache_read,
          cache_creation_tokens: b.tokens.cache_creation,
          estimated_cost_cents: b.estimated_cost.amount,
          estimated_cost_usd: unitsToUsd(BigInt(b.estimated_cost.amount) * 1_000_000_000n),
          estimated_cost_currency: b.estimated_cost.currency,
        }));
        const sum = (k: 'input_tokens' | 'output_tokens' | 'cache_read_tokens' | 'cache_creation_tokens' | 'estimated_cost_cents'): number | null =>
          breakdown.length === 0 ? null : breakdown.reduce((s, b) => s + b[k], 0);
        const cents = sum('estimated_cost_cents');
        out.push({
          starting_at: iso(day),
          ending_at: iso(day + DAY),
          date: isoDay(day),
          organization_id: r.organization_id,
          actor_type: r.actor.type,
          actor_email_address: r.actor.type === 'user_actor' ? r.actor.email_address : null,
          actor_api_key_name: r.actor.type === 'api_actor' ? r.actor.api_key_name : null,
          customer_type: r.customer_type,
          subscription_type: r.subscription_type,
          terminal_type: r.terminal_type,
          is_remote: r.is_remote,
          num_sessions: r.core_metrics.num_sessions,
          lines_of_code_added: r.core_metrics.lines_of_code.added,
          lines_of_code_removed: r.core_metrics.lines_of_code.removed,
          commits_by_claude_code: r.core_metrics.commits_by_claude_code,
          pull_requests_by_claude_code: r.core_metrics.pull_requests_by_claude_code,
          tool_actions: r.tool_actions,
          input_tokens: sum('input_tokens'),
          output_tokens: sum('output_tokens'),
          cache_read_tokens: sum('cache_read_tokens'),
          cache_creation_tokens: sum('cache_creation_tokens'),
          estimated_cost_cents: cents,
          estimated_cost_usd: cents === null ? null : unitsToUsd(BigInt(cents) * 1_000_000_000n),
          estimated_cost_currency: breakdown.length === 0 ? null : 'USD',
          model_breakdown: breakdown,
        });
      }
    }
    return out;
  }

  // ---- entities -------------------------------------------------------------------------------

  expectedWorkspaces(): Expected[] {
    return this.workspaces.map((w) => ({ ...w }));
  }

  /** The API keys the list serves (deleted ones left out). */
  listedApiKeys(): ApiKeyObject[] {
    return this.apiKeys.filter((k) => !this.deletedApiKeys.has(k.id));
  }

  /** The users the list serves (deleted ones left out). */
  listedUsers(): UserObject[] {
    return this.users.filter((u) => !this.deletedUsers.has(u.id));
  }

  expectedApiKeys(): Expected[] {
    return this.listedApiKeys().map(({ created_by, ...k }) => ({ ...k, created_by_id: created_by.id, created_by_type: created_by.type }));
  }

  expectedUsers(): Expected[] {
    return this.listedUsers().map((u) => ({ ...u }));
  }
}

// ---- HTTP -----------------------------------------------------------------------------------------

export interface FakeAnthropicOptions extends AnthropicOrgOptions {
  now?: () => number;
  /** Serve at most this many buckets per report page whatever `limit` says (the cursor then carries on). */
  bucketPageCap?: number;
  /** Serve at most this many claude_code records per page whatever `limit` says. */
  recordPageCap?: number;
  /** Serve at most this many items per entity list page whatever `limit` says. */
  listPageCap?: number;
  /** Send each key's full secret as `key` in api_keys lists (the real API does not): a connector must drop it. */
  leakKeyValues?: boolean;
  /** Most group_by[] values usage_report/messages takes; more is a 400. Default MAX_GROUP_BY (5), the live API's cap. */
  maxGroupBy?: number;
  /**
   * Leave out a field the spec requires (BetaGet*Response: data, has_more, next_page; time buckets:
   * results) on report pages from the bucket starting at `from` on (claude_code: the day asked for).
   */
  malformed?: { kind: 'no_results' | 'no_has_more' | 'no_next_page'; from?: number };
  /** Switches of the Usage and Cost Analytics endpoints (anthropic-analytics.ts). */
  analytics?: AnalyticsOptions;
}

let requestCounter = 0;
const nextRequestId = (): string => `req_011C${shortHash(`request:${++requestCounter}:${process.pid}`, 20)}`;

/** Anthropic's error body and headers. */
export function errorReply(status: number, type: string, message: string, headers: Record<string, string> = {}): JsonReply {
  const id = nextRequestId();
  return { status, body: { type: 'error', error: { type, message }, request_id: id }, headers: { 'request-id': id, ...headers } };
}

const invalid = (message: string): JsonReply => errorReply(400, 'invalid_request_error', message);

/** The cost report's refusal of a range (day-aligned, whole days, not in the future): a request bug, not to retry. */
export const invalidDateRange = (): JsonReply => errorReply(400, 'invalid_request_error', INVALID_DATE_RANGE, { 'x-should-retry': 'false' });

/** A fault: 429 rate_limit_error with `retry-after` (seconds). */
export function rateLimitFault(retryAfterSeconds = 1): Fault {
  const r = errorReply(429, 'rate_limit_error', 'Number of requests has exceeded your rate limit. Please try again later.', {
    'retry-after': String(retryAfterSeconds),
  });
  return { kind: 'status', status: 429, body: JSON.stringify(r.body), headers: r.headers as Record<string, string> };
}

/** A fault: the "Invalid date range" 400 with `x-should-retry: false`, whatever the request. */
export function invalidDateRangeFault(): Fault {
  const r = invalidDateRange();
  return { kind: 'status', status: 400, body: JSON.stringify(r.body), headers: r.headers as Record<string, string> };
}

/** RFC 3339 date-time with a zone, as unix seconds (fractions floored); null otherwise. */
function parseTime(text: string): number | null {
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}

function intParam(q: URLSearchParams, name: string): number | null | 'bad' {
  const v = q.get(name);
  if (v === null) return null;
  return /^-?\d+$/.test(v) ? Number(v) : 'bad';
}

/** Fingerprint of every parameter but the cursor: a token is valid only for the same query. */
function fingerprint(q: URLSearchParams): string {
  return shortHash(
    [...q.entries()]
      .filter(([k]) => k !== 'page')
      .map(([k, v]) => `${k}=${v}`)
      .sort()
      .join('&'),
    12,
  );
}
const encodeToken = (position: number | string, fp: string): string => `page_${Buffer.from(JSON.stringify({ p: position, f: fp })).toString('base64url')}`;
function decodeToken(token: string, fp: string): number | string | null {
  try {
    const t = JSON.parse(Buffer.from(token.replace(/^page_/, ''), 'base64url').toString('utf8')) as { p?: unknown; f?: unknown };
    return t.f === fp && (typeof t.p === 'number' || typeof t.p === 'string') ? t.p : null;
  } catch {
    return null;
  }
}

const unknownParam = (q: URLSearchParams, allowed: readonly string[]): string | undefined => [...new Set(q.keys())].find((k) => !allowed.includes(k));

export class FakeAnthropic extends FakeServer {
  readonly org: AnthropicOrg;
  /** GET /v1/organizations/analytics/{cost,usage} on the same organisation (anthropic-analytics.ts). */
  readonly analytics: AnalyticsEndpoints;

  constructor(readonly options: FakeAnthropicOptions) {
    const org = new AnthropicOrg(options);
    super((req) => this.route(req));
    this.org = org;
    const data = new AnalyticsData(org.ledger);
    this.analytics = new AnalyticsEndpoints(data, options.analytics ?? {}, errorReply);
  }

  /** What a connector's base_url should be (paths start with /v1). */
  get baseUrl(): string {
    return this.url;
  }

  private now(): number {
    return Math.floor((this.options.now ?? Date.now)() / 1000);
  }

  private route(req: LoggedRequest): JsonReply {
    const reply = this.dispatch(req);
    if (reply.status !== 200) return reply;
    if (req.path.includes('/usage_report/') || req.path.endsWith('/cost_report')) this.malform(reply, req);
    const id = nextRequestId();
    return { ...reply, headers: { 'request-id': id, ...reply.headers } };
  }

  private dispatch(req: LoggedRequest): JsonReply {
    const key = req.headers['x-api-key'];
    if (key !== this.org.adminKey) return errorReply(401, 'authentication_error', 'invalid x-api-key');
    if (!req.headers['anthropic-version']) return invalid('anthropic-version: header is required');
    const q = req.query;
    switch (req.path) {
      case '/v1/organizations/me':
        return this.organizationReply();
      case '/v1/organizations/cost_report':
        return this.costReport(q);
      case '/v1/organizations/usage_report/messages':
        return this.messages(q, String(req.headers['anthropic-beta'] ?? ''));
      case '/v1/organizations/usage_report/claude_code':
        return this.claudeCode(q);
      case '/v1/organizations/analytics/cost':
      case '/v1/organizations/analytics/usage':
        return this.analytics.handle(req.path.endsWith('/cost') ? 'cost' : 'usage', q, String(req.headers['anthropic-beta'] ?? ''), this.now());
      case '/v1/organizations/workspaces': {
        const archived = q.get('include_archived') ?? 'false';
        if (!['true', 'false'].includes(archived)) return invalid('include_archived: Input should be a valid boolean');
        return this.list(
          q,
          ['include_archived'],
          this.org.workspaces.filter((w) => archived === 'true' || w.archived_at === null),
        );
      }
      case '/v1/organizations/api_keys': {
        const status = q.get('status');
        if (status !== null && !['active', 'inactive', 'archived'].includes(status))
          return invalid(`status: Input should be 'active', 'inactive' or 'archived'`);
        const ws = q.get('workspace_id');
        const by = q.get('created_by_user_id');
        const keys = this.org
          .listedApiKeys()
          .filter((k) => (status === null || k.status === status) && (ws === null || k.workspace_id === ws) && (by === null || k.created_by.id === by));
        const served = this.options.leakKeyValues ? keys.map((k) => ({ ...k, key: this.org.apiKeySecret(k.id) })) : keys;
        return this.list(q, ['status', 'workspace_id', 'created_by_user_id'], served);
      }
      case '/v1/organizations/users': {
        const email = q.get('email');
        return this.list(
          q,
          ['email'],
          this.org.listedUsers().filter((u) => email === null || u.email === email),
        );
      }
      default:
        return errorReply(404, 'not_found_error', `Not found: GET ${req.path}`);
    }
  }

  /** The `malformed` switch, on a good report page. */
  private malform(reply: JsonReply, req: LoggedRequest): void {
    const m = this.options.malformed;
    if (!m) return;
    const from = m.from ?? -Infinity;
    const body = reply.body as { data: Array<{ starting_at?: string; results?: unknown }>; has_more?: boolean; next_page?: string | null };
    // A claude_code page holds records of the day asked for; the others hold time buckets.
    const claudeCode = req.path.endsWith('/claude_code');
    const hit = claudeCode ? [] : body.data.filter((b) => Date.parse(String(b.starting_at)) / 1000 >= from);
    const pageHit = claudeCode ? Date.parse(`${req.query.get('starting_at')}T00:00:00Z`) / 1000 >= from : hit.length > 0;
    if (m.kind === 'no_results') for (const b of hit) delete b.results;
    else if (pageHit) delete body[m.kind === 'no_has_more' ? 'has_more' : 'next_page'];
  }

  /** Common checks of the bucketed reports: the window and the limit. */
  private window(q: URLSearchParams, limits: { default: number; max: number }): { start: number; end: number | null; limit: number } | JsonReply {
    const startText = q.get('starting_at');
    if (startText === null) return invalid('starting_at: Field required');
    const start = parseTime(startText);
    if (start === null) return invalid(`starting_at: Input should be a valid datetime, got '${startText}'`);
    const endText = q.get('ending_at');
    const end = endText === null ? null : parseTime(endText);
    if (endText !== null && end === null) return invalid(`ending_at: Input should be a valid datetime, got '${endText}'`);
    const limitParam = intParam(q, 'limit');
    if (limitParam === 'bad') return invalid('limit: Input should be a valid integer');
    const limit = limitParam ?? limits.default;
    if (limit < 1 || limit > limits.max) return invalid(`limit: Input should be between 1 and ${limits.max}, got ${limit}`);
    return { start, end, limit };
  }

  private buckets(
    q: URLSearchParams,
    from: number,
    end: number,
    step: number,
    limit: number,
    results: (t: number) => Array<Record<string, unknown>>,
  ): JsonReply {
    const fp = fingerprint(q);
    let t = from;
    const page = q.get('page');
    if (page !== null) {
      const p = decodeToken(page, fp);
      if (typeof p !== 'number') return invalid('page: Invalid page token');
      t = p;
    }
    const perPage = Math.min(limit, this.options.bucketPageCap ?? Infinity);
    const data: Array<{ starting_at: string; ending_at: string; results: Array<Record<string, unknown>> }> = [];
    for (; t < end && data.length < perPage; t += step) data.push({ starting_at: iso(t), ending_at: iso(t + step), results: results(t) });
    const hasMore = t < end;
    return { status: 200, body: { data, has_more: hasMore, next_page: hasMore ? encodeToken(t, fp) : null } };
  }

  private costReport(q: URLSearchParams): JsonReply {
    const bad = unknownParam(q, ['starting_at', 'ending_at', 'bucket_width', 'limit', 'page', 'group_by[]']);
    if (bad) return invalid(`${bad}: Extra inputs are not permitted`);
    const w = this.window(q, { default: 7, max: 31 });
    if ('status' in w) return w;
    const width = q.get('bucket_width') ?? '1d';
    if (width !== '1d') return invalid(`bucket_width: Input should be '1d', got '${width}'`);
    const groupBy = q.getAll('group_by[]');
    const wrong = groupBy.find((g) => !(COST_GROUP_BY as readonly string[]).includes(g));
    if (wrong !== undefined) return invalid(`group_by[]: Input should be 'description' or 'workspace_id', got '${wrong}'`);
    const today = Math.floor(this.now() / DAY) * DAY;
    const end = w.end ?? Math.min(w.start + w.limit * DAY, today);
    // The observed rule: whole, day-aligned UTC days, at least one, none unfinished.
    if (w.start % DAY !== 0 || end % DAY !== 0 || end - w.start < DAY || end > today) return invalidDateRange();
    return this.buckets(q, w.start, end, DAY, w.limit, (t) => this.org.costResults(t, groupBy));
  }

  private messages(q: URLSearchParams, beta: string): JsonReply {
    const filters: Record<string, MessagesDim> = {
      'api_key_ids[]': 'api_key_id',
      'workspace_ids[]': 'workspace_id',
      'account_ids[]': 'account_id',
      'service_account_ids[]': 'service_account_id',
      'models[]': 'model',
      'service_tiers[]': 'service_tier',
      'context_window[]': 'context_window',
      'inference_geos[]': 'inference_geo',
      'speeds[]': 'speed',
    };
    const bad = unknownParam(q, ['starting_at', 'ending_at', 'bucket_width', 'limit', 'page', 'group_by[]', ...Object.keys(filters)]);
    if (bad) return invalid(`${bad}: Extra inputs are not permitted`);
    const widthParam = q.get('bucket_width') ?? '1d';
    if (!(widthParam in WIDTH_SECONDS)) return invalid(`bucket_width: Input should be '1d', '1m' or '1h', got '${widthParam}'`);
    const width = widthParam as Width;
    const w = this.window(q, MESSAGES_LIMITS[width]);
    if ('status' in w) return w;
    const step = WIDTH_SECONDS[width];
    const end = w.end ?? this.now();
    if (end <= w.start) return invalid('ending_at: must be after starting_at');
    const groupBy = q.getAll('group_by[]');
    const wrong = groupBy.find((g) => !(MESSAGES_GROUP_BY as readonly string[]).includes(g));
    if (wrong !== undefined) return invalid(`group_by[]: Input should be ${MESSAGES_GROUP_BY.map((g) => `'${g}'`).join(', ')}, got '${wrong}'`);
    const maxGroupBy = this.options.maxGroupBy ?? MAX_GROUP_BY;
    if (groupBy.length > maxGroupBy) return invalid(tooManyGroupBy(maxGroupBy));
    const fastMode = beta
      .split(',')
      .map((s) => s.trim())
      .includes(FAST_MODE_BETA);
    if ((groupBy.includes('speed') || q.has('speeds[]')) && !fastMode)
      return invalid(`Grouping or filtering by speed requires the anthropic-beta: ${FAST_MODE_BETA} header`);
    const enums: Record<string, readonly string[]> = {
      'service_tiers[]': ['batch', 'flex', 'flex_discount', 'priority', 'priority_on_demand', 'standard'],
      'context_window[]': ['0-200k', '200k-1M'],
      'inference_geos[]': ['global', 'not_available', 'us'],
      'speeds[]': ['standard', 'fast'],
    };
    const chosen: Record<string, string[]> = {};
    for (const [param, dim] of Object.entries(filters)) {
      const values = q.getAll(param);
      const outside = values.find((v) => enums[param] && !enums[param].includes(v));
      if (outside !== undefined) return invalid(`${param}: Input should be one of ${(enums[param] ?? []).join(', ')}, got '${outside}'`);
      if (values.length) chosen[dim] = values;
    }
    const from = Math.floor(w.start / step) * step;
    return this.buckets(q, from, end, step, w.limit, (t) => this.org.usageResults(t, width, groupBy, chosen, fastMode));
  }

  private claudeCode(q: URLSearchParams): JsonReply {
    const bad = unknownParam(q, ['starting_at', 'limit', 'page']);
    if (bad) return invalid(`${bad}: Extra inputs are not permitted`);
    const dayText = q.get('starting_at');
    if (dayText === null) return invalid('starting_at: Field required');
    const day = /^\d{4}-\d{2}-\d{2}$/.test(dayText) ? Date.parse(`${dayText}T00:00:00Z`) / 1000 : NaN;
    if (!Number.isFinite(day) || iso(day).slice(0, 10) !== dayText)
      return invalid(`starting_at: String should match pattern '^\\d{4}-\\d{2}-\\d{2}$', got '${dayText}'`);
    const limitParam = intParam(q, 'limit');
    if (limitParam === 'bad') return invalid('limit: Input should be a valid integer');
    const limit = limitParam ?? 20;
    if (limit < 1 || limit > 1000) return invalid(`limit: Input should be between 1 and 1000, got ${limit}`);
    const fp = fingerprint(q);
    let from = 0;
    const page = q.get('page');
    if (page !== null) {
      const p = decodeToken(page, fp);
      if (typeof p !== 'number') return invalid('page: Invalid page token');
      from = p;
    }
    const all = this.org.claudeCodeOn(day);
    const data = all.slice(from, from + Math.min(limit, this.options.recordPageCap ?? Infinity));
    const next = from + data.length;
    const hasMore = next < all.length;
    return { status: 200, body: { data, has_more: hasMore, next_page: hasMore ? encodeToken(next, fp) : null } };
  }

  /** One page of an entity list: limit 1-1000 (default 20), after_id or before_id an id of the list. */
  private list<T extends { id: string }>(q: URLSearchParams, allowed: readonly string[], items: readonly T[]): JsonReply {
    const bad = unknownParam(q, ['limit', 'after_id', 'before_id', ...allowed]);
    if (bad) return invalid(`${bad}: Extra inputs are not permitted`);
    const limitParam = intParam(q, 'limit');
    if (limitParam === 'bad') return invalid('limit: Input should be a valid integer');
    const limit = limitParam ?? 20;
    if (limit < 1 || limit > 1000) return invalid(`limit: Input should be between 1 and 1000, got ${limit}`);
    const size = Math.min(limit, this.options.listPageCap ?? Infinity);
    const after = q.get('after_id');
    const before = q.get('before_id');
    if (after !== null && before !== null) return invalid('Only one of after_id and before_id may be given');
    let from = 0;
    let to = items.length;
    if (after !== null) {
      const i = items.findIndex((x) => x.id === after);
      if (i < 0) return invalid(`after_id: no object with id '${after}' in this list`);
      from = i + 1;
      to = Math.min(items.length, from + size);
    } else if (before !== null) {
      const i = items.findIndex((x) => x.id === before);
      if (i < 0) return invalid(`before_id: no object with id '${before}' in this list`);
      to = i;
      from = Math.max(0, to - size);
    } else {
      to = Math.min(items.length, size);
    }
    const data = items.slice(from, to);
    const hasMore = before !== null ? from > 0 : to < items.length;
    return { status: 200, body: { data, has_more: hasMore, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null } };
  }
}
