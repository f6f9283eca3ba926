/**
 * What a request's attempt log says about how it moved between accounts. A retry is another go
 * at an account the request already tried (a 529 backoff, a 401 after a token refresh, a
 * per-minute limit waited out); a failover is a move to an account it had not tried. Counting
 * every extra attempt as a failover told people a request changed accounts when it never did.
 */

export interface AttemptCounts {
  /** Attempts on an account this request had already tried. */
  retries: number;
  /** Moves to an account this request had not tried yet. */
  failovers: number;
  /** The accounts the request tried, each once, in the order it first tried them. */
  triedAccounts: string[];
}

export function attemptCounts(log: readonly { account: string | null }[]): AttemptCounts {
  const tried: string[] = [];
  let retries = 0;
  for (const a of log) {
    const name = a.account ?? '';
    if (tried.includes(name)) retries++;
    else tried.push(name);
  }
  return { retries, failovers: Math.max(0, tried.length - 1), triedAccounts: tried.filter((n) => n !== '') };
}

/** `attemptCounts(log).failovers` without the allocations, for the record writer's hot path. */
export function failoversOf(log: readonly { account: string | null }[]): number {
  if (log.length < 2) return 0;
  let moves = 0;
  for (let i = 1; i < log.length; i++) {
    const name = (log[i] as { account: string | null }).account;
    let seen = false;
    for (let j = 0; j < i && !seen; j++) seen = (log[j] as { account: string | null }).account === name;
    if (!seen) moves++;
  }
  return moves;
}

/** "1 retry, 2 failovers"; empty for a request that got its answer on the first attempt. */
export function describeMoves(c: { retries: number; failovers: number }): string {
  const parts: string[] = [];
  if (c.retries > 0) parts.push(`${c.retries} ${c.retries === 1 ? 'retry' : 'retries'}`);
  if (c.failovers > 0) parts.push(`${c.failovers} ${c.failovers === 1 ? 'failover' : 'failovers'}`);
  return parts.join(', ');
}

/** The account that served a request, or for one none served, the accounts it tried: "none (tried a, b)". */
export function servedBy(r: { accountName: string | null; triedAccounts: readonly string[] }, none = '-'): string {
  if (r.accountName !== null) return r.accountName;
  return r.triedAccounts.length > 0 ? `none (tried ${r.triedAccounts.join(', ')})` : none;
}
