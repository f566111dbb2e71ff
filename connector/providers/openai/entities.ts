import { z } from 'zod';
import { idListStream, listItems, pickFields, type IdCursor } from '../../engine/lists.js';
import { recordSchema, type JsonSchema, type ListContext, type ListStream, type Row } from '../../engine/stream.js';
import type { OpenAiConfig } from './config.js';

/**
 * OpenAI's organization entity lists (projects, users, project API keys) as
 * full-refresh streams keyed by `id`. Every list speaks the same envelope:
 * {object:'list', data:[...], first_id, last_id, has_more}, paged with
 * `limit` (1-100, default 20) and `after` (the id of the last item seen).
 * Source: https://platform.openai.com/docs/api-reference/projects/list
 */

/** Items per page: the documented maximum of `limit` on these lists. */
export const ENTITY_PAGE_LIMIT = 100;

export type FieldType = 'string' | 'integer';
export interface EntityField {
  name: string;
  type: FieldType;
  description: string;
}

export interface EntityDecl {
  name: string;
  description: string;
  fields: readonly EntityField[];
}


/** draft-07, every field nullable but `id`, additionalProperties true: the same shape as reportSchema. */
export function entitySchema(decl: EntityDecl): JsonSchema {
  const properties: Record<string, JsonSchema> = {};
  for (const f of decl.fields) {
    properties[f.name] = f.name === 'id' ? { type: 'string', description: f.description } : { type: [f.type, 'null'], description: f.description };
  }
  return recordSchema(decl.name, decl.description, properties, ['id']);
}

/** OpenAI's list cursor: `after` = the last id. */
const CURSOR: IdCursor = { param: 'after', limit: ENTITY_PAGE_LIMIT };

const str = z.string().nullish();
const int = z.number().int().nullish();

type EntityItem = { id: string } & Record<string, unknown>;

/** The item check of a flat entity, from its declared fields: a non-empty `id`, the rest nullable. */
const entityItem = (decl: EntityDecl): z.ZodType<EntityItem> =>
  z.looseObject(Object.fromEntries(decl.fields.map((f) => [f.name, f.name === 'id' ? z.string().min(1) : f.type === 'integer' ? int : str]))) as unknown as z.ZodType<EntityItem>;

/** A flat entity stream: the declared fields of each listed item, nothing else. */
function flatEntityStream(decl: EntityDecl, pages: (ctx: ListContext, config: OpenAiConfig) => AsyncIterable<Array<Record<string, unknown>>>): ListStream<OpenAiConfig> {
  const names = decl.fields.map((f) => f.name);
  return idListStream({
    name: decl.name,
    description: decl.description,
    schema: entitySchema(decl),
    async *pages(ctx, config) {
      for await (const items of pages(ctx, config)) yield items.map((item) => pickFields(item, names));
    },
  });
}

// ---- projects ---------------------------------------------------------------

export const PROJECTS: EntityDecl = {
  name: 'projects',
  description: 'Every project of the organization, archived ones included (GET /organization/projects?include_archived=true). Full refresh.',
  fields: [
    { name: 'id', type: 'string', description: 'Project id, e.g. proj_abc. Primary key; joins project_id in costs and usage.' },
    { name: 'object', type: 'string', description: 'Always organization.project.' },
    { name: 'name', type: 'string', description: 'Project name.' },
    { name: 'created_at', type: 'integer', description: 'Creation time, unix seconds.' },
    { name: 'archived_at', type: 'integer', description: 'Archival time, unix seconds; null while active.' },
    { name: 'status', type: 'string', description: 'active or archived.' },
  ],
};

const ProjectItem = entityItem(PROJECTS);

const PROJECTS_PATH = '/organization/projects';

/** Every project (archived included), restricted to config.project_ids when set. */
async function* projectPages(ctx: ListContext, config: OpenAiConfig): AsyncIterable<EntityItem[]> {
  const only = config.project_ids?.length ? new Set(config.project_ids) : null;
  for await (const projects of listItems(ctx, PROJECTS_PATH, CURSOR, ProjectItem, [['include_archived', 'true']])) {
    yield only ? projects.filter((p) => only.has(p.id)) : projects;
  }
}

export const projectsStream = flatEntityStream(PROJECTS, projectPages);

// ---- users ------------------------------------------------------------------

