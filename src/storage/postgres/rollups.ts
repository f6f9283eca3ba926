/**
 * PostgreSQL side of the rollups (analytics/rollup.ts): the tables, and the upserts the batch
 * commit adds to its one write statement (`INSERT ... ON CONFLICT DO UPDATE` of `unnest`ed
 * columns), in its transaction, so the rollups never disagree with the rows they summarize.
 */
import { rollupDeltas } from '../analytics/rollup.js';
import type { RequestRecord } from '../contract/records.js';
import {
  AGENT_CELL_COLUMNS,
  agentParams,
  CELL_COLUMNS,
  cellParams,
  HIST_COLUMNS,
  KEY_CELL_COLUMNS,
  KEY_SUM_COLUMNS,
  keyParams,
  SUM_COLUMNS,
} from '../rows/rollup-rows.js';
import type { MultiWrite, PgValue } from './pg-sql.js';

const REAL_COLUMNS = new Set(['latency_sum', 'ttft_sum', 'tps_sum', 'cost_usd', 'latency_max', 'tps_min', 'tps_max']);
const TEXT_COLUMNS = new Set(['account_id', 'model', 'account_name', 'agent', 'client_key']);

/** A rollup column's type: the DDL's and the upsert's arrays agree. */
function columnType(c: string): string {
  if (REAL_COLUMNS.has(c)) return 'DOUBLE PRECISION';
  if (TEXT_COLUMNS.has(c)) return 'TEXT';
  return c === 'success' ? 'SMALLINT' : 'BIGINT';
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
    ${SUM_COLUMNS.map((c) => `${c} ${columnType(c)} NOT NULL`).join(',\n    ')},
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
    ${KEY_SUM_COLUMNS.map((c) => `${c} ${columnType(c)} NOT NULL`).join(',\n    ')},
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

const typed = (cols: readonly string[]) => cols.map((c) => [c, columnType(c)] as const);

/** Sums add up; GREATEST and LEAST skip NULLs, so a side without a speed keeps the other. */
const CELL_UPSERT = `ON CONFLICT (%KEY%) DO UPDATE SET
      account_name = coalesce(excluded.account_name, t.account_name),
      latency_max = GREATEST(t.latency_max, excluded.latency_max),
      last_ts = GREATEST(t.last_ts, excluded.last_ts),
      tps_min = LEAST(t.tps_min, excluded.tps_min),
      tps_max = GREATEST(t.tps_max, excluded.tps_max),
      ${[...SUM_COLUMNS, ...HIST_COLUMNS].map((c) => `${c} = t.${c} + excluded.${c}`).join(',\n      ')}`;

const KEY_UPSERT = `ON CONFLICT (bucket, client_key) DO UPDATE SET
      ${KEY_SUM_COLUMNS.map((c) => `${c} = t.${c} + excluded.${c}`).join(',\n      ')}`;

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

/** Adds the upserts of `records`' rollup cells to the batch's write `w`. */
export function addRollupWrites(w: MultiWrite, records: readonly RequestRecord[]): void {
  if (records.length === 0) return;
  const d = rollupDeltas(records);
  const main = CELL_UPSERT.replace('%KEY%', 'bucket, account_id, model, success');
  const agent = CELL_UPSERT.replace('%KEY%', 'bucket, agent, account_id, model, success');
  const parts: [string, readonly string[], PgValue[][], number, string][] = [
    ['rollup_minute', CELL_COLUMNS, d.minute.map(cellParams), 4, main],
    ['rollup_hour', CELL_COLUMNS, d.hour.map(cellParams), 4, main],
    ['agent_rollup_minute', AGENT_CELL_COLUMNS, d.agentMinute.map(agentParams), 5, agent],
    ['agent_rollup_hour', AGENT_CELL_COLUMNS, d.agentHour.map(agentParams), 5, agent],
    ['key_rollup_minute', KEY_CELL_COLUMNS, d.keyMinute.map(keyParams), 2, KEY_UPSERT],
    ['key_rollup_hour', KEY_CELL_COLUMNS, d.keyHour.map(keyParams), 2, KEY_UPSERT],
  ];
  for (const [table, cols, rows, keyWidth, upsert] of parts) {
    w.addUnnestInsert(`${table} AS t`, typed(cols), sorted(rows, keyWidth), upsert);
  }
}
