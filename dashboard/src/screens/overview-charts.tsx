/** The Overview's charts (requests, tokens by kind, cost) as plain SVG (see svg-chart.tsx). */
import type { Analytics } from '../../../src/shared/analytics-schemas';
import { fmtInt, fmtNumber, fmtTime, fmtUsd } from '../format';
import { overview as messages } from '../i18n/en/overview';
import { translator } from '../i18n/i18n';
import { AreaLine, StackedBars } from '../svg-chart';

const t = translator('overview', messages);

/** Compact token counts for axes: 1.2k, 3.4M. */
function fmtTokensShort(v: number): string {
  if (Math.abs(v) >= 1e6) return `${fmtNumber(v / 1e6, 1)}M`;
  if (Math.abs(v) >= 1e3) return `${fmtNumber(v / 1e3, 1)}k`;
  return fmtNumber(v);
}

// `id` (the English name) names a figure for tests and people in every language; `name` is shown.
const TOKEN_KINDS = [
  { key: 'input', id: 'Input', msg: 'input', color: 'var(--tok-input)' },
  { key: 'output', id: 'Output', msg: 'output', color: 'var(--tok-output)' },
  { key: 'cacheRead', id: 'Cache read', msg: 'cacheRead', color: 'var(--tok-cache-read)' },
  { key: 'cacheWrite', id: 'Cache write', msg: 'cacheWrite', color: 'var(--tok-cache-write)' },
] as const;

/** The series with their names in the active language (read when drawn). */
function series() {
  return {
    requests: [
      { key: 'successes', name: t('succeeded'), color: 'var(--ok)' },
      { key: 'errors', name: t('seriesFailed'), color: 'var(--bad)' },
    ] as const,
    tokens: TOKEN_KINDS.map((k) => ({ ...k, name: t(k.msg) })),
    cost: [{ key: 'cost', name: t('cost'), color: 'var(--accent)' }] as const,
  };
}

/** The four kinds the token chart shows: both cache-write classes as one. */
function byKind(k: Analytics['tokens']): Record<(typeof TOKEN_KINDS)[number]['key'], number> {
  return { input: k.input, output: k.output, cacheRead: k.cacheRead, cacheWrite: k.cacheWrite5m + k.cacheWrite1h };
}

export function Charts({ data }: { data: Analytics }) {
  const points = data.series.map((p) => ({
    label: fmtTime(p.ts, data.bucketMs),
    successes: p.successes,
    errors: p.errors,
    cost: p.costUsd,
    ...byKind(p.tokens),
  }));
  const tk = data.tokens;
  const tokenTotals = byKind(tk);
  const s = series();
  return (
    <>
      <section className="card" aria-labelledby="chart-requests">
        <h2 id="chart-requests">{t('requestsOverTime')}</h2>
        <StackedBars
          points={points}
          series={s.requests}
          height={240}
          format={(v) => fmtInt(v)}
          label={t('requestsChart', { total: fmtInt(data.totals.requests) })}
          legend
          integer
        />
      </section>
      <section className="card" aria-labelledby="chart-tokens">
        <h2 id="chart-tokens">{t('tokensOverTime')}</h2>
        <dl className="token-totals" aria-label={t('tokensInRange')}>
          {s.tokens.map((k) => (
            <div key={k.key}>
              <dt>
                <span className="swatch" style={{ background: k.color }} aria-hidden="true" />
                {k.name}
              </dt>
              <dd data-tokens={k.id}>{fmtInt(tokenTotals[k.key])}</dd>
            </div>
          ))}
        </dl>
        <StackedBars
          points={points}
          series={s.tokens}
          height={200}
          format={fmtTokensShort}
          label={t('tokensChart', { total: fmtInt(tk.total) })}
          integer
        />
      </section>
      <section className="card" aria-labelledby="chart-cost">
        <h2 id="chart-cost">{t('costOverTime')}</h2>
        <AreaLine
          points={points}
          series={s.cost}
          height={240}
          format={(v) => fmtUsd(v)}
          label={t('costChart', { total: fmtUsd(data.totals.costUsd) })}
          color="var(--accent)"
          fill="var(--accent-soft)"
        />
        {data.unpriced.requests > 0 ? (
          <p className="muted small" data-note="chart-cost">
            {t.plural('unpricedNote', data.unpriced.requests, {
              models:
                data.unpriced.models.length === 0 ? t('unknownModel') : data.unpriced.models.slice(0, 3).join(', '),
            })}
          </p>
        ) : null}
      </section>
    </>
  );
}
