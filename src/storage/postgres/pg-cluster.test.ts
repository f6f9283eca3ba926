import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type FakeOAuth, oauthEndpoints, startFakeOAuth } from '../../../test/support/fake-oauth.js';
import { captureLogger } from '../../../test/support/log-lines.js';
import { hasPg, pgInstancesFactory } from '../../../test/support/pg.js';
import { TokenManager } from '../../accounts/token-manager.js';
import { systemClock } from '../../clock.js';
import { createSecretBox } from '../../crypto/secret-box.js';
import { PgCluster } from './pg-cluster.js';
import type { PostgresStore } from './postgres-store.js';

const box = createSecretBox(randomBytes(32));

describe.runIf(hasPg('postgres cluster'))('gateways sharing one PostgreSQL', () => {
  const instances = pgInstancesFactory();
  const { logger } = captureLogger();
  let fake: FakeOAuth;
  beforeAll(async () => {
    fake = await startFakeOAuth();
  });
  afterAll(async () => {
    await fake.close();
  });

  /** `n` instances, each a store and its cluster; closed after `fn`. */
  async function withInstances(
    n: number,
    fn: (nodes: { store: PostgresStore; cluster: PgCluster }[]) => Promise<void>,
  ): Promise<void> {
    const stores = await instances(n);
    const nodes = await Promise.all(
      stores.map(async (store) => ({
        store,
        cluster: await PgCluster.open({
          pool: store.pool,
          connection: store.options,
          logger,
          reconnectMinMs: 20,
          leaderRetryMs: 50,
        }),
      })),
    );
    try {
      await fn(nodes);
    } finally {
      await Promise.all(nodes.map(async (x) => [await x.cluster.close(), await x.store.close()]));
    }
  }

  it('refreshes an expiring account once for all instances, which all use the new token', async () => {
    await withInstances(3, async (nodes) => {
      const seeded = fake.seedAccount();
      const first = nodes[0] as { store: PostgresStore };
      const account = await first.store.accounts.insert(
        {
          name: 'max',
          kind: 'max',
          accessTokenEnc: box.encrypt(seeded.accessToken),
          refreshTokenEnc: box.encrypt(seeded.refreshToken),
          refreshFp: box.fingerprint(seeded.refreshToken),
          // Inside the refresh skew: every instance wants a new token now.
          expiresAt: Date.now() + 60_000,
        },
        Date.now(),
      );
      // Slow token endpoint: without the lock, every instance's refresh would reach it.
      fake.options.delayMs = 150;
      const before = fake.refreshCalls;
      const managers = nodes.map(
        ({ store, cluster }) =>
          new TokenManager({
            store,
            box,
            oauth: oauthEndpoints(fake),
            clock: systemClock,
            logger,
            skewMs: 5 * 60_000,
            reauthGraceMs: 0,
            exclusive: (key, fn) => cluster.exclusive(key, fn),
          }),
      );
      const tokens = await Promise.all(managers.map((tm) => tm.accessToken(account)));
      fake.options.delayMs = 0;

      expect(fake.refreshCalls - before).toBe(1);
      expect(new Set(tokens).size).toBe(1);
      expect(tokens[0]).not.toBe(seeded.accessToken);
      expect(fake.isValidAccessToken(tokens[0] as string)).toBe(true);
      const stored = await first.store.accounts.get(account.id);
      expect(box.decrypt(stored?.accessTokenEnc ?? '')).toBe(tokens[0]);
    });
  });
});
