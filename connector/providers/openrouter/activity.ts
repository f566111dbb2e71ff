import { z } from 'zod';
import { numberToDecimal } from '../../decimal.js';
import { BucketRecords, bucketColumns, type BucketFields } from '../../engine/columns/buckets.js';
import { col, columns, type Column } from '../../engine/columns/columns.js';
import { describeZodError } from '../../engine/columns/validation.js';
import { systemError } from '../../engine/errors.js';
import type { Window } from '../../engine/plan/planner.js';
import type { Bucket, BucketPlan, BucketStream, FetchedWindow, Row, WindowIo } from '../../engine/stream.js';
import { DAY, isoDate, isoTime } from '../../engine/time.js';
import {
  ACTIVITY_DAYS,
  ACTIVITY_PATH,
  ANALYTICS_DAYS,
  ANALYTICS_LIMIT,
  ANALYTICS_PATH,
  activityApi,
  activityFrom,
  analyticsApi,
  analyticsFloor,
} from './api.js';
import type { OpenRouterConfig } from './config.js';
import { analyticsPacer } from './pace.js';

/**
 * The `activity` stream: OpenRouter spend and usage per UTC day x model x endpoint, one source per day:
 * - the last 30 completed UTC days from GET /activity?date=YYYY-MM-DD (one request per day; the full
 *   grain: model, permaslug, endpoint, provider), `source` "activity";
 * - older days, back to 365 days, from POST /analytics/query (granularity day, dimensions [model]: no
 *   endpoint or provider, which analytics serves only for 31 days), `source` "analytics";
 * - before that nothing (the engine's floor notice says so: engine/read.ts FloorNotice).
 * The boundary moves with the clock: it is computed from the clock at each read (BucketStream.segments).
 * Amounts are exact decimals of the JSON number text (decimal.ts numberToDecimal: exponent forms too);
 * `usage` (billed to credits) and `byok_usage_inference` (an estimate of what a provider key was
 * charged elsewhere) are kept apart. The id hashes (date, model, model_permaslug, endpoint_id), so a
 * day read again replaces its rows.
 */

const BUCKET_FIELDS: BucketFields = {
  start: 'start_time',
  end: 'end_time',
  time: 'rfc3339',
  date: true,
  id: 'Deterministic key: null-safe hash of the day, model, model_permaslug and endpoint_id (a day read again replaces its rows).',
};
const records = new BucketRecords(BUCKET_FIELDS);

const COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  col(
    'source',
    'string',
    'Where the day came from: activity (GET /activity, the last 30 completed UTC days) or analytics (POST /analytics/query, older days).',
    {
      notNull: true,
      from: null,
    },
  ),
  col('model', 'string', 'Model slug (activity model); for analytics days the analytics `model` dimension (a permaslug).', { notNull: true, from: null }),
  col('model_permaslug', 'string', 'Versioned model slug (activity model_permaslug; for analytics days the analytics `model` dimension).', { from: null }),
  col(
    'endpoint_id',
    'string',
    'The serving endpoint of a provider for the model (activity endpoint_id); null for analytics days (not served beyond 31 days).',
    {
      from: null,
    },
  ),
  col('provider_name', 'string', 'The upstream provider that served the requests (activity provider_name, a display name); null for analytics days.', {
    from: null,
  }),
  col('usage', 'string', 'USD billed to OpenRouter credits (activity usage; analytics credits_usage), exact decimal of the JSON number.', {
    notNull: true,
    from: null,
  }),
  col(
    'byok_usage_inference',
    'string',
    "Estimated USD a BYOK provider key was charged by the upstream (activity byok_usage_inference; analytics byok_usage), exact decimal. An estimate at market rates, billed elsewhere: never OpenRouter's cost.",
    { notNull: true, from: null },
  ),
  col('requests', 'integer', 'Requests (analytics request_count, sent as a string or a number).', { from: null }),
  col('prompt_tokens', 'integer', 'Prompt tokens (analytics tokens_prompt).', { from: null }),
  col('completion_tokens', 'integer', 'Completion tokens, reasoning included (analytics tokens_completion).', { from: null }),
  col('reasoning_tokens', 'integer', 'Reasoning tokens (a part of completion tokens, yet sometimes reported larger).', { from: null }),
];
const OUT = columns(COLUMNS);

