/**
 * The Store contract as a test suite, run against every back-end (SQLite now, PostgreSQL
 * later) so they behave the same. `makeStore` must return a fresh, migrated, empty store;
 * each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../../src/errors.js';
import { KeptBytes } from '../../src/proxy/kept-bytes.js';
import type { NewAccount, RateLimitState } from '../../src/storage/contract/accounts.js';
import type { AccountUsageDelta, RequestRecord } from '../../src/storage/contract/records.js';
import type { RequestQuery } from '../../src/storage/contract/requests.js';
import type { Store } from '../../src/storage/contract/store.js';
import { samplePayload, sampleRecord } from '../support/sample-record.js';

const T0 = 1_700_000_000_000;

function newAccount(name: string, over: Partial<NewAccount> = {}): NewAccount {
  return { name, kind: 'max', ...over };
}

async function expectConflict(p: Promise<unknown>, message: RegExp): Promise<void> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  expect((err as GatewayError).code).toBe('conflict');
  expect((err as GatewayError).message).toMatch(message);
}

export function describeStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`Store conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    describe('accounts', () => {
      it('inserts with defaults and reads back by id and name', async () => {
        const a = await store.accounts.insert(
          newAccount('alpha', { refreshTokenEnc: 'r1', accessTokenEnc: 'a1', refreshFp: 'fp1', expiresAt: T0 + 1 }),
          T0,
        );
        expect(a.id).toMatch(/^[0-9a-f-]{36}$/);
        expect(a).toMatchObject({
          name: 'alpha',
          kind: 'max',
          priority: 0,
          paused: false,
          health: 'ok',
          healthReason: null,
          apiKeyEnc: null,
          accessTokenEnc: 'a1',
          refreshTokenEnc: 'r1',
          refreshFp: 'fp1',
          expiresAt: T0 + 1,
          cooldownUntil: null,
          cooldownReason: null,
          modelCooldowns: {},
          strikes: 0,
          createdAt: T0,
          lastUsedAt: null,
          requestCount: 0,
          sessionStart: null,
          sessionRequestCount: 0,
          rateLimit: null,
          flag: null,
        });
        expect(await store.accounts.get(a.id)).toEqual(a);
        expect(await store.accounts.getByName('alpha')).toEqual(a);
        expect(await store.accounts.get('no-such-id')).toBeNull();
        expect(await store.accounts.getByName('nobody')).toBeNull();
      });

      it('lists all accounts by priority, then creation time', async () => {
        await store.accounts.insert(newAccount('c', { priority: 5 }), T0);
        await store.accounts.insert(newAccount('a', { priority: 1, kind: 'api_key', apiKeyEnc: 'k' }), T0 + 2);
        await store.accounts.insert(newAccount('b', { priority: 1, kind: 'console' }), T0 + 1);
        const list = await store.accounts.list();
        expect(list.map((a) => a.name)).toEqual(['b', 'a', 'c']);
        expect(list.map((a) => a.kind)).toEqual(['console', 'api_key', 'max']);
      });

      it('refuses a duplicate name with a conflict', async () => {
        await store.accounts.insert(newAccount('dup'), T0);
        await expectConflict(store.accounts.insert(newAccount('dup'), T0), /Account "dup" already exists/);
        expect(await store.accounts.list()).toHaveLength(1);
      });

      it('updates only the given fields, including setting them to null', async () => {
        const a = await store.accounts.insert(newAccount('u', { priority: 3, accessTokenEnc: 'tok' }), T0);
        await store.accounts.update(a.id, { cooldownUntil: T0 + 60_000, cooldownReason: 'rate_limited', strikes: 2 });
        let got = await store.accounts.get(a.id);
        expect(got).toEqual({ ...a, cooldownUntil: T0 + 60_000, cooldownReason: 'rate_limited', strikes: 2 });

        await store.accounts.update(a.id, { cooldownUntil: null, cooldownReason: null, paused: true });
        got = await store.accounts.get(a.id);
        expect(got).toEqual({ ...a, strikes: 2, paused: true });

        await store.accounts.update(a.id, {
          health: 'needs_reauth',
          healthReason: 'invalid_grant',
          flag: 'credit_balance_too_low',
          sessionStart: T0,
          sessionRequestCount: 7,
          requestCount: 9,
          lastUsedAt: T0 + 5,
          priority: 0,
          accessTokenEnc: null,
        });
        got = await store.accounts.get(a.id);
        expect(got).toMatchObject({
          health: 'needs_reauth',
          healthReason: 'invalid_grant',
          flag: 'credit_balance_too_low',
          sessionStart: T0,
          sessionRequestCount: 7,
          requestCount: 9,
          lastUsedAt: T0 + 5,
          priority: 0,
          accessTokenEnc: null,
          paused: true,
          strikes: 2,
        });
      });

      it('treats an empty patch and an unknown id as no-ops', async () => {
        const a = await store.accounts.insert(newAccount('n'), T0);
        const rev = await store.accounts.revision();
        await store.accounts.update(a.id, {});
        await store.accounts.update(a.id, { name: undefined });
        await store.accounts.update('no-such-id', { paused: true });
        expect(await store.accounts.get(a.id)).toEqual(a);
        expect(await store.accounts.revision()).toBe(rev);
      });

      it('renames, and refuses a rename onto an existing name', async () => {
        const a = await store.accounts.insert(newAccount('one'), T0);
        await store.accounts.insert(newAccount('two'), T0);
        await expectConflict(store.accounts.update(a.id, { name: 'two' }), /Account "two" already exists/);
        expect((await store.accounts.get(a.id))?.name).toBe('one');
        await store.accounts.update(a.id, { name: 'uno' });
        expect((await store.accounts.getByName('uno'))?.id).toBe(a.id);
        expect(await store.accounts.getByName('one')).toBeNull();
      });

      it('deletes, reporting whether the account existed', async () => {
        const a = await store.accounts.insert(newAccount('gone'), T0);
        expect(await store.accounts.delete(a.id)).toBe(true);
        expect(await store.accounts.delete(a.id)).toBe(false);
        expect(await store.accounts.get(a.id)).toBeNull();
        // The name is free again.
        await store.accounts.insert(newAccount('gone'), T0);
      });

      it('round-trips the JSON fields', async () => {
        const a = await store.accounts.insert(newAccount('json'), T0);
        const rateLimit: RateLimitState = {
          observedAt: T0,
          status: 'allowed_warning',
          resetAt: T0 + 3_600_000,
          fiveHour: { status: 'allowed_warning', utilization: 0.93, resetAt: T0 + 3_600_000 },
          sevenDay: { status: 'allowed', utilization: 0.41, resetAt: null },
          representativeClaim: 'five_hour',
          requestsRemaining: null,
          tokensRemaining: 12345,
          overageStatus: 'rejected',
          overageDisabledReason: 'org_level_disabled',
        };
        const modelCooldowns = { opus: T0 + 1000, 'sonnet-4': T0 + 2000 };
        await store.accounts.update(a.id, { rateLimit, modelCooldowns });
        const got = await store.accounts.get(a.id);
        expect(got?.rateLimit).toEqual(rateLimit);
        expect(got?.modelCooldowns).toEqual(modelCooldowns);
        expect((await store.accounts.list())[0]?.rateLimit).toEqual(rateLimit);

        await store.accounts.update(a.id, { rateLimit: null, modelCooldowns: {} });
        const cleared = await store.accounts.get(a.id);
        expect(cleared?.rateLimit).toBeNull();
        expect(cleared?.modelCooldowns).toEqual({});
      });
    });

    describe('swapTokens', () => {
      const next = { accessTokenEnc: 'a2', refreshTokenEnc: 'r2', refreshFp: 'fp2', expiresAt: T0 + 99 };

      it('swaps when the stored fingerprint matches', async () => {
        const a = await store.accounts.insert(newAccount('s', { refreshFp: 'fp1', refreshTokenEnc: 'r1' }), T0);
        expect(await store.accounts.swapTokens(a.id, 'fp1', next)).toBe(true);
        expect(await store.accounts.get(a.id)).toMatchObject(next);
      });

      it('refuses when another refresh already rotated the token', async () => {
        const a = await store.accounts.insert(newAccount('s', { refreshFp: 'fp1', refreshTokenEnc: 'r1' }), T0);
        expect(await store.accounts.swapTokens(a.id, 'fp1', next)).toBe(true);
        const stale = { accessTokenEnc: 'a3', refreshTokenEnc: 'r3', refreshFp: 'fp3', expiresAt: T0 + 1 };
        expect(await store.accounts.swapTokens(a.id, 'fp1', stale)).toBe(false);
        expect(await store.accounts.get(a.id)).toMatchObject(next);
      });

      it('compares a null fingerprint null-safely', async () => {
        const a = await store.accounts.insert(newAccount('s'), T0);
        expect(await store.accounts.swapTokens(a.id, 'fp1', next)).toBe(false);
        expect(await store.accounts.swapTokens(a.id, null, next)).toBe(true);
        expect(await store.accounts.swapTokens(a.id, null, next)).toBe(false);
        expect(await store.accounts.swapTokens('no-such-id', null, next)).toBe(false);
      });
    });

    describe('accounts.revision', () => {
      it('moves on every change to accounts and on nothing else', async () => {
        const revs: number[] = [await store.accounts.revision()];
        const step = async (fn: () => Promise<unknown>) => {
          await fn();
          revs.push(await store.accounts.revision());
        };
        const a = await store.accounts.insert(newAccount('r', { refreshFp: 'fp1' }), T0);
        revs.push(await store.accounts.revision());
        await step(() => store.accounts.update(a.id, { paused: true }));
        await step(() => store.accounts.update(a.id, { modelCooldowns: { opus: T0 } }));
        await step(() =>
          store.accounts.swapTokens(a.id, 'fp1', {
            accessTokenEnc: 'a',
            refreshTokenEnc: 'r',
            refreshFp: 'fp2',
            expiresAt: 1,
          }),
        );
        await step(() => store.accounts.insert(newAccount('r2'), T0));
        await step(() => store.accounts.delete(a.id));
        for (let i = 1; i < revs.length; i++) expect(revs[i] as number).toBeGreaterThan(revs[i - 1] as number);

        const before = await store.accounts.revision();
        await store.accounts.swapTokens('no-such-id', null, {
          accessTokenEnc: 'a',
          refreshTokenEnc: 'r',
          refreshFp: 'x',
          expiresAt: 1,
        });
        await store.accounts.delete('no-such-id');
        await store.accounts.list();
        await expectConflict(store.accounts.insert(newAccount('r2'), T0), /already exists/);
        expect(await store.accounts.revision()).toBe(before);
      });
    });

    describe('request records', () => {
      it('stores a batch and lists it newest first, ties broken by id', async () => {
        await store.requests.writeBatch(
          [
            sampleRecord({ id: 'b', ts: T0 + 10 }),
            sampleRecord({ id: 'a', ts: T0 + 10 }),
            sampleRecord({ id: 'c', ts: T0 }),
            sampleRecord({ id: 'd', ts: T0 + 20 }),
          ],
          [],
        );
        expect(await store.requests.count()).toBe(4);
        const list = await store.requests.listRecords({ limit: 100 });
        expect(list.map((r) => r.id)).toEqual(['d', 'b', 'a', 'c']);
        expect((await store.requests.listRecords({ limit: 2 })).map((r) => r.id)).toEqual(['d', 'b']);
      });

      it('pages with the (ts, id) cursor without gaps or repeats', async () => {
        const recs = Array.from({ length: 25 }, (_, i) =>
          // Several records share each timestamp, so the id half of the cursor matters.
          sampleRecord({ id: `r${String(i).padStart(3, '0')}`, ts: T0 + Math.floor(i / 4) }),
        );
        await store.requests.writeBatch(recs, []);
        const seen: string[] = [];
        let before: { ts: number; id: string } | undefined;
        for (;;) {
          const page = await store.requests.listRecords({ limit: 7, ...(before ? { before } : {}) });
          if (page.length === 0) break;
          seen.push(...page.map((r) => r.id));
          const last = page[page.length - 1] as RequestRecord;
          before = { ts: last.ts, id: last.id };
        }
        const expected = [...recs].sort((x, y) => y.ts - x.ts || (x.id < y.id ? 1 : -1)).map((r) => r.id);
        expect(seen).toEqual(expected);
      });

      it('filters by time, account, model, outcome, session and agent', async () => {
        const acc = await store.accounts.insert(newAccount('acct'), T0);
        await store.requests.writeBatch(
          [
            sampleRecord({ id: '1', ts: T0 + 1, accountId: acc.id, accountName: 'acct', sessionId: 's1', agent: 'x' }),
            sampleRecord({ id: '2', ts: T0 + 2, modelApplied: 'claude-opus-4-1', success: false, status: 529 }),
            sampleRecord({ id: '3', ts: T0 + 3, accountId: 'deleted', accountName: 'old', sessionId: 's1' }),
            sampleRecord({ id: '4', ts: T0 + 4, accountId: acc.id, accountName: 'acct', agent: 'y', success: false }),
          ],
          [],
        );
        const ids = async (q: Omit<RequestQuery, 'limit'>) =>
          (await store.requests.listRecords({ limit: 100, ...q })).map((r) => r.id);
        expect(await ids({ since: T0 + 2 })).toEqual(['4', '3', '2']);
        expect(await ids({ until: T0 + 3 })).toEqual(['2', '1']);
        expect(await ids({ since: T0 + 2, until: T0 + 4 })).toEqual(['3', '2']);
        expect(await ids({ account: acc.id })).toEqual(['4', '1']);
        expect(await ids({ account: 'acct' })).toEqual(['4', '1']);
        expect(await ids({ account: 'old' })).toEqual(['3']);
        expect(await ids({ model: 'claude-opus-4-1' })).toEqual(['2']);
        expect(await ids({ status: 'error' })).toEqual(['4', '2']);
        expect(await ids({ status: 'success' })).toEqual(['3', '1']);
        expect(await ids({ session: 's1' })).toEqual(['3', '1']);
        expect(await ids({ agent: 'y' })).toEqual(['4']);
        expect(await ids({ account: acc.id, status: 'error' })).toEqual(['4']);
        expect(await ids({ account: acc.id, before: { ts: T0 + 4, id: '4' } })).toEqual(['1']);
        expect(await ids({ agent: 'nobody' })).toEqual([]);
      });

      it('round-trips every field; lists leave the payload out, getRequest includes it', async () => {
        const rec = sampleRecord({
          id: 'full',
          accountId: 'acc-1',
          accountName: 'one',
          status: 429,
          success: false,
          error: 'rate_limited',
          latencyMs: 1234.5,
          ttftMs: null,
          attempts: 3,
          attemptLog: [
            { account: 'one', status: 429, error: 'rate_limited', ms: 100 },
            { account: null, status: null, error: 'connect ECONNREFUSED', ms: 3 },
          ],
          modelRequested: 'claude-3-7-sonnet',
          modelApplied: 'claude-sonnet-4-5',
          modelFallback: true,
          agent: 'reviewer',
          agentInstance: 'a1b2c3d4e5f607182',
          sessionId: 'sess',
          clientKey: 'ck',
          stream: false,
          stopReason: null,
          inputTokens: null,
          cacheReadTokens: 5,
          cacheWrite5mTokens: 6,
          cacheWrite1hTokens: 7,
          outputTokens: null,
          costUsd: null,
          outputTokensPerSecond: null,
          payload: {
            requestHeaders: '{"content-type":"application/json"}',
            requestBody: '{"model":"x","messages":[]}',
            responseHeaders: null,
            responseBody: null,
            requestTruncated: true,
            responseTruncated: false,
          },
        });
        const plain = sampleRecord({ id: 'plain', ts: T0 - 1 });
        await store.requests.writeBatch([rec, plain], []);

        const listed = await store.requests.listRecords({ limit: 100 });
        expect(listed).toEqual([{ ...rec, payload: null }, plain]);
        expect(await store.requests.get('full')).toEqual(rec);
        expect(await store.requests.get('plain')).toEqual(plain);
        expect(await store.requests.get('missing')).toBeNull();
      });

      it("stores a long streamed answer handed over in deflated blocks as the answer's text", async () => {
        const events = Array.from({ length: 2500 }, (_, i) => `event: content_block_delta\ndata: {"text":"w${i}"}\n\n`);
        const kept = new KeptBytes();
        for (const e of events) kept.push(Buffer.from(e));
        const responseBody = kept.body();
        expect(responseBody === null || Buffer.isBuffer(responseBody)).toBe(false);
        const payload = { ...samplePayload(), responseBody };
        await store.requests.writeBatch([sampleRecord({ id: 'long', stream: true, payload })], []);
        expect((await store.requests.get('long'))?.payload).toEqual({ ...payload, responseBody: events.join('') });
      });

      it('writes a batch atomically: one bad record stores nothing of it', async () => {
        await store.requests.writeBatch([sampleRecord({ id: 'x' })], []);
        const bad = { ...sampleRecord({ id: 'bad' }), method: null } as unknown as RequestRecord;
        await expect(
          store.requests.writeBatch([sampleRecord({ id: 'y' }), bad, sampleRecord({ id: 'z' })], []),
        ).rejects.toThrow();
        expect(await store.requests.count()).toBe(1);
        expect(await store.requests.get('y')).toBeNull();
      });

      it('stores and counts a record written again (a journal replay) once: row, usage and analytics', async () => {
        const a = await store.accounts.insert(newAccount('again'), T0);
        const recs = ['x', 'y'].map((id) => sampleRecord({ id, ts: T0, accountId: a.id, accountName: 'again' }));
        const usage = (k: number): AccountUsageDelta[] => [{ accountId: a.id, requests: k, lastUsedAt: T0 + 5 }];
        await store.requests.writeBatch([recs[0] as RequestRecord], usage(1));
        await store.requests.writeBatch([...recs], usage(2));
        expect(await store.requests.count()).toBe(2);
        expect((await store.accounts.get(a.id))?.requestCount).toBe(2);
        const q = { range: '1h', now: T0 + 60_000, accounts: [], models: [], status: 'all' } as const;
        const totals = (await store.analytics.query({ ...q, accounts: [], models: [] })).totals;
        expect(totals.requests).toBe(2);
      });

      it('tells which ids are stored, however many are asked', async () => {
        await store.requests.writeBatch([sampleRecord({ id: 'a' }), sampleRecord({ id: 'c' })], []);
        expect(await store.requests.existingIds([])).toEqual(new Set());
        const asked = ['a', 'b', 'c', ...Array.from({ length: 1200 }, (_, i) => `none-${i}`)];
        expect(await store.requests.existingIds(asked)).toEqual(new Set(['a', 'c']));
      });

      it('keeps records of a deleted account', async () => {
        const a = await store.accounts.insert(newAccount('tmp'), T0);
        await store.requests.writeBatch([sampleRecord({ id: 'kept', accountId: a.id, accountName: 'tmp' })], []);
        await store.accounts.delete(a.id);
        expect((await store.requests.get('kept'))?.accountName).toBe('tmp');
      });
    });

    describe('usage deltas', () => {
      it('adds requests and keeps the latest use', async () => {
        const a = await store.accounts.insert(newAccount('busy'), T0);
        const b = await store.accounts.insert(newAccount('idle'), T0);
        await store.accounts.update(a.id, { sessionStart: T0, sessionRequestCount: 2, requestCount: 10 });

        const usage: AccountUsageDelta[] = [
          { accountId: a.id, requests: 3, lastUsedAt: T0 + 500 },
          { accountId: 'no-such-account', requests: 1, lastUsedAt: T0 },
        ];
        await store.requests.writeBatch([sampleRecord({ id: 'u1', accountId: a.id })], usage);
        expect(await store.accounts.get(a.id)).toMatchObject({
          requestCount: 13,
          sessionRequestCount: 5,
          lastUsedAt: T0 + 500,
        });

        // An older batch (a retry) never moves lastUsedAt backwards.
        await store.requests.writeBatch([], [{ accountId: a.id, requests: 1, lastUsedAt: T0 + 100 }]);
        expect(await store.accounts.get(a.id)).toMatchObject({ requestCount: 14, lastUsedAt: T0 + 500 });

        expect(await store.accounts.get(b.id)).toMatchObject({ requestCount: 0, lastUsedAt: null });
      });

      it('counts attempts on an account found by name, and keeps only its 5 latest errors', async () => {
        const a = await store.accounts.insert(newAccount('flaky'), T0);
        const err = (at: number) => ({ at, status: 529, error: `529 overloaded: #${at}` });
        const attempts = (n: number, from: number): AccountUsageDelta => ({
          accountId: null,
          accountName: 'flaky',
          requests: 0,
          lastUsedAt: null,
          attempts: n,
          failedAttempts: n,
          errors: Array.from({ length: n }, (_, i) => err(from + i)),
        });
        await store.requests.writeBatch([], [attempts(3, 1)]);
        await store.requests.writeBatch([], [attempts(4, 4)]);
        expect(await store.accounts.get(a.id)).toMatchObject({
          requestCount: 0,
          lastUsedAt: null,
          attemptCount: 7,
          failedAttemptCount: 7,
          recentErrors: [3, 4, 5, 6, 7].map(err),
        });
        // A reset zeroes the counters; the errors stay (they are what makes the account show as failing).
        await store.accounts.resetUsage();
        expect(await store.accounts.get(a.id)).toMatchObject({
          attemptCount: 0,
          recentErrors: [3, 4, 5, 6, 7].map(err),
        });
      });
    });
  });
}
