import { rng, shortHash } from './random.js';
import { FakeServer, presentedKey, type JsonReply, type LoggedRequest } from './server.js';

/**
 * A fake of xAI's Management API (shared/reference/openrouter-xai-fireworks.md section 2), unkind by
 * default, reproducing the reference's list of what a connector must survive (2.8):
 *
 * - `Authorization: Bearer <management key>`; another key 401; an inference key (`xai-...`, the key of
 *   the other host, api.x.ai) 403, the stricter of "401 or 403"; the team in the path: another team
 *   404; a management key of another team (`otherTeams`) 403 or 404 (`otherTeamStatus`, default 403).
 *   Error bodies are grpc-gateway's `{"code","message","details"}` and ECHO the team and the presented
 *   key (a billing error body "can echo account details"), a 400 too: the connector must never let them through;
 * - GET /auth/management-keys/validation: `{"scope":"SCOPE_TEAM","scopeId":<the key's team>}`;
 * - POST /v1/billing/teams/{team}/usage with a strict AnalyzeBillingItemsRequest: the `analyticsRequest`
 *   wrapper, times `YYYY-MM-DD HH:MM:SS` (ISO `T..Z` only with `isoTimes`, [UNKNOWN] upstream), a
 *   timezone required (any IANA zone; an offset or an unknown name is a 400), `timeUnit` the prefixed
 *   enum (TIME_UNIT_DAY; the fake serves days only), `values` objects with a prefixed aggregation (a
 *   bare string is a 400), groupBy among api_key_id and description, filters `[NOT ]api_key_id:<id>`
 *   only; anything else 400. endTime is exclusive, both times at midnight of the zone, at most
 *   `maxDays` days (400 beyond);
 * - dense series: every series with money anywhere in the range has a data point on every day,
 *   zeros included; `timestamp` RFC 3339 in UTC, the instant of the bucket's local midnight (for
 *   America/New_York `...T04:00:00Z`, `T05:00:00Z` in winter; every line of the ledger has an instant
 *   in its UTC day, `at`, that decides its local day); amounts are doubles in dollars with up to 10
 *   decimals, from integer ticks of 1e-10 USD; series in a shuffled order;
 * - `limitReached: true` with an arbitrary subset of the series above `cap` series; when false the
 *   flag is omitted from about half the answers (proto3 default; `limitFlags` counts each form);
 *   order and subset are a function of the query;
 * - GET /auth/teams/{team}/api-keys: `{"apiKeys":[...]}`, `disabled` a bool or a string, `tpm` an
 *   int64 string, default fields omitted, one item carrying an `apiKey` (never to be copied); keys
 *   whose usage is in the ledger but that are not listed (deleted since: `deletedKeys`);
 * - GET /v1/billing/teams/{team}/invoices (`since.year`/`since.month`, `billingCycle.year`/`.month` or
 *   `invoiceIds.invoiceIds`; none is a 400): one monthly invoice per month, cents as int64 strings, a
 *   zero tax omitted, status PAID (FAILED for one), PENDING for the current month; lines per
 *   description whose cents are the month's dollars ROUNDED (half up): the sum of the daily usd
 *   differs from the invoice by a few cents, the rounding gap (docs/xai.md). With `invoiceDetails`
 *   (default; off in the kit's small fake, whose output is a fixture): lines priced in units
 *   (`unitPrice` in 1/1,000,000 cents x `numUnits` = `amount`, rounded), zero int64 fields omitted,
 *   `chargerAttempts` (an unsuccessful attempt omits `successful`), `firstDesiredNextCycleTs` (the 3rd
 *   of the next month: the closed month stays PENDING until then, then PAID), PDF and CSV suffixes, and
 *   on the ledger's first month a correction (`correctionsCsvAssetKeySuffix` and a negative line), and an
 *   `Embeddings` line with nothing billed (its zero `numUnits` and `amount` omitted);
 * - GET /v1/billing/teams/{team}/postpaid/invoice/preview (the current month so far, `totalWithCorr`,
 *   `prepaidCredits`, `prepaidCreditsUsed` as `{val}`, `effectiveSpendingLimit` an int64 string) and
 *   GET .../postpaid/spending-limits (every limit a `{val}`; `hardSlOverride` absent);
 * - once at the start: an HTML 502 from a gateway on the usage path and an HTML 504 on the invoices
 *   path (`gatewayOnce`), and a 429 with Retry-After (`throttleOnce`).
 *
 * A negative line (`Promotional credit`, every `creditEvery`-th day, on the first key) is not in the
 * reference (UNCONFIRMED upstream): it exercises FOCUS `Credit` rows.
 */
