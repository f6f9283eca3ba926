/** Plain-text rendering for terminal listings; `--json` output never goes through here. */

import stringWidth from 'string-width';
import type { AccountView } from '../accounts/account-status.js';
import { terminalText } from './terminal-text.js';

function pad2(n: number): string {
  return String(n).padStart(2, '0');
}

/** Local time, only as precise as needed relative to `now`: "14:05", "01-05 14:05", "2027-01-05 14:05". */
export function formatTime(ms: number | null, now: number): string {
  if (ms === null) return '-';
  const d = new Date(ms);
  const n = new Date(now);
  const hm = `${pad2(d.getHours())}:${pad2(d.getMinutes())}`;
  const md = `${pad2(d.getMonth() + 1)}-${pad2(d.getDate())}`;
  if (d.getFullYear() !== n.getFullYear()) return `${d.getFullYear()}-${md} ${hm}`;
  if (d.getMonth() !== n.getMonth() || d.getDate() !== n.getDate()) return `${md} ${hm}`;
  return hm;
}

function formatPercent(fraction: number | null): string {
  return fraction === null ? '?' : `${Math.round(fraction * 100)}%`;
}

export function formatStatus(a: AccountView, now: number): string {
  switch (a.status) {
    case 'cooling_down':
      return `cooling down until ${formatTime(a.cooldownUntil, now)}${a.statusReason ? ` (${a.statusReason})` : ''}`;
    case 'needs_reauth':
      return `needs re-auth${a.statusReason ? ` (${a.statusReason})` : ''}`;
    case 'disabled':
      return `disabled${a.statusReason ? ` (${a.statusReason})` : ''}`;
    case 'failing':
      return `failing${a.statusReason ? `: ${a.statusReason}` : ''}`;
    default:
      return a.status;
  }
}

export function formatRateLimit(a: AccountView, now: number): string {
  const rl = a.rateLimit;
  if (!rl) return '-';
  const parts = [rl.status ?? 'unknown', ...formatWindows(rl, now)];
  if (!rl.fiveHour && !rl.sevenDay && rl.resetAt !== null) parts.push(`reset ${formatTime(rl.resetAt, now)}`);
  return parts.join(', ');
}

/**
 * The 5-hour and weekly windows, "5h* 42% reset 14:05" each, `*` marking the binding one (it
 * decides when the account is usable again); with `now` null, without the reset times.
 */
export function formatWindows(rl: NonNullable<AccountView['rateLimit']>, now: number | null): string[] {
  const parts: string[] = [];
  const windows = [
    ['5h', 'five_hour', rl.fiveHour],
    ['7d', 'seven_day', rl.sevenDay],
  ] as const;
  for (const [label, claim, w] of windows) {
    if (!w) continue;
    const mark = rl.representativeClaim === claim ? '*' : '';
    const reset = w.resetAt === null || now === null ? '' : ` reset ${formatTime(w.resetAt, now)}`;
    parts.push(`${label}${mark} ${formatPercent(w.utilization)}${reset}`);
  }
  return parts;
}

/**
 * The widest a cell of a column other than the last gets in a table: a client's 300-character
 * model name would push every other column off the screen. Ids (36) fit; --json has every value whole.
 */
export const MAX_CELL = 72;

/** Columns of the screen a cell takes: a CJK character two, a combining mark none. */
export function displayWidth(text: string): number {
  return stringWidth(text);
}

const graphemes = new Intl.Segmenter('en', { granularity: 'grapheme' });

/** `text` in at most `room` columns of the screen; cut short, it ends with "…" so it does not pass for whole. */
export function fitWidth(text: string, room: number): string {
  if (stringWidth(text) <= room) return text;
  if (room <= 0) return '';
  let kept = '';
  let used = 0;
  for (const { segment } of graphemes.segment(text)) {
    const w = stringWidth(segment);
    if (used + w > room - 1) break;
    kept += segment;
    used += w;
  }
  return `${kept}…`;
}

export interface TableLayout {
  /** The terminal's width to fit in; null (piped, scripts): every value whole, rows as long as they are. */
  width?: number | null;
  /**
   * The columns that may be cut with "…" to fit: free text (messages, reasons, models), never an id
   * or a name someone copies into a command. The widest of them is cut first.
   */
  shrink?: readonly number[];
  /** The fewest columns of the screen a shrinking column keeps (default: its header's width). */
  keep?: Readonly<Record<number, number>>;
}

