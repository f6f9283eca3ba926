/**
 * Stats: totals and per-account performance over all retained history, recent errors (each
 * linked to its request), and the reset of the accounts' request counters (GET/POST /api/stats).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import type { Stats as StatsData } from '../../../src/shared/analytics-schemas';
import type { StorageSummaryView } from '../../../src/shared/maintenance-schemas';
import { apiFetch } from '../api';
import { ConfirmDialog } from '../confirm-dialog';
import { type Column, DataTable } from '../data-table';
import { DASH, fmtDateTime, fmtInt, fmtMomentsIn, fmtMs, fmtPercent, fmtUsd } from '../format';
import { linkClick, setSearchParam, useLocation } from '../router';
import { ErrorState, Loading } from '../states';
import './stats.css';
import { Stat } from '../charts';
import { stats as messages } from '../i18n/en/stats';
import { translator } from '../i18n/i18n';
import { queryKeys } from '../query-keys';

const t = translator('stats', messages);

type AccountStats = StatsData['accounts'][number];
type RecentError = StatsData['recentErrors'][number];

const ERROR_LIMITS = [20, 50, 100, 200];

function accountLabel(a: { name: string | null; accountId: string | null }): string {
  if (a.accountId === null) return t('noAccount');
  return a.name ?? a.accountId;
}

/** A figure of the per-account table, with an optional second line. */
function figure(value: string, hint?: string) {
  return (
    <>
      <span className="cell-value">{value}</span>
      {hint ? <div className="muted small">{hint}</div> : null}
    </>
  );
}

const num = (id: string, header: ReactNode, cell: (a: AccountStats) => ReactNode): Column<AccountStats> => ({
  id,
  header,
  cell,
  numeric: true,
});

// Functions, not constants: the headers are read in the language shown at the time.
const accountColumns = (): Column<AccountStats>[] => [
  {
    id: 'account',
    header: t('colAccount'),
    rowHeader: true,
    cell: (a) => (
      <>
        <div>{accountLabel(a)}</div>
        {a.accountId === null ? (
          <div className="muted small">{t('noAccountAvailable')}</div>
        ) : !a.exists ? (
          <div className="muted small">{t('removedKept')}</div>
        ) : null}
      </>
    ),
  },
  num('requests', t('colRequests'), (a) => figure(fmtInt(a.requests))),
  num('success', t('colSuccess'), (a) => figure(fmtPercent(a.successRate))),
  num('errors', t('colErrors'), (a) => figure(fmtInt(a.errors))),
  num('avg-latency', t('colAvgLatency'), (a) => figure(fmtMs(a.avgLatencyMs))),
  num('p95-latency', t('colP95Latency'), (a) => figure(fmtMs(a.p95LatencyMs))),
  num('tokens', t('colTokens'), (a) =>
    figure(fmtInt(a.tokens.total), a.tokens.total > 0 ? t('tokensOut', { count: fmtInt(a.tokens.output) }) : undefined),
  ),
  num('cost', t('colCost'), (a) => figure(fmtUsd(a.costUsd))),
  num('counter', <abbr title={t('counterTitle')}>{t('colCounter')}</abbr>, (a) =>
    figure(
      a.requestCount === null ? DASH : fmtInt(a.requestCount),
      a.sessionRequestCount === null ? undefined : t('thisSession', { count: fmtInt(a.sessionRequestCount) }),
    ),
  ),
  { id: 'last-used', header: t('colLastUsed'), cell: (a) => fmtDateTime(a.lastUsedAt) },
];

function AccountsTable({ accounts }: { accounts: AccountStats[] }) {
  return (
    <section className="card" aria-labelledby="stats-accounts-title">
      <h2 id="stats-accounts-title">{t('perAccount')}</h2>
      {accounts.length === 0 ? (
        <p className="empty">
          {t('emptyBefore')}{' '}
          <a href="/accounts" onClick={linkClick('/accounts')}>
            {t('emptyLink')}
          </a>{' '}
          {t('emptyAfter')}
        </p>
      ) : (
        <DataTable
          labelledBy="stats-accounts-title"
          columns={accountColumns()}
          rows={accounts}
          rowKey={(a) => a.accountId ?? `none-${a.name}`}
          rowProps={(a) => ({
            'aria-label': t('rowLabel', { name: accountLabel(a) }),
            'data-account': accountLabel(a),
          })}
        />
      )}
      <p className="muted small stats-note">
        {t('noteBefore')} <strong>{t('colCounter')}</strong> {t('noteAfter')}
      </p>
    </section>
  );
}

const errorColumns = (): Column<RecentError>[] => [
  { id: 'time', header: t('colTime'), cell: (e) => fmtDateTime(e.ts) },
  {
    id: 'account',
    header: t('colAccount'),
    cell: (e) => e.accountName ?? (e.accountId === null ? t('noAccount') : e.accountId),
  },
  { id: 'model', header: t('colModel'), cell: (e) => e.model ?? DASH },
  { id: 'status', header: t('colStatus'), numeric: true, cell: (e) => e.status ?? DASH },
  {
    id: 'error',
    header: t('colError'),
    className: 'stats-error-msg',
    cell: (e) => (e.error === null ? DASH : fmtMomentsIn(e.error)),
  },
  {
    id: 'details',
    header: <span className="sr-only">{t('details')}</span>,
    className: 'actions',
    cell: (e) => {
      const href = `/requests/${encodeURIComponent(e.id)}`;
      return (
        <a href={href} onClick={linkClick(href)} aria-label={t('detailsOf', { id: e.id })}>
          {t('details')}
        </a>
      );
    },
  },
];

