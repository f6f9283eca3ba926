/**
 * PostgreSQL connections: one `pg.Pool` per store. A `schema` option pins every connection's
 * search_path, so tests (and several installations on one server) each get their own namespace.
 */
import pg from 'pg';
import { GatewayError } from '../../errors.js';

export type PgPool = pg.Pool;
export type PgClient = pg.PoolClient;

export interface PgOptions {
  url: string;
  /** Schema every statement runs in; created when missing. Default: the server's search_path. */
  schema?: string;
  /** Pool size; the writer holds one connection, requests and the API share the rest. */
  max?: number;
  /** How long to wait for a connection before failing (default 10 s). */
  connectTimeoutMs?: number;
  /** An idle connection is closed after this long (default 10 s, pg's); 0 keeps it open. */
  idleTimeoutMs?: number;
}

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/**
 * int8 (COUNT, SUM, BIGINT columns) and numeric as JS numbers: Unix ms and token counts stay far
 * below 2^53, and the contract's types are numbers. Per pool, not pg's global parser table.
 */
const NUMBER_OIDS = new Set<number>([pg.types.builtins.INT8, pg.types.builtins.NUMERIC]);
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    NUMBER_OIDS.has(oid) ? Number : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
};

export function openPool(opts: PgOptions): PgPool {
  if (opts.schema !== undefined && !SCHEMA_NAME.test(opts.schema)) {
    throw new GatewayError('config_invalid', `PostgreSQL schema "${opts.schema}" is not a plain lower-case name`);
  }
  const pool = new pg.Pool({
    connectionString: opts.url,
    max: opts.max ?? 10,
    // A statement that never returns would hold a connection for good; the writer's batches
    // take milliseconds.
    statement_timeout: 30_000,
    // pg waits for a connection forever by default: a server behind a dropped route would hang
    // startup (and every query) instead of failing with a message. A server that went away
    // without closing the connection (a network cut, a failover) is noticed too: answers stop
    // waiting, keepalive finds dead idle connections.
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    query_timeout: 60_000,
    idleTimeoutMillis: opts.idleTimeoutMs ?? 10_000,
    keepAlive: true,
    application_name: 'ccflare',
    types,
    ...(opts.schema === undefined ? {} : { options: `-c search_path=${opts.schema}` }),
  });
  // An idle client's error (server restart) must not crash the process; the next query
  // reconnects and reports its own error.
  pool.on('error', () => {});
  return pool;
}

/**
 * A connection of its own, outside the pool, with the pool's search_path: LISTEN and
 * session-level advisory locks belong to one session, which a pooled client is not.
 */
export function openClient(opts: PgOptions, applicationName: string): pg.Client {
  const client = new pg.Client({
    connectionString: opts.url,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 10_000,
    application_name: applicationName,
    types,
    ...(opts.schema === undefined ? {} : { options: `-c search_path=${opts.schema}` }),
  });
  return client;
}

export async function ensureSchema(pool: PgPool, schema: string | undefined): Promise<void> {
  if (schema === undefined) return;
  try {
    await pool.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
  } catch (err) {
    // IF NOT EXISTS is not safe against a concurrent CREATE: instances starting together on a new
    // schema lose the race with a unique violation (23505) or duplicate_schema (42P06), and the
    // schema they wanted then exists.
    const code = (err as { code?: unknown }).code;
    if (code !== '23505' && code !== '42P06') throw err;
  }
}

/**
 * Runs `fn` on one connection checked out of the pool. A checked-out client has no error
 * listener of the pool's: a connection lost between two statements (the server restarted, a
 * failover) would be emitted as an unhandled 'error' and end the process. The listener keeps
 * the error for the statement that fails next, and the broken client is not pooled again.
 */
export async function withClient<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>): Promise<T> {
  const client = await pool.connect();
  let lost: Error | undefined;
  const onError = (err: Error) => {
    lost = err;
  };
  client.on('error', onError);
  try {
    return await fn(client);
  } finally {
    client.off('error', onError);
    client.release(lost);
  }
}

/** Runs `fn` in one transaction on one connection; rolls back on any error. */
export async function inTransaction<T>(pool: PgPool, fn: (client: PgClient) => Promise<T>): Promise<T> {
  return withClient(pool, async (client) => {
    try {
      await client.query('BEGIN');
      const out = await fn(client);
      await client.query('COMMIT');
      return out;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    }
  });
}

export { redactUrl } from './redact-url.js';