/** A count: an integer, or an integer as a string (analytics counts; 5.0 parses as 5). */
const count = z.union([z.number().int().nonnegative(), z.string().regex(/^\d+$/, 'expected a count').transform(Number)]);
const amount = z.number();

const ActivityItem = z.looseObject({
  model: z.string().min(1),
  model_permaslug: z.string().min(1),
  endpoint_id: z.string().min(1),
  provider_name: z.string(),
  usage: amount,
  byok_usage_inference: amount,
  requests: count,
  prompt_tokens: count,
  completion_tokens: count,
  reasoning_tokens: count,
});

/**
 * An analytics row; unused components come back as null, not 0 [DOC cookbook]: a null amount or count
 * is none. The amounts asked for must be there (null or a number): a missing one (a renamed metric)
 * fails the read rather than read as $0.
 */
const AnalyticsRow = z.looseObject({
  model: z.string().min(1),
  credits_usage: amount.nullable(),
  byok_usage: amount.nullable(),
  request_count: count.nullish(),
  tokens_prompt: count.nullish(),
  tokens_completion: count.nullish(),
  reasoning_tokens: count.nullish(),
});

function parse<T>(schema: z.ZodType<T>, path: string, raw: unknown): T {
  const r = schema.safeParse(raw);
  if (!r.success) throw systemError(`${path}: unexpected row: ${describeZodError(r.error, raw)}`);
  return r.data;
}

interface DayRow {
  source: 'activity' | 'analytics';
  model: string;
  model_permaslug: string | null;
  endpoint_id: string | null;
  provider_name: string | null;
  usage: string;
  byok_usage_inference: string;
  requests: number | null;
  prompt_tokens: number | null;
  completion_tokens: number | null;
  reasoning_tokens: number | null;
}

function record(bucket: Bucket, d: DayRow): Row {
  const row: Row = { ...OUT.row({}), ...d };
  records.fill(row, bucket.start, bucket.end);
  row.id = records.id(bucket.start).add(d.model).add(d.model_permaslug).add(d.endpoint_id).digest();
  return row;
}

function activityRecord(bucket: Bucket, raw: unknown): Row {
  const a = parse(ActivityItem, ACTIVITY_PATH, raw);
  return record(bucket, {
    source: 'activity',
    model: a.model,
    model_permaslug: a.model_permaslug,
    endpoint_id: a.endpoint_id,
    provider_name: a.provider_name,
    usage: numberToDecimal(a.usage),
    byok_usage_inference: numberToDecimal(a.byok_usage_inference),
    requests: a.requests,
    prompt_tokens: a.prompt_tokens,
    completion_tokens: a.completion_tokens,
    reasoning_tokens: a.reasoning_tokens,
  });
}

function analyticsRecord(bucket: Bucket, raw: unknown): Row {
  const a = parse(AnalyticsRow, ANALYTICS_PATH, raw);
  return record(bucket, {
    source: 'analytics',
    model: a.model,
    model_permaslug: a.model,
    endpoint_id: null,
    provider_name: null,
    usage: a.credits_usage == null ? '0' : numberToDecimal(a.credits_usage),
    byok_usage_inference: a.byok_usage == null ? '0' : numberToDecimal(a.byok_usage),
    requests: a.request_count ?? null,
    prompt_tokens: a.tokens_prompt ?? null,
    completion_tokens: a.tokens_completion ?? null,
    reasoning_tokens: a.reasoning_tokens ?? null,
  });
}

/**
 * The record of one row of either source: an /activity item carries `date`, an analytics row
 * date__day or created_at__day instead (api.ts analyticsDayOf), so one mapping serves both plans
 * and a row is never mapped as the other source's.
 */
function dayRecord(bucket: Bucket, raw: unknown): Row {
  return raw !== null && typeof raw === 'object' && 'date' in raw ? activityRecord(bucket, raw) : analyticsRecord(bucket, raw);
}

/** The body of one analytics query over [start, end) (end exclusive [INFERRED]; a row of a day outside the window is dropped by the engine, with a debug line). */
const analyticsBody = (w: Window) => ({
  metrics: ['credits_usage', 'byok_usage', 'request_count', 'tokens_prompt', 'tokens_completion', 'reasoning_tokens'],
  dimensions: ['model'],
  granularity: 'day',
  time_range: { start: isoTime(w.start), end: isoTime(w.end) },
  limit: ANALYTICS_LIMIT,
});