/** The column widths after cutting the widest shrinkable ones until the row fits in `width`, where it can. */
function fitColumns(natural: readonly number[], headers: readonly string[], layout: TableLayout): number[] {
  const widths = [...natural];
  const { width, shrink = [] } = layout;
  if (width === null || width === undefined || shrink.length === 0) return widths;
  const floor = (i: number) =>
    Math.min(natural[i] ?? 0, Math.max(layout.keep?.[i] ?? 0, displayWidth(headers[i] ?? ''), 1));
  let total = widths.reduce((a, b) => a + b, 0) + 2 * (widths.length - 1);
  while (total > width) {
    let widest = -1;
    for (const i of shrink) {
      if ((widths[i] ?? 0) > floor(i) && (widest === -1 || (widths[i] ?? 0) > (widths[widest] ?? 0))) widest = i;
    }
    // Ids and figures are left whole: such a row still wraps, but less.
    if (widest === -1) break;
    widths[widest] = (widths[widest] ?? 0) - 1;
    total--;
  }
  return widths;
}

/**
 * Columns padded by what a terminal shows (a CJK first message is two columns a character); with
 * `layout.width`, shrinkable columns cut to fit it. Control characters are measured as the escapes
 * the terminal is shown (terminal-text.ts).
 */
export function renderTable(
  headers: readonly string[],
  rows: readonly (readonly string[])[],
  layout: TableLayout = {},
): string {
  const last = headers.length - 1;
  const cells = rows.map((r) =>
    r.map((c, i) => {
      const text = terminalText(c);
      return i === last ? text : fitWidth(text, MAX_CELL);
    }),
  );
  const natural = headers.map((h, i) => Math.max(displayWidth(h), ...cells.map((r) => displayWidth(r[i] ?? ''))));
  const widths = fitColumns(natural, headers, layout);
  const line = (row: readonly string[]) =>
    row
      .map((c, i) => {
        const w = widths[i] ?? 0;
        const cut = w < (natural[i] ?? 0) ? fitWidth(c, w) : c;
        return i === row.length - 1 ? cut : cut + ' '.repeat(Math.max(0, w - displayWidth(cut)));
      })
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...cells.map(line)].join('\n')}\n`;
}

/** "5 (4 failed)": every upstream attempt on the account, served or not. */
export function formatAttempts(a: AccountView): string {
  return a.failedAttemptCount === 0 ? String(a.attemptCount) : `${a.attemptCount} (${a.failedAttemptCount} failed)`;
}

/** One line per kept error, newest first: "14:05  529  529 overloaded: Overloaded". */
export function formatRecentErrors(a: AccountView, now: number): string[] {
  return [...a.recentErrors]
    .reverse()
    .map((e) => `${formatTime(e.at, now)}  ${e.status === null ? '-  ' : e.status}  ${e.error ?? ''}`.trimEnd());
}

export function renderAccounts(accounts: readonly AccountView[], now: number, width: number | null = null): string {
  const headers = [
    'NAME',
    'KIND',
    'STATUS',
    'PRIORITY',
    'REQUESTS',
    'ATTEMPTS',
    'LAST USED',
    'SESSION START',
    'RATE LIMIT',
  ];
  const rows = accounts.map((a) => [
    a.name,
    a.kind,
    formatStatus(a, now),
    String(a.priority),
    `${a.requestCount}/${a.sessionRequestCount}`,
    formatAttempts(a),
    formatTime(a.lastUsedAt, now),
    formatTime(a.sessionStart, now),
    formatRateLimit(a, now),
  ]);
  // Status reasons and rate-limit windows are cut to fit; names are typed into commands, never cut.
  let out = renderTable(headers, rows, { width, shrink: [2, 8] });
  for (const a of accounts) {
    if (a.recentErrors.length === 0) continue;
    out += `\nLast errors of ${a.name}:\n${formatRecentErrors(a, now)
      .map((l) => `  ${l}\n`)
      .join('')}`;
  }
  return out;
}
