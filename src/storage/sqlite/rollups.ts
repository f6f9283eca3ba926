/**
 * SQLite side of the rollups (analytics/rollup.ts): the migration that creates them (with the indexes the
 * request list pages on) and the upserts the batched writer runs in its transaction.
 */
import type Database from 'better-sqlite3';
import {
  DAY_MS,
  HOUR_MS,
  LATENCY_BOUNDS_MS,
  LATENCY_BUCKETS,
  MINUTE_MS,
  MINUTE_ROLLUP_KEEP_MS,
  rollupDeltas,
} from '../analytics/rollup.js';
import type { RequestRecord } from '../contract/records.js';
import {
  agentParams,
  CELL_COLUMNS,
  cellParams,
  HIST_COLUMNS,
  KEY_CELL_COLUMNS,
  KEY_SUM_COLUMNS,
  keyParams,
  SUM_COLUMNS,
} from '../rows/rollup-rows.js';
import type { Migration } from './migration.js';

/** Version 2's agent rollups had the client-key rollups' columns (version 10 gave them every column). */
const AGENT_SUM_COLUMNS = KEY_SUM_COLUMNS;

function rollupTable(name: string): string {
  return `CREATE TABLE ${name} (
    bucket INTEGER NOT NULL,
    account_id TEXT NOT NULL,
    model TEXT NOT NULL,
    success INTEGER NOT NULL,
    account_name TEXT,
    requests INTEGER NOT NULL,
    successes INTEGER NOT NULL,
    latency_sum REAL NOT NULL,
    latency_max REAL NOT NULL,
    ttft_sum REAL NOT NULL,
    ttft_count INTEGER NOT NULL,
    tps_sum REAL NOT NULL,
    tps_count INTEGER NOT NULL,
    input_tokens INTEGER NOT NULL,
    cache_read_tokens INTEGER NOT NULL,
    cache_write_5m_tokens INTEGER NOT NULL,
    cache_write_1h_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL,
    failovers INTEGER NOT NULL,
    last_ts INTEGER NOT NULL,
    ${HIST_COLUMNS.map((h) => `${h} INTEGER NOT NULL DEFAULT 0`).join(',\n    ')},
    PRIMARY KEY (bucket, account_id, model, success)
  ) WITHOUT ROWID;`;
}

function agentRollupTable(name: string): string {
  return `CREATE TABLE ${name} (
    bucket INTEGER NOT NULL,
    agent TEXT NOT NULL,
    account_id TEXT NOT NULL,
    model TEXT NOT NULL,
    success INTEGER NOT NULL,
    ${AGENT_SUM_COLUMNS.map((c) => `${c} ${c === 'cost_usd' ? 'REAL' : 'INTEGER'} NOT NULL`).join(',\n    ')},
    PRIMARY KEY (bucket, agent, account_id, model, success)
  ) WITHOUT ROWID;`;
}

function histCase(i: number): string {
  const lo = i === 0 ? null : LATENCY_BOUNDS_MS[i - 1];
  const hi = i < LATENCY_BOUNDS_MS.length ? LATENCY_BOUNDS_MS[i] : null;
  if (lo == null) return `sum(latency_ms < ${hi})`;
  if (hi == null) return `sum(latency_ms >= ${lo})`;
  return `sum(latency_ms >= ${lo} AND latency_ms < ${hi})`;
}

/** Rollups of rows written before the rollups existed. */
function backfill(table: string, grainMs: number, where: string): string {
  return `INSERT INTO ${table} (bucket, account_id, model, success, account_name, ${SUM_COLUMNS.join(', ')},
      latency_max, last_ts, ${HIST_COLUMNS.join(', ')})
    SELECT ts - ts % ${grainMs}, coalesce(account_id, ''), coalesce(model_applied, model_requested, ''), success,
      max(account_name), count(*), sum(success), sum(max(latency_ms, 0)), coalesce(sum(ttft_ms), 0), count(ttft_ms),
      coalesce(sum(output_tokens_per_second), 0), count(output_tokens_per_second), coalesce(sum(input_tokens), 0),
      coalesce(sum(cache_read_tokens), 0), coalesce(sum(cache_write_5m_tokens), 0),
      coalesce(sum(cache_write_1h_tokens), 0), coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0),
      sum(max(attempts - 1, 0)), max(max(latency_ms, 0)), max(ts),
      ${HIST_COLUMNS.map((_, i) => histCase(i)).join(', ')}
    FROM requests ${where}
    GROUP BY 1, 2, 3, 4;`;
}

