import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { Warehouse } from '../../connector/warehouse/db.js';
import { EXIT, WarehouseError } from '../../connector/warehouse/exit-codes.js';
import { checkFocusView, FOCUS_DECIMAL_COLUMNS, refreshFocusView } from '../../connector/warehouse/focus.js';
import { plainDecimal } from '../support/warehouse.js';

/**
 * focus_spend's typed columns (issue 24): cost, price and quantity columns are DECIMAL(38,24) and
 * hold every digit of the exact strings in the spend tables, or fail loudly; the loader's
 * bookkeeping columns are x_AccountId and x_ExtractedAt in the view and keep their names in the tables.
 */

const AWKWARD = [
  '99999999999999.999999999999999999999999', // the largest value: 14 integer and 24 decimal digits
  '-99999999999999.999999999999999999999999', // the smallest
  '0.000000000000000000000001', // the smallest step
  '-0.000000000000000000000001',
  '0.00000012', // OpenAI's 1.2e-7, written out
  '0.00000012345678901234567', // a double with 17 significant digits below a micro-dollar (1.2345678901234567e-7)
  '0.000018000000000000002', // a float sum as OpenAI sends it (1.8000000000000002e-5)
  '1234.56789012345', // Anthropic cents "123456.789012345" moved to dollars
  '-42.1', // a credit
  '0',
  '-0',
  '12345678901234', // 14 integer digits, no point
  '0.1000', // trailing zeros, as a provider may send them
];

let db: Warehouse;
beforeEach(async () => {
  db = await Warehouse.open(':memory:');
  await db.run('CREATE SCHEMA p');
  await db.run('CREATE TABLE p._connector_state (stream VARCHAR)');
  const money = FOCUS_DECIMAL_COLUMNS.map((c) => `"${c}" VARCHAR`).join(', ');
  await db.run(
    `CREATE TABLE p.spend ("x_RecordId" VARCHAR, ${money}, "ChargePeriodStart" TIMESTAMPTZ, "x_Note" VARCHAR, "_account_id" VARCHAR, "_extracted_at" TIMESTAMPTZ)`,
  );
});
afterEach(() => db.close());

async function insert(values: ReadonlyArray<string | null>): Promise<void> {
  for (const [i, v] of values.entries()) {
    const cells = FOCUS_DECIMAL_COLUMNS.map(() => '?');
    await db.run(`INSERT INTO p.spend VALUES (?, ${cells.join(', ')}, TIMESTAMPTZ '2026-01-01 00:00:00+00', 'n', 'acct', now())`, [
      `r${i}`,
      ...FOCUS_DECIMAL_COLUMNS.map(() => v),
    ]);
  }
}

