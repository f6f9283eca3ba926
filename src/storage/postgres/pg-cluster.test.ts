import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { type FakeOAuth, oauthEndpoints, startFakeOAuth } from '../../../test/support/fake-oauth.js';
import { captureLogger } from '../../../test/support/log-lines.js';
import { hasPg, pgInstancesFactory } from '../../../test/support/pg.js';
import { AccountPool } from '../../accounts/account-pool.js';
import { TokenManager } from '../../accounts/token-manager.js';
import { systemClock } from '../../clock.js';
import { followRevisions } from '../../cluster/follow-revisions.js';
import { createSecretBox } from '../../crypto/secret-box.js';
import { EventBus } from '../../events.js';
import { SessionAffinity } from '../../routing/session-affinity.js';
import { PgCluster } from './pg-cluster.js';
import type { PostgresStore } from './postgres-store.js';

const box = createSecretBox(randomBytes(32));

describe.runIf(hasPg('postgres cluster'))('gateways sharing one PostgreSQL', () => {
  const instances = pgInstancesFactory();
  const { logger, lines } = captureLogger();
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

  it('shows an account limited, cooled down, disabled or in a new session on one instance to the other within 1 s', async () => {
    await withInstances(2, async ([a, b]) => {
      if (!a || !b) throw new Error('two instances');
      const id = (await a.store.accounts.insert({ name: 'acc', kind: 'api_key', apiKeyEnc: 'enc' }, 1)).id;
      // Polls far apart: only the notification can bring the change within the second.
      const pools = [a, b].map(
        (n) => new AccountPool({ store: n.store, clock: systemClock, logger, events: new EventBus(), pollMs: 60_000 }),
      );
      const [pa, pb] = pools as [AccountPool, AccountPool];
      await Promise.all(pools.map((p) => p.start()));
      const unfollow = [a, b].map((n, i) =>
        followRevisions(n.cluster.bus, { accounts_rev: [() => (pools[i] as AccountPool).refresh()] }),
      );
      try {
        const row = () => pb.get(id);
        const now = Date.now();
        const acc = pa.get(id);
        if (!acc) throw new Error('account loaded');

        await pa.applyEffect(acc, { type: 'cooldown', until: now + 60_000, reason: 'rate limited (429)' });
        await vi.waitFor(() => expect(row()?.cooldownUntil).toBe(now + 60_000), { timeout: 1000, interval: 10 });

        pa.noteRateLimit(acc, {
          observedAt: now,
          status: 'rejected',
          resetAt: now + 3_600_000,
          fiveHour: null,
          sevenDay: null,
          representativeClaim: 'five_hour',
        });
        await vi.waitFor(() => expect(row()?.rateLimit?.status).toBe('rejected'), { timeout: 1000, interval: 10 });

        await pa.beginSessionIfNeeded(acc, 5 * 3_600_000);
        await vi.waitFor(() => expect(row()?.sessionStart).not.toBeNull(), { timeout: 1000, interval: 10 });

        await pa.applyEffect(acc, { type: 'disable', reason: 'organization disabled' });
        await vi.waitFor(() => expect(row()?.health).toBe('disabled'), { timeout: 1000, interval: 10 });
      } finally {
        for (const off of unfollow) off();
        for (const p of pools) p.stop();
      }
    });
  });

  it('keeps a client session on its account whichever instance it hits', async () => {
    await withInstances(2, async ([a, b]) => {
      if (!a || !b) throw new Error('two instances');
      const hours5 = 5 * 3_600_000;
      const [affA, affB] = [a, b].map(
        (n) => new SessionAffinity(hours5, undefined, { pins: n.cluster.sessionPins, logger, syncMs: 1000 }),
      ) as [SessionAffinity, SessionAffinity];
      const t0 = Date.now();
      const pinned = async (aff: SessionAffinity, at: number) => {
        await aff.warm('sess-1', at);
        return aff.get('sess-1', at);
      };

      affA.set('sess-1', 'acc-1', t0);
      await vi.waitFor(async () => expect(await pinned(affB, t0)).toBe('acc-1'), { timeout: 1000, interval: 10 });

      // B moves the session (acc-1 was limited there); A follows once its cached pin is a second old.
      affB.set('sess-1', 'acc-2', t0 + 10);
      await vi.waitFor(async () => expect(await b.cluster.sessionPins.get('sess-1', t0)).toBe('acc-2'));
      expect(await pinned(affA, t0 + 500)).toBe('acc-1');
      expect(await pinned(affA, t0 + 1500)).toBe('acc-2');

      // An account taken out of rotation on one instance frees its sessions everywhere.
      affA.forgetAccount('acc-2');
      await vi.waitFor(async () => expect(await a.cluster.sessionPins.get('sess-1', t0)).toBeNull());
      expect(await pinned(affB, t0 + 3000)).toBeNull();

      // Past the session window the pin is gone for every instance.
      affA.set('sess-2', 'acc-3', t0);
      await vi.waitFor(async () => expect(await b.cluster.sessionPins.get('sess-2', t0)).toBe('acc-3'));
      expect(
        await (async () => {
          await affB.warm('sess-2', t0 + hours5 + 1);
          return affB.get('sess-2', t0 + hours5 + 1);
        })(),
      ).toBeNull();
    });
  });

  it('runs a scheduled job on one instance at a time and hands it over when the holder dies', async () => {
    await withInstances(3, async (nodes) => {
      const locks = nodes.map((n) => n.cluster.leader('retention'));
      for (const l of locks) l.start();
      const leaders = () => locks.filter((l) => l.isLeader());
      await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 2000, interval: 10 });
      const first = leaders()[0];
      // Other job names are led independently.
      const other = nodes[2]?.cluster.leader('usage-poll');
      other?.start();
      await vi.waitFor(() => expect(other?.isLeader()).toBe(true), { timeout: 2000, interval: 10 });

      // The holder's connection dies (crash, network): its lock goes with it, and it says so.
      const pid = first?.connectionPid();
      expect(pid).toBeTypeOf('number');
      const mark = lines.length;
      await nodes[0]?.store.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      const lost = () =>
        lines
          .slice(mark)
          .map((l) => JSON.parse(l) as { msg?: string; job?: string })
          .some((l) => l.job === 'retention' && l.msg?.startsWith('leader connection lost') === true);
      // Generous: under a full test run the terminated session's end reaches the client late.
      await vi.waitFor(() => expect(lost()).toBe(true), { timeout: 10_000, interval: 10 });
      // Here the holder's process lives on and retries every 50 ms, so it could win the lock back
      // before the others' next try (it did under a full test run); a crashed one would not.
      await first?.stop();
      await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 10_000, interval: 10 });
      expect(leaders()[0]).not.toBe(first);

      // A clean stop hands over too.
      const second = leaders()[0];
      await second?.stop();
      await vi.waitFor(() => expect(leaders()).toHaveLength(1), { timeout: 2000, interval: 10 });
      expect(leaders()[0]).not.toBe(second);
    });
  });

  it('reconnects its listening connection when it is cut, rereads what it caches and hears the others again', async () => {
    await withInstances(2, async ([a, b]) => {
      if (!a || !b) throw new Error('two instances');
      let resyncs = 0;
      a.cluster.bus.onResync(() => resyncs++);
      const heard: string[] = [];
      a.cluster.bus.subscribe('revision', ({ key }) => heard.push(key));

      await b.store.settings.put({ strategy: 'session' }, 1);
      await vi.waitFor(() => expect(heard).toContain('settings_rev'), { timeout: 1000, interval: 10 });

      const pid = a.cluster.bus.connectionPid();
      expect(pid).toBeTypeOf('number');
      await b.store.pool.query('SELECT pg_terminate_backend($1)', [pid]);
      await vi.waitFor(
        () => {
          expect(resyncs).toBe(1);
          expect(a.cluster.bus.connected).toBe(true);
        },
        { timeout: 2000, interval: 10 },
      );
      expect(a.cluster.bus.connectionPid()).not.toBe(pid);

      heard.length = 0;
      await b.store.accounts.insert({ name: 'after', kind: 'api_key', apiKeyEnc: 'e' }, 1);
      await vi.waitFor(() => expect(heard).toContain('accounts_rev'), { timeout: 1000, interval: 10 });
    });
  });

  it('never starves its pool when many accounts refresh at once', async () => {
    await withInstances(1, async ([a]) => {
      if (!a) throw new Error('one instance');
      // Four connections (pgInstancesFactory): eight sections each needing a query of their own.
      const keys = Array.from({ length: 8 }, (_, i) => `refresh:acc-${i}`);
      const done = await Promise.all(
        keys.map((k) => a.cluster.exclusive(k, async () => (await a.store.accounts.list()).length)),
      );
      expect(done).toEqual(Array(8).fill(0));
    });
  }, 8000);
});
