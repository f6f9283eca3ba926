/**
 * Types of the strategy interface (routing/strategy.ts re-exports them; kept apart so the
 * strategy implementations can import them without an import cycle).
 */
import type { AccountRow, WeeklyFamily } from '../storage/contract/accounts.js';

export const STRATEGY_NAMES = ['session', 'sticky', 'round-robin', 'least-used', 'drain-soonest', 'hybrid'] as const;
export type StrategyName = (typeof STRATEGY_NAMES)[number];

/**
 * Strategies that move one client session between accounts on purpose. Each move starts a cold
 * prompt cache on the new account (cache reads are ~10% of input price, writes 125%), and one
 * conversation arriving from several subscriptions may look like account sharing to the provider.
 */
export const SPREADS_SESSIONS: ReadonlySet<StrategyName> = new Set<StrategyName>([
  'round-robin',
  'least-used',
  'drain-soonest',
  'hybrid',
]);

/** Model families with their own weekly limits. */
export type ModelFamily = WeeklyFamily;

/** Utilization fractions (0.8 = 80%) past which an account is skipped while another can serve. */
export interface WindowThresholds {
  fiveHour?: number | null;
  sevenDay?: number | null;
}

/**
 * Quota thresholds; the most specific wins, per window: account+family, then account, then
 * family, then global.
 */
export interface Thresholds {
  global: WindowThresholds;
  perFamily?: Partial<Record<ModelFamily, WindowThresholds>>;
  perAccount?: Record<string, WindowThresholds & { perFamily?: Partial<Record<ModelFamily, WindowThresholds>> }>;
}

export interface HybridWeights {
  health: number;
  bucket: number;
  quota: number;
  rest: number;
}

export interface StrategyOptions {
  /** sticky: hold the request when the current account's limit resets within this (ms). Default 120 000. */
  stickyMaxWaitMs: number;
  /** round-robin (and the other spreading strategies): keep a client session on its account. Default true. */
  sessionAffinity: boolean;
  hybridWeights: HybridWeights;
  /** hybrid token bucket: capacity and refill per minute. Defaults 50 and 6. */
  bucketCapacity: number;
  bucketRefillPerMin: number;
}

export const DEFAULT_STRATEGY_OPTIONS: StrategyOptions = {
  stickyMaxWaitMs: 120_000,
  sessionAffinity: true,
  hybridWeights: { health: 2, bucket: 5, quota: 1, rest: 0.1 },
  bucketCapacity: 50,
  bucketRefillPerMin: 6,
};

export interface RouteContext {
  now: number;
  /** Session window of the `session` strategy (ms). */
  sessionMs: number;
  /** Model family key of the request (model-scoped cooldowns, per-family thresholds), or null. */
  modelKey: string | null;
  /** Account the client's session id was last served by, if any. */
  affinityAccountId: string | null;
  /** Accounts already tried by this request. */
  exclude: ReadonlySet<string>;
  thresholds: Thresholds | null;
  options: StrategyOptions;
}

/** Per-process mutable routing state. Strategies read it; `noteOutcome`/`noteServed` update it. */
export interface RoutingState {
  /** round-robin: id of the account served last. */
  rrLastId: string | null;
  /** sticky: the account currently held. */
  stickyId: string | null;
  /** hybrid token buckets: tokens and when they were last refilled. */
  buckets: Map<string, { tokens: number; at: number }>;
  /** hybrid health scores 0..100 and when last updated (passive recovery from then). */
  health: Map<string, { score: number; at: number }>;
}

export function newRoutingState(): RoutingState {
  return { rrLastId: null, stickyId: null, buckets: new Map(), health: new Map() };
}

export interface ScoreParts {
  health: number;
  bucket: number;
  quota: number;
  rest: number;
  total: number;
}

export type RouteReason =
  | { kind: 'affinity' }
  | { kind: 'current-session' }
  | { kind: 'priority'; priority: number }
  | { kind: 'sticky-hold'; waitMs: number }
  | { kind: 'sticky' }
  | { kind: 'round-robin'; position: number }
  | { kind: 'least-used'; utilization: number | null; requests: number }
  | { kind: 'drain-soonest'; resetAt: number | null }
  | { kind: 'score'; parts: ScoreParts }
  | { kind: 'emergency'; parts: ScoreParts }
  | { kind: 'last-resort'; parts: ScoreParts }
  | { kind: 'threshold-fallback'; utilization: number | null };

export interface RouteDecision {
  order: AccountRow[];
  /** Parallel to `order`. */
  reasons: RouteReason[];
  /** Wait before the first attempt (sticky hold, hybrid emergency / last resort). */
  delayMs: number;
}

/** Short text form stored in `requests.route_reason`. */
export function formatReason(r: RouteReason): string {
  switch (r.kind) {
    case 'priority':
      return `priority ${r.priority}`;
    case 'sticky-hold':
      return `sticky hold ${r.waitMs}ms`;
    case 'round-robin':
      return `round-robin #${r.position}`;
    case 'least-used':
      return `least-used 5h=${r.utilization === null ? '?' : r.utilization.toFixed(2)} req=${r.requests}`;
    case 'drain-soonest':
      return `drain-soonest reset=${r.resetAt === null ? '?' : new Date(r.resetAt).toISOString()}`;
    case 'score':
    case 'emergency':
    case 'last-resort': {
      const p = r.parts;
      return `${r.kind === 'score' ? 'score' : r.kind} ${p.total.toFixed(2)} (health ${p.health.toFixed(2)}, bucket ${p.bucket.toFixed(2)}, quota ${p.quota.toFixed(2)}, rest ${p.rest.toFixed(2)})`;
    }
    case 'threshold-fallback':
      return `threshold fallback 5h=${r.utilization === null ? '?' : r.utilization.toFixed(2)}`;
    default:
      return r.kind;
  }
}

/** How an attempt ended, for hybrid's health score. */
export type AttemptOutcome = 'ok' | 'rate_limited' | 'failed';