describe('focus_spend typed as FOCUS reads it', () => {
  it('given the most awkward amounts (largest, smallest step, 1e-7 style, 17 significant digits, negative, zero) when read through the view then every decimal column is DECIMAL(38,24) and holds every digit of the exact string', async () => {
    await insert([...AWKWARD, null]);
    expect(await refreshFocusView(db)).toEqual(['p']);
    const types = await db.columns('focus_spend');
    for (const c of FOCUS_DECIMAL_COLUMNS) expect(types.get(c), c).toBe('DECIMAL(38,24)');
    const rows = await db.rows(
      `SELECT x_RecordId AS k, ${FOCUS_DECIMAL_COLUMNS.map((c) => `CAST("${c}" AS VARCHAR) AS "${c}"`).join(', ')} FROM focus_spend ORDER BY CAST(substr(x_RecordId, 2) AS INTEGER)`,
    );
    expect(rows).toHaveLength(AWKWARD.length + 1);
    for (const [i, v] of AWKWARD.entries()) {
      for (const c of FOCUS_DECIMAL_COLUMNS) expect(plainDecimal(String(rows[i]?.[c])), `${c} ${v}`).toBe(plainDecimal(v));
    }
    for (const c of FOCUS_DECIMAL_COLUMNS) expect(rows[AWKWARD.length]?.[c], 'null stays null').toBeNull();
    // Sums are exact DECIMAL sums, no cast needed.
    const [sum] = await db.rows("SELECT CAST(sum(BilledCost) AS VARCHAR) AS s FROM focus_spend WHERE x_RecordId IN ('r4', 'r5', 'r6', 'r8')");
    expect(plainDecimal(String(sum?.s))).toBe('-42.09998175654321098765233');
    // The table keeps the strings exactly as written.
    const [raw] = await db.rows("SELECT BilledCost AS b FROM p.spend WHERE x_RecordId = 'r12'");
    expect(raw?.b).toBe('0.1000');
    await expect(checkFocusView(db, 'p')).resolves.toBeUndefined();
  });

  it('given the loader columns _account_id and _extracted_at when the view is built then they are x_AccountId and x_ExtractedAt in it, no column starts with _, and the table keeps its names', async () => {
    await insert(['1']);
    await refreshFocusView(db);
    const view = [...(await db.columns('focus_spend')).entries()];
    const table = [...(await db.columns('spend', 'p')).entries()];
    const renamed: Record<string, string> = { _account_id: 'x_AccountId', _extracted_at: 'x_ExtractedAt' };
    expect(view.map(([n]) => n)).toEqual(table.map(([n]) => renamed[n] ?? n));
    expect(view.filter(([n]) => n.startsWith('_'))).toEqual([]);
    expect(Object.fromEntries(view.filter(([n]) => n.startsWith('x_')))).toEqual({
      x_RecordId: 'VARCHAR',
      x_Note: 'VARCHAR',
      x_AccountId: 'VARCHAR',
      x_ExtractedAt: 'TIMESTAMP WITH TIME ZONE',
    });
    expect(table.map(([n]) => n)).toContain('_account_id');
    expect(await db.rows('SELECT x_AccountId AS a FROM focus_spend')).toEqual([{ a: 'acct' }]);
  });

  it.each([
    ['more than 24 decimals', '0.0000000000000000000000001'],
    ['more than 14 integer digits', '100000000000000'],
    ['an exponent (DuckDB would read 1e-30 as 0)', '1e-30'],
    ['not a number', '12,5'],
  ])(
    'given a spend value with %s when focus_spend is read then the query fails naming the column and the value, never a rounded number',
    async (_what, bad) => {
      await insert(['1.5', bad]);
      await refreshFocusView(db);
      const message = `focus_spend: BilledCost of p.spend does not fit DECIMAL(38,24) exactly (a plain decimal of at most 14 integer and 24 decimal digits): ${bad}; the exact text is in p.spend.`;
      await expect(db.rows('SELECT BilledCost FROM focus_spend')).rejects.toThrow(message);
      const err = await checkFocusView(db, 'p').then(
        () => null,
        (e: unknown) => e,
      );
      expect(err).toBeInstanceOf(WarehouseError);
      expect((err as WarehouseError).message).toBe(message);
      expect((err as WarehouseError).exitCode).toBe(EXIT.partial);
      // The exact string is still in the table.
      expect(await db.rows("SELECT BilledCost AS b FROM p.spend WHERE x_RecordId = 'r1'")).toEqual([{ b: bad }]);
    },
  );

  it('given a spend table of an earlier version without some decimal columns when the view is built then the columns it has are typed and the rest are absent', async () => {
    await db.run('CREATE SCHEMA q');
    await db.run('CREATE TABLE q._connector_state (stream VARCHAR)');
    await db.run('CREATE TABLE q.spend ("x_RecordId" VARCHAR, "BilledCost" VARCHAR, "_account_id" VARCHAR)');
    await db.run("INSERT INTO q.spend VALUES ('q1', '7.25', 'other')");
    await insert(['2']);
    expect((await refreshFocusView(db)).sort()).toEqual(['p', 'q']);
    const rows = await db.rows(
      "SELECT CAST(BilledCost AS VARCHAR) AS b, CAST(ListCost AS VARCHAR) AS l, x_AccountId AS a FROM focus_spend WHERE x_RecordId = 'q1'",
    );
    expect(rows).toEqual([{ b: '7.250000000000000000000000', l: null, a: 'other' }]);
    await expect(checkFocusView(db, 'q')).resolves.toBeUndefined();
  });
});
