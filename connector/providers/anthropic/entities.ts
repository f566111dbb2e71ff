import { z } from 'zod';
import type { ListStream, Row } from '../../engine/stream.js';
import type { Query } from '../../http/client.js';
import { idListStream, listItems, pickFields } from '../../engine/lists.js';
import { LIST_CURSOR } from './api.js';
import type { AnthropicConfig } from './config.js';
import { col, streamSchema, type Column } from './reports.js';

/**
 * The organization's workspaces, API keys and users as full-refresh streams keyed by
 * `id`. Every list speaks {data, has_more, first_id, last_id}, paged with `limit` and
 * `after_id` (engine/lists.ts listPages). Each record is an explicit pick of documented fields,
 * so nothing else the API might send (a key's secret, say) is ever copied.
 */

const str = z.string().nullish();

const time = (name: string, description: string): Column => col(name, 'string', description, { extra: { format: 'date-time' } });
const ID = (description: string): Column => col('id', 'string', description, { required: true });

interface EntityDecl<T> {
  name: string;
  path: string;
  description: string;
  params: Query;
  columns: readonly Column[];
  item: z.ZodType<T>;
  /** The record of an item; default: exactly the declared columns (nothing else is ever copied). */
  row?: (item: T) => Row;
}

function entityStream<T extends Record<string, unknown>>(decl: EntityDecl<T>): ListStream<AnthropicConfig> {
  const names = decl.columns.map((c) => c.name);
  const row = decl.row ?? ((item: T): Row => pickFields(item, names));
  return idListStream({
    name: decl.name,
    description: decl.description,
    schema: streamSchema(decl.name, decl.description, decl.columns, ['id']),
    async *pages(ctx) {
      for await (const items of listItems(ctx, decl.path, LIST_CURSOR, decl.item, decl.params)) yield items.map(row);
    },
  });
}

// ---- workspaces ------------------------------------------------------------------

const WorkspaceItem = z.looseObject({
  id: z.string().min(1),
  type: str,
  name: str,
  created_at: str,
  archived_at: str,
  display_color: str,
  data_residency: z.record(z.string(), z.unknown()).nullish(),
});

export const workspacesStream = entityStream({
  name: 'workspaces',
  path: '/v1/organizations/workspaces',
  description:
    'Every workspace of the organization, archived ones included (GET /v1/organizations/workspaces?include_archived=true). The default workspace is not listed: it is workspace_id null in the reports. Full refresh.',
  params: [['include_archived', 'true']],
  columns: [
    ID('Workspace id, e.g. wrkspc_01JwQ... Primary key; joins workspace_id in cost_report and usage_messages.'),
    col('type', 'string', 'Always workspace.'),
    col('name', 'string', 'Workspace name.'),
    time('created_at', 'Creation time, RFC 3339.'),
    time('archived_at', 'Archival time, RFC 3339; null while active.'),
    col('display_color', 'string', 'Hex color of the workspace in the Console.'),
    col('data_residency', 'object', 'Data residency settings (workspace_geo, default_inference_geo, allowed_inference_geos) as the API sent them.'),
  ],
  item: WorkspaceItem,
});

// ---- api_keys ---------------------------------------------------------------------

const ApiKeyItem = z.looseObject({
  id: z.string().min(1),
  type: str,
  name: str,
  workspace_id: str,
  status: str,
  created_at: str,
  expires_at: str,
  created_by: z.looseObject({ id: str, type: str }).nullish(),
  partial_key_hint: str,
});

export const apiKeysStream = entityStream({
  name: 'api_keys',
  path: '/v1/organizations/api_keys',
  description:
    'Every API key of the organization, any status (GET /v1/organizations/api_keys). Only the redacted partial_key_hint is emitted, never a key. Full refresh.',
  params: [],
  columns: [
    ID('API key id, e.g. apikey_01Rj... Primary key; joins api_key_id in usage_messages.'),
    col('type', 'string', 'Always api_key.'),
    col('name', 'string', 'Key name (joins actor_api_key_name in usage_claude_code).'),
    col('workspace_id', 'string', 'Workspace of the key; null for the default workspace.'),
    col('status', 'string', 'active, inactive or archived.'),
    time('created_at', 'Creation time, RFC 3339.'),
    time('expires_at', 'Expiry time, RFC 3339; null when the key does not expire or the API does not say.'),
    col('created_by_id', 'string', 'created_by.id: the actor that created the key.'),
    col('created_by_type', 'string', 'created_by.type, e.g. user.'),
    col('partial_key_hint', 'string', 'The redacted key, e.g. sk-ant-api03-R2D...igAA. The secret itself is never emitted.'),
  ],
  item: ApiKeyItem,
  row: (k) => ({
    id: k.id,
    type: k.type ?? null,
    name: k.name ?? null,
    workspace_id: k.workspace_id ?? null,
    status: k.status ?? null,
    created_at: k.created_at ?? null,
    expires_at: k.expires_at ?? null,
    created_by_id: k.created_by?.id ?? null,
    created_by_type: k.created_by?.type ?? null,
    partial_key_hint: k.partial_key_hint ?? null,
  }),
});

// ---- users ------------------------------------------------------------------------

const UserItem = z.looseObject({ id: z.string().min(1), type: str, email: str, name: str, role: str, added_at: str });

export const usersStream = entityStream({
  name: 'users',
  path: '/v1/organizations/users',
  description: 'Every member of the organization (GET /v1/organizations/users). Full refresh.',
  params: [],
  columns: [
    ID('User id, e.g. user_01WCz... Primary key; joins account_id in usage_messages and created_by_id in api_keys.'),
    col('type', 'string', 'Always user.'),
    col('email', 'string', 'Email address (joins actor_email_address in usage_claude_code).'),
    col('name', 'string', 'Display name.'),
    col('role', 'string', 'Organization role: user, developer, billing, admin or claude_code_user.'),
    time('added_at', 'When the user joined the organization, RFC 3339.'),
  ],
  item: UserItem,
});

export const ENTITY_STREAMS: ReadonlyArray<ListStream<AnthropicConfig>> = [workspacesStream, apiKeysStream, usersStream];
