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
