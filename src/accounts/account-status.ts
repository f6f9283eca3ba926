/**
 * What people and clients see of an account: the status derived from the stored row, and the
 * secret-free view every listing (CLI, management API, dashboard, TUI) returns.
 */
import type {
  AccountError,
  AccountKind,
  AccountRow,
  AccountStatus,
  RateLimitState,
} from '../storage/contract/accounts.js';
import { RECENT_ERRORS_KEPT } from '../storage/writer/usage.js';

/** How far back failed attempts make an account show as failing. */
export const FAILING_WINDOW_MS = 5 * 60_000;

export interface AccountStatusInfo {
  status: AccountStatus;
  reason: string | null;
  /** Unix ms when a cooling-down account becomes usable again; null otherwise. */
  until: number | null;
}

/** Public view of an account. Built field by field so no credential can leak into it. */
export interface AccountView {
  id: string;
  name: string;
  kind: AccountKind;
  status: AccountStatus;
  statusReason: string | null;
  cooldownUntil: number | null;
  priority: number;
  paused: boolean;
  requestCount: number;
  sessionRequestCount: number;
  lastUsedAt: number | null;
  sessionStart: number | null;
  createdAt: number;
  tokenExpiresAt: number | null;
  rateLimit: RateLimitState | null;
  attemptCount: number;
  failedAttemptCount: number;
  recentErrors: AccountError[];
}

/**
 * Precedence: disabled > needs_reauth > paused > cooling_down > failing > active. Persistent
 * health wins because resuming or waiting cannot fix it; a paused account stays paused even when
 * its cooldown would also apply, since only a person can lift the pause. Failing is a warning on
 * a usable account: routing still uses it (a 529 is the upstream's, not the account's).
 */
export function accountStatus(row: AccountRow, now: number): AccountStatusInfo {
  if (row.health === 'disabled') {
    return { status: 'disabled', reason: row.healthReason ?? 'disabled', until: null };
  }
  if (row.health === 'needs_reauth') {
    return {
      status: 'needs_reauth',
      reason: row.healthReason ?? 'credentials rejected; add the account again',
      until: null,
    };
  }
  if (row.paused) return { status: 'paused', reason: null, until: null };
  if (row.cooldownUntil !== null && row.cooldownUntil > now) {
    return { status: 'cooling_down', reason: row.cooldownReason, until: row.cooldownUntil };
  }
  const failing = failingReason(row.recentErrors, row.lastUsedAt, now);
  if (failing !== null) return { status: 'failing', reason: failing, until: null };
  return { status: 'active', reason: null, until: null };
}

/**
 * Whether an account's latest attempts fail: errors of the last `FAILING_WINDOW_MS` that came
 * after the last request it served (a success since says it works again), counted by status, e.g.
 * "529 ×4, 429 ×1 in the last 5 min; last: 529 overloaded: Overloaded". Errors that are the
 * client's (400, 404, 413…: the same request fails on any account) do not count. Null: not failing.
 */
export function failingReason(
  errors: readonly AccountError[],
  lastServedAt: number | null,
  now: number,
): string | null {
  const since = Math.max(now - FAILING_WINDOW_MS, lastServedAt ?? 0);
  const counts = new Map<string, number>();
  let last: AccountError | null = null;
  let counted = 0;
  for (const e of errors) {
    if (e.at <= since || !accountsFault(e.status)) continue;
    const key = e.status === null ? 'no answer' : String(e.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
    counted++;
    if (last === null || e.at >= last.at) last = e;
  }
  if (last === null) return null;
  const byCount = [...counts].sort((a, b) => b[1] - a[1]).map(([k, n]) => `${k} ×${n}`);
  const minutes = FAILING_WINDOW_MS / 60_000;
  // Only the newest errors are kept: when all of them count, there may have been more.
  const span =
    counted >= RECENT_ERRORS_KEPT
      ? `its last ${counted} errors, all in the last ${minutes} min`
      : `in the last ${minutes} min`;
  return `${byCount.join(', ')} ${counted >= RECENT_ERRORS_KEPT ? `(${span})` : span}; last: ${last.error ?? last.status}`;
}

/** Statuses that say something about the account or the upstream rather than the request (protocol.md section 4). */
function accountsFault(status: number | null): boolean {
  return status === null || status === 401 || status === 403 || status === 429 || status >= 500;
}

export function toAccountView(row: AccountRow, now: number): AccountView {
  const s = accountStatus(row, now);
  return {
    id: row.id,
    name: row.name,
    kind: row.kind,
    status: s.status,
    statusReason: s.reason,
    // An expired cooldown is history, not state.
    cooldownUntil: row.cooldownUntil !== null && row.cooldownUntil > now ? row.cooldownUntil : null,
    priority: row.priority,
    paused: row.paused,
    requestCount: row.requestCount,
    sessionRequestCount: row.sessionRequestCount,
    lastUsedAt: row.lastUsedAt,
    sessionStart: row.sessionStart,
    createdAt: row.createdAt,
    tokenExpiresAt: row.expiresAt,
    rateLimit: row.rateLimit,
    attemptCount: row.attemptCount,
    failedAttemptCount: row.failedAttemptCount,
    recentErrors: row.recentErrors,
  };
}
