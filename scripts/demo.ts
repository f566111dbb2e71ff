/**
 * npm run demo: the whole warehouse job in under a minute, with no API key, for two providers.
 *
 * 1. Starts the fake OpenAI admin API and the fake Anthropic Admin API (test/fake) on 127.0.0.1, each
 *    with a seeded organization and 120 days of spend up to today.
 * 2. `source-openai-costs sync` and `source-anthropic-costs sync` load every stream of both into one
 *    demo.duckdb (each connector in its own schema; `focus_spend` holds both providers' FOCUS rows).
 * 3. The OpenAI sync again: only the lookback days are re-read and nothing is duplicated.
 * 4. Checks that focus_spend's BilledCost per provider equals that provider's own cost table to the
 *    cent (exactly, in fact), and that Anthropic's two money tables (cost_report and analytics_cost)
 *    and its focus_spend rows hold the same days and the same total (the fake serves one ledger;
 *    spend takes each day from one of them), and fails if not.
 * 5. `report` writes demo-report.html, showing both providers.
 *
 * Both outputs are gitignored. Its configs live in a temporary folder, removed at the end (the fakes'
 * ports are random). It ends with commands to do the same by hand against `npm run fake-api`, whose
 * ports and keys are those of examples/config.json and examples/anthropic/config.json (BY_HAND).
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DuckDBInstance } from '@duckdb/node-api';
import { FakeAnthropic } from '../test/fake/anthropic.js';
import { DAY, FakeOpenAi } from '../test/fake/openai.js';

const ROOT = fileURLToPath(new URL('../', import.meta.url));
const BINS = { openai: join(ROOT, 'dist/providers/openai/main.js'), anthropic: join(ROOT, 'dist/providers/anthropic/main.js') };
type Provider = keyof typeof BINS;
const DB = join(ROOT, 'demo.duckdb');
const HTML = join(ROOT, 'demo-report.html');
const DAYS = 120;
/**
 * The same job by hand, each line as typed in the checkout: the two fakes (each in its own terminal)
 * the examples' configs point at, both syncs into one file, the report. test/e2e/demo.test.ts runs them.
 */
const BY_HAND = [
  'npm run fake-api',
  'npm run fake-api -- --provider anthropic',
  'node dist/providers/openai/main.js sync --config examples/config.json --db fake.duckdb',
  'node dist/providers/anthropic/main.js sync --config examples/anthropic/config.json --db fake.duckdb',
  'node dist/providers/openai/main.js report --db fake.duckdb --out report.html',
] as const;

const bold = process.stderr.isTTY === true;
const say = (text: string): void => void process.stderr.write(bold ? `\n\x1b[1m${text}\x1b[0m\n` : `\n${text}\n`);
/** A path as typed from the current directory when it is under it, else absolute. */
const shown = (p: string): string => {
  const r = relative(process.cwd(), p);
  return r === '' || r.startsWith('..') ? p : r;
};

/** Runs one connector, printing the command (its temporary config shown as such: it is removed at the end). */
function cli(provider: Provider, args: string[]): Promise<number> {
  const arg = (a: string): string => (a.startsWith(tmp) ? `<temporary ${provider} config>` : a.startsWith('/') ? shown(a) : a);
  process.stderr.write(`$ node ${shown(BINS[provider])} ${args.map(arg).join(' ')}\n`);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [BINS[provider], ...args], { stdio: ['ignore', 'inherit', 'inherit'] });
    child.on('error', reject);
    child.on('close', (code) => resolve(code ?? 1));
  });
}

/** Per provider: focus_spend's BilledCost beside the provider's own cost table, exact decimal sums; and Anthropic's money tables side by side. */
async function reconcile(db: string): Promise<{
  providers: Array<{ provider: string; focus: string; own: string }>;
  anthropic: Array<{ table: string; total: string; days: string }>;
}> {
  const instance = await DuckDBInstance.create(db, { access_mode: 'READ_ONLY' });
  const c = await instance.connect();
  try {
    const sum = async (sql: string): Promise<string> => String((await c.runAndReadAll(sql)).getRowObjects()[0]?.t ?? 'none');
    const dec = (col: string): string => `CAST(coalesce(sum(CAST(CAST(${col} AS VARCHAR) AS DECIMAL(38,12))), 0) AS VARCHAR)`;
    const span = async (sql: string): Promise<string> => {
      const row = (await c.runAndReadAll(sql)).getRowObjects()[0];
      return `${String(row?.first ?? 'none').slice(0, 10)}..${String(row?.last ?? 'none').slice(0, 10)} (${String(row?.n ?? 0)} days)`;
    };
    const anthropic = [
      {
        table: 'cost_report',
        total: await sum(`SELECT ${dec('amount_usd')} AS t FROM anthropic.cost_report`),
        days: await span('SELECT min(date) AS first, max(date) AS last, count(DISTINCT date) AS n FROM anthropic.cost_report'),
      },
      {
        table: 'analytics_cost',
        total: await sum(`SELECT ${dec('amount_usd')} AS t FROM anthropic.analytics_cost`),
        days: await span('SELECT min(date) AS first, max(date) AS last, count(DISTINCT date) AS n FROM anthropic.analytics_cost'),
      },
      {
        table: 'focus_spend',
        total: await sum(`SELECT ${dec('BilledCost')} AS t FROM focus_spend WHERE ServiceProviderName = 'Anthropic'`),
        days: await span(
          "SELECT min(CAST(ChargePeriodStart AS DATE)) AS first, max(CAST(ChargePeriodStart AS DATE)) AS last, count(DISTINCT CAST(ChargePeriodStart AS DATE)) AS n FROM focus_spend WHERE ServiceProviderName = 'Anthropic'",
        ),
      },
    ];
    const providers = [
      {
        provider: 'OpenAI',
        focus: await sum(`SELECT ${dec('BilledCost')} AS t FROM focus_spend WHERE ServiceProviderName = 'OpenAI'`),
        own: await sum(`SELECT ${dec('amount_value')} AS t FROM openai.costs`),
      },
      {
        provider: 'Anthropic',
        focus: await sum(`SELECT ${dec('BilledCost')} AS t FROM focus_spend WHERE ServiceProviderName = 'Anthropic'`),
        own: await sum(`SELECT ${dec('amount_usd')} AS t FROM anthropic.cost_report`),
      },
    ];
    return { providers, anthropic };
  } finally {
    c.closeSync();
    instance.closeSync();
  }
}

