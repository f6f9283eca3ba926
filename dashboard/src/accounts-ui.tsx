/** Account pieces shared by the screens: the accounts query, status badge, what to do next, window meters. */
import { queryOptions, useQuery } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { Account } from '../../src/shared/accounts-schemas';
import { apiFetch } from './api';
import { fmtDateTime, fmtDuration, fmtMomentsIn, fmtPercent } from './format';
import { shell } from './i18n/en/shell';
import { translator } from './i18n/i18n';
import { queryKeys } from './query-keys';

type RateWindow = NonNullable<NonNullable<Account['rateLimit']>['fiveHour']>;

const t = translator('shell', shell);

const STATUS_LABEL = {
  active: 'statusActive',
  failing: 'statusFailing',
  paused: 'statusPaused',
  cooling_down: 'statusCoolingDown',
  needs_reauth: 'statusNeedsReauth',
  disabled: 'statusDisabled',
} as const satisfies Record<Account['status'], keyof typeof shell>;

export function StatusBadge({ account }: { account: Account }) {
  return <span className={`badge badge-${account.status}`}>{t(STATUS_LABEL[account.status])}</span>;
}

const KIND_KEYS = { max: 'kindMax', console: 'kindConsole', api_key: 'kindApiKey' } as const;

/** An account kind's name in the active language. */
export function kindLabel(kind: Account['kind']): string {
  return t(KIND_KEYS[kind]);
}

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
      return `${t('adviceReauth', { reason: a.statusReason ? ` (${a.statusReason})` : '' })} ${
        here ? t('adviceReauthHere') : t('adviceReauthThere')
      }`;
    case 'disabled': {
      const why = a.statusReason ? t('adviceDisabledWhy', { reason: a.statusReason }) : t('adviceDisabled');
      if (!isOAuth(a)) return `${why} ${here ? t('adviceKeyRevokedHere') : t('adviceKeyRevokedThere')}`;
      return `${why} ${here ? t('adviceDisabledOAuthHere') : t('adviceDisabledOAuthThere')}`;
    }
    case 'paused':
      return here ? t('advicePausedHere') : t('advicePausedThere');
    case 'cooling_down':
      return a.cooldownUntil
        ? t('adviceCoolingFor', { duration: fmtDuration(a.cooldownUntil - now) })
        : t('adviceCooling');
    case 'failing':
      return t('adviceFailing', { reason: a.statusReason ?? t('adviceFailingErrors') });
    default:
      return null;
  }
}

/** The account's latest failed upstream attempts, newest first; nothing when it has none. */
export function RecentErrors({ account }: { account: Account }) {
  if (account.recentErrors.length === 0) return null;
  return (
    <details className="recent-errors" open={account.status === 'failing'}>
      <summary>{t.plural('lastErrors', account.recentErrors.length)}</summary>
      <ul className="recent-errors-list" aria-label={t('lastErrorsOf', { name: account.name })}>
        {[...account.recentErrors].reverse().map((e, i) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: a fixed list, redrawn whole
          <li key={i}>
            <span className="muted">{fmtDateTime(e.at)}</span> <strong>{e.status ?? t('noAnswer')}</strong>{' '}
            {e.error === null ? '' : fmtMomentsIn(e.error)}
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
    window?.resetAt != null && window.resetAt > now
      ? t('resetsIn', { duration: fmtDuration(window.resetAt - now) })
      : null;
  return (
    <div className="meter">
      <div className="meter-head">
        <span>{label}</span>
        <span className="muted">
          {used == null ? t('notReported') : t('percentUsed', { percent: fmtPercent(used, 0) })}
        </span>
      </div>
      <div className={`meter-track meter-${level}`} aria-hidden="true">
        <div className="meter-fill" style={{ width: `${Math.min(100, Math.max(0, (used ?? 0) * 100))}%` }} />
      </div>
      <div className="meter-foot muted">{reset ?? (used == null ? t('shownAfterFirst') : '')}</div>
    </div>
  );
}

export function AccountWindows({ account, now }: { account: Account; now: number }) {
  const rl = account.rateLimit;
  if (account.kind === 'api_key' && !rl?.fiveHour && !rl?.sevenDay) {
    return <p className="muted small">{t('noWindows')}</p>;
  }
  return (
    <div className="meters">
      <WindowMeter label={t('window5h')} window={rl?.fiveHour ?? null} now={now} />
      <WindowMeter label={t('windowWeekly')} window={rl?.sevenDay ?? null} now={now} />
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
