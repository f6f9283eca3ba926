/**
 * Analytics: figures, charts and per-model / per-account breakdowns of `/api/analytics` for a
 * range and filters kept in the URL (each change is a history entry, so back / forward and shared
 * links show the same view), per bucket or as running totals, and each model's series of a chosen
 * figure.
 */
import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { type ReactElement, type RefObject, useEffect, useRef, useState } from 'react';
import {
  Area,
  AreaChart,
  Bar,
  BarChart,
  CartesianGrid,
  Legend,
  Line,
  LineChart,
  ReferenceLine,
  ResponsiveContainer,
  Tooltip,
  XAxis,
  YAxis,
} from 'recharts';
import type { Analytics as AnalyticsData, PerfSummary, SeriesPoint } from '../../../src/shared/analytics-schemas';
import { costUnknown } from '../../../src/shared/tokens';
import { useAccounts } from '../accounts-ui';
import { apiFetch } from '../api';
import { type Column, DataTable } from '../data-table';
import { DASH, fmtInt, fmtMs, fmtPercent, fmtRate, fmtTime, fmtTokensInOut, fmtUsd } from '../format';
import { navigate, useLocation } from '../router';
import { ErrorState, Loading } from '../states';
import './analytics.css';
import { isRange, RANGES, type Range, RangeSelect, Stat, tooltipStyle } from '../charts';
import { analytics as messages } from '../i18n/en/analytics';
import { translator } from '../i18n/i18n';
import { queryKeys } from '../query-keys';

const t = translator('analytics', messages);

type Status = AnalyticsData['filters']['status'];

const DEFAULT_RANGE: Range = '24h';

/** Per bucket, or running totals over the range (the figures that add up: requests, tokens, cost). */
type View = 'bucket' | 'cumulative';

/** The figure the per-model chart shows. */
const METRICS = [
  { value: 'requests', msg: 'statRequests', additive: true },
  { value: 'tokens', msg: 'statTokens', additive: true },
  { value: 'cost', msg: 'statCost', additive: true },
  { value: 'latency', msg: 'statAvgLatency', additive: false },
  { value: 'speed', msg: 'statOutputSpeed', additive: false },
] as const;
type Metric = (typeof METRICS)[number]['value'];
const DEFAULT_METRIC: Metric = 'requests';

function isMetric(v: string | null): v is Metric {
  return METRICS.some((m) => m.value === v);
}

interface Filters {
  range: Range;
  accounts: string[];
  models: string[];
  agents: string[];
  status: Status;
  view: View;
  metric: Metric;
}

function list(v: string | null): string[] {
  return [
    ...new Set(
      (v ?? '')
        .split(',')
        .map((s) => s.trim())
        .filter(Boolean),
    ),
  ];
}

function readFilters(search: URLSearchParams): Filters {
  const r = search.get('range');
  const s = search.get('status');
  return {
    range: isRange(r) ? r : DEFAULT_RANGE,
    accounts: list(search.get('accounts')),
    models: list(search.get('models')),
    agents: list(search.get('agents')),
    status: s === 'success' || s === 'error' ? s : 'all',
    view: search.get('view') === 'cumulative' ? 'cumulative' : 'bucket',
    metric: isMetric(search.get('metric')) ? (search.get('metric') as Metric) : DEFAULT_METRIC,
  };
}

/** The filters' query string, shared by the page URL and the API call (defaults left out, so links stay short). */
function queryString(f: Filters): string {
  const p = new URLSearchParams();
  if (f.range !== DEFAULT_RANGE) p.set('range', f.range);
  if (f.accounts.length) p.set('accounts', f.accounts.join(','));
  if (f.models.length) p.set('models', f.models.join(','));
  if (f.agents.length) p.set('agents', f.agents.join(','));
  if (f.status !== 'all') p.set('status', f.status);
  return p.toString();
}

function setFilters(f: Filters): void {
  const p = new URLSearchParams(queryString(f));
  // How the answer is shown: in the page URL only.
  if (f.view !== 'bucket') p.set('view', f.view);
  if (f.metric !== DEFAULT_METRIC) p.set('metric', f.metric);
  const q = p.toString();
  navigate(`/analytics${q ? `?${q}` : ''}`);
}

function cleared(f: Filters): Filters {
  return { ...f, accounts: [], models: [], agents: [], status: 'all' };
}

function hasFilters(f: Filters): boolean {
  return f.accounts.length > 0 || f.models.length > 0 || f.agents.length > 0 || f.status !== 'all';
}

function useAnalytics(f: Filters) {
  // Per-model series for the chart by model (one more GROUP BY column in the same query).
  const q = [queryString(f), 'modelSeries=true'].filter(Boolean).join('&');
  // Keys start with 'analytics' so live.ts refreshes them after every finished request.
  return useQuery({
    queryKey: queryKeys.analytics.screen(q),
    queryFn: () => apiFetch<AnalyticsData>(`/api/analytics?${q}`),
    placeholderData: keepPreviousData,
    refetchInterval: 60_000,
  });
}

