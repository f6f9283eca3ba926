/** Pieces the figure screens (Overview, Analytics, Stats) share: the time range, a headline figure and chart styling. */
import type { ReactNode } from 'react';
import type { Analytics } from '../../src/shared/analytics-schemas';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import type { Trend } from './trend';

const t = translator('shell', shell);

export type Range = Analytics['range'];

const RANGE_KEYS = { '1h': 'range1h', '6h': 'range6h', '24h': 'range24h', '7d': 'range7d', '30d': 'range30d' } as const;

/** The ranges with their labels in the active language (read when shown). */
export const RANGES: readonly { readonly value: Range; readonly label: string }[] = (
  Object.keys(RANGE_KEYS) as Range[]
).map((value) => ({
  value,
  get label() {
    return t(RANGE_KEYS[value]);
  },
}));

export function isRange(v: string | null): v is Range {
  return RANGES.some((r) => r.value === v);
}

/** The range choice in a screen's head. */
export function RangeSelect({ value, onChange }: { value: Range; onChange: (r: Range) => void }) {
  return (
    <label className="inline-field">
      <span>{t('range')}</span>
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
 * One headline figure; `data-stat` (and `data-trend`) let tests and people find it by its label,
 * or by `id` (its English label) where the label is translated, so it names the same figure in
 * every language. `trend` compares it with the previous window; `children` go below (a small chart).
 */
export function Stat({
  id,
  label,
  value,
  hint,
  trend,
  children,
}: {
  id?: string;
  label: string;
  value: string;
  hint?: string;
  trend?: Trend | null;
  children?: ReactNode;
}) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" data-stat={id ?? label}>
        {value}
      </dd>
      {hint ? <dd className="stat-hint muted">{hint}</dd> : null}
      {trend ? (
        <dd className={`stat-trend trend-${trend.tone}`} data-trend={id ?? label}>
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
