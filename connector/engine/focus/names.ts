import type { HttpClient } from '../../http/client.js';
import type { Row } from '../stream.js';

/**
 * The names of the ids a spend row carries (docs/focus.md "Names"): SubAccountName from the
 * project or workspace id, and the x_ name columns beside the x_ columns of API key and
 * user/actor ids. A provider's NamesSpec reads them from the entity lists its connector already
 * streams (projects, workspaces, API keys, users), once per run and before the read (runtime.ts
 * resolveNames), only when `spend` is read; they travel to the decode workers in the config
 * (FocusSettings.names) and the spend mapping looks them up (engine/focus/focus.ts).
 *
 * An id no list names (deleted, unknown, or a list that could not be read) keeps its id and gets
 * a null name, never a guessed one.
 */

/** Kinds of named entity a spend row refers to. */
export type NameKind = 'subAccounts' | 'apiKeys' | 'users';

/**
 * Names by kind, then by id: plain objects (they cross to worker threads by structured clone),
 * read with Object.hasOwn only. An id without a (non-blank) name is left out.
 */
export type SpendNames = Partial<Record<NameKind, Record<string, string>>>;

/** The name of `id` of `kind`, or null: unknown id, no name, or no names read. */
export function nameOf(names: SpendNames | undefined, kind: NameKind, id: unknown): string | null {
  if (typeof id !== 'string') return null;
  const byId = names?.[kind];
  return byId !== undefined && Object.hasOwn(byId, id) ? (byId[id] as string) : null;
}

/** Collects names while lists are read: the first non-blank name of an id wins (a list that moved between pages). */
export class NameBook {
  private readonly names: SpendNames = {};

  /** Start a kind (so a kind that was read, even empty, is told from one not read). */
  kind(kind: NameKind): Record<string, string> {
    const have = this.names[kind];
    if (have) return have;
    const made: Record<string, string> = {};
    this.names[kind] = made;
    return made;
  }

  add(kind: NameKind, id: unknown, name: unknown): void {
    const byId = this.kind(kind);
    if (typeof id !== 'string' || typeof name !== 'string' || name.trim() === '') return;
    if (!Object.hasOwn(byId, id)) Object.defineProperty(byId, id, { value: name, enumerable: true, writable: true, configurable: true });
  }

  get result(): SpendNames {
    return this.names;
  }
}

/**
 * A name column of a provider's spend stream: set from the id column beside it. `kind` may
 * depend on the row (Anthropic's actor: a user's or an API key's name by x_ActorType); null
 * means the row's id names nothing the provider lists (a service account): the name is null.
 */
export interface NameColumn {
  column: string;
  idColumn: string;
  kind: NameKind | ((row: Row) => NameKind | null);
}

/** How a provider names the ids of its spend rows. */
export interface NamesSpec<C> {
  /** What is requested, for messages and the docs: 'GET /organization/projects (+ /api_keys per project)'. */
  origin: string;
  /**
   * Read every name the config's spend rows may need, with the run's HTTP client (its rate limit
   * and retries); `log` for progress lines. A failure is thrown (runtime.ts resolveNames decides
   * what it means).
   */
  resolve(http: HttpClient, config: C, log: (msg: string) => void): Promise<SpendNames>;
  /** The config with the names applied (FocusSettings.names: engine/focus/focus.ts withFocusNames). */
  apply(config: C, names: SpendNames): C;
}
