import { homedir } from 'node:os';
import { join } from 'node:path';
import { GatewayError } from '../errors.js';
import type { RecordWriter, Store } from './contract/store.js';
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
  const scheme = /^([a-z][a-z0-9+.-]*):/i.exec(url)?.[1]?.toLowerCase();
  if (scheme === 'postgres' || scheme === 'postgresql') {
    throw new GatewayError(
      'config_invalid',
      'postgres:// support arrives with the PostgreSQL store; use sqlite:<path>',
    );
  }
  if (scheme !== 'sqlite') {
    // Only the scheme is echoed: a database URL may carry a password.
    const shown = scheme === undefined || scheme.length === 1 ? 'a URL without a scheme' : `scheme "${scheme}:"`;
    throw new GatewayError('config_invalid', `Unsupported database URL (${shown}); use sqlite:<path>`);
  }
  let path = url.slice('sqlite:'.length);
  if (path.startsWith('//')) path = path.slice(2);
  if (path === '') throw new GatewayError('config_invalid', 'Database URL "sqlite:" has no path; use sqlite:<path>');
  if (path === '~' || path.startsWith('~/')) path = join(homedir(), path.slice(1));
  return path;
}

/** Opens and migrates the store a database URL names. */
export function openStoreFromUrl(url: string): Store {
  return SqliteStore.open(sqlitePathFromUrl(url));
}

/**
 * The record writer for the store `url` names: a SQLite file gets the worker-thread writer
 * (its own connection, commits off the event loop); `:memory:` (tests) commits inline through
 * `store`, since a worker cannot reach another connection's memory database.
 */
export function openWriterForUrl(url: string, store: Store, opts: RecordWriterOptions = {}): RecordWriter {
  const path = sqlitePathFromUrl(url);
  if (path === MEMORY_PATH) return new InlineRecordWriter(store, opts);
  return new BatchedRecordWriter({ ...opts, dbPath: path });
}
