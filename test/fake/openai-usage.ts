import type { JsonReply } from './server.js';
import { arrayParam, err, intParam, reportPage } from './openai-http.js';
import { rng, shortHash } from './random.js';

/**
 * The fake's usage endpoints (GET /organization/usage/*) and entity lists
 * (projects, users, project API keys), on the same org as costs:
 * - usage exists only on days that have cost, only for projects that have cost
 *   that day, with their API keys, and users from the org's user list;
 * - events sit on a few minutes of each day, so 1m reads stay small (every
 *   other minute bucket is empty); vector store bytes are a daily reading at 00:00;
 * - parameters are validated as the OpenAPI excerpt says, per endpoint
 *   (group_by values, filters, bucket_width, limit per width);
 * - grouped queries have the same broken pagination as costs.
 */
const DAY = 86_400;
export type UsageWidth = '1m' | '1h' | '1d';
export const WIDTH_SECONDS: Record<UsageWidth, number> = { '1m': 60, '1h': 3_600, '1d': DAY };
/** limit per bucket_width, from the spec's `limit` parameter description. */
export const FAKE_USAGE_LIMITS: Record<UsageWidth, { default: number; max: number }> = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 },
};
/** input_cache_write_tokens and input_uncached_tokens came later upstream: absent from completions results before this day. */
export const COMPLETIONS_NEW_FIELDS_DAY = Date.UTC(2025, 10, 1) / 1000; // 2025-11-01

export type DimValue = string | boolean | null;
type FilterSpec = { dim: string; kind: 'ids' } | { dim: string; kind: 'enum'; values: readonly string[] } | { dim: string; kind: 'bool' };

export interface UsageEndpoint {
  endpoint: string;
  stream: string;
  object: string;
  dims: readonly string[];
  /** Every metric field of the result schema, required ones first. */
  metrics: readonly string[];
  required: readonly string[];
  /** Query filters: name -> the dimension it filters. */
  filters: Readonly<Record<string, FilterSpec>>;
  models: readonly string[];
}

const ids = (dim: string): FilterSpec => ({ dim, kind: 'ids' });
const PER_MODEL_DIMS = ['project_id', 'user_id', 'api_key_id', 'model'] as const;
const PER_MODEL_FILTERS = { project_ids: ids('project_id'), user_ids: ids('user_id'), api_key_ids: ids('api_key_id'), models: ids('model') };
export const IMAGE_SIZES = ['256x256', '512x512', '1024x1024', '1792x1792', '1024x1792'] as const;
export const IMAGE_SOURCES = ['image.generation', 'image.edit', 'image.variation'] as const;
export const CONTEXT_LEVELS = ['low', 'medium', 'high'] as const;
const SERVICE_TIERS = ['default', 'flex', 'priority'] as const;

const endpoint = (e: Omit<UsageEndpoint, 'stream' | 'object' | 'models'> & { object?: string; models?: readonly string[] }): UsageEndpoint => ({
  stream: `usage_${e.endpoint}`,
  object: `organization.usage.${e.endpoint}.result`,
  models: [],
  ...e,
});

