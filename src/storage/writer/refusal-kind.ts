import type { SerializedError } from './write-protocol.js';

/**
 * SQLite result codes (https://sqlite.org/rescode.html) that are about one record, not about the
 * database: writing it again can never succeed, so it is given up (and counted as dropped)
 * rather than parked in the journal, where it would hold up every replay after it.
 */
const RECORD_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_RANGE', 'SQLITE_TOOBIG'];

/**
 * PostgreSQL SQLSTATE classes (https://www.postgresql.org/docs/current/errcodes-appendix.html)
 * that are about the server, not the record: connection exceptions (08), transaction rollbacks
 * such as deadlocks (40), lock not available (55), insufficient resources like a full disk or
 * too many connections (53), operator intervention such as a shutdown or a terminated backend
 * (57), system errors (58) and internal errors (XX). Any other class (23 constraints, 22 bad
 * data...) is the record's fault.
 */
const PG_SERVER_CLASS = /^(08|40|53|55|57|58|XX)[0-9A-Z]{3}$/;

/** node-postgres reports a connection lost or never made without a SQLSTATE. */
const PG_CONNECTION_LOST =
  /Connection terminated|connection timeout|timeout exceeded when trying to connect|Query read timeout|not queryable|Connection refused/i;

/**
 * Whether a failed commit means "the database cannot take writes now" (full disk, read-only
 * file, a lock held past every retry, I/O errors, a worker that died, a PostgreSQL server that is
 * away): the records wait in the journal. Anything else is the record's own fault: a constraint
 * it breaks, or a value the write protocol cannot carry (an error without a code thrown while
 * packing).
 */
export function isStoreUnavailable(err: Pick<SerializedError, 'code' | 'message'>): boolean {
  if (/request record write worker/i.test(err.message)) return true;
  const code = err.code;
  if (code === undefined) return PG_CONNECTION_LOST.test(err.message);
  if (PG_SERVER_CLASS.test(code)) return true;
  // ENOSPC, EIO, EROFS, EACCES, ECONNREFUSED from the system; not Node's ERR_* (a bad value).
  if (!code.startsWith('SQLITE_')) return /^E[A-Z]+$/.test(code);
  return !RECORD_CODES.some((c) => code === c || code.startsWith(`${c}_`));
}
