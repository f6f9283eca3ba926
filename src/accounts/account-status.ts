/**
 * What people and clients see of an account: the status derived from the stored row, and the
 * secret-free view every listing (CLI, management API, dashboard, TUI) returns.
 */
import type { AccountKind, AccountRow, AccountStatus, RateLimitState } from '../storage/contract/accounts.js';

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
}

/**
 * Precedence: disabled > needs_reauth > paused > cooling_down > active. Persistent health wins
 * because resuming or waiting cannot fix it; a paused account stays paused even when its
 * cooldown would also apply, since only a person can lift the pause.
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
  return { status: 'active', reason: null, until: null };
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
  };
}