export const USAGE_ENDPOINTS: readonly UsageEndpoint[] = [
  endpoint({
    endpoint: 'completions',
    dims: [...PER_MODEL_DIMS, 'batch', 'service_tier'],
    metrics: [
      'input_tokens',
      'output_tokens',
      'num_model_requests',
      'input_cached_tokens',
      'input_cache_write_tokens',
      'input_uncached_tokens',
      'input_text_tokens',
      'output_text_tokens',
      'input_cached_text_tokens',
      'input_audio_tokens',
      'input_cached_audio_tokens',
      'output_audio_tokens',
      'input_image_tokens',
      'input_cached_image_tokens',
      'output_image_tokens',
    ],
    required: ['input_tokens', 'output_tokens', 'num_model_requests'],
    filters: { ...PER_MODEL_FILTERS, batch: { dim: 'batch', kind: 'bool' } },
    models: ['gpt-4o-2024-08-06', 'gpt-4o-mini-2024-07-18', 'o3-2025-04-16', 'gpt-4.1-2025-04-14'],
  }),
  endpoint({
    endpoint: 'embeddings',
    dims: PER_MODEL_DIMS,
    metrics: ['input_tokens', 'num_model_requests'],
    required: ['input_tokens', 'num_model_requests'],
    filters: PER_MODEL_FILTERS,
    models: ['text-embedding-3-small', 'text-embedding-3-large'],
  }),
  endpoint({
    endpoint: 'moderations',
    dims: PER_MODEL_DIMS,
    metrics: ['input_tokens', 'num_model_requests'],
    required: ['input_tokens', 'num_model_requests'],
    filters: PER_MODEL_FILTERS,
    models: ['omni-moderation-2024-09-26', 'text-moderation-007'],
  }),
  endpoint({
    endpoint: 'images',
    dims: [...PER_MODEL_DIMS, 'size', 'source'],
    metrics: ['images', 'num_model_requests'],
    required: ['images', 'num_model_requests'],
    filters: {
      ...PER_MODEL_FILTERS,
      sources: { dim: 'source', kind: 'enum', values: IMAGE_SOURCES },
      sizes: { dim: 'size', kind: 'enum', values: IMAGE_SIZES },
    },
    models: ['gpt-image-1', 'dall-e-3'],
  }),
  endpoint({
    endpoint: 'audio_speeches',
    dims: PER_MODEL_DIMS,
    metrics: ['characters', 'num_model_requests'],
    required: ['characters', 'num_model_requests'],
    filters: PER_MODEL_FILTERS,
    models: ['tts-1', 'gpt-4o-mini-tts'],
  }),
  endpoint({
    endpoint: 'audio_transcriptions',
    dims: PER_MODEL_DIMS,
    metrics: ['seconds', 'num_model_requests'],
    required: ['seconds', 'num_model_requests'],
    filters: PER_MODEL_FILTERS,
    models: ['whisper-1', 'gpt-4o-transcribe'],
  }),
  endpoint({
    endpoint: 'vector_stores',
    dims: ['project_id'],
    metrics: ['usage_bytes'],
    required: ['usage_bytes'],
    filters: { project_ids: ids('project_id') },
  }),
  endpoint({
    endpoint: 'code_interpreter_sessions',
    dims: ['project_id'],
    metrics: ['num_sessions'],
    required: ['num_sessions'],
    filters: { project_ids: ids('project_id') },
  }),
  endpoint({
    endpoint: 'file_search_calls',
    object: 'organization.usage.file_searches.result',
    dims: ['project_id', 'user_id', 'api_key_id', 'vector_store_id'],
    metrics: ['num_requests'],
    required: ['num_requests'],
    filters: { project_ids: ids('project_id'), user_ids: ids('user_id'), api_key_ids: ids('api_key_id'), vector_store_ids: ids('vector_store_id') },
  }),
  endpoint({
    endpoint: 'web_search_calls',
    object: 'organization.usage.web_searches.result',
    dims: [...PER_MODEL_DIMS, 'context_level'],
    metrics: ['num_model_requests', 'num_requests'],
    required: ['num_model_requests', 'num_requests'],
    filters: { ...PER_MODEL_FILTERS, context_levels: { dim: 'context_level', kind: 'enum', values: CONTEXT_LEVELS } },
    models: ['gpt-4o-2024-08-06', 'gpt-4.1-2025-04-14'],
  }),
];

export const usageEndpoint = (nameOrStream: string): UsageEndpoint => {
  const e = USAGE_ENDPOINTS.find((x) => x.endpoint === nameOrStream || x.stream === nameOrStream);
  if (!e) throw new Error(`no usage endpoint ${nameOrStream}`);
  return e;
};

/** What the usage and directory need from the org. */
export interface OrgView {
  readonly seed: number;
  readonly firstDay: number;
  readonly projects: readonly string[];
  readonly keys: ReadonlyMap<string | null, readonly string[]>;
  /** Keys deleted since: in costs and usage, in no list. */
  readonly deletedKeys: ReadonlySet<string>;
  costsOn(day: number): ReadonlyArray<{ project_id: string | null }>;
}

export interface UsageEvent {
  t: number;
  dims: Record<string, DimValue>;
  /** Absent keys are fields the API does not send for that day. */
  metrics: Record<string, number>;
}

/** Filters by query name (project_ids, models, sizes, batch...), values as sent. */
export type UsageFilters = Readonly<Record<string, readonly string[]>>;

export interface UsageResult {
  object: string;
  [field: string]: DimValue | number;
}

export type ExpectedUsage = Record<string, DimValue | number> & { start_time: number; end_time: number; date: string };

export class OrgUsage {
  private readonly cache = new Map<string, UsageEvent[]>();

