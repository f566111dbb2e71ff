import { z } from 'zod';
import { withFocusNames } from '../../engine/focus/focus.js';
import { listItems, type IdCursor } from '../../engine/fetch/lists.js';
import { NameBook, type NamesSpec } from '../../engine/focus/names.js';
import type { ListContext } from '../../engine/stream.js';
import type { OpenAiConfig } from './config.js';
import { COSTS } from './streams.js';

/**
 * The names of OpenAI spend rows (docs/focus.md, Names), from the lists the `projects` and
 * `project_api_keys` streams read:
 * - SubAccountName: GET /organization/projects?include_archived=true (archived projects keep
 *   their cost), one request per 100 projects; only when costs are grouped by project_id;
 * - x_ApiKeyName: GET /organization/projects/{id}/api_keys for each listed project (restricted to
 *   config project_ids when set), one request per 100 keys of a project; only when costs are
 *   grouped by api_key_id (OpenAI lists keys per project only, and which projects have spend is
 *   known only after the read, so every listed project is asked).
 * OpenAI's costs carry no user id: there is no user name to look up.
 */
const CURSOR: IdCursor = { param: 'after', limit: 100 };
const PROJECTS_PATH = '/organization/projects';
const Named = z.looseObject({ id: z.string(), name: z.string().nullish() });

export const openAiNames: NamesSpec<OpenAiConfig> = {
  origin: `GET ${PROJECTS_PATH} and ${PROJECTS_PATH}/{project_id}/api_keys`,
  async resolve(http, config, log) {
    const groupBy = config.group_by?.costs ?? COSTS.defaultGroupBy;
    const book = new NameBook();
    const byProject = groupBy.includes('project_id');
    const byKey = groupBy.includes('api_key_id');
    if (!byProject && !byKey) return book.result;
    const ctx: ListContext = {
      http,
      log,
      onResponse: () => undefined,
      // A project deleted between the project list and its keys request: its keys are unknown (null names).
      responses: [{ when: { status: 404, path: /^\/organization\/projects\/[^/]+\/api_keys$/ }, action: 'ignore', reason: 'project gone since it was listed' }],
    };
    const only = config.project_ids?.length ? new Set(config.project_ids) : null;
    const projects: string[] = [];
    if (byProject) book.kind('subAccounts');
    for await (const page of listItems(ctx, PROJECTS_PATH, CURSOR, Named, [['include_archived', 'true']])) {
      for (const p of page) {
        if (only && !only.has(p.id)) continue;
        projects.push(p.id);
        if (byProject) book.add('subAccounts', p.id, p.name);
      }
    }
    if (byKey) {
      book.kind('apiKeys');
      // Side by side, as many at once as max_concurrent_requests lets the client send (its semaphore and rate limit).
      // All settle before a failure is told, so no request of this run outlives it.
      const lists = await Promise.allSettled(
        projects.map(async (id) => {
          for await (const keys of listItems(ctx, `${PROJECTS_PATH}/${encodeURIComponent(id)}/api_keys`, CURSOR, Named)) {
            for (const k of keys) book.add('apiKeys', k.id, k.name);
          }
        }),
      );
      const failed = lists.find((r): r is PromiseRejectedResult => r.status === 'rejected');
      if (failed) throw failed.reason;
    }
    return book.result;
  },
  apply: withFocusNames,
};
