/**
 * Opening a SQLite connection the way every part of the store does (pragmas, where payloads go),
 * and the error codes and lock handling they share.
 */
import { chmodSync, closeSync, openSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import { PayloadFiles } from '../payloads/payload-files.js';
/** A value better-sqlite3 binds to a statement parameter. */
export type Bindable = string | number | bigint | null;

export const MEMORY_PATH = ':memory:';

export function openDatabase(path: string): Database.Database {
  if (path !== MEMORY_PATH && path !== '') ownerOnlyFiles(path);
  let db: Database.Database | null = null;
  try {
    db = new Database(path);
    // journal_mode reads the file header: the first statement to find a file that is no database.
    applyPragmas(db);
  } catch (err) {
    db?.close();
    throw databaseFileError(path, err);
  }
  return db;
}

/** Files SQLite keeps beside a WAL-mode database (and a rollback journal while switching to WAL). */
const SIDE_FILES = ['-wal', '-shm', '-journal'];

/**
 * Creates the database file 0600 before SQLite does (it would use 0644 minus the umask); SQLite
 * creates the -wal, -shm and -journal files with the database file's own mode (os_unix.c,
 * findCreateFileMode and unixOpenSharedMemory), so they follow. Files an older version left
 * readable by others are tightened; a file owned by someone else is left as it is.
 */
function ownerOnlyFiles(path: string): void {
  try {
    closeSync(openSync(path, 'wx', 0o600));
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
  }
  for (const f of [path, ...SIDE_FILES.map((s) => path + s)]) {
    try {
      const mode = statSync(f).mode;
      if ((mode & 0o077) !== 0) chmodSync(f, mode & 0o700);
    } catch (err) {
      const code = (err as NodeJS.ErrnoException).code;
      if (code !== 'ENOENT' && code !== 'EPERM' && code !== 'EACCES') throw err;
    }
  }
}

/**
 * A file that is not a SQLite database (or a damaged one) as an error that names it and says
 * what to do; any other error unchanged.
 */
export function databaseFileError(path: string, err: unknown): unknown {
  const code = (err as { code?: unknown } | null)?.code;
  if (code !== 'SQLITE_NOTADB' && code !== 'SQLITE_CORRUPT') return err;
  return new GatewayError(
    'internal',
    `${path} is not a SQLite database or is damaged (${(err as Error).message}): stop ccflare, move the file away (with its -wal and -shm files) to start with an empty database, or restore it from a backup`,
    { cause: err },
  );
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
