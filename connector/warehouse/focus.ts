import { SPEND_STREAM } from '../engine/focus.js';
import type { Warehouse } from './db.js';
import { ident, qualified, STATE_TABLE } from './schema.js';

/**
 * `focus_spend`: one view over the `spend` table (FOCUS 1.3 rows) of every connector that synced
 * into this file, so OpenAI, Anthropic and Aurous rows land side by side (docs/focus.md). The
 * per-connector tables stay the truth: the view holds no rows, is rebuilt by every sync (a new
 * connector, a new column), and unions by column name, so each connector's x_ columns are null in
 * the others' rows. Money columns are exact decimal strings, as in the stream: sum them with
 * CAST(BilledCost AS DECIMAL(38, 12)) or wider.
 */
export const FOCUS_VIEW = 'focus_spend';

/** The connector schemas (those with a _connector_state) that hold a spend table. */
export async function spendTables(db: Warehouse): Promise<string[]> {
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
  const union = schemas.map((s) => `SELECT * FROM ${qualified(s, SPEND_STREAM)}`).join('\nUNION ALL BY NAME\n');
  await db.run(`CREATE OR REPLACE VIEW main.${ident(FOCUS_VIEW)} AS ${union}`);
  return schemas;
}
