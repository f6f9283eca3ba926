/** Number and time formatting for the screens (en-US, compact where space is short). */

export const DASH = '—';

export function fmtInt(n: number | null | undefined): string {
  return n == null ? DASH : n.toLocaleString('en-US');
}

export function fmtPercent(f: number | null | undefined, digits = 1): string {
  return f == null ? DASH : `${(f * 100).toFixed(digits)}%`;
}

export function fmtMs(ms: number | null | undefined): string {
  if (ms == null) return DASH;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  return `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
}

export function fmtUsd(v: number | null | undefined): string {
  if (v == null) return DASH;
  if (v !== 0 && Math.abs(v) < 0.01) return `$${v.toFixed(4)}`;
  return `$${v.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 })}`;
}

export function fmtRate(v: number | null | undefined): string {
  return v == null ? DASH : `${v.toFixed(1)} tok/s`;
}

/** "2h 13m", "4d 3h", "45s": the time until `at` (or since, when past). */
export function fmtDuration(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  const d = Math.floor(s / 86_400);
  const h = Math.floor((s % 86_400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

export function fmtTime(ts: number, bucketMs: number): string {
  const d = new Date(ts);
  if (bucketMs >= 3_600_000) {
    return d.toLocaleString('en-US', { month: 'short', day: 'numeric', hour: '2-digit', minute: '2-digit' });
  }
  return d.toLocaleTimeString('en-US', { hour: '2-digit', minute: '2-digit' });
}

export function fmtDateTime(ts: number | null | undefined): string {
  return ts == null ? DASH : new Date(ts).toLocaleString('en-US');
}

/** Sizes in binary units, as file managers show them: 512 B, 1.5 KB, 12.3 MB, 1.2 GB. */
export function fmtSize(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 ** 2) return `${(n / 1024).toFixed(1)} KB`;
  if (n < 1024 ** 3) return `${(n / 1024 ** 2).toFixed(1)} MB`;
  return `${(n / 1024 ** 3).toFixed(1)} GB`;
}
