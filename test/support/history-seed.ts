/**
 * The request history the analytics tests work their expected figures out from by hand: the store
 * conformance suite, the rollup and compute unit tests and `/api/analytics` end to end all use
 * these six requests, each at its own times, with its own accounts and model names.
 */
import type { RequestRecord } from '../../src/storage/contract/records.js';
import { sampleRecord } from './sample-record.js';

/** The usage fields of a request that failed before any usage was reported. */
export const NO_USAGE = {
  inputTokens: null,
  cacheReadTokens: null,
  cacheWrite5mTokens: null,
  cacheWrite1hTokens: null,
  outputTokens: null,
  costUsd: null,
  outputTokensPerSecond: null,
  ttftMs: null,
} as const;

/** The first request: a sonnet success of agent `reviewer` (1,350 tokens, $0.01, 800 ms). */
export const REVIEWER_REQUEST = {
  latencyMs: 800,
  ttftMs: 200,
  inputTokens: 100,
  cacheReadTokens: 1000,
  cacheWrite5mTokens: 200,
  cacheWrite1hTokens: 0,
  outputTokens: 50,
  costUsd: 0.01,
  outputTokensPerSecond: 40,
  agent: 'reviewer',
} as const satisfies Partial<RequestRecord>;

interface SeedAccount {
  id: string;
  name: string;
}

export interface HistorySeed {
  /** Ids are the prefix and 1-6. */
  prefix: string;
  /** When each request happened, newest first: the first three fall in the last hour. */
  at: readonly [number, number, number, number, number, number];
  alpha: SeedAccount;
  beta: SeedAccount;
  models: { sonnet: string; opus: string; haiku: string };
}

/**
 * 1-3 in the last hour: sonnet on alpha (agent reviewer, session s1), opus on alpha (session s1),
 * a 529 on beta after attempts on three accounts with no usage; 4 a small sonnet request on beta; 5 haiku on
 * alpha (agent planner); 6 an old sonnet request on beta that cost $1.
 */
export function historySeed({ prefix, at, alpha, beta, models }: HistorySeed): RequestRecord[] {
  const on = (n: number, acc: SeedAccount) => ({
    id: `${prefix}${n}`,
    ts: at[n - 1] as number,
    accountId: acc.id,
    accountName: acc.name,
  });
  return [
    sampleRecord({
      ...on(1, alpha),
      ...REVIEWER_REQUEST,
      modelRequested: models.sonnet,
      modelApplied: models.sonnet,
      sessionId: 's1',
    }),
    sampleRecord({
      ...on(2, alpha),
      modelRequested: models.opus,
      modelApplied: models.opus,
      latencyMs: 1200,
      ttftMs: 400,
      inputTokens: 200,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 300,
      outputTokens: 100,
      costUsd: 0.05,
      outputTokensPerSecond: 60,
      sessionId: 's1',
    }),
    sampleRecord({
      ...on(3, beta),
      ...NO_USAGE,
      modelRequested: models.sonnet,
      modelApplied: null,
      status: 529,
      success: false,
      error: 'overloaded_error: Overloaded',
      latencyMs: 2500,
      attempts: 3,
      attemptLog: [alpha.name, 'spare', beta.name].map((account) => ({
        account,
        status: 529,
        error: '529 overloaded: Overloaded',
        ms: 800,
      })),
    }),
    sampleRecord({
      ...on(4, beta),
      modelRequested: models.sonnet,
      modelApplied: models.sonnet,
      latencyMs: 3000,
      ttftMs: 100,
      inputTokens: 10,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 10,
      costUsd: 0.001,
      outputTokensPerSecond: 5,
    }),
    sampleRecord({
      ...on(5, alpha),
      modelRequested: models.haiku,
      modelApplied: models.haiku,
      latencyMs: 400,
      ttftMs: null,
      inputTokens: 1,
      cacheReadTokens: 0,
      cacheWrite5mTokens: 0,
      cacheWrite1hTokens: 0,
      outputTokens: 1,
      costUsd: 0.0001,
      outputTokensPerSecond: null,
      agent: 'planner',
    }),
    sampleRecord({ ...on(6, beta), modelRequested: models.sonnet, modelApplied: models.sonnet, costUsd: 1 }),
  ];
}

/**
 * The totals of requests 1-3: 2 of 3 succeeded; latencies 800, 1200 and 2500 ms; TTFT 200 and
 * 400 ms; 40 and 60 tokens/s; the 529 failed over twice.
 */
export const FIRST_THREE_TOTALS = {
  requests: 3,
  successes: 2,
  errors: 1,
  avgLatencyMs: 1500,
  avgTtftMs: 300,
  outputTokensPerSecond: 50,
  failovers: 2,
  tokens: { input: 300, cacheRead: 1000, cacheWrite5m: 200, cacheWrite1h: 300, output: 150, total: 1950 },
} as const;
