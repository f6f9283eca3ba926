/**
 * Limits a person types (CLI flags, TUI and dashboard fields), read the same way everywhere:
 * empty, `off` and `none` are no limit; `$12.50` and `12.5` are USD; `60`, `500k`, `2M` and
 * `1,000` are counts. Text that is neither is `'invalid'`, never NaN: a NaN sent as JSON arrives
 * as null, which the API takes as "no limit" — the very limit the person meant to set, gone.
 */
export type TypedAmount = number | null | 'invalid';

const NONE = new Set(['', 'off', 'none']);
/** Digits with an optional decimal part; thousands may be grouped with commas (`1,000.50`). */
const DECIMAL = /^(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?$/;

function decimal(s: string): number {
  return DECIMAL.test(s) ? Number(s.replaceAll(',', '')) : Number.NaN;
}

/** An amount of USD above 0 (`50`, `$12.50`, `$1,000`), or null for none. */
export function typedUsd(text: string): TypedAmount {
  const s = text.trim().toLowerCase();
  if (NONE.has(s)) return null;
  const n = decimal(s.replace(/^\$\s*/, ''));
  return Number.isFinite(n) && n > 0 ? n : 'invalid';
}

/** A whole count of at least 1 (`60`, `500k`, `1.5M`, `2,000,000`), or null for none. */
export function typedCount(text: string): TypedAmount {
  const s = text.trim().toLowerCase();
  if (NONE.has(s)) return null;
  const unit = s.endsWith('m') ? 1e6 : s.endsWith('k') ? 1e3 : 1;
  const n = decimal(unit === 1 ? s : s.slice(0, -1).trimEnd()) * unit;
  // 1.5k is a whole count; 1.5 is not. Rounded first: 1.1k * 1000 is 1100.0000000000002.
  const whole = Math.round(n);
  return Number.isSafeInteger(whole) && Math.abs(n - whole) < 1e-6 && whole >= 1 ? whole : 'invalid';
}