const modelLabel = (m: string | null) => m || t('unknownModel');
const accountLabel = (a: { name: string | null; accountId: string | null }) =>
  a.name ?? (a.accountId ? a.accountId : t('noAccount'));

function Totals({ tot }: { tot: PerfSummary }) {
  return (
    <dl className="stats" aria-label={t('totals')}>
      <Stat
        id="Requests"
        label={t('statRequests')}
        value={fmtInt(tot.requests)}
        hint={t('okFailed', { ok: fmtInt(tot.successes), failed: fmtInt(tot.errors) })}
      />
      <Stat id="Success rate" label={t('statSuccessRate')} value={fmtPercent(tot.successRate)} />
      <Stat id="Avg latency" label={t('statAvgLatency')} value={fmtMs(tot.avgLatencyMs)} />
      <Stat id="P95 latency" label={t('statP95Latency')} value={fmtMs(tot.p95LatencyMs)} />
      <Stat id="Time to first token" label={t('statTtft')} value={fmtMs(tot.avgTtftMs)} hint={t('average')} />
      <Stat id="Output speed" label={t('statOutputSpeed')} value={fmtRate(tot.outputTokensPerSecond)} />
      <Stat id="Tokens" label={t('statTokens')} value={fmtInt(tot.tokens.total)} hint={fmtTokensInOut(tot.tokens)} />
      <Stat id="Cost" label={t('statCost')} value={fmtUsd(tot.costUsd)} />
      <Stat id="Cache hit rate" label={t('statCacheHitRate')} value={fmtPercent(tot.cacheHitRate)} />
    </dl>
  );
}

function CheckGroup({
  legend,
  options,
  selected,
  onChange,
  none,
}: {
  legend: string;
  options: string[];
  selected: string[];
  onChange: (next: string[]) => void;
  none: string;
}) {
  return (
    <fieldset className="an-checks">
      <legend>{legend}</legend>
      {options.length === 0 ? <span className="muted small">{none}</span> : null}
      {options.map((o) => (
        <label key={o} className="an-check">
          <input
            type="checkbox"
            checked={selected.includes(o)}
            onChange={(e) => onChange(e.target.checked ? [...selected, o] : selected.filter((s) => s !== o))}
          />
          <span>{o}</span>
        </label>
      ))}
    </fieldset>
  );
}

function FilterBar({ filters, choices }: { filters: Filters; choices: AnalyticsData | undefined }) {
  const accounts = useAccounts();
  // Current accounts first, then removed ones that still have history in this range, then
  // whatever the URL names (a shared link may name an account this gateway no longer has).
  const accountNames = [
    ...new Set([
      ...(accounts.data ?? []).map((a) => a.name),
      ...(choices?.accounts ?? []).flatMap((a) => (a.name ? [a.name] : [])),
      ...filters.accounts,
    ]),
  ];
  const modelNames = [
    ...new Set([...(choices?.models ?? []).flatMap((m) => (m.model ? [m.model] : [])), ...filters.models]),
  ].sort();
  // Agents with requests in this range (main, subagent, a sub-agent's name), then the URL's.
  const agentNames = [
    ...new Set([...(choices?.agents ?? []).flatMap((a) => (a.agent ? [a.agent] : [])), ...filters.agents]),
  ].sort();
  return (
    <form className="card an-filters" aria-label={t('filterForm')} onSubmit={(e) => e.preventDefault()}>
      <CheckGroup
        legend={t('accounts')}
        options={accountNames}
        selected={filters.accounts}
        onChange={(accounts) => setFilters({ ...filters, accounts })}
        none={accounts.isPending ? t('loadingAccounts') : t('noAccountsYet')}
      />
      <CheckGroup
        legend={t('models')}
        options={modelNames}
        selected={filters.models}
        onChange={(models) => setFilters({ ...filters, models })}
        none={choices ? t('noModel') : t('loadingModels')}
      />
      <CheckGroup
        legend={t('agents')}
        options={agentNames}
        selected={filters.agents}
        onChange={(agents) => setFilters({ ...filters, agents })}
        none={choices ? t('noAgent') : t('loadingAgents')}
      />
      <label className="inline-field">
        <span>{t('status')}</span>
        <select value={filters.status} onChange={(e) => setFilters({ ...filters, status: e.target.value as Status })}>
          <option value="all">{t('anyStatus')}</option>
          <option value="success">{t('succeeded')}</option>
          <option value="error">{t('failed')}</option>
        </select>
      </label>
      {hasFilters(filters) ? (
        <button type="button" className="link-button" onClick={() => setFilters(cleared(filters))}>
          {t('clearFilters')}
        </button>
      ) : null}
    </form>
  );
}

