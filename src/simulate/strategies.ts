/**
 * The strategies the simulator can run, as one function each: accounts and context in, the order
 * to try them (and an optional hold) out. Adapts src/routing's pure ordering functions.
 */

import { orderAccounts, type SelectionContext } from '../routing/session-strategy.js';
import type { AccountRow } from '../storage/contract/accounts.js';

export interface SimPick {
  order: AccountRow[];
  /** Hold the request this long before trying again (sticky waits, hybrid's emergency steps). */
  delayMs: number;
}

/** Per-run state a strategy keeps between requests (round-robin cursor, token buckets). */
export type SimStrategyState = Record<string, unknown>;

export type SimStrategy = (accounts: readonly AccountRow[], ctx: SelectionContext, state: SimStrategyState) => SimPick;

export const SIM_STRATEGIES: Record<string, SimStrategy> = {
  session: (accounts, ctx) => ({ order: orderAccounts(accounts, ctx), delayMs: 0 }),
};
