/**
 * Durations as people type them (`90m`, `1h`, `1h30m`, `45s`, `7d`, `250ms`) and as they are
 * shown, in one place for every way a duration setting arrives: flags, environment, config file,
 * `ccflare config set`, the management API, the TUI. A bare integer is milliseconds: the settings
 * are named `…_MS`, and values written before units were accepted must keep their meaning.
 * Plain TypeScript without imports: the dashboard can bundle it.
 */

const UNIT_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** How durations are written, for help texts and error messages. */
export const DURATION_RULE = 'a duration such as 90m, 5h, 1h30m, 45s, 7d or 2 hours (a bare number is milliseconds)';

/** The short unit of a unit as typed: `minutes` and `min` are `m`, `millis` is `ms`. */
function unitOf(typed: string): string {
  if (typed === 'ms' || typed.startsWith('milli')) return 'ms';
  return typed[0] as string;
}

/** Milliseconds of `text` (`90m`, `1h30m`, `1.5h`, `3600000`), or null when it is not a duration. */
export function parseDuration(text: unknown): number | null {
  if (typeof text === 'number') return Number.isSafeInteger(text) && text >= 0 ? text : null;
  if (typeof text !== 'string') return null;
  const s = text.trim().toLowerCase();
  if (/^\d+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : null;
  }
  // Units spelt out too (`5 hours`, `90 minutes`, `30 secs`): the longer names are tried first.
  const part =
    /(\d+(?:\.\d+)?)\s*(milliseconds?|millis|ms|seconds?|secs?|s|minutes?|mins?|m|hours?|hrs?|h|days?|d)\s*/y;
  let ms = 0;
  let at = 0;
  while (at < s.length) {
    part.lastIndex = at;
    const m = part.exec(s);
    if (!m) return null;
    ms += Number(m[1]) * (UNIT_MS[unitOf(m[2] as string)] as number);
    at = part.lastIndex;
  }
  return at === 0 ? null : Math.round(ms);
}

/** The shortest exact form: `5h`, `90m`, `1h 30m`, `45s`, `1500ms`. */
export function formatDuration(ms: number): string {
  if (!Number.isFinite(ms) || ms < 0) return String(ms);
  if (ms === 0) return '0s';
  if (ms % 1000 !== 0) return `${ms}ms`;
  const parts: string[] = [];
  let rest = ms;
  for (const unit of ['d', 'h', 'm', 's']) {
    const size = UNIT_MS[unit] as number;
    const n = Math.floor(rest / size);
    if (n > 0) parts.push(`${n}${unit}`);
    rest -= n * size;
  }
  return parts.join(' ');
}
