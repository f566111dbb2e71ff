import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DAY, FakeXai, ticksToUsd } from '../fake/xai.js';

/**
 * The fake xAI Management API itself over real HTTP (it is also `npm run fake-api -- --provider xai`):
 * what the reference's list (shared/reference/openrouter-xai-fireworks.md 2.8) asks of it that the
 * connector never asks for: key validation, other timezones, the invoice preview, spending limits,
 * the invoice filters, and keys of other teams and of the other host.
 */
const KEY = 'mgmt-fake-test-1f2e3d';
const OTHER = 'mgmt-fake-other-9a8b7c';
const TEAM = 'team-fake-2b3c';
const JUNE = Date.UTC(2026, 5, 1) / 1000;
const NOW = Date.UTC(2026, 6, 20, 12); // 2026-07-20T12:00Z
let fake: FakeXai;

beforeAll(async () => {
  fake = new FakeXai({
    firstDay: JUNE,
    days: 60,
    key: KEY,
    team: TEAM,
    gatewayOnce: false,
    throttleOnce: false,
    otherTeams: { [OTHER]: 'team-other' },
    now: () => NOW,
  });
  await fake.start();
});
afterAll(() => fake.stop());

async function get(path: string, key = KEY): Promise<{ status: number; body: Record<string, unknown> }> {
  const r = await fetch(`${fake.baseUrl}${path}`, { headers: { authorization: `Bearer ${key}` } });
  return { status: r.status, body: (await r.json()) as Record<string, unknown> };
}

const usageBody = (startTime: string, endTime: string, timezone: string) =>
  JSON.stringify({
    analyticsRequest: {
      timeRange: { startTime, endTime, timezone },
      timeUnit: 'TIME_UNIT_DAY',
      values: [{ name: 'usd', aggregation: 'AGGREGATION_SUM' }],
      groupBy: [],
      filters: [],
    },
  });

interface Usage {
  timeSeries: Array<{ dataPoints: Array<{ timestamp: string; values: number[] }> }>;
}

async function usage(server: FakeXai, body: string): Promise<{ status: number; body: Usage & Record<string, unknown> }> {
  const r = await fetch(`${server.baseUrl}/v1/billing/teams/${server.team}/usage`, { method: 'POST', headers: { authorization: `Bearer ${KEY}` }, body });
  return { status: r.status, body: (await r.json()) as Usage & Record<string, unknown> };
}

/** The ledger's dollars per local day of a fixed offset (seconds), computed from each line's instant. */
function byLocalDay(server: FakeXai, offset: number, from: number, to: number): string[] {
  const out: string[] = [];
  for (let d = from; d < to; d += DAY) {
    const ticks = server.ledger.filter((l) => Math.floor((l.at + offset) / DAY) * DAY === d).reduce((s, l) => s + l.ticks, 0n);
    out.push(ticksToUsd(ticks));
  }
  return out;
}

describe('fake xAI: keys, hosts and teams', () => {
  it('given a management key when the validation endpoint is asked then it names the key scope and its team, for a key of another team its own', async () => {
    expect(await get('/auth/management-keys/validation')).toEqual({ status: 200, body: { scope: 'SCOPE_TEAM', scopeId: TEAM } });
    expect(await get('/auth/management-keys/validation', OTHER)).toEqual({ status: 200, body: { scope: 'SCOPE_TEAM', scopeId: 'team-other' } });
  });

  it('given an inference key, an unknown key and a key of another team when a team path is asked then 403, 401 and 403, the bodies echoing the account', async () => {
    const path = `/v1/billing/teams/${TEAM}/prepaid/balance`;
    const inference = await get(path, 'xai-inference-abc');
    expect([inference.status, inference.body.code]).toEqual([403, 7]);
    expect(String(inference.body.message)).toContain('xai-inference-abc');
    expect((await get(path, 'mgmt-nobody')).status).toBe(401);
    const other = await get(path, OTHER);
    expect(other.status).toBe(403);
    expect(String(other.body.message)).toContain(OTHER);
    expect((await get('/v1/billing/teams/team-nope/prepaid/balance')).status).toBe(404);
  });
});

