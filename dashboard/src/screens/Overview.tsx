/**
 * Overview: totals with their trend against the previous window and request, token and cost
 * charts for a chosen range (/api/analytics), the model mix, the system status (/health, the
 * accounts' recent errors), how long data is kept and how much is stored (/api/config,
 * /api/maintenance/storage) and each account's state (/api/accounts).
 */
import { type QueryClient, queryOptions, useQuery } from '@tanstack/react-query';
import { lazy, Suspense } from 'react';
import type { Analytics } from '../../../src/shared/analytics-schemas';
import type { ConfigView } from '../../../src/shared/config-schemas';
import type { StorageSummaryView } from '../../../src/shared/maintenance-schemas';
import { AccountWindows, accountsQuery, StatusBadge, statusAdvice, useAccounts, useNow } from '../accounts-ui';
import { apiFetch } from '../api';
import { fmtDateTime, fmtInt, fmtMs, fmtPercent, fmtRate, fmtSize, fmtUsd } from '../format';
import { linkClick, setSearchParam, useLocation } from '../router';
import { ErrorState, Loading } from '../states';
import './overview.css';
import { isRange, type Range, RangeSelect, Stat } from '../charts';
import { queryKeys } from '../query-keys';
import { Sparkline } from '../sparkline';
import { type TrendKind, trendOf } from '../trend';

// The charts and the cards below the figures come in their own chunks, after the figures.
const Charts = lazy(() => import('./overview-charts').then((m) => ({ default: m.Charts })));
const loadCards = () => import('./overview-cards');
const ModelMix = lazy(() => loadCards().then((m) => ({ default: m.ModelMix })));
const SystemStatus = lazy(() => loadCards().then((m) => ({ default: m.SystemStatus })));

const MORE: TrendKind = { scale: 'relative', better: 'neither' };
const FASTER: TrendKind = { scale: 'relative', better: 'down' };
const QUICKER: TrendKind = { scale: 'relative', better: 'up' };
const RATE: TrendKind = { scale: 'points', better: 'up' };

/** The headline figures, each against the previous window of the same length. */
function Totals({ data, range }: { data: Analytics; range: Range }) {
  const t = data.totals;
  const p = data.previous.totals;
  const trend = (kind: TrendKind, pick: (s: Analytics['totals']) => number | null) =>
    trendOf(range, kind, pick(t), pick(p), p.requests);
  return (
    <dl className="stats" aria-label="Totals">
      <Stat
        label="Requests"
        value={fmtInt(t.requests)}
        hint={`${fmtInt(t.errors)} failed`}
        trend={trend(MORE, (s) => s.requests)}
      />
      <Stat label="Success rate" value={fmtPercent(t.successRate)} trend={trend(RATE, (s) => s.successRate)}>
        {t.requests > 0 ? (
          <dd className="stat-spark">
            <Sparkline
              values={data.series.map((s) => s.successRate)}
              label={`Success rate per bucket over the range, ${fmtPercent(t.successRate)} overall`}
            />
          </dd>
        ) : null}
      </Stat>
      <Stat label="Avg latency" value={fmtMs(t.avgLatencyMs)} trend={trend(FASTER, (s) => s.avgLatencyMs)} />
      <Stat label="P95 latency" value={fmtMs(t.p95LatencyMs)} trend={trend(FASTER, (s) => s.p95LatencyMs)} />
      <Stat label="Cost" value={fmtUsd(t.costUsd)} trend={trend(MORE, (s) => s.costUsd)} />
      <Stat
        label="Output speed"
        value={fmtRate(t.outputTokensPerSecond)}
        trend={trend(QUICKER, (s) => s.outputTokensPerSecond)}
      />
      <Stat label="Cache hit rate" value={fmtPercent(t.cacheHitRate)} trend={trend(RATE, (s) => s.cacheHitRate)} />
    </dl>
  );
}

function days(n: number): string {
  return n === 1 ? '1 day' : `${fmtInt(n)} days`;
}

/** Where a setting comes from, when it cannot be changed in Settings. */
function pinnedNote(s: { pinned: boolean; env: string }): string | undefined {
  return s.pinned ? `set by ${s.env}` : undefined;
}