  constructor(
    private readonly org: OrgView,
    private readonly userIds: () => readonly string[],
  ) {}

  /** The finest-grain usage events of one endpoint and day (deterministic). */
  eventsOn(ep: UsageEndpoint, day: number): UsageEvent[] {
    const key = `${ep.endpoint}:${day}`;
    const hit = this.cache.get(key);
    if (hit) return hit;
    const events = this.generate(ep, day);
    this.cache.set(key, events);
    return events;
  }

  private generate(ep: UsageEndpoint, day: number): UsageEvent[] {
    const costs = this.org.costsOn(day);
    if (costs.length === 0) return [];
    const projects = [...new Set(costs.flatMap((c) => (c.project_id === null ? [] : [c.project_id])))].sort();
    if (projects.length === 0) return [];
    const index = (day - this.org.firstDay) / DAY;
    const rand = rng(this.org.seed * 7_919 + (USAGE_ENDPOINTS.indexOf(ep) + 1) * 1_000_003 + index);
    const f = (n: number): number => Math.floor(rand() * n);
    const pick = <T>(xs: readonly T[]): T => xs[f(xs.length)] as T;
    if (ep.endpoint === 'vector_stores') {
      // Storage is a reading, not a flow: one per project per day, at 00:00.
      return projects.map((project_id) => ({ t: day, dims: { project_id }, metrics: { usage_bytes: 1_000_000 + f(500_000_000) } }));
    }
    const users = this.userIds().slice(0, 6);
    const out: UsageEvent[] = [];
    const minutes = 2 + f(3);
    for (let m = 0; m < minutes; m++) {
      const t = day + f(1440) * 60;
      const n = 1 + f(2);
      for (let e = 0; e < n; e++) {
        const project = pick(projects);
        const keys = this.org.keys.get(project) ?? [];
        const all: Record<string, DimValue> = {
          project_id: project,
          user_id: rand() < 0.15 || users.length === 0 ? null : pick(users),
          api_key_id: keys.length ? pick(keys) : null,
          model: ep.models.length ? pick(ep.models) : null,
          batch: rand() < 0.3,
          service_tier: pick(SERVICE_TIERS),
          size: rand() < 0.6 ? '1024x1024' : pick(IMAGE_SIZES),
          source: pick(IMAGE_SOURCES),
          context_level: pick(CONTEXT_LEVELS),
          vector_store_id: `vs_${project.replace(/^proj_/, '')}_${f(2)}`,
        };
        const dims = Object.fromEntries(ep.dims.map((d) => [d, all[d] ?? null]));
        out.push({ t, dims, metrics: this.metrics(ep, day, f) });
      }
    }
    return out.sort((a, b) => a.t - b.t);
  }

  private metrics(ep: UsageEndpoint, day: number, f: (n: number) => number): Record<string, number> {
    const requests = 1 + f(20);
    switch (ep.endpoint) {
      case 'completions': {
        const cached = f(5_000);
        const newFields = day >= COMPLETIONS_NEW_FIELDS_DAY;
        const write = newFields ? f(1_000) : 0;
        const uncached = 100 + f(20_000);
        const audio = f(uncached / 10);
        const image = f(uncached / 10);
        const cachedAudio = f(cached / 10);
        const cachedImage = f(cached / 10);
        const output = 10 + f(8_000);
        const outAudio = f(output / 10);
        const outImage = f(output / 10);
        return {
          input_tokens: uncached + cached + write,
          output_tokens: output,
          num_model_requests: requests,
          input_cached_tokens: cached,
          ...(newFields ? { input_cache_write_tokens: write, input_uncached_tokens: uncached } : {}),
          input_text_tokens: uncached - audio - image,
          output_text_tokens: output - outAudio - outImage,
          input_cached_text_tokens: cached - cachedAudio - cachedImage,
          input_audio_tokens: audio,
          input_cached_audio_tokens: cachedAudio,
          output_audio_tokens: outAudio,
          input_image_tokens: image,
          input_cached_image_tokens: cachedImage,
          output_image_tokens: outImage,
        };
      }
      case 'embeddings':
        return { input_tokens: 10 + f(100_000), num_model_requests: requests };
      case 'moderations':
        return { input_tokens: 5 + f(5_000), num_model_requests: requests };
      case 'images':
        return { images: requests + f(4), num_model_requests: requests };
      case 'audio_speeches':
        return { characters: 10 + f(20_000), num_model_requests: requests };
      case 'audio_transcriptions':
        return { seconds: 1 + f(3_600), num_model_requests: requests };
      case 'code_interpreter_sessions':
        return { num_sessions: 1 + f(5) };
      case 'file_search_calls':
        return { num_requests: 1 + f(30) };
      case 'web_search_calls':
        return { num_model_requests: requests, num_requests: requests + f(10) };
      default:
        throw new Error(`no metrics for ${ep.endpoint}`);
    }
  }

