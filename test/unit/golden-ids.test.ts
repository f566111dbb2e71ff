import { describe, expect, it } from 'vitest';
import { caseInput, GOLDEN_SOURCES, leafDiff, loadGolden, recordsOf, type GoldenCase } from '../support/golden-ids.js';

/**
 * Record ids are a contract: destinations dedupe on them, so an id that changes for the same
 * input duplicates every row already loaded. Every stream of every connector has golden cases
 * (test/fixtures/golden-ids/<connector>.json, written once and edited only by hand); each one
 * is mapped by the connector's own code and must give exactly the committed id.
 */
// biome-ignore lint/suspicious/noControlCharactersInRegex: the range starts at NUL on purpose: any character above ASCII
const NON_ASCII = /[^\x00-\x7f]/;
const hasNull = (v: unknown): boolean => v === null || (typeof v === 'object' && Object.values(v as object).some(hasNull));

/** Cases linked by same_id_as, as one representative name per case (to tell "meant to share an id" from a collision). */
function idGroups(cases: readonly GoldenCase[]): Map<string, string> {
  const parent = new Map(cases.map((c) => [c.name, c.name]));
  const find = (n: string): string => {
    const p = parent.get(n) ?? n;
    return p === n ? n : find(p);
  };
  for (const c of cases) if (c.same_id_as) parent.set(find(c.name), find(c.same_id_as));
  return new Map(cases.map((c) => [c.name, find(c.name)]));
}

for (const { source, config } of GOLDEN_SOURCES) {
  describe(`${source.name} golden ids`, () => {
    const golden = loadGolden(source.name);

    it("given the fixture when compared with the connector then it is this connector's and names no stream the connector does not have", () => {
      expect(golden.connector).toBe(source.name);
      expect(Object.keys(golden.streams).filter((n) => !source.streams.some((s) => s.name === n))).toEqual([]);
    });

    for (const stream of source.streams) {
      const cases = golden.streams[stream.name] ?? [];
      const byName = new Map(cases.map((c) => [c.name, c]));

      it(`given the ${stream.name} stream when its golden cases are listed then there are cases with nulls, non-ASCII text, a one-field pair and a refused input, keyed on its primary key`, () => {
        expect(
          cases.length,
          `${source.name} stream ${stream.name} has no golden ids: add cases to test/fixtures/golden-ids/${source.name}.json`,
        ).toBeGreaterThan(0);
        // Every record is keyed on one field: id, or x_RecordId for a FOCUS spend row (FOCUS custom columns are x_-prefixed).
        expect(stream.primaryKey).toEqual([[stream.name === 'spend' ? 'x_RecordId' : 'id']]);
        expect(byName.size, 'case names must be unique').toBe(cases.length);
        expect(cases.some((c) => hasNull(c.input))).toBe(true);
        expect(cases.some((c) => NON_ASCII.test(JSON.stringify(c.input)))).toBe(true);
        expect(cases.some((c) => c.differs_from !== undefined)).toBe(true);
        expect(cases.some((c) => c.refused)).toBe(true);
        for (const c of cases) expect(c.refused ? c.id : typeof c.id, c.name).toBe(c.refused ? undefined : 'string');
      });

      it(`given each golden ${stream.name} input when mapped by the connector then its id is exactly the committed one`, async () => {
        for (const c of cases) {
          const run = recordsOf(source, stream, config, c);
          if (c.refused) {
            await expect(run, `${c.name} must be refused`).rejects.toThrow();
            continue;
          }
          const rows = await run;
          const key = stream.primaryKey[0]?.[0] as string;
          expect(
            rows.map((r) => r[key]),
            `${stream.name} / ${c.name}`,
          ).toEqual([c.id]);
        }
      });

      it(`given the golden ${stream.name} fixture when its pairs are checked then each differs_from pair differs in exactly one input field and each same_id_as pair differs somewhere`, () => {
        // A check of the fixture itself (the pairs below are only as good as it is), not of the connector.
        for (const c of cases) {
          const other = c.differs_from ?? c.same_id_as;
          if (other === undefined) continue;
          const o = byName.get(other);
          expect(o, `${c.name} refers to a missing case '${other}'`).toBeDefined();
          const diff = leafDiff(caseInput(c), caseInput(o as GoldenCase));
          if (c.differs_from !== undefined) expect(diff, `${c.name} vs ${other}: a pair must differ in exactly one field`).toHaveLength(1);
          else expect(diff.length, `${c.name} vs ${other}: the inputs are identical`).toBeGreaterThan(0);
        }
      });

      it(`given golden ${stream.name} inputs that differ in one key field when mapped by the connector then their ids differ, inputs that differ only outside the key share one, and no other two collide`, async () => {
        // The ids the connector computes now, not the committed ones: a mapping that stopped keying on a field fails here.
        const key = stream.primaryKey[0]?.[0] as string;
        const ids = new Map<string, unknown>();
        for (const c of cases.filter((x) => !x.refused)) {
          const rows = await recordsOf(source, stream, config, c);
          expect(rows, `${stream.name} / ${c.name}`).toHaveLength(1);
          ids.set(c.name, rows[0]?.[key]);
        }
        let pairs = 0;
        for (const c of cases) {
          const other = c.differs_from ?? c.same_id_as;
          if (other === undefined || c.refused || byName.get(other)?.refused) continue;
          const [mine, theirs] = [ids.get(c.name), ids.get(other)];
          expect(typeof mine, c.name).toBe('string');
          const diff = leafDiff(caseInput(c), caseInput(byName.get(other) as GoldenCase)).join();
          if (c.differs_from !== undefined) expect(mine, `${c.name} vs ${other} (${diff}): must get another id`).not.toBe(theirs);
          else expect(mine, `${c.name} vs ${other} (${diff}): must share the id`).toBe(theirs);
          pairs += 1;
        }
        expect(pairs).toBeGreaterThan(0);
        // No collisions: cases not declared to share an id get distinct ids.
        const groups = idGroups(cases);
        const owner = new Map<unknown, string>();
        for (const [name, id] of ids) {
          const seen = owner.get(id);
          if (seen !== undefined) expect(groups.get(name), `${name} and ${seen} get one id without same_id_as`).toBe(groups.get(seen));
          owner.set(id, name);
        }
      });
    }
  });
}