function ErrorsTable({ errors, limit }: { errors: RecentError[]; limit: number }) {
  return (
    <section className="card" aria-labelledby="stats-errors-title">
      <div className="stats-section-head">
        <h2 id="stats-errors-title">{t('recentErrors')}</h2>
        <label className="inline-field">
          <span>{t('show')}</span>
          <select
            value={limit}
            onChange={(e) => setSearchParam('errors', e.target.value === '20' ? null : e.target.value)}
          >
            {ERROR_LIMITS.map((n) => (
              <option key={n} value={n}>
                {t('newest', { count: n })}
              </option>
            ))}
          </select>
        </label>
      </div>
      {errors.length === 0 ? (
        <p className="empty">{t('noErrors')}</p>
      ) : (
        <DataTable
          className="stats-errors"
          labelledBy="stats-errors-title"
          columns={errorColumns()}
          rows={errors}
          rowKey={(e) => e.id}
          rowProps={(e) => ({ 'data-id': e.id })}
        />
      )}
    </section>
  );
}

function ResetDialog({ onClose }: { onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="reset-title"
      title={t('resetTitle')}
      describedBy="reset-desc"
      confirmLabel={t('resetConfirm')}
      pendingLabel={t('resetting')}
      action={async () => {
        const r = await apiFetch<{ accountsReset: number }>('/api/stats/reset', { method: 'POST' });
        void qc.invalidateQueries({ queryKey: queryKeys.analytics.all });
        void qc.invalidateQueries({ queryKey: queryKeys.accounts });
        return t.plural('resetDone', r.accountsReset);
      }}
      onClose={onClose}
    >
      <div id="reset-desc">
        <p>{t('resetBody1')}</p>
        <p>
          {t('resetBody2')} <code>ccflare clear-history</code>.
        </p>
      </div>
    </ConfirmDialog>
  );
}

const HOUR = 3_600_000;

/**
 * The moment the totals start from. The API gives the start of the oldest hour they cover
 * ("since 10:00:00" for a first request at 10:09:55); within that hour, the oldest stored request
 * is the moment itself. Rollups kept longer than the requests (retention) start before it: then
 * the hour is the truth.
 */
function sinceShown(hour: number | null, oldestRequest: number | null): number | null {
  if (hour === null) return null;
  return oldestRequest !== null && oldestRequest >= hour && oldestRequest < hour + HOUR ? oldestRequest : hour;
}

export function Stats() {
  const { search } = useLocation();
  const limitParam = Number(search.get('errors'));
  const limit = ERROR_LIMITS.includes(limitParam) ? limitParam : 20;
  // Under 'analytics': live.ts refetches it whenever a request finishes.
  const stats = useQuery({
    queryKey: queryKeys.analytics.stats(limit),
    queryFn: () => apiFetch<StatsData>(`/api/stats?recentErrors=${limit}`),
    refetchInterval: 60_000,
  });
  // The Overview's query: its oldest stored request.
  const storage = useQuery({
    queryKey: queryKeys.storage,
    queryFn: () => apiFetch<StorageSummaryView>('/api/maintenance/storage'),
    refetchInterval: 60_000,
  });
  const [resetting, setResetting] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const tot = stats.data?.totals;
  const since = sinceShown(stats.data?.since ?? null, storage.data?.oldestRequestTs ?? null);
  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <button type="button" className="danger" onClick={() => setResetting(true)} disabled={!stats.data}>
          {t('resetButton')}
        </button>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {stats.isPending ? (
        <Loading what={t('loadingWhat')} />
      ) : stats.isError ? (
        <ErrorState error={stats.error} retry={() => void stats.refetch()} />
      ) : (
        <>
          {tot && tot.requests === 0 ? (
            <div className="notice" role="status">
              {t('noRequests')} <code>ANTHROPIC_BASE_URL={location.origin}</code>
              {t('noRequestsAfter')}
            </div>
          ) : null}
          <dl className="stats" aria-label={t('totals')}>
            <Stat
              id="Requests"
              label={t('statRequests')}
              value={fmtInt(tot?.requests)}
              hint={since === null ? undefined : t('since', { when: fmtDateTime(since) })}
            />
            <Stat
              id="Success rate"
              label={t('statSuccessRate')}
              value={fmtPercent(tot?.successRate)}
              hint={t('failed', { count: fmtInt(tot?.errors) })}
            />
            <Stat id="Avg latency" label={t('statAvgLatency')} value={fmtMs(tot?.avgLatencyMs)} />
            <Stat id="P95 latency" label={t('statP95Latency')} value={fmtMs(tot?.p95LatencyMs)} />
            <Stat
              id="Tokens"
              label={t('statTokens')}
              value={fmtInt(tot?.tokens.total)}
              hint={t('output', { count: fmtInt(tot?.tokens.output) })}
            />
            <Stat id="Cost" label={t('statCost')} value={fmtUsd(tot?.costUsd)} />
            <Stat id="Failovers" label={t('statFailovers')} value={fmtInt(tot?.failovers)} />
          </dl>
          <AccountsTable accounts={stats.data.accounts} />
          <ErrorsTable errors={stats.data.recentErrors} limit={limit} />
        </>
      )}
      {resetting ? (
        <ResetDialog
          onClose={(msg) => {
            setResetting(false);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
    </>
  );
}
