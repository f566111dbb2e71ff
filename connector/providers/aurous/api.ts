import { bucketPage, rfc3339OrUnixSeconds } from '../../engine/fetch/pages.js';
import type { BucketApi } from '../../engine/stream.js';
import { DAY, isoTime } from '../../engine/time.js';
import type { Query } from '../../http/client.js';

/**
 * How Aurous Labs' GET /v1/usage speaks (docs.aurous-labs.com/api-reference/usage/*,
 * shared/reference/provider-apis.md section 5, provider-docs/aurous-usage-pagination.txt):
 * RFC 3339 times, `limit` counts group rows (1-100), buckets newest first, and a
 * fingerprinted `page_token` that must be sent alone.
 */
export const AUROUS_BASE_URL = 'https://api.aurous-labs.com';
export const USAGE_PATH = '/v1/usage';
/** Pinned API version (the documented default); sent as `Aurous-Version`. */
export const AUROUS_API_VERSION = '2026-05-15';

/** Documented range of `limit` (group rows per page). */
export const MAX_LIMIT = 100;

/** Every `group_by` value the API reference and overview list; at most two at once. */
export const DIMENSIONS = ['status', 'api_key_id', 'user_id', 'type', 'model'] as const;
export const MAX_GROUP_BY = 2;

export const WIDTHS = ['1m', '5m', '15m', '1h', '1d', '7d'] as const;
type AurousWidth = (typeof WIDTHS)[number];

/**
 * Seconds per bucket. All widths are aligned to multiples of their length since
 * the unix epoch; for 7d that puts week starts on Thursdays 00:00 UTC
 * (1970-01-01 was a Thursday). Aurous does not document its week alignment
 * (UNCONFIRMED): this is our assumption, and the fake agrees.
 */
export const WIDTH_SECONDS: Record<AurousWidth, number> = {
  '1m': 60,
  '5m': 300,
  '15m': 900,
  '1h': 3_600,
  '1d': DAY,
  '7d': 7 * DAY,
};

/**
 * Buckets per request window (one STATE per window). Aurous says "each width has
 * a max range cap" without the values (UNCONFIRMED), so these are conservative;
 * a 400 for a range the server will not serve makes the engine halve the window.
 */
export const WINDOW_BUCKETS: Record<AurousWidth, number> = {
  '1m': 1_440, // 1 day
  '5m': 288, // 1 day
  '15m': 672, // 7 days
  '1h': 168, // 7 days
  '1d': 31, // 31 days
  '7d': 13, // 91 days
};

/** Tokens expire 24 hours after the page-1 response that minted them. */
export const TOKEN_LIFETIME_MS = 24 * 3_600_000;

const Page = bucketPage({ start: 'bucket_start', end: 'bucket_end', results: 'groups' }, rfc3339OrUnixSeconds);

/** A first-page query over [start, end) with `limit` group rows per page. */
export const rangeQuery = (start: number, end: number, limit: number): Query => [
  ['start_time', isoTime(start)],
  ['end_time', isoTime(end)],
  ['limit', String(limit)],
];

export const aurousBucketApi: BucketApi = {
  windowQuery: (w, limit) => rangeQuery(w.start, w.end, Math.min(MAX_LIMIT, limit)),
  // Every parameter is encoded in the token; re-sending any of them is a fingerprint mismatch.
  nextPageQuery: (_first: Query, token: string) => [['page_token', token]],
  ...Page,
};