const today = Math.floor(Date.now() / 1000 / DAY) * DAY;
const firstDay = today - (DAYS - 1) * DAY;
const startDate = new Date(firstDay * 1000).toISOString().slice(0, 10);
// Without the tests' planted amounts (a $12,345.68 line item on the first day would flatten every chart).
const openai = new FakeOpenAi({ firstDay, days: DAYS, projects: 6, lineItems: 15, seed: 2025, emptyEvery: 0, users: 40, plantedAmounts: false });
const anthropic = new FakeAnthropic({ firstDay, days: DAYS });
const started = Date.now();
const tmp = mkdtempSync(join(tmpdir(), 'demo-'));
await openai.start();
await anthropic.start();
try {
  const dir = tmp;
  const configs = { openai: join(dir, 'openai.json'), anthropic: join(dir, 'anthropic.json') };
  writeFileSync(configs.openai, JSON.stringify({ admin_api_key: openai.org.adminKey, start_date: startDate, base_url: openai.baseUrl }, null, 2));
  writeFileSync(configs.anthropic, JSON.stringify({ admin_api_key: anthropic.org.adminKey, start_date: startDate, base_url: anthropic.baseUrl }, null, 2));
  for (const f of [DB, `${DB}.wal`, `${DB}.lock`, HTML]) rmSync(f, { force: true });
  say(
    `1/4 Fake OpenAI admin API on ${openai.baseUrl} (${openai.org.projects.length} projects, ${openai.org.lineItems.length} line items) and fake Anthropic Admin API on ${anthropic.baseUrl}, ${DAYS} days up to today`,
  );
  say('2/4 sync every stream of both into demo.duckdb, then OpenAI again (incremental: only the lookback days are re-read)');
  for (const [provider, config] of [
    ['openai', configs.openai],
    ['anthropic', configs.anthropic],
    ['openai', configs.openai],
  ] as const) {
    const code = await cli(provider, ['sync', '--config', config, '--db', DB]);
    if (code !== 0) throw new Error(`${provider} sync exited with ${code}`);
  }
  say("3/4 focus_spend against each provider's own cost table");
  const checked = await reconcile(DB);
  for (const r of checked.providers) {
    const same = r.focus === r.own && r.focus !== 'none';
    process.stderr.write(`  ${r.provider}: focus_spend ${r.focus} USD, own table ${r.own} USD: ${same ? 'equal' : 'DIFFERENT'}\n`);
    if (!same) throw new Error(`focus_spend does not equal ${r.provider}'s own total`);
  }
  // Anthropic's two money APIs over the same days: one ledger, so one total (spend took each day from one of them).
  const [first] = checked.anthropic;
  const agree = checked.anthropic.every((a) => a.total === first?.total && a.days === first?.days && a.total !== 'none');
  process.stderr.write(
    `  Anthropic money tables: ${checked.anthropic.map((a) => `${a.table} ${a.total} USD over ${a.days}`).join(', ')}: ${agree ? 'equal' : 'DIFFERENT'}\n`,
  );
  if (!agree) throw new Error("Anthropic's cost_report, analytics_cost and focus_spend do not agree over the same days");
  say('4/4 report');
  const code = await cli('openai', ['report', '--db', DB, '--out', HTML]);
  if (code !== 0) throw new Error(`report exited with ${code}`);
  say(`Done in ${((Date.now() - started) / 1000).toFixed(1)} s. Open ${shown(HTML)} in a browser; query ${shown(DB)} with DuckDB, e.g.`);
  process.stderr.write(
    `  SELECT ServiceProviderName, CAST(ChargePeriodStart AS DATE) AS day, sum(BilledCost) AS usd FROM focus_spend GROUP BY ALL ORDER BY day DESC LIMIT 14;\n`,
  );
  say('The same by hand, in this checkout: start the two fakes (each in its own terminal; Ctrl-C stops them), then sync and report');
  process.stderr.write(BY_HAND.map((line) => `  ${line}\n`).join(''));
} catch (err) {
  process.stderr.write(`demo failed: ${(err as Error).message}\n`);
  process.exitCode = 1;
} finally {
  await openai.stop();
  await anthropic.stop();
  rmSync(tmp, { recursive: true, force: true });
}
