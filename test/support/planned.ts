import { type CommonConfig, floorNotices, type FloorNotice } from '../../connector/engine/read.js';
import { runOf } from '../../connector/engine/run.js';
import type { SourceDefinition } from '../../connector/engine/source.js';

/** What a source makes of a raw config on a day (unix seconds): its resolved dates and the floor notices of its bucketed streams. */
export type Planner = (raw: unknown, nowS: number) => { common: CommonConfig; notices: FloorNotice[] };

/**
 * The planner of one source: the config parsed with its schema, its dates resolved and the floor
 * notices of every bucketed stream read incrementally from no state. Generic, so the config keeps
 * the source's own type while callers hold the planners of several sources in one map.
 */
export const planner =
  <C>(source: SourceDefinition<C>): Planner =>
  (raw, nowS) => {
    const config = source.configSchema.parse(raw);
    const clock = { now: () => nowS * 1000 };
    const common = source.common(config, clock.now());
    const catalog = source.streams.filter((s) => s.kind === 'buckets').map((s) => ({ name: s.name, syncMode: 'incremental' as const }));
    return { common, notices: floorNotices({ run: runOf({ config, common, streams: source.streams, clock }), catalog, states: new Map() }) };
  };
