/**
 * The Overview's model mix (share of requests and cost per model, from /api/analytics) and system
 * status (GET /health, the accounts and their latest failed attempts). In their own chunk, loaded
 * after the headline figures.
 */
import { queryOptions, useQuery } from '@tanstack/react-query';
import type { Analytics } from '../../../src/shared/analytics-schemas';
import type { TokenUsageSumsView } from '../../../src/shared/token-usage-schemas';
import { costUnknown } from '../../../src/shared/tokens';
import { useAccounts } from '../accounts-ui';
import { apiFetch } from '../api';
import {
  DASH,
  fmtDateTime,
  fmtDuration,
  fmtInt,
  fmtMomentsIn,
  fmtPercent,
  fmtTokenBreakdown,
  fmtTokensInOut,
  fmtUsd,
} from '../format';
import { overview as messages } from '../i18n/en/overview';
import { translator } from '../i18n/i18n';
import { queryKeys } from '../query-keys';
import { linkClick } from '../router';
import { ErrorState, Loading } from '../states';
import { tokenUsageQuery } from '../token-usage';

const t = translator('overview', messages);

/** GET /health (server/build-app.ts): no auth, cheap, what a monitor probes. */
export interface HealthView {
  status: 'ok' | 'degraded';
  reasons?: string[];
  uptimeMs: number;
  accounts: number;
  strategy: string;
  inFlight: number;
  writeQueue: number;
  recordsWaiting: number;
  recordsDropped: number;
}

export const healthQuery = queryOptions({
  queryKey: queryKeys.health,
  queryFn: () => apiFetch<HealthView>('/health'),
});

/** Models past this many share one "Other models" row. */
const MIX_ROWS = 5;

interface MixRow {
  key: string;
  label: string;
  requests: number;
  requestShare: number | null;
  costUsd: number;
  costShare: number | null;
  /** false: tokens and no cost, a model without a price (its cost is unknown, not $0). */
  priced: boolean;
}

function mixRows(data: Analytics): MixRow[] {
  const tot = data.totals;
  const share = (part: number, whole: number) => (whole > 0 ? part / whole : null);
  const rows = data.models.map((m) => ({
    key: m.model ?? '',
    label: m.model ?? t('unknownModel'),
    requests: m.requests,
    requestShare: share(m.requests, tot.requests),
    costUsd: m.costUsd,
    costShare: share(m.costUsd, tot.costUsd),
    priced: !costUnknown(m),
  }));
  if (rows.length <= MIX_ROWS + 1) return rows;
  const rest = rows.slice(MIX_ROWS);
  const requests = rest.reduce((n, r) => n + r.requests, 0);
  const cost = rest.reduce((n, r) => n + r.costUsd, 0);
  return [
    ...rows.slice(0, MIX_ROWS),
    {
      key: 'other',
      label: t('otherModels', { count: fmtInt(rest.length) }),
      requests,
      requestShare: share(requests, tot.requests),
      costUsd: cost,
      costShare: share(cost, tot.costUsd),
      priced: rest.every((r) => r.priced),
    },
  ];
}

function ShareBar({ share, kind }: { share: number | null; kind: 'requests' | 'cost' }) {
  return (
    <span className={`mix-bar mix-bar-${kind}`} aria-hidden="true">
      <span style={{ width: `${Math.round((share ?? 0) * 1000) / 10}%` }} />
    </span>
  );
}

