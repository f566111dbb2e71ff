import { z } from 'zod';
import { withFocusNames } from '../../engine/focus/focus.js';
import { listItems } from '../../engine/fetch/lists.js';
import { NameBook, type NameKind, type NamesSpec } from '../../engine/focus/names.js';
import type { ListContext, Row } from '../../engine/stream.js';
import { LIST_CURSOR } from './api.js';
import type { AnthropicConfig } from './config.js';

/**
 * The names of Anthropic spend rows (docs/focus.md, Names), from the lists the `workspaces`,
 * `api_keys` and `users` streams read (up to 1000 items a page):
 * - SubAccountName: GET /v1/organizations/workspaces?include_archived=true. The default workspace
 *   (workspace_id null) is not listed and has no id: SubAccountId and SubAccountName are null;
 * - x_ApiKeyName and x_ActorName (an api_actor's key): GET /v1/organizations/api_keys (any status);
 * - x_ActorName (a user_actor): GET /v1/organizations/users.
 * Keys and actors are on analytics_cost rows only: with focus.anthropic_source cost_report, only
 * workspaces are listed. A service account or federated actor has no list the connector reads:
 * its name is null.
 */
const WORKSPACES_PATH = '/v1/organizations/workspaces';
const API_KEYS_PATH = '/v1/organizations/api_keys';
const USERS_PATH = '/v1/organizations/users';
const Named = z.looseObject({ id: z.string(), name: z.string().nullish() });

/** Whose name x_ActorName is: a user's or an API key's, by x_ActorType; null for a service account or federated actor. */
export const actorNameKind = (row: Row): NameKind | null => (row.x_ActorType === 'user_actor' ? 'users' : row.x_ActorType === 'api_actor' ? 'apiKeys' : null);

export const anthropicNames: NamesSpec<AnthropicConfig> = {
  origin: `GET ${WORKSPACES_PATH}, ${API_KEYS_PATH} and ${USERS_PATH}`,
  async resolve(http, config, log) {
    const book = new NameBook();
    const ctx: ListContext = { http, log, onResponse: () => undefined };
    const read = async (kind: NameKind, path: string, params: Array<[string, string]> = []): Promise<void> => {
      book.kind(kind);
      for await (const page of listItems(ctx, path, LIST_CURSOR, Named, params)) for (const item of page) book.add(kind, item.id, item.name);
    };
    await read('subAccounts', WORKSPACES_PATH, [['include_archived', 'true']]);
    if (config.focus.anthropic_source !== 'cost_report') {
      await read('apiKeys', API_KEYS_PATH);
      await read('users', USERS_PATH);
    }
    return book.result;
  },
  apply: withFocusNames,
};
