import { rng, shortHash } from './random.js';

/**
 * The one ledger of the fake Anthropic organisation: every charge of every day, from which the
 * fake derives each endpoint that reports money or usage, so they agree as the real API's do:
 * - GET /v1/organizations/analytics/cost: the charges grouped by the requested dimensions
 *   (amount and list_amount) (anthropic-analytics.ts);
 * - GET /v1/organizations/analytics/usage: the tokens of the same events;
 * - GET /v1/organizations/cost_report: the same charges of each day summed over every dimension
 *   the cost report does not group by (per workspace and cost line: description, model, token
 *   type, service tier, context window, inference geo), as exact decimal cent strings;
 * - GET /v1/organizations/usage_report/messages: the tokens of the same events by its dimensions.
 *
 * An event is some usage at one minute of a day with every dimension drawn on its own (workspace,
 * API key within that workspace or Console usage, actor of any type or none, model, token types,
 * service tier, context window, inference geo, product, speed, OAuth account, service account,
 * ...), and its charges: one per token type used (tokens x the list price of that model, tier,
 * context window and geo, less the event's discount), web searches and code execution. Amounts
 * are integers of 1e-9 cent (BigInt), so every sum is exact and has many digits; every 5th day
 * has a credit (web searches given back: a negative charge, unattributed); the spec's
 * example cents ("123.78912", "0.1", "1500") are planted as the code execution of the first
 * three days, alone on their cost report line.
 */
export const DAY = 86_400;

export const TOKEN_TYPES = [
  'uncached_input_tokens',
  'cache_creation.ephemeral_1h_input_tokens',
  'cache_creation.ephemeral_5m_input_tokens',
  'cache_read_input_tokens',
  'output_tokens',
] as const;
export type TokenType = (typeof TOKEN_TYPES)[number];
const TOKEN_LABELS: Record<TokenType, string> = {
  uncached_input_tokens: 'Input Tokens',
  'cache_creation.ephemeral_1h_input_tokens': 'Cache Write (1h) Tokens',
  'cache_creation.ephemeral_5m_input_tokens': 'Cache Write (5m) Tokens',
  cache_read_input_tokens: 'Cache Read Tokens',
  output_tokens: 'Output Tokens',
};

/**
 * `geos`: where the model may run (not_available: no geo support, as for every model before
 * Opus 4.6); `longContext`: a 1M-token window (the cost report's 200k-1M context); `perMTok`: its
 * published list prices in USD per million tokens (connector/prices/list-prices.ts cites them; the
 * fake keeps its own copy, so a wrong price there fails the e2e tests).
 */
export const MODELS = [
  {
    id: 'claude-opus-5',
    label: 'Claude Opus 5',
    geos: ['global', 'us'],
    longContext: true,
    perMTok: { uncached: '5', write5m: '6.25', write1h: '10', read: '0.5', output: '25' },
  },
  {
    id: 'claude-sonnet-5',
    label: 'Claude Sonnet 5',
    geos: ['global', 'us'],
    longContext: true,
    perMTok: { uncached: '2', write5m: '2.5', write1h: '4', read: '0.2', output: '10' },
  },
  {
    id: 'claude-haiku-4-5',
    label: 'Claude Haiku 4.5',
    geos: ['not_available'],
    longContext: false,
    perMTok: { uncached: '1', write5m: '1.25', write1h: '2', read: '0.1', output: '5' },
  },
] as const;
/** The cost report knows standard and batch only (Priority Tier is not in it): the ledger has no other tier. */
export const TIERS = ['standard', 'batch'] as const;
const PRODUCTS = ['api', 'claude_code', 'claude-tag', 'other'] as const;
const PRICE_FIELD: Record<TokenType, 'uncached' | 'write5m' | 'write1h' | 'read' | 'output'> = {
  uncached_input_tokens: 'uncached',
  'cache_creation.ephemeral_1h_input_tokens': 'write1h',
  'cache_creation.ephemeral_5m_input_tokens': 'write5m',
  cache_read_input_tokens: 'read',
  output_tokens: 'output',
};
/** USD per million tokens as units (1e-9 cent) per token: $1/MTok = 100 cents / 1e6 tokens = 100_000 units. */
function perTokenUnits(usdPerMTok: string): bigint {
  const [i = '0', f = ''] = usdPerMTok.split('.');
  return (BigInt(i) * 100_000n * 10n ** BigInt(f.length) + BigInt(f || '0') * 100_000n) / 10n ** BigInt(f.length);
}
/** A web search, list price in units: $10 per 1000 searches = 1 cent. */
const WEB_SEARCH_PRICE = 1_000_000_000n;
/** The spec's example amounts (cents), planted as the whole code execution charge of the first three days. */
export const PLANTED_AMOUNTS = ['123.78912', '0.1', '1500'] as const;

