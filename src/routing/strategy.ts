/**
 * The strategy interface: every selection strategy is a pure function from account rows, the
 * request's context and a small mutable routing state (owned by the caller: the proxy keeps one
 * per process, the simulator its own) to an order of accounts to try, why each is where it is,
 * and how long to wait before the first attempt. `noteServed` / `noteOutcome` are the only
 * writers of that state.
 */
import type { AccountRow } from '../storage/contract/accounts.js';
import type { AttemptOutcome, RouteContext, RouteDecision, RoutingState, StrategyName } from './route-types.js';
import { orderStrategy, recordOutcome, recordServed, stickyHoldAfterLimit } from './strategies.js';

export * from './route-types.js';

/** Order in which to try accounts for one request under strategy `name`. Reads `state`, never writes it. */
export function orderFor(
  name: StrategyName,
  accounts: readonly AccountRow[],
  ctx: RouteContext,
  state: RoutingState,
): RouteDecision {
  return orderStrategy(name, accounts, ctx, state);
}

/** An account took the request (round-robin cursor, sticky hold, one token from its bucket). */
export function noteServed(state: RoutingState, accountId: string, ctx: RouteContext): void {
  recordServed(state, accountId, ctx);
}

/** sticky: the wait before retrying the held account after its 429, or null to move on. */
export function holdAfterLimit(
  account: AccountRow,
  state: RoutingState,
  ctx: Pick<RouteContext, 'now' | 'modelKey' | 'options'>,
  firstPick: boolean,
): number | null {
  return stickyHoldAfterLimit(account, state, ctx, firstPick);
}

export function noteOutcome(state: RoutingState, accountId: string, outcome: AttemptOutcome, now: number): void {
  recordOutcome(state, accountId, outcome, now);
}
