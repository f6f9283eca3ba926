import { describe, expect, it } from 'vitest';
import { isStoreUnavailable } from './refusal-kind.js';

describe('isStoreUnavailable', () => {
  it('keeps records for a database that cannot take writes now', () => {
    for (const code of [
      'SQLITE_FULL',
      'SQLITE_BUSY',
      'SQLITE_READONLY',
      'SQLITE_IOERR_WRITE',
      'SQLITE_CANTOPEN',
      'ENOSPC',
    ]) {
      expect(isStoreUnavailable({ code, message: 'x' }), code).toBe(true);
    }
    expect(isStoreUnavailable({ code: 'internal', message: 'Request record write worker failed: exited' })).toBe(true);
  });

  it('keeps records while a PostgreSQL server is away, restarting, full or deadlocked', () => {
    // Refused connection, terminated backend, shutdown, too many clients, disk full, deadlock, serialization.
    for (const code of ['ECONNREFUSED', 'ECONNRESET', '57P01', '57P03', '08006', '53300', '53100', '40P01', '40001']) {
      expect(isStoreUnavailable({ code, message: 'x' }), code).toBe(true);
    }
    expect(isStoreUnavailable({ message: 'Connection terminated unexpectedly' })).toBe(true);
    expect(isStoreUnavailable({ message: 'timeout exceeded when trying to connect' })).toBe(true);
    expect(isStoreUnavailable({ message: 'Query read timeout' })).toBe(true);
  });

  it('gives up a record PostgreSQL refuses for itself: a constraint, a value of the wrong type', () => {
    // not-null, check, invalid text for an integer, value out of range, string too long.
    for (const code of ['23502', '23514', '22P02', '22003', '22001']) {
      expect(isStoreUnavailable({ code, message: 'x' }), code).toBe(false);
    }
  });

  it('gives up a record that is at fault itself: a constraint it breaks, a value that cannot be sent', () => {
    for (const code of [
      'SQLITE_CONSTRAINT_NOTNULL',
      'SQLITE_CONSTRAINT',
      'SQLITE_TOOBIG',
      'ERR_INVALID_ARG_TYPE',
      'internal',
    ]) {
      expect(isStoreUnavailable({ code, message: 'x' }), code).toBe(false);
    }
    expect(isStoreUnavailable({ message: 'Cannot pack value of type object' })).toBe(false);
  });
});
