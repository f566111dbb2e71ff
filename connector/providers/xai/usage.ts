import { z } from 'zod';
import { numberToDecimal } from '../../decimal.js';
import { BucketRecords, bucketColumns, type BucketFields } from '../../engine/columns/buckets.js';
import { col, columns, type Column } from '../../engine/columns/columns.js';
import { systemError } from '../../engine/errors.js';
import { HALVE_ON_400, type FailRule, type HalveRule } from '../../engine/fetch/responses.js';
import type { Window } from '../../engine/plan/planner.js';
import type { Bucket, BucketStream, FetchedWindow, Row, WindowIo } from '../../engine/stream.js';
import { DAY, isoDate } from '../../engine/time.js';
import { apiKeysPath, GROUP_BY, teamNotFound, usageBody, usagePath, WINDOW_DAYS, xaiUsageApi } from './api.js';
import type { XaiConfig } from './config.js';

const DESCRIPTION =
  'xAI spend in USD per UTC day, API key and billing line (POST /v1/billing/teams/{team_id}/usage, usd summed, grouped by api_key_id and description). Days without spend have no record.';

const BUCKET_FIELDS: BucketFields = {
  start: 'bucket_start',
  end: 'bucket_end',
  time: 'rfc3339',
  date: true,
  id: 'Deterministic key: hash of the day, the API key id and the description (null-safe), so a re-read day replaces its rows.',
};
const records = new BucketRecords(BUCKET_FIELDS);

const COLUMNS: readonly Column[] = [
  ...bucketColumns(BUCKET_FIELDS),
  col('api_key_id', 'string', 'The API key the usage was made with (the group value of api_key_id); joins api_keys.id.', { from: null }),
  col('api_key_label', 'string', 'The label xAI gives that group: the key name and its redacted form, e.g. "prod (xai-...3Xxp)". Never the key.', {
    from: null,
  }),
  col('description', 'string', 'The billing line (the group value of description), e.g. "Chat grok-4-0709" or "Search".', { from: null }),
  col('usd', 'string', 'Spend in US dollars as an exact decimal string: the digits of the double the API sent, nothing rounded.', {
    notNull: true,
    from: null,
  }),
];

/** One result of a usage page (api.ts): a series' group and labels and its data point's values. */
const Result = z.object({
  group: z.array(z.string()).length(GROUP_BY.length, `group must hold one value per groupBy field (${GROUP_BY.join(', ')})`),
  // proto3 JSON: an empty list may be omitted, and parsers take null for it.
  groupLabels: z.array(z.string()).nullish(),
  values: z.array(z.number()).min(1),
});
const Records = columns(COLUMNS);

/** A group value: proto3 JSON sends an empty string for "none" (usage without a key), kept as null. */
const value = (v: string | undefined): string | null => (v === undefined || v === '' ? null : v);

function toUsageRecord(bucket: Bucket, raw: unknown): Row {
  const parsed = Result.safeParse(raw);
  if (!parsed.success) throw systemError(`usage: unexpected series in the usage response: ${parsed.error.issues.map((i) => i.message).join('; ')}`);
  const r = parsed.data;
  const row = Records.row({});
  records.fill(row, bucket.start, bucket.end);
  const apiKeyId = value(r.group[0]);
  const description = value(r.group[1]);
  row.api_key_id = apiKeyId;
  row.api_key_label = value(r.groupLabels?.[0]);
  row.description = description;
  row.usd = numberToDecimal(r.values[0] as number);
  row.id = records.id(bucket.start).add([apiKeyId]).add([description]).digest();
  return row;
}

/** The API keys of the team (GET /auth/teams/{team_id}/api-keys), ids only: what a day's query is split by. */
const KeyIds = z.looseObject({ apiKeys: z.array(z.looseObject({ apiKeyId: z.string().min(1) })).optional() });

interface UsageFetcherOptions {
  path: string;
  keysPath: string;
}

