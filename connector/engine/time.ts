/** UTC time helpers. All engine times are unix seconds. */
export const DAY = 86_400;

export type BucketWidth = '1m' | '1h' | '1d';
export const BUCKET_SECONDS: Record<BucketWidth, number> = { '1m': 60, '1h': 3_600, '1d': DAY };

export const floorTo = (t: number, step: number): number => Math.floor(t / step) * step;
export const startOfDay = (t: number): number => floorTo(t, DAY);

export const isoDate = (t: number): string => new Date(t * 1000).toISOString().slice(0, 10);
/** Yesterday as a UTC day window [start, end) in unix seconds, by `nowMs` (a run's clock): what a check reads. */
export const yesterday = (nowMs: number): { start: number; end: number } => {
  const today = startOfDay(Math.floor(nowMs / 1000));
  return { start: today - DAY, end: today };
};

export const isoTime = (t: number): string => new Date(t * 1000).toISOString().replace('.000Z', 'Z');

/**
 * Parse `YYYY-MM-DD` (UTC midnight) or RFC 3339 with an explicit offset. Returns
 * unix seconds, or null when the text is not one of those.
 */
export function parseUtc(text: string): number | null {
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text);
  if (date) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    return isoDate(ms / 1000) === text ? ms / 1000 : null;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/i.test(text)) return null;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? null : Math.floor(ms / 1000);
}
