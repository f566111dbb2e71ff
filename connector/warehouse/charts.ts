/**
 * Inline SVG charts for the spend report: no script, no external asset. Amounts arrive
 * as exact decimal strings; they become numbers only to compute pixel positions, and
 * every label and tooltip shows the exact value formatted by money.ts.
 */
import { formatMoney } from './money.js';

export const PALETTE = ['#2563eb', '#f97316', '#16a34a', '#dc2626', '#9333ea', '#0891b2', '#ca8a04', '#db2777', '#4f46e5', '#65a30d'];
export const OTHER_COLOR = '#9ca3af';
/** The band behind a day that is not complete yet. */
const PENDING_COLOR = '#fef3c7';

export function esc(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

export interface Series {
  key: string;
  label: string;
  color: string;
  /** day -> exact amount */
  values: Map<string, string>;
}

const W = 960;
const H = 300;
const M = { top: 12, right: 12, bottom: 30, left: 72 };

/** 1, 2, 2.5 or 5 times a power of ten, so that about `ticks` steps cover `max`. */
function niceStep(max: number, ticks = 4): number {
  if (!(max > 0)) return 1;
  const raw = max / ticks;
  const pow = 10 ** Math.floor(Math.log10(raw));
  for (const m of [1, 2, 2.5, 5, 10]) if (m * pow >= raw) return m * pow;
  return 10 * pow;
}

function axisLabel(v: number, currency: string): string {
  const sym = currency.toUpperCase() === 'USD' ? '$' : '';
  const suffix = sym ? '' : ` ${currency.toUpperCase()}`;
  if (v >= 1e6) return `${sym}${(v / 1e6).toLocaleString('en-US', { maximumFractionDigits: 2 })}M${suffix}`;
  if (v >= 1e4) return `${sym}${(v / 1e3).toLocaleString('en-US', { maximumFractionDigits: 1 })}k${suffix}`;
  return `${sym}${v.toLocaleString('en-US', { maximumFractionDigits: 2 })}${suffix}`;
}

function yAxis(max: number, currency: string): { top: number; grid: string } {
  const step = niceStep(max);
  const top = Math.max(step, Math.ceil(max / step) * step);
  const plotH = H - M.top - M.bottom;
  let grid = '';
  for (let v = 0; v <= top + step / 1e6; v += step) {
    const y = M.top + plotH - (v / top) * plotH;
    grid += `<line x1="${M.left}" x2="${W - M.right}" y1="${y.toFixed(1)}" y2="${y.toFixed(1)}" stroke="#e5e7eb"/>`;
    grid += `<text x="${M.left - 8}" y="${(y + 4).toFixed(1)}" text-anchor="end" class="tick">${esc(axisLabel(v, currency))}</text>`;
  }
  return { top, grid };
}

/** Label every first of a month, or every 7th day when the range is short. */
function xLabels(days: readonly string[], x: (i: number) => number): string {
  const monthly = days.length > 45;
  let out = '';
  let lastX = -Infinity;
  days.forEach((d, i) => {
    // The first day is labelled only when the next month's label is not right next to it.
    const show = monthly ? d.endsWith('-01') || (i === 0 && Number(d.slice(8)) < 20) : i % 7 === 0;
    if (!show) return;
    const px = x(i);
    if (px - lastX < 56) return;
    lastX = px;
    const label = monthly ? new Date(`${d}T00:00:00Z`).toLocaleDateString('en-US', { month: 'short', year: 'numeric', timeZone: 'UTC' }) : d.slice(5);
    out += `<text x="${px.toFixed(1)}" y="${H - 10}" class="tick">${esc(label)}</text>`;
  });
  return out;
}

/**
 * A stacked bar per day; series in order from the bottom up. Days in `pending` (day -> the providers
 * it is not complete for yet) get a shaded band behind and paler bars, each saying why in its tooltip.
 */
export function stackedBars(
  id: string,
  title: string,
  days: readonly string[],
  series: readonly Series[],
  currency: string,
  pending: ReadonlyMap<string, readonly string[]> = new Map(),
): string {
  const totals = days.map((d) => series.reduce((a, s) => a + Number(s.values.get(d) ?? 0), 0));
  const { top, grid } = yAxis(Math.max(0, ...totals), currency);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const bw = plotW / Math.max(1, days.length);
  const x = (i: number): number => M.left + i * bw;
  let bars = '';
  days.forEach((d, i) => {
    const not = pending.get(d);
    if (not)
      bars += `<rect class="pending" data-day="${d}" x="${x(i).toFixed(2)}" y="${M.top}" width="${bw.toFixed(2)}" height="${plotH}" fill="${PENDING_COLOR}"><title>${esc(`${d}: not complete yet for ${not.join(', ')}`)}</title></rect>`;
  });
  days.forEach((d, i) => {
    const not = pending.get(d);
    let y = M.top + plotH;
    for (const s of series) {
      const exact = s.values.get(d);
      if (exact === undefined) continue;
      const h = (Number(exact) / top) * plotH;
      if (!(h > 0)) continue;
      y -= h;
      bars +=
        `<rect x="${(x(i) + bw * 0.1).toFixed(2)}" y="${y.toFixed(2)}" width="${Math.max(0.5, bw * 0.8).toFixed(2)}" height="${h.toFixed(2)}" fill="${s.color}"${not ? ' fill-opacity="0.45"' : ''}>` +
        `<title>${esc(`${d} · ${s.label}: ${formatMoney(exact, currency)}${not ? ` (not complete yet for ${not.join(', ')})` : ''}`)}</title></rect>`;
    }
  });
  return svg(id, title, `${grid}${bars}${xLabels(days, (i) => x(i) + bw / 2)}`) + legend(series);
}

export interface Line {
  label: string;
  color: string;
  dashed?: boolean;
  /** Exact cumulative amounts, index 0 = day `start` (1 unless given). */
  points: readonly string[];
  /** Day of month of the first point (a forecast line starts at the last day with data). */
  start?: number;
}

/** Cumulative spend by day of month, one line per month. */
export function cumulativeLines(id: string, title: string, lines: readonly Line[], currency: string): string {
  const maxDays = 31;
  const max = Math.max(0, ...lines.flatMap((l) => l.points.map(Number)));
  const { top, grid } = yAxis(max, currency);
  const plotW = W - M.left - M.right;
  const plotH = H - M.top - M.bottom;
  const x = (i: number): number => M.left + (i / (maxDays - 1)) * plotW;
  const y = (v: number): number => M.top + plotH - (v / top) * plotH;
  let paths = '';
  for (const l of lines) {
    if (l.points.length === 0) continue;
    const off = (l.start ?? 1) - 1;
    const pts = l.points.map((p, i) => `${x(off + i).toFixed(1)},${y(Number(p)).toFixed(1)}`).join(' ');
    paths += `<polyline points="${pts}" fill="none" stroke="${l.color}" stroke-width="2.5"${l.dashed ? ' stroke-dasharray="6 4"' : ''}/>`;
    const last = off + l.points.length - 1;
    const lastValue = l.points[l.points.length - 1] as string;
    paths += `<circle cx="${x(last).toFixed(1)}" cy="${y(Number(lastValue)).toFixed(1)}" r="4" fill="${l.color}"><title>${esc(`${l.label}, day ${last + 1}: ${formatMoney(lastValue, currency)}`)}</title></circle>`;
  }
  let ticks = '';
  for (const d of [1, 5, 10, 15, 20, 25, 31]) ticks += `<text x="${x(d - 1).toFixed(1)}" y="${H - 10}" class="tick">${d}</text>`;
  return svg(id, title, `${grid}${paths}${ticks}`) + legend(lines.map((l) => ({ label: l.label, color: l.color })));
}

function svg(id: string, title: string, body: string): string {
  return `<svg id="${esc(id)}" class="chart" viewBox="0 0 ${W} ${H}" role="img" aria-label="${esc(title)}" xmlns="http://www.w3.org/2000/svg"><title>${esc(title)}</title>${body}</svg>`;
}

function legend(items: ReadonlyArray<{ label: string; color: string }>): string {
  return `<ul class="legend">${items.map((s) => `<li><span class="swatch" style="background:${s.color}"></span>${esc(s.label)}</li>`).join('')}</ul>`;
}

/** The table behind a chart: exact values (plain decimal strings), one row per x value. */
export interface ChartTable {
  /** The chart's element id; the table is `${id}-table`, the CSV link `${id}-csv`. */
  id: string;
  header: string[];
  rows: string[][];
  /** Columns (besides the first) holding text, not amounts: shown as text, and defused in the CSV like labels. */
  textColumns?: readonly number[];
}

/** One CSV field: quoted when needed; text a spreadsheet would run as a formula is prefixed with '. */
function csvField(v: string, label: boolean): string {
  const safe = label && /^[=+\-@\t\r]/.test(v) ? `'${v}` : v;
  return /[",\r\n]/.test(safe) ? `"${safe.replace(/"/g, '""')}"` : safe;
}

/** RFC 4180 CSV of a chart table (CRLF line ends); the first column and the header are labels, the rest amounts. */
export function toCsv(t: ChartTable): string {
  const text = new Set([0, ...(t.textColumns ?? [])]);
  const line = (cells: readonly string[], header: boolean): string => cells.map((c, i) => csvField(c, header || text.has(i))).join(',');
  return `${[line(t.header, true), ...t.rows.map((r) => line(r, false))].join('\r\n')}\r\n`;
}

/**
 * A chart's data: a CSV download link (a data: URI, so the page stays one file) and the same
 * table in a closed <details>, both from the same exact strings (each amount cell shows `format(v)`
 * and carries the exact value in data-exact). The table scrolls sideways inside its own box
 * (class "scroll"), so a chart with many series never widens the page on a phone.
 */
export function chartData(t: ChartTable, fileName: string, format: (v: string) => string): string {
  // Percent-encoded, but commas kept as they are (legal in a data: URI): a third of the size.
  const text = new Set([0, ...(t.textColumns ?? [])]);
  const href = `data:text/csv;charset=utf-8,${encodeURIComponent(toCsv(t)).replace(/%2C/g, ',')}`;
  return `<p class="csv"><a id="${esc(t.id)}-csv" download="${esc(fileName)}" href="${esc(href)}">Download CSV</a> (the table behind this chart, exact amounts)</p>
<details><summary>Table</summary><div class="scroll"><table id="${esc(t.id)}-table" class="chart-table"><thead><tr>${t.header.map((h, i) => `<th${!text.has(i) ? ' class="num"' : ''}>${esc(h)}</th>`).join('')}</tr></thead><tbody>
${t.rows.map((r) => `<tr>${r.map((v, i) => (text.has(i) ? `<td>${esc(v)}</td>` : v === '' ? '<td class="num"></td>' : `<td class="num" data-exact="${esc(v)}">${esc(format(v))}</td>`)).join('')}</tr>`).join('\n')}
</tbody></table></div></details>`;
}
