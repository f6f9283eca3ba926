/** Pieces the figure screens (Overview, Analytics) share: a headline figure and chart styling. */

/** One headline figure; `data-stat` lets tests and people find it by its label. */
export function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
  return (
    <div className="stat">
      <dt className="stat-label">{label}</dt>
      <dd className="stat-value" data-stat={label}>
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
