import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { type Connector, CONNECTORS } from '../../connector/connectors.js';
import type { SourceDefinition } from '../../connector/engine/source.js';
import type { ListContext, Row, StreamDef } from '../../connector/engine/stream.js';
import type { HttpClient, Query } from '../../connector/http/client.js';
import { ROOT } from './cli.js';
import { kitsOf } from './kit.js';
import { stub } from './stub.js';
import { TEST_NOW } from './clock.js';

/**
 * Golden record ids (test/fixtures/golden-ids/<connector>.json): inputs as the API sends
 * them and the `id` the connector gave them when the fixture was written. Ids are a
 * contract (destinations dedupe on them), so the fixture is only ever edited by hand,
 * deliberately; nothing here computes or rewrites an expected id.
 */
export interface GoldenCase {
  name: string;
  /** The bucket the result came in (bucketed streams), unix seconds. */
  bucket?: { start: number; end: number };
  /** Config fields on top of the connector's minimal config (Aurous group_by). */
  config?: Record<string, unknown>;
  /** The item listed first that `input` hangs off (project_api_keys: its project). */
  parent?: Record<string, unknown>;
  /** One result (bucketed) or item (list), exactly as the API sends it. */
  input: unknown;
  /** A list stream's response member that holds the items, when not `data` (xAI's `{"apiKeys":[...]}`). */
  list?: string;
  /** The input is the whole response body (an endpoint that answers one object, not a list of items). */
  whole?: true;
  /** The expected id; absent when the mapping must refuse the input. */
  id?: string;
  refused?: true;
  /** Names a case of the same stream that differs from this one in exactly one field and must get another id. */
  differs_from?: string;
  /** Names a case of the same stream that differs from this one (not in a key field) and must get the same id. */
  same_id_as?: string;
}

export interface GoldenFile {
  connector: string;
  about: string;
  streams: Record<string, GoldenCase[]>;
}

/** Every connector of `registry`, with the least config it accepts (its test kit's minimalConfig, test/fake/<provider>-kit.ts). */
export async function goldenSources(registry: readonly Connector[]): Promise<Array<{ source: SourceDefinition<unknown>; config: Record<string, unknown> }>> {
  return Promise.all((await kitsOf(registry)).map(async ({ connector, kit }) => ({ source: await connector.source(), config: kit.minimalConfig })));
}

/** Every connector of the registry, with the least config it accepts. */
export const GOLDEN_SOURCES: ReadonlyArray<{ source: SourceDefinition<unknown>; config: Record<string, unknown> }> = await goldenSources(CONNECTORS);

export function loadGolden(connector: string): GoldenFile {
  const path = join('test/fixtures/golden-ids', `${connector}.json`);
  if (!existsSync(join(ROOT, path))) throw new Error(`${connector} has no golden ids: write ${path} (cases for every stream, by hand)`);
  return JSON.parse(readFileSync(join(ROOT, path), 'utf8')) as GoldenFile;
}

/** A list endpoint that serves one page per request: the parent's list first (when there is one), then the input's. */
function listContext(c: GoldenCase): { ctx: ListContext; paths: string[] } {
  const pages = [...(c.parent ? [[c.parent]] : []), [c.input]];
  const paths: string[] = [];
  const http = stub<HttpClient>({
    getJson: async (path: string, _query: Query) => {
      paths.push(path);
      const data = pages.shift() ?? [];
      const last = data.at(-1) as { id?: unknown } | undefined;
      if (c.whole && pages.length === 0) return { status: 200, headers: new Headers(), url: path, body: data[0] };
      return {
        status: 200,
        headers: new Headers(),
        url: path,
        body: { object: 'list', [c.list ?? 'data']: data, first_id: last?.id ?? null, last_id: last?.id ?? null, has_more: false },
      };
    },
  });
  return { ctx: { http, log: () => undefined, onResponse: () => undefined }, paths };
}

/**
 * The records the connector's own mapping makes of one golden case: a bucketed stream's
 * plan(config).toRecord (the function the reader and the decode workers call), or a list
 * stream's pages() over a list endpoint that serves the input. The input is cloned, so a
 * mapping that mutated it could not change another case.
 */
export async function recordsOf<C>(source: SourceDefinition<C>, stream: StreamDef<C>, baseConfig: Record<string, unknown>, c: GoldenCase): Promise<Row[]> {
  const config = source.configSchema.parse({ ...baseConfig, ...c.config });
  const input = structuredClone(c.input);
  if (stream.kind === 'buckets') {
    if (!c.bucket) throw new Error(`${stream.name} / ${c.name}: a bucketed stream's case needs a bucket`);
    return [stream.plan(config).toRecord({ ...c.bucket, results: [] }, input, 0)];
  }
  const { ctx } = listContext({ ...c, input });
  const rows: Row[] = [];
  const common = source.common(config, Date.parse(TEST_NOW));
  for await (const page of stream.pages(ctx, config, common)) rows.push(...page);
  return rows;
}

/** Paths of the leaves where two JSON values differ (a missing key and a null differ). */
export function leafDiff(a: unknown, b: unknown, path = '$'): string[] {
  const isObj = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object';
  if (!isObj(a) || !isObj(b) || Array.isArray(a) !== Array.isArray(b)) return Object.is(a, b) ? [] : [path];
  const keys = new Set([...Object.keys(a), ...Object.keys(b)]);
  return [...keys].flatMap((k) => {
    const where = `${path}.${k}`;
    if (!(k in a) || !(k in b)) return [where];
    return leafDiff(a[k], b[k], where);
  });
}

/** The part of a case the connector sees: everything but its name, expectations and relations. A bucket is one field. */
export const caseInput = (c: GoldenCase) => ({
  bucket: c.bucket && `${c.bucket.start}..${c.bucket.end}`,
  config: c.config ?? {},
  parent: c.parent,
  input: c.input,
});
