/** Fitting text and lists into the screen a terminal gives. */
import { shorten } from '../shared/text-fit.js';

export { shorten };

/** A column `room` wide: the text fitted, then padded. */
export function cell(text: string, room: number): string {
  return shorten(text, room).padEnd(room);
}

/** Cut to the terminal: Ink would wrap a longer line and push the help line off a 24-row screen. */
export function clip(text: string, width: number): string {
  return shorten(text, Math.max(0, width - 1));
}

/** The rows that fit in `room`, kept around the selection, and how many are left out either side. */
function windowOf<T>(rows: readonly T[], selected: number, room: number): { rows: T[]; before: number; after: number } {
  if (rows.length <= room) return { rows: [...rows], before: 0, after: 0 };
  const start = Math.max(0, Math.min(rows.length - room, selected - Math.floor(room / 2)));
  return { rows: rows.slice(start, start + room), before: start, after: rows.length - start - room };
}

/** "+2 more above · +5 more below": how many rows of a cut list are out of sight, or null when none are. */
export function moreText(before: number, after: number): string | null {
  const parts = [before > 0 ? `+${before} more above` : null, after > 0 ? `+${after} more below` : null];
  const text = parts.filter((p) => p !== null).join(' · ');
  return text === '' ? null : text;
}

/**
 * The rows that fit in `room` lines around the selection. A list that does not fit gives one of
 * its lines to `more`, saying how many rows are out of sight: a silently cut list hid the newest
 * workers below the screen.
 */
export function windowed<T>(rows: readonly T[], selected: number, room: number): { rows: T[]; more: string | null } {
  if (rows.length <= room) return { rows: [...rows], more: null };
  const w = windowOf(rows, selected, Math.max(1, room - 1));
  return { rows: w.rows, more: moreText(w.before, w.after) };
}

/**
 * The row `by` rows after (or before) row `at` of `count`, kept in the list (0 when it is empty).
 * A list's arrow keys store it at once where its key handler reads, not only in React state: keys
 * typed while the UI is busy arrive together ("↓p"), and the key after an arrow must act on the row
 * the arrow selected, not on the one last drawn.
 */
export function stepIndex(count: number, at: number, by: number): number {
  return Math.max(0, Math.min(count - 1, Math.min(at, count - 1) + by));
}

/**
 * A selection kept by id, so it follows its row as a polled list changes: the id `by` rows after
 * (or before) the one of `id` (the first when none is), kept in the list.
 */
export function step(rows: readonly { id: string }[], id: string | null, by: number): string | null {
  const i = Math.max(
    0,
    rows.findIndex((r) => r.id === id),
  );
  return rows[stepIndex(rows.length, i, by)]?.id ?? null;
}

/**
 * `line` in rows of at most `room` characters, its first `indent` characters (a label, a time and
 * level) on the first row only and every continuation indented as far, so that column stays clear.
 */
export function wrapHanging(line: string, room: number, indent: number): string[] {
  if (line.length <= room) return [line];
  const pad = ' '.repeat(indent);
  return wrap(line.slice(indent), room - indent).map((l, i) => (i === 0 ? line.slice(0, indent) : pad) + l);
}

/** `text` in lines of at most `room` characters, broken between words (a longer word is cut). */
export function wrap(text: string, room: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.split(/ +/)) {
    const next = line === '' ? word : `${line} ${word}`;
    if (next.length <= room) {
      line = next;
      continue;
    }
    if (line !== '') lines.push(line);
    line = word;
    while (line.length > room) {
      lines.push(line.slice(0, room));
      line = line.slice(room);
    }
  }
  lines.push(line);
  return lines;
}
