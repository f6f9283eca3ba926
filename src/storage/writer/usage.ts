import type { AccountError } from '../contract/accounts.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';

/**
 * Failed attempts kept per account (`AccountRow.recentErrors`): enough to tell "529 ×4" from one
 * stray error, and small enough to rewrite with the account's counters in each batch that has one.
 */
export const RECENT_ERRORS_KEPT = 5;

type Delta = Required<AccountUsageDelta>;

function deltaOf(byName: Map<string, Delta>, name: string): Delta {
  let d = byName.get(name);
  if (d === undefined) {
    d = {
      accountId: null,
      accountName: name,
      requests: 0,
      lastUsedAt: null,
      attempts: 0,
      failedAttempts: 0,
      errors: [],
    };
    byName.set(name, d);
  }
  return d;
}

/**
 * What a commit of `records` adds to each account: one request each for the account that served
 * it, last use at its end, and every attempt of the attempt logs on the account it tried.
 */
export function usageFromRecords(records: readonly RequestRecord[]): AccountUsageDelta[] {
  const byName = new Map<string, Delta>();
  for (const r of records) {
    if (r.accountId !== null) {
      const d = deltaOf(byName, r.accountName ?? r.accountId);
      d.accountId = r.accountId;
      // Whole milliseconds: last-used times are documented (and stored) as integers.
      const end = Math.round(r.ts + r.latencyMs);
      d.requests += 1;
      if (d.lastUsedAt === null || end > d.lastUsedAt) d.lastUsedAt = end;
    }
    const log = r.attemptLog;
    if (log === undefined || log.length === 0) continue;
    let at = r.ts;
    for (let i = 0; i < log.length; i++) {
      const a = log[i] as RequestRecord['attemptLog'][number];
      at += a.ms;
      if (a.account === null) continue;
      const d = deltaOf(byName, a.account);
      d.attempts += 1;
      if (a.status !== null && a.status < 400) continue;
      d.failedAttempts += 1;
      const e: AccountError = { at: Math.round(at), status: a.status, error: a.error };
      d.errors.push(e);
      if (d.errors.length > RECENT_ERRORS_KEPT) d.errors.shift();
    }
  }
  return [...byName.values()];
}