function EmptyState({ filters }: { filters: Filters }) {
  const range = RANGES.find((r) => r.value === filters.range)?.label.toLocaleLowerCase() ?? filters.range;
  const filtered = hasFilters(filters);
  return (
    <section className="card an-empty" aria-labelledby="an-empty-title">
      <h2 id="an-empty-title">{t(filtered ? 'emptyFiltered' : 'empty', { range })}</h2>
      <ul>
        <li>
          {t('sendTraffic')} <code>ANTHROPIC_BASE_URL={location.origin}</code>
          {t('sendTrafficAfter')}
        </li>
        {filters.range !== '30d' ? (
          <li>
            {t('widen')}{' '}
            <button type="button" className="link-button" onClick={() => setFilters({ ...filters, range: '30d' })}>
              {t('show30d')}
            </button>
            .
          </li>
        ) : null}
        {filtered ? (
          <li>
            {t('or')}{' '}
            <button type="button" className="link-button" onClick={() => setFilters(cleared(filters))}>
              {t('clearTheFilters')}
            </button>
            .
          </li>
        ) : null}
      </ul>
    </section>
  );
}

const axis = { stroke: 'var(--muted)', fontSize: 12 };
const margin = { top: 8, right: 8, left: 0, bottom: 0 };
const HEIGHT = 220;
/**
 * Busy buckets are often far apart and an isolated point draws no line, so sparse series get a
 * dot per point; dense ones don't (hundreds of SVG dots make every render slow) and bridge the
 * empty buckets instead.
 */
const SPARSE_POINTS = 40;
function dotFor(points: readonly Record<string, unknown>[], key: string, color: string) {
  let n = 0;
  for (const p of points) if (p[key] != null) n++;
  return n <= SPARSE_POINTS ? { r: 2.5, fill: color, stroke: color } : false;
}

/**
 * Renders its chart once it comes near the viewport: ten Recharts charts cost most of a second
 * to draw on a slow machine, and only two are on screen at first. Keeps the height meanwhile so
 * the page does not jump.
 */
function LazyChart({ height, children }: { height: number; children: ReactElement }) {
  const ref = useRef<HTMLDivElement>(null);
  const [seen, setSeen] = useState(false);
  useEffect(() => {
    const el = ref.current;
    if (!el || seen) return;
    const io = new IntersectionObserver(
      (entries) => {
        if (entries.some((e) => e.isIntersecting)) setSeen(true);
      },
      { rootMargin: '200px' },
    );
    io.observe(el);
    return () => io.disconnect();
  }, [seen]);
  return (
    <div ref={ref} style={{ minHeight: height }}>
      {seen ? (
        <ResponsiveContainer width="100%" height={height}>
          {children}
        </ResponsiveContainer>
      ) : null}
    </div>
  );
}

function ChartCard({
  id,
  title,
  label,
  empty,
  note,
  children,
}: {
  id: string;
  title: string;
  label: string;
  /** Said instead of the chart when it has no point to draw: bare axes and a legend read as broken. */
  empty?: string | null;
  /** A line under the chart (what its figures leave out). */
  note?: string | null;
  children: ReactElement;
}) {
  return (
    <section className="card" aria-labelledby={id}>
      <h2 id={id}>{title}</h2>
      {empty ? (
        <p className="muted an-chart-empty">{empty}</p>
      ) : (
        <div className="chart an-chart" role="img" aria-label={label}>
          <LazyChart height={HEIGHT}>{children}</LazyChart>
        </div>
      )}
      {note ? (
        <p className="muted small" data-note={id}>
          {note}
        </p>
      ) : null}
    </section>
  );
}

const TOKEN_KINDS = [
  { key: 'input', color: 'var(--tok-input)' },
  { key: 'output', color: 'var(--tok-output)' },
  { key: 'cacheRead', color: 'var(--tok-cache-read)' },
  { key: 'cacheWrite5m', color: 'var(--tok-cache-5m)' },
  { key: 'cacheWrite1h', color: 'var(--tok-cache-1h)' },
] as const;

/** The slowest and fastest single request of the range. */
function speedExtremes(series: readonly SeriesPoint[]): { min: number | null; max: number | null } {
  let min: number | null = null;
  let max: number | null = null;
  for (const p of series) {
    if (p.outputTokensPerSecondMin != null && (min === null || p.outputTokensPerSecondMin < min))
      min = p.outputTokensPerSecondMin;
    if (p.outputTokensPerSecondMax != null && (max === null || p.outputTokensPerSecondMax > max))
      max = p.outputTokensPerSecondMax;
  }
  return { min, max };
}

/** The figures that add up over time, summed from the first bucket on in the cumulative view. */
const ADDITIVE = [
  'successes',
  'errors',
  'input',
  'output',
  'cacheRead',
  'cacheWrite5m',
  'cacheWrite1h',
  'cost',
] as const;