export const DAY = 86_400;
/** 1 USD in the fake's integer unit: 1e-10 USD (xAI's own tick, xai_sdk cost.py). */
export const TICKS_PER_USD = 10_000_000_000n;
export const CREDIT_LINE = 'Promotional credit';
const DESCRIPTIONS = ['Chat grok-4-0709', 'Chat grok-3-mini', 'Image grok-imagine', 'grok-voice-think-fast-2.0', 'Search'];
const TIME = /^(\d{4})-(\d{2})-(\d{2}) (\d{2}):(\d{2}):(\d{2})$/;
const ISO_TIME = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2}):(\d{2})Z$/;
/** An IANA zone name (`America/New_York`, `Etc/UTC`); Intl decides whether it exists. An offset (`+01:00`) is not one. */
const ZONE_NAME = /^[A-Za-z][A-Za-z0-9_+-]*(\/[A-Za-z0-9_+-]+)*$/;

/**
 * What each billing line is priced in on an invoice (`invoiceDetails`): the unit and the price per unit in
 * 1/1,000,000 USD cents (the proto's `unitPrice`). Made up: the live units and prices are not in the reference.
 */
const PRICES: Record<string, { unitType: string; unitPrice: bigint }> = {
  'Chat grok-4-0709': { unitType: 'tokens', unitPrice: 600n },
  'Chat grok-3-mini': { unitType: 'tokens', unitPrice: 40n },
  'Image grok-imagine': { unitType: 'images', unitPrice: 2_000_000n },
  'grok-voice-think-fast-2.0': { unitType: 'seconds', unitPrice: 83_333n },
  Search: { unitType: 'sources', unitPrice: 2_500_000n },
};
/** A credit or a correction: whole cents, the price negative. */
const CENT_PRICE = { unitType: 'cents', unitPrice: -1_000_000n };
/** The correction on the invoice of the ledger's first month (`invoiceDetails`), in cents. */
export const CORRECTION_CENTS = -125n;
export const CORRECTION_LINE = 'Billing correction';
/** An invoice line with no usage (`invoiceDetails`): its zero numUnits and amount are omitted. */
export const ZERO_LINE = 'Embeddings';

export interface XaiFakeOptions {
  /** First day with usage (unix seconds, a UTC midnight) and the number of days. */
  firstDay: number;
  days: number;
  /** The management key accepted. */
  key: string;
  team?: string;
  seed?: number;
  /** API keys listed (default 4) and keys with usage that are no longer listed (default 1). */
  keys?: number;
  deletedKeys?: number;
  /** Most series one answer holds before limitReached (default 24). */
  cap?: number;
  /** Longest range one query may ask for, in days (default 92). */
  maxDays?: number;
  /** Accept ISO 8601 `T..Z` times too (default false: the stricter reading). */
  isoTimes?: boolean;
  gatewayOnce?: boolean;
  throttleOnce?: boolean;
  /** A negative `Promotional credit` line every n-th day (0: none; default 7). */
  creditEvery?: number;
  /** Chance that a (key, description) has usage on a day (default 0.3). */
  density?: number;
  /** The clock (milliseconds) that decides the current month of invoices and the ledger (default Date.now). */
  now?: () => number;
  /** Management keys of other teams (key -> team): valid keys, refused on this team's paths. */
  otherTeams?: Record<string, string>;
  /** What a key of another team gets on this team's paths: 403 (default) or 404 (the reference has both). */
  otherTeamStatus?: 403 | 404;
  /** Invoices with priced lines, omitted zero fields, charger attempts, due dates, suffixes and a correction (default true). */
  invoiceDetails?: boolean;
  /** The soft spending limit in cents (the preview's `effectiveSpendingLimit`, default 5000). */
  spendingLimitCents?: number;
}

/** One line of the ledger: a day, a key and a description, in ticks (1e-10 USD). */
export interface LedgerLine {
  day: number;
  /** The instant (unix seconds, within the UTC day) the usage happened: what decides its day in another timezone. */
  at: number;
  apiKeyId: string;
  description: string;
  ticks: bigint;
}

export interface FakeKey {
  apiKeyId: string;
  name: string;
  redacted: string;
  listed: boolean;
}

/** Ticks as an exact decimal string of dollars ("7597372500" -> "0.75973725"). */
export function ticksToUsd(ticks: bigint): string {
  const neg = ticks < 0n;
  const abs = neg ? -ticks : ticks;
  const int = abs / TICKS_PER_USD;
  const frac = (abs % TICKS_PER_USD).toString().padStart(10, '0').replace(/0+$/, '');
  const body = frac ? `${int}.${frac}` : `${int}`;
  return neg && body !== '0' ? `-${body}` : body;
}

