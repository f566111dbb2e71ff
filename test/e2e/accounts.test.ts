import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addDecimal } from '../../connector/decimal.js';
import { FakeAnthropic } from '../fake/anthropic.js';
import { FakeAurous } from '../fake/aurous.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { FakeOrganizations } from '../fake/server.js';
import { BINS, catalog, errors, files, records, run } from '../support/cli.js';
import { nanosToDecimal, query, runCli, snapshot, trimDecimal } from '../support/warehouse.js';

/**
 * Several organizations, one warehouse (docs/warehouse.md): rows and state belong to an account.
 * Each fake organization has its own seed, data and key, all behind one URL (FakeOrganizations
 * picks the organization by the key presented); their record ids collide on purpose.
 */
const FIRST = Date.UTC(2025, 8, 1) / 1000; // 2025-09-01
const DAYS = 40; // through 2025-10-10
const END = FIRST + DAYS * DAY;
const iso = (s: number): string => new Date(s * 1000).toISOString().slice(0, 10);

const KEY_A = 'sk-admin-e2e-accounts-orgA-1a2b3c4d';
const KEY_B = 'sk-admin-e2e-accounts-orgB-5e6f7a8b';
/** A second key of organization A (same seed, same data): a rotated key. */
const KEY_A2 = 'sk-admin-e2e-accounts-orgA-rotated-9c0d';
const KEYS = [KEY_A, KEY_B, KEY_A2];

const openAiOrg = (seed: number, adminKey: string): FakeOpenAi =>
  new FakeOpenAi({ seed, firstDay: FIRST, days: DAYS, projects: 3, lineItems: 4, adminKey, emptyEvery: 9 });

let openai: FakeOrganizations<FakeOpenAi>;
let orgA: FakeOpenAi;
let orgB: FakeOpenAi;
let dir: string;
beforeAll(async () => {
  orgA = openAiOrg(42, KEY_A);
  orgB = openAiOrg(4242, KEY_B);
  openai = new FakeOrganizations([
    { key: KEY_A, fake: orgA },
    { key: KEY_B, fake: orgB },
    { key: KEY_A2, fake: openAiOrg(42, KEY_A2) },
  ]);
  await openai.start();
  dir = mkdtempSync(join(tmpdir(), 'accounts-'));
});
afterAll(() => openai.stop());

function configFile(key: string, extra: Record<string, unknown> = {}, base = `${openai.url}/v1`): string {
  const path = join(mkdtempSync(join(dir, 'cfg-')), 'config.json');
  writeFileSync(path, JSON.stringify({ admin_api_key: key, start_date: iso(FIRST), end_date: iso(END - DAY), base_url: base, ...extra }));
  return path;
}
const dbFile = (name: string): string => join(dir, `${name}.duckdb`);
const syncOpenAi = (config: string, db: string, more: string[] = []) =>
  runCli(BINS.openai, ['sync', '--config', config, '--db', db, '--streams', 'costs,spend,projects', ...more]);
const summary = (stderr: string, stream: string): string => stderr.split('\n').find((l) => l.startsWith(`${stream}: `) && !l.includes('committed')) ?? '';
const noKeyIn = (text: string): void => {
  for (const k of KEYS) expect(text).not.toContain(k);
};

/** The fake organization's exact spend over the synced days, in dollars, from its finest-grain rows. */
function openAiTruth(org: FakeOpenAi): { total: string; perDay: Map<string, string> } {
  let all = 0n;
  const perDay = new Map<string, string>();
  for (let d = FIRST; d < END; d += DAY) {
    const nanos = org.org.costsOn(d).reduce((a, r) => a + BigInt(r.nanos), 0n);
    all += nanos;
    if (org.org.costsOn(d).length > 0) perDay.set(iso(d), nanosToDecimal(nanos));
  }
  return { total: nanosToDecimal(all), perDay };
}

async function perAccountDay(db: string): Promise<Map<string, Map<string, string>>> {
  const rows = await query(
    db,
    `SELECT _account_id AS a, CAST("date" AS VARCHAR) AS d, CAST(sum(CAST(CAST(amount_value AS VARCHAR) AS DECIMAL(38,12))) AS VARCHAR) AS total
     FROM openai.costs GROUP BY 1, 2 ORDER BY 1, 2`,
  );
  const out = new Map<string, Map<string, string>>();
  for (const r of rows) {
    const a = String(r.a);
    if (!out.has(a)) out.set(a, new Map());
    out.get(a)?.set(String(r.d), trimDecimal(String(r.total)));
  }
  return out;
}

