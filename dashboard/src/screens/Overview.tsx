/**
 * Overview: totals with their trend against the previous window and request, token and cost
 * charts for a chosen range (/api/analytics), the model mix, the system status (/health, the
 * accounts' recent errors), how long data is kept and how much is stored (/api/config,
 * /api/maintenance/storage), tokens and cost in the rolling 5 hours per account and client key
 * (/api/token-usage/current) and each account's state (/api/accounts).
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
import { overview as messages } from '../i18n/en/overview';
import { translator } from '../i18n/i18n';
import { queryKeys } from '../query-keys';
import { Sparkline } from '../sparkline';
import { shortHistory, type TrendKind, trendOf } from '../trend';

const t = translator('overview', messages);

// The charts and the cards below the figures come in their own chunks, after the figures.
const Charts = lazy(() => import('./overview-charts').then((m) => ({ default: m.Charts })));
const loadCards = () => import('./overview-cards');
const ModelMix = lazy(() => loadCards().then((m) => ({ default: m.ModelMix })));
const SystemStatus = lazy(() => loadCards().then((m) => ({ default: m.SystemStatus })));
const TokenWindows = lazy(() => loadCards().then((m) => ({ default: m.TokenWindows })));

const MORE: TrendKind = { scale: 'relative', better: 'neither' };
const FASTER: TrendKind = { scale: 'relative', better: 'down' };
const QUICKER: TrendKind = { scale: 'relative', better: 'up' };
const RATE: TrendKind = { scale: 'points', better: 'up' };

/** The headline figures, each against the previous window of the same length. */
function Totals({ data, range, oldest }: { data: Analytics; range: Range; oldest: number | null | undefined }) {
  const tot = data.totals;
  const p = data.previous.totals;
  const short = shortHistory(data.previous, oldest);
  const trend = (kind: TrendKind, pick: (s: Analytics['totals']) => number | null) =>
    trendOf(range, kind, pick(tot), pick(p), p.requests, short);
  return (
    <dl className="stats" aria-label={t('totals')}>
      <Stat
        id="Requests"
        label={t('statRequests')}
        value={fmtInt(tot.requests)}
        hint={t('failed', { count: fmtInt(tot.errors) })}
        trend={trend(MORE, (s) => s.requests)}
      />
      <Stat
        id="Success rate"
        label={t('statSuccessRate')}
        value={fmtPercent(tot.successRate)}
        trend={trend(RATE, (s) => s.successRate)}
      >
        {tot.requests > 0 ? (
          <dd className="stat-spark">
            <Sparkline
              values={data.series.map((s) => s.successRate)}
              label={t('successSpark', { rate: fmtPercent(tot.successRate) })}
            />
          </dd>
        ) : null}
      </Stat>
      <Stat
        id="Avg latency"
        label={t('statAvgLatency')}
        value={fmtMs(tot.avgLatencyMs)}
        trend={trend(FASTER, (s) => s.avgLatencyMs)}
      />
      <Stat
        id="P95 latency"
        label={t('statP95Latency')}
        value={fmtMs(tot.p95LatencyMs)}
        trend={trend(FASTER, (s) => s.p95LatencyMs)}
      />
      <Stat id="Cost" label={t('statCost')} value={fmtUsd(tot.costUsd)} trend={trend(MORE, (s) => s.costUsd)} />
      <Stat
        id="Output speed"
        label={t('statOutputSpeed')}
        value={fmtRate(tot.outputTokensPerSecond)}
        trend={trend(QUICKER, (s) => s.outputTokensPerSecond)}
      />
      <Stat
        id="Cache hit rate"
        label={t('statCacheHitRate')}
        value={fmtPercent(tot.cacheHitRate)}
        trend={trend(RATE, (s) => s.cacheHitRate)}
      />
    </dl>
  );
}

function days(n: number): string {
  return t.plural('days', n);
}

/** Where a setting comes from, when it cannot be changed in Settings. */
function pinnedNote(s: { pinned: boolean; env: string }): string | undefined {
  return s.pinned ? t('setBy', { env: s.env }) : undefined;
}