class BadRequest extends Error {}

export class FakeXai extends FakeServer {
  readonly team: string;
  readonly keys: FakeKey[];
  readonly ledger: LedgerLine[] = [];
  readonly cap: number;
  private readonly o: XaiFakeOptions;
  /** Invoice status overrides by invoice id (a test turns PENDING into PAID). */
  readonly statusOf = new Map<string, string>();

  constructor(o: XaiFakeOptions) {
    super((req) => this.route(req));
    this.o = o;
    this.team = o.team ?? 'team-4f1c2a9e';
    this.cap = o.cap ?? 24;
    const random = rng(o.seed ?? 27);
    const listed = o.keys ?? 4;
    const deleted = o.deletedKeys ?? 1;
    this.keys = Array.from({ length: listed + deleted }, (_, i) => {
      const apiKeyId = `${shortHash(`key${i}:${o.seed ?? 27}`, 8)}-${shortHash(`k${i}`, 4)}-4${shortHash(`x${i}`, 3)}`;
      const tail = shortHash(`tail${i}`, 4);
      return { apiKeyId, name: i === 1 ? 'Équipe données' : `key-${i}`, redacted: `xai-...${tail}`, listed: i < listed };
    });
    // Unkind from the first request: a gateway's HTML 502, then a 429 (both retried by a connector).
    if (o.gatewayOnce !== false) {
      this.fault({
        path: '/usage',
        fault: { kind: 'status', status: 502, body: '<html><body><h1>502 Bad Gateway</h1></body></html>', contentType: 'text/html' },
      });
      this.fault({
        path: '/invoices',
        fault: {
          kind: 'status',
          status: 504,
          body: '<html><head><title>504 Gateway Time-out</title></head><body>gateway</body></html>',
          contentType: 'text/html',
        },
      });
    }
    if (o.throttleOnce !== false) {
      const body = JSON.stringify({ code: 8, message: `rate limit exceeded for team ${this.team}`, details: [] });
      this.fault({ path: '/usage', after: o.gatewayOnce !== false ? 1 : 0, fault: { kind: 'status', status: 429, body, headers: { 'retry-after': '1' } } });
    }
    const density = o.density ?? 0.3;
    const creditEvery = o.creditEvery ?? 7;
    for (let d = 0; d < o.days; d++) {
      const day = o.firstDay + d * DAY;
      for (const k of this.keys) {
        for (const description of DESCRIPTIONS) {
          if (random() >= density) continue;
          // Up to $5 in ticks, often with all ten decimals.
          const ticks = BigInt(Math.floor(random() * 5e10)) + 1n;
          this.ledger.push({ day, at: instantIn(day, `${k.apiKeyId}|${description}`), apiKeyId: k.apiKeyId, description, ticks });
        }
      }
      const first = this.keys[0];
      if (creditEvery > 0 && d % creditEvery === creditEvery - 1 && first) {
        const ticks = -BigInt(Math.floor(random() * 1e10)) - 1n;
        this.ledger.push({ day, at: instantIn(day, CREDIT_LINE), apiKeyId: first.apiKeyId, description: CREDIT_LINE, ticks });
      }
    }
  }

  get baseUrl(): string {
    return this.url;
  }

  /** The ledger's lines of [start, end), by day, key and description. */
  linesIn(start: number, end: number): LedgerLine[] {
    return this.ledger.filter((l) => l.day >= start && l.day < end);
  }

  /** How each answer to a usage query that was not capped carried `limitReached`: `false`, or omitted (proto3's default). */
  readonly limitFlags = { sent: 0, omitted: 0 };