async function focusTotals(db: string): Promise<Record<string, string>> {
  const rows = await query(
    db,
    'SELECT BillingAccountId AS k, CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS total FROM focus_spend GROUP BY 1 ORDER BY 1',
  );
  return Object.fromEntries(rows.map((r) => [String(r.k), trimDecimal(String(r.total))]));
}

describe('two OpenAI organizations in one warehouse', () => {
  it('given two organizations with their organization_id when synced one after the other into one file then the file holds exactly both organizations’ rows and totals, two BillingAccountId values, and each its own state', async () => {
    const db = dbFile('two-orgs');
    const a = await syncOpenAi(configFile(KEY_A, { organization_id: 'org-A' }), db);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toMatch(/3\/3 streams loaded into .*two-orgs\.duckdb for account 'org-A' \(organization_id\)/);
    const b = await syncOpenAi(configFile(KEY_B, { organization_id: 'org-B' }), db);
    expect(b.code, b.stderr).toBe(0);
    noKeyIn(a.stderr + b.stderr);

    // The second organization read its whole range (not the first one's cursor minus the lookback),
    // and inserted every one of its rows: none overwrote the first organization's.
    const expectedB = orgB.org.expectedCosts(FIRST, END, ['project_id', 'line_item']);
    expect(summary(b.stderr, 'costs')).toMatch(
      new RegExp(`^costs: ok, ${expectedB.length} rows \\(${expectedB.length} inserted, 0 updated, 0 unchanged\\), ${iso(FIRST)}\\.\\.${iso(END - DAY)}`),
    );
    const expectedA = orgA.org.expectedCosts(FIRST, END, ['project_id', 'line_item']);
    const counts = await query(db, 'SELECT _account_id AS a, count(*) AS n FROM openai.costs GROUP BY 1 ORDER BY 1');
    expect(counts.map((r) => [r.a, Number(r.n)])).toEqual([
      ['org-A', expectedA.length],
      ['org-B', expectedB.length],
    ]);
    // Their record ids collide (same projects and line items on the same days): the account keeps them apart.
    const shared = await query(db, 'SELECT count(*) AS n FROM (SELECT id FROM openai.costs GROUP BY id HAVING count(*) = 2)');
    expect(Number(shared[0]?.n)).toBeGreaterThan(10);

    const truthA = openAiTruth(orgA);
    const truthB = openAiTruth(orgB);
    expect(truthA.total).not.toBe(truthB.total);
    expect(await perAccountDay(db)).toEqual(
      new Map([
        ['org-A', truthA.perDay],
        ['org-B', truthB.perDay],
      ]),
    );
    expect(await focusTotals(db)).toEqual({ 'org-A': truthA.total, 'org-B': truthB.total });
    const spend = await query(db, 'SELECT _account_id AS a, BillingAccountId AS b, count(*) AS n FROM openai.spend GROUP BY 1, 2 ORDER BY 1');
    expect(spend.map((r) => [r.a, r.b, Number(r.n)])).toEqual([
      ['org-A', 'org-A', expectedA.length],
      ['org-B', 'org-B', expectedB.length],
    ]);
    // Full-refresh lists too: each organization's snapshot is its own (B's did not delete A's projects).
    const projects = await query(db, 'SELECT _account_id AS a, count(*) AS n FROM openai.projects GROUP BY 1 ORDER BY 1');
    expect(projects.map((r) => [r.a, Number(r.n)])).toEqual([
      ['org-A', orgA.org.projectsList().length],
      ['org-B', orgB.org.projectsList().length],
    ]);

    const states = await query(db, "SELECT account_id, CAST(state AS VARCHAR) AS s FROM openai._connector_state WHERE stream = 'costs' ORDER BY account_id");
    expect(states.map((s) => [s.account_id, JSON.parse(String(s.s))])).toEqual([
      ['org-A', { version: 2, covered_from: FIRST, cursor: END }],
      ['org-B', { version: 2, covered_from: FIRST, cursor: END }],
    ]);
    const accounts = await query(db, 'SELECT account_id, id_from, key_fingerprint FROM openai._connector_accounts ORDER BY 1');
    expect(accounts.map((r) => [r.account_id, r.id_from])).toEqual([
      ['org-A', 'config'],
      ['org-B', 'config'],
    ]);
    expect(accounts.every((r) => /^sha256:[0-9a-f]{16}$/.test(String(r.key_fingerprint)))).toBe(true);

    // Each organization resumes from its own cursor: only the lookback is re-read, nothing changes.
    const before = await snapshot(db);
    const again = await syncOpenAi(configFile(KEY_A, { organization_id: 'org-A' }), db);
    expect(again.code, again.stderr).toBe(0);
    expect(summary(again.stderr, 'costs')).toMatch(/^costs: ok, \d+ rows \(0 inserted, 0 updated, \d+ unchanged\), 2025-10-08\.\.2025-10-10/);
    expect(await snapshot(db)).toEqual(before);
  });

  it('given a file synced with one key and no organization_id when another organization’s key is synced into it without organization_id then the sync is refused naming organization_id, exit 2, and nothing changes', async () => {
    const db = dbFile('refused');
    const a = await syncOpenAi(configFile(KEY_A), db);
    expect(a.code, a.stderr).toBe(0);
    expect(a.stderr).toContain("for account 'openai' (default; no organization_id set)");
    const before = await snapshot(db);
    const sent = orgB.requests.length;
    const b = await syncOpenAi(configFile(KEY_B), db);
    expect(b.code, b.stderr).toBe(2);
    expect(b.stderr).toContain(
      "source-openai-costs sync: Account 'openai' in '" +
        db +
        "' (schema openai) was loaded with another key (no organization_id set). If this key belongs to another organization, set organization_id in its config",
    );
    expect(b.stderr).toContain('run this sync once with --new-key');
    noKeyIn(b.stderr);
    expect(await snapshot(db)).toEqual(before);
    // Refused before any request of the read.
    expect(orgB.requests.length).toBe(sent);

    // With its organization_id, the second organization is its own account, beside the first.
    const named = await syncOpenAi(configFile(KEY_B, { organization_id: 'org-B' }), db);
    expect(named.code, named.stderr).toBe(0);
    expect(await focusTotals(db)).toEqual({ openai: openAiTruth(orgA).total, 'org-B': openAiTruth(orgB).total });

    // The first key named under a new id would count organization A twice: refused, naming the id it has.
    const renamed = await syncOpenAi(configFile(KEY_A, { organization_id: 'org-A' }), db);
    expect(renamed.code).toBe(2);
    expect(renamed.stderr).toContain(
      "The key of this config already loaded account 'openai' into '" +
        db +
        "' (schema openai); loading it again as 'org-A' would count that account twice. Set organization_id to 'openai' (or leave organization_id out)",
    );
  });

  it('given a rotated key of the same organization when synced under the same account then it is refused without --new-key and accepted with it, the rows unchanged', async () => {
    const db = dbFile('rotated');
    const a = await syncOpenAi(configFile(KEY_A, { organization_id: 'org-A' }), db);
    expect(a.code, a.stderr).toBe(0);
    const before = await snapshot(db);
    const refused = await syncOpenAi(configFile(KEY_A2, { organization_id: 'org-A' }), db);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Account 'org-A' in '");
    expect(refused.stderr).toContain('set organization_id in its config');
    const rotated = await syncOpenAi(configFile(KEY_A2, { organization_id: 'org-A' }), db, ['--new-key']);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toContain("source-openai-costs sync: account 'org-A' is read with a new key (rotated): the stored fingerprint is replaced");
    expect(summary(rotated.stderr, 'costs')).toMatch(/\(0 inserted, 0 updated, \d+ unchanged\)/);
    const after = await snapshot(db);
    // Only the stored fingerprint changed; the old key is refused from now on.
    expect({ ...after, 'openai._connector_accounts': [] }).toEqual({ ...before, 'openai._connector_accounts': [] });
    expect(after['openai._connector_accounts']).not.toEqual(before['openai._connector_accounts']);
    const old = await syncOpenAi(configFile(KEY_A, { organization_id: 'org-A' }), db);
    expect(old.code).toBe(2);
  });

  it('given a file of the layout before accounts when synced then its tables and state are rebuilt in place with the sync’s account, no row duplicated, and the sync resumes from the stored state', async () => {
    const db = dbFile('before-accounts');
    const config = configFile(KEY_A, { organization_id: 'org-A' });
    const first = await syncOpenAi(config, db);
    expect(first.code, first.stderr).toBe(0);
    const before = await snapshot(db);
    // Rewrite it as that layout: every table without _account_id and keyed by its own id, the
    // state keyed by stream alone, no accounts table (what the previous version wrote).
    const tables = ['costs', 'spend', 'projects'];
    const keyOf: Record<string, string> = { costs: 'id', spend: 'x_RecordId', projects: 'id' };
    await query(
      db,
      [
        ...tables.flatMap((t) => [
          `CREATE TABLE openai.${t}_old AS SELECT * EXCLUDE (_account_id) FROM openai.${t}`,
          `DROP TABLE openai.${t}`,
          `ALTER TABLE openai.${t}_old RENAME TO ${t}`,
          `ALTER TABLE openai.${t} ADD PRIMARY KEY ("${keyOf[t]}")`,
        ]),
        'CREATE TABLE openai.st_old (stream VARCHAR PRIMARY KEY, source VARCHAR NOT NULL, state JSON NOT NULL, updated_at TIMESTAMPTZ NOT NULL)',
        'INSERT INTO openai.st_old SELECT stream, source, state, updated_at FROM openai._connector_state',
        'DROP TABLE openai._connector_state',
        'ALTER TABLE openai.st_old RENAME TO _connector_state',
        'DROP TABLE openai._connector_accounts',
      ].join(';\n'),
      { write: true },
    );
    const cols = await query(
      db,
      "SELECT count(*) AS n FROM information_schema.columns WHERE table_schema = 'openai' AND column_name IN ('_account_id', 'account_id')",
    );
    expect(Number(cols[0]?.n)).toBe(0);

    const again = await syncOpenAi(config, db);
    expect(again.code, again.stderr).toBe(0);
    expect(again.stderr).toContain(
      "source-openai-costs sync: gave the rows and state of the layout without accounts to account 'org-A' (costs, spend, projects)",
    );
    expect(summary(again.stderr, 'costs')).toMatch(/^costs: ok, \d+ rows \(0 inserted, 0 updated, \d+ unchanged\), 2025-10-08\.\.2025-10-10/);
    expect(await snapshot(db)).toEqual(before);
    const keys = await query(
      db,
      "SELECT table_name AS t, constraint_type AS c, constraint_column_names AS k FROM duckdb_constraints() WHERE schema_name = 'openai' AND constraint_type = 'PRIMARY KEY' ORDER BY 1",
    );
    expect(keys.map((r) => [r.t, r.k])).toEqual([
      ['_connector_accounts', ['account_id']],
      ['_connector_state', ['stream', 'account_id']],
    ]);
    // The rebuilt tables carry no index: (key, account) is unique by construction.
    for (const [t, k] of [
      ['costs', 'id'],
      ['projects', 'id'],
      ['spend', 'x_RecordId'],
    ]) {
      const dup = await query(db, `SELECT count(*) - count(DISTINCT ("${k}", _account_id)) AS n FROM openai.${t}`);
      expect(Number(dup[0]?.n), t).toBe(0);
    }

    // And a second organization then syncs beside it, its own full range.
    const b = await syncOpenAi(configFile(KEY_B, { organization_id: 'org-B' }), db);
    expect(b.code, b.stderr).toBe(0);
    expect(await focusTotals(db)).toEqual({ 'org-A': openAiTruth(orgA).total, 'org-B': openAiTruth(orgB).total });
  });
});

