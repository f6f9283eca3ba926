/** Fitting text and lists into the screen a terminal gives. */

/** Cut to the terminal: Ink would wrap a longer line and push the help line off a 24-row screen. */
export function clip(text: string, width: number): string {
  return text.slice(0, Math.max(0, width - 1));
}

/** The rows that fit in `room`, kept around the selection. */
export function around<T>(rows: readonly T[], selected: number, room: number): T[] {
  if (rows.length <= room) return [...rows];
  const start = Math.max(0, Math.min(rows.length - room, selected - Math.floor(room / 2)));
  return rows.slice(start, start + room);
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
  return rows[Math.max(0, Math.min(rows.length - 1, i + by))]?.id ?? null;
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
