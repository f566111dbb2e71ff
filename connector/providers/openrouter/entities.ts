import { z } from 'zod';
import { numberToDecimal } from '../../decimal.js';
import { col, columns, entityId, type Column } from '../../engine/columns/columns.js';
import { describeZodError } from '../../engine/columns/validation.js';
import { systemError } from '../../engine/errors.js';
import { idListStream, listBody } from '../../engine/fetch/lists.js';
import type { ListContext, ListStream, Row } from '../../engine/stream.js';
import { RecordIdHasher } from '../../engine/columns/records.js';
import type { Query } from '../../http/client.js';
import { CREDITS_PATH, KEYS_PATH, WORKSPACES_PATH } from './api.js';
import type { OpenRouterConfig } from './config.js';

/**
 * OpenRouter's workspaces and API keys as full-refresh lists, and its credits as a snapshot
 * (specs/openrouter.openapi.yaml; reference section 1.4-1.5). Each record is an explicit pick of
 * documented fields; USD amounts are exact decimals of the JSON numbers.
 */

/** Workspaces per page: `limit` <= 100 (default 50) with `total_count` [DOC]. */
const WORKSPACES_PAGE = 100;
/** Keys per page: 100, no `limit` parameter, paged by `offset` [DOC]. */
const KEYS_PAGE = 100;

const time = (name: string, description: string): Column => col(name, 'string', description, { format: 'date-time' });
const usd = (name: string, description: string): Column =>
  col(name, 'string', `${description} USD, exact decimal of the JSON number; null when the API sends null.`, {
    check: z.number().nullish(),
    convert: (v: number) => numberToDecimal(v),
  });

const OffsetPage = z.looseObject({ data: z.array(z.unknown()), total_count: z.number().int().nonnegative().nullish() });

/**
 * Every item of a list paged by `offset` (pages of `pageSize`), each validated with `item`: until
 * total_count are read when `total` (an empty page before that fails: the list moved), else (or
 * without total_count) until a short page. `limit`: also send limit=pageSize.
 */
async function* offsetItems<T>(
  ctx: ListContext,
  path: string,
  query: Query,
  item: z.ZodType<T>,
  o: { pageSize: number; limit: boolean; total: boolean },
): AsyncIterable<T[]> {
  let offset = 0;
  for (let n = 1; ; n++) {
    ctx.log(`${path}: page ${n}`);
    const q: Query = [...query, ['offset', String(offset)], ...(o.limit ? [['limit', String(o.pageSize)] as const] : [])];
    const p = parse(OffsetPage, path, await listBody(ctx, path, q, n));
    yield p.data.map((it, i) => {
      const r = item.safeParse(it);
      if (!r.success) throw systemError(`${path} item ${offset + i}: unexpected item: ${describeZodError(r.error, it)}`);
      return r.data;
    });
    offset += p.data.length;
    const total = o.total ? p.total_count : null;
    if (total == null ? p.data.length < o.pageSize : offset >= total) return;
    if (p.data.length === 0) throw systemError(`${path}: total_count ${total} but an empty page at offset ${offset}; refusing a partial list.`);
  }
}

function parse<T>(schema: z.ZodType<T>, path: string, body: unknown): T {
  const r = schema.safeParse(body);
  if (!r.success) throw systemError(`${path}: unexpected response: ${describeZodError(r.error, body)}`);
  return r.data;
}

// ---- workspaces -----------------------------------------------------------------------

const WORKSPACE = columns([
  entityId('Workspace id (a UUID). Primary key; workspace_id of keys.'),
  col('name', 'string', 'Workspace name.'),
  col('slug', 'string', 'Workspace slug.'),
  col('description', 'string', 'Description; null when none.'),
  time('created_at', 'Creation time, ISO 8601.'),
  time('updated_at', 'Last update, ISO 8601; null when never updated.'),
  col('created_by', 'string', 'User that created it.'),
  col('include_byok_in_budgets', 'boolean', 'Whether BYOK usage counts against budgets.'),
]);
/**
 * Every workspace, by offset and limit 100 until total_count are read (an empty page before that
 * fails: the list moved); without total_count (documented as always sent), until a short page.
 */
const workspaceItems = (ctx: ListContext) => offsetItems(ctx, WORKSPACES_PATH, [], WORKSPACE.item, { pageSize: WORKSPACES_PAGE, limit: true, total: true });

const WORKSPACES_DESCRIPTION = 'Every workspace of the account (GET /workspaces, offset and limit 100, until total_count). Full refresh.';
const workspacesStream: ListStream<OpenRouterConfig> = idListStream({
  name: 'workspaces',
  description: WORKSPACES_DESCRIPTION,
  schema: WORKSPACE.schema('workspaces', WORKSPACES_DESCRIPTION),
  async *pages(ctx) {
    for await (const items of workspaceItems(ctx)) yield items.map(WORKSPACE.row);
  },
});