/**
 * One window of analytics: a truncated answer is partial (no cursor), so the window is split in two
 * and each half queried, down to one day; a day still truncated fails the read (never accepted partial).
 * Each query waits for the analytics pacer (pace.ts: below the API's 64 requests per minute).
 */
async function fetchAnalytics(io: WindowIo, w: Window): Promise<FetchedWindow> {
  // At most 60 queries per rolling minute of this process (the API allows 64: pace.ts).
  await analyticsPacer.acquire();
  const page = await io.post([], analyticsBody(w));
  if (!page.hasMore) return { buckets: page.buckets, complete: true };
  const days = (w.end - w.start) / DAY;
  if (days <= 1)
    throw systemError(
      `${ANALYTICS_PATH}: the answer for ${isoDate(w.start)} is truncated even for one day (more than ${ANALYTICS_LIMIT} models); refusing a partial day.`,
    );
  const mid = w.start + Math.floor(days / 2) * DAY;
  io.debug(`${ANALYTICS_PATH}: ${isoDate(w.start)}..${isoDate(w.end - DAY)} truncated; querying it as two halves`);
  const a = await fetchAnalytics(io, { start: w.start, end: mid });
  const b = await fetchAnalytics(io, { start: mid, end: w.end });
  return { buckets: [...a.buckets, ...b.buckets], complete: true };
}

export const activityPlan: BucketPlan = {
  path: ACTIVITY_PATH,
  api: activityApi,
  params: [],
  bucketSeconds: DAY,
  maxBuckets: 1,
  // Rows of the requested day only: a row of another day fails the read (engine records paging).
  paging: { kind: 'records' },
  // Today is a 400 ("Date must be within the last 30 (completed) UTC days").
  includeCurrentBucket: false,
  responses: [
    {
      // A day this read planned inside the window that OpenRouter calls outside it: its day turns later than 00:00 UTC
      // (TO-CHECK-LIVE) or the clocks disagree. Nothing of the day is emitted and the state stays before it.
      when: { status: 400, messageIncludes: 'last 30' },
      action: 'fail',
      failureType: 'transient_error',
      message: (e, w) =>
        `${ACTIVITY_PATH}: OpenRouter refused ${isoDate(w.start)} as outside its window ("${e.message ?? ''}"); the day boundary or this machine's clock differs from OpenRouter's. Nothing of that day was emitted; run again after 01:00 UTC.`,
    },
  ],
  toRecord: (bucket, result) => dayRecord(bucket, result),
};

export const analyticsPlan: BucketPlan = {
  path: ANALYTICS_PATH,
  api: analyticsApi,
  params: [],
  bucketSeconds: DAY,
  maxBuckets: ANALYTICS_DAYS,
  paging: { kind: 'custom', fetchWindow: fetchAnalytics },
  earliest: {
    at: analyticsFloor,
    why: `OpenRouter serves daily history for the last ${ANALYTICS_DAYS} days only (/analytics/query; /activity: the last ${ACTIVITY_DAYS} completed days)`,
  },
  includeCurrentBucket: false,
  toRecord: (bucket, result) => dayRecord(bucket, result),
};

const DESCRIPTION =
  'OpenRouter spend and usage per UTC day x model x endpoint: the last 30 completed days from GET /activity (one request per day), older days (to 365 days back) from POST /analytics/query per day x model; `source` says which. usage (billed to credits) and byok_usage_inference (an estimate billed elsewhere) are exact decimal strings, kept apart.';

/** The plans of the stream by date: analytics before the /activity window, /activity from it (computed from the clock at each read). */
export const activitySegments = () => [{ plan: analyticsPlan }, { from: activityFrom, plan: activityPlan }];

/** One source of the stream's days (its plan alone): the spend stream maps each (spend.ts). */
const sourceStream = (plan: BucketPlan): BucketStream<OpenRouterConfig> => ({
  kind: 'buckets',
  name: 'activity',
  description: DESCRIPTION,
  schema: OUT.schema('activity', DESCRIPTION),
  primaryKey: [['id']],
  cursorField: 'start_time',
  plan: () => plan,
});

export const analyticsDays = sourceStream(analyticsPlan);
export const activityDays = sourceStream(activityPlan);

export const activityStream: BucketStream<OpenRouterConfig> = { ...analyticsDays, segments: activitySegments };