function RetentionCard() {
  const config = useQuery(configQuery);
  // A cheap endpoint (file sizes, one index lookup), not the all-history stats.
  const storage = useQuery({ ...storageQuery, refetchInterval: 60_000 });
  const c = config.data;
  const rows: { label: string; value: string; note?: string }[] = c
    ? [
        {
          label: 'Request history kept',
          value: days(c.requestRetentionDays.value),
          note: pinnedNote(c.requestRetentionDays),
        },
        {
          label: 'Payloads kept',
          value: days(c.payloadRetentionDays.value),
          note: pinnedNote(c.payloadRetentionDays),
        },
        {
          label: 'Payload capture',
          value: c.payloadCapture.value ? 'On' : 'Off',
          note:
            pinnedNote(c.payloadCapture) ??
            (c.payloadCapture.value ? 'request and response bodies are stored' : 'bodies are not stored'),
        },
        {
          label: 'Oldest request',
          value: storage.isError
            ? 'unavailable'
            : storage.data
              ? storage.data.oldestRequestTs == null
                ? 'none yet'
                : fmtDateTime(storage.data.oldestRequestTs)
              : '…',
        },
        {
          label: 'Stored',
          value: storage.isError
            ? 'unavailable'
            : storage.data
              ? fmtSize(storage.data.databaseBytes + storage.data.payloadFileBytes)
              : '…',
          note: storage.data
            ? `database ${fmtSize(storage.data.databaseBytes)}, payload files ${fmtSize(storage.data.payloadFileBytes)}`
            : undefined,
        },
      ]
    : [];
  return (
    <section className="card retention" aria-labelledby="retention-title">
      <h2 id="retention-title">Data retention</h2>
      {config.isPending ? (
        <Loading what="retention settings" />
      ) : config.isError ? (
        <ErrorState error={config.error} retry={() => void config.refetch()} />
      ) : (
        <>
          <dl className="retention-list">
            {rows.map((r) => (
              <div key={r.label}>
                <dt>{r.label}</dt>
                <dd data-retention={r.label}>{r.value}</dd>
                {r.note ? <dd className="muted small">{r.note}</dd> : null}
              </div>
            ))}
          </dl>
          <p className="muted small">
            Older requests and payloads are deleted hourly. Totals and charts cover only what is kept.
          </p>
          <a href="/settings" onClick={linkClick('/settings')} className="button">
            Change retention in Settings
          </a>
        </>
      )}
    </section>
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
            const advice = statusAdvice(a, now, 'overview');
            return (
              <li key={a.id} className="account-card" aria-label={`Account ${a.name}`}>
                <div className="account-card-head">
                  <strong>{a.name}</strong>
                  <StatusBadge account={a} />
                </div>
                {advice ? <p className={`advice advice-${a.status}`}>{advice}</p> : null}
                {a.status === 'needs_reauth' || a.status === 'disabled' ? (
                  <p className="small">
                    <a href="/accounts" onClick={linkClick('/accounts')}>
                      Fix {a.name} on Accounts
                    </a>
                  </p>
                ) : null}
                <AccountWindows account={a} now={now} />
              </li>
            );
          })}
        </ul>
      )}
    </section>
  );
}

const configQuery = queryOptions({ queryKey: queryKeys.config, queryFn: () => apiFetch<ConfigView>('/api/config') });
const storageQuery = queryOptions({
  queryKey: queryKeys.storage,
  queryFn: () => apiFetch<StorageSummaryView>('/api/maintenance/storage'),
});
function analyticsQuery(range: Analytics['range']) {
  return queryOptions({
    queryKey: queryKeys.analytics.overview(range),
    queryFn: () => apiFetch<Analytics>(`/api/analytics?range=${range}`),
  });
}
function rangeOf(search: URLSearchParams): Analytics['range'] {
  const param = search.get('range');
  return isRange(param) ? param : '24h';
}

/**
 * Started by main.tsx before React renders when the page opens on the Overview: the answers and
 * the chart code then load while the app itself is still being set up, not after it.
 */
export function prefetchOverview(qc: QueryClient): void {
  const range = rangeOf(new URLSearchParams(location.search));
  void qc.prefetchQuery(analyticsQuery(range));
  void qc.prefetchQuery(accountsQuery);
  void qc.prefetchQuery(configQuery);
  void qc.prefetchQuery(storageQuery);
  void import('./overview-charts');
  void loadCards().then((m) => qc.prefetchQuery(m.healthQuery));
}

export function Overview() {
  const { search } = useLocation();
  const range = rangeOf(search);
  const analytics = useQuery({ ...analyticsQuery(range), refetchInterval: 30_000 });
  const t = analytics.data?.totals;
  return (
    <>
      <div className="page-head">
        <h1>Overview</h1>
        <RangeSelect value={range} onChange={(r) => setSearchParam('range', r)} />
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
          <Totals data={analytics.data} range={range} />
        </>
      )}
      <div className="grid-2">
        <Suspense fallback={<Loading what="system status" />}>
          <SystemStatus />
        </Suspense>
        {analytics.data ? (
          <Suspense fallback={<Loading what="model mix" />}>
            <ModelMix data={analytics.data} />
          </Suspense>
        ) : null}
      </div>
      <div className="grid-2">
        {analytics.data ? (
          <Suspense fallback={<Loading what="charts" />}>
            <Charts data={analytics.data} />
          </Suspense>
        ) : null}
        <RetentionCard />
      </div>
      <AccountStates />
    </>
  );
}
