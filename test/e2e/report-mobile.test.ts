import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { FakeAnthropic } from '../fake/anthropic.js';
import { DAY, FakeOpenAi } from '../fake/openai.js';
import { FakeXai } from '../fake/xai.js';
import { bundledChromium } from '../support/chromium.js';
import { BINS } from '../support/cli.js';
import { runCli } from '../support/warehouse.js';

/**
 * Issue 25, point 12: the report at phone width. Opened in the headless Chromium the report tests use
 * (test/support/chromium.ts) at a 390 px wide viewport, with every closed "Table" section opened, no
 * element is wider than the viewport: the page never scrolls sideways (wide tables scroll inside
 * their own box).
 */
const KEY = 'sk-admin-fake-0123456789abcdef';
const ANTHROPIC_KEY = 'sk-ant-admin01-E2E-MOBILE-0a1b2c3d4e';
const XAI_KEY = 'mgmt-e2e-mobile-5f4e3d2c1b';
const XAI_TEAM = 'team-e2e-mobile';
const TODAY = Math.floor(Date.now() / 1000 / DAY) * DAY;
const FIRST = TODAY - 69 * DAY;
const iso = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);

let fake: FakeOpenAi;
let anthropic: FakeAnthropic;
let xai: FakeXai;
let dir: string;
let context: BrowserContext;
let profile: string;
beforeAll(async () => {
  fake = new FakeOpenAi({ firstDay: FIRST, days: 70, projects: 12, lineItems: 9, adminKey: KEY });
  await fake.start();
  // Anthropic from 3 days ago only: its month over month reads "incomplete: no data for Anthropic in ...", the widest cells.
  anthropic = new FakeAnthropic({ firstDay: TODAY - 3 * DAY, days: 4, adminKey: ANTHROPIC_KEY });
  await anthropic.start();
  // xAI over the same 70 days: its monthly invoices give the report's "Invoices against daily usage" table.
  xai = new FakeXai({ firstDay: FIRST, days: 70, key: XAI_KEY, team: XAI_TEAM });
  await xai.start();
  dir = mkdtempSync(join(tmpdir(), 'report-mobile-'));
  profile = mkdtempSync(join(tmpdir(), 'chromium-profile-'));
  const browser = await bundledChromium();
  context = await chromium.launchPersistentContext(profile, {
    executablePath: browser.executablePath,
    env: browser.env,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 390, height: 844 },
    deviceScaleFactor: 1,
  });
}, 120_000);
afterAll(async () => {
  await context?.close();
  await fake?.stop();
  await anthropic?.stop();
  await xai?.stop();
  for (const d of [dir, profile]) if (d) rmSync(d, { recursive: true, force: true });
});

/** What sticks out of a 390 px page: the document's scroll width, and the elements wider than the viewport. */
async function overflowOf(html: string): Promise<{ scrollWidth: number; wide: string[] }> {
  const page = context.pages()[0] ?? (await context.newPage());
  await page.goto(pathToFileURL(html).href);
  // Browser-side code as text (the tests are type-checked without the DOM library).
  await page.evaluate("for (const d of document.querySelectorAll('details')) d.open = true");
  return page.evaluate(`(() => {
    const vw = document.documentElement.clientWidth;
    const wide = [];
    for (const el of document.querySelectorAll('body *')) {
      const r = el.getBoundingClientRect();
      // An element inside a box that scrolls on its own may be wider: that box is what must fit.
      if (el.parentElement && el.parentElement.closest('.scroll')) continue;
      if (r.right > vw + 0.5 || r.left < -0.5) wide.push(el.tagName.toLowerCase() + (el.id ? '#' + el.id : '') + ' ' + Math.round(r.left) + '..' + Math.round(r.right));
    }
    return { scrollWidth: document.documentElement.scrollWidth, wide };
  })()`);
}

describe('report at phone width', () => {
  it('given a report of three providers, one with invoices, when it is opened at a 390 px wide viewport then no element is wider than the viewport, the page does not scroll sideways and the provider table fits as labelled rows', async () => {
    const db = join(dir, 'spend.duckdb');
    const openai = join(dir, 'openai.json');
    writeFileSync(openai, JSON.stringify({ admin_api_key: KEY, start_date: iso(FIRST), base_url: fake.baseUrl }));
    const s1 = await runCli(BINS.openai, ['sync', '--config', openai, '--db', db, '--streams', 'costs,spend,projects']);
    expect(s1.code, s1.stderr).toBe(0);
    const claude = join(dir, 'anthropic.json');
    writeFileSync(claude, JSON.stringify({ admin_api_key: ANTHROPIC_KEY, start_date: iso(TODAY - 3 * DAY), base_url: anthropic.baseUrl }));
    const s2 = await runCli(BINS.anthropic, ['sync', '--config', claude, '--db', db, '--streams', 'cost_report,spend,workspaces']);
    expect(s2.code, s2.stderr).toBe(0);
    const grok = join(dir, 'xai.json');
    writeFileSync(grok, JSON.stringify({ management_key: XAI_KEY, team_id: XAI_TEAM, start_date: iso(FIRST), base_url: xai.baseUrl }));
    const s3 = await runCli(BINS.xai, ['sync', '--config', grok, '--db', db, '--streams', 'spend,invoices']);
    expect(s3.code, s3.stderr).toBe(0);
    const out = join(dir, 'report.html');
    const r = await runCli(BINS.openai, ['report', '--db', db, '--out', out]);
    expect(r.code, r.stderr).toBe(0);
    const html = readFileSync(out, 'utf8');
    expect(html).toMatch(/<tr data-provider="Anthropic">[\s\S]*?incomplete: no data for Anthropic/);
    expect(html).toMatch(/<table id="invoices">[\s\S]*?<td[^>]*>xAI</);

    const { scrollWidth, wide } = await overflowOf(out);
    expect(wide).toEqual([]);
    expect(scrollWidth).toBeLessThanOrEqual(390);
    // The provider table itself fits (no box to scroll), each cell labelled with its column's name.
    const page = context.pages()[0] ?? (await context.newPage());
    const table = await page.evaluate(`(() => {
      const t = document.querySelector('#providers');
      const cell = t.querySelector('tbody tr td:nth-child(6)');
      return { width: t.getBoundingClientRect().width, scroller: t.closest('.scroll') !== null, label: getComputedStyle(cell, '::before').content };
    })()`);
    expect(table).toEqual({ width: 390 - 24, scroller: false, label: '"Change"' });
  });
});
