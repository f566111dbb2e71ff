import { z } from 'zod';
import { configError } from './errors.js';
import type { CommonConfig } from './read.js';
import { DAY, isoDate, parseUtc, startOfDay } from './time.js';

/** Config fields every connector shares, as zod pieces with their spec metadata. */
const DATE_PATTERN = '^\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}:\\d{2}(\\.\\d+)?(Z|[+-]\\d{2}:\\d{2}))?$';

const utcDate = (what: string) =>
  z
    .string()
    .regex(new RegExp(DATE_PATTERN), `${what} must be YYYY-MM-DD or RFC 3339 with a time zone, e.g. 2025-01-01 or 2025-01-01T00:00:00Z`)
    .refine((s) => parseUtc(s) !== null, `${what} is not a real date`);

/**
 * The days a read covers when start_date is not set: today and the 364 days before it. Anthropic's
 * analytics API serves the last 365 days (rounded up to whole days), so its floor is never later
 * than this start once 2026-01-01 is more than a year ago: a default never expires.
 */
export const DEFAULT_HISTORY_DAYS = 365;

const startDate = utcDate('start_date')
  .optional()
  .meta({
    title: 'Start date',
    description: `UTC date (YYYY-MM-DD) or RFC 3339 time from which to sync; windows are whole UTC days from the start of that day. Default (not set): the last ${DEFAULT_HISTORY_DAYS} days, today included, and for a stream whose API serves less, from its first day. A stream whose API serves nothing before some day (Anthropic analytics) starts there, with a warning.`,
    examples: ['2025-01-01'],
    pattern: DATE_PATTERN,
    order: 1,
  });

const endDate = utcDate('end_date')
  .optional()
  .meta({
    title: 'End date',
    description: 'Last UTC day to sync, inclusive. Default: today (whose partial bucket is re-read on the next sync).',
    examples: ['2025-12-31'],
    pattern: DATE_PATTERN,
    order: 2,
  });

const MAX_LOOKBACK_DAYS = 31;
const lookbackDays = z
  .number()
  .int('lookback_days must be a whole number')
  .min(0, 'lookback_days must be between 0 and 31')
  .max(MAX_LOOKBACK_DAYS, 'lookback_days must be between 0 and 31')
  .default(3)
  .meta({
    title: 'Lookback days',
    description: 'How many already-synced days every incremental read re-reads, because recent costs settle late.',
    order: 3,
  });

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]', '::1']);
const isLoopback = (host: string): boolean => LOOPBACK.has(host) || /^127\.\d+\.\d+\.\d+$/.test(host);

const baseUrl = (defaultUrl: string) =>
  z
    .string()
    .default(defaultUrl)
    .refine((s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'https:' || (u.protocol === 'http:' && isLoopback(u.hostname));
      } catch {
        return false;
      }
    }, 'base_url must be an https:// URL (http:// is allowed only for localhost/127.0.0.1)')
    .meta({
      title: 'Base URL',
      description: `API base URL. Default ${defaultUrl}. Change only for a proxy or a test server. With or without a trailing /v1: both forms work.`,
      order: 4,
    });

/**
 * Where a provider's API version goes: OpenAI's base_url ends in /v1 and its paths follow
 * (/organization/costs); Anthropic's and Aurous's paths start with /v1 and base_url is the host.
 */
export type VersionIn = 'base_url' | 'paths';

/**
 * The base URL requests are sent to, from the configured `base_url` in either form: with or without
 * a trailing /v1 (and slashes), whichever the provider's paths need. OpenAI's paths are relative to
 * /v1 (`/organization/costs`), so /v1 is added when missing; Anthropic's and Aurous's start with
 * /v1, so a trailing /v1 is dropped. Every connector takes `https://host` and `https://host/v1`.
 */
export function apiBaseUrl(configured: string, versionIn: VersionIn): string {
  const trimmed = configured.replace(/\/+$/, '');
  const endsInV1 = /\/v1$/i.test(trimmed);
  if (versionIn === 'base_url') return endsInV1 ? trimmed : `${trimmed}/v1`;
  return endsInV1 ? trimmed.slice(0, -'/v1'.length) : trimmed;
}

/**
 * The fix for a base_url whose /v1 is missing (or, where paths carry it, doubled): every
 * request of such a config is a 404. Undefined when base_url is right, so any other 404 keeps
 * its own message. Only origin and path are shown.
 */