// ---- keys -----------------------------------------------------------------------------

const KEY = columns([
  col('hash', 'string', 'SHA-256 hex of the key: its id (api_key_hash of /activity). Also the record id.', {
    notNull: true,
    required: true,
    check: z.string().min(1),
  }),
  col('id', 'string', 'Primary key: the key hash.', { notNull: true, from: null }),
  col('name', 'string', 'Key name.'),
  col('label', 'string', 'The redacted key (sk-or-v1-0e6...1c96). The secret itself is never sent.'),
  col('disabled', 'boolean', 'Whether the key is disabled.'),
  col('workspace_id', 'string', 'Workspace of the key (the workspace listed when the API does not say).'),
  usd('limit', 'Spending limit;'),
  usd('limit_remaining', 'Remaining limit;'),
  col('limit_reset', 'string', 'Limit reset period (daily, weekly, monthly) or null.'),
  col('include_byok_in_limit', 'boolean', 'Whether BYOK usage counts against the limit.'),
  usd('usage', 'Lifetime usage billed to credits (a running counter, not a history);'),
  usd('usage_daily', 'Usage of the current UTC day;'),
  usd('usage_weekly', 'Usage of the current UTC week (Monday-Sunday);'),
  usd('usage_monthly', 'Usage of the current UTC month;'),
  usd('byok_usage', 'Lifetime BYOK usage (estimate);'),
  usd('byok_usage_daily', 'BYOK usage of the current UTC day;'),
  usd('byok_usage_weekly', 'BYOK usage of the current UTC week;'),
  usd('byok_usage_monthly', 'BYOK usage of the current UTC month;'),
  time('created_at', 'Creation time, ISO 8601.'),
  time('updated_at', 'Last update, ISO 8601; null when never updated.'),
  time('expires_at', 'Expiry, ISO 8601; null when it does not expire.'),
  col('creator_user_id', 'string', 'User that created the key; null when unknown.'),
]);

const KEYS_DESCRIPTION =
  'Every API key of every workspace, disabled ones included (GET /keys?workspace_id=...&include_disabled=true, 100 per page by offset): names, redacted labels, limits and running usage counters (snapshots, not a history). Full refresh.';
const keysStream: ListStream<OpenRouterConfig> = idListStream({
  name: 'keys',
  description: KEYS_DESCRIPTION,
  schema: KEY.schema('keys', KEYS_DESCRIPTION),
  async *pages(ctx) {
    const workspaces: string[] = [];
    for await (const items of workspaceItems(ctx)) for (const w of items) workspaces.push(String(w.id));
    for (const workspace of workspaces) {
      const query: Query = [
        ['workspace_id', workspace],
        ['include_disabled', 'true'],
      ];
      for await (const items of offsetItems(ctx, KEYS_PATH, query, KEY.item, { pageSize: KEYS_PAGE, limit: false, total: false })) {
        yield items.map((it) => {
          const row = KEY.row(it);
          row.id = row.hash;
          row.workspace_id ??= workspace;
          return row;
        });
      }
    }
  },
});

// ---- credits ------------------------------------------------------------------------------

const CREDITS = columns([
  col(
    'id',
    'string',
    "Primary key: a hash of total_credits and total_usage, so reads that find the same balance give one row and every change of balance a new one (when: the record's emitted_at).",
    { notNull: true, from: null },
  ),
  usd('total_credits', 'Total credits purchased;'),
  usd('total_usage', 'Total credits used (lifetime; OpenRouter caches it up to about 60 s);'),
]);
const CreditsBody = z.looseObject({ data: CREDITS.item });

const CREDITS_DESCRIPTION =
  'A snapshot of the account credits (GET /credits): lifetime credits purchased and used, one row per read, keyed by a hash of the two amounts (an unchanged balance keeps its id). Full refresh.';
const creditsStream: ListStream<OpenRouterConfig> = idListStream({
  name: 'credits',
  description: CREDITS_DESCRIPTION,
  schema: CREDITS.schema('credits', CREDITS_DESCRIPTION),
  async *pages(ctx) {
    const body = parse(CreditsBody, CREDITS_PATH, await listBody(ctx, CREDITS_PATH, []));
    const row: Row = CREDITS.row(body.data);
    row.id = new RecordIdHasher().add(row.total_credits).add(row.total_usage).digest();
    yield [row];
  },
});

export const ENTITY_STREAMS: ReadonlyArray<ListStream<OpenRouterConfig>> = [creditsStream, keysStream, workspacesStream];
