import type { FloorNotice } from '../engine/read.js';
import { isoDate } from '../engine/time.js';
import type { StreamStats } from './loader.js';

/**
 * What a sync says on stderr: a progress bar while it runs (only when stderr is a
 * terminal), then one summary line per stream. Every line goes through `scrub`, which
 * masks the connector's secrets.
 */
export interface Terminal {
  write(text: string): void;
  isTTY: boolean;
  columns?: number | undefined;
}

const int = (n: number): string => n.toLocaleString('en-US');
const plural = (n: number, word: string): string => `${int(n)} ${word}${n === 1 ? '' : 's'}`;
const seconds = (ms: number): string => `${(ms / 1000).toFixed(1)} s`;
const DAY_MS = 86_400_000;

function daysBetween(first: string, last: string): number {
  return Math.round((Date.parse(`${last}T00:00:00Z`) - Date.parse(`${first}T00:00:00Z`)) / DAY_MS) + 1;
}

/**
 * What a stream that started at its API's floor lost, for its summary line: only days asked for
 * (start_date, or a stored cursor) that the API no longer serves; a shortened re-read or a default
 * start lose nothing and say nothing here.
 */
export function floorText(n: FloorNotice | undefined): string {
  if (n?.level !== 'WARN') return '';
  if (n.cause === 'state') return `; from ${isoDate(n.floor)}, the first day its API serves (the stored cursor ${isoDate(n.cursor ?? n.requested)} is earlier)`;
  const starts = n.starts ?? n.floor;
  return starts < n.floor
    ? `; from ${isoDate(starts)}, stored when its API served it (it now serves from ${isoDate(n.floor)}; start_date ${isoDate(n.requested)} is earlier)`
    : `; from ${isoDate(n.floor)}, the first day its API serves (start_date ${isoDate(n.requested)} is earlier)`;
}

/** A bucketed stream's reach as read() planned it (StreamHooks.onRange), unix seconds, `to` exclusive. */
export interface ReadRange {
  from: number;
  to: number;
}

/**
 * `costs: ok, 5,471 rows (5,400 inserted, 71 updated, 0 unchanged), 2025-09-01..2025-11-29 (90 days), 1 request, 0.4 s`,
 * where the days are the range read (`range`) of a stream that completed, else the days of the rows loaded;
 * "unchanged" counts rows re-read (the lookback) whose content equals what the table had.
 * And `; from 2026-01-01, the first day its API serves (start_date 2025-06-01 is earlier)` for a stream that started at its floor.
 */
export function summaryLine(s: StreamStats, requests: number, now: number, floor?: FloorNotice, range?: ReadRange): string {
  const status = { complete: 'ok', failed: 'FAILED', interrupted: 'INTERRUPTED', pending: 'NOT STARTED' }[s.outcome];
  const parts: string[] = [];
  const counts = [`${int(s.inserted)} inserted`, `${int(s.updated)} updated`, `${int(s.unchanged)} unchanged`];
  if (s.kind === 'list' || s.deleted > 0) counts.push(`${int(s.deleted)} deleted`);
  parts.push(`${plural(s.rows, 'row')} (${counts.join(', ')})`);
  if (s.kind === 'list') parts.push(s.commits > 0 ? 'full snapshot' : 'no snapshot');
  else if (s.outcome === 'complete' && range && range.to > range.from) {
    // The days read (the lookback's re-read included), whether or not each had rows.
    const first = isoDate(range.from);
    const last = isoDate(range.to - 1);
    parts.push(`${first}..${last} (${plural(daysBetween(first, last), 'day')})`);
  } else if (s.firstDay && s.lastDay) parts.push(`${s.firstDay}..${s.lastDay} (${plural(daysBetween(s.firstDay, s.lastDay), 'day')})`);
  else parts.push('no days');
  parts.push(plural(requests, 'request'));
  const end = s.endedAt ?? now;
  parts.push(seconds(s.startedAt === null ? 0 : end - s.startedAt));
  let line = `${s.name}: ${status}, ${parts.join(', ')}${floorText(floor)}`;
  if (s.outcome !== 'complete') {
    const resume = s.kind === 'buckets' && s.cursor !== null ? `; the next sync resumes from ${new Date(s.cursor * 1000).toISOString().slice(0, 10)}` : '';
    line += s.error ? ` -- ${s.error}${resume}` : resume;
  }
  return line;
}

export interface ProgressItem {
  name: string;
  /** 0..1 */
  fraction: number;
  done: boolean;
  rows: number;
  /** A bucketed stream's windows, once planned (engine StreamHooks.onWindows). */
  windows?: WindowsDone | undefined;
}

