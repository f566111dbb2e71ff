import { describe, expect, it } from 'vitest';
import { reportResults } from '../../connector/providers/openai/reports.js';
import { REPORTS } from '../../connector/providers/openai/streams.js';

/**
 * The per-result fast check must accept exactly what the zod schema accepts: a result it lets
 * through is emitted without zod ever seeing it. Every report is probed with results that break
 * each field in every way JSON allows.
 */
const BAD_VALUES: unknown[] = [undefined, null, 'x', '12', true, 1.5, -3, 2 ** 60, 0, {}, []];

describe.each(REPORTS.map((d) => [d.name, d] as const))('the fast result check of %s', (_name, decl) => {
  const results = reportResults(decl);
  const schema = results.item;
  const fast = results.check;
  const good: Record<string, unknown> = { object: decl.resultObject };
  for (const d of decl.dimensions) good[d] = decl.dimensionTypes?.[d] === 'boolean' ? true : 'v';
  for (const m of decl.metrics) {
    const value = m.type === 'string' ? 'usd' : 7;
    const [outer, inner] = m.from ?? [m.name];
    if (inner) good[outer as string] = { ...(good[outer as string] as object), [inner]: value };
    else good[m.name] = value;
  }
  const fields = [...new Set(['object', ...Object.keys(good)])];
  const nested = decl.metrics.flatMap((m) => (m.from ? [m.from] : []));
  const probes: Array<[string, unknown]> = [
    ['a whole result', good],
    ['null', null],
    ['an array', []],
    ['a string', 'x'],
  ];
  for (const f of fields) for (const v of BAD_VALUES) probes.push([`${f} = ${JSON.stringify(v) ?? 'absent'}`, { ...good, [f]: v }]);
  for (const [outer, inner] of nested as Array<[string, string]>) {
    for (const v of BAD_VALUES)
      probes.push([`${outer}.${inner} = ${JSON.stringify(v) ?? 'absent'}`, { ...good, [outer]: { ...(good[outer] as object), [inner]: v } }]);
  }

  it('given a whole result and results with each field absent, null or of another type when checked then the fast check and zod agree on every one', () => {
    expect(probes.length).toBeGreaterThan(fields.length * BAD_VALUES.length);
    for (const [what, probe] of probes) expect(fast(probe), what).toBe(schema.safeParse(probe).success);
    expect(fast(good)).toBe(true);
  });

  it('given a result without one of its required metrics when checked then both refuse it; without an optional metric both accept it', () => {
    for (const m of decl.metrics.filter((x) => !x.from)) {
      const { [m.name]: _dropped, ...without } = good;
      expect(fast(without), m.name).toBe(m.required !== true);
      expect(schema.safeParse(without).success, m.name).toBe(m.required !== true);
    }
  });
});
