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