describe('fake xAI: usage in other timezones', () => {
  it('given America/New_York and Asia/Kolkata when usage is asked then buckets start at local midnights, stamped in UTC, and hold the local days of the ledger', async () => {
    const utc = await usage(fake, usageBody('2026-06-10 00:00:00', '2026-06-13 00:00:00', 'Etc/UTC'));
    const ny = await usage(fake, usageBody('2026-06-10 00:00:00', '2026-06-13 00:00:00', 'America/New_York'));
    const kolkata = await usage(fake, usageBody('2026-06-10 00:00:00', '2026-06-13 00:00:00', 'Asia/Kolkata'));
    const points = (u: Usage) => u.timeSeries[0]?.dataPoints ?? [];
    expect(points(utc.body).map((p) => p.timestamp)).toEqual(['2026-06-10T00:00:00Z', '2026-06-11T00:00:00Z', '2026-06-12T00:00:00Z']);
    expect(points(ny.body).map((p) => p.timestamp)).toEqual(['2026-06-10T04:00:00Z', '2026-06-11T04:00:00Z', '2026-06-12T04:00:00Z']);
    expect(points(kolkata.body).map((p) => p.timestamp)).toEqual(['2026-06-09T18:30:00Z', '2026-06-10T18:30:00Z', '2026-06-11T18:30:00Z']);
    const from = Date.UTC(2026, 5, 10) / 1000;
    const dollars = (u: Usage) => points(u).map((p) => ticksToUsd(BigInt(Math.round((p.values[0] ?? 0) * 1e10))));
    expect(dollars(utc.body)).toEqual(byLocalDay(fake, 0, from, from + 3 * DAY));
    expect(dollars(ny.body)).toEqual(byLocalDay(fake, -4 * 3600, from, from + 3 * DAY));
    expect(dollars(kolkata.body)).toEqual(byLocalDay(fake, 5.5 * 3600, from, from + 3 * DAY));
    expect(dollars(ny.body)).not.toEqual(dollars(utc.body));
  });

  it('given a range over the start of daylight saving time in New York when usage is asked then the UTC stamps move from 05:00 to 04:00', async () => {
    const march = new FakeXai({ firstDay: Date.UTC(2026, 2, 1) / 1000, days: 20, key: KEY, gatewayOnce: false, throttleOnce: false });
    await march.start();
    try {
      const r = await usage(march, usageBody('2026-03-07 00:00:00', '2026-03-10 00:00:00', 'America/New_York'));
      expect(r.body.timeSeries[0]?.dataPoints.map((p) => p.timestamp)).toEqual(['2026-03-07T05:00:00Z', '2026-03-08T05:00:00Z', '2026-03-09T04:00:00Z']);
    } finally {
      await march.stop();
    }
  });

  it('given a timezone that is an offset or no zone, or an ISO time, when usage is asked then 400 (ISO times only with isoTimes)', async () => {
    expect((await usage(fake, usageBody('2026-06-10 00:00:00', '2026-06-11 00:00:00', '+01:00'))).status).toBe(400);
    expect((await usage(fake, usageBody('2026-06-10 00:00:00', '2026-06-11 00:00:00', 'Mars/Olympus'))).status).toBe(400);
    expect((await usage(fake, usageBody('2026-06-10T00:00:00Z', '2026-06-11T00:00:00Z', 'Etc/UTC'))).status).toBe(400);
    const lenient = new FakeXai({ firstDay: JUNE, days: 20, key: KEY, gatewayOnce: false, throttleOnce: false, isoTimes: true });
    await lenient.start();
    try {
      expect((await usage(lenient, usageBody('2026-06-10T00:00:00Z', '2026-06-11T00:00:00Z', 'Etc/UTC'))).status).toBe(200);
    } finally {
      await lenient.stop();
    }
  });

  it('given a query grouped by description when usage is asked then every series is dense: a point per day, zeros included', async () => {
    const body = JSON.parse(usageBody('2026-06-01 00:00:00', '2026-06-21 00:00:00', 'Etc/UTC'));
    body.analyticsRequest.groupBy = ['api_key_id', 'description'];
    const r = await usage(fake, JSON.stringify(body));
    expect(r.body.timeSeries.length).toBeGreaterThan(5);
    expect(r.body.timeSeries.every((s) => s.dataPoints.length === 20)).toBe(true);
    expect(r.body.timeSeries.some((s) => s.dataPoints.some((p) => p.values[0] === 0))).toBe(true);
  });
});

