/** Account pieces shared by Overview and Accounts: status badge, what to do next, window meters. */
import { useEffect, useState } from 'react';
import type { Account } from '../../src/shared/accounts-schemas';
import { fmtDuration, fmtPercent } from './format';

type RateWindow = NonNullable<NonNullable<Account['rateLimit']>['fiveHour']>;

const STATUS_LABEL: Record<Account['status'], string> = {
  active: 'Active',
  paused: 'Paused',
  cooling_down: 'Cooling down',
  needs_reauth: 'Needs re-auth',
  disabled: 'Disabled',
};

export function StatusBadge({ account }: { account: Account }) {
  return <span className={`badge badge-${account.status}`}>{STATUS_LABEL[account.status]}</span>;
}

/** A sentence saying why the account is not serving and what to do, or null when it is fine. */
export function statusAdvice(a: Account, now: number): string | null {
  switch (a.status) {
    case 'needs_reauth':
      return `Its sign-in expired or was revoked${a.statusReason ? ` (${a.statusReason})` : ''}, so it gets no requests. Sign in again: ccflare accounts add ${a.name} --mode ${a.kind === 'console' ? 'console' : 'max'}`;
    case 'disabled':
      return `Disabled${a.statusReason ? `: ${a.statusReason}` : ''}. Fix the cause (for example replace the key), then press Resume to try it again.`;
    case 'paused':
      return 'Paused by you: it gets no requests until you press Resume.';
    case 'cooling_down':
      return a.cooldownUntil
        ? `Rate limited upstream; requests go to other accounts for ${fmtDuration(a.cooldownUntil - now)}.`
        : 'Rate limited upstream; requests go to other accounts for now.';
    default:
      return null;
  }
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
