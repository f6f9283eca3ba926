/** The strategies behind routing/strategy.ts `orderFor`. */
import type { AccountRow } from '../storage/contract/accounts.js';
import type {
  AttemptOutcome,
  RouteContext,
  RouteDecision,
  RouteReason,
  RoutingState,
  StrategyName,
} from './route-types.js';
import { orderAccounts } from './session-strategy.js';

export function orderStrategy(
  _name: StrategyName,
  accounts: readonly AccountRow[],
  ctx: RouteContext,
  _state: RoutingState,
): RouteDecision {
  const order = orderAccounts(accounts, ctx);
  const reasons: RouteReason[] = order.map((a) => ({ kind: 'priority', priority: a.priority }));
  return { order, reasons, delayMs: 0 };
}

export function recordServed(_state: RoutingState, _accountId: string, _ctx: RouteContext): void {}

export function recordOutcome(_state: RoutingState, _accountId: string, _o: AttemptOutcome, _now: number): void {}