export const USERS: EntityDecl = {
  name: 'users',
  description: 'Every member of the organization (GET /organization/users). Full refresh.',
  fields: [
    { name: 'id', type: 'string', description: 'User id, e.g. user-abc. Primary key; joins user_id in usage.' },
    { name: 'object', type: 'string', description: 'Always organization.user.' },
    { name: 'email', type: 'string', description: 'Email address.' },
    { name: 'name', type: 'string', description: 'Display name.' },
    { name: 'role', type: 'string', description: 'Organization role: owner or reader.' },
    { name: 'added_at', type: 'integer', description: 'When the user joined the organization, unix seconds.' },
  ],
};

const UserItem = entityItem(USERS);
const USERS_PATH = '/organization/users';

export const usersStream = flatEntityStream(USERS, (ctx) => listItems(ctx, USERS_PATH, CURSOR, UserItem));

// ---- project API keys -------------------------------------------------------

export const PROJECT_API_KEYS: EntityDecl = {
  name: 'project_api_keys',
  description:
    'API keys of every project (GET /organization/projects/{project_id}/api_keys for each project, archived included). Only the redacted value is emitted, never a key. The owner (a user or a service account) is flattened into owner_* fields. Full refresh.',
  fields: [
    { name: 'id', type: 'string', description: 'API key id, e.g. key_abc. Primary key; joins api_key_id in costs and usage.' },
    { name: 'object', type: 'string', description: 'Always organization.project.api_key.' },
    { name: 'name', type: 'string', description: 'Key name.' },
    { name: 'redacted_value', type: 'string', description: 'The redacted key, e.g. sk-abc...def. The secret itself is never emitted.' },
    { name: 'created_at', type: 'integer', description: 'Creation time, unix seconds.' },
    { name: 'last_used_at', type: 'integer', description: 'Last use, unix seconds; null if never used.' },
    { name: 'project_id', type: 'string', description: 'The project the key belongs to (from the request path).' },
    { name: 'owner_type', type: 'string', description: 'user or service_account.' },
    { name: 'owner_id', type: 'string', description: 'owner.user.id or owner.service_account.id.' },
    { name: 'owner_name', type: 'string', description: 'Name of the owning user or service account.' },
    { name: 'owner_email', type: 'string', description: 'Email of the owning user; null for a service account.' },
    { name: 'owner_role', type: 'string', description: 'Project role of the owner, e.g. owner, member.' },
  ],
};

const OwnerPart = z.looseObject({ id: str, name: str, email: str, role: str }).nullish();
const KeyItem = z.looseObject({
  id: z.string().min(1),
  object: str,
  name: str,
  redacted_value: str,
  created_at: int,
  last_used_at: int,
  owner: z.looseObject({ type: str, user: OwnerPart, service_account: OwnerPart }).nullish(),
});
type KeyItem = z.infer<typeof KeyItem>;

/** The emitted record: an explicit pick, so a full `value` the API might send is never copied. */
export function keyRow(k: KeyItem, projectId: string): Row {
  const type = k.owner?.type ?? (k.owner?.user ? 'user' : k.owner?.service_account ? 'service_account' : null);
  const who = type === 'service_account' ? k.owner?.service_account : type === 'user' ? k.owner?.user : (k.owner?.user ?? k.owner?.service_account);
  return {
    id: k.id,
    object: k.object ?? null,
    name: k.name ?? null,
    redacted_value: k.redacted_value ?? null,
    created_at: k.created_at ?? null,
    last_used_at: k.last_used_at ?? null,
    project_id: projectId,
    owner_type: type,
    owner_id: who?.id ?? null,
    owner_name: who?.name ?? null,
    owner_email: type === 'service_account' ? null : (who?.email ?? null),
    owner_role: who?.role ?? null,
  };
}

export const projectApiKeysStream = idListStream<OpenAiConfig>({
  name: PROJECT_API_KEYS.name,
  description: PROJECT_API_KEYS.description,
  schema: entitySchema(PROJECT_API_KEYS),
  // A project deleted between the project list and its keys request: nothing to list, not a failure.
  responses: [{ when: { status: 404, path: /^\/organization\/projects\/[^/]+\/api_keys$/ }, action: 'ignore', reason: 'project gone since it was listed' }],
  async *pages(ctx: ListContext, config: OpenAiConfig) {
    const projectIds: string[] = [];
    for await (const projects of projectPages(ctx, config)) for (const p of projects) projectIds.push(p.id);
    for (const projectId of projectIds) {
      const path = `${PROJECTS_PATH}/${encodeURIComponent(projectId)}/api_keys`;
      for await (const keys of listItems(ctx, path, CURSOR, KeyItem)) yield keys.map((k) => keyRow(k, projectId));
    }
  },
});

export const ENTITY_STREAMS: ReadonlyArray<ListStream<OpenAiConfig>> = [projectsStream, usersStream, projectApiKeysStream];
