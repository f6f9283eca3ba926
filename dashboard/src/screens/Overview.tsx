/** Overview: totals and charts for a chosen range (/api/analytics) and each account's state (/api/accounts). */
import { useQuery } from '@tanstack/react-query';
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
import type { Account } from '../../../src/shared/accounts-schemas';
import type { Analytics } from '../../../src/shared/analytics-schemas';
import { AccountWindows, StatusBadge, statusAdvice, useNow } from '../accounts-ui';
import { apiFetch } from '../api';
import { fmtInt, fmtMs, fmtPercent, fmtRate, fmtTime, fmtUsd } from '../format';
import { linkClick, setSearchParam, useLocation } from '../router';
import { ErrorState, Loading } from '../states';

const RANGES: { value: Analytics['range']; label: string }[] = [
  { value: '1h', label: 'Last hour' },
  { value: '6h', label: 'Last 6 hours' },
  { value: '24h', label: 'Last 24 hours' },
  { value: '7d', label: 'Last 7 days' },
  { value: '30d', label: 'Last 30 days' },
];

function isRange(v: string | null): v is Analytics['range'] {
  return RANGES.some((r) => r.value === v);
}

export function useAccounts() {
  return useQuery({ queryKey: ['accounts'], queryFn: () => apiFetch<Account[]>('/api/accounts') });
}

function Stat({ label, value, hint }: { label: string; value: string; hint?: string }) {
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

const tooltipStyle = {
  contentStyle: { background: 'var(--surface)', border: '1px solid var(--border)', color: 'var(--text)' },
  labelStyle: { color: 'var(--text)' },
};

function Charts({ data }: { data: Analytics }) {
  const points = data.series.map((p) => ({
    t: fmtTime(p.ts, data.bucketMs),
    successes: p.successes,
    errors: p.errors,
    cost: p.costUsd,
  }));
  const axis = { stroke: 'var(--muted)', fontSize: 12 };
  return (
    <div className="grid-2">
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
    </div>
  );
}

function AccountStates() {
  const accounts = useAccounts();
  const now = useNow();
  return (
    <section className="card" aria-labelledby="overview-accounts">
      <h2 id="overview-accounts">Accounts</h2>
      {accounts.isPending ? (
        <Loading what="accounts" />
      ) : accounts.isError ? (
        <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
      ) : accounts.data.length === 0 ? (
        <div className="empty">
          <p>No accounts yet: requests through the gateway have nowhere to go.</p>
          <a href="/accounts" onClick={linkClick('/accounts')} className="button primary">
            Add an account
          </a>
        </div>
      ) : (
        <ul className="account-cards">
          {accounts.data.map((a) => {
            const advice = statusAdvice(a, now);
            return (
              <li key={a.id} className="account-card" aria-label={`Account ${a.name}`}>
                <div className="account-card-head">
                  <strong>{a.name}</strong>
                  <StatusBadge account={a} />
                </div>
                {advice ? <p className={`advice advice-${a.status}`}>{advice}</p> : null}
                <AccountWindows account={a} now={now} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

export function Overview() {
  const { search } = useLocation();
  const param = search.get('range');
  const range: Analytics['range'] = isRange(param) ? param : '24h';
  const analytics = useQuery({
    queryKey: ['analytics', range],
    queryFn: () => apiFetch<Analytics>(`/api/analytics?range=${range}`),
    refetchInterval: 30_000,
  });
  const t = analytics.data?.totals;
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <label className="inline-field">
          <span>Range</span>
          <select value={range} onChange={(e) => setSearchParam('range', e.target.value)}>
            {RANGES.map((r) => (
              <option key={r.value} value={r.value}>
                {r.label}
              </option>
            ))}
          </select>
        </label>
      </div>
      {analytics.isPending ? (
        <Loading what="figures" />
      ) : analytics.isError ? (
        <ErrorState error={analytics.error} retry={() => void analytics.refetch()} />
      ) : (
        <>
          {t && t.requests === 0 ? (
            <div className="notice" role="status">
              No requests in this range. Point a client at this gateway (for Claude Code:{' '}
              <code>ANTHROPIC_BASE_URL={location.origin}</code>) or pick a longer range.
            </div>
          ) : null}
          <dl className="stats" aria-label="Totals">
            <Stat label="Requests" value={fmtInt(t?.requests)} hint={`${fmtInt(t?.errors)} failed`} />
            <Stat label="Success rate" value={fmtPercent(t?.successRate)} />
            <Stat label="Avg latency" value={fmtMs(t?.avgLatencyMs)} />
            <Stat label="P95 latency" value={fmtMs(t?.p95LatencyMs)} />
            <Stat label="Cost" value={fmtUsd(t?.costUsd)} />
            <Stat label="Output speed" value={fmtRate(t?.outputTokensPerSecond)} />
            <Stat label="Cache hit rate" value={fmtPercent(t?.cacheHitRate)} />
          </dl>
          <Charts data={analytics.data} />
        </>
      )}
      <AccountStates />
    </>
  );
}