export function baseUrlVersionHint(configured: string, versionIn: VersionIn): string | undefined {
  let u: URL;
  try {
    u = new URL(configured);
  } catch {
    return undefined;
  }
  const shown = `${u.origin}${u.pathname.replace(/\/+$/, '')}`;
  const endsInV1 = shown.endsWith('/v1');
  if (versionIn === 'base_url' && !endsInV1) return `base_url must end in /v1: it is '${shown}'; set it to '${shown}/v1'`;
  if (versionIn === 'paths' && endsInV1) {
    return `base_url must not end in /v1 (request paths start with /v1): it is '${shown}'; set it to '${shown.slice(0, -'/v1'.length)}'`;
  }
  return undefined;
}

/** The tuning fields every connector takes, in the spec's order 20-24 (sourceConfigSchema adds them). */
const tuning = {
  request_timeout_seconds: z
    .number()
    .int()
    .min(1, 'request_timeout_seconds must be between 1 and 600')
    .max(600, 'request_timeout_seconds must be between 1 and 600')
    .default(60)
    .meta({ title: 'Request timeout (seconds)', description: 'A request with no complete response by then is retried.', order: 20 }),
  max_retries: z.number().int().min(0, 'max_retries must be between 0 and 20').max(20, 'max_retries must be between 0 and 20').default(8).meta({
    title: 'Max retries',
    description: 'Retries of a request that failed transiently (429, 5xx, network, timeout) before the stream fails.',
    order: 21,
  }),
  max_concurrent_requests: z
    .number()
    .int()
    .min(1, 'max_concurrent_requests must be between 1 and 16')
    .max(16, 'max_concurrent_requests must be between 1 and 16')
    .default(4)
    .meta({
      title: 'Max concurrent requests',
      description: 'Requests in flight at once, across windows and streams. Records and states stay in cursor order per stream.',
      order: 22,
    }),
  requests_per_minute: z.number().positive('requests_per_minute must be positive').max(6000, 'requests_per_minute must be at most 6000').optional().meta({
    title: 'Requests per minute',
    description: 'Optional cap on request starts per minute, shared by all streams. After a 429 the whole process slows down.',
    order: 23,
  }),
  decode_threads: z
    .number()
    .int('decode_threads must be a whole number')
    .min(0, 'decode_threads must be between 0 and 16')
    .max(16, 'decode_threads must be between 0 and 16')
    .optional()
    .meta({
      title: 'Decode threads',
      description:
        'Worker threads that parse responses and serialise records during a read, so a large backfill uses more than one core. Default: one per CPU, at most max_concurrent_requests. 0 decodes on the main thread.',
      order: 24,
    }),
};

/**
 * A connector's config schema, composed the same way for every provider: its key field(s) first,
 * the shared date fields and base_url, its own fields, its `focus` object (engine/focus/focus.ts
 * focusConfigShape, with the provider's account defaults), then the tuning fields. Strict: a
 * misspelt field (stat_date) is refused, never silently ignored.
 */
export function sourceConfigSchema<K extends z.ZodRawShape, S extends z.ZodRawShape, F extends z.ZodType>(o: {
  key: K;
  /** The API's base URL, the default of base_url. */
  baseUrl: string;
  fields: S;
  focus: F;
}) {
  return z.strictObject({
    ...o.key,
    start_date: startDate,
    end_date: endDate,
    lookback_days: lookbackDays,
    base_url: baseUrl(o.baseUrl),
    ...o.fields,
    focus: o.focus,
    ...tuning,
  });
}

/**
 * Resolve the shared date fields into unix seconds, checking their order and that start_date is
 * not in the future (`nowMs`: the injected clock). A future start_date would read nothing and exit 0.
 */
export function commonConfig(c: { start_date?: string | undefined; end_date?: string | undefined; lookback_days: number }, nowMs: number): CommonConfig {
  const today = startOfDay(Math.floor(nowMs / 1000));
  const defaulted = c.start_date === undefined;
  const start = c.start_date === undefined ? today - (DEFAULT_HISTORY_DAYS - 1) * DAY : startOfDay(parseUtc(c.start_date) as number);
  const end = c.end_date === undefined ? undefined : startOfDay(parseUtc(c.end_date) as number) + DAY;
  if (start > today) {
    throw configError(
      `start_date (${c.start_date}) is in the future (today is ${isoDate(today)} UTC); set it to the first day whose spend you want, e.g. ${isoDate(today - 90 * DAY)}.`,
    );
  }
  if (end !== undefined && end <= start) {
    throw configError(
      defaulted
        ? `end_date (${c.end_date}) is before the default start (${isoDate(start)}, the last ${DEFAULT_HISTORY_DAYS} days); set start_date on or before end_date.`
        : `start_date (${c.start_date}) is after end_date (${c.end_date}); set start_date on or before end_date.`,
    );
  }
  return { start, end, lookbackDays: c.lookback_days, ...(defaulted ? { startDefaulted: true } : {}) };
}

