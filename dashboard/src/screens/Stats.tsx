/**
 * Stats: totals and per-account performance over all retained history, recent errors (each
 * linked to its request), and the reset of the accounts' request counters (GET/POST /api/stats).
 */
import { useQuery, useQueryClient } from '@tanstack/react-query';
import { type ReactNode, useState } from 'react';
import type { Stats as StatsData } from '../../../src/shared/analytics-schemas';
import { apiFetch } from '../api';
import { ConfirmDialog } from '../confirm-dialog';
import { type Column, DataTable } from '../data-table';
import { DASH, fmtDateTime, fmtInt, fmtMs, fmtPercent, fmtUsd } from '../format';
import { linkClick, setSearchParam, useLocation } from '../router';
import { ErrorState, Loading } from '../states';
import './stats.css';
import { Stat } from '../charts';
import { queryKeys } from '../query-keys';

type AccountStats = StatsData['accounts'][number];
type RecentError = StatsData['recentErrors'][number];

const ERROR_LIMITS = [20, 50, 100, 200];

function accountLabel(a: { name: string | null; accountId: string | null }): string {
  if (a.accountId === null) return 'No account';
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

const ACCOUNT_COLUMNS: Column<AccountStats>[] = [
  {
    id: 'account',
    header: 'Account',
    rowHeader: true,
    cell: (a) => (
      <>
        <div>{accountLabel(a)}</div>
        {a.accountId === null ? (
          <div className="muted small">No account was available</div>
        ) : !a.exists ? (
          <div className="muted small">Removed; history kept</div>
        ) : null}
      </>
    ),
  },
  num('requests', 'Requests', (a) => figure(fmtInt(a.requests))),
  num('success', 'Success', (a) => figure(fmtPercent(a.successRate))),
  num('errors', 'Errors', (a) => figure(fmtInt(a.errors))),
  num('avg-latency', 'Avg latency', (a) => figure(fmtMs(a.avgLatencyMs))),
  num('p95-latency', 'P95 latency', (a) => figure(fmtMs(a.p95LatencyMs))),
  num('tokens', 'Tokens', (a) =>
    figure(fmtInt(a.tokens.total), a.tokens.total > 0 ? `${fmtInt(a.tokens.output)} out` : undefined),
  ),
  num('cost', 'Cost', (a) => figure(fmtUsd(a.costUsd))),
  num('counter', <abbr title="The account's request counter, which Reset counters sets to 0">Counter</abbr>, (a) =>
    figure(
      a.requestCount === null ? DASH : fmtInt(a.requestCount),
      a.sessionRequestCount === null ? undefined : `${fmtInt(a.sessionRequestCount)} this session`,
    ),
  ),
  { id: 'last-used', header: 'Last used', cell: (a) => fmtDateTime(a.lastUsedAt) },
];

function AccountsTable({ accounts }: { accounts: AccountStats[] }) {
  return (
    <section className="card" aria-labelledby="stats-accounts-title">
      <h2 id="stats-accounts-title">Per account</h2>
      {accounts.length === 0 ? (
        <p className="empty">
          No accounts and no history yet. Add an account on the{' '}
          <a href="/accounts" onClick={linkClick('/accounts')}>
            Accounts
          </a>{' '}
          screen, then point a client at this gateway.
        </p>
      ) : (
        <DataTable
          labelledBy="stats-accounts-title"
          columns={ACCOUNT_COLUMNS}
          rows={accounts}
          rowKey={(a) => a.accountId ?? `none-${a.name}`}
          rowProps={(a) => ({ 'aria-label': `Account ${accountLabel(a)}`, 'data-account': accountLabel(a) })}
        />
      )}
      <p className="muted small stats-note">
        Figures cover all retained request history. <strong>Counter</strong> is the account&apos;s own request counter
        (and its count in the current session window): the only figures Reset counters sets back to 0.
      </p>
    </section>
  );
}

const ERROR_COLUMNS: Column<RecentError>[] = [
  { id: 'time', header: 'Time', cell: (e) => fmtDateTime(e.ts) },
  {
    id: 'account',
    header: 'Account',
    cell: (e) => e.accountName ?? (e.accountId === null ? 'No account' : e.accountId),
  },
  { id: 'model', header: 'Model', cell: (e) => e.model ?? DASH },
  { id: 'status', header: 'Status', numeric: true, cell: (e) => e.status ?? DASH },
  { id: 'error', header: 'Error', className: 'stats-error-msg', cell: (e) => e.error ?? DASH },
  {
    id: 'details',
    header: <span className="sr-only">Details</span>,
    className: 'actions',
    cell: (e) => {
      const href = `/requests/${encodeURIComponent(e.id)}`;
      return (
        <a href={href} onClick={linkClick(href)} aria-label={`Details of request ${e.id}`}>
          Details
        </a>
      );
    },
  },
];

function ErrorsTable({ errors, limit }: { errors: RecentError[]; limit: number }) {
  return (
    <section className="card" aria-labelledby="stats-errors-title">
      <div className="stats-section-head">
        <h2 id="stats-errors-title">Recent errors</h2>
        <label className="inline-field">
          <span>Show</span>
          <select
            value={limit}
            onChange={(e) => setSearchParam('errors', e.target.value === '20' ? null : e.target.value)}
          >
            {ERROR_LIMITS.map((n) => (
              <option key={n} value={n}>
                {n} newest
              </option>
            ))}
          </select>
        </label>
      </div>
      {errors.length === 0 ? (
        <p className="empty">No failed requests in the retained history.</p>
      ) : (
        <DataTable
          className="stats-errors"
          labelledBy="stats-errors-title"
          columns={ERROR_COLUMNS}
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
      title="Reset the request counters?"
      describedBy="reset-desc"
      confirmLabel="Reset counters"
      pendingLabel="Resetting…"
      action={async () => {
        const r = await apiFetch<{ accountsReset: number }>('/api/stats/reset', { method: 'POST' });
        void qc.invalidateQueries({ queryKey: queryKeys.analytics.all });
        void qc.invalidateQueries({ queryKey: queryKeys.accounts });
        return `Counters reset to 0 on ${fmtInt(r.accountsReset)} account${r.accountsReset === 1 ? '' : 's'}. Request history is unchanged.`;
      }}
      onClose={onClose}
    >
      <div id="reset-desc">
        <p>
          Every account&apos;s request counter and its count in the current session window go back to 0. Session windows
          themselves stay, so routing is unaffected.
        </p>
        <p>
          History is kept: request records, analytics and the per-account figures on this screen stay as they are. To
          delete history, lower the retention or run <code>ccflare clear-history</code>.
        </p>
      </div>
    </ConfirmDialog>
  );
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
  const [resetting, setResetting] = useState(false);
  const [message, setMessage] = useState<string | null>(null);
  const t = stats.data?.totals;
  return (
    <>
      <div className="page-head">
        <h1>Stats</h1>
        <button type="button" className="danger" onClick={() => setResetting(true)} disabled={!stats.data}>
          Reset counters…
        </button>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {stats.isPending ? (
        <Loading what="stats" />
      ) : stats.isError ? (
        <ErrorState error={stats.error} retry={() => void stats.refetch()} />
      ) : (
        <>
          {t && t.requests === 0 ? (
            <div className="notice" role="status">
              No requests in the retained history yet. Point a client at this gateway (for Claude Code:{' '}
              <code>ANTHROPIC_BASE_URL={location.origin}</code>); figures appear as requests finish.
            </div>
          ) : null}
          <dl className="stats" aria-label="Totals">
            <Stat
              label="Requests"
              value={fmtInt(t?.requests)}
              hint={stats.data.since === null ? undefined : `since ${fmtDateTime(stats.data.since)}`}
            />
            <Stat label="Success rate" value={fmtPercent(t?.successRate)} hint={`${fmtInt(t?.errors)} failed`} />
            <Stat label="Avg latency" value={fmtMs(t?.avgLatencyMs)} />
            <Stat label="P95 latency" value={fmtMs(t?.p95LatencyMs)} />
            <Stat label="Tokens" value={fmtInt(t?.tokens.total)} hint={`${fmtInt(t?.tokens.output)} output`} />
            <Stat label="Cost" value={fmtUsd(t?.costUsd)} />
            <Stat label="Failovers" value={fmtInt(t?.failovers)} />
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
