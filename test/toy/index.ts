import { z } from 'zod';
import { sourceConfigSchema } from '../../connector/engine/config.js';
import { defineSource } from '../../connector/engine/source.js';
import type { ListStream, Row } from '../../connector/engine/stream.js';

/** The scratch provider's definition (test/toy/about.ts): one list stream of items, GET /v1/items with X-Api-Key. */
const ToyConfigSchema = sourceConfigSchema({
  key: { api_key: z.string().min(1).meta({ title: 'API key', airbyte_secret: true }) },
  baseUrl: 'https://api.toy.example',
  fields: {},
  focus: z.object({}).default({}),
});
type ToyConfig = z.infer<typeof ToyConfigSchema>;

const items: ListStream<ToyConfig> = {
  kind: 'list',
  name: 'items',
  description: 'The items of the toy API.',
  primaryKey: [['id']],
  schema: { type: 'object', additionalProperties: true, properties: { id: { type: 'string' }, name: { type: ['string', 'null'] } } },
  async *pages(ctx) {
    const res = await ctx.http.getJson('/v1/items', []);
    const body = res.body as { data?: Array<{ id?: unknown; name?: unknown }> };
    const rows: Row[] = (body.data ?? []).map((x) => {
      if (typeof x.id !== 'string' || x.id === '') throw new Error('an item without an id');
      return { id: `toy:${x.id}`, name: typeof x.name === 'string' ? x.name : null };
    });
    yield rows;
  },
};

export const toySource = defineSource<ToyConfig>({
  name: 'source-toy-usage',
  module: import.meta.url,
  configSchema: ToyConfigSchema,
  secrets: (c) => [c.api_key],
  http: (c) => ({ baseUrl: c.base_url, headers: { 'x-api-key': c.api_key } }),
  authHint: () => 'the toy API refused the key',
  versionIn: 'paths',
  streams: [items],
  async check(http) {
    await http.getJson('/v1/items', []);
  },
});