/**
 * The list price of one token, units of 1e-9 cent: the published price, batch at half price,
 * US-only inference at 1.1x; no long-context premium (the models with a 1M window price it whole).
 */
export function tokenPrice(model: string, tier: string, _context: string, geo: string, tokenType: TokenType): bigint {
  const m = MODELS.find((x) => x.id === model);
  if (!m) throw new Error(`the fake ledger has no price for ${model}`);
  let p = perTokenUnits(m.perMTok[PRICE_FIELD[tokenType]]);
  if (tier === 'batch') p /= 2n;
  if (geo === 'us') p = (p * 11n) / 10n;
  return p;
}

export type Actor = Record<string, unknown> & { type: string };

/** One charge of an event: [cost_type, token_type, list units, amount units] (amount: after the discount, before credits). */
export type Charge = [string, string | null, bigint, bigint];

/** The finest grain: some usage at one minute, with its charges. */
export interface LedgerEvent {
  t: number;
  /** The analytics group dimensions (inference_geo null where geo is not_available). */
  dims: Record<string, unknown>;
  /** inference_geo as the legacy reports say it: global, us or not_available. */
  geo: string;
  /** usage_report/messages only: the OAuth account and the OIDC-federated service account. */
  accountId: string | null;
  serviceAccountId: string | null;
  tokens: Record<TokenType, number>;
  webSearches: number;
  requests: number | null;
  costs: Charge[];
  /** Percent off the list price of every charge of the event. */
  discount: bigint;
  deletedUser: boolean;
}

/** A cost report line: the description and the fields it implies. */
export interface CostLine {
  description: string;
  cost_type: string;
  model: string | null;
  service_tier: string | null;
  token_type: string | null;
  context_window: string | null;
  inference_geo: string | null;
}

export interface LedgerInput {
  seed: number;
  firstDay: number;
  endDay: number;
  /** Every n-th day has no usage at all (0 = none). */
  emptyEvery: number;
  /** Workspaces with spend: null (the default one) first. */
  workspaces: ReadonlyArray<string | null>;
  apiKeys: ReadonlyArray<{ id: string; workspace_id: string | null }>;
  users: ReadonlyArray<{ id: string; email: string; name: string }>;
  serviceAccounts: readonly string[];
}

