/**
 * Rollup query rows as both back-ends return them (the SQL aliases are the group's field names)
 * and the groups analytics/compute.ts assembles from them: one mapping for SQLite and PostgreSQL.
 */
import type { AgentGroup, PerfGroup, RollupGrain, TotalGroup } from '../analytics/compute.js';
import type { Sums } from '../analytics/rollup.js';
import { HIST_COLUMNS } from './rollup-rows.js';

export type PerfDbRow = Omit<PerfGroup, 'hist'> & Record<string, number>;
export type AgentDbRow = Omit<AgentGroup, 'hist'> & Record<string, number>;

export function sumsOf(r: PerfDbRow | AgentDbRow): Sums {
  return {
    requests: r.requests,
    successes: r.successes,
    latencySum: r.latencySum,
    ttftSum: r.ttftSum,
    ttftCount: r.ttftCount,
    tpsSum: r.tpsSum,
    tpsCount: r.tpsCount,
    inputTokens: r.inputTokens,
    cacheReadTokens: r.cacheReadTokens,
    cacheWrite5mTokens: r.cacheWrite5mTokens,
    cacheWrite1hTokens: r.cacheWrite1hTokens,
    outputTokens: r.outputTokens,
    costUsd: r.costUsd,
    failovers: r.failovers,
  };
}

export function histOf(r: Record<string, number>): number[] {
  return HIST_COLUMNS.map((h) => r[h] ?? 0);
}

export function toPerfGroup(r: PerfDbRow): PerfGroup {
  return {
    accountId: r.accountId,
    accountName: r.accountName,
    model: r.model,
    ...sumsOf(r),
    latencyMax: r.latencyMax,
    lastTs: r.lastTs,
    hist: histOf(r),
  };
}

/** sum() over no rows is NULL: an empty window has no totals row. */
export function toTotalGroup(r: AgentDbRow | undefined): TotalGroup | undefined {
  if (!r?.requests) return undefined;
  return { ...sumsOf(r), latencyMax: r.latencyMax, hist: histOf(r) };
}

export function toAgentGroup(r: AgentDbRow): AgentGroup {
  return { agent: r.agent, ...sumsOf(r), latencyMax: r.latencyMax, hist: histOf(r) };
}

export const ROLLUP_TABLES: Record<RollupGrain, { main: string; agent: string }> = {
  minute: { main: 'rollup_minute', agent: 'agent_rollup_minute' },
  hour: { main: 'rollup_hour', agent: 'agent_rollup_hour' },
};