  /** Results of one bucket [start, start + width) as the API sends them. */
  results(ep: UsageEndpoint, start: number, width: UsageWidth, groupBy: readonly string[], filters: UsageFilters = {}): UsageResult[] {
    const end = start + WIDTH_SECONDS[width];
    const groups = new Map<string, { dims: Record<string, DimValue>; metrics: Record<string, number> }>();
    for (let day = Math.floor(start / DAY) * DAY; day < end; day += DAY) {
      for (const ev of this.eventsOn(ep, day)) {
        if (ev.t < start || ev.t >= end || !passes(ep, ev, filters)) continue;
        const dims = Object.fromEntries(ep.dims.map((d) => [d, groupBy.includes(d) ? (ev.dims[d] ?? null) : null]));
        const key = JSON.stringify(ep.dims.map((d) => dims[d]));
        const g = groups.get(key) ?? { dims, metrics: {} };
        for (const [m, v] of Object.entries(ev.metrics)) g.metrics[m] = (g.metrics[m] ?? 0) + v;
        groups.set(key, g);
      }
    }
    return [...groups.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, g]) => ({ object: ep.object, ...g.metrics, ...g.dims }));
  }

  /** Ground truth: the records a connector must emit for [start, end) at `width`. Empty buckets have none. */
  expected(stream: string, start: number, end: number, width: UsageWidth, groupBy: readonly string[], filters: UsageFilters = {}): ExpectedUsage[] {
    const ep = usageEndpoint(stream);
    const step = WIDTH_SECONDS[width];
    const out: ExpectedUsage[] = [];
    for (let t = Math.floor(start / step) * step; t < end; t += step) {
      for (const r of this.results(ep, t, width, groupBy, filters)) {
        const row: ExpectedUsage = { start_time: t, end_time: t + step, date: new Date(t * 1000).toISOString().slice(0, 10) };
        for (const d of ep.dims) row[d] = (r[d] as DimValue | undefined) ?? null;
        for (const m of ep.metrics) row[m] = (r[m] as number | undefined) ?? null;
        out.push(row);
      }
    }
    return out;
  }
}

function passes(ep: UsageEndpoint, ev: UsageEvent, filters: UsageFilters): boolean {
  for (const [name, values] of Object.entries(filters)) {
    const spec = ep.filters[name];
    if (!spec || values.length === 0) continue;
    const v = ev.dims[spec.dim];
    if (spec.kind === 'bool') {
      if (v !== (values[0] === 'true')) return false;
    } else if (!values.includes(String(v))) return false;
  }
  return true;
}

export interface UsageServeOptions {
  now: number;
  truncateAt?: number | undefined;
  refuseLimitAbove?: number | undefined;
}

const COMMON_PARAMS = new Set(['start_time', 'end_time', 'bucket_width', 'limit', 'page', 'group_by', 'group_by[]']);
const quoted = (xs: readonly string[]): string => xs.map((x) => `'${x}'`).join(', ');