describe('fake xAI: preview, spending limits and invoice filters', () => {
  it('given the month so far when the invoice preview is asked then it is priced like an invoice, Cents as {val}, int64 as strings, zeros omitted', async () => {
    const { status, body } = await get(`/v1/billing/teams/${TEAM}/postpaid/invoice/preview`);
    expect(status).toBe(200);
    const core = body.coreInvoice as Record<string, unknown>;
    const lines = core.lines as Array<{ amount?: string }>;
    const amount = lines.reduce((s, l) => s + BigInt(l.amount ?? '0'), 0n).toString();
    expect(core.amountBeforeVat).toBe(amount);
    expect(core.amountAfterVat).toBe(amount);
    expect('vatCost' in core).toBe(false);
    expect(core.totalWithCorr).toEqual({ val: amount });
    const credit = (-BigInt(fake.prepaidLedger(NOW / 1000).total.val)).toString();
    expect(core.prepaidCredits).toEqual({ val: credit });
    expect(core.prepaidCreditsUsed).toEqual({ val: BigInt(amount) < BigInt(credit) ? amount : credit });
    expect(body.effectiveSpendingLimit).toBe('5000');
    expect('defaultCredits' in body).toBe(false);
    expect(body.billingCycle).toEqual({ year: 2026, month: 7 });
    // The month so far: the ledger's July days up to the clock, within a few cents.
    const ticks = fake.ledger.filter((l) => l.day >= Date.UTC(2026, 6, 1) / 1000 && l.day <= NOW / 1000).reduce((s, l) => s + l.ticks, 0n);
    expect(Math.abs(Number(BigInt(amount) * 100_000_000n - ticks)) / 1e8).toBeLessThan(lines.length * 2);
  });

  it('given the team when spending limits are asked then every limit is a Cent and the staff override is absent', async () => {
    expect(await get(`/v1/billing/teams/${TEAM}/postpaid/spending-limits`)).toEqual({
      status: 200,
      body: { spendingLimits: { hardSlAuto: { val: '100000' }, effectiveHardSl: { val: '100000' }, softSl: { val: '5000' }, effectiveSl: { val: '5000' } } },
    });
  });

  it('given the filters of ListInvoicesReq when invoices are asked then billingCycle gives one month, invoiceIds those ids, and none or two filters a 400', async () => {
    const june = await get(`/v1/billing/teams/${TEAM}/invoices?billingCycle.year=2026&billingCycle.month=6`);
    const invoices = june.body.invoices as Array<Record<string, unknown>>;
    expect(invoices.map((i) => i.monthly)).toMatchObject([{ billingCycle: { year: 2026, month: 6 } }]);
    const id = String(invoices[0]?.invoiceId);
    const byId = await get(`/v1/billing/teams/${TEAM}/invoices?invoiceIds.invoiceIds=${id}`);
    expect((byId.body.invoices as Array<Record<string, unknown>>).map((i) => i.invoiceId)).toEqual([id]);
    expect((await get(`/v1/billing/teams/${TEAM}/invoices`)).status).toBe(400);
    expect((await get(`/v1/billing/teams/${TEAM}/invoices?since.year=2026&since.month=6&billingCycle.year=2026&billingCycle.month=6`)).status).toBe(400);
  });
});
