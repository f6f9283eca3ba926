/** Charts drawn with block characters, one string per terminal row (top row first). */
import { cell } from './layout.js';

const SPARKS = ['▁', '▂', '▃', '▄', '▅', '▆', '▇', '█'];
const EIGHTHS = ['', '▏', '▎', '▍', '▌', '▋', '▊', '▉'];

/**
 * Fits `values` into `width` columns by averaging neighbours (or keeps them when they fit). A null
 * is a bucket with nothing to measure (no request to time): it is left out of the average, and a
 * column of nulls stays null.
 */
export function resample<T extends number | null>(values: readonly T[], width: number): T[] {
  if (width <= 0) return [];
  if (values.length <= width) return [...values];
  const out: (number | null)[] = [];
  for (let i = 0; i < width; i++) {
    const start = Math.floor((i * values.length) / width);
    const end = Math.max(start + 1, Math.floor(((i + 1) * values.length) / width));
    let sum = 0;
    let n = 0;
    for (let j = start; j < end; j++) {
      const v = values[j];
      if (v === null || v === undefined) continue;
      sum += v;
      n++;
    }
    out.push(n === 0 ? null : sum / n);
  }
  return out as T[];
}

/** The highest value a chart `width` columns wide draws (neighbours averaged when they do not fit). */
export function drawnPeak(values: readonly (number | null)[], width: number): number {
  return Math.max(0, ...resample(values, width).filter((v) => v !== null));
}

/** The lowest value a chart `width` columns wide draws, or null when every column is empty. */
export function drawnLowest(values: readonly (number | null)[], width: number): number | null {
  const drawn = resample(values, width).filter((v) => v !== null);
  return drawn.length === 0 ? null : Math.min(...drawn);
}

/**
 * One row of eighth-height blocks; zero stays at the lowest block so the time axis is visible, and
 * an empty bucket (null) is a gap: a success rate of no requests is not a rate of 0.
 */
export function sparkline(values: readonly (number | null)[], width: number): string {
  const v = resample(values, width);
  const max = Math.max(0, ...v.filter((x) => x !== null));
  return v
    .map((x) => (x === null ? ' ' : max === 0 ? SPARKS[0] : SPARKS[Math.min(7, Math.round((x / max) * 7))]))
    .join('');
}

/** A horizontal bar of `value / max` of `width` columns, in eighths of a cell. */
export function bar(value: number, max: number, width: number): string {
  if (max <= 0 || value <= 0 || width <= 0) return '';
  const eighths = Math.round((Math.min(value, max) / max) * width * 8);
  return '█'.repeat(Math.floor(eighths / 8)) + (EIGHTHS[eighths % 8] ?? '');
}

/**
 * A meter of `fraction` (0.7 = 70 %) over `width` cells, with `│` where `marker` (a fraction, or
 * null for none) falls: a window's utilization with its quota threshold.
 */
export function markedBar(fraction: number | null, marker: number | null, width: number): string {
  const cells: string[] = Array.from({ length: width }, (_, i) =>
    fraction !== null && i < Math.round(Math.min(1, Math.max(0, fraction)) * width) ? '█' : '░',
  );
  if (marker !== null && width > 0) cells[Math.min(width - 1, Math.max(0, Math.round(marker * width) - 1))] = '│';
  return cells.join('');
}

/** Labelled horizontal bars, labels padded to the same width. */
export function barChart(rows: readonly { label: string; value: number; text: string }[], width: number): string[] {
  const labelW = Math.min(24, Math.max(0, ...rows.map((r) => r.label.length)));
  const textW = Math.max(0, ...rows.map((r) => r.text.length));
  const barW = Math.max(4, width - labelW - textW - 3);
  const max = Math.max(0, ...rows.map((r) => r.value));
  return rows.map((r) => `${cell(r.label, labelW)} ${bar(r.value, max, barW).padEnd(barW)} ${r.text.padStart(textW)}`);
}

/**
 * A line chart `height` rows tall: each column marks its value's row with a block and fills below
 * it lightly, so the shape reads as a line over an area.
 */
export function lineChart(values: readonly number[], width: number, height: number): string[] {
  const v = resample(values, width);
  const max = Math.max(0, ...v);
  // Zero is drawn as the axis (-1), so an empty window does not look like a full one.
  const levels = v.map((x) => (max === 0 || x <= 0 ? -1 : Math.round((x / max) * (height - 1))));
  const rows: string[] = [];
  for (let row = height - 1; row >= 0; row--) {
    rows.push(levels.map((l) => (l === row ? '█' : l > row ? '░' : row === 0 ? '▁' : ' ')).join(''));
  }
  return rows;
}