function runningTotals<T extends Record<string, unknown>>(points: T[], keys: readonly (keyof T & string)[]): T[] {
  const sums: Record<string, number> = {};
  return points.map((p) => {
    const out: Record<string, unknown> = { ...p };
    for (const k of keys) {
      sums[k] = (sums[k] ?? 0) + (Number(p[k]) || 0);
      out[k] = sums[k];
    }
    return out as T;
  });
}

function TimeCharts({ data, view }: { data: AnalyticsData; view: View }) {
  const tot = data.totals;
  const cumulative = view === 'cumulative';
  const perBucket = data.series.map((p) => ({
    t: fmtTime(p.ts, data.bucketMs),
    successes: p.successes,
    errors: p.errors,
    input: p.tokens.input,
    output: p.tokens.output,
    cacheRead: p.tokens.cacheRead,
    cacheWrite5m: p.tokens.cacheWrite5m,
    cacheWrite1h: p.tokens.cacheWrite1h,
    cost: p.costUsd,
    latency: p.avgLatencyMs,
    ttft: p.avgTtftMs,
    speed: p.outputTokensPerSecond,
    speedMin: p.outputTokensPerSecondMin,
    speedMax: p.outputTokensPerSecondMax,
    cacheHit: p.cacheHitRate == null ? null : p.cacheHitRate * 100,
  }));
  const points = cumulative ? runningTotals(perBucket, ADDITIVE) : perBucket;
  const speedRange = speedExtremes(data.series);
  const x = <XAxis dataKey="t" tick={axis} stroke="var(--border)" minTickGap={28} />;
  const grid = <CartesianGrid stroke="var(--grid)" vertical={false} />;
  const tok = data.tokens;
  return (
    <div className="grid-2">
      <ChartCard
        id="an-volume"
        title={cumulative ? t('requestsRunning') : t('statRequests')}
        label={t(cumulative ? 'requestsRunningChart' : 'requestsChart', {
          ok: fmtInt(tot.successes),
          failed: fmtInt(tot.errors),
        })}
      >
        <BarChart data={points} margin={margin}>
          {grid}
          {x}
          <YAxis allowDecimals={false} tick={axis} stroke="var(--border)" width={40} />
          <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--hover)' }} />
          <Legend />
          <Bar dataKey="successes" name={t('succeeded')} stackId="r" fill="var(--ok)" isAnimationActive={false} />
          <Bar dataKey="errors" name={t('failed')} stackId="r" fill="var(--bad)" isAnimationActive={false} />
        </BarChart>
      </ChartCard>

      <section className="card" aria-labelledby="an-tokens">
        <h2 id="an-tokens">{cumulative ? t('tokensByKindRunning') : t('tokensByKind')}</h2>
        <div
          className="chart an-chart"
          role="img"
          aria-label={t(cumulative ? 'tokensRunningChart' : 'tokensChart', { total: fmtInt(tok.total) })}
        >
          <LazyChart height={HEIGHT}>
            <BarChart data={points} margin={margin}>
              {grid}
              {x}
              <YAxis allowDecimals={false} tick={axis} stroke="var(--border)" width={56} />
              <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--hover)' }} formatter={(v) => fmtInt(Number(v))} />
              {TOKEN_KINDS.map((k) => (
                <Bar key={k.key} dataKey={k.key} name={t(k.key)} stackId="t" fill={k.color} isAnimationActive={false} />
              ))}
            </BarChart>
          </LazyChart>
        </div>
        <dl className="an-kinds" aria-label={t('tokensByKind')}>
          {TOKEN_KINDS.map((k) => (
            <div key={k.key}>
              <dt>
                <span className="an-swatch" style={{ background: k.color }} aria-hidden="true" />
                {t(k.key)}
              </dt>
              <dd data-tokens={k.key}>{fmtInt(tok[k.key])}</dd>
            </div>
          ))}
        </dl>
      </section>

      <ChartCard
        id="an-cost"
        title={cumulative ? t('costRunning') : t('statCost')}
        label={t(cumulative ? 'costRunningChart' : 'costChart', { total: fmtUsd(tot.costUsd) })}
        note={unpricedNote(data.unpriced)}
      >
        <AreaChart data={points} margin={margin}>
          {grid}
          {x}
          <YAxis tick={axis} stroke="var(--border)" width={60} tickFormatter={(v: number) => fmtUsd(v)} />
          <Tooltip {...tooltipStyle} formatter={(v) => fmtUsd(Number(v))} />
          <Area
            type="monotone"
            dataKey="cost"
            name={t('statCost')}
            stroke="var(--accent)"
            fill="var(--accent-soft)"
            isAnimationActive={false}
          />
        </AreaChart>
      </ChartCard>

      <ChartCard
        id="an-latency"
        title={t('latencyTitle')}
        label={t('latencyChart', {
          avg: fmtMs(tot.avgLatencyMs),
          p95: fmtMs(tot.p95LatencyMs),
          ttft: fmtMs(tot.avgTtftMs),
        })}
      >
        <LineChart data={points} margin={margin}>
          {grid}
          {x}
          <YAxis tick={axis} stroke="var(--border)" width={56} tickFormatter={(v: number) => fmtMs(v)} />
          <Tooltip {...tooltipStyle} formatter={(v) => fmtMs(Number(v))} />
          <Legend />
          <Line
            type="monotone"
            dataKey="latency"
            name={t('avgLatency')}
            stroke="var(--accent)"
            dot={dotFor(points, 'latency', 'var(--accent)')}
            connectNulls
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="ttft"
            name={t('avgTtft')}
            stroke="var(--tok-output)"
            dot={dotFor(points, 'ttft', 'var(--tok-output)')}
            connectNulls
            isAnimationActive={false}
          />
          {tot.p95LatencyMs != null ? (
            <ReferenceLine
              y={tot.p95LatencyMs}
              stroke="var(--warn)"
              strokeDasharray="4 4"
              label={{
                value: t('p95', { value: fmtMs(tot.p95LatencyMs) }),
                fill: 'var(--muted)',
                fontSize: 12,
                position: 'top',
              }}
            />
          ) : null}
        </LineChart>
      </ChartCard>

      <ChartCard
        id="an-speed"
        title={t('statOutputSpeed')}
        empty={points.some((p) => p.speed != null) ? null : t('speedNone')}
        label={t('speedRangeChart', {
          rate: fmtRate(tot.outputTokensPerSecond),
          min: fmtRate(speedRange.min),
          max: fmtRate(speedRange.max),
        })}
      >
        <LineChart data={points} margin={margin}>
          {grid}
          {x}
          <YAxis tick={axis} stroke="var(--border)" width={48} />
          <Tooltip {...tooltipStyle} formatter={(v) => fmtRate(Number(v))} />
          <Legend />
          <Line
            type="monotone"
            dataKey="speedMax"
            name={t('fastest')}
            stroke="var(--tok-cache-1h)"
            strokeDasharray="4 3"
            dot={dotFor(points, 'speedMax', 'var(--tok-cache-1h)')}
            connectNulls
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="speedMin"
            name={t('slowest')}
            stroke="var(--warn)"
            strokeDasharray="4 3"
            dot={dotFor(points, 'speedMin', 'var(--warn)')}
            connectNulls
            isAnimationActive={false}
          />
          <Line
            type="monotone"
            dataKey="speed"
            name={t('averageSeries')}
            stroke="var(--ok)"
            dot={dotFor(points, 'speed', 'var(--ok)')}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </ChartCard>

      <ChartCard
        id="an-cache"
        title={t('statCacheHitRate')}
        label={t('cacheChart', { rate: fmtPercent(tot.cacheHitRate) })}
      >
        <LineChart data={points} margin={margin}>
          {grid}
          {x}
          <YAxis
            tick={axis}
            stroke="var(--border)"
            width={48}
            domain={[0, 100]}
            tickFormatter={(v: number) => fmtPercent(v / 100, 0)}
          />
          <Tooltip {...tooltipStyle} formatter={(v) => fmtPercent(Number(v) / 100)} />
          <Line
            type="monotone"
            dataKey="cacheHit"
            name={t('statCacheHitRate')}
            stroke="var(--tok-cache-read)"
            dot={dotFor(points, 'cacheHit', 'var(--tok-cache-read)')}
            connectNulls
            isAnimationActive={false}
          />
        </LineChart>
      </ChartCard>
    </div>
  );
}

