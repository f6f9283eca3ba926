/** Pieces the figure screens (Overview, Analytics, Stats) share: the time range, a headline figure and chart styling. */
import type { Analytics } from '../../src/shared/analytics-schemas';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';

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

/**
 * One headline figure; `data-stat` lets tests and people find it by its label, or by `id` (its
 * English label) where the label is translated, so it names the same figure in every language.
 */
export function Stat({ id, label, value, hint }: { id?: string; label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" data-stat={id ?? label}>
        {value}
      </dd>
      {hint ? <dd className="stat-hint muted">{hint}</dd> : null}
    </div>
  );
}

/** Recharts tooltips in the theme's colours (its defaults are light-only). */
export const tooltipStyle = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' },
  labelStyle: { color: 'var(--text)' },
};