describe('two Anthropic organizations in one warehouse', () => {
  const A_KEY = 'sk-ant-admin01-e2e-accounts-orgA-2b3c';
  const B_KEY = 'sk-ant-admin01-e2e-accounts-orgB-4d5e';
  const A_ROTATED = 'sk-ant-admin01-e2e-accounts-orgA-rotated-6f7a';
  const ORG_A = { id: '7b1c2d3e-0000-4a5b-8c9d-00000000000a', name: 'Acme Research' };
  const ORG_B = { id: '7b1c2d3e-0000-4a5b-8c9d-00000000000b', name: 'Acme Labs' };
  const anthropicOrg = (seed: number, adminKey: string): FakeAnthropic => new FakeAnthropic({ seed, firstDay: FIRST, days: DAYS, adminKey });
  let anthropic: FakeOrganizations<FakeAnthropic>;
  let a: FakeAnthropic;
  let b: FakeAnthropic;
  beforeAll(async () => {
    a = anthropicOrg(11, A_KEY);
    b = anthropicOrg(1111, B_KEY);
    anthropic = new FakeOrganizations([
      { key: A_KEY, fake: a, organization: ORG_A },
      { key: B_KEY, fake: b, organization: ORG_B },
      { key: A_ROTATED, fake: anthropicOrg(11, A_ROTATED), organization: ORG_A },
    ]);
    await anthropic.start();
  });
  afterAll(() => anthropic.stop());

  const config = (key: string, extra: Record<string, unknown> = {}) => configFile(key, extra, anthropic.url);
  const sync = (key: string, db: string) => runCli(BINS.anthropic, ['sync', '--config', config(key), '--db', db, '--streams', 'cost_report,spend,workspaces']);
  /** The organization's cost report over the synced days: its rows and their exact dollar total. */
  const truth = (org: FakeAnthropic): { rows: number; total: string } => {
    const rows = org.org.expectedCostReport(FIRST, END);
    return { rows: rows.length, total: rows.map((r) => String(r.amount_usd)).reduce(addDecimal, '0') };
  };

  it('given two organizations when synced one after the other into one file then each is the account the API names, with exactly its rows, totals and state, and focus_spend has both BillingAccountId values and names', async () => {
    const db = dbFile('anthropic-two-orgs');
    const first = await sync(A_KEY, db);
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain(`for account '${ORG_A.id}' (from the API)`);
    const second = await sync(B_KEY, db);
    expect(second.code, second.stderr).toBe(0);
    expect(first.stderr + second.stderr).not.toContain(A_KEY);
    expect(second.stderr).not.toContain(B_KEY);
    // One request for the organization, before the streams.
    expect(b.requests.filter((r) => r.path === '/v1/organizations/me')).toHaveLength(1);
    expect(b.requests[0]?.path).toBe('/v1/organizations/me');

    const ta = truth(a);
    const tb = truth(b);
    expect(ta.total).not.toBe(tb.total);
    const counts = await query(db, 'SELECT _account_id AS a, count(*) AS n FROM anthropic.cost_report GROUP BY 1 ORDER BY 1');
    expect(counts.map((r) => [r.a, Number(r.n)])).toEqual([
      [ORG_A.id, ta.rows],
      [ORG_B.id, tb.rows],
    ]);
    const spend = await query(
      db,
      `SELECT BillingAccountId AS id, BillingAccountName AS name, count(*) AS n, CAST(sum(CAST(BilledCost AS DECIMAL(38,12))) AS VARCHAR) AS total
       FROM focus_spend GROUP BY 1, 2 ORDER BY 1`,
    );
    expect(spend.map((r) => [r.id, r.name, Number(r.n), trimDecimal(String(r.total))])).toEqual([
      [ORG_A.id, ORG_A.name, ta.rows, ta.total],
      [ORG_B.id, ORG_B.name, tb.rows, tb.total],
    ]);
    const states = await query(db, "SELECT account_id, CAST(state AS VARCHAR) AS s FROM anthropic._connector_state WHERE stream = 'cost_report' ORDER BY 1");
    expect(states.map((s) => [s.account_id, (JSON.parse(String(s.s)) as { cursor: number }).cursor])).toEqual([
      [ORG_A.id, END],
      [ORG_B.id, END],
    ]);

    // A rotated key of organization A: the API names the same organization, so it is accepted as such.
    const before = await snapshot(db);
    const rotated = await sync(A_ROTATED, db);
    expect(rotated.code, rotated.stderr).toBe(0);
    expect(rotated.stderr).toContain(`account '${ORG_A.id}' is read with a new key (rotated)`);
    expect(summary(rotated.stderr, 'cost_report')).toMatch(/\(0 inserted, 0 updated, \d+ unchanged\)/);
    expect({ ...(await snapshot(db)), 'anthropic._connector_accounts': [] }).toEqual({ ...before, 'anthropic._connector_accounts': [] });
  });

  it('given a key the organization request refuses when syncing then one line names the request and the key hint, exit 2, before any stream and without creating the file', async () => {
    const db = dbFile('anthropic-refused');
    const wrong = 'sk-ant-admin01-e2e-accounts-revoked-8b9c';
    const r = await sync(wrong, db);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'source-anthropic-costs sync: cannot learn the organization of the key (GET /v1/organizations/me): Anthropic refused the Admin API key (sk-ant-admin...): it is wrong or revoked; check admin_api_key, or create a new one at console.anthropic.com/settings/admin-keys (HTTP 401)\n',
    );
    expect(existsSync(db)).toBe(false);
  });

  it('given spend read through the Airbyte protocol when the organization answers then BillingAccountId and BillingAccountName are its id and name; when it fails then one TRACE ERROR says what could not be learned', async () => {
    const f = files({
      'c.json': { admin_api_key: B_KEY, start_date: iso(FIRST), end_date: iso(FIRST + 2 * DAY), base_url: anthropic.url, max_retries: 0 },
      'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]),
    });
    const ok = await run(BINS.anthropic, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
    expect(ok.code, JSON.stringify(errors(ok.messages))).toBe(0);
    const rows = records(ok.messages, 'spend');
    expect(rows.length).toBeGreaterThan(0);
    expect(new Set(rows.map((r) => `${r.BillingAccountId}|${r.BillingAccountName}`))).toEqual(new Set([`${ORG_B.id}|${ORG_B.name}`]));

    anthropic.fault({ path: '/v1/organizations/me', fault: { kind: 'status', status: 500 }, times: 5 });
    try {
      const failed = await run(BINS.anthropic, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
      expect(failed.code).toBe(1);
      expect(records(failed.messages)).toHaveLength(0);
      const errs = errors(failed.messages);
      expect(errs).toHaveLength(1);
      expect(errs[0]?.trace.error.message).toMatch(/^cannot learn the organization of the key \(GET \/v1\/organizations\/me\): /);
      expect(failed.stdout + failed.stderr).not.toContain(B_KEY);
    } finally {
      anthropic.clearFaults();
    }
  });
});

describe('the account of a provider whose API names none', () => {
  it('given Aurous configs with and without team_id when spend is read then BillingAccountId is the team_id, else aurous', async () => {
    const KEY = 'al_live_e2e_accounts_team_3c4d5e';
    const first = Date.UTC(2026, 5, 1) / 1000;
    const aurous = new FakeAurous({ firstTime: first, endTime: first + 5 * DAY, apiKey: KEY, users: 3, models: 2 });
    await aurous.start();
    try {
      const readSpend = async (extra: Record<string, unknown>) => {
        const f = files({
          'c.json': {
            api_key: KEY,
            start_date: iso(first),
            end_date: iso(first + 2 * DAY),
            base_url: aurous.baseUrl,
            focus: { credit_usd_rate: '0.01' },
            ...extra,
          },
          'cat.json': catalog([{ name: 'spend', mode: 'incremental' }]),
        });
        const r = await run(BINS.aurous, ['read', '--config', f['c.json'] as string, '--catalog', f['cat.json'] as string]);
        expect(r.code, JSON.stringify(errors(r.messages))).toBe(0);
        const rows = records(r.messages, 'spend');
        expect(rows.length).toBeGreaterThan(0);
        return new Set(rows.map((x) => `${x.BillingAccountId}|${x.BillingAccountName}`));
      };
      expect(await readSpend({ team_id: 'team_research' })).toEqual(new Set(['team_research|Aurous Labs team']));
      expect(await readSpend({})).toEqual(new Set(['aurous|Aurous Labs team']));
      // focus.billing_account_id still wins as the label.
      expect(await readSpend({ team_id: 'team_research', focus: { credit_usd_rate: '0.01', billing_account_id: 'Research' } })).toEqual(
        new Set(['Research|Aurous Labs team']),
      );
    } finally {
      await aurous.stop();
    }
  });
});
