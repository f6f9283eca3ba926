import { describe, expect, it } from 'vitest';
import { validatePriority as checkPriority, validateAccountName } from '../accounts/account-service.js';
import { validateKeyName } from '../auth/key-service.js';
import { AccountNameSchema, AccountPrioritySchema } from './accounts-schemas.js';
import { KeyNameSchema } from './keys-schemas.js';
import { NAME_ERROR, PRIORITY_ERROR, validateName, validatePriority } from './names.js';

const GOOD_NAMES = ['a', 'work-max', 'Team_2.backup', 'x'.repeat(64), '.a', 'a..', '-'];
const BAD_NAMES = ['', 'x'.repeat(65), 'bad name', 'café', 'a/b', 'a:b', ' a', 'a\n', '.', '..', '...'];

describe('name and priority rules', () => {
  it('accept 1-64 characters from A-Z a-z 0-9 . _ -, not dots alone, and say so otherwise', () => {
    for (const n of GOOD_NAMES) expect(validateName(n), n).toBeNull();
    for (const n of BAD_NAMES)
      expect(validateName(n), JSON.stringify(n)).toBe('use 1-64 characters from A-Z a-z 0-9 . _ - (not dots alone)');
    expect(validateName(undefined)).toBe(NAME_ERROR);
    expect(validateName(42)).toBe(NAME_ERROR);
  });

  it('accept integer priorities from 0 to 1000 and say so otherwise', () => {
    for (const p of [0, 1, 500, 1000]) expect(validatePriority(p), String(p)).toBeNull();
    for (const p of [-1, 1001, 1.5, Number.NaN, Number.POSITIVE_INFINITY, '5', null]) {
      expect(validatePriority(p), String(p)).toBe('expected an integer from 0 to 1000');
    }
  });

  it('are the ones the API schemas and the services apply, with the same words', () => {
    for (const n of [...GOOD_NAMES, ...BAD_NAMES]) {
      const ok = validateName(n) === null;
      expect(AccountNameSchema.safeParse(n).success, n).toBe(ok);
      expect(KeyNameSchema.safeParse(n).success, n).toBe(ok);
      if (ok) {
        expect(validateAccountName(n)).toBe(n);
        expect(validateKeyName(n)).toBe(n);
      } else {
        expect(AccountNameSchema.safeParse(n).error?.issues[0]?.message).toBe(NAME_ERROR);
        expect(() => validateAccountName(n)).toThrow(`Invalid account name ${JSON.stringify(n)}: ${NAME_ERROR}`);
        expect(() => validateKeyName(n)).toThrow(`Invalid key name ${JSON.stringify(n)}: ${NAME_ERROR}`);
      }
    }
    for (const p of [-1, 0, 1000, 1001, 2.5]) {
      const ok = validatePriority(p) === null;
      expect(AccountPrioritySchema.safeParse(p).success, String(p)).toBe(ok);
      if (ok) expect(checkPriority(p)).toBe(p);
      else expect(() => checkPriority(p)).toThrow(`Invalid priority ${p}: ${PRIORITY_ERROR}`);
    }
  });
});