function agentBackfill(table: string, grainMs: number, where: string): string {
  return `INSERT INTO ${table} (bucket, agent, account_id, model, success, ${AGENT_SUM_COLUMNS.join(', ')})
    SELECT ts - ts % ${grainMs}, agent, coalesce(account_id, ''), coalesce(model_applied, model_requested, ''), success,
      count(*), coalesce(sum(input_tokens), 0), coalesce(sum(cache_read_tokens), 0),
      coalesce(sum(cache_write_5m_tokens), 0), coalesce(sum(cache_write_1h_tokens), 0),
      coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0)
    FROM requests WHERE agent IS NOT NULL ${where === '' ? '' : `AND ${where.replace(/^WHERE /, '')}`}
    GROUP BY 1, 2, 3, 4, 5;`;
}

const RECENT = `WHERE ts >= CAST(strftime('%s', 'now') AS INTEGER) * 1000 - ${MINUTE_ROLLUP_KEEP_MS}`;

/**
 * Version 10's agent rollups: the columns of rollupTable() with `agent` in the key, so the agent
 * filter and the per-agent figures (latency, percentiles, success) read the same sums as the rest.
 */
function fullAgentRollupTable(name: string): string {
  return rollupTable(name)
    .replace('bucket INTEGER NOT NULL,', 'bucket INTEGER NOT NULL,\n    agent TEXT NOT NULL,')
    .replace(
      'PRIMARY KEY (bucket, account_id, model, success)',
      'PRIMARY KEY (bucket, agent, account_id, model, success)',
    );
}

function fullAgentBackfill(table: string, grainMs: number, recent: boolean): string {
  return backfill(table, grainMs, recent ? `${RECENT} AND agent IS NOT NULL` : 'WHERE agent IS NOT NULL')
    .replace(`INSERT INTO ${table} (bucket, account_id,`, `INSERT INTO ${table} (bucket, agent, account_id,`)
    .replace(`SELECT ts - ts % ${grainMs}, coalesce`, `SELECT ts - ts % ${grainMs}, agent, coalesce`)
    .replace('GROUP BY 1, 2, 3, 4;', 'GROUP BY 1, 2, 3, 4, 5;');
}

/**
 * Version 2. The SQL is generated from LATENCY_BOUNDS_MS and the column lists above, which are
 * frozen with it (see analytics/rollup.ts).
 */
export const ANALYTICS_MIGRATION: Migration = {
  version: 2,
  name: 'request list indexes and analytics rollups',
  up: `
    -- The request list pages newest first on (ts, id); an index per filter ending in (ts DESC, id DESC)
    -- lets a filtered first page read just its rows, with no sort. Partial indexes keep the rare
    -- values (errors, agents, sessions) cheap to write. The account, model and error indexes also
    -- carry the other common filter columns, so a combination (an account's errors on one model)
    -- is checked in the index instead of by a table lookup per row passed over.
    DROP INDEX IF EXISTS requests_account_ts;
    DROP INDEX IF EXISTS requests_model_ts;
    DROP INDEX IF EXISTS requests_session;
    CREATE INDEX requests_account_page
      ON requests (account_id, ts DESC, id DESC, success, status, model_applied, model_requested);
    CREATE INDEX requests_model_page
      ON requests (coalesce(model_applied, model_requested), ts DESC, id DESC, account_id, success, status);
    CREATE INDEX requests_status_page ON requests (status, ts DESC, id DESC);
    CREATE INDEX requests_error_page
      ON requests (ts DESC, id DESC, account_id, model_applied, model_requested, status) WHERE success = 0;
    CREATE INDEX requests_session_page ON requests (session_id, ts DESC, id DESC) WHERE session_id IS NOT NULL;
    CREATE INDEX requests_agent_page ON requests (agent, ts DESC, id DESC) WHERE agent IS NOT NULL;

    -- Aggregates per minute (ranges up to a day, kept ${MINUTE_ROLLUP_KEEP_MS / DAY_MS} days) and per hour
    -- (longer ranges and stats, kept as long as request rows). '' stands for a missing account or
    -- model: key columns are NOT NULL so an upsert finds its row. h0..h${LATENCY_BUCKETS - 1} count
    -- latencies per histogram bucket (rollup.ts LATENCY_BOUNDS_MS) for percentiles.
    ${rollupTable('rollup_minute')}
    ${rollupTable('rollup_hour')}
    -- Only requests attributed to an agent; the rest is the total minus these.
    ${agentRollupTable('agent_rollup_minute')}
    ${agentRollupTable('agent_rollup_hour')}

    ${backfill('rollup_hour', HOUR_MS, '')}
    ${backfill('rollup_minute', MINUTE_MS, RECENT)}
    ${agentBackfill('agent_rollup_hour', HOUR_MS, '')}
    ${agentBackfill('agent_rollup_minute', MINUTE_MS, RECENT)}
  `,
};

