import { describe, expect, expectTypeOf, it } from 'vitest';
import { NAME_PATTERN, PRIORITY_MAX, PRIORITY_MIN } from '../accounts/account-service.js';
import type { AccountView } from '../accounts/account-status.js';
import type { LogLine } from '../events.js';
import type { RequestRecord } from '../storage/contract/records.js';
import {
  ACCOUNT_NAME_PATTERN,
  ACCOUNT_PRIORITY_MAX,
  ACCOUNT_PRIORITY_MIN,
  type Account,
  AccountSchema,
} from './accounts-schemas.js';
import type { LiveEventData } from './events-schemas.js';

describe('shared account shapes', () => {
  it('validate names and priorities with the rules of AccountService', () => {
    expect(ACCOUNT_NAME_PATTERN.source).toBe(NAME_PATTERN.source);
    expect([ACCOUNT_PRIORITY_MIN, ACCOUNT_PRIORITY_MAX]).toEqual([PRIORITY_MIN, PRIORITY_MAX]);
  });

  it('describe exactly the AccountView the server builds', () => {
    expectTypeOf<Account>().toEqualTypeOf<AccountView>();
    expect(AccountSchema.safeParse({}).success).toBe(false);
  });

  it('describe the event payloads the gateway emits', () => {
    expectTypeOf<LiveEventData<'log'>>().toEqualTypeOf<LogLine>();
    type Flat<T> = { [K in keyof T]: T[K] };
    type Summary = Flat<Omit<RequestRecord, 'payload' | 'attemptLog'> & { failovers: number }>;
    expectTypeOf<LiveEventData<'request.finished'>>().toEqualTypeOf<Summary>();
  });
});
