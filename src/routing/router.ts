/**
 * The proxy's routing: the live strategy, the quota thresholds and options from the settings, and
 * the one per-process routing state (round-robin cursor, sticky account, token buckets, health).
 * Shared by the proxy and `GET /api/strategy`, so the order the API shows is the order the next
 * request takes.
 */
import type { AccountRow } from '../storage/contract/accounts.js';
import { sessionActive } from './session-strategy.js';
import {
  type AttemptOutcome,
  holdAfterLimit,
  newRoutingState,
  noteOutcome,
  noteServed,
  orderFor,
  type RouteContext,
  type RouteDecision,
  type RoutingState,
  type StrategyName,
  type StrategyOptions,
  type Thresholds,
} from './strategy.js';

export type RouteInput = Omit<RouteContext, 'thresholds' | 'options'>;

export interface Router {
  readonly state: RoutingState;
  readonly thresholds: Thresholds | null;
  readonly options: StrategyOptions;
  strategy(): StrategyName;
  /** The full decision under the live strategy. */
  decide(accounts: readonly AccountRow[], input: RouteInput): RouteDecision;
  /** `session` without thresholds: true when the proxy may take today's allocation-free path. */
  plainSession(): boolean;
  served(accountId: string, input: RouteInput): void;
  outcome(accountId: string, outcome: AttemptOutcome, now: number): void;
  /**
   * After `account` answered 429 and was benched: under `sticky`, the wait before retrying it when
   * it is the held account and frees up within the sticky wait; null otherwise (move on).
   */
  holdAfterLimit(
    account: AccountRow,
    input: { now: number; modelKey: string | null; firstPick: boolean },
  ): number | null;
}

export function createRouter(deps: {
  strategy: () => StrategyName;
  thresholds: Thresholds | null;
  options: StrategyOptions;
  state?: RoutingState;
}): Router {
  const state = deps.state ?? newRoutingState();
  const ctxOf = (input: RouteInput): RouteContext => ({ ...input, thresholds: deps.thresholds, options: deps.options });
  return {
    state,
    thresholds: deps.thresholds,
    options: deps.options,
    strategy: deps.strategy,
    decide: (accounts, input) => orderFor(deps.strategy(), accounts, ctxOf(input), state),
    plainSession: () => deps.thresholds === null && deps.strategy() === 'session',
    served(accountId, input) {
      if (deps.strategy() !== 'session') noteServed(state, accountId, ctxOf(input));
    },
    outcome(accountId, outcome, now) {
      if (deps.strategy() === 'hybrid') noteOutcome(state, accountId, outcome, now);
    },
    holdAfterLimit(account, input) {
      if (deps.strategy() !== 'sticky') return null;
      return holdAfterLimit(account, state, { ...input, options: deps.options }, input.firstPick);
    },
  };
}

/** `priority N` texts made once: the `session` hot path allocates no string per request. */
const PRIORITY_TEXT = new Map<number, string>();

/** The reason text of the `session` strategy's first pick, without building the reasons list. */
export function sessionReasonText(a: AccountRow, affinityAccountId: string | null, now: number, sessionMs: number) {
  if (a.id === affinityAccountId) return 'affinity';
  if (sessionActive(a, now, sessionMs)) return 'current-session';
  let t = PRIORITY_TEXT.get(a.priority);
  if (t === undefined) {
    t = `priority ${a.priority}`;
    if (PRIORITY_TEXT.size < 1000) PRIORITY_TEXT.set(a.priority, t);
  }
  return t;
}