/**
 * The mark of a value a template leaves to the user (examples/production: `sk-admin-REPLACE-WITH-YOUR-ADMIN-KEY`,
 * `"credit_usd_rate": "REPLACE-WITH-YOUR-USD-PER-CREDIT"`). No real key or rate contains it.
 */
export const PLACEHOLDER_MARK = 'REPLACE-WITH-YOUR';

/** What to do with a placeholder, by field; a key: put the real one there. */
const PLACEHOLDER_FIX: Record<string, string> = {
  'focus.credit_usd_rate':
    'set it to the USD price of one Aurous credit (in your team\'s billing settings) as a decimal string such as "0.01", or delete it and leave spend out (sync --streams usage)',
};

/** The dotted name of the first string field (nested objects included) that still holds a template placeholder. */
function placeholderField(value: unknown, at = ''): string | undefined {
  if (typeof value === 'string') return value.toUpperCase().includes(PLACEHOLDER_MARK) ? at : undefined;
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  for (const [k, v] of Object.entries(value)) {
    const found = placeholderField(v, at ? `${at}.${k}` : k);
    if (found !== undefined) return found;
  }
  return undefined;
}

/**
 * Parse a config object with a zod schema into a one-line, actionable config_error. A field still
 * holding a template's placeholder is refused first, naming the field and `file` (never the value):
 * a request with it could only fail, and a key's refusal would say less.
 */
export function parseConfig<T>(schema: z.ZodType<T>, raw: unknown, file?: string): T {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw configError('Config must be a JSON object, e.g. {"admin_api_key": "...", "start_date": "2025-01-01"}.');
  }
  const placeholder = placeholderField(raw);
  if (placeholder !== undefined) {
    const fix = PLACEHOLDER_FIX[placeholder] ?? `put your real ${placeholder.endsWith('_key') ? 'key' : 'value'} there`;
    throw configError(`${placeholder} in ${file ? `'${file}'` : 'the config'} is still the template's placeholder: ${fix}.`);
  }
  const r = schema.safeParse(raw);
  if (r.success) return r.data;
  // A misspelt field is also a missing one (stat_date): the unknown name explains both.
  const unknown = r.error.issues.find((i) => i.code === 'unrecognized_keys');
  if (unknown) throw configError(unknownFieldsMessage(schema, unknown.path, unknown.keys));
  const issue = r.error.issues[0];
  const field = issue?.path.map(String).join('.') ?? '';
  let message = issue?.message ?? 'invalid';
  if (issue?.code === 'invalid_type' && (raw as Record<string, unknown>)[field] === undefined && issue.path.length === 1) {
    message = `'${field}' is required`;
  }
  throw configError(`Config validation error: ${field ? `${field}: ` : ''}${message}.`.replace(/\.\.$/, '.'));
}

/** "Config has unknown field 'group_by.costz'; known fields of group_by: costs, ...", in one line. */
function unknownFieldsMessage(schema: z.ZodType, path: readonly PropertyKey[], keys: readonly string[]): string {
  const at = path.map(String).join('.');
  const names = keys.map((k) => `'${at ? `${at}.` : ''}${k}'`).join(', ');
  const known = Object.keys(objectAt(schema, path)?.shape ?? {}).join(', ');
  return `Config has unknown field${keys.length > 1 ? 's' : ''} ${names}; known fields${at ? ` of ${at}` : ''}: ${known}.`;
}

/** The object schema at `path`, through optional and default wrappers. */
function objectAt(schema: z.ZodType, path: readonly PropertyKey[]): z.ZodObject | undefined {
  let node: unknown = schema;
  for (let i = 0; ; i += 1) {
    while (node instanceof z.ZodOptional || node instanceof z.ZodDefault || node instanceof z.ZodNullable) node = node.unwrap();
    if (!(node instanceof z.ZodObject)) return undefined;
    if (i === path.length) return node;
    node = node.shape[String(path[i])];
  }
}

/** The HTTP client settings every connector takes from the shared tuning fields. */
export function httpTuning(c: {
  request_timeout_seconds: number;
  max_retries: number;
  max_concurrent_requests: number;
  requests_per_minute?: number | undefined;
}): { timeoutMs: number; maxRetries: number; maxConcurrent: number; requestsPerMinute: number | undefined } {
  return {
    timeoutMs: c.request_timeout_seconds * 1000,
    maxRetries: c.max_retries,
    maxConcurrent: c.max_concurrent_requests,
    requestsPerMinute: c.requests_per_minute,
  };
}
