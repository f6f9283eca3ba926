/** Account pieces shared by the screens: the accounts query, status badge, what to do next, window meters. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Account } from '../../src/shared/accounts-schemas';
import { apiFetch } from './api';
import { fmtDateTime, fmtDuration, fmtPercent } from './format';
import { queryKeys } from './query-keys';

type RateWindow = NonNullable<NonNullable<Account['rateLimit']>['fiveHour']>;

const STATUS_LABEL: Record<Account['status'], string> = {
  active: 'Active',
  failing: 'Failing',
  paused: 'Paused',
  cooling_down: 'Cooling down',
  needs_reauth: 'Needs re-auth',
  disabled: 'Disabled',
};

export function StatusBadge({ account }: { account: Account }) {
  return <span className={`badge badge-${account.status}`}>{STATUS_LABEL[account.status]}</span>;
}

export const KIND_LABEL: Record<Account['kind'], string> = {
  max: 'Claude Max/Pro',
  console: 'Console',
  api_key: 'API key',
};

/** OAuth accounts can sign in again from the dashboard; API-key accounts cannot. */
export function isOAuth(a: Account): a is Account & { kind: 'max' | 'console' } {
  return a.kind !== 'api_key';
}

/**
 * A sentence saying why the account is not serving and what to do, or null when it is fine.
 * `where` is the screen showing it: the way out is a button on Accounts, a visit there elsewhere.
 */
export function statusAdvice(a: Account, now: number, where: 'accounts' | 'overview' = 'accounts'): string | null {
  const here = where === 'accounts';
  switch (a.status) {
    case 'needs_reauth':
      return `Its sign-in expired or was revoked${a.statusReason ? ` (${a.statusReason})` : ''}, so it gets no requests. ${
        here
          ? 'Press Re-authenticate and sign in again; its name, priority and history stay.'
          : 'Open Accounts and press Re-authenticate to sign in again.'
      }`;
    case 'disabled': {
      const why = `Disabled${a.statusReason ? `: ${a.statusReason}` : ''}.`;
      if (!isOAuth(a)) {
        return `${why} If the key was revoked, remove this account and add it again with a new key; if the cause is fixed, ${
          here ? 'press Resume' : 'resume it on Accounts'
        } to try it again.`;
      }
      return `${why} ${
        here
          ? 'Press Resume to try it again; if its sign-in is the problem, press Re-authenticate.'
          : 'Open Accounts and press Resume to try it again, or Re-authenticate to sign in again.'
      }`;
    }
    case 'paused':
      return here
        ? 'Paused by you: it gets no requests until you press Resume.'
        : 'Paused: it gets no requests until you resume it on Accounts.';
    case 'cooling_down':
      return a.cooldownUntil
        ? `Rate limited upstream; requests go to other accounts for ${fmtDuration(a.cooldownUntil - now)}.`
        : 'Rate limited upstream; requests go to other accounts for now.';
    case 'failing':
      return `Its latest attempts failed: ${a.statusReason ?? 'errors'}. It still gets requests; each one it fails moves on to another account.`;
    default:
      return null;
  }
}

/** The account's latest failed upstream attempts, newest first; nothing when it has none. */
export function RecentErrors({ account }: { account: Account }) {
  if (account.recentErrors.length === 0) return null;
  return (
    <details className="recent-errors" open={account.status === 'failing'}>
      <summary>Last {account.recentErrors.length === 1 ? 'error' : `${account.recentErrors.length} errors`}</summary>
      <ul className="recent-errors-list" aria-label={`Last errors of ${account.name}`}>
        {[...account.recentErrors].reverse().map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
          <li key={i}>
            <span className="muted">{fmtDateTime(e.at)}</span> <strong>{e.status ?? 'no answer'}</strong>{' '}
            {e.error ?? ''}
          </li>
        ))}
      </ul>
    </details>
  );
}

/** Re-renders every `ms` with the current time (for countdowns). */
export function useNow(ms = 1000): number {
  const [now, setNow] = useState(() => Date.now());
  useEffect(() => {
    const t = setInterval(() => setNow(Date.now()), ms);
    return () => clearInterval(t);
  }, [ms]);
  return now;
}

export function WindowMeter({ label, window, now }: { label: string; window: RateWindow | null; now: number }) {
  const used = window?.utilization ?? null;
  const level = used == null ? 'unknown' : used >= 0.9 ? 'high' : used >= 0.7 ? 'mid' : 'low';
  const reset =
    window?.resetAt != null && window.resetAt > now ? `resets in ${fmtDuration(window.resetAt - now)}` : null;
  return (
    <div className="meter">
      <div className="meter-head">
        <span>{label}</span>
        <span className="muted">{used == null ? 'not reported yet' : `${fmtPercent(used, 0)} used`}</span>
      </div>
      <div className={`meter-track meter-${level}`} aria-hidden="true">
        <div className="meter-fill" style={{ width: `${Math.min(100, Math.max(0, (used ?? 0) * 100))}%` }} />
      </div>
      <div className="meter-foot muted">{reset ?? (used == null ? 'Shown after its first request' : '')}</div>
    </div>
  );
}

export function AccountWindows({ account, now }: { account: Account; now: number }) {
  const rl = account.rateLimit;
  if (account.kind === 'api_key' && !rl?.fiveHour && !rl?.sevenDay) {
    return <p className="muted small">API-key accounts have no 5-hour or weekly window.</p>;
  }
  return (
    <div className="meters">
      <WindowMeter label="5-hour" window={rl?.fiveHour ?? null} now={now} />
      <WindowMeter label="Weekly" window={rl?.sevenDay ?? null} now={now} />
    </div>
  );
}

export const accountsQuery = queryOptions({
  queryKey: queryKeys.accounts,
  queryFn: () => apiFetch<Account[]>('/api/accounts'),
});

export function useAccounts() {
  return useQuery(accountsQuery);
}
