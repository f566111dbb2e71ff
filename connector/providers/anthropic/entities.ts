import { col, columns, entityId, type Column } from '../../engine/columns/columns.js';
import type { ListStream } from '../../engine/stream.js';
import type { Query } from '../../http/client.js';
import { idListStream, listItems } from '../../engine/fetch/lists.js';
import { LIST_CURSOR } from './api.js';
import type { AnthropicConfig } from './config.js';

/**
 * The organization's workspaces, API keys and users as full-refresh streams keyed by
 * `id`. Every list speaks {data, has_more, first_id, last_id}, paged with `limit` and
 * `after_id` (engine/fetch/lists.ts listPages). Each record is an explicit pick of documented fields,
 * so nothing else the API might send (a key's secret, say) is ever copied.
 */

const time = (name: string, description: string): Column => col(name, 'string', description, { format: 'date-time' });

interface EntityDecl {
  name: string;
  path: string;
  description: string;
  params: Query;
  /** Exactly what each record holds (nothing else the item carries is ever copied). */
  columns: readonly Column[];
}

function entityStream(decl: EntityDecl): ListStream<AnthropicConfig> {
  const items = columns(decl.columns);
  return idListStream({
    name: decl.name,
    description: decl.description,
    schema: items.schema(decl.name, decl.description),
    async *pages(ctx) {
      for await (const page of listItems(ctx, decl.path, LIST_CURSOR, items.item, decl.params)) yield page.map(items.row);
    },
  });
}

// ---- workspaces ------------------------------------------------------------------

const workspacesStream = entityStream({
  name: 'workspaces',
  path: '/v1/organizations/workspaces',
  description:
    'Every workspace of the organization, archived ones included (GET /v1/organizations/workspaces?include_archived=true). The default workspace is not listed: it is workspace_id null in the reports. Full refresh.',
  params: [['include_archived', 'true']],
  columns: [
    entityId('Workspace id, e.g. wrkspc_01JwQ... Primary key; joins workspace_id in cost_report and usage_messages.'),
    col('type', 'string', 'Always workspace.'),
    col('name', 'string', 'Workspace name.'),
    time('created_at', 'Creation time, RFC 3339.'),
    time('archived_at', 'Archival time, RFC 3339; null while active.'),
    col('display_color', 'string', 'Hex color of the workspace in the Console.'),
    col('data_residency', 'object', 'Data residency settings (workspace_geo, default_inference_geo, allowed_inference_geos) as the API sent them.'),
  ],
});

// ---- api_keys ---------------------------------------------------------------------

const apiKeysStream = entityStream({
  name: 'api_keys',
  path: '/v1/organizations/api_keys',
  description:
    'Every API key of the organization, any status (GET /v1/organizations/api_keys). Only the redacted partial_key_hint is emitted, never a key. Full refresh.',
  params: [],
  columns: [
    entityId('API key id, e.g. apikey_01Rj... Primary key; joins api_key_id in usage_messages.'),
    col('type', 'string', 'Always api_key.'),
    col('name', 'string', 'Key name (joins actor_api_key_name in usage_claude_code).'),
    col('workspace_id', 'string', 'Workspace of the key; null for the default workspace.'),
    col('status', 'string', 'active, inactive or archived.'),
    time('created_at', 'Creation time, RFC 3339.'),
    time('expires_at', 'Expiry time, RFC 3339; null when the key does not expire or the API does not say.'),
    col('created_by_id', 'string', 'created_by.id: the actor that created the key.', { from: ['created_by', 'id'] }),
    col('created_by_type', 'string', 'created_by.type, e.g. user.', { from: ['created_by', 'type'] }),
    col('partial_key_hint', 'string', 'The redacted key, e.g. sk-ant-api03-R2D...igAA. The secret itself is never emitted.'),
  ],
});

// ---- users ------------------------------------------------------------------------

export const usersStream = entityStream({
  name: 'users',
  path: '/v1/organizations/users',
  description: 'Every member of the organization (GET /v1/organizations/users). Full refresh.',
  params: [],
  columns: [
    entityId('User id, e.g. user_01WCz... Primary key; joins account_id in usage_messages and created_by_id in api_keys.'),
    col('type', 'string', 'Always user.'),
    col('email', 'string', 'Email address (joins actor_email_address in usage_claude_code).'),
    col('name', 'string', 'Display name.'),
    col('role', 'string', 'Organization role: user, developer, billing, admin or claude_code_user.'),
    time('added_at', 'When the user joined the organization, RFC 3339.'),
  ],
});

export const ENTITY_STREAMS: ReadonlyArray<ListStream<AnthropicConfig>> = [workspacesStream, apiKeysStream, usersStream];
