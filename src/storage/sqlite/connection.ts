/**
 * Opening a SQLite connection the way every part of the store does (pragmas, where payloads go),
 * and the error codes and lock handling they share.
 */
import Database from 'better-sqlite3';
import { PayloadFiles } from '../payloads/payload-files.js';
/** A value better-sqlite3 binds to a statement parameter. */
export type Bindable = string | number | bigint | null;

export const MEMORY_PATH = ':memory:';

export function openDatabase(path: string): Database.Database {
  const db = new Database(path);
  try {
    applyPragmas(db);
  } catch (err) {
    db.close();
    throw err;
  }
  return db;
}

/** How long a connection waits for another one's write lock before SQLITE_BUSY. */
export const BUSY_TIMEOUT_MS = 5000;

export function applyPragmas(db: Database.Database): void {
  // busy_timeout first: switching to WAL itself needs the lock another process may hold.
  db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL');
  db.pragma('foreign_keys = ON');
}

/**
 * Where payloads of the database at `path` go: segment files next to a file database, the
 * request_payloads table (null here) for an in-memory one, which has no directory.
 */
export function payloadFilesFor(path: string): PayloadFiles | null {
  return path === MEMORY_PATH || path === '' ? null : new PayloadFiles(path);
}

/**
 * A short write from the gateway's event loop (account state the proxy records, client-key use
 * times). The record writer's worker, a CLI command or a compaction may hold the write lock;
 * SQLite's busy handler would wait for it by sleeping this thread (1, 2, 5, 10 … ms steps, up to
 * busy_timeout), stalling every request in flight. Here a busy lock is retried on a timer
 * instead, within the same budget. `run` must be safe to repeat after SQLITE_BUSY (one statement,
 * or a transaction, which SQLite rolled back).
 */
export async function writeWithoutBlocking<T>(db: Database.Database, run: () => T): Promise<T> {
  const deadline = Date.now() + BUSY_TIMEOUT_MS;
  for (let delay = 1; ; delay = Math.min(delay * 2, 50)) {
    db.pragma('busy_timeout = 0');
    try {
      return run();
    } catch (err) {
      if (!isBusyError(err) || Date.now() >= deadline) throw err;
    } finally {
      db.pragma(`busy_timeout = ${BUSY_TIMEOUT_MS}`);
    }
    await new Promise((r) => setTimeout(r, delay));
  }
}

export function isBusyError(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' && (code === 'SQLITE_BUSY' || code.startsWith('SQLITE_BUSY_'));
}

export function isUniqueViolation(err: unknown): boolean {
  const code = (err as { code?: unknown } | null)?.code;
  return code === 'SQLITE_CONSTRAINT_UNIQUE' || code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}
