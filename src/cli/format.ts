/** Plain-text rendering for terminal listings; `--json` output never goes through here. */
import type { AccountView } from '../accounts/account-status.js';
import { shorten } from '../shared/text-fit.js';

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

export function renderTable(headers: readonly string[], rows: readonly (readonly string[])[]): string {
  rows = rows.map((r) => r.map((c, i) => (i === r.length - 1 ? c : shorten(c, MAX_CELL))));
  const widths = headers.map((h, i) => Math.max(h.length, ...rows.map((r) => (r[i] ?? '').length)));
  const line = (cells: readonly string[]) =>
    cells
      .map((c, i) => (i === cells.length - 1 ? c : c.padEnd(widths[i] ?? 0)))
      .join('  ')
      .trimEnd();
  return `${[line(headers), ...rows.map(line)].join('\n')}\n`;
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

export function renderAccounts(accounts: readonly AccountView[], now: number): string {
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
  let out = renderTable(headers, rows);
  for (const a of accounts) {
    if (a.recentErrors.length === 0) continue;
    out += `\nLast errors of ${a.name}:\n${formatRecentErrors(a, now)
      .map((l) => `  ${l}\n`)
      .join('')}`;
  }
  return out;
}