export function ModelMix({ data }: { data: Analytics }) {
  const rows = mixRows(data);
  return (
    <section className="card" aria-labelledby="mix-title">
      <h2 id="mix-title">{t('modelMix')}</h2>
      {rows.length === 0 ? (
        <p className="muted">{t('noModel')}</p>
      ) : (
        <table className="mix-table" aria-labelledby="mix-title">
          <thead>
            <tr>
              <th scope="col">{t('colModel')}</th>
              <th scope="col">{t('shareRequests')}</th>
              <th scope="col">{t('shareCost')}</th>
            </tr>
          </thead>
          <tbody>
            {rows.map((r) => (
              <tr key={r.key} data-mix={r.key}>
                <th scope="row" className="ellipsis">
                  {r.label}
                </th>
                <td>
                  <ShareBar share={r.requestShare} kind="requests" />
                  <span data-mix-requests={r.key}>{fmtPercent(r.requestShare)}</span>{' '}
                  <span className="muted small">{fmtInt(r.requests)}</span>
                </td>
                <td>
                  <ShareBar share={r.costShare} kind="cost" />
                  <span data-mix-cost={r.key}>{r.costShare == null ? DASH : fmtPercent(r.costShare)}</span>{' '}
                  <span className="muted small">{r.priced ? fmtUsd(r.costUsd) : t('noPrice')}</span>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}

/** Accounts that take requests now: failing ones still do (each failure moves on). */
const USABLE = new Set(['active', 'failing']);
const RECENT_ERRORS = 5;

function Health() {
  const health = useQuery({ ...healthQuery, refetchInterval: 10_000 });
  if (health.isPending) return <Loading what={t('loadingHealth')} />;
  if (health.isError) return <ErrorState error={health.error} retry={() => void health.refetch()} />;
  const h = health.data;
  const ok = h.status === 'ok';
  return (
    <>
      <dl className="status-list">
        <div>
          <dt>{t('gateway')}</dt>
          <dd data-status="gateway">
            <span className={`badge ${ok ? 'badge-active' : 'badge-failing'}`}>
              {ok ? t('healthy') : t('degraded')}
            </span>
          </dd>
        </div>
        <div>
          <dt>{t('upFor')}</dt>
          <dd data-status="uptime">{fmtDuration(h.uptimeMs)}</dd>
        </div>
        <div>
          <dt>{t('inFlight')}</dt>
          <dd data-status="in-flight">{fmtInt(h.inFlight)}</dd>
        </div>
        <div>
          <dt>{t('requestRecords')}</dt>
          <dd data-status="records">
            {h.recordsWaiting > 0
              ? t('recordsWaiting', { count: fmtInt(h.recordsWaiting) })
              : h.writeQueue > 0
                ? t('recordsSaving', { count: fmtInt(h.writeQueue) })
                : t('allSaved')}
          </dd>
          {h.recordsDropped > 0 ? (
            <dd className="small trend-bad">{t('recordsLost', { count: fmtInt(h.recordsDropped) })}</dd>
          ) : null}
        </div>
      </dl>
      {h.reasons && h.reasons.length > 0 ? (
        <ul className="status-reasons">
          {h.reasons.map((r) => (
            <li key={r}>{r}</li>
          ))}
        </ul>
      ) : null}
    </>
  );
}

function AccountsAndErrors() {
  const accounts = useAccounts();
  if (accounts.isPending) return <Loading what={t('loadingAccounts')} />;
  if (accounts.isError) return <ErrorState error={accounts.error} retry={() => void accounts.refetch()} />;
  const list = accounts.data;
  const usable = list.filter((a) => USABLE.has(a.status)).length;
  const errors = list
    .flatMap((a) => a.recentErrors.map((e) => ({ ...e, account: a.name })))
    .sort((x, y) => y.at - x.at)
    .slice(0, RECENT_ERRORS);
  return (
    <>
      <dl className="status-list">
        <div>
          <dt>{t('usableAccounts')}</dt>
          <dd data-status="accounts" className={usable === 0 ? 'trend-bad' : undefined}>
            {t('usableOf', { usable: fmtInt(usable), total: fmtInt(list.length) })}
          </dd>
        </div>
      </dl>
      <h3 className="status-subtitle">{t('recentErrors')}</h3>
      {errors.length === 0 ? (
        <p className="muted small" data-status="no-errors">
          {t('noErrors')}
        </p>
      ) : (
        <ul className="status-errors" aria-label={t('recentErrors')}>
          {errors.map((e) => (
            <li key={`${e.account}-${e.at}`} data-error-account={e.account}>
              <span className="muted small">{fmtDateTime(e.at)}</span> <strong>{e.account}</strong>{' '}
              <span className="badge badge-disabled">{e.status ?? t('noAnswer')}</span>{' '}
              <span className="small">{e.error === null ? DASH : fmtMomentsIn(e.error)}</span>
            </li>
          ))}
        </ul>
      )}
      <p className="small">
        <a href="/requests?status=error" onClick={linkClick('/requests?status=error')}>
          {t('seeFailed')}
        </a>
      </p>
    </>
  );
}

export function SystemStatus() {
  return (
    <section className="card" aria-labelledby="status-title">
      <h2 id="status-title">{t('systemStatus')}</h2>
      <Health />
      <AccountsAndErrors />
    </section>
  );
}

interface WindowRow {
  key: string;
  label: string;
  sums: TokenUsageSumsView;
  today: TokenUsageSumsView;
  fiveHour?: number | null;
  sevenDay?: number | null;
}

function UsageCells({ row }: { row: WindowRow }) {
  return (
    <>
      <td data-window-tokens={row.key} title={fmtTokenBreakdown(row.sums.tokens)}>
        {fmtTokensInOut(row.sums.tokens)}
      </td>
      <td data-window-cost={row.key}>{fmtUsd(row.sums.costUsd)}</td>
      <td data-today-cost={row.key} title={fmtTokensInOut(row.today.tokens)}>
        {fmtUsd(row.today.costUsd)}
      </td>
    </>
  );
}

function WindowTable({
  rows,
  label,
  first,
  limits,
}: {
  rows: WindowRow[];
  label: string;
  first: string;
  limits: boolean;
}) {
  return (
    <table className="mix-table token-window-table" aria-label={label}>
      <thead>
        <tr>
          <th scope="col">{first}</th>
          <th scope="col">{t('colWindowTokens')}</th>
          <th scope="col">{t('colWindowCost')}</th>
          <th scope="col">{t('colTodayCost')}</th>
          {limits ? <th scope="col">{t('colLimits')}</th> : null}
        </tr>
      </thead>
      <tbody>
        {rows.map((r) => (
          <tr key={r.key} data-token-row={r.key}>
            <th scope="row" className="ellipsis">
              {r.label}
            </th>
            <UsageCells row={r} />
            {limits ? (
              <td data-limits={r.key} className="muted small">
                {r.fiveHour == null && r.sevenDay == null
                  ? DASH
                  : t('limitsUsed', {
                      fiveHour: fmtPercent(r.fiveHour ?? null, 0),
                      sevenDay: fmtPercent(r.sevenDay ?? null, 0),
                    })}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** Tokens and cost in the rolling 5 hours per account (next to its own 5h/7d limits) and per client key. */
export function TokenWindows() {
  const usage = useQuery(tokenUsageQuery);
  const d = usage.data;
  const accounts: WindowRow[] =
    d?.accounts.map((a) => ({
      key: a.accountId ?? '',
      label:
        a.accountId === null
          ? t('noAccountServed')
          : a.exists
            ? (a.name ?? a.accountId)
            : t('removedAccount', { name: a.name ?? a.accountId }),
      sums: a,
      today: a.today,
      fiveHour: a.fiveHour?.utilization ?? null,
      sevenDay: a.sevenDay?.utilization ?? null,
    })) ?? [];
  const keys: WindowRow[] =
    d?.keys.map((k) => ({
      key: k.name,
      label: k.active ? k.name : t('revokedKey', { name: k.name }),
      sums: k,
      today: k.today,
    })) ?? [];
  return (
    <section className="card" aria-labelledby="token-window-title">
      <h2 id="token-window-title">{t('tokenWindowTitle')}</h2>
      {usage.isPending ? (
        <Loading what={t('loadingTokenWindow')} />
      ) : usage.isError ? (
        <ErrorState error={usage.error} retry={() => void usage.refetch()} />
      ) : (
        <>
          <p className="muted small" data-token-total>
            {t('tokenWindowTotal', {
              tokens: fmtTokensInOut(usage.data.total.tokens),
              cost: fmtUsd(usage.data.total.costUsd),
              requests: fmtInt(usage.data.total.requests),
            })}
          </p>
          {accounts.length > 0 ? (
            <WindowTable rows={accounts} label={t('tokenWindowAccounts')} first={t('colAccount')} limits />
          ) : null}
          {keys.length > 0 ? (
            <WindowTable rows={keys} label={t('tokenWindowKeys')} first={t('colClientKey')} limits={false} />
          ) : null}
          <p className="muted small">{t('tokenWindowNote')}</p>
        </>
      )}
    </section>
  );
}
