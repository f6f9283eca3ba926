/**
 * The rollup tables' columns and the values of a rollup cell in column order: one list for the
 * SQLite and PostgreSQL upserts (sqlite/rollups.ts, postgres/rollups.ts). Frozen with the
 * schema: the column lists are part of SQLite's migration 2 and PostgreSQL's version 1.
 */
import { type AgentRollupDelta, type KeyRollupDelta, LATENCY_BUCKETS, type RollupDelta } from '../analytics/rollup.js';
import type { TokenSums } from '../contract/records.js';

/** h0..hN: requests per latency histogram bucket (analytics/rollup.ts LATENCY_BOUNDS_MS). */
export const HIST_COLUMNS: readonly string[] = Array.from({ length: LATENCY_BUCKETS }, (_, i) => `h${i}`);

/** Token counts, in every rollup. */
const TOKEN_COLUMNS = [
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
] as const;

/** Additive columns of rollup_minute / rollup_hour (and the agent rollups), in the order the upserts bind them. */
export const SUM_COLUMNS = [
  'requests',
  'successes',
  'latency_sum',
  'ttft_sum',
  'ttft_count',
  'tps_sum',
  'tps_count',
  ...TOKEN_COLUMNS,
  'cost_usd',
  'failovers',
] as const;

/** Additive columns of the client-key rollups. */
export const KEY_SUM_COLUMNS = ['requests', ...TOKEN_COLUMNS, 'cost_usd'] as const;

/** Every column of a main rollup cell, in the order `cellParams` gives their values. */
export const CELL_COLUMNS: readonly string[] = [
  'bucket',
  'account_id',
  'model',
  'success',
  'account_name',
  ...SUM_COLUMNS,
  'latency_max',
  'last_ts',
  'tps_min',
  'tps_max',
  ...HIST_COLUMNS,
];

/** An agent rollup cell's columns: the main cell's with the agent after the bucket (`agentParams`). */
export const AGENT_CELL_COLUMNS: readonly string[] = ['bucket', 'agent', ...CELL_COLUMNS.slice(1)];

/** A client-key rollup cell's columns, in the order `keyParams` gives their values. */
export const KEY_CELL_COLUMNS: readonly string[] = ['bucket', 'client_key', ...KEY_SUM_COLUMNS];

export type RollupValue = string | number | null;

/** The values of TOKEN_COLUMNS. */
function tokenParams(d: TokenSums): RollupValue[] {
  return [d.inputTokens, d.cacheReadTokens, d.cacheWrite5mTokens, d.cacheWrite1hTokens, d.outputTokens];
}

export function cellParams(d: RollupDelta): RollupValue[] {
  return [
    d.bucket,
    d.accountId,
    d.model,
    d.success,
    d.accountName,
    d.requests,
    d.successes,
    d.latencySum,
    d.ttftSum,
    d.ttftCount,
    d.tpsSum,
    d.tpsCount,
    ...tokenParams(d),
    d.costUsd,
    d.failovers,
    d.latencyMax,
    d.lastTs,
    d.tpsMin,
    d.tpsMax,
    ...d.hist,
  ];
}

export function agentParams(d: AgentRollupDelta): RollupValue[] {
  const p = cellParams(d);
  p.splice(1, 0, d.agent);
  return p;
}

export function keyParams(d: KeyRollupDelta): RollupValue[] {
  return [d.bucket, d.clientKey, d.requests, ...tokenParams(d), d.costUsd];
}