/** Units of 1e-9 cent as the API's cents string: 123456789012n -> "123.456789012". */
export function unitsToCents(units: bigint): string {
  const neg = units < 0n;
  const a = neg ? -units : units;
  const frac = (a % 1_000_000_000n).toString().padStart(9, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 1_000_000_000n}${frac ? `.${frac}` : ''}`;
}
/** Units of 1e-9 cent as exact dollars (1e11 units per dollar). */
export function unitsToUsd(units: bigint): string {
  const neg = units < 0n;
  const a = neg ? -units : units;
  const frac = (a % 100_000_000_000n).toString().padStart(11, '0').replace(/0+$/, '');
  return `${neg ? '-' : ''}${a / 100_000_000_000n}${frac ? `.${frac}` : ''}`;
}
/** A cents string as units of 1e-9 cent. */
export function centsToUnits(cents: string): bigint {
  const neg = cents.startsWith('-');
  const [i = '0', f = ''] = (neg ? cents.slice(1) : cents).split('.');
  const u = BigInt(i) * 1_000_000_000n + BigInt(f.padEnd(9, '0') || '0');
  return neg ? -u : u;
}

/** The analytics group dimensions of an event (LedgerEvent.dims): every group_by[] value of the analytics usage endpoint. */
export const DIMENSIONS = [
  'actor',
  'actor_type',
  'agent_id',
  'api_key_id',
  'claude_tag_category',
  'claude_tag_user_id',
  'context_window',
  'deployment_id',
  'environment_id',
  'inference_geo',
  'model',
  'product',
  'rbac_group_id',
  'service_tier',
  'session_id',
  'slack_channel_id',
  'speed',
  'user_profile_id',
  'workspace_id',
] as const;

/** The messages-report dimensions whose twins each day holds (usage_report/messages group_by). */
export const TWIN_DIMS = [
  'api_key_id',
  'workspace_id',
  'account_id',
  'service_account_id',
  'model',
  'service_tier',
  'context_window',
  'inference_geo',
] as const;
type TwinDim = (typeof TWIN_DIMS)[number];

/** What one event is drawn from before its tokens: every dimension. */
interface Draw {
  dims: Record<string, unknown>;
  geo: string;
  accountId: string | null;
  serviceAccountId: string | null;
}

/** An event with one cost line and no tokens (code execution, a credit): `dims` set, the rest null. */
function chargeOnly(t: number, set: Record<string, unknown>, requests: number | null, cost: LedgerEvent['costs'][number]): LedgerEvent {
  return {
    t,
    dims: { ...Object.fromEntries(DIMENSIONS.map((k) => [k, null])), ...set },
    geo: 'not_available',
    accountId: null,
    serviceAccountId: null,
    tokens: Object.fromEntries(TOKEN_TYPES.map((k) => [k, 0])) as Record<TokenType, number>,
    webSearches: 0,
    requests,
    costs: [cost],
    discount: 0n,
    deletedUser: false,
  };
}

export class Ledger {
  private readonly cache = new Map<string, LedgerEvent[]>();
  /** Bumped by a data refresh (analytics switch): every generation adds late events; tokens of an earlier one expire. */
  generation = 0;
  /** A service account and an API key that share one id string: their actors must not collide. */
  readonly sharedActorId: string;

  constructor(readonly input: LedgerInput) {
    this.sharedActorId = `svac_01${shortHash(`shared${input.seed}`, 22)}`;
  }

  /** The index of a day with usage, or null (outside the organisation's days, or an empty day). */
  dayIndex(day: number): number | null {
    const { firstDay, endDay, emptyEvery } = this.input;
    if (day < firstDay || day >= endDay) return null;
    const index = (day - firstDay) / DAY;
    if (emptyEvery > 0 && index % emptyEvery === emptyEvery - 1) return null;
    return index;
  }

  keysIn(workspace: string | null): string[] {
    return this.input.apiKeys.filter((k) => k.workspace_id === workspace).map((k) => k.id);
  }

  /** Every event of one UTC day, for the current generation. */
  eventsOn(day: number): LedgerEvent[] {
    const key = `${day}:${this.generation}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const out: LedgerEvent[] = [];
    const index = this.dayIndex(day);
    if (index !== null) {
      const r = rng(this.input.seed * 7919 + index);
      const n = 5 + Math.floor(r() * 6);
      for (let i = 0; i < n; i++) out.push(this.event(day, r, this.draw(r, i === 0 ? 'user' : 'random')));
      // The planted pair: same everything but the actor type, the same id string.
      const base = this.draw(r, 'random');
      const shared = (actor: Actor): Draw => ({ ...base, dims: { ...base.dims, actor, actor_type: actor.type } });
      const pair = this.event(day, r, shared({ type: 'service_account_actor', service_account_id: this.sharedActorId }));
      out.push(pair, this.reprice(pair, shared({ type: 'api_actor', api_key_id: this.sharedActorId })));
      // A code-execution event: no model, no product, no tokens, cost only in code_execution.
      out.push(this.codeExecution(day, r, index));
      // Every 5th day, a credit: web searches charged earlier given back (a negative line), unattributed.
      if (index % 5 === 2) out.push(this.credit(day, r));
      // Twins: per messages dimension, two events of one minute that differ in that dimension only, so every
      // usage_report/messages grouping that includes it has two rows of one bucket told apart by it alone.
      for (const d of TWIN_DIMS) {
        const [a, b] = this.twin(this.draw(r, 'random'), d, r);
        const first = this.event(day, r, a);
        out.push(first, this.reprice(first, b));
      }
      // Late events of every refresh generation (a data refresh adds usage to the first days).
      for (let g = 1; g <= this.generation; g++) {
        if (index < 40) {
          const late = rng(this.input.seed * 31 + index * 97 + g);
          out.push(this.event(day, late, this.draw(late, 'random')));
        }
      }
      out.sort((a, b) => a.t - b.t);
    }
    this.cache.set(key, out);
    return out;
  }

  /** Events of [start, end) (any bucket width), in time order. */
  events(start: number, end: number): LedgerEvent[] {
    const out: LedgerEvent[] = [];
    for (let d = Math.floor(start / DAY) * DAY; d < end; d += DAY) for (const e of this.eventsOn(d)) if (e.t >= start && e.t < end) out.push(e);
    return out;
  }

  private actor(r: () => number, apiKey: string | null): Actor | null {
    const x = r();
    const { users, serviceAccounts } = this.input;
    if (x < 0.45) {
      const u = users[Math.floor(r() * users.length)] as { id: string; email: string; name: string };
      return { type: 'user_actor', user_id: u.id, email: u.email, name: u.name, deleted: false };
    }
    if (x < 0.6) return { type: 'service_account_actor', service_account_id: serviceAccounts[Math.floor(r() * serviceAccounts.length)] as string };
    if (x < 0.8 && apiKey !== null) return { type: 'api_actor', api_key_id: apiKey };
    if (x < 0.9) return { type: 'federated_actor', subject: `spiffe://example.org/ns/prod/sa/job-${Math.floor(r() * 3)}` };
    return null;
  }

  /** Every dimension of one event, each drawn on its own (a key only within its workspace, a geo only where the model runs). */
  private draw(r: () => number, kind: 'user' | 'random'): Draw {
    const { workspaces, users, serviceAccounts } = this.input;
    const pick = <T>(xs: readonly T[]): T => xs[Math.floor(r() * xs.length)] as T;
    const workspace_id = pick(workspaces);
    const keys = this.keysIn(workspace_id);
    // Console (Workbench) usage has no API key, in any workspace.
    const api_key_id = r() < 0.15 || keys.length === 0 ? null : pick(keys);
    const u0 = users[0];
    const actor = kind === 'user' && u0 ? { type: 'user_actor', user_id: u0.id, email: u0.email, name: u0.name, deleted: false } : this.actor(r, api_key_id);
    const model = pick(MODELS);
    const geo = pick(model.geos) as string;
    const product = pick(PRODUCTS);
    const tag = product === 'claude-tag';
    return {
      dims: {
        actor,
        actor_type: actor?.type ?? null,
        agent_id: r() < 0.2 ? `agent_${shortHash(`agent${Math.floor(r() * 2)}`, 10)}` : null,
        api_key_id,
        claude_tag_category: tag ? pick(['engaged', 'proactive', 'dm']) : null,
        claude_tag_user_id: tag && r() < 0.7 ? `U0${shortHash(`slack${Math.floor(r() * 3)}`, 9).toUpperCase()}` : null,
        // Only a model with a 1M-token window has the 200k-1M context (the draw is made either way).
        context_window: r() < 0.2 && model.longContext ? '200k-1M' : '0-200k',
        deployment_id: null,
        environment_id: null,
        inference_geo: geo === 'not_available' ? null : geo,
        model: model.id,
        product,
        rbac_group_id: r() < 0.5 ? `rbac_group_${shortHash(`rbac${Math.floor(r() * 2)}`, 8)}` : null,
        service_tier: r() < 0.7 ? 'standard' : 'batch',
        session_id: null,
        slack_channel_id: tag ? `C0${shortHash(`chan${Math.floor(r() * 2)}`, 9).toUpperCase()}` : null,
        speed: r() < 0.1 ? 'fast' : 'standard',
        user_profile_id: null,
        workspace_id,
      },
      geo,
      accountId: r() < 0.6 ? null : pick(users).id,
      serviceAccountId: r() < 0.85 ? null : pick(serviceAccounts),
    };
  }

  /** Two consistent variants of `base` that differ in messages dimension `d` only. */
  private twin(base: Draw, d: TwinDim, r: () => number): [Draw, Draw] {
    const f = (n: number): number => Math.floor(r() * n);
    const geoModels = MODELS.filter((m) => m.geos.length > 1);
    const b: Draw = { ...base, dims: { ...base.dims } };
    let values: ReadonlyArray<string | null>;
    const set = (x: Draw, v: string | null): Draw => {
      const out: Draw = { ...x, dims: { ...x.dims } };
      if (d === 'account_id') out.accountId = v;
      else if (d === 'service_account_id') out.serviceAccountId = v;
      else if (d === 'inference_geo') {
        out.geo = v as string;
        out.dims.inference_geo = v === 'not_available' ? null : v;
      } else out.dims[d] = v;
      return out;
    };
    switch (d) {
      case 'api_key_id':
        values = [null, ...this.keysIn(b.dims.workspace_id as string | null)];
        break;
      case 'workspace_id':
        // A key belongs to one workspace: Console usage (no key) is what two workspaces can share.
        b.dims.api_key_id = null;
        if ((b.dims.actor as Actor | null)?.type === 'api_actor') {
          b.dims.actor = null;
          b.dims.actor_type = null;
        }
        values = this.input.workspaces;
        break;
      case 'account_id':
        values = [null, ...this.input.users.map((u) => u.id)];
        break;
      case 'service_account_id':
        values = [null, ...this.input.serviceAccounts];
        break;
      case 'model':
        b.geo = 'us';
        b.dims.inference_geo = 'us';
        values = geoModels.map((m) => m.id);
        break;
      case 'service_tier':
        values = TIERS;
        break;
      case 'context_window': {
        // Only a model with a 1M-token window has both contexts.
        if (!MODELS.find((m) => m.id === b.dims.model)?.longContext) {
          b.dims.model = geoModels[f(geoModels.length)]?.id ?? null;
          b.geo = 'global';
          b.dims.inference_geo = 'global';
        }
        values = ['0-200k', '200k-1M'];
        break;
      }
      case 'inference_geo': {
        const model = geoModels[f(geoModels.length)] as (typeof geoModels)[number];
        b.dims.model = model.id;
        values = model.geos;
        break;
      }
    }
    const i = f(values.length);
    const j = (i + 1 + f(values.length - 1)) % values.length;
    return [set(b, values[i] ?? null), set(b, values[j] ?? null)];
  }

  /** The charges of some usage: per token type used, web searches; list price less the discount (percent, floored). */
  private charges(d: Draw, tokens: Record<TokenType, number>, webSearches: number, discount: bigint): Charge[] {
    const model = String(d.dims.model);
    const tier = String(d.dims.service_tier);
    const context = String(d.dims.context_window);
    const costs: Charge[] = [];
    for (const t of TOKEN_TYPES) {
      if (tokens[t] === 0) continue;
      const list = BigInt(tokens[t]) * tokenPrice(model, tier, context, d.geo, t);
      costs.push(['tokens', t, list, list - (list * discount) / 100n]);
    }
    if (webSearches > 0) {
      const list = BigInt(webSearches) * WEB_SEARCH_PRICE;
      costs.push(['web_search', null, list, list - (list * discount) / 100n]);
    }
    return costs;
  }

  private event(day: number, r: () => number, d: Draw): LedgerEvent {
    const tokens = Object.fromEntries(TOKEN_TYPES.map((t) => [t, r() < 0.15 ? 0 : 1 + Math.floor(r() * 6_000_000)])) as Record<TokenType, number>;
    const webSearches = r() < 0.3 ? 1 + Math.floor(r() * 40) : 0;
    const discount = BigInt(Math.floor(r() * 30)); // percent
    const actor = d.dims.actor as Actor | null;
    const tag = d.dims.product === 'claude-tag';
    return {
      t: day + Math.floor(r() * 24) * 3_600 + Math.floor(r() * 60) * 60,
      dims: d.dims,
      geo: d.geo,
      accountId: d.accountId,
      serviceAccountId: d.serviceAccountId,
      tokens,
      webSearches,
      // Claude Tag proactive usage has no request count the API can give.
      requests: tag && r() < 0.5 ? null : 1 + Math.floor(r() * 500),
      costs: this.charges(d, tokens, webSearches, discount),
      discount,
      deletedUser: actor?.type === 'user_actor' && r() < 0.1,
    };
  }

  /** The same usage (time, tokens, discount) under other dimensions, priced for them. */
  private reprice(e: LedgerEvent, d: Draw): LedgerEvent {
    return {
      ...e,
      dims: d.dims,
      geo: d.geo,
      accountId: d.accountId,
      serviceAccountId: d.serviceAccountId,
      costs: this.charges(d, e.tokens, e.webSearches, e.discount),
    };
  }

  private codeExecution(day: number, r: () => number, index: number): LedgerEvent {
    const ws = this.input.workspaces[1] ?? null;
    const planted = PLANTED_AMOUNTS[index];
    const list = planted !== undefined ? centsToUnits(planted) : BigInt(Math.floor(r() * 5_000_000_000)) + 3n;
    return chargeOnly(day + 13 * 3_600, { workspace_id: ws, api_key_id: this.keysIn(ws)[0] ?? null }, 1 + Math.floor(r() * 9), [
      'code_execution',
      null,
      list,
      list,
    ]);
  }

  /** A negative charge: a refund of web searches, in the default workspace, with no key, actor or usage. */
  private credit(day: number, r: () => number): LedgerEvent {
    const list = -(BigInt(1 + Math.floor(r() * 40)) * WEB_SEARCH_PRICE);
    return chargeOnly(day + 6 * 3_600 + 17 * 60, {}, null, ['web_search', null, list, list]);
  }

  // ---- views ----------------------------------------------------------------------------------

  /** The cost report line of one charge of an event. */
  static costLine(e: LedgerEvent, c: Charge): CostLine {
    const [costType, tokenType] = c;
    if (costType !== 'tokens') {
      const none = { model: null, service_tier: null, token_type: null, context_window: null, inference_geo: null };
      return { description: costType === 'web_search' ? 'Web Search Usage' : 'Code Execution Usage', cost_type: costType, ...none };
    }
    const model = MODELS.find((m) => m.id === e.dims.model);
    const tier = String(e.dims.service_tier);
    const context = String(e.dims.context_window);
    const label = `${model?.label ?? String(e.dims.model)}${tier === 'batch' ? ' Batch' : ''}${context === '200k-1M' ? ' Long Context' : ''}`;
    const geo = e.geo === 'us' ? ' (US)' : '';
    return {
      description: `${label} Usage - ${TOKEN_LABELS[tokenType as TokenType]}${geo}`,
      cost_type: 'tokens',
      model: e.dims.model as string,
      service_tier: tier,
      token_type: tokenType,
      context_window: context,
      inference_geo: e.geo,
    };
  }

  /** Cost report rows of one day as the API sends them, grouped by `groupBy` (workspace_id, description), in a stable order. */
  costResults(day: number, groupBy: readonly string[]): Array<Record<string, unknown>> {
    const byWs = groupBy.includes('workspace_id');
    const byDesc = groupBy.includes('description');
    const groups = new Map<string, { ws: string | null; line: CostLine | null; units: bigint }>();
    for (const e of this.eventsOn(day)) {
      for (const c of e.costs) {
        const ws = byWs ? (e.dims.workspace_id as string | null) : null;
        const line = byDesc ? Ledger.costLine(e, c) : null;
        const key = JSON.stringify([ws, line?.description ?? null]);
        const g = groups.get(key) ?? { ws, line, units: 0n };
        g.units += c[3];
        groups.set(key, g);
      }
    }
    return [...groups.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([, g]) => ({
        currency: 'USD',
        amount: unitsToCents(g.units),
        workspace_id: g.ws,
        description: g.line?.description ?? null,
        cost_type: g.line?.cost_type ?? null,
        context_window: g.line?.context_window ?? null,
        model: g.line?.model ?? null,
        service_tier: g.line?.service_tier ?? null,
        token_type: g.line?.token_type ?? null,
        inference_geo: g.line?.inference_geo ?? null,
      }));
  }

  /** Ground truth: the organisation's charges of one day, in units (amount: what cost_report and analytics amount add up to; list: list_amount). */
  dayTotal(day: number): { amount: bigint; list: bigint } {
    let amount = 0n;
    let list = 0n;
    for (const e of this.eventsOn(day)) {
      for (const c of e.costs) {
        list += c[2];
        amount += c[3];
      }
    }
    return { amount, list };
  }

  /**
   * Ground truth per day of [start, end): the date, the amount in exact dollars (what every money
   * table must add up to that day: cost_report, analytics_cost, focus_spend BilledCost) and the list
   * amount (analytics list_amount, focus_spend ListCost where analytics is the source). Days with no
   * charge are left out.
   */
  dailyTotals(start: number, end: number): Array<{ date: string; amountUsd: string; listUsd: string }> {
    const out: Array<{ date: string; amountUsd: string; listUsd: string }> = [];
    for (let d = Math.floor(start / DAY) * DAY; d < end; d += DAY) {
      if (this.eventsOn(d).length === 0) continue;
      const t = this.dayTotal(d);
      out.push({ date: new Date(d * 1000).toISOString().slice(0, 10), amountUsd: unitsToUsd(t.amount), listUsd: unitsToUsd(t.list) });
    }
    return out;
  }
}
