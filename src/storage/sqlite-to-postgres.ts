/**
 * `ccflare migrate --to postgres://…`: copies a SQLite installation into PostgreSQL, table by
 * table in keyset pages, each page one transaction with ON CONFLICT DO NOTHING: a rerun adds
 * nothing twice and completes a run that stopped midway. Rows are copied as stored (secrets stay
 * encrypted, rollups and conversation links as they are); payloads are read through the SQLite
 * store (segment files or the old table) and written into the day partitions.
 */
import { existsSync } from 'node:fs';
import { GatewayError } from '../errors.js';
import type { RequestRecord } from './contract/records.js';
import { inTransaction } from './postgres/connection.js';
import { insertPayloads, PayloadPartitions } from './postgres/payloads.js';
import type { PgValue } from './postgres/pg-sql.js';
import { unnestInsert } from './postgres/pg-sql.js';
import { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { SqliteTableReader } from './sqlite/table-reader.js';

/** Tables in copy order: what an instance needs to serve first, records last. */
export const MIGRATED_TABLES: readonly string[] = [
  'accounts',
  'admin_key',
  'client_keys',
  'settings',
  'agent_preferences',
  'notify_channels',
  'notify_rules',
  'notify_deliveries',
  'notify_inbox',
  'workers',
  'worker_logs',
  'worker_approvals',
  'worker_template_uses',
  'workspaces',
  'rollup_minute',
  'rollup_hour',
  'agent_rollup_minute',
  'agent_rollup_hour',
  'key_rollup_minute',
  'key_rollup_hour',
  'conversations',
  'conversation_subtasks',
  'conversation_analyses',
  'requests',
];

/** The verification line of `request_payloads`, counted beside the tables. */
export const PAYLOADS = 'request_payloads';

export interface MigrateProgress {
  table: string;
  done: number;
  total: number;
}

export interface TableCount {
  table: string;
  source: number;
  target: number;
  /** Every source row is in the target (a target instance may have added more since). */
  ok: boolean;
}

export interface MigrateOptions {
  sqlitePath: string;
  pgUrl: string;
  /** Rows per page and transaction (default 2000). */
  batchSize?: number;
  onProgress?: (p: MigrateProgress) => void;
  /** Called after each committed page; a throw stops the run there (tests interrupt with it). */
  afterBatch?: (table: string, copied: number) => void;
}

const TARGET_ORIGIN_KEY = 'migrated_from';
/** Tables whose rows make a target "another installation's" unless it came from this source. */
const OWNED_TABLES = ['accounts', 'client_keys', 'requests'] as const;

interface Column {
  name: string;
  /** PostgreSQL type of the target column. */
  type: string;
}

export async function migrateSqliteToPostgres(opts: MigrateOptions): Promise<TableCount[]> {
  if (!existsSync(opts.sqlitePath)) {
    throw new GatewayError(
      'config_invalid',
      `No SQLite database at ${opts.sqlitePath}; name it with --from sqlite:<path>`,
    );
  }
  const source = await SqliteStore.open(opts.sqlitePath);
  const reader = new SqliteTableReader(opts.sqlitePath);
  let target: PostgresStore | null = null;
  try {
    target = await PostgresStore.open({ url: opts.pgUrl, max: 2 });
    const origin = reader.origin();
    await claimTarget(target, origin);
    const batch = Math.max(1, opts.batchSize ?? 2000);
    const partitions = new PayloadPartitions(target.pool);
    for (const table of MIGRATED_TABLES) {
      await copyTable(reader, source, target, table, batch, partitions, opts);
    }
    return await verify(reader, target);
  } finally {
    reader.close();
    await source.close();
    await target?.close();
  }
}

/**
 * Allows an empty target, or one filled from this same source (a rerun); refuses one holding
 * another installation's accounts, keys or requests, which the copy would mix with these.
 */
async function claimTarget(target: PostgresStore, origin: string): Promise<void> {
  await inTransaction(target.pool, async (c) => {
    await c.query('LOCK TABLE records_meta IN EXCLUSIVE MODE');
    const { rows } = await c.query<{ value: string }>('SELECT value FROM records_meta WHERE key = $1', [
      TARGET_ORIGIN_KEY,
    ]);
    const claimed = rows[0]?.value;
    if (claimed === origin) return;
    const held: string[] = [];
    for (const t of OWNED_TABLES) {
      const n = (await c.query<{ n: number }>(`SELECT count(*) AS n FROM ${t}`)).rows[0]?.n ?? 0;
      if (n > 0) held.push(`${n} ${t.replace('_', ' ')}`);
    }
    if (claimed !== undefined || held.length > 0) {
      const what = held.length > 0 ? held.join(', ') : 'rows';
      throw new GatewayError(
        'config_invalid',
        `The PostgreSQL database already holds another installation's data (${what}), not copied from this SQLite database; ` +
          'migrate into an empty database or schema (e.g. add ?options=-c%20search_path%3Dccflare to the URL)',
      );
    }
    await c.query('INSERT INTO records_meta (key, value) VALUES ($1, $2)', [TARGET_ORIGIN_KEY, origin]);
  });
}

async function targetColumns(target: PostgresStore, table: string): Promise<Map<string, string>> {
  const { rows } = await target.pool.query<{ name: string; type: string }>(
    `SELECT column_name AS name, data_type AS type FROM information_schema.columns
     WHERE table_schema = current_schema() AND table_name = $1`,
    [table],
  );
  return new Map(rows.map((r) => [r.name, r.type]));
}

/** A SQLite value as the target column takes it: 0/1 to booleans, text bodies to bytes. */
function convert(v: unknown, type: string): PgValue {
  if (v === null || v === undefined) return null;
  if (type === 'boolean') return v !== 0 && v !== '0';
  if (type === 'bytea') return Buffer.isBuffer(v) ? v : Buffer.from(String(v), 'utf8');
  if (type === 'text' || type === 'jsonb') return Buffer.isBuffer(v) ? v.toString('utf8') : String(v);
  if (typeof v === 'bigint') return Number(v);
  return v as PgValue;
}

async function copyTable(
  reader: SqliteTableReader,
  source: SqliteStore,
  target: PostgresStore,
  table: string,
  batch: number,
  partitions: PayloadPartitions,
  opts: MigrateOptions,
): Promise<void> {
  const isRequests = table === 'requests';
  const pager = reader.pager(table, isRequests ? ['payload_file'] : []);
  if (pager.columns.length === 0) return;
  const types = await targetColumns(target, table);
  const columns: Column[] = pager.columns.flatMap((c) => {
    const type = types.get(c.name);
    return type === undefined ? [] : [{ name: c.name, type }];
  });
  const colTypes = columns.map((c) => [c.name, pgArrayType(c.type)] as const);
  const total = reader.count(table);

  let done = 0;
  opts.onProgress?.({ table, done, total });
  for (;;) {
    const rows = pager.next(batch);
    if (rows.length === 0) break;
    const values = rows.map((r) => columns.map((c) => convert(r[c.name], c.type)));
    if (isRequests) await partitions.ensure(rows.map((r) => r.ts as number));
    await inTransaction(target.pool, async (c) => {
      const inserted = await unnestInsert<{ id?: string }>(
        c,
        table,
        colTypes,
        values,
        isRequests ? 'ON CONFLICT DO NOTHING RETURNING id' : 'ON CONFLICT DO NOTHING',
      );
      if (!isRequests) return;
      // Payloads only for rows this page inserted: a rerun reads no payload twice.
      const byId = new Map(rows.map((r) => [r.id as string, r]));
      const withPayload: RequestRecord[] = [];
      for (const { id } of inserted) {
        const row = id === undefined ? undefined : byId.get(id);
        if (id === undefined || row === undefined || !reader.hasPayload(id, row.payload_file)) continue;
        const stored = await source.requests.get(id);
        if (stored?.payload) withPayload.push({ ...stored, payload: stored.payload });
      }
      await insertPayloads(c, withPayload);
    });
    done += rows.length;
    opts.onProgress?.({ table, done, total });
    opts.afterBatch?.(table, done);
    if (rows.length < batch) break;
  }
}

/** unnest's array cast of a column type (information_schema names them in full). */
function pgArrayType(type: string): string {
  return type === 'character varying' ? 'text' : type;
}

async function verify(reader: SqliteTableReader, target: PostgresStore): Promise<TableCount[]> {
  const out: TableCount[] = [];
  const count = async (table: string, source: number) => {
    const t = (await target.pool.query<{ n: number }>(`SELECT count(*) AS n FROM ${table}`)).rows[0]?.n ?? 0;
    out.push({ table, source, target: t, ok: t >= source });
  };
  for (const table of MIGRATED_TABLES) await count(table, reader.count(table));
  await count(PAYLOADS, reader.payloadCount());
  return out;
}
