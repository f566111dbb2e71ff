import { z } from 'zod';
import { WHOLE_PAGE } from '../../engine/fetch/pages.js';
import type { Bucket, BucketApi, Page } from '../../engine/stream.js';
import { DAY, isoDate, startOfDay } from '../../engine/time.js';

/**
 * How OpenRouter's management API speaks (shared/reference/openrouter-xai-fireworks.md section 1,
 * specs/openrouter.openapi.yaml): base URL https://openrouter.ai/api/v1 (the version is in base_url),
 * Authorization: Bearer <management key>, USD amounts as JSON doubles.
 */
export const OPENROUTER_BASE_URL = 'https://openrouter.ai/api/v1';

/** The API root from the configured base_url: the host or the host with /api/v1, with or without a trailing slash. */
export function openrouterBaseUrl(configured: string): string {
  const trimmed = configured.replace(/\/+$/, '');
  return /\/api\/v1$/i.test(trimmed) ? trimmed : `${trimmed}/api/v1`;
}
export const ACTIVITY_PATH = '/activity';
export const ANALYTICS_PATH = '/analytics/query';
export const CREDITS_PATH = '/credits';
export const KEYS_PATH = '/keys';
export const WORKSPACES_PATH = '/workspaces';

/** /activity serves the last 30 completed UTC days: today - 30 ... today - 1 [DOC; the edges INFERRED]. */
export const ACTIVITY_DAYS = 30;
/** /analytics/query serves at most 365 days per query [DOC skill]; older data is UNKNOWN: the stricter reading, nothing older. */
export const ANALYTICS_DAYS = 365;
/** Rows per analytics query: the documented default (max 10,000); a truncated answer is split, never accepted. */
export const ANALYTICS_LIMIT = 1000;

/** Where /activity starts serving, given now: the first of the last 30 completed UTC days. */
export const activityFrom = (nowS: number): number => startOfDay(nowS) - ACTIVITY_DAYS * DAY;
/** The earliest day analytics serves, given now. */
export const analyticsFloor = (nowS: number): number => startOfDay(nowS) - ANALYTICS_DAYS * DAY;

/** A UTC day sent as YYYY-MM-DD, YYYY-MM-DD 00:00:00 or an ISO midnight (2025-01-01T00:00:00.000Z), as unix seconds; null otherwise. */
export function dayOf(text: string): number | null {
  const m = /^(\d{4}-\d{2}-\d{2})(?:(?: |T)00:00:00(?:\.0+)?(?:Z|\+00:00)?)?$/.exec(text);
  if (!m) return null;
  const t = Date.parse(`${m[1]}T00:00:00Z`) / 1000;
  return Number.isFinite(t) && isoDate(t) === m[1] ? t : null;
}

/** Items grouped into day buckets by the day `dateOf` reads from each; an item without a day fails the page (its zod path named). */
function dayBuckets(items: readonly unknown[], dateOf: (item: unknown) => unknown, ctx: z.RefinementCtx, path: readonly (string | number)[]): Bucket[] | null {
  const buckets = new Map<number, Bucket>();
  for (const [i, item] of items.entries()) {
    const text = dateOf(item);
    const day = typeof text === 'string' ? dayOf(text) : null;
    if (day === null) {
      ctx.addIssue({ code: 'custom', path: [...path, i], message: `expected a UTC day (YYYY-MM-DD), got ${JSON.stringify(text)}` });
      return null;
    }
    const b = buckets.get(day);
    if (b) b.results.push(item);
    else buckets.set(day, { start: day, end: day + DAY, results: [item] });
  }
  return [...buckets.values()];
}

const field = (name: string) => (item: unknown) => (item !== null && typeof item === 'object' ? (item as Record<string, unknown>)[name] : undefined);

/** GET /activity: {data:[item]}, no pagination; items bucketed by their `date`. */
const ActivityPage: z.ZodType<Page> = z.looseObject({ data: z.array(z.unknown()) }).transform((p, ctx) => {
  const buckets = dayBuckets(p.data, field('date'), ctx, ['data']);
  return buckets === null ? z.NEVER : { buckets, hasMore: false, nextPage: null };
});

export const activityApi: BucketApi = {
  // One day per request (maxBuckets 1): ?date=YYYY-MM-DD.
  windowQuery: (w) => [['date', isoDate(w.start)]],
  nextPageQuery: (first) => first,
  page: ActivityPage,
  shape: WHOLE_PAGE,
};

/** The time key of an analytics row: date__day or created_at__day, "depending on which data source the query resolves to" [DOC cookbook]. */
export const analyticsDayOf = (item: unknown): unknown => field('date__day')(item) ?? field('created_at__day')(item);

/**
 * POST /analytics/query: {data:{data:[row], metadata:{truncated}, cachedAt?, warnings?}}; rows bucketed
 * by their day. A truncated answer is partial: `hasMore` carries it to the fetcher, which splits the query.
 */
const AnalyticsPage: z.ZodType<Page> = z
  .looseObject({
    data: z.looseObject({
      data: z.array(z.unknown()),
      metadata: z.looseObject({ truncated: z.boolean() }),
    }),
  })
  .transform((p, ctx) => {
    const buckets = dayBuckets(p.data.data, analyticsDayOf, ctx, ['data', 'data']);
    return buckets === null ? z.NEVER : { buckets, hasMore: p.data.metadata.truncated, nextPage: null };
  });

export const analyticsApi: BucketApi = {
  // Not sent: the fetcher POSTs its body (analytics.ts).
  windowQuery: () => [],
  nextPageQuery: (first) => first,
  page: AnalyticsPage,
  shape: WHOLE_PAGE,
};