const MODEL_COLORS = [
  'var(--accent)',
  'var(--tok-output)',
  'var(--tok-cache-read)',
  'var(--tok-cache-5m)',
  'var(--tok-cache-1h)',
  'var(--bad)',
];
/** The line of the models past the coloured ones. */
const OTHER_COLOR = 'var(--muted)';

interface ModelLine {
  key: string;
  label: string;
  color: string;
  /** The figure in the bucket at `i`. */
  at: (i: number) => number | null;
  /** The figure over the range: a sum, or the models' own average. */
  overall: number | null;
}

/**
 * A line per model for the first models and one for the rest together, so the chart's lines add
 * up to the range's total as the By model table does. Averages of the rest are weighted by requests.
 */
function modelLines(data: AnalyticsData, metric: (typeof METRICS)[number]): ModelLine[] {
  const all = data.modelSeries ?? [];
  const top = all.slice(0, MODEL_COLORS.length);
  const rest = all.slice(MODEL_COLORS.length);
  const perfOf = (model: string | null) => data.models.find((x) => x.model === model);
  const averageOf = (p: { avgLatencyMs: number | null; outputTokensPerSecond: number | null }) =>
    metric.value === 'latency' ? p.avgLatencyMs : p.outputTokensPerSecond;
  /** Request-weighted average of the averages, null when none is known. */
  const weighted = (parts: { requests: number; value: number | null }[]) => {
    let n = 0;
    let sum = 0;
    for (const p of parts) {
      if (p.value == null || p.requests === 0) continue;
      n += p.requests;
      sum += p.value * p.requests;
    }
    return n === 0 ? null : sum / n;
  };
  const lines: ModelLine[] = top.map((m, j) => {
    const perf = perfOf(m.model);
    return {
      key: `m${j}`,
      label: modelLabel(m.model),
      color: MODEL_COLORS[j] as string,
      at: (i) => {
        const q = m.series[i];
        return q ? metricOf(metric.value, q) : null;
      },
      overall: metric.additive
        ? m.series.reduce((n, p) => n + (metricOf(metric.value, p) ?? 0), 0)
        : perf
          ? averageOf(perf)
          : null,
    };
  });
  if (rest.length === 0) return lines;
  lines.push({
    key: 'other',
    label: t('otherModels', { count: rest.length }),
    color: OTHER_COLOR,
    at: (i) => {
      const points = rest.flatMap((m) => (m.series[i] ? [m.series[i]] : []));
      if (!metric.additive) {
        return weighted(points.map((p) => ({ requests: p.requests, value: metricOf(metric.value, p) })));
      }
      const values = points.map((p) => metricOf(metric.value, p)).filter((v): v is number => v != null);
      return values.length === 0 ? null : values.reduce((a, b) => a + b, 0);
    },
    overall: metric.additive
      ? rest.reduce((n, m) => n + m.series.reduce((k, p) => k + (metricOf(metric.value, p) ?? 0), 0), 0)
      : weighted(
          rest.map((m) => {
            const perf = perfOf(m.model);
            return { requests: perf?.requests ?? 0, value: perf ? averageOf(perf) : null };
          }),
        ),
  });
  return lines;
}

