/**
 * Stats: totals and per-account performance over all retained history, recent errors (each
 * linked to its request), and the reset of the accounts' request counters (GET/POST /api/stats).
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useRef, useState } from 'react';
import type { Stats as StatsData } from '../../../src/shared/analytics-schemas';
import { apiFetch, errorMessage } from '../api';
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

function AccountRow({ a }: { a: AccountStats }) {
  const label = accountLabel(a);
  const cell = (col: string, value: string, hint?: string) => (
    <td className="num" data-col={col}>
      <span className="cell-value">{value}</span>
      {hint ? <div className="muted small">{hint}</div> : null}
    </td>
  );
  return (
    <tr aria-label={`Account ${label}`} data-account={label}>
      <th scope="row">
        <div>{label}</div>
        {a.accountId === null ? (
          <div className="muted small">No account was available</div>
        ) : !a.exists ? (
          <div className="muted small">Removed; history kept</div>
        ) : null}
      </th>
      {cell('requests', fmtInt(a.requests))}
      {cell('success', fmtPercent(a.successRate))}
      {cell('errors', fmtInt(a.errors))}
      {cell('avg-latency', fmtMs(a.avgLatencyMs))}
      {cell('p95-latency', fmtMs(a.p95LatencyMs))}
      {cell('tokens', fmtInt(a.tokens.total), a.tokens.total > 0 ? `${fmtInt(a.tokens.output)} out` : undefined)}
      {cell('cost', fmtUsd(a.costUsd))}
      {cell(
        'counter',
        a.requestCount === null ? DASH : fmtInt(a.requestCount),
        a.sessionRequestCount === null ? undefined : `${fmtInt(a.sessionRequestCount)} this session`,
      )}
      <td data-col="last-used">{fmtDateTime(a.lastUsedAt)}</td>
    </tr>
  );
}

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
        <div className="table-wrap">
          <table aria-labelledby="stats-accounts-title">
            <thead>
              <tr>
                <th scope="col">Account</th>
                <th scope="col" className="num">
                  Requests
                </th>
                <th scope="col" className="num">
                  Success
                </th>
                <th scope="col" className="num">
                  Errors
                </th>
                <th scope="col" className="num">
                  Avg latency
                </th>
                <th scope="col" className="num">
                  P95 latency
                </th>
                <th scope="col" className="num">
                  Tokens
                </th>
                <th scope="col" className="num">
                  Cost
                </th>
                <th scope="col" className="num">
                  <abbr title="The account's request counter, which Reset counters sets to 0">Counter</abbr>
                </th>
                <th scope="col">Last used</th>
              </tr>
            </thead>
            <tbody>
              {accounts.map((a) => (
                <AccountRow key={a.accountId ?? `none-${a.name}`} a={a} />
              ))}
            </tbody>
          </table>
        </div>
      )}
      <p className="muted small stats-note">
        Figures cover all retained request history. <strong>Counter</strong> is the account&apos;s own request counter
        (and its count in the current session window): the only figures Reset counters sets back to 0.
      </p>
    </section>
  );
}

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
        <div className="table-wrap">
          <table aria-labelledby="stats-errors-title" className="stats-errors">
            <thead>
              <tr>
                <th scope="col">Time</th>
                <th scope="col">Account</th>
                <th scope="col">Model</th>
                <th scope="col" className="num">
                  Status
                </th>
                <th scope="col">Error</th>
                <th scope="col">
                  <span className="sr-only">Details</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {errors.map((e) => {
                const href = `/requests/${encodeURIComponent(e.id)}`;
                return (
                  <tr key={e.id} data-id={e.id}>
                    <td>{fmtDateTime(e.ts)}</td>
                    <td>{e.accountName ?? (e.accountId === null ? 'No account' : e.accountId)}</td>
                    <td>{e.model ?? DASH}</td>
                    <td className="num">{e.status ?? DASH}</td>
                    <td className="stats-error-msg">{e.error ?? DASH}</td>
                    <td className="actions">
                      <a href={href} onClick={linkClick(href)} aria-label={`Details of request ${e.id}`}>
                        Details
                      </a>
                    </td>
                  </tr>
                );
              })}
            </tbody>
          </table>
        </div>
      )}
    </section>
  );
}

function ResetDialog({ onClose }: { onClose: (msg?: string) => void }) {
  const ref = useRef<HTMLDialogElement>(null);
  const qc = useQueryClient();
  const reset = useMutation({
    mutationFn: () => apiFetch<{ accountsReset: number }>('/api/stats/reset', { method: 'POST' }),
    onSuccess: (r) => {
      void qc.invalidateQueries({ queryKey: queryKeys.analytics.all });
      void qc.invalidateQueries({ queryKey: queryKeys.accounts });
      onClose(
        `Counters reset to 0 on ${fmtInt(r.accountsReset)} account${r.accountsReset === 1 ? '' : 's'}. Request history is unchanged.`,
      );
    },
  });
  useEffect(() => {
    ref.current?.showModal();
  }, []);
  return (
    <dialog
      ref={ref}
      className="dialog"
      aria-labelledby="reset-title"
      aria-describedby="reset-desc"
      onClose={() => onClose()}
    >
      <form
        method="dialog"
        onSubmit={(e) => {
          e.preventDefault();
          reset.mutate();
        }}
      >
        <h2 id="reset-title">Reset the request counters?</h2>
        <div id="reset-desc">
          <p>
            Every account&apos;s request counter and its count in the current session window go back to 0. Session
            windows themselves stay, so routing is unaffected.
          </p>
          <p>
            History is kept: request records, analytics and the per-account figures on this screen stay as they are. To
            delete history, lower the retention or run <code>ccflare clear-history</code>.
          </p>
        </div>
        {reset.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(reset.error)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            Cancel
          </button>
          <button type="submit" className="danger" disabled={reset.isPending}>
            {reset.isPending ? 'Resetting…' : 'Reset counters'}
          </button>
        </div>
      </form>
    </dialog>
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