/** How far a bucketed stream's read is, and for how long it has been reading. */
interface WindowsDone {
  done: number;
  planned: number;
  bucketsDone: number;
  bucketsPlanned: number;
  /** Since the stream's windows were planned. */
  elapsedMs: number;
}

/** `45 s`, `12 min`, `2 h 05 min`: a time remaining, rounded up. */
export function duration(ms: number): string {
  const s = Math.max(1, Math.ceil(ms / 1000));
  if (s < 90) return `${s} s`;
  const min = Math.ceil(s / 60);
  if (min < 90) return `${min} min`;
  return `${Math.floor(min / 60)} h ${String(min % 60).padStart(2, '0')} min`;
}

/**
 * Time left for a stream: the time per bucket read so far times the buckets left (windows hold
 * up to the API's page of buckets, the first may be smaller, so buckets are the finer measure of
 * "elapsed time per window"). Undefined before the first window is read or once all are.
 */
export function timeLeftMs(w: WindowsDone): number | undefined {
  if (w.bucketsDone <= 0 || w.bucketsDone >= w.bucketsPlanned) return undefined;
  return (w.elapsedMs / w.bucketsDone) * (w.bucketsPlanned - w.bucketsDone);
}

/** One stream on the progress line: `usage_completions 2/4 windows, 1,234 rows, ~8 s left`. */
export function streamProgressText(item: ProgressItem): string {
  const w = item.windows;
  if (!w) return `${item.name} ${plural(item.rows, 'row')}`;
  const left = timeLeftMs(w);
  const eta = w.done === 0 ? ', estimating' : left === undefined ? '' : `, ~${duration(left)} left`;
  return `${item.name} ${int(w.done)}/${plural(w.planned, 'window')}, ${plural(item.rows, 'row')}${eta}`;
}

/**
 * The progress line of a sync (pure: the streams in, the line out, cut to `columns`): a bar of the
 * streams' mean fraction, streams done of all, rows, then each running stream with its windows
 * done of planned and its time left.
 */
export function progressLine(items: readonly ProgressItem[], columns = 100): string {
  const total = items.length || 1;
  const fractionOf = (i: ProgressItem): number => {
    if (i.done) return 1;
    const w = i.windows;
    const f = w && w.bucketsPlanned > 0 ? w.bucketsDone / w.bucketsPlanned : i.fraction;
    return Math.min(1, Math.max(0, f));
  };
  const fraction = items.reduce((a, i) => a + fractionOf(i), 0) / total;
  const width = 24;
  const filled = Math.round(fraction * width);
  const done = items.filter((i) => i.done).length;
  const rows = items.reduce((a, i) => a + i.rows, 0);
  const active = items.filter((i) => !i.done && (i.fraction > 0 || i.windows !== undefined));
  const shown = active.slice(0, 2).map(streamProgressText);
  const tail = active.length > 0 ? `  ${shown.join('; ')}${active.length > 2 ? ` +${active.length - 2}` : ''}` : '';
  const line = `[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(Math.floor(fraction * 100)).padStart(3)}%  ${done}/${items.length} streams  ${plural(rows, 'row')}${tail}`;
  return line.length > columns - 1 ? line.slice(0, columns - 1) : line;
}

/** A one-line progress bar redrawn in place, at most every `intervalMs`; nothing at all when not a TTY. */
export class Progress {
  private last = 0;
  private shown = false;

  constructor(
    private readonly term: Terminal,
    private readonly scrub: (t: string) => string,
    private readonly intervalMs = 100,
  ) {}

  get enabled(): boolean {
    return this.term.isTTY;
  }

  update(items: readonly ProgressItem[], force = false): void {
    if (!this.enabled) return;
    const now = Date.now();
    if (!force && now - this.last < this.intervalMs) return;
    this.last = now;
    const line = progressLine(items, this.term.columns ?? 100);
    this.term.write(`\r\x1b[2K${this.scrub(line)}`);
    this.shown = true;
  }

  /** Erase the bar so that a normal line can be printed. */
  clear(): void {
    if (this.shown) this.term.write('\r\x1b[2K');
    this.shown = false;
  }
}

/** Writes whole lines to stderr, erasing the progress bar first and masking secrets. */
export class Lines {
  constructor(
    private readonly term: Terminal,
    private readonly progress: Progress,
    private readonly scrub: (t: string) => string,
  ) {}

  line(text: string): void {
    this.progress.clear();
    this.term.write(`${this.scrub(text)}\n`);
  }
}
