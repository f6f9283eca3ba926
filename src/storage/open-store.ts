import { createHash } from 'node:crypto';
import { realpathSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import type { Logger } from 'pino';
import type { KeyUsageCounters } from '../auth/key-usage.js';
import type { Cluster } from '../cluster/cluster.js';
import { GatewayError } from '../errors.js';
import type { RecordWriter, Store } from './contract/store.js';
import type { PostgresStore } from './postgres/postgres-store.js';
import { redactUrl } from './postgres/redact-url.js';
import { MEMORY_PATH } from './sqlite/connection.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { BatchedRecordWriter } from './writer/batched-writer.js';
import { InlineRecordWriter } from './writer/inline-writer.js';
import type { RecordWriterOptions } from './writer/record-queue.js';

/**
 * `sqlite:<path>` (also `sqlite://<path>`, `sqlite:~/x.db`) or `sqlite::memory:` to a file path
 * or `:memory:`.
 */
export function sqlitePathFromUrl(url: string): string {
  const scheme = schemeOf(url);
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new GatewayError('config_invalid', `A ${scheme}:// URL names a PostgreSQL database, not a SQLite file`);
  }
  if (scheme !== 'sqlite') {
    // Only the scheme is echoed: a database URL may carry a password.
    const shown = scheme === undefined || scheme.length === 1 ? 'a URL without a scheme' : `scheme "${scheme}:"`;
    throw new GatewayError(
      'config_invalid',
      `Unsupported database URL (${shown}); use sqlite:<path> or postgres://user@host:port/database`,
    );
  }
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new GatewayError('config_invalid', 'Database URL "sqlite:" has no path; use sqlite:<path>');
  if (path === '~' || path.startsWith('~/')) path = join(homedir(), path.slice(1));
  return path;
}

function schemeOf(url: string): string | undefined {
  return /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
}

/** Whether a database URL names a PostgreSQL server (`postgres://`, `postgresql://`). */
export function isPostgresUrl(url: string): boolean {
  const scheme = schemeOf(url);
  return scheme === 'postgres' || scheme === 'postgresql';
}

/**
 * A short digest naming the database a URL points at, the same for every spelling of it (a
 * relative or symlinked SQLite path; a PostgreSQL URL with or without its password). A gateway
 * shows it on /health, so the CLI can tell its own gateway from another installation's
 * answering at the configured port. It names no path or host itself.
 */
export function databaseFingerprint(url: string): string {
  let id: string;
  if (isPostgresUrl(url)) {
    try {
      const u = new URL(url);
      const params = [...u.searchParams].sort(([a], [b]) => a.localeCompare(b));
      id = `pg:${u.hostname}:${u.port || '5432'}${u.pathname}?${new URLSearchParams(params).toString()}`;
    } catch {
      id = `pg:${url}`;
    }
  } else {
    let path: string;
    try {
      path = sqlitePathFromUrl(url);
    } catch {
      path = url;
    }
    if (path !== MEMORY_PATH) {
      path = resolve(path);
      try {
        path = realpathSync(path);
      } catch {
        // Not created yet: its resolved path.
      }
    }
    id = `sqlite:${path}`;
  }
  return createHash('sha256').update(id).digest('hex').slice(0, 16);
}

/**
 * The PostgreSQL backend, imported when a PostgreSQL store is opened or used: `pg` and its
 * modules took ~40 ms of every command's start (`ccflare --version`) on a SQLite installation.
 */
const pgBackend = () => import('./postgres/pg-backend.js');

/** Whether `store` is on PostgreSQL (its backend is then loaded: it made the store). */
function onPostgres(store: Store): store is PostgresStore {
  return store.kind === 'postgres';
}

/** The database a URL names, for messages: a SQLite file's path, or the PostgreSQL URL without its password. */
export function databaseLabel(url: string): string {
  return isPostgresUrl(url) ? redactUrl(url) : sqlitePathFromUrl(url);
}

/**
 * Opens and migrates the store a database URL names. A PostgreSQL server that cannot be reached
 * or refuses the login rejects with a config_invalid error naming the URL without its password.
 */
export async function openStoreFromUrl(url: string): Promise<Store> {
  if (isPostgresUrl(url)) return (await pgBackend()).PostgresStore.open({ url });
  return SqliteStore.open(sqlitePathFromUrl(url));
}

/**
 * The coordination of the instances sharing `store`: PostgreSQL's advisory locks and
 * LISTEN/NOTIFY; null for SQLite, whose database one gateway owns (runtime-file.ts).
 */
export async function openClusterFor(store: Store, logger: Logger): Promise<Cluster | null> {
  if (!onPostgres(store)) return null;
  return (await pgBackend()).PgCluster.open({ pool: store.pool, connection: store.options, logger });
}

/**
 * The record writer for the store `url` names: a SQLite file gets the worker-thread writer
 * (its own connection, commits off the event loop); `:memory:` (tests) commits inline through
 * `store`, since a worker cannot reach another connection's memory database. PostgreSQL commits
 * batched multi-row inserts on a worker thread too, with its own connection to the store's database.
 */
export async function openWriterForUrl(
  url: string,
  store: Store,
  opts: RecordWriterOptions = {},
): Promise<RecordWriter> {
  if (isPostgresUrl(url)) {
    // Several instances share the database, so each keeps its own journal on local disk
    // (`opts.journalDir`, the gateway's home): records wait there while PostgreSQL is away.
    const options = onPostgres(store) ? store.options : { url };
    return new (await pgBackend()).PgRecordWriter({ options }, { ...opts, journalDir: opts.journalDir ?? null });
  }
  const path = sqlitePathFromUrl(url);
  if (path === MEMORY_PATH) return new InlineRecordWriter(store, opts);
  return new BatchedRecordWriter({ ...opts, dbPath: path });
}

/**
 * Client-key usage counters for the store: shared through the database on PostgreSQL (several
 * instances enforce one limit, within one sync interval), null for SQLite, where one gateway
 * counts in process. Started; `close` writes what was counted since the last sync.
 */
export async function openSharedKeyUsage(
  store: Store,
  onError: (err: unknown) => void,
): Promise<(KeyUsageCounters & { close(): Promise<void> }) | null> {
  if (!onPostgres(store)) return null;
  const counters = new (await pgBackend()).PgKeyUsage(store.pool, { onError });
  counters.start();
  return counters;
}