/**
 * Version 10: the agent rollups get every column of the main rollups (latency sum, max and
 * histogram, TTFT, speed, successes, failovers, account name). Rebuilt from the request rows, as
 * the hour rollups are kept as long as they are; failovers are read as attempts - 1 there, as in
 * version 2's backfill (the attempt log is JSON).
 */
export const AGENT_ROLLUP_MIGRATION: Migration = {
  version: 10,
  name: 'agent rollups with latency and every other figure',
  up: `
    DROP TABLE agent_rollup_minute;
    DROP TABLE agent_rollup_hour;
    ${fullAgentRollupTable('agent_rollup_minute')}
    ${fullAgentRollupTable('agent_rollup_hour')}
    ${fullAgentBackfill('agent_rollup_hour', HOUR_MS, false)}
    ${fullAgentBackfill('agent_rollup_minute', MINUTE_MS, true)}
  `,
};

/**
 * Version 11: the slowest and fastest output speed of each cell (NULL while none of its requests
 * had one), for the speed range per bucket; filled from the request rows still stored.
 */
function speedRangeColumns(table: string, grainMs: number, agent: boolean, recent: boolean): string {
  const key = agent ? 'agent, ' : '';
  const match = ['bucket', ...(agent ? ['agent'] : []), 'account_id', 'model', 'success']
    .map((c) => `${table}.${c} = s.${c}`)
    .join(' AND ');
  return `ALTER TABLE ${table} ADD COLUMN tps_min REAL;
    ALTER TABLE ${table} ADD COLUMN tps_max REAL;
    UPDATE ${table} SET tps_min = s.mn, tps_max = s.mx FROM (
      SELECT ts - ts % ${grainMs} AS bucket, ${key}coalesce(account_id, '') AS account_id,
        coalesce(model_applied, model_requested, '') AS model, success,
        min(output_tokens_per_second) AS mn, max(output_tokens_per_second) AS mx
      FROM requests WHERE output_tokens_per_second IS NOT NULL${agent ? ' AND agent IS NOT NULL' : ''}
        ${recent ? RECENT.replace('WHERE', 'AND') : ''}
      GROUP BY 1, 2, 3, 4${agent ? ', 5' : ''}
    ) AS s WHERE ${match};`;
}

export const SPEED_RANGE_MIGRATION: Migration = {
  version: 11,
  name: 'output speed min and max in the rollups',
  up: `
    ${speedRangeColumns('rollup_hour', HOUR_MS, false, false)}
    ${speedRangeColumns('rollup_minute', MINUTE_MS, false, true)}
    ${speedRangeColumns('agent_rollup_hour', HOUR_MS, true, false)}
    ${speedRangeColumns('agent_rollup_minute', MINUTE_MS, true, true)}
  `,
};

function keyRollupTable(name: string): string {
  return `CREATE TABLE ${name} (
    bucket INTEGER NOT NULL,
    client_key TEXT NOT NULL,
    ${KEY_SUM_COLUMNS.map((c) => `${c} ${c === 'cost_usd' ? 'REAL' : 'INTEGER'} NOT NULL`).join(',\n    ')},
    PRIMARY KEY (bucket, client_key)
  ) WITHOUT ROWID;`;
}

