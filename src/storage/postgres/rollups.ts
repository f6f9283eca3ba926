/**
 * PostgreSQL side of the rollups (analytics/rollup.ts): the tables, and the multi-row upserts the
 * batch commit runs in its transaction (`INSERT ... ON CONFLICT DO UPDATE`), so the rollups never
 * disagree with the rows they summarize.
 */
import { type AgentRollupDelta, type KeyRollupDelta, type RollupDelta, rollupDeltas } from '../analytics/rollup.js';
import type { RequestRecord } from '../contract/records.js';
import { HIST_COLUMNS } from '../sqlite/rollups.js';
import { insertRows, type PgValue, type Queryable, valuesList } from './pg-sql.js';

/** Additive columns, in the order the upsert binds them (as on SQLite). */
const SUM_COLUMNS = [
  'requests',
  'successes',
  'latency_sum',
  'ttft_sum',
  'ttft_count',
  'tps_sum',
  'tps_count',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_usd',
  'failovers',
] as const;

const KEY_SUM_COLUMNS = [
  'requests',
  'input_tokens',
  'cache_read_tokens',
  'cache_write_5m_tokens',
  'cache_write_1h_tokens',
  'output_tokens',
  'cost_usd',
] as const;

const REAL_COLUMNS = new Set(['latency_sum', 'ttft_sum', 'tps_sum', 'cost_usd']);

function sumType(c: string): string {
  return REAL_COLUMNS.has(c) ? 'DOUBLE PRECISION' : 'BIGINT';
}

/** The main rollups; with `agent`, the agent rollups (every column, agent in the key). */
function rollupTable(name: string, agent: boolean): string {
  return `CREATE TABLE ${name} (
    bucket BIGINT NOT NULL,
    ${agent ? 'agent TEXT NOT NULL,' : ''}
    account_id TEXT NOT NULL,
    model TEXT NOT NULL,
    success SMALLINT NOT NULL,
    account_name TEXT,
    ${SUM_COLUMNS.map((c) => `${c} ${sumType(c)} NOT NULL`).join(',\n    ')},
    latency_max DOUBLE PRECISION NOT NULL,
    last_ts BIGINT NOT NULL,
    tps_min DOUBLE PRECISION,
    tps_max DOUBLE PRECISION,
    ${HIST_COLUMNS.map((h) => `${h} BIGINT NOT NULL DEFAULT 0`).join(',\n    ')},
    PRIMARY KEY (bucket, ${agent ? 'agent, ' : ''}account_id, model, success)
  );`;
}

function keyRollupTable(name: string): string {
  return `CREATE TABLE ${name} (
    bucket BIGINT NOT NULL,
    client_key TEXT NOT NULL,
    ${KEY_SUM_COLUMNS.map((c) => `${c} ${sumType(c)} NOT NULL`).join(',\n    ')},
    PRIMARY KEY (bucket, client_key)
  );`;
}

/**
 * Per minute (ranges up to a day, kept two days) and per hour (longer ranges and stats, kept as
 * long as request rows). '' stands for a missing account or model: key columns are NOT NULL so an
 * upsert finds its row. h0..hN count latencies per histogram bucket for percentiles.
 */
export const ROLLUPS_DDL: readonly string[] = [
  rollupTable('rollup_minute', false),
  rollupTable('rollup_hour', false),
  rollupTable('agent_rollup_minute', true),
  rollupTable('agent_rollup_hour', true),
  keyRollupTable('key_rollup_minute'),
  keyRollupTable('key_rollup_hour'),
];

