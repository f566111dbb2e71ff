import { z } from 'zod';
import type { Window } from '../../engine/planner.js';
import { recordId } from '../../engine/records.js';
import type { FailRule, RestartRule } from '../../engine/responses.js';
import { recordSchema, type Bucket, type BucketStream, type JsonSchema, type Row } from '../../engine/stream.js';
import { isoTime } from '../../engine/time.js';
import { parseOrThrow } from '../../engine/validation.js';
import type { Query } from '../../http/client.js';
import { aurousBucketApi, DIMENSIONS, MAX_GROUP_BY, USAGE_PATH, WIDTH_SECONDS, WINDOW_BUCKETS } from './api.js';
import type { AurousConfig } from './config.js';
import { aurousWindowFetcher } from './fetch.js';

/** The metrics of one group, as GET /v1/usage names them. */
export const METRICS = [
  { name: 'request_count', type: 'integer', description: 'Requests in the bucket and group.' },
  { name: 'successful_count', type: 'integer', description: 'Requests that succeeded.' },
  { name: 'failed_count', type: 'integer', description: 'Requests that failed.' },
  { name: 'cancelled_count', type: 'integer', description: 'Requests that were cancelled.' },
  { name: 'credits_used', type: 'number', description: 'Credits charged, exactly as the API sent them.' },
  { name: 'duration_ms_p50', type: 'integer', description: 'Median request duration in milliseconds.' },
  { name: 'duration_ms_p95', type: 'integer', description: '95th percentile request duration in milliseconds.' },
  { name: 'image_count', type: 'integer', description: 'Images generated.' },
  { name: 'video_seconds', type: 'number', description: 'Seconds of video generated.' },
  { name: 'total_input_tokens', type: 'integer', description: 'Input tokens.' },
  { name: 'total_output_tokens', type: 'integer', description: 'Output tokens.' },
] as const;

const metricZod = { integer: z.number().int().nullish(), number: z.number().nullish() } as const;

const GroupSchema = z.looseObject({
  key: z.record(z.string(), z.string().nullable()).nullish(),
  metrics: z.looseObject(Object.fromEntries(METRICS.map((m) => [m.name, metricZod[m.type]]))).nullish(),
});

const DESCRIPTION =
  'Aurous Labs usage (requests, credits, durations, images, video, tokens) per time bucket and group (GET /v1/usage).';

export function usageSchema(): JsonSchema {
  const properties: Record<string, JsonSchema> = {
    id: { type: 'string', description: 'Deterministic key: hash of the bucket start and the group key (null-safe).' },
    bucket_start: { type: 'string', format: 'date-time', description: 'Bucket start, RFC 3339 UTC (inclusive). Cursor.' },
    bucket_end: { type: 'string', format: 'date-time', description: 'Bucket end, RFC 3339 UTC (exclusive).' },
  };
  for (const d of DIMENSIONS) {
    properties[d] = { type: ['string', 'null'], description: 'Grouping dimension; null when not grouped by it or null upstream.' };
  }
  for (const m of METRICS) properties[m.name] = { type: [m.type, 'null'], description: m.description };
  return recordSchema('usage', DESCRIPTION, properties, ['id', 'bucket_start', 'bucket_end']);
}

/**
 * The record of one group. Dimensions outside group_by are null; the id hashes the
 * bucket start and, per dimension, [value] when grouped or null when not, so an
 * upstream null differs from "not grouped" and no value can collide with another.
 */
export function toUsageRecord(groupBy: readonly string[], bucket: Bucket, raw: unknown): Row {
  const group = parseOrThrow(GroupSchema, raw);
  const key = group.key ?? {};
  const row: Row = { id: '', bucket_start: isoTime(bucket.start), bucket_end: isoTime(bucket.end) };
  const idParts: unknown[] = [bucket.start];
  for (const d of DIMENSIONS) {
    const isGrouped = groupBy.includes(d);
    const value = isGrouped ? (key[d] ?? null) : null;
    row[d] = value;
    idParts.push(isGrouped ? [value] : null);
  }
  row.id = recordId(idParts);
  const metrics = (group.metrics ?? {}) as Record<string, unknown>;
  for (const m of METRICS) row[m.name] = metrics[m.name] ?? null;
  return row;
}

/** Filters: repeated keys (the API also takes comma lists); character_id is single. */
function filterParams(c: AurousConfig): Query {
  const many = (name: string, values: readonly string[] | undefined): Query => (values ?? []).map((v) => [name, v] as const);
  return [
    ...many('status', c.status),
    ...many('type', c.type),
    ...many('api_key_id', c.api_key_id),
    ...many('user_id', c.user_id),
    ...many('lora_id', c.lora_id),
    ...(c.character_id === undefined ? [] : [['character_id', c.character_id] as const]),
  ];
}

/**
 * What Aurous's error responses mean for /v1/usage. A refused page_token (400 invalid_page_token:
 * expired, a fingerprint mismatch, another team's) restarts the query for the part of the window not
 * read yet (applied by the fetcher). A refused group_by (a dimension this API version does not take:
 * the API reference lists four, the overview adds model) fails as a config_error with the API's own
 * words, so the window is not halved for it and the user learns which setting to change.
 */
export function usageResponses(groupBy: readonly string[]): Array<FailRule<Window> | RestartRule> {
  return [
    { when: { status: 400, code: 'invalid_page_token' }, action: 'restart' },
    {
      when: { status: 400, code: 'invalid_parameter', messageIncludes: "'group_by'" },
      action: 'fail',
      failureType: 'config_error',
      message: (e) =>
        `${USAGE_PATH}: Aurous refused group_by ${groupBy.join(',') || '(none)'}: ${e.message ?? ''} ` +
        `Set group_by to at most ${MAX_GROUP_BY} dimensions this API accepts (documented: ${DIMENSIONS.join(', ')}; model is listed only in the overview).`,
    },
  ];
}

export const usageStream: BucketStream<AurousConfig> = {
  kind: 'buckets',
  name: 'usage',
  description: DESCRIPTION,
  schema: usageSchema(),
  primaryKey: [['id']],
  cursorField: 'bucket_start',
  plan(config) {
    const width = config.bucket_width;
    const groupBy = config.group_by;
    const params: Query = [
      ['bucket_width', width],
      // The documented form: one comma-separated list (group_by=type,model).
      ...(groupBy.length > 0 ? [['group_by', groupBy.join(',')] as const] : []),
      ...filterParams(config),
    ];
    const responses = usageResponses(groupBy);
    return {
      path: USAGE_PATH,
      api: aurousBucketApi,
      params,
      bucketSeconds: WIDTH_SECONDS[width],
      maxBuckets: WINDOW_BUCKETS[width],
      paging: {
        kind: 'custom',
        fetchWindow: aurousWindowFetcher({ path: USAGE_PATH, bucketSeconds: WIDTH_SECONDS[width], params, groupBy, pageSize: config.page_size, responses }),
      },
      includeCurrentBucket: true,
      responses,
      toRecord: (bucket, result) => toUsageRecord(groupBy, bucket, result),
    };
  },
};