/** GET /organization/usage/{endpoint}, validated per the OpenAPI excerpt. */
export function usageReply(usage: OrgUsage, name: string, q: URLSearchParams, o: UsageServeOptions): JsonReply {
  const ep = USAGE_ENDPOINTS.find((x) => x.endpoint === name);
  if (!ep) return err(404, `Unknown request URL: GET /v1/organization/usage/${name}.`, null, 'unknown_url');
  for (const k of new Set(q.keys())) {
    const base = k.replace(/\[\]$/, '');
    if (!COMMON_PARAMS.has(k) && !ep.filters[base]) return err(400, `Unrecognized request argument supplied: ${k}`, k);
  }
  const start = intParam(q, 'start_time');
  if (start === null) return err(400, "Missing required parameter: 'start_time'.", 'start_time');
  if (start === 'bad' || start < 0) return err(400, "Invalid 'start_time': expected an integer unix timestamp.", 'start_time');
  const endParam = intParam(q, 'end_time');
  if (endParam === 'bad') return err(400, "Invalid 'end_time': expected an integer unix timestamp.", 'end_time');
  const end = endParam ?? o.now;
  if (end <= start) return err(400, "'end_time' must be after 'start_time'.", 'end_time');
  const widthParam = q.get('bucket_width') ?? '1d';
  if (!(widthParam in WIDTH_SECONDS))
    return err(400, `Invalid value for 'bucket_width': '${widthParam}'. Supported values are: '1m', '1h', '1d'.`, 'bucket_width');
  const width = widthParam as UsageWidth;
  const step = WIDTH_SECONDS[width];
  const limitParam = intParam(q, 'limit');
  if (limitParam === 'bad') return err(400, "Invalid 'limit': expected an integer.", 'limit');
  const { default: defaultLimit, max } = FAKE_USAGE_LIMITS[width];
  const limit = limitParam ?? defaultLimit;
  if (limit < 1 || limit > max)
    return err(400, `Invalid limit provided: ${limit}. Limit must be less than or equal to ${max} for bucket_width=${width}.`, 'limit');
  if (o.refuseLimitAbove !== undefined && limit > o.refuseLimitAbove) return err(400, 'The response would be too large; request fewer buckets.', 'limit');
  const groupBy = arrayParam(q, 'group_by');
  for (const g of groupBy) {
    if (!ep.dims.includes(g)) return err(400, `Invalid value for 'group_by': '${g}'. Supported values are: ${quoted(ep.dims)}.`, 'group_by');
  }
  const filters: Record<string, string[]> = {};
  for (const [fname, spec] of Object.entries(ep.filters)) {
    const values = spec.kind === 'bool' ? (q.get(fname) === null ? [] : [q.get(fname) as string]) : arrayParam(q, fname);
    if (spec.kind === 'bool' && values.length && !['true', 'false'].includes(values[0] as string)) {
      return err(400, `Invalid value for '${fname}': expected a boolean.`, fname);
    }
    if (spec.kind === 'enum') {
      const bad = values.find((v) => !spec.values.includes(v));
      if (bad !== undefined) return err(400, `Invalid value for '${fname}': '${bad}'. Supported values are: ${quoted(spec.values)}.`, fname);
    }
    if (values.length) filters[fname] = values;
  }
  return reportPage(q, {
    first: Math.floor(start / step) * step,
    end,
    step,
    perPage: Math.min(limit, o.truncateAt ?? Infinity),
    grouped: groupBy.length > 0,
    results: (t) => usage.results(ep, t, width, groupBy, filters),
  });
}

// ---- entities -------------------------------------------------------------------

export interface ProjectObject {
  id: string;
  object: 'organization.project';
  name: string;
  created_at: number;
  archived_at: number | null;
  status: 'active' | 'archived';
}

export interface UserObject {
  object: 'organization.user';
  id: string;
  name: string;
  email: string;
  role: 'owner' | 'reader';
  added_at: number;
}

export interface KeyOwner {
  type: 'user' | 'service_account';
  user?: { object: 'organization.project.user'; id: string; name: string; email: string; role: string; added_at: number };
  service_account?: { object: 'organization.project.service_account'; id: string; name: string; role: string; created_at: number };
}

export interface KeyObject {
  object: 'organization.project.api_key';
  id: string;
  name: string;
  redacted_value: string;
  created_at: number;
  last_used_at: number | null;
  owner: KeyOwner;
}

export interface DirectoryOptions {
  /** Active projects beyond the ones with cost; every third of them is archived. */
  extraProjects: number;
  users: number;
  /** Keys never used (no cost, no usage) listed in every project besides the used ones. */
  idleKeysPerProject: number;
}

/** The org's projects, users and API keys, as the entity lists serve them (creation order). */
/**
 * Unkind project names (the rest are `Project NNN`): two projects share a name (the report must
 * tell them apart by id), and names are not ASCII.
 */
export const PROJECT_NAMES: readonly string[] = ['Recherche & Développement — Zürich', 'Production', 'Production', '研究チーム 🚀'];

export class OrgDirectory {
  readonly projects: ProjectObject[];
  readonly users: UserObject[];
  private readonly keysByProject = new Map<string, KeyObject[]>();
  private readonly secrets = new Map<string, string>();