  private route(req: LoggedRequest): JsonReply {
    const key = presentedKey(req);
    const keyTeam = key === this.o.key ? this.team : key === undefined ? undefined : this.o.otherTeams?.[key];
    if (keyTeam === undefined) {
      if (key?.startsWith('xai-')) return this.error(403, 7, `Management API: the key ${key} is an inference API key; it has no access to team ${this.team}`);
      return this.error(401, 16, `Invalid management key ${key ?? '(none)'}`);
    }
    if (req.path === '/auth/management-keys/validation' && req.method === 'GET') {
      return { status: 200, body: { scope: 'SCOPE_TEAM', scopeId: keyTeam } };
    }
    const m = /^\/(v1\/billing|auth)\/teams\/([^/]+)\/(usage|invoices|api-keys|prepaid\/balance|postpaid\/invoice\/preview|postpaid\/spending-limits)$/.exec(
      req.path,
    );
    if (!m) return this.error(404, 5, `no route ${req.method} ${req.path}`);
    const team = decodeURIComponent(m[2] ?? '');
    if (team === this.team && keyTeam !== this.team) {
      const status = this.o.otherTeamStatus ?? 403;
      return this.error(status, status === 403 ? 7 : 5, `management key ${key} of team ${keyTeam} has no access to team ${team}`);
    }
    if (team !== this.team) return this.error(404, 5, `team ${team} not found for management key ${key}`);
    const what = `${m[1]}/${m[3]}`;
    if (what === 'v1/billing/usage' && req.method === 'POST') return this.usage(req, key ?? '');
    if (what === 'v1/billing/invoices' && req.method === 'GET') return this.invoices(req);
    if (what === 'auth/api-keys' && req.method === 'GET') return this.apiKeys();
    if (what === 'v1/billing/prepaid/balance' && req.method === 'GET') return { status: 200, body: this.prepaidLedger() };
    if (what === 'v1/billing/postpaid/invoice/preview' && req.method === 'GET') return { status: 200, body: this.invoicePreview() };
    if (what === 'v1/billing/postpaid/spending-limits' && req.method === 'GET') return { status: 200, body: this.spendingLimits() };
    return this.error(404, 5, `no route ${req.method} ${req.path}`);
  }

  private error(status: number, code: number, message: string): JsonReply {
    return { status, body: { code, message, details: [] } };
  }

  private usage(req: LoggedRequest, key: string): JsonReply {
    let q: ReturnType<FakeXai['parseUsage']>;
    try {
      q = this.parseUsage(req.body ?? '');
    } catch (err) {
      // The message echoes the account (team and key), as a billing error body may.
      if (err instanceof BadRequest) return this.error(400, 3, `${err.message} (team ${this.team}, management key ${key})`);
      throw err;
    }
    const buckets = (q.end - q.start) / DAY;
    // A line's local day: the wall-clock midnight of its instant in the requested zone (its UTC day in UTC).
    const localDay = (l: LedgerLine): number => Math.floor((l.at + zoneOffset(q.zone, l.at)) / DAY) * DAY;
    const lines = this.ledger.filter((l) => {
      if (!q.keep(l.apiKeyId)) return false;
      const d = localDay(l);
      return d >= q.start && d < q.end;
    });
    const groups = new Map<string, { group: string[]; labels: string[]; ticks: Map<number, bigint> }>();
    for (const l of lines) {
      const group = q.groupBy.map((g) => (g === 'api_key_id' ? l.apiKeyId : l.description));
      const id = JSON.stringify(group);
      let s = groups.get(id);
      if (!s) {
        const labels = q.groupBy.map((g) => (g === 'api_key_id' ? this.label(l.apiKeyId) : l.description));
        groups.set(id, (s = { group, labels, ticks: new Map() }));
      }
      const d = localDay(l);
      s.ticks.set(d, (s.ticks.get(d) ?? 0n) + l.ticks);
    }
    // The order (and a capped subset) differs from query to query, the same for the same query: reads stay reproducible.
    const random = rng(Number.parseInt(shortHash(req.body ?? '', 8), 16) ^ (this.o.seed ?? 27));
    let series = [...groups.values()];
    for (let i = series.length - 1; i > 0; i--) {
      const j = Math.floor(random() * (i + 1));
      [series[i], series[j]] = [series[j] as (typeof series)[number], series[i] as (typeof series)[number]];
    }
    const limitReached = series.length > this.cap;
    if (limitReached) series = series.slice(0, Math.max(1, Math.floor(this.cap * random())));
    const timeSeries = series.map((s) => ({
      group: s.group,
      groupLabels: s.labels,
      dataPoints: Array.from({ length: buckets }, (_, i) => {
        const day = q.start + i * DAY;
        const ticks = s.ticks.get(day) ?? 0n;
        // The bucket's local midnight as an instant, in UTC: shifted by the zone's offset (none in UTC).
        const instant = wallToUtc(day, q.zone);
        // The double a JSON encoder writes: dollars from exact ticks (at most 11 significant digits: the text is exact).
        return { timestamp: new Date(instant * 1000).toISOString().replace('.000Z', 'Z'), values: [Number(ticksToUsd(ticks))] };
      }),
    }));
    const body: Record<string, unknown> = { timeSeries };
    if (limitReached) body.limitReached = true;
    else if (random() < 0.5) {
      body.limitReached = false;
      this.limitFlags.sent += 1;
    } else this.limitFlags.omitted += 1;
    return { status: 200, body };
  }