function keyBackfill(table: string, grainMs: number, recent: boolean): string {
  return `INSERT INTO ${table} (bucket, client_key, ${KEY_SUM_COLUMNS.join(', ')})
    SELECT ts - ts % ${grainMs}, client_key, count(*), coalesce(sum(input_tokens), 0), coalesce(sum(cache_read_tokens), 0),
      coalesce(sum(cache_write_5m_tokens), 0), coalesce(sum(cache_write_1h_tokens), 0),
      coalesce(sum(output_tokens), 0), coalesce(sum(cost_usd), 0)
    FROM requests WHERE client_key IS NOT NULL ${recent ? RECENT.replace('WHERE', 'AND') : ''}
    GROUP BY 1, 2;`;
}

/**
 * Version 17: tokens and cost per client key per minute and per hour, for the rolling 5 h
 * window and the daily figures of each key (GET /api/token-usage/*) without scanning request
 * rows: the request table has no client-key index, and one would cost every insert.
 */
export const KEY_ROLLUP_MIGRATION: Migration = {
  version: 16,
  name: 'token and cost rollups per client key',
  up: `
    ${keyRollupTable('key_rollup_minute')}
    ${keyRollupTable('key_rollup_hour')}
    ${keyBackfill('key_rollup_hour', HOUR_MS, false)}
    ${keyBackfill('key_rollup_minute', MINUTE_MS, true)}
  `,
};

function keyUpsertSql(table: string): string {
  const cols = KEY_CELL_COLUMNS;
  return `INSERT INTO ${table} (${cols.join(', ')}) VALUES (${cols.map(() => '?').join(', ')})
    ON CONFLICT (bucket, client_key) DO UPDATE SET
      ${KEY_SUM_COLUMNS.map((c) => `${c} = ${c} + excluded.${c}`).join(',\n      ')}`;
}

function upsertSql(table: string): string {
  const all = CELL_COLUMNS;
  const adds = [...SUM_COLUMNS, ...HIST_COLUMNS].map((c) => `${c} = ${c} + excluded.${c}`);
  // SQLite's two-argument min/max are NULL when either side is: a side without a speed keeps the other.
  return `INSERT INTO ${table} (${all.join(', ')}) VALUES (${all.map(() => '?').join(', ')})
    ON CONFLICT (bucket, account_id, model, success) DO UPDATE SET
      account_name = coalesce(excluded.account_name, account_name),
      latency_max = max(latency_max, excluded.latency_max),
      last_ts = max(last_ts, excluded.last_ts),
      tps_min = coalesce(min(tps_min, excluded.tps_min), tps_min, excluded.tps_min),
      tps_max = coalesce(max(tps_max, excluded.tps_max), tps_max, excluded.tps_max),
      ${adds.join(',\n      ')}`;
}

function agentUpsertSql(table: string): string {
  return upsertSql(table)
    .replace(`INSERT INTO ${table} (bucket,`, `INSERT INTO ${table} (bucket, agent,`)
    .replace('VALUES (?,', 'VALUES (?, ?,')
    .replace(
      'ON CONFLICT (bucket, account_id, model, success)',
      'ON CONFLICT (bucket, agent, account_id, model, success)',
    );
}

/** Returns the rollup update for a batch; the caller runs it inside the batch's transaction. */
export function prepareRollupWrite(db: Database.Database): (records: readonly RequestRecord[]) => void {
  const minute = db.prepare(upsertSql('rollup_minute'));
  const hour = db.prepare(upsertSql('rollup_hour'));
  const agentMinute = db.prepare(agentUpsertSql('agent_rollup_minute'));
  const agentHour = db.prepare(agentUpsertSql('agent_rollup_hour'));
  const keyMinute = db.prepare(keyUpsertSql('key_rollup_minute'));
  const keyHour = db.prepare(keyUpsertSql('key_rollup_hour'));
  return (records) => {
    if (records.length === 0) return;
    const d = rollupDeltas(records);
    for (const c of d.minute) minute.run(cellParams(c));
    for (const c of d.hour) hour.run(cellParams(c));
    for (const c of d.agentMinute) agentMinute.run(agentParams(c));
    for (const c of d.agentHour) agentHour.run(agentParams(c));
    for (const c of d.keyMinute) keyMinute.run(keyParams(c));
    for (const c of d.keyHour) keyHour.run(keyParams(c));
  };
}
