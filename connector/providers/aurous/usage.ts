import { z } from 'zod';
import type { Window } from '../../engine/plan/planner.js';
import { BucketRecords, bucketColumns, type BucketFields } from '../../engine/columns/buckets.js';
import { col, columns, type Column } from '../../engine/columns/columns.js';
import { HALVE_ON_400, type FailRule, type HalveRule, type RestartRule } from '../../engine/fetch/responses.js';
import type { Bucket, BucketStream, Row } from '../../engine/stream.js';
import type { Query } from '../../http/client.js';
import { aurousBucketApi, DIMENSIONS, MAX_GROUP_BY, USAGE_PATH, WIDTH_SECONDS, WINDOW_BUCKETS } from './api.js';
import type { AurousConfig } from './config.js';
import { aurousWindowFetcher } from './fetch.js';

/** The metrics of one group, as GET /v1/usage names them (under `metrics`). */
const METRICS: readonly Column[] = [
  col('request_count', 'integer', 'Requests in the bucket and group.'),
  col('successful_count', 'integer', 'Requests that succeeded.'),
  col('failed_count', 'integer', 'Requests that failed.'),
  col('cancelled_count', 'integer', 'Requests that were cancelled.'),
  col('credits_used', 'number', 'Credits charged, exactly as the API sent them.'),
  col('duration_ms_p50', 'integer', 'Median request duration in milliseconds.'),
  col('duration_ms_p95', 'integer', '95th percentile request duration in milliseconds.'),
  col('image_count', 'integer', 'Images generated.'),
  col('video_seconds', 'number', 'Seconds of video generated.'),
  col('total_input_tokens', 'integer', 'Input tokens.'),
  col('total_output_tokens', 'integer', 'Output tokens.'),
].map((m) => ({ ...m, from: ['metrics', m.name] }));

const DESCRIPTION = 'Aurous Labs usage (requests, credits, durations, images, video, tokens) per time bucket and group (GET /v1/usage).';

/** The bucket columns (engine/columns/buckets.ts): RFC 3339 bucket_start/bucket_end, no date. */
const BUCKET_FIELDS: BucketFields = {
  start: 'bucket_start',
  end: 'bucket_end',
  time: 'rfc3339',
  date: false,
  id: 'Deterministic key: hash of the bucket start and the group key (null-safe).',
};
const records = new BucketRecords(BUCKET_FIELDS);

const COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  // Read from the group's key only when grouped by it (toUsageRecord).
  ...DIMENSIONS.map((d) => col(d, 'string', 'Grouping dimension; null when not grouped by it or null upstream.', { from: null })),
  ...METRICS,
];

/** A group: its key is a map of dimension values (any of them, each a string or null), its metrics the columns'. */
const Groups = columns(COLUMNS, { key: z.record(z.string(), z.string().nullable()).nullish() });

/**
 * The record of one group. Dimensions outside group_by are null; the id hashes the
 * bucket start and, per dimension, [value] when grouped or null when not, so an
 * upstream null differs from "not grouped" and no value can collide with another.
 */
function toUsageRecord(groupBy: readonly string[], bucket: Bucket, raw: unknown): Row {
  const group = Groups.parse(raw);
  const key = (group.key ?? {}) as Record<string, string | null>;
  const row = Groups.row(group);
  records.fill(row, bucket.start, bucket.end);
  const id = records.id(bucket.start);
  for (const d of DIMENSIONS) {
    const isGrouped = groupBy.includes(d);
    const value = isGrouped ? (key[d] ?? null) : null;
    row[d] = value;
    id.add(isGrouped ? [value] : null);
  }
  row.id = id.digest();
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
 * words, so the window is not halved for it and the user learns which setting to change. Any other
 * 400 (a range the server will not serve at once: its caps are undocumented) halves the window.
 */
export function usageResponses(groupBy: readonly string[]): Array<FailRule<Window> | RestartRule | HalveRule> {
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
    HALVE_ON_400,
  ];
}

export const usageStream: BucketStream<AurousConfig> = {
  kind: 'buckets',
  name: 'usage',
  description: DESCRIPTION,
  schema: Groups.schema('usage', DESCRIPTION),
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