  private label(apiKeyId: string): string {
    const k = this.keys.find((x) => x.apiKeyId === apiKeyId);
    return k ? `${k.name} (${k.redacted})` : apiKeyId;
  }

  /** The query of a usage body; `start` and `end` are wall-clock times of `zone` (as if UTC), `end` not included. */
  private parseUsage(text: string): { start: number; end: number; zone: string; groupBy: string[]; keep: (apiKeyId: string) => boolean } {
    let body: unknown;
    try {
      body = JSON.parse(text);
    } catch {
      throw new BadRequest('invalid JSON body');
    }
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObj(body) || Object.keys(body).join() !== 'analyticsRequest' || !isObj(body.analyticsRequest)) {
      throw new BadRequest('the body must be {"analyticsRequest": {...}}');
    }
    const r = body.analyticsRequest;
    const known = new Set(['timeRange', 'timeUnit', 'values', 'groupBy', 'filters']);
    for (const k of Object.keys(r)) if (!known.has(k)) throw new BadRequest(`unknown field "${k}" in analyticsRequest`);
    const tr = r.timeRange;
    if (!isObj(tr)) throw new BadRequest('timeRange is required');
    if (typeof tr.timezone !== 'string' || tr.timezone === '') throw new BadRequest('timeRange.timezone is required (an IANA time zone)');
    if (!ZONE_NAME.test(tr.timezone) || !knownZone(tr.timezone)) {
      throw new BadRequest(`timeRange.timezone ${JSON.stringify(tr.timezone)} is not an IANA time zone identifier (e.g. America/New_York)`);
    }
    const start = this.time(tr.startTime, 'startTime');
    const end = this.time(tr.endTime, 'endTime');
    if (start % DAY !== 0 || end % DAY !== 0) throw new BadRequest('day buckets need times at midnight (of the timezone)');
    if (end <= start) throw new BadRequest('endTime must be after startTime (endTime is not included)');
    if ((end - start) / DAY > (this.o.maxDays ?? 92)) throw new BadRequest(`the time range exceeds ${this.o.maxDays ?? 92} days`);
    if (r.timeUnit !== 'TIME_UNIT_DAY') throw new BadRequest(`invalid value for enum TimeUnit: ${JSON.stringify(r.timeUnit)}`);
    const values = r.values;
    if (!Array.isArray(values) || values.length !== 1 || !isObj(values[0])) throw new BadRequest('values must be a list of {name, aggregation} objects');
    if (values[0].name !== 'usd' || values[0].aggregation !== 'AGGREGATION_SUM') {
      throw new BadRequest(`unsupported value ${JSON.stringify(values[0])}: usd with AGGREGATION_SUM`);
    }
    const groupBy = r.groupBy ?? [];
    if (!Array.isArray(groupBy) || groupBy.some((g) => g !== 'api_key_id' && g !== 'description'))
      throw new BadRequest(`unknown groupBy ${JSON.stringify(groupBy)}`);
    const filters = r.filters ?? [];
    if (!Array.isArray(filters)) throw new BadRequest('filters must be a list of strings');
    const only: string[] = [];
    const not: string[] = [];
    for (const f of filters) {
      const fm = typeof f === 'string' ? /^(NOT )?api_key_id:(\S+)$/.exec(f) : null;
      if (!fm) throw new BadRequest(`unsupported filter ${JSON.stringify(f)}`);
      (fm[1] ? not : only).push(fm[2] as string);
    }
    // Filters combine with AND.
    const keep = (id: string): boolean => only.every((x) => x === id) && !not.includes(id);
    return { start, end, zone: tr.timezone, groupBy: groupBy as string[], keep };
  }

  private time(v: unknown, name: string): number {
    const m = typeof v === 'string' ? (TIME.exec(v) ?? (this.o.isoTimes ? ISO_TIME.exec(v) : null)) : null;
    if (!m) throw new BadRequest(`timeRange.${name} must be in the format YYYY-MM-DD HH:MM:SS, got ${JSON.stringify(v)}`);
    return Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3]), Number(m[4]), Number(m[5]), Number(m[6])) / 1000;
  }

  private apiKeys(): JsonReply {
    const apiKeys = this.keys
      .filter((k) => k.listed)
      .map((k, i) => {
        const item: Record<string, unknown> = {
          apiKeyId: k.apiKeyId,
          name: k.name,
          redactedApiKey: k.redacted,
          teamId: this.team,
          userId: `user-${shortHash(k.name, 6)}`,
          createTime: '2026-01-15T10:00:00Z',
          modifyTime: '2026-02-01T08:30:00.123Z',
          aclStrings: ['api-key:model:*', 'api-key:endpoint:*'],
        };
        if (i === 0) item.apiKey = `xai-${shortHash('secret-value', 40)}`; // a key the API should never list: never copied
        if (i === 1) item.disabled = 'false';
        if (i === 2) item.disabled = true;
        if (i === 3) Object.assign(item, { qps: 10, qpm: 600, tpm: '100000', expireTime: '2027-01-01T00:00:00Z' });
        return item;
      });
    return { status: 200, body: { apiKeys } };
  }

  /** The ledger's lines by UTC month (`YYYY-MM`), in month order. */
  private months(): Array<[string, LedgerLine[]]> {
    const months = new Map<string, LedgerLine[]>();
    for (const l of this.ledger) {
      const ym = monthOf(l.day);
      months.set(ym, [...(months.get(ym) ?? []), l]);
    }
    return [...months].sort(([a], [b]) => a.localeCompare(b));
  }

  /**
   * An invoice's lines from the month's lines, one per description: the month's dollars ROUNDED half up to
   * cents. With `invoiceDetails`, priced: `numUnits` of the description's unit (the month's ticks over the unit
   * price, rounded) and `amount` = numUnits x unitPrice (1/1,000,000 cents) rounded to cents; a zero int64 is omitted.
   */
  private invoiceLines(lines: LedgerLine[], correction: boolean): Array<Record<string, unknown>> {
    const byDescription = new Map<string, bigint>();
    for (const l of lines) byDescription.set(l.description, (byDescription.get(l.description) ?? 0n) + l.ticks);
    if (this.o.invoiceDetails === false) {
      return [...byDescription].map(([description, ticks]) => {
        const cents = roundHalfUp(ticks, 100_000_000n);
        return { clusterName: 'us-east-1', description, unitType: 'USD', unitPrice: '100000000', numUnits: '1', amount: cents.toString() };
      });
    }
    const priced = [...byDescription].map(([description, ticks]) => {
      const { unitType, unitPrice } = PRICES[description] ?? CENT_PRICE;
      // 1/1,000,000 cent = 100 ticks.
      const numUnits = roundHalfUp(ticks < 0n ? -ticks : ticks, (unitPrice < 0n ? -unitPrice : unitPrice) * 100n);
      return proto3({ clusterName: 'us-east-1', description, unitType, unitPrice, numUnits, amount: roundHalfUp(numUnits * unitPrice, 1_000_000n) });
    });
    // A line of the cycle with nothing to bill: proto3 omits its zero `numUnits` and `amount`.
    priced.push(proto3({ clusterName: 'us-east-1', description: ZERO_LINE, unitType: 'tokens', unitPrice: 10n, numUnits: 0n, amount: 0n }));
    if (correction) {
      const numUnits = -CORRECTION_CENTS;
      priced.push(proto3({ clusterName: 'us-east-1', description: CORRECTION_LINE, ...CENT_PRICE, numUnits, amount: CORRECTION_CENTS }));
    }
    return priced;
  }

  /** The monthly invoices from `since` on (or of one billing cycle, or by id); cents per description, each the month's dollars rounded half up. */
  invoiceList(sinceYear: number, sinceMonth: number, nowS = (this.o.now ?? Date.now)() / 1000): Array<Record<string, unknown>> {
    const current = monthOf(nowS);
    const details = this.o.invoiceDetails !== false;
    const out: Array<Record<string, unknown>> = [];
    const all = this.months();
    for (const [ym, lines] of all) {
      const [y, m] = ym.split('-').map(Number) as [number, number];
      if (y < sinceYear || (y === sinceYear && m < sinceMonth)) continue;
      const corrected = details && ym === all[0]?.[0] && ym < current;
      const invoiceLines = this.invoiceLines(lines, corrected);
      const subtotal = invoiceLines.reduce((s, l) => s + BigInt(String(l.amount ?? '0')), 0n);
      const invoiceId = `inv-${shortHash(`${this.team}${ym}`, 10)}`;
      // Charged on the 3rd of the next month: until then a closed month is still PENDING (with invoiceDetails).
      const due = Date.UTC(y, m, 3) / 1000;
      const failed = out.length === 1;
      const closedStatus = failed ? 'FAILED' : details && nowS < due ? 'PENDING' : 'PAID';
      const status = this.statusOf.get(invoiceId) ?? (ym === current ? 'PENDING' : closedStatus);
      const invoice: Record<string, unknown> = {
        teamId: this.team,
        invoiceId,
        invoiceNumber: `XAI-${ym.replace('-', '')}-${shortHash(ym, 4).toUpperCase()}`,
        createTime: `${ym}-01T00:00:00Z`,
        invoiceStatus: status,
        lines: invoiceLines,
        subtotal: subtotal.toString(),
        total: subtotal.toString(),
        monthly: { billingCycle: { year: y, month: m } },
      };
      if (details) {
        const monthly = invoice.monthly as Record<string, unknown>;
        if (subtotal === 0n) {
          delete invoice.subtotal;
          delete invoice.total;
        }
        if (ym !== current) {
          invoice.firstDesiredNextCycleTs = new Date(due * 1000).toISOString().replace('.000Z', 'Z');
          invoice.invoicePdfAssetKeySuffix = `${invoiceId}.pdf`;
          monthly.billingItemsCsvAssetKeySuffix = `${invoiceId}-items.csv`;
          // An unsuccessful attempt: `successful` false is omitted (proto3).
          if (status === 'PAID') invoice.chargerAttempts = [{ ticket: 1, successful: true, paymentMethodId: 'pm-card-4242' }];
          if (status === 'FAILED') invoice.chargerAttempts = [{ ticket: 1, paymentMethodId: 'pm-card-4242' }];
        }
        // A Cent set to zero: an empty object.
        monthly.defaultCreditsIssued = {};
        if (corrected) monthly.correctionsCsvAssetKeySuffix = `${invoiceId}-corrections.csv`;
      }
      out.push(invoice);
    }
    return out;
  }

  /**
   * GET .../postpaid/invoice/preview: the current month so far (the ledger's days up to today), priced as an
   * invoice; `prepaidCredits` the available credit (the ledger's total, inverted back), `prepaidCreditsUsed`
   * what of it pays the month, `totalWithCorr` the month with corrections (none): Cents; the rest int64 strings.
   */
  invoicePreview(nowS = (this.o.now ?? Date.now)() / 1000): Record<string, unknown> {
    const current = monthOf(nowS);
    const lines = this.ledger.filter((l) => monthOf(l.day) === current && l.day <= nowS);
    const coreLines = this.invoiceLines(lines, false);
    const amount = coreLines.reduce((s, l) => s + BigInt(String(l.amount ?? '0')), 0n);
    const credit = -BigInt(this.prepaidLedger(nowS).total.val);
    const used = credit <= 0n ? 0n : amount < credit ? amount : credit;
    const [year, month] = current.split('-').map(Number) as [number, number];
    return proto3({
      coreInvoice: proto3({
        lines: coreLines,
        amountBeforeVat: amount,
        vatCost: 0n,
        amountAfterVat: amount,
        autoCreditsIssued: 0n,
        defaultCreditsIssued: 0n,
        totalWithCorr: { val: amount.toString() },
        prepaidCredits: { val: credit.toString() },
        prepaidCreditsUsed: { val: used.toString() },
      }),
      effectiveSpendingLimit: BigInt(this.o.spendingLimitCents ?? 5000),
      defaultCredits: 0n,
      billingCycle: { year, month },
    });
  }

  /** GET .../postpaid/spending-limits: every limit a Cent; no override (absent); the soft limit set. */
  spendingLimits(): Record<string, unknown> {
    const soft = String(this.o.spendingLimitCents ?? 5000);
    return { spendingLimits: { hardSlAuto: { val: '100000' }, effectiveHardSl: { val: '100000' }, softSl: { val: soft }, effectiveSl: { val: soft } } };
  }

  /**
   * The inverted prepaid ledger (XR §2.3): a $1000 purchase on the first of every month (`-100000`), the
   * month's spend posted at cycle close (its invoice subtotal, positive, with spendBpKeyYear/Month), a
   * pending top-up of $20 (TO_CHARGE) left out of `total`; `total` the available credit, negative.
   */
  prepaidLedger(nowS = (this.o.now ?? Date.now)() / 1000): { changes: Array<Record<string, unknown>>; total: { val: string } } {
    const changes: Array<Record<string, unknown>> = [];
    const now = new Date(nowS * 1000);
    const current = now.getUTCFullYear() * 12 + now.getUTCMonth();
    for (const inv of this.invoiceList(2000, 1, nowS)) {
      const { year, month } = (inv.monthly as { billingCycle: { year: number; month: number } }).billingCycle;
      const first = `${year}-${String(month).padStart(2, '0')}-01T00:00:00Z`;
      changes.push({
        teamId: this.team,
        changeOrigin: 'PURCHASE',
        topupStatus: 'SUCCEEDED',
        amount: { val: '-100000' },
        invoiceId: `top-${year}${month}`,
        createTime: first,
      });
      if (year * 12 + month - 1 < current) {
        const close = new Date(Date.UTC(year, month, 1)).toISOString().replace('.000Z', 'Z');
        changes.push({
          teamId: this.team,
          changeOrigin: 'SPEND',
          amount: { val: String(inv.subtotal ?? '0') },
          createTime: close,
          spendBpKeyYear: year,
          spendBpKeyMonth: month,
        });
      }
    }
    const total = changes.reduce((sum, c) => sum + BigInt((c.amount as { val: string }).val), 0n);
    const last = String(changes.at(-1)?.createTime ?? '2026-01-01T00:00:00Z');
    changes.push({
      teamId: this.team,
      changeOrigin: 'PURCHASE',
      topupStatus: 'TO_CHARGE',
      amount: { val: '-2000' },
      createTime: `${last.slice(0, 8)}15T12:00:00Z`,
    });
    return { changes, total: { val: total.toString() } };
  }

  /** One filter of ListInvoicesReq (a oneof): `since`, `billingCycle` or `invoiceIds`; none or a bad one is a 400. */
  private invoices(req: LoggedRequest): JsonReply {
    const cycle = (prefix: string): [number, number] | null => {
      const year = Number(req.query.get(`${prefix}.year`));
      const month = Number(req.query.get(`${prefix}.month`));
      return Number.isInteger(year) && Number.isInteger(month) && month >= 1 && month <= 12 && year >= 2000 ? [year, month] : null;
    };
    const since = cycle('since');
    const one = cycle('billingCycle');
    const ids = req.query.getAll('invoiceIds.invoiceIds');
    if ([since, one, ids.length > 0 ? ids : null].filter((f) => f !== null).length !== 1) {
      return this.error(400, 3, `exactly one of billingCycle, since or invoiceIds is required (team ${this.team})`);
    }
    if (since) return { status: 200, body: { invoices: this.invoiceList(since[0], since[1]) } };
    const all = this.invoiceList(2000, 1);
    const invoices = one
      ? all.filter((i) => {
          const c = (i.monthly as { billingCycle: { year: number; month: number } }).billingCycle;
          return c.year === one[0] && c.month === one[1];
        })
      : all.filter((i) => ids.includes(String(i.invoiceId)));
    return { status: 200, body: { invoices } };
  }
}

