import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';

/** What a commit of `records` adds to each account: one request each, last use at its end. */
export function usageFromRecords(records: readonly RequestRecord[]): AccountUsageDelta[] {
  const byAccount = new Map<string, AccountUsageDelta>();
  for (const r of records) {
    if (r.accountId === null) continue;
    // Whole milliseconds: last-used times are documented (and stored) as integers.
    const end = Math.round(r.ts + r.latencyMs);
    const d = byAccount.get(r.accountId);
    if (d) {
      d.requests += 1;
      if (end > d.lastUsedAt) d.lastUsedAt = end;
    } else {
      byAccount.set(r.accountId, { accountId: r.accountId, requests: 1, lastUsedAt: end });
    }
  }
  return [...byAccount.values()];
}
