import { SPEND_STREAM } from '../engine/focus/focus.js';
import type { Warehouse } from './db.js';
import { WarehouseError, EXIT } from './exit-codes.js';
import { ACCOUNT_COLUMN, EXTRACTED_AT, ident, literal, qualified, STATE_TABLE } from './schema.js';

/**
 * `focus_spend`: one view over the `spend` table (FOCUS 1.3 rows) of every connector that synced
 * into this file, so OpenAI, Anthropic and Aurous rows land side by side (docs/focus.md). The
 * per-connector tables stay the truth, with the exact decimal strings the stream emitted: the view
 * holds no rows, is rebuilt by every sync (a new connector, a new column), and unions by column
 * name, so each connector's x_ columns are null in the others' rows.
 *
 * The view is typed as FOCUS reads it (docs/warehouse.md): every cost, price and quantity column is
 * DECIMAL(38,24) (FOCUS Decimal, sum it as it is), and the loader's bookkeeping columns are custom
 * columns with the x_ prefix FOCUS asks for: `_account_id` is x_AccountId, `_extracted_at`
 * x_ExtractedAt. A value that DECIMAL(38,24) cannot hold exactly (more than 14 integer or 24
 * decimal digits, or not a plain decimal) is never rounded: reading it fails with a message
 * naming the column and the value (see FOCUS_DECIMAL).
 */
const FOCUS_VIEW = 'focus_spend';

/**
 * The type of focus_spend's cost, price and quantity columns. 24 decimals hold every digit the
 * APIs send: Anthropic's cents strings moved to dollars (their digits + 2), OpenAI's doubles in
 * their shortest round-trip form down to 1e-7 (at most 17 significant digits: 23 decimals), and
 * the exact products the spend stream makes of them (per-million-token prices and quantities).
 * 14 integer digits hold 99 trillion dollars or tokens in one row, and in a sum of rows.
 */
const FOCUS_DECIMAL = { width: 38, scale: 24 } as const;
const INTEGER_DIGITS = FOCUS_DECIMAL.width - FOCUS_DECIMAL.scale;
const FOCUS_DECIMAL_TYPE = `DECIMAL(${FOCUS_DECIMAL.width},${FOCUS_DECIMAL.scale})`;

/** The FOCUS 1.3 cost, price and quantity columns (FOCUS Decimal) the view types as FOCUS_DECIMAL_TYPE, where a spend table has them. */
export const FOCUS_DECIMAL_COLUMNS = [
  'BilledCost',
  'CommitmentDiscountQuantity',
  'ContractedCost',
  'ContractedUnitPrice',
  'EffectiveCost',
  'ListCost',
  'ListUnitPrice',
  'PricingCurrencyContractedUnitPrice',
  'PricingCurrencyEffectiveCost',
  'PricingCurrencyListUnitPrice',
  'PricingQuantity',
  'ConsumedQuantity',
] as const;

/** The view's names for the loader's bookkeeping columns (the tables keep theirs). */
const FOCUS_RENAMED: Readonly<Record<string, string>> = { [ACCOUNT_COLUMN]: 'x_AccountId', [EXTRACTED_AT]: 'x_ExtractedAt' };

/**
 * SQL for one spend column as FOCUS_DECIMAL_TYPE: the exact value, or a query error when the text
 * is not a plain decimal or has more digits than the type holds (DuckDB would round the decimals
 * silently, and read "1e-30" as 0).
 */