function metricOf(metric: Metric, p: SeriesPoint): number | null {
  switch (metric) {
    case 'requests':
      return p.requests;
    case 'tokens':
      return p.tokens.total;
    case 'cost':
      return p.costUsd;
    case 'latency':
      return p.avgLatencyMs;
    case 'speed':
      return p.outputTokensPerSecond;
  }
}

function fmtMetric(metric: Metric, v: number | null): string {
  if (metric === 'cost') return fmtUsd(v);
  if (metric === 'latency') return fmtMs(v);
  if (metric === 'speed') return fmtRate(v);
  return fmtInt(v);
}

/** Each model's figure over the range; summed figures also as running totals in the cumulative view. */
function ModelSeriesCard({ data, filters }: { data: AnalyticsData; filters: Filters }) {
  const metric = METRICS.find((m) => m.value === filters.metric) ?? METRICS[0];
  const lines = modelLines(data, metric);
  const cumulative = filters.view === 'cumulative' && metric.additive;
  const keys = lines.map((l) => l.key);
  const perBucket = data.series.map((p, i) => {
    const point: Record<string, string | number | null> = { t: fmtTime(p.ts, data.bucketMs) };
    for (const l of lines) point[l.key] = l.at(i);
    return point;
  });
  const points = cumulative ? runningTotals(perBucket, keys) : perBucket;
  const metricLabel = t(metric.msg);
  const title = t(cumulative ? 'perModelRunning' : 'perModel', { metric: metricLabel });
  return (
    <section className="card" aria-labelledby="an-model-series">
      <div className="card-head">
        <h2 id="an-model-series">{title}</h2>
        <label className="inline-field">
          <span>{t('figure')}</span>
          <select value={metric.value} onChange={(e) => setFilters({ ...filters, metric: e.target.value as Metric })}>
            {METRICS.map((m) => (
              <option key={m.value} value={m.value}>
                {t(m.msg)}
              </option>
            ))}
          </select>
        </label>
      </div>
      {filters.view === 'cumulative' && !metric.additive ? <p className="muted small">{t('averagesNoSum')}</p> : null}
      <div
        className="chart an-chart"
        role="img"
        aria-label={`${title}: ${lines.map((l) => `${l.label} ${fmtMetric(metric.value, l.overall)}`).join(', ')}`}
      >
        <LazyChart height={HEIGHT}>
          <LineChart data={points} margin={margin}>
            <CartesianGrid stroke="var(--grid)" vertical={false} />
            <XAxis dataKey="t" tick={axis} stroke="var(--border)" minTickGap={28} />
            <YAxis
              tick={axis}
              stroke="var(--border)"
              width={60}
              tickFormatter={(v: number) => fmtMetric(metric.value, v)}
            />
            <Tooltip {...tooltipStyle} formatter={(v) => fmtMetric(metric.value, Number(v))} />
            {/* No chart legend: the list under the chart names the lines with their figures. */}
            {lines.map((l) => (
              <Line
                key={l.key}
                type="monotone"
                dataKey={l.key}
                name={l.label}
                stroke={l.color}
                dot={dotFor(points, l.key, l.color)}
                connectNulls={!metric.additive}
                isAnimationActive={false}
              />
            ))}
          </LineChart>
        </LazyChart>
      </div>
      <dl className="an-kinds" aria-label={t('byModelOverRange', { metric: metricLabel })}>
        {lines.map((l, i) => (
          <div key={l.key}>
            <dt>
              <span className="an-swatch" style={{ background: l.color }} aria-hidden="true" />
              {l.label}
            </dt>
            <dd data-model-total={l.key === 'other' ? 'other' : (data.modelSeries?.[i]?.model ?? '')}>
              {fmtMetric(metric.value, l.overall)}
            </dd>
          </div>
        ))}
      </dl>
    </section>
  );
}