/** `YYYY-MM` of a unix time, in UTC. */
function monthOf(t: number): string {
  const d = new Date(t * 1000);
  return `${d.getUTCFullYear()}-${String(d.getUTCMonth() + 1).padStart(2, '0')}`;
}

/** proto3 JSON of a message: an int64 as a string, a zero int64 omitted (a default value). */
function proto3(fields: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(fields)) {
    if (typeof v === 'bigint') {
      if (v !== 0n) out[k] = v.toString();
    } else out[k] = v;
  }
  return out;
}

/** A line's instant within its UTC day, from its identity (not the ledger's random stream: the amounts stay as they were). */
function instantIn(day: number, what: string): number {
  return day + (Number.parseInt(shortHash(`${day}|${what}`, 8), 16) % DAY);
}

const UTC_ZONES = new Set(['Etc/UTC', 'UTC', 'Etc/GMT', 'GMT', 'Etc/UCT', 'UCT', 'Etc/Universal', 'Etc/Zulu']);
const formats = new Map<string, Intl.DateTimeFormat>();

function knownZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

/** The offset of an IANA zone at an instant, in seconds (wall clock = instant + offset). */
function zoneOffset(zone: string, t: number): number {
  if (UTC_ZONES.has(zone)) return 0;
  let f = formats.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formats.set(zone, f);
  }
  const parts = Object.fromEntries(f.formatToParts(new Date(t * 1000)).map((p) => [p.type, Number(p.value)]));
  const wall = Date.UTC(parts.year ?? 0, (parts.month ?? 1) - 1, parts.day ?? 1, parts.hour ?? 0, parts.minute ?? 0, parts.second ?? 0) / 1000;
  return wall - t;
}

/** The instant of a wall-clock time of a zone (given as if it were UTC). */
export function wallToUtc(wall: number, zone: string): number {
  const guess = wall - zoneOffset(zone, wall);
  return wall - zoneOffset(zone, guess);
}

/** ticks / unit rounded half away from zero. */
function roundHalfUp(ticks: bigint, unit: bigint): bigint {
  const neg = ticks < 0n;
  const abs = neg ? -ticks : ticks;
  const q = (abs + unit / 2n) / unit;
  return neg ? -q : q;
}
