/**
 * The `session` strategy (what ccflare ships): stay on one account for a session window, then
 * move. Pure: it only orders accounts; the account pool records session starts.
 */
import type { AccountRow } from '../storage/contract/accounts.js';

export interface SelectionContext {
  now: number;
  sessionMs: number;
  /** Model family key of the request (model-scoped cooldowns), or null. */
  modelKey: string | null;
  /** Account the client's session id was last served by, if any. */
  affinityAccountId: string | null;
  /** Accounts already tried by this request. */
  exclude: ReadonlySet<string>;
}

/** Why an account can't take a request right now, or null when it can. */
export function unusableReason(a: AccountRow, now: number, modelKey: string | null): string | null {
  if (a.health === 'disabled') return 'disabled';
  if (a.health === 'needs_reauth') return 'needs re-authentication';
  if (a.paused) return 'paused';
  if (a.cooldownUntil !== null && a.cooldownUntil > now) return 'cooling down';
  if (modelKey !== null) {
    const until = a.modelCooldowns[modelKey];
    if (until !== undefined && until > now) return `cooling down for ${modelKey}`;
  }
  return null;
}

function byPriority(x: AccountRow, y: AccountRow): number {
  return x.priority - y.priority || x.createdAt - y.createdAt || (x.name < y.name ? -1 : 1);
}

export function sessionActive(a: AccountRow, now: number, sessionMs: number): boolean {
  return a.sessionStart !== null && now - a.sessionStart < sessionMs;
}

/**
 * Order in which to try accounts: the account the client's session is pinned to, then the
 * account holding the current session window (most recently started), then the rest by
 * priority. Accounts that can't serve the request are left out.
 */
export function orderAccounts(accounts: readonly AccountRow[], ctx: SelectionContext): AccountRow[] {
  const usable: AccountRow[] = [];
  for (const a of accounts) {
    if (!ctx.exclude.has(a.id) && unusableReason(a, ctx.now, ctx.modelKey) === null) usable.push(a);
  }
  if (usable.length <= 1) return usable;
  usable.sort(byPriority);

  let current: AccountRow | null = null;
  for (const a of usable) {
    if (
      sessionActive(a, ctx.now, ctx.sessionMs) &&
      (current === null || (a.sessionStart ?? 0) > (current.sessionStart ?? 0))
    ) {
      current = a;
    }
  }
  const affinity = ctx.affinityAccountId === null ? null : (usable.find((a) => a.id === ctx.affinityAccountId) ?? null);

  const head: AccountRow[] = [];
  if (affinity) head.push(affinity);
  if (current && current !== affinity) head.push(current);
  if (head.length === 0) return usable;
  return [...head, ...usable.filter((a) => !head.includes(a))];
}

/** Paused, disabled or waiting for re-authentication: it comes back only when a person acts. */
export function waitsForPerson(a: AccountRow): boolean {
  return a.health !== 'ok' || a.paused;
}

/** The earliest time any currently unusable-but-recoverable account frees up, or null. */
export function earliestRecovery(accounts: readonly AccountRow[], now: number, modelKey: string | null): number | null {
  let best: number | null = null;
  for (const a of accounts) {
    if (waitsForPerson(a)) continue;
    let until = a.cooldownUntil !== null && a.cooldownUntil > now ? a.cooldownUntil : now;
    if (modelKey !== null) {
      const m = a.modelCooldowns[modelKey];
      if (m !== undefined && m > until) until = m;
    }
    if (until > now && (best === null || until < best)) best = until;
  }
  return best;
}