function RetentionCard() {
  const config = useQuery(configQuery);
  // A cheap endpoint (file sizes, one index lookup), not the all-history stats.
  const storage = useQuery({ ...storageQuery, refetchInterval: 60_000 });
  const c = config.data;
  // `id` (the English label) names the figure for tests and people in every language.
  const rows: { id: string; label: string; value: string; note?: string }[] = c
    ? [
        {
          id: 'Request history kept',
          label: t('requestHistoryKept'),
          value: days(c.requestRetentionDays.value),
          note: pinnedNote(c.requestRetentionDays),
        },
        {
          id: 'Payloads kept',
          label: t('payloadsKept'),
          value: days(c.payloadRetentionDays.value),
          note: pinnedNote(c.payloadRetentionDays),
        },
        {
          id: 'Payload capture',
          label: t('payloadCapture'),
          value: c.payloadCapture.value ? t('on') : t('off'),
          note: pinnedNote(c.payloadCapture) ?? (c.payloadCapture.value ? t('bodiesStored') : t('bodiesNotStored')),
        },
        {
          id: 'Oldest request',
          label: t('oldestRequest'),
          value: storage.isError
            ? t('unavailable')
            : storage.data
              ? storage.data.oldestRequestTs == null
                ? t('noneYet')
                : fmtDateTime(storage.data.oldestRequestTs)
              : '…',
        },
        {
          id: 'Stored',
          label: t('stored'),
          value: storage.isError
            ? t('unavailable')
            : storage.data
              ? fmtSize(storage.data.databaseBytes + storage.data.payloadFileBytes)
              : '…',
          note: storage.data
            ? t('storedNote', {
                database: fmtSize(storage.data.databaseBytes),
                payloads: fmtSize(storage.data.payloadFileBytes),
              })
            : undefined,
        },
      ]
    : [];
  return (
    <section className="card retention" aria-labelledby="retention-title">
      <h2 id="retention-title">{t('retentionTitle')}</h2>
      {config.isPending ? (
        <Loading what={t('loadingRetention')} />
      ) : config.isError ? (
        <ErrorState error={config.error} retry={() => void config.refetch()} />
      ) : (
        <>
          <dl className="retention-list">
            {rows.map((r) => (
              <div key={r.id}>
                <dt>{r.label}</dt>
                <dd data-retention={r.id}>{r.value}</dd>
                {r.note ? <dd className="muted small">{r.note}</dd> : null}
              </div>
            ))}
          </dl>
          <p className="muted small">{t('retentionNote')}</p>
          <a href="/settings" onClick={linkClick('/settings')} className="button">
            {t('changeRetention')}
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
      <h2 id="overview-accounts">{t('accountsTitle')}</h2>
      {accounts.isPending ? (
        <Loading what={t('loadingAccounts')} />
      ) : accounts.isError ? (
        <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />
      ) : accounts.data.length === 0 ? (
        <div className="empty">
          <p>{t('noAccounts')}</p>
          <a href="/accounts" onClick={linkClick('/accounts')} className="button primary">
            {t('addAccount')}
          </a>
        </div>
      ) : (
        <ul className="account-cards">
          {accounts.data.map((a) => {
            const advice = statusAdvice(a, now, 'overview');
            return (
              <li key={a.id} className="account-card" aria-label={t('accountLabel', { name: a.name })}>
                <div className="account-card-head">
                  <strong>{a.name}</strong>
                  <StatusBadge account={a} />
                </div>
                {advice ? <p className={`advice advice-${a.status}`}>{advice}</p> : null}
                {a.status === 'needs_reauth' || a.status === 'disabled' ? (
                  <p className="small">
                    <a href="/accounts" onClick={linkClick('/accounts')}>
                      {t('fixOnAccounts', { name: a.name })}
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
  // The oldest stored request: a trend against a window the history barely reaches says so.
  const storage = useQuery(storageQuery);
  // No account: the first step is adding one, not pointing a client at a gateway that answers 503.
  const accounts = useAccounts();
  const tot = analytics.data?.totals;
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <RangeSelect value={range} onChange={(r) => setSearchParam('range', r)} />
      </div>
      {analytics.isPending ? (
        <Loading what={t('loadingFigures')} />
      ) : analytics.isError ? (
        <ErrorState error={analytics.error} retry={() => void analytics.refetch()} />
      ) : (
        <>
          {accounts.data?.length === 0 ? (
            <div className="notice" role="status" data-first-step="account">
              {t('noAccounts')}{' '}
              <a href="/accounts" onClick={linkClick('/accounts')}>
                {t('addAccount')}
              </a>
              {t('thenPoint')} <code>ANTHROPIC_BASE_URL={location.origin}</code>
            </div>
          ) : tot && tot.requests === 0 ? (
            <div className="notice" role="status">
              {t('noRequests')} <code>ANTHROPIC_BASE_URL={location.origin}</code>
              {t('noRequestsAfter')}
            </div>
          ) : null}
          <Totals data={analytics.data} range={range} oldest={storage.data?.oldestRequestTs} />
        </>
      )}
      <div className="grid-2">
        <Suspense fallback={<Loading what={t('loadingStatus')} />}>
          <SystemStatus />
        </Suspense>
        {analytics.data ? (
          <Suspense fallback={<Loading what={t('loadingModelMix')} />}>
            <ModelMix data={analytics.data} />
          </Suspense>
        ) : null}
      </div>
      <div className="grid-2">
        {analytics.data ? (
          <Suspense fallback={<Loading what={t('loadingCharts')} />}>
            <Charts data={analytics.data} />
          </Suspense>
        ) : null}
        <RetentionCard />
      </div>
      <Suspense fallback={<Loading what={t('loadingTokenWindow')} />}>
        <TokenWindows />
      </Suspense>
      <AccountStates />
    </>
  );
}
