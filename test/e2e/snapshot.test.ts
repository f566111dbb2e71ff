import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeOpenAi } from '../fake/openai.js';
import { BINS } from '../support/cli.js';
import { query, runCli } from '../support/warehouse.js';

/**
 * Full-refresh lists are snapshots (issue 23, point 7): a project, user or key deleted upstream
 * leaves the warehouse on the next sync. Each sync's tables are compared with what the fake
 * lists at that moment, and the summary's deleted counts with what left.
 */
const KEY = 'sk-admin-e2e-snapshot-9f8e7d6c';
const FIRST = Date.UTC(2025, 8, 1) / 1000;
const LISTS = ['projects', 'users', 'project_api_keys'] as const;

let fake: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  // Small pages: every list takes several requests.
  fake = new FakeOpenAi({ firstDay: FIRST, days: 10, projects: 3, lineItems: 2, adminKey: KEY, extraProjects: 9, users: 14, listPageCap: 4 });
  await fake.start();
  dir = mkdtempSync(join(tmpdir(), 'snapshot-'));
});
afterAll(() => fake.stop());

const sync = async (db: string) => {
  const cfg = join(dir, 'config.json');
  writeFileSync(cfg, JSON.stringify({ admin_api_key: KEY, start_date: '2025-09-01', end_date: '2025-09-10', base_url: fake.baseUrl }));
  return runCli(BINS.openai, ['sync', '--config', cfg, '--db', db, '--streams', LISTS.join(',')]);
};
const summary = (stderr: string, stream: string): string => stderr.split('\n').find((l) => l.startsWith(`${stream}: `)) ?? '';
/** Every row of a table, without its load time, as JSON text sorted by id. */
const tableRows = async (db: string, table: string): Promise<string[]> =>
  (await query(db, `SELECT * EXCLUDE (_extracted_at) FROM openai."${table}" ORDER BY id`)).map((r) => JSON.stringify(r));
const ids = async (db: string, table: string): Promise<string[]> => (await query(db, `SELECT id FROM openai."${table}" ORDER BY id`)).map((r) => String(r.id));
const sorted = (xs: Iterable<string>): string[] => [...xs].sort();

/** What the fake lists now: projects and users not removed, and the keys of those projects. */
function listed(): { projects: string[]; users: string[]; keys: string[] } {
  const gone = fake.options.removed ?? {};
  const projects = fake.org.projectsList().filter((p) => !gone.projects?.includes(p.id));
  return {
    projects: sorted(projects.map((p) => p.id)),
    users: sorted(
      fake.org
        .usersList()
        .filter((u) => !gone.users?.includes(u.id))
        .map((u) => u.id),
    ),
    keys: sorted(projects.flatMap((p) => (fake.org.apiKeys(p.id) ?? []).map((k) => k.id))),
  };
}

describe('full-refresh lists in the warehouse', () => {
  it('given a synced project, user and key list when projects and users are deleted upstream and synced again then exactly the listed rows remain and the summary counts the deleted ones', async () => {
    const db = join(dir, 'lists.duckdb');
    fake.options.removed = undefined;
    const first = await sync(db);
    expect(first.code, first.stderr).toBe(0);
    const before = listed();
    expect(before.projects).toHaveLength(12);
    expect(before.users).toHaveLength(14);
    expect(await ids(db, 'projects')).toEqual(before.projects);
    expect(await ids(db, 'users')).toEqual(before.users);
    expect(await ids(db, 'project_api_keys')).toEqual(before.keys);
    const rowsBefore = Object.fromEntries(await Promise.all(LISTS.map(async (t) => [t, await tableRows(db, t)] as const)));

    // A project with cost and an archived one deleted, and two members removed.
    const projects = fake.org.projectsList();
    const goneProjects = [projects[1]?.id as string, projects.find((p) => p.status === 'archived')?.id as string];
    const users = fake.org.usersList();
    const goneUsers = [users[3]?.id as string, users[11]?.id as string];
    fake.options.removed = { projects: goneProjects, users: goneUsers };
    const goneKeys = goneProjects.flatMap((p) => (fake.org.apiKeys(p) ?? []).map((k) => k.id));
    expect(goneKeys.length).toBeGreaterThanOrEqual(2);

    const second = await sync(db);
    expect(second.code, second.stderr).toBe(0);
    const after = listed();
    expect(after.projects).toHaveLength(10);
    expect(await ids(db, 'projects')).toEqual(after.projects);
    expect(await ids(db, 'users')).toEqual(after.users);
    expect(await ids(db, 'project_api_keys')).toEqual(after.keys);
    // What stays is untouched: the first sync's rows minus the deleted ones, value for value.
    const keep = (t: string, gone: string[]) => (rowsBefore[t] as string[]).filter((r) => !gone.includes(String(JSON.parse(r).id)));
    expect(await tableRows(db, 'projects')).toEqual(keep('projects', goneProjects));
    expect(await tableRows(db, 'users')).toEqual(keep('users', goneUsers));
    expect(await tableRows(db, 'project_api_keys')).toEqual(keep('project_api_keys', goneKeys));

    expect(summary(second.stderr, 'projects')).toMatch(/^projects: ok, 10 rows \(0 inserted, 0 updated, 10 unchanged, 2 deleted\), full snapshot, /);
    expect(summary(second.stderr, 'users')).toMatch(/^users: ok, 12 rows \(0 inserted, 0 updated, 12 unchanged, 2 deleted\), full snapshot, /);
    const k = after.keys.length;
    expect(summary(second.stderr, 'project_api_keys')).toMatch(
      new RegExp(`^project_api_keys: ok, ${k} rows \\(0 inserted, 0 updated, ${k} unchanged, ${goneKeys.length} deleted\\), full snapshot, `),
    );
  });

  it('given a synced project list when every project is deleted upstream and synced again then the projects and keys tables are empty, not left as they were', async () => {
    const db = join(dir, 'emptied.duckdb');
    fake.options.removed = undefined;
    const first = await sync(db);
    expect(first.code, first.stderr).toBe(0);
    const all = listed();
    expect(await ids(db, 'projects')).toEqual(all.projects);

    fake.options.removed = { projects: all.projects };
    try {
      const second = await sync(db);
      expect(second.code, second.stderr).toBe(0);
      expect(await ids(db, 'projects')).toEqual([]);
      expect(await ids(db, 'project_api_keys')).toEqual([]);
      expect(await ids(db, 'users')).toEqual(all.users);
      expect(summary(second.stderr, 'projects')).toMatch(
        new RegExp(`^projects: ok, 0 rows \\(0 inserted, 0 updated, 0 unchanged, ${all.projects.length} deleted\\)`),
      );
      expect(summary(second.stderr, 'project_api_keys')).toMatch(
        new RegExp(`^project_api_keys: ok, 0 rows \\(0 inserted, 0 updated, 0 unchanged, ${all.keys.length} deleted\\)`),
      );
    } finally {
      fake.options.removed = undefined;
    }
  });
});