  constructor(org: OrgView, o: DirectoryOptions) {
    const t0 = org.firstDay - 400 * DAY;
    const pad = (n: number): string => String(n).padStart(3, '0');
    this.users = Array.from({ length: o.users }, (_, i) => ({
      object: 'organization.user',
      id: `user-${shortHash(`user${org.seed}:${i}`, 12)}`,
      name: `User ${pad(i + 1)}`,
      email: `user${pad(i + 1)}@example.com`,
      role: i === 0 ? 'owner' : 'reader',
      added_at: t0 + i * 3 * 3_600,
    }));
    const total = org.projects.length + o.extraProjects;
    this.projects = Array.from({ length: total }, (_, i) => {
      const id = org.projects[i] ?? `proj_${pad(i + 1)}`;
      const created_at = t0 + i * DAY;
      const archived = i >= org.projects.length && (i - org.projects.length) % 3 === 2;
      return {
        id,
        object: 'organization.project',
        name: PROJECT_NAMES[i] ?? `Project ${pad(i + 1)}`,
        created_at,
        archived_at: archived ? created_at + 30 * DAY : null,
        status: archived ? 'archived' : 'active',
      };
    });
    for (const [pi, p] of this.projects.entries()) {
      const used = org.keys.get(p.id) ?? [];
      const keyIds = [...used, ...Array.from({ length: o.idleKeysPerProject }, (_, k) => `key_${p.id.replace(/^proj_/, '')}_idle${k}`)].filter(
        (id) => !org.deletedKeys.has(id),
      );
      this.keysByProject.set(
        p.id,
        keyIds.map((id, k) => {
          const secret = `sk-proj-${shortHash(`secret${org.seed}:${id}`, 48)}`;
          this.secrets.set(id, secret);
          const created_at = p.created_at + (k + 1) * 3_600;
          const u = this.users[(pi + k) % Math.max(1, this.users.length)];
          const owner: KeyOwner =
            k % 2 === 0 && u
              ? {
                  type: 'user',
                  user: {
                    object: 'organization.project.user',
                    id: u.id,
                    name: u.name,
                    email: u.email,
                    role: k === 0 ? 'owner' : 'member',
                    added_at: u.added_at,
                  },
                }
              : {
                  type: 'service_account',
                  service_account: {
                    object: 'organization.project.service_account',
                    id: `svc_acct_${shortHash(id, 10)}`,
                    name: `${p.name} bot ${k}`,
                    role: 'member',
                    created_at,
                  },
                };
          return {
            object: 'organization.project.api_key',
            id,
            name: `${p.name} key ${k}`,
            redacted_value: `sk-proj-${secret.slice(8, 11)}...${secret.slice(-3)}`,
            created_at,
            last_used_at: used.includes(id) ? org.firstDay + (k + 1) * DAY : null,
            owner,
          };
        }),
      );
    }
  }

  apiKeys(projectId: string): KeyObject[] | undefined {
    return this.keysByProject.get(projectId);
  }

  /** The unredacted key, which the real API never lists (the fake sends it only with leakKeyValues). */
  keyValue(id: string): string | undefined {
    return this.secrets.get(id);
  }
}

export interface ListServeOptions {
  /** Serve at most this many items per page whatever `limit` says. */
  pageCap?: number | undefined;
}

/** One page of an entity list: limit 1-100 (default 20), after = an id of the list. */
export function listReply<T extends { id: string }>(items: readonly T[], q: URLSearchParams, allowed: readonly string[], o: ListServeOptions = {}): JsonReply {
  for (const k of new Set(q.keys())) {
    if (!['limit', 'after', ...allowed].includes(k)) return err(400, `Unrecognized request argument supplied: ${k}`, k);
  }
  const limitParam = intParam(q, 'limit');
  if (limitParam === 'bad') return err(400, "Invalid 'limit': expected an integer.", 'limit');
  const limit = limitParam ?? 20;
  if (limit < 1 || limit > 100) return err(400, `Invalid 'limit': ${limit}. Expected a value between 1 and 100.`, 'limit');
  const after = q.get('after');
  let from = 0;
  if (after !== null) {
    const i = items.findIndex((x) => x.id === after);
    if (i < 0) return err(400, `Invalid 'after': no object with id '${after}' in this list.`, 'after');
    from = i + 1;
  }
  const data = items.slice(from, from + Math.min(limit, o.pageCap ?? Infinity));
  return {
    status: 200,
    body: { object: 'list', data, first_id: data[0]?.id ?? null, last_id: data[data.length - 1]?.id ?? null, has_more: from + data.length < items.length },
  };
}
