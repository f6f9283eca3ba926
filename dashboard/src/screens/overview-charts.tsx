/** The Overview's charts (requests, tokens by kind, cost), loaded after its figures. */
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Analytics } from '../../../src/shared/analytics-schemas';
import { tooltipStyle } from '../charts';
import { fmtInt, fmtTime, fmtUsd } from '../format';

/** Compact token counts for axes: 1.2k, 3.4M. */
function fmtTokensShort(v: number): string {
  if (Math.abs(v) >= 1e6) return `${(v / 1e6).toFixed(1)}M`;
  if (Math.abs(v) >= 1e3) return `${(v / 1e3).toFixed(1)}k`;
  return String(v);
}

const TOKEN_SERIES = [
  { key: 'input', name: 'Input', color: 'var(--tok-input)' },
  { key: 'output', name: 'Output', color: 'var(--tok-output)' },
  { key: 'cacheRead', name: 'Cache read', color: 'var(--tok-cache-read)' },
  { key: 'cacheWrite', name: 'Cache write', color: 'var(--tok-cache-write)' },
] as const;

export function Charts({ data }: { data: Analytics }) {
  const points = data.series.map((p) => ({
    t: fmtTime(p.ts, data.bucketMs),
    successes: p.successes,
    errors: p.errors,
    cost: p.costUsd,
    input: p.tokens.input,
    output: p.tokens.output,
    cacheRead: p.tokens.cacheRead,
    cacheWrite: p.tokens.cacheWrite5m + p.tokens.cacheWrite1h,
  }));
  const tk = data.tokens;
  const tokenTotals: Record<(typeof TOKEN_SERIES)[number]['key'], number> = {
    input: tk.input,
    output: tk.output,
    cacheRead: tk.cacheRead,
    cacheWrite: tk.cacheWrite5m + tk.cacheWrite1h,
  };
  const axis = { stroke: 'var(--muted)', fontSize: 12 };
  return (
    <>
      <section className="card" aria-labelledby="chart-requests">
        <h2 id="chart-requests">Requests over time</h2>
        <div className="chart" role="img" aria-label={`Requests per bucket, ${fmtInt(data.totals.requests)} in total`}>
          <ResponsiveContainer width="100%" height={240}>
            <BarChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis dataKey="t" tick={axis} stroke="var(--border)" minTickGap={24} />
              <YAxis allowDecimals={false} tick={axis} stroke="var(--border)" width={40} />
              <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--hover)' }} />
              <Legend />
              <Bar dataKey="successes" name="Succeeded" stackId="r" fill="var(--ok)" isAnimationActive={false} />
              <Bar dataKey="errors" name="Failed" stackId="r" fill="var(--bad)" isAnimationActive={false} />
            </BarChart>
          </ResponsiveContainer>
        </div>
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
        <div
          className="chart chart-short"
          role="img"
          aria-label={`Tokens per bucket by kind, ${fmtInt(tk.total)} in total`}
        >
          <ResponsiveContainer width="100%" height={200}>
            <BarChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis dataKey="t" tick={axis} stroke="var(--border)" minTickGap={24} />
              <YAxis
                allowDecimals={false}
                tick={axis}
                stroke="var(--border)"
                width={48}
                tickFormatter={fmtTokensShort}
              />
              <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--hover)' }} formatter={(v) => fmtInt(Number(v))} />
              {TOKEN_SERIES.map((s) => (
                <Bar key={s.key} dataKey={s.key} name={s.name} stackId="t" fill={s.color} isAnimationActive={false} />
              ))}
            </BarChart>
          </ResponsiveContainer>
        </div>
      </section>
      <section className="card" aria-labelledby="chart-cost">
        <h2 id="chart-cost">Cost over time</h2>
        <div className="chart" role="img" aria-label={`Cost per bucket, ${fmtUsd(data.totals.costUsd)} in total`}>
          <ResponsiveContainer width="100%" height={240}>
            <AreaChart data={points} margin={{ top: 8, right: 8, left: 0, bottom: 0 }}>
              <CartesianGrid stroke="var(--grid)" vertical={false} />
              <XAxis dataKey="t" tick={axis} stroke="var(--border)" minTickGap={24} />
              <YAxis tick={axis} stroke="var(--border)" width={56} tickFormatter={(v: number) => fmtUsd(v)} />
              <Tooltip {...tooltipStyle} formatter={(v) => fmtUsd(Number(v))} />
              <Area
                type="monotone"
                dataKey="cost"
                name="Cost"
                stroke="var(--accent)"
                fill="var(--accent-soft)"
                isAnimationActive={false}
              />
            </AreaChart>
          </ResponsiveContainer>
        </div>
      </section>
    </>
  );
}