const CELL_COLUMNS = [
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

function upsertSql(table: string, agent: boolean, rows: number): string {
  const cols = agent ? ['bucket', 'agent', ...CELL_COLUMNS.slice(1)] : CELL_COLUMNS;
  const key = agent ? 'bucket, agent, account_id, model, success' : 'bucket, account_id, model, success';
  const adds = [...SUM_COLUMNS, ...HIST_COLUMNS].map((c) => `${c} = t.${c} + excluded.${c}`);
  // GREATEST and LEAST skip NULLs: a side without a speed keeps the other.
  return `INSERT INTO ${table} AS t (${cols.join(', ')}) VALUES ${valuesList(rows, cols.length)}
    ON CONFLICT (${key}) DO UPDATE SET
      account_name = coalesce(excluded.account_name, t.account_name),
      latency_max = GREATEST(t.latency_max, excluded.latency_max),
      last_ts = GREATEST(t.last_ts, excluded.last_ts),
      tps_min = LEAST(t.tps_min, excluded.tps_min),
      tps_max = GREATEST(t.tps_max, excluded.tps_max),
      ${adds.join(',\n      ')}`;
}

function keyUpsertSql(table: string, rows: number): string {
  const cols = ['bucket', 'client_key', ...KEY_SUM_COLUMNS];
  return `INSERT INTO ${table} AS t (${cols.join(', ')}) VALUES ${valuesList(rows, cols.length)}
    ON CONFLICT (bucket, client_key) DO UPDATE SET
      ${KEY_SUM_COLUMNS.map((c) => `${c} = t.${c} + excluded.${c}`).join(',\n      ')}`;
}

function cellParams(d: RollupDelta): PgValue[] {
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
    d.inputTokens,
    d.cacheReadTokens,
    d.cacheWrite5mTokens,
    d.cacheWrite1hTokens,
    d.outputTokens,
    d.costUsd,
    d.failovers,
    d.latencyMax,
    d.lastTs,
    d.tpsMin,
    d.tpsMax,
    ...d.hist,
  ];
}

function agentParams(d: AgentRollupDelta): PgValue[] {
  const p = cellParams(d);
  p.splice(1, 0, d.agent);
  return p;
}

function keyParams(d: KeyRollupDelta): PgValue[] {
  return [
    d.bucket,
    d.clientKey,
    d.requests,
    d.inputTokens,
    d.cacheReadTokens,
    d.cacheWrite5mTokens,
    d.cacheWrite1hTokens,
    d.outputTokens,
    d.costUsd,
  ];
}

/**
 * Rows locked in one order by every instance (sorted by key), so two instances upserting the
 * same cells wait for each other instead of deadlocking.
 */
function sorted(rows: PgValue[][], keyWidth: number): PgValue[][] {
  const key = (r: PgValue[]) => r.slice(0, keyWidth).map(String).join('\u0000');
  return rows
    .map((r) => [key(r), r] as const)
    .sort((a, b) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0))
    .map(([, r]) => r);
}

/** Adds `records` to the rollups; the caller runs it inside the batch's transaction. */
export async function writeRollups(q: Queryable, records: readonly RequestRecord[]): Promise<void> {
  if (records.length === 0) return;
  const d = rollupDeltas(records);
  const main = CELL_COLUMNS.length;
  const parts: [string, boolean | 'key', PgValue[][], number][] = [
    ['rollup_minute', false, d.minute.map(cellParams), 4],
    ['rollup_hour', false, d.hour.map(cellParams), 4],
    ['agent_rollup_minute', true, d.agentMinute.map(agentParams), 5],
    ['agent_rollup_hour', true, d.agentHour.map(agentParams), 5],
    ['key_rollup_minute', 'key', d.keyMinute.map(keyParams), 2],
    ['key_rollup_hour', 'key', d.keyHour.map(keyParams), 2],
  ];
  for (const [table, kind, rows, keyWidth] of parts) {
    if (rows.length === 0) continue;
    const width = kind === 'key' ? 2 + KEY_SUM_COLUMNS.length : kind ? main + 1 : main;
    await insertRows(q, sorted(rows, keyWidth), width, (n) =>
      kind === 'key' ? keyUpsertSql(table, n) : upsertSql(table, kind, n),
    );
  }
}
