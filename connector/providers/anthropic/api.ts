import type { BucketFields } from '../../engine/columns/buckets.js';
import { z } from 'zod';
import type { IdCursor } from '../../engine/fetch/lists.js';
import { bucketPage, pageCursorFields, rfc3339Seconds, WHOLE_PAGE } from '../../engine/fetch/pages.js';
import type { BucketApi, Page } from '../../engine/stream.js';
import { DAY, isoDate, isoTime } from '../../engine/time.js';
import type { Query } from '../../http/client.js';

/**
 * How Anthropic's Admin API speaks. Paths are absolute (they start with /v1), so
 * base_url is the host only. Sources: shared/specs/anthropic-admin-usage-cost.openapi.json
 * (the Stainless spec excerpt) and shared/reference/provider-apis.md section 4.
 */
export const ANTHROPIC_BASE_URL = 'https://api.anthropic.com';

/** Sent on every request (https://platform.claude.com/docs/en/api/versioning). */
export const ANTHROPIC_VERSION = '2023-06-01';

/**
 * GET /v1/organizations/cost_report: `limit` "minimum 1, maximum 31, default 7" buckets;
 * bucket_width is `1d` only. https://platform.claude.com/docs/en/api/admin/cost_report
 */
export const COST_REPORT_MAX_BUCKETS = 31;

/**
 * GET /v1/organizations/usage_report/messages: default and maximum `limit` (buckets) per
 * bucket_width, from the `limit` description: "1d: Default of 7 days, maximum of 31 days;
 * 1h: Default of 24 hours, maximum of 168 hours; 1m: Default of 60 minutes, maximum of 1440 minutes".
 * https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_messages
 */
export const MESSAGES_LIMITS = {
  '1d': { default: 7, max: 31 },
  '1h': { default: 24, max: 168 },
  '1m': { default: 60, max: 1440 },
} as const;

/**
 * GET /v1/organizations/usage_report/messages refuses more than 5 `group_by[]` values with
 * 400 invalid_request_error "Cannot specify more than 5 group_by[] dimensions." although the docs
 * say "any subset" (PostHog/posthog#72556: the request with 8 values replayed against the live API).
 */
export const MESSAGES_MAX_GROUP_BY = 5;

/**
 * GET /v1/organizations/usage_report/claude_code: `limit` is records per page, "default: 20,
 * max: 1000"; `starting_at` is one UTC day (YYYY-MM-DD).
 * https://platform.claude.com/docs/en/api/admin/usage_report/retrieve_claude_code
 */
const CLAUDE_CODE_PAGE_LIMIT = 1000;

/**
 * The entity lists (workspaces, api_keys, users): `limit` "Defaults to 20. Ranges from 1 to 1000",
 * cursor `after_id` = the previous page's `last_id`. https://platform.claude.com/docs/en/api/admin/workspaces/list
 */
const LIST_PAGE_LIMIT = 1000;

/** cost_report and usage_report/messages: {data:[{starting_at, ending_at, results}], has_more, next_page}. */
const ReportPage = bucketPage({ start: 'starting_at', end: 'ending_at', results: 'results' }, rfc3339Seconds);

/** Anthropic re-sends every original parameter plus `page` (stable, opaque cursor). */
const nextPageQuery = (first: Query, token: string): Query => [...first.filter(([k]) => k !== 'page'), ['page', token]];

/**
 * The bucketed reports. Windows are whole buckets, so `starting_at`/`ending_at` are
 * bucket-aligned RFC 3339 UTC times (day-aligned for cost_report, as it demands).
 * Grouped queries paginate correctly on Anthropic, so a short page is followed by its cursor.
 */
export const anthropicReportApi: BucketApi = {
  windowQuery: (w, limit) => [
    ['starting_at', isoTime(w.start)],
    ['ending_at', isoTime(w.end)],
    ['limit', String(limit)],
  ],
  nextPageQuery,
  ...ReportPage,
};

const ClaudeCodeRecordDate = z.looseObject({ date: rfc3339Seconds });

/**
 * usage_report/claude_code: {data:[record], has_more, next_page}, every record of one UTC day.
 * A page becomes one bucket for the day its records carry (none for a page without records);
 * the cursor pages through the records of that bucket.
 */
const ClaudeCodePage: z.ZodType<Page> = z
  .looseObject({
    data: z.array(z.unknown()),
    ...pageCursorFields,
  })
  .transform((p, ctx) => {
    const days = new Set<number>();
    for (const [i, item] of p.data.entries()) {
      const r = ClaudeCodeRecordDate.safeParse(item);
      if (!r.success) {
        ctx.addIssue({ code: 'custom', path: ['data', i, 'date'], message: r.error.issues[0]?.message ?? 'expected an RFC 3339 date' });
        return z.NEVER;
      }
      days.add(Math.floor(r.data.date / DAY) * DAY);
    }
    if (days.size > 1) {
      ctx.addIssue({ code: 'custom', path: ['data'], message: `records of one page span ${days.size} days; expected one UTC day` });
      return z.NEVER;
    }
    const [day] = [...days];
    return {
      buckets: day === undefined ? [] : [{ start: day, end: day + DAY, results: p.data }],
      hasMore: p.has_more,
      nextPage: p.next_page,
    };
  });

export const claudeCodeApi: BucketApi = {
  // One day per window; `limit` counts records here, not buckets.
  windowQuery: (w) => [
    ['starting_at', isoDate(w.start)],
    ['limit', String(CLAUDE_CODE_PAGE_LIMIT)],
  ],
  nextPageQuery,
  page: ClaudeCodePage,
  // Records of one day, regrouped: parsed whole (a page holds at most `limit` records).
  shape: WHOLE_PAGE,
};

/** `group_by[]=a&group_by[]=b`, the array form Anthropic documents. */
export const arrayParam = (name: string, values: readonly string[] | undefined): Query => (values ?? []).map((v) => [`${name}[]`, v] as const);

/** Anthropic's list cursor: `after_id` = the last id. */
export const LIST_CURSOR: IdCursor = { param: 'after_id', limit: LIST_PAGE_LIMIT };

/** The bucket columns of every Anthropic report record (engine/columns/buckets.ts): RFC 3339 starting_at/ending_at, and date. */
export const BUCKET_FIELDS: BucketFields = {
  start: 'starting_at',
  end: 'ending_at',
  time: 'rfc3339',
  date: true,
  id: 'Deterministic primary key: null-safe hash of the bucket start and every dimension.',
};
