/** Fitting text into a column, for the terminal UI and the CLI's tables alike. */

/** `text` in at most `room` characters; a longer one ends with "…", so a name cut short does not pass for whole. */
export function shorten(text: string, room: number): string {
  if (text.length <= room) return text;
  return room <= 0 ? '' : `${text.slice(0, room - 1)}…`;
}
