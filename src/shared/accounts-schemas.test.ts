import { describe, expect, expectTypeOf, it } from 'vitest';
import type { AccountView } from '../accounts/account-status.js';
import type { LogLine } from '../events.js';
import type { RequestRecord } from '../storage/contract/records.js';
import { type Account, AccountSchema } from './accounts-schemas.js';
import type { AttemptCounts } from './attempts.js';
import type { LiveEventData } from './events-schemas.js';

describe('shared account shapes', () => {
  it('describe exactly the AccountView the server builds', () => {
    expectTypeOf<Account>().toEqualTypeOf<AccountView>();
    expect(AccountSchema.safeParse({}).success).toBe(false);
  });

  it('describe the event payloads the gateway emits', () => {
    expectTypeOf<LiveEventData<'log'>>().toEqualTypeOf<LogLine>();
    type Flat<T> = { [K in keyof T]: T[K] };
    type Summary = Flat<Omit<RequestRecord, 'payload' | 'attemptLog' | 'linkBody'> & AttemptCounts>;
    expectTypeOf<LiveEventData<'request.finished'>>().toEqualTypeOf<Summary>();
  });
});