function decimalColumnSql(column: string, table: string): string {
  const text = `CAST(${ident(column)} AS VARCHAR)`;
  const digits = `ltrim(${text}, '-')`;
  const fraction = `length(rtrim(split_part(${digits}, '.', 2), '0'))`;
  const integer = `length(ltrim(split_part(${digits}, '.', 1), '0'))`;
  const message = literal(
    `focus_spend: ${column} of ${table} does not fit ${FOCUS_DECIMAL_TYPE} exactly (a plain decimal of at most ${INTEGER_DIGITS} integer and ${FOCUS_DECIMAL.scale} decimal digits): `,
  );
  return `CASE WHEN ${ident(column)} IS NULL THEN NULL
    WHEN NOT regexp_full_match(${text}, '-?[0-9]+(\\.[0-9]+)?') OR ${fraction} > ${FOCUS_DECIMAL.scale} OR ${integer} > ${INTEGER_DIGITS}
      THEN error(${message} || ${text} || '; the exact text is in ' || ${literal(table)} || '.')
    ELSE CAST(${text} AS ${FOCUS_DECIMAL_TYPE}) END`;
}

/** One spend table as the view's SELECT: decimals typed, bookkeeping columns renamed, every other column as it is. */
function spendSelectSql(schema: string, columns: Iterable<string>): string {
  const have = new Set(columns);
  const table = `${schema}.${SPEND_STREAM}`;
  const replace = FOCUS_DECIMAL_COLUMNS.filter((c) => have.has(c)).map((c) => `${decimalColumnSql(c, table)} AS ${ident(c)}`);
  const rename = Object.entries(FOCUS_RENAMED)
    .filter(([from]) => have.has(from))
    .map(([from, to]) => `${ident(from)} AS ${ident(to)}`);
  return (
    `SELECT *${replace.length > 0 ? ` REPLACE (${replace.join(',\n  ')})` : ''}${rename.length > 0 ? ` RENAME (${rename.join(', ')})` : ''}` +
    ` FROM ${qualified(schema, SPEND_STREAM)}`
  );
}

/** The connector schemas (those with a _connector_state) that hold a spend table. */
async function spendTables(db: Warehouse): Promise<string[]> {
  const all = await db.allTables();
  const withState = new Set(all.filter((t) => t.table === STATE_TABLE && t.schema !== 'main').map((t) => t.schema));
  return all.filter((t) => t.table === SPEND_STREAM && withState.has(t.schema)).map((t) => t.schema);
}

/** Create or replace main.focus_spend over every connector's spend table; drop it when there is none. Returns the schemas it covers. */
export async function refreshFocusView(db: Warehouse): Promise<string[]> {
  const schemas = await spendTables(db);
  if (schemas.length === 0) {
    await db.run(`DROP VIEW IF EXISTS main.${ident(FOCUS_VIEW)}`);
    return [];
  }
  const selects: string[] = [];
  for (const s of schemas) selects.push(spendSelectSql(s, (await db.columns(SPEND_STREAM, s)).keys()));
  await db.run(`CREATE OR REPLACE VIEW main.${ident(FOCUS_VIEW)} AS ${selects.join('\nUNION ALL BY NAME\n')}`);
  return schemas;
}

/**
 * Read every decimal column of one connector's rows in focus_spend, so a value the view cannot
 * hold exactly fails the sync that loaded it (WarehouseError, EXIT.partial: the exact rows stay in
 * the connector's spend table) instead of the next query. Nothing to check without the view.
 */
export async function checkFocusView(db: Warehouse, schema: string): Promise<void> {
  const columns = await db.columns(SPEND_STREAM, schema);
  if (columns.size === 0 || !(await db.tables('main')).has(FOCUS_VIEW)) return;
  const typed = FOCUS_DECIMAL_COLUMNS.filter((c) => columns.has(c));
  if (typed.length === 0) return;
  try {
    await db.rows(
      `SELECT ${typed.map((c) => `max(${decimalColumnSql(c, `${schema}.${SPEND_STREAM}`)}) AS ${ident(c)}`).join(', ')} FROM ${qualified(schema, SPEND_STREAM)}`,
    );
  } catch (err) {
    const message = (err as Error).message.split('\n')[0] ?? '';
    throw new WarehouseError(EXIT.partial, message.replace(/^Invalid Input Error: /, ''), (err as Error).message);
  }
}