type Row = PerfSummary & { label: string; share?: number | null };

/** Most of a bar chart's width its names may take: the bars need the rest. */
const LABEL_SHARE = 0.45;
const TICK_GAP = 8;
let measurer: CanvasRenderingContext2D | null | undefined;

/** The width of an axis label as drawn, in the page's font. */
function labelWidth(text: string): number {
  measurer ??= document.createElement('canvas').getContext('2d');
  if (!measurer) return text.length * axis.fontSize * 0.6;
  measurer.font = `${axis.fontSize}px ${getComputedStyle(document.body).fontFamily}`;
  return measurer.measureText(text).width;
}

/** The text cut at the end with an ellipsis to fit `max` px; the whole text if it fits. */
function fitLabel(text: string, max: number): string {
  if (labelWidth(text) <= max) return text;
  let lo = 0;
  let hi = text.length;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (labelWidth(`${text.slice(0, mid)}…`) <= max) lo = mid;
    else hi = mid - 1;
  }
  return `${text.slice(0, lo)}…`;
}

/**
 * A category name: whole when it fits, else cut at its end (model names differ at the end: the
 * default tick cut their start off) with the whole name on hover.
 */
function CategoryTick({
  x,
  y,
  payload,
  max,
}: {
  x?: number | string;
  y?: number | string;
  payload?: { value?: unknown };
  max: number;
}) {
  const name = String(payload?.value ?? '');
  const shown = fitLabel(name, max);
  return (
    <text x={x} y={y} dy="0.35em" textAnchor="end" fill={axis.stroke} fontSize={axis.fontSize} data-category={name}>
      {shown === name ? null : <title>{name}</title>}
      {shown}
    </text>
  );
}

/** The width of the element, followed as it changes. */
function useWidth(): [RefObject<HTMLDivElement | null>, number] {
  const ref = useRef<HTMLDivElement>(null);
  const [width, setWidth] = useState(0);
  useEffect(() => {
    const el = ref.current;
    if (!el) return;
    const ro = new ResizeObserver(() => setWidth(el.clientWidth));
    ro.observe(el);
    setWidth(el.clientWidth);
    return () => ro.disconnect();
  }, []);
  return [ref, width];
}

function BreakdownChart({ rows, what }: { rows: Row[]; what: string }) {
  const height = 48 + rows.length * 34;
  const [ref, width] = useWidth();
  const widest = Math.max(0, ...rows.map((r) => labelWidth(r.label)));
  const room = width > 0 ? Math.max(80, Math.floor(width * LABEL_SHARE)) : 150;
  const axisWidth = Math.min(Math.ceil(widest) + TICK_GAP * 2, room);
  return (
    <div
      ref={ref}
      className="an-bars"
      role="img"
      aria-label={t('breakdownChart', { what, list: rows.map((r) => `${r.label} ${fmtInt(r.requests)}`).join(', ') })}
    >
      <LazyChart height={height}>
        <BarChart data={rows} layout="vertical" margin={{ top: 4, right: 16, left: 8, bottom: 0 }}>
          <CartesianGrid stroke="var(--grid)" horizontal={false} />
          <XAxis type="number" allowDecimals={false} tick={axis} stroke="var(--border)" />
          <YAxis
            type="category"
            dataKey="label"
            tick={({ x, y, payload }) => <CategoryTick x={x} y={y} payload={payload} max={axisWidth - TICK_GAP * 2} />}
            stroke="var(--border)"
            width={axisWidth}
          />
          <Tooltip {...tooltipStyle} cursor={{ fill: 'var(--hover)' }} />
          <Legend />
          <Bar dataKey="successes" name={t('succeeded')} stackId="b" fill="var(--ok)" isAnimationActive={false} />
          <Bar dataKey="errors" name={t('failed')} stackId="b" fill="var(--bad)" isAnimationActive={false} />
        </BarChart>
      </LazyChart>
    </div>
  );
}

const num = (id: string, header: string, cell: (r: Row) => string): Column<Row> => ({
  id,
  header,
  cell,
  numeric: true,
});

/** What every cost figure leaves out: the requests of models without a price; null when none. */
function unpricedNote(u: AnalyticsData['unpriced']): string | null {
  if (u.requests === 0) return null;
  const models = u.models.length === 0 ? t('unknownModel') : u.models.slice(0, 3).join(', ');
  return t.plural('unpricedNote', u.requests, { models });
}