const dayOf = (w: Window): string => isoDate(w.start);

/**
 * Reads one window of usage whole, or fails. The API caps the series one query returns: past the cap it
 * answers `limitReached: true` with an arbitrary subset. Such an answer is never used:
 *
 * - a window of several days comes back as not read (the engine halves it, down to single days, and
 *   keeps the smaller size for the rest of the run);
 * - a single day is split by API key: one query per key of the team's key list (filter
 *   `api_key_id:<id>`), and one for the rest (`NOT api_key_id:<id>` for every listed key: usage of keys
 *   deleted since, or of none), so the parts are disjoint and together the whole day. A part that is
 *   still capped fails the stream with a message saying so: nothing of the day is emitted and the state
 *   stays before it.
 */
function xaiUsageFetcher(o: UsageFetcherOptions): (io: WindowIo, window: Window) => Promise<FetchedWindow> {
  const capped = (window: Window, part: string): Error =>
    systemError(
      `${o.path}: ${dayOf(window)} answered limitReached (more api_key_id x description series than xAI serves in one query) even for ${part}; ` +
        'the stream stops rather than emit a partial day: nothing of that day was emitted and the state stays before it. No smaller query can be made; report it (docs/xai.md).',
    );
  return async (io, window) => {
    const { post, json } = io;
    const whole = await post([], usageBody(window, []));
    if (!whole.hasMore) return { buckets: whole.buckets, complete: true };
    const days = Math.round((window.end - window.start) / DAY);
    if (days > 1) return { buckets: [], complete: false, why: `limitReached for ${days} days: the answer is a subset and was discarded` };
    io.debug(`${o.path}: ${dayOf(window)} answered limitReached; discarding it and reading the day one API key at a time`);
    const listed = KeyIds.safeParse(await json(o.keysPath, []));
    if (!listed.success) throw systemError(`${o.keysPath}: unexpected API key list: ${listed.error.issues.map((i) => i.message).join('; ')}`);
    const ids = [...new Set((listed.data.apiKeys ?? []).map((k) => k.apiKeyId))];
    const buckets: Bucket[] = [];
    for (const id of ids) {
      const part = await post([], usageBody(window, [`api_key_id:${id}`]));
      if (part.hasMore) throw capped(window, `API key ${id} alone`);
      buckets.push(...part.buckets);
    }
    const rest = await post(
      [],
      usageBody(
        window,
        ids.map((id) => `NOT api_key_id:${id}`),
      ),
    );
    if (rest.hasMore) throw capped(window, `the usage of no listed API key (${ids.length} listed)`);
    buckets.push(...rest.buckets);
    return { buckets, complete: true, parts: true };
  };
}

/**
 * Error responses of the usage query. A 404: the team is not the key's (fails at once). A 400 may be a range the API will not serve at once (its
 * maximum is [UNKNOWN]): the window is halved, and at one day the 400 fails with the API's message
 * (a body the API refuses fails on every day alike).
 */
const responses = (path: string): Array<FailRule<Window> | HalveRule> => [teamNotFound(() => path), HALVE_ON_400];

export const usageStream: BucketStream<XaiConfig> = {
  kind: 'buckets',
  name: 'usage',
  description: DESCRIPTION,
  schema: Records.schema('usage', DESCRIPTION),
  primaryKey: [['id']],
  cursorField: 'bucket_start',
  plan(config) {
    const path = usagePath(config.team_id);
    return {
      path,
      api: xaiUsageApi,
      params: [],
      bucketSeconds: DAY,
      maxBuckets: WINDOW_DAYS,
      paging: { kind: 'custom', fetchWindow: xaiUsageFetcher({ path, keysPath: apiKeysPath(config.team_id) }), parts: true },
      // Analytics are near real time [FIELD]: today is read (partial) and re-read by the lookback.
      includeCurrentBucket: true,
      responses: responses(path),
      toRecord: (bucket, result) => toUsageRecord(bucket, result),
    };
  },
};
