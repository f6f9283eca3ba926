/** The Overview's charts (requests, tokens by kind, cost) as plain SVG (see svg-chart.tsx). */
import type { Analytics } from '../../../src/shared/analytics-schemas';
import { fmtInt, fmtTime, fmtUsd } from '../format';
import { AreaLine, StackedBars } from '../svg-chart';

/** Compact token counts for axes: 1.2k, 3.4M. */
function fmtTokensShort(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(v);
}

const REQUEST_SERIES = [
  { key: 'successes', name: 'Succeeded', color: 'var(--ok)' },
  { key: 'errors', name: 'Failed', color: 'var(--bad)' },
] as const;

const TOKEN_SERIES = [
  { key: 'input', name: 'Input', color: 'var(--tok-input)' },
  { key: 'output', name: 'Output', color: 'var(--tok-output)' },
  { key: 'cacheRead', name: 'Cache read', color: 'var(--tok-cache-read)' },
  { key: 'cacheWrite', name: 'Cache write', color: 'var(--tok-cache-write)' },
] as const;

const COST_SERIES = [{ key: 'cost', name: 'Cost', color: 'var(--accent)' }] as const;

/** The four kinds the token chart shows: both cache-write classes as one. */
function byKind(t: Analytics['tokens']): Record<(typeof TOKEN_SERIES)[number]['key'], number> {
  return { input: t.input, output: t.output, cacheRead: t.cacheRead, cacheWrite: t.cacheWrite5m + t.cacheWrite1h };
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
  return (
    <>
      <section className="card" aria-labelledby="chart-requests">
        <h2 id="chart-requests">Requests over time</h2>
        <StackedBars
          points={points}
          series={REQUEST_SERIES}
          height={240}
          format={(v) => fmtInt(v)}
          label={`Requests per bucket, ${fmtInt(data.totals.requests)} in total`}
          legend
          integer
        />
      </section>
      <section className="card" aria-labelledby="chart-tokens">
        <h2 id="chart-tokens">Tokens over time</h2>
        <dl className="token-totals" aria-label="Tokens in the range">
          {TOKEN_SERIES.map((s) => (
            <div key={s.key}>
              <dt>
                <span className="swatch" style={{ background: s.color }} aria-hidden="true" />
                {s.name}
              </dt>
              <dd data-tokens={s.name}>{fmtInt(tokenTotals[s.key])}</dd>
            </div>
          ))}
        </dl>
        <StackedBars
          points={points}
          series={TOKEN_SERIES}
          height={200}
          format={fmtTokensShort}
          label={`Tokens per bucket by kind, ${fmtInt(tk.total)} in total`}
          integer
        />
      </section>
      <section className="card" aria-labelledby="chart-cost">
        <h2 id="chart-cost">Cost over time</h2>
        <AreaLine
          points={points}
          series={COST_SERIES}
          height={240}
          format={(v) => fmtUsd(v)}
          label={`Cost per bucket, ${fmtUsd(data.totals.costUsd)} in total`}
          color="var(--accent)"
          fill="var(--accent-soft)"
        />
      </section>
    </>
  );
}
