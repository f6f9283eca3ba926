/** Pieces the figure screens (Overview, Analytics, Stats) share: the time range, a headline figure and chart styling. */
import type { ReactNode } from 'react';
import type { Analytics } from '../../src/shared/analytics-schemas';
import type { Trend } from './trend';

export type Range = Analytics['range'];

export const RANGES: { value: Range; label: string }[] = [
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

export function isRange(v: string | null): v is Range {
  return RANGES.some((r) => r.value === v);
}

/** The range choice in a screen's head. */
export function RangeSelect({ value, onChange }: { value: Range; onChange: (r: Range) => void }) {
  return (
    <label className="inline-field">
      <span>Range</span>
      <select value={value} onChange={(e) => onChange(e.target.value as Range)}>
        {RANGES.map((r) => (
          <option key={r.value} value={r.value}>
            {r.label}
          </option>
        ))}
      </select>
    </label>
  );
}

const ARROWS = { up: '▲', down: '▼', flat: '▶' } as const;

/**
 * One headline figure; `data-stat` lets tests and people find it by its label. `trend` compares
 * it with the previous window; `children` go below (a small chart).
 */
export function Stat({
  label,
  value,
  hint,
  trend,
  children,
}: {
  label: string;
  value: string;
  hint?: string;
  trend?: Trend | null;
  children?: ReactNode;
}) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" data-stat={label}>
        {value}
      </dd>
      {hint ? <dd className="stat-hint muted">{hint}</dd> : null}
      {trend ? (
        <dd className={`stat-trend trend-${trend.tone}`} data-trend={label}>
          {trend.direction ? (
            <span className="trend-arrow" aria-hidden="true">
              {ARROWS[trend.direction]}
            </span>
          ) : null}
          {trend.text}
        </dd>
      ) : null}
      {children}
    </div>
  );
}

/** Recharts tooltips in the theme's colours (its defaults are light-only). */
export const tooltipStyle = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' },
  labelStyle: { color: 'var(--text)' },
};
