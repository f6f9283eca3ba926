/**
 * Token windows: the rollup sums of store.analytics (tokenWindow, tokenDaily) put next to the
 * accounts' own 5h/7d utilization and the client keys, for GET /api/token-usage/current and
 * /daily. Pure: the route reads the store and passes the rows in.
 */
import type {
  AccountTokenWindow,
  KeyTokenWindow,
  TokenUsageCurrent,
  TokenUsageDaily,
  TokenUsageSumsView,
} from '../shared/token-usage-schemas.js';
import type { AccountRow } from '../storage/contract/accounts.js';
import type { TokenUsageDayRows, TokenUsageRows, TokenUsageSums } from '../storage/contract/analytics.js';
import type { ClientKeyRow } from '../storage/contract/keys.js';

const MINUTE_MS = 60_000;
const DAY_MS = 86_400_000;

export function emptySums(): TokenUsageSumsView {
  return {
    requests: 0,
    tokens: { input: 0, cacheRead: 0, cacheWrite5m: 0, cacheWrite1h: 0, output: 0, total: 0 },
    costUsd: 0,
  };
}

function view(s: TokenUsageSums): TokenUsageSumsView {
  const tokens = {
    input: s.inputTokens,
    cacheRead: s.cacheReadTokens,
    cacheWrite5m: s.cacheWrite5mTokens,
    cacheWrite1h: s.cacheWrite1hTokens,
    output: s.outputTokens,
    total: s.inputTokens + s.cacheReadTokens + s.cacheWrite5mTokens + s.cacheWrite1hTokens + s.outputTokens,
  };
  return { requests: s.requests, tokens, costUsd: s.costUsd };
}

function add(into: TokenUsageSumsView, s: TokenUsageSumsView): void {
  into.requests += s.requests;
  into.costUsd += s.costUsd;
  for (const k of Object.keys(into.tokens) as (keyof TokenUsageSumsView['tokens'])[]) into.tokens[k] += s.tokens[k];
}

/** Start of the window: whole minutes, as the minute rollups hold them (the current minute included). */
export function windowStart(now: number, windowMs: number): number {
  const from = now - windowMs;
  return from - (from % MINUTE_MS);
}

export function utcDayStart(now: number): number {
  return now - (now % DAY_MS);
}

export interface CurrentInput {
  now: number;
  from: number;
  windowMs: number;
  dayStart: number;
  window: TokenUsageRows;
  today: TokenUsageRows;
  accounts: readonly AccountRow[];
  keys: readonly ClientKeyRow[];
}

/**
 * Every current account (in priority order) and every active key, with zeros when idle, then
 * removed accounts and revoked or unknown keys that have requests in the window or today.
 */
export function currentTokenUsage(i: CurrentInput): TokenUsageCurrent {
  const byAccount = (rows: TokenUsageRows) => new Map(rows.accounts.map((a) => [a.accountId, a]));
  const byKey = (rows: TokenUsageRows) => new Map(rows.keys.map((k) => [k.clientKey, k]));
  const winAcc = byAccount(i.window);
  const dayAcc = byAccount(i.today);
  const winKey = byKey(i.window);
  const dayKey = byKey(i.today);
  const sums = (s: TokenUsageSums | undefined) => (s ? view(s) : emptySums());

  const accounts: AccountTokenWindow[] = [...i.accounts]
    .sort((a, b) => a.priority - b.priority || a.createdAt - b.createdAt || a.name.localeCompare(b.name))
    .map((a) => ({
      accountId: a.id,
      name: a.name,
      exists: true,
      ...sums(winAcc.get(a.id)),
      today: sums(dayAcc.get(a.id)),
      fiveHour: a.rateLimit?.fiveHour ?? null,
      sevenDay: a.rateLimit?.sevenDay ?? null,
      observedAt: a.rateLimit?.observedAt ?? null,
    }));
  const known = new Set(i.accounts.map((a) => a.id));
  for (const id of new Set([...winAcc.keys(), ...dayAcc.keys()])) {
    if (id !== null && known.has(id)) continue;
    const row = winAcc.get(id) ?? dayAcc.get(id);
    accounts.push({
      accountId: id,
      name: row?.accountName ?? null,
      exists: false,
      ...sums(winAcc.get(id)),
      today: sums(dayAcc.get(id)),
      fiveHour: null,
      sevenDay: null,
      observedAt: null,
    });
  }

  const active = i.keys.filter((k) => k.revokedAt === null).sort((a, b) => a.name.localeCompare(b.name));
  const keys: KeyTokenWindow[] = active.map((k) => ({
    name: k.name,
    active: true,
    ...sums(winKey.get(k.name)),
    today: sums(dayKey.get(k.name)),
  }));
  const activeNames = new Set(active.map((k) => k.name));
  for (const name of [...new Set([...winKey.keys(), ...dayKey.keys()])].sort()) {
    if (activeNames.has(name)) continue;
    keys.push({ name, active: false, ...sums(winKey.get(name)), today: sums(dayKey.get(name)) });
  }

  const total = emptySums();
  for (const a of accounts) add(total, { requests: a.requests, tokens: a.tokens, costUsd: a.costUsd });
  return { now: i.now, from: i.from, windowMs: i.windowMs, dayStart: i.dayStart, accounts, keys, total };
}

/** One entry per UTC day in [from, to), oldest first; account names are the current ones where the account exists. */
export function dailyTokenUsage(
  from: number,
  to: number,
  rows: TokenUsageDayRows,
  accounts: readonly Pick<AccountRow, 'id' | 'name'>[],
): TokenUsageDaily {
  const names = new Map(accounts.map((a) => [a.id, a.name]));
  const days: TokenUsageDaily['days'] = [];
  const at = new Map<number, TokenUsageDaily['days'][number]>();
  for (let d = from; d < to; d += DAY_MS) {
    const day = { day: d, total: emptySums(), accounts: [], keys: [] };
    days.push(day);
    at.set(d, day);
  }
  for (const r of rows.accounts) {
    const day = at.get(r.day);
    if (!day) continue;
    const s = view(r);
    add(day.total, s);
    day.accounts.push({
      accountId: r.accountId,
      name: (r.accountId === null ? null : names.get(r.accountId)) ?? r.accountName,
      ...s,
    });
  }
  for (const r of rows.keys) at.get(r.day)?.keys.push({ name: r.clientKey, ...view(r) });
  return { from, to, days };
}