/** The figures of a breakdown row; the cost share only where it is known (by model). */
function breakdownColumns(head: string, withShare: boolean): (Column<Row> | false)[] {
  return [
    { id: 'label', header: head, cell: (r) => r.label, rowHeader: true },
    num('requests', t('colRequests'), (r) => fmtInt(r.requests)),
    num('errors', t('colFailed'), (r) => fmtInt(r.errors)),
    num('successRate', t('colSuccessRate'), (r) => fmtPercent(r.successRate)),
    num('avgLatency', t('colAvgLatency'), (r) => fmtMs(r.avgLatencyMs)),
    num('p95Latency', t('colP95Latency'), (r) => fmtMs(r.p95LatencyMs)),
    num('ttft', t('colFirstToken'), (r) => fmtMs(r.avgTtftMs)),
    num('speed', t('colOutputSpeed'), (r) => fmtRate(r.outputTokensPerSecond)),
    num('tokens', t('colTokens'), (r) => fmtInt(r.tokens.total)),
    // Tokens and no cost: a model without a price, whose cost is unknown rather than $0.
    num('cost', t('colCost'), (r) => (costUnknown(r) ? t('noPrice') : fmtUsd(r.costUsd))),
    withShare && num('share', t('colCostShare'), (r) => (r.share == null ? DASH : fmtPercent(r.share))),
    num('cacheHit', t('colCacheHitRate'), (r) => fmtPercent(r.cacheHitRate)),
  ];
}

function BreakdownTable({ id, head, rows, withShare }: { id: string; head: string; rows: Row[]; withShare?: boolean }) {
  return (
    <DataTable
      className="an-table"
      labelledBy={id}
      columns={breakdownColumns(head, withShare ?? false)}
      rows={rows}
      rowKey={(r) => r.label}
      rowProps={(r) => ({ 'data-row': r.label })}
    />
  );
}

function Breakdowns({ data }: { data: AnalyticsData }) {
  const share = new Map(data.costByModel.map((c) => [c.model, c.share]));
  const models: Row[] = data.models.map((m) => ({ ...m, label: modelLabel(m.model), share: share.get(m.model) }));
  const accounts: Row[] = data.accounts.map((a) => ({ ...a, label: accountLabel(a) }));
  return (
    <>
      <section className="card" aria-labelledby="an-by-model">
        <h2 id="an-by-model">{t('byModel')}</h2>
        <BreakdownChart rows={models} what={t('byModelWhat')} />
        <BreakdownTable id="an-by-model" head={t('colModel')} rows={models} withShare />
      </section>
      <section className="card" aria-labelledby="an-by-account">
        <h2 id="an-by-account">{t('byAccount')}</h2>
        <BreakdownChart rows={accounts} what={t('byAccountWhat')} />
        <BreakdownTable id="an-by-account" head={t('colAccount')} rows={accounts} />
      </section>
    </>
  );
}

export function Analytics() {
  const { search } = useLocation();
  const filters = readFilters(search);
  const analytics = useAnalytics(filters);
  // Filter choices come from the unfiltered range (the same query when no filter is set).
  const choices = useAnalytics(cleared(filters));
  const data = analytics.data;
  return (
    <div className="analytics">
      <div className="page-head">
        <h1>{t('title')}</h1>
        <div className="an-head-controls">
          <fieldset className="segmented" aria-label={t('show')}>
            <label>
              <input
                type="radio"
                name="an-view"
                checked={filters.view === 'bucket'}
                onChange={() => setFilters({ ...filters, view: 'bucket' })}
              />
              <span>{t('perBucket')}</span>
            </label>
            <label>
              <input
                type="radio"
                name="an-view"
                checked={filters.view === 'cumulative'}
                onChange={() => setFilters({ ...filters, view: 'cumulative' })}
              />
              <span>{t('cumulative')}</span>
            </label>
          </fieldset>
          <RangeSelect value={filters.range} onChange={(range) => setFilters({ ...filters, range })} />
        </div>
      </div>
      <FilterBar filters={filters} choices={choices.data} />
      {analytics.isPending ? (
        <Loading what={t('loadingWhat')} />
      ) : analytics.isError && !data ? (
        <ErrorState error={analytics.error} retry={() => void analytics.refetch()} />
      ) : data ? (
        <div className="an-body" aria-busy={analytics.isPlaceholderData}>
          {analytics.isError ? <ErrorState error={analytics.error} retry={() => void analytics.refetch()} /> : null}
          <Totals tot={data.totals} />
          {data.totals.requests === 0 ? (
            <EmptyState filters={filters} />
          ) : (
            <>
              <TimeCharts data={data} view={filters.view} />
              <ModelSeriesCard data={data} filters={filters} />
              <Breakdowns data={data} />
            </>
          )}
        </div>
      ) : null}
    </div>
  );
}
