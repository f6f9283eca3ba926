import type { SerializedError } from './write-protocol.js';

/**
 * SQLite result codes (https://sqlite.org/rescode.html) that are about one record, not about the
 * database: writing it again can never succeed, so it is given up (and counted as dropped)
 * rather than parked in the journal, where it would hold up every replay after it.
 */
const RECORD_CODES = ['SQLITE_CONSTRAINT', 'SQLITE_MISMATCH', 'SQLITE_RANGE', 'SQLITE_TOOBIG'];

/**
 * Whether a failed commit means "the database cannot take writes now" (full disk, read-only
 * file, a lock held past every retry, I/O errors, a worker that died): the records wait in the
 * journal. Anything else is the record's own fault: a constraint it breaks, or a value the write
 * protocol cannot carry (an error without a SQLite code thrown while packing).
 */
export function isStoreUnavailable(err: Pick<SerializedError, 'code' | 'message'>): boolean {
  if (/request record write worker/i.test(err.message)) return true;
  const code = err.code;
  if (code === undefined) return false;
  // ENOSPC, EIO, EROFS, EACCES from the file system; not Node's ERR_* (a bad value).
  if (!code.startsWith('SQLITE_')) return /^E[A-Z]+$/.test(code);
  return !RECORD_CODES.some((c) => code === c || code.startsWith(`${c}_`));
}
