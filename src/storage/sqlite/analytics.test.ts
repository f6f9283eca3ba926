import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import type { RequestRecord } from '../contract/records.js';
import type { RequestQuery } from '../contract/requests.js';
import { MIGRATIONS, migrate } from './migrations.js';
import { listRequestsQuery, REQUEST_LIST_COLUMNS } from './requests.js';
import { SqliteStore } from './sqlite-store.js';

const NOW = Date.UTC(2025, 0, 15, 12, 7, 30);
const stores: SqliteStore[] = [];
const dbs: Database.Database[] = [];

afterEach(async () => {
  for (const s of stores.splice(0)) await s.close();
  for (const d of dbs.splice(0)) d.close();
});

describe('request list query plans', () => {
  const cases: [string, Partial<RequestQuery>, string[] | null][] = [
    ['no filter', {}, null],
    ['cursor', { before: { ts: NOW, id: 'x' } }, null],
    ['time range', { since: NOW - 1000, until: NOW }, null],
    ['account', {}, ['acc']],
    ['account and cursor', { before: { ts: NOW, id: 'x' } }, ['acc']],
    ['model', { model: 'm' }, null],
    ['errors', { status: 'error' }, null],
    ['status code', { status: 429 }, null],
    ['agent', { agent: 'a' }, null],
    ['session', { session: 's' }, null],
  ];
  // Both list reads (summaries for the API and CLI, full records) share the WHERE builder.
  const reads = Object.entries(REQUEST_LIST_COLUMNS).flatMap(([read, columns]) =>
    cases.map(([name, filter, ids]) => [`${read}, ${name}`, columns, filter, ids] as const),
  );

  // Without a sort the first page reads 51 index entries whatever the table size.
  it.each(reads)('%s: reads an index in list order, no sort', (_name, columns, filter, ids) => {
    const store = SqliteStore.open(':memory:');
    stores.push(store);
    const { sql, params } = listRequestsQuery(columns, { limit: 50, ...filter }, ids, 51);
    const plan = (store.connection.prepare(`EXPLAIN QUERY PLAN ${sql}`).all(...params) as { detail: string }[])
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/INDEX requests_/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });
});

describe('migrations 2, 10 and 11 on a database with history', () => {
  it('backfills the rollups with the figures the writer would have produced', async () => {
    const records: RequestRecord[] = [
      sampleRecord({ id: 'a', ts: NOW - 10_000, accountId: 'x', accountName: 'xx', latencyMs: 800, agent: 'rev' }),
      sampleRecord({
        id: 'b',
        ts: NOW - 70_000,
        accountId: 'x',
        accountName: 'xx',
        latencyMs: 1200,
        success: false,
        status: 529,
        modelApplied: null,
        // Two accounts: the backfill counts attempts - 1 (no attempt log before), the writer counts failovers.
        attempts: 2,
        attemptLog: [
          { account: 'yy', status: 529, error: null, ms: 600 },
          { account: 'xx', status: 529, error: null, ms: 600 },
        ],
        inputTokens: null,
        costUsd: null,
        ttftMs: null,
        outputTokensPerSecond: null,
      }),
      sampleRecord({ id: 'c', ts: NOW - 5 * 3_600_000, latencyMs: 700_000, costUsd: 0.5 }),
      // Same cell as `a` (16.5 tok/s): the cell's speed range is 16.5 to 90.
      sampleRecord({
        id: 'd',
        ts: NOW - 20_000,
        accountId: 'x',
        accountName: 'xx',
        outputTokensPerSecond: 90,
        agent: 'rev',
      }),
    ];
    // Version 1 only, rows written by hand as an older ccflare did.
    const old = new Database(':memory:');
    dbs.push(old);
    migrate(
      old,
      MIGRATIONS.filter((m) => m.version === 1),
    );
    const insert = old.prepare(`INSERT INTO requests (id, ts, method, path, account_id, account_name, status, success,
      error, latency_ms, ttft_ms, attempts, model_requested, model_applied, agent, stream, input_tokens,
      cache_read_tokens, cache_write_5m_tokens, cache_write_1h_tokens, output_tokens, cost_usd, output_tokens_per_second)
      VALUES (?, ?, 'POST', '/v1/messages', ?, ?, ?, ?, NULL, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?)`);
    for (const r of records) {
      insert.run(
        r.id,
        r.ts,
        r.accountId,
        r.accountName,
        r.status,
        r.success ? 1 : 0,
        r.latencyMs,
        r.ttftMs,
        r.attempts,
        r.modelRequested,
        r.modelApplied,
        r.agent,
        r.inputTokens,
        r.cacheReadTokens,
        r.cacheWrite5mTokens,
        r.cacheWrite1hTokens,
        r.outputTokens,
        r.costUsd,
        r.outputTokensPerSecond,
      );
    }
    migrate(old);
    const rollup = (db: Database.Database, table: string) =>
      db.prepare(`SELECT * FROM ${table} ORDER BY 1, 2, 3, 4, 5`).all();

    const fresh = SqliteStore.open(':memory:');
    stores.push(fresh);
    await fresh.requests.writeBatch(records, []);
    // Minute rollups are only backfilled for the last two days of wall-clock time; NOW is older.
    expect(rollup(old, 'rollup_minute')).toEqual([]);
    expect(rollup(old, 'rollup_hour')).toEqual(rollup(fresh.connection, 'rollup_hour'));
    expect(rollup(old, 'agent_rollup_hour')).toEqual(rollup(fresh.connection, 'agent_rollup_hour'));
    expect(rollup(old, 'rollup_hour')).toHaveLength(3);
    const speeds = old.prepare('SELECT tps_min, tps_max FROM rollup_hour WHERE requests = 2').get();
    expect(speeds).toEqual({ tps_min: 16.5, tps_max: 90 });
  });
});
