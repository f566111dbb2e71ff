import { z } from 'zod';
import type { Query } from '../../http/client.js';
import { bucketPage } from '../../engine/fetch/pages.js';
import type { BucketApi } from '../../engine/stream.js';

/**
 * How OpenAI's organization report endpoints (costs, usage/*) speak.
 * Limits: https://platform.openai.com/docs/api-reference/usage (shared/specs/openai-admin-usage-costs.openapi.yaml).
 */
export const OPENAI_BASE_URL = 'https://api.openai.com/v1';

/** GET /organization/costs: `limit` 1-180 buckets, default 7. */
export const COSTS_MAX_BUCKETS = 180;
/** GET /organization/usage/*: default and maximum `limit` per bucket width (same source). */
export const USAGE_LIMITS = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 },
} as const;

const Page = bucketPage({ start: 'start_time', end: 'end_time', results: 'results' }, z.number().int());

export const openAiBucketApi: BucketApi = {
  windowQuery: (w, limit) => [
    ['start_time', String(w.start)],
    ['end_time', String(w.end)],
    ['limit', String(limit)],
  ],
  // OpenAI wants every original parameter again, plus the cursor.
  nextPageQuery: (first: Query, token: string) => [...first, ['page', token]],
  ...Page,
};

/** Repeated keys (`group_by=a&group_by=b`), the form OpenAI's cookbook uses. */
export const arrayParam = (name: string, values: readonly string[] | undefined): Query => (values ?? []).map((v) => [name, v] as const);
