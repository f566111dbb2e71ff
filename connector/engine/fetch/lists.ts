import { z } from 'zod';
import type { JsonResponse, Query } from '../../http/client.js';
import type { HttpError } from '../../http/errors.js';
import { systemError } from '../errors.js';
import { responseFailure, responseRule } from './responses.js';
import { CursorGuard } from './pages.js';
import type { ListContext, ListStream } from '../stream.js';
import { describeZodError } from '../columns/validation.js';

/**
 * The id-cursor list envelope OpenAI and Anthropic share:
 * {data:[...], has_more, first_id, last_id}, paged by passing the last id back.
 */
const ListPage = z.looseObject({
  data: z.array(z.unknown()),
  has_more: z.boolean().nullish(),
  first_id: z.string().nullish(),
  last_id: z.string().nullish(),
});

export interface IdCursor {
  /** Query name of the cursor: `after` (OpenAI) or `after_id` (Anthropic). */
  param: string;
  /** Items per page (`limit`). */
  limit: number;
}

/** Items of one list, page by page, following the last id while has_more; never loops, never guesses. */
export async function* listPages(ctx: ListContext, path: string, cursor: IdCursor, params: Query = []): AsyncIterable<unknown[]> {
  let page = 1;
  const guard = new CursorGuard({
    missing: () => systemError(`${path}: page ${page} says has_more but names no last_id and has no items; refusing to guess the next page.`),
    repeated: (next) => systemError(`${path}: pagination loop on page ${page} (${cursor.param}=${next} repeated).`),
  });
  let after: string | null = null;
  for (; ; page++) {
    const query: Query = [...params, ['limit', String(cursor.limit)], ...(after === null ? [] : [[cursor.param, after] as const])];
    const res = await listPage(ctx, path, query, page);
    if (!res) return;
    ctx.onResponse();
    const parsed = ListPage.safeParse(res.body);
    if (!parsed.success) throw systemError(`${path}: unexpected response on page ${page}: ${describeZodError(parsed.error, res.body)}`);
    const { data, has_more, last_id } = parsed.data;
    yield data;
    if (has_more !== true) return;
    const lastItem = data[data.length - 1] as { id?: unknown } | undefined;
    const next = guard.follow(last_id ?? (typeof lastItem?.id === 'string' ? lastItem.id : null));
    ctx.log(`${path}: page ${page} has_more; next ${cursor.param}=${next}`);
    after = next;
  }
}

/**
 * One page of a list, with the stream's responses applied to an error: 'fail' as its error,
 * 'ignore' (first page only) as no page at all, an empty list.
 */
async function listPage(ctx: ListContext, path: string, query: Query, page: number): Promise<JsonResponse | undefined> {
  try {
    return await (ctx.transport ? ctx.http.get(path, query, {}, ctx.transport) : ctx.http.getJson(path, query));
  } catch (err) {
    const rule = responseRule(ctx.responses, err, path);
    if (rule?.action === 'ignore' && page === 1) {
      ctx.log(`${path}: ${(err as HttpError).details.status}, ${rule.reason}; skipping`);
      return undefined;
    }
    throw responseFailure(ctx.responses, err, path, path) ?? err;
  }
}

/**
 * The JSON body of one list request, for a list that pages its own way (by offset, or one response):
 * the stream's responses applied as for listPages, the response counted, received on a decode worker
 * when the read has them. undefined: an 'ignore' rule matched the first page (no list at all).
 */
export async function listBody(ctx: ListContext, path: string, query: Query, page = 1): Promise<unknown> {
  const res = await listPage(ctx, path, query, page);
  if (res) ctx.onResponse();
  return res?.body;
}

/** listPages, each item validated with `item`; a bad item is a system_error naming the path, its index and the JSON path. */
export async function* listItems<T>(ctx: ListContext, path: string, cursor: IdCursor, item: z.ZodType<T>, params: Query = []): AsyncIterable<T[]> {
  let seen = 0;
  for await (const items of listPages(ctx, path, cursor, params)) {
    yield items.map((it, i) => {
      const r = item.safeParse(it);
      if (r.success) return r.data;
      throw systemError(`${path} item ${seen + i}: unexpected item: ${describeZodError(r.error, it)}`);
    });
    seen += items.length;
  }
}

/** A full-refresh entity list keyed by `id` (projects, users, keys, workspaces). */
export function idListStream<C>(o: Pick<ListStream<C>, 'name' | 'description' | 'schema' | 'pages' | 'responses'>): ListStream<C> {
  return { kind: 'list', primaryKey: [['id']], ...o };
}
