import pg from 'pg';
import { afterAll, describe, expect, it } from 'vitest';
import { describeStoreContract } from '../../../test/conformance/index.js';
import { freshSchema, hasPg, PG_URL, pgStoreFactory } from '../../../test/support/pg.js';
import { PostgresStore } from './postgres-store.js';

describe.runIf(hasPg('postgres store'))('postgres store', () => {
  describeStoreContract('postgres', pgStoreFactory());

  describe('several instances on one database', () => {
    const schemas: string[] = [];
    afterAll(async () => {
      const client = new pg.Client({ connectionString: PG_URL });
      await client.connect();
      try {
        for (const s of schemas) await client.query(`DROP SCHEMA IF EXISTS ${s} CASCADE`);
      } finally {
        await client.end();
      }
    });
    /** `n` stores, each with its own pool, on one new schema: instances of one installation. */
    const instances = async (n: number) => {
      const schema = freshSchema();
      schemas.push(schema);
      const first = await PostgresStore.open({ url: PG_URL, schema, max: 4 });
      const rest = await Promise.all(
        Array.from({ length: n - 1 }, () => PostgresStore.open({ url: PG_URL, schema, max: 4 })),
      );
      return [first, ...rest];
    };

    it('gives a notification window to exactly one of the instances that heard the same event', async () => {
      const stores = await instances(3);
      try {
        const claims = await Promise.all(
          stores.flatMap((s) => [0, 1, 2].map(() => s.notify.claimWindow('account.rate_limited work', 1000, 61_000))),
        );
        expect(claims.filter(Boolean)).toHaveLength(1);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('lets exactly one of racing token refreshes store its pair', async () => {
      const stores = await instances(3);
      try {
        const [a] = stores as [PostgresStore];
        const acc = await a.accounts.insert({ name: 'max', kind: 'max', refreshFp: 'fp0', refreshTokenEnc: 'r0' }, 1);
        const results = await Promise.all(
          stores.flatMap((s, i) =>
            [0, 1, 2].map((j) =>
              s.accounts.swapTokens(acc.id, 'fp0', {
                accessTokenEnc: `a${i}${j}`,
                refreshTokenEnc: `r${i}${j}`,
                refreshFp: `fp${i}${j}`,
                expiresAt: 2,
              }),
            ),
          ),
        );
        expect(results.filter(Boolean)).toHaveLength(1);
        const winner = results.indexOf(true);
        const tag = `${Math.floor(winner / 3)}${winner % 3}`;
        expect(await stores[2]?.accounts.get(acc.id)).toMatchObject({
          accessTokenEnc: `a${tag}`,
          refreshTokenEnc: `r${tag}`,
          refreshFp: `fp${tag}`,
        });
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('stores exactly one of racing decisions on one approval, and every instance sees that one', async () => {
      const stores = await instances(3);
      try {
        const [a] = stores as [PostgresStore];
        await a.workers.insert(
          {
            id: 'w1',
            name: 'alpha',
            prompt: 'p',
            templateId: null,
            cwd: '/tmp',
            model: null,
            policy: 'low',
            maxTurns: null,
            budgetUsd: null,
            state: 'waiting_approval',
            stateReason: null,
            queuedAt: null,
          },
          1,
        );
        await a.workers.insertApproval({
          id: 'ap1',
          workerId: 'w1',
          tool: 'Bash',
          toolUseId: 'tu1',
          input: { command: 'rm -rf build' },
          risk: 'high',
          reason: 'deletes files',
          createdAt: 1,
          expiresAt: 60_001,
        });
        const results = await Promise.all(
          stores.flatMap((s, i) =>
            [0, 1, 2].map((j) =>
              s.workers.decideApproval(
                'ap1',
                i % 2 === 0
                  ? { status: 'approved', decidedInput: { command: `rm -rf build/${i}${j}` }, message: null }
                  : { status: 'rejected', decidedInput: null, message: `no ${i}${j}` },
                10 + i * 3 + j,
              ),
            ),
          ),
        );
        const won = results.filter((r) => r !== null);
        expect(won).toHaveLength(1);
        const winner = won[0];
        for (const s of stores) expect(await s.workers.getApproval('ap1')).toEqual(winner);
        expect(await stores[1]?.workers.listApprovals({ status: 'pending' })).toEqual([]);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('numbers log entries appended by several instances at once without gaps or losses', async () => {
      const stores = await instances(3);
      try {
        const batches = stores.flatMap((s, i) =>
          [0, 1, 2, 3].map((j) =>
            s.workers.appendLogs(
              'w1',
              [
                { at: 1, kind: 'assistant' as const, text: `${i}${j}a`, data: null },
                { at: 2, kind: 'assistant' as const, text: `${i}${j}b`, data: { n: j } },
              ],
              100,
            ),
          ),
        );
        const appended = await Promise.all(batches);
        const logs = await stores[0]?.workers.listLogs('w1', 0, 100);
        expect(logs?.map((e) => e.seq)).toEqual(Array.from({ length: 24 }, (_, k) => k + 1));
        // Each batch got consecutive numbers and the stored entries are the ones it was told about.
        for (const batch of appended) {
          expect(batch[1]?.seq).toBe((batch[0]?.seq ?? 0) + 1);
          expect(logs?.find((e) => e.seq === batch[0]?.seq)?.text).toBe(batch[0]?.text);
        }
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('moves the revisions another instance polls, together with the change', async () => {
      const [a, b] = (await instances(2)) as [PostgresStore, PostgresStore];
      try {
        const before = {
          accounts: await b.accounts.revision(),
          keys: await b.keys.revision(),
          settings: await b.settings.revision(),
          agents: await b.agents.revision(),
          notify: await b.notify.revision(),
        };
        await a.accounts.insert({ name: 'x', kind: 'api_key', apiKeyEnc: 'enc' }, 1);
        await a.keys.insert({ name: 'k', prefix: 'p', digest: 'd' }, 1);
        await a.settings.put({ strategy: 'session' }, 1);
        await a.agents.setPreferences([{ agentId: 'r', agentName: 'r', model: 'claude-haiku-4-5' }], 1);
        await a.notify.putRules({ windowMs: 1 }, 1);
        expect(await b.accounts.revision()).toBeGreaterThan(before.accounts);
        expect(await b.keys.revision()).toBeGreaterThan(before.keys);
        expect(await b.settings.revision()).toBeGreaterThan(before.settings);
        expect(await b.agents.revision()).toBeGreaterThan(before.agents);
        expect(await b.notify.revision()).toBeGreaterThan(before.notify);
        expect((await b.accounts.getByName('x'))?.apiKeyEnc).toBe('enc');
        expect(await b.settings.get()).toEqual({ strategy: 'session' });
      } finally {
        await Promise.all([a.close(), b.close()]);
      }
    });
  });
});
