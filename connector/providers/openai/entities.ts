import { z } from 'zod';
import { col, columns, entityId, type Column } from '../../engine/columns/columns.js';
import { idListStream, listItems, type IdCursor } from '../../engine/fetch/lists.js';
import type { ListContext, ListStream, Row } from '../../engine/stream.js';
import type { OpenAiConfig } from './config.js';

/**
 * OpenAI's organization entity lists (projects, users, project API keys) as
 * full-refresh streams keyed by `id`. Every list speaks the same envelope:
 * {object:'list', data:[...], first_id, last_id, has_more}, paged with
 * `limit` (1-100, default 20) and `after` (the id of the last item seen).
 * Source: https://platform.openai.com/docs/api-reference/projects/list
 */

/** Items per page: the documented maximum of `limit` on these lists. */
const ENTITY_PAGE_LIMIT = 100;

export interface EntityDecl {
  name: string;
  description: string;
  /** Read from each item by name; the rest (project_api_keys' owner) the stream fills. */
  columns: readonly Column[];
}

/** OpenAI's list cursor: `after` = the last id. */
const CURSOR: IdCursor = { param: 'after', limit: ENTITY_PAGE_LIMIT };

/** A flat entity stream: the declared columns of each listed item, nothing else. */
function flatEntityStream(
  decl: EntityDecl,
  pages: (ctx: ListContext, config: OpenAiConfig) => AsyncIterable<Array<Record<string, unknown>>>,
): ListStream<OpenAiConfig> {
  const items = columns(decl.columns);
  return idListStream({
    name: decl.name,
    description: decl.description,
    schema: items.schema(decl.name, decl.description),
    async *pages(ctx, config) {
      for await (const page of pages(ctx, config)) yield page.map(items.row);
    },
  });
}

// ---- projects ---------------------------------------------------------------

const PROJECTS: EntityDecl = {
  name: 'projects',
  description: 'Every project of the organization, archived ones included (GET /organization/projects?include_archived=true). Full refresh.',
  columns: [
    entityId('Project id, e.g. proj_abc. Primary key; joins project_id in costs and usage.'),
    col('object', 'string', 'Always organization.project.'),
    col('name', 'string', 'Project name.'),
    col('created_at', 'integer', 'Creation time, unix seconds.'),
    col('archived_at', 'integer', 'Archival time, unix seconds; null while active.'),
    col('status', 'string', 'active or archived.'),
  ],
};

const ProjectItem = columns(PROJECTS.columns).item;

const PROJECTS_PATH = '/organization/projects';

/** Every project (archived included), restricted to config.project_ids when set. */
async function* projectPages(ctx: ListContext, config: OpenAiConfig): AsyncIterable<Array<Record<string, unknown>>> {
  const only = config.project_ids?.length ? new Set(config.project_ids) : null;
  for await (const projects of listItems(ctx, PROJECTS_PATH, CURSOR, ProjectItem, [['include_archived', 'true']])) {
    yield only ? projects.filter((p) => only.has(p.id as string)) : projects;
  }
}

const projectsStream = flatEntityStream(PROJECTS, projectPages);

// ---- users ------------------------------------------------------------------

const USERS: EntityDecl = {
  name: 'users',
  description: 'Every member of the organization (GET /organization/users). Full refresh.',
  columns: [
    entityId('User id, e.g. user-abc. Primary key; joins user_id in usage.'),
    col('object', 'string', 'Always organization.user.'),
    col('email', 'string', 'Email address.'),
    col('name', 'string', 'Display name.'),
    col('role', 'string', 'Organization role: owner or reader.'),
    col('added_at', 'integer', 'When the user joined the organization, unix seconds.'),
  ],
};

const UserItem = columns(USERS.columns).item;
const USERS_PATH = '/organization/users';

export const usersStream = flatEntityStream(USERS, (ctx) => listItems(ctx, USERS_PATH, CURSOR, UserItem));

// ---- project API keys -------------------------------------------------------

const PROJECT_API_KEYS: EntityDecl = {
  name: 'project_api_keys',
  description:
    'API keys of every project (GET /organization/projects/{project_id}/api_keys for each project, archived included). Only the redacted value is emitted, never a key. The owner (a user or a service account) is flattened into owner_* fields. Full refresh.',
  columns: [
    entityId('API key id, e.g. key_abc. Primary key; joins api_key_id in costs and usage.'),
    col('object', 'string', 'Always organization.project.api_key.'),
    col('name', 'string', 'Key name.'),
    col('redacted_value', 'string', 'The redacted key, e.g. sk-abc...def. The secret itself is never emitted.'),
    col('created_at', 'integer', 'Creation time, unix seconds.'),
    col('last_used_at', 'integer', 'Last use, unix seconds; null if never used.'),
    // From the request path and the owner, which is a user or a service account: filled by keyRow.
    col('project_id', 'string', 'The project the key belongs to (from the request path).', { from: null }),
    col('owner_type', 'string', 'user or service_account.', { from: null }),
    col('owner_id', 'string', 'owner.user.id or owner.service_account.id.', { from: null }),
    col('owner_name', 'string', 'Name of the owning user or service account.', { from: null }),
    col('owner_email', 'string', 'Email of the owning user; null for a service account.', { from: null }),
    col('owner_role', 'string', 'Project role of the owner, e.g. owner, member.', { from: null }),
  ],
};

const str = z.string().nullish();
const OwnerPart = z.looseObject({ id: str, name: str, email: str, role: str }).nullish();
const Owner = z.looseObject({ type: str, user: OwnerPart, service_account: OwnerPart }).nullish();
type Owner = z.infer<typeof Owner>;
const Keys = columns(PROJECT_API_KEYS.columns, { owner: Owner });

/** The emitted record: the declared columns only, so a full `value` the API might send is never copied. */
function keyRow(k: Record<string, unknown>, projectId: string): Row {
  const owner = k.owner as Owner;
  const type = owner?.type ?? (owner?.user ? 'user' : owner?.service_account ? 'service_account' : null);
  const who = type === 'service_account' ? owner?.service_account : type === 'user' ? owner?.user : (owner?.user ?? owner?.service_account);
  const row = Keys.row(k);
  row.project_id = projectId;
  row.owner_type = type;
  row.owner_id = who?.id ?? null;
  row.owner_name = who?.name ?? null;
  row.owner_email = type === 'service_account' ? null : (who?.email ?? null);
  row.owner_role = who?.role ?? null;
  return row;
}

const projectApiKeysStream = idListStream<OpenAiConfig>({
  name: PROJECT_API_KEYS.name,
  description: PROJECT_API_KEYS.description,
  schema: Keys.schema(PROJECT_API_KEYS.name, PROJECT_API_KEYS.description),
  // A project deleted between the project list and its keys request: nothing to list, not a failure.
  responses: [{ when: { status: 404, path: /^\/organization\/projects\/[^/]+\/api_keys$/ }, action: 'ignore', reason: 'project gone since it was listed' }],
  async *pages(ctx: ListContext, config: OpenAiConfig) {
    const projectIds: string[] = [];
    for await (const projects of projectPages(ctx, config)) for (const p of projects) projectIds.push(p.id as string);
    for (const projectId of projectIds) {
      const path = `${PROJECTS_PATH}/${encodeURIComponent(projectId)}/api_keys`;
      for await (const keys of listItems(ctx, path, CURSOR, Keys.item)) yield keys.map((k) => keyRow(k, projectId));
    }
  },
});

export const ENTITY_STREAMS: ReadonlyArray<ListStream<OpenAiConfig>> = [projectsStream, usersStream, projectApiKeysStream];
