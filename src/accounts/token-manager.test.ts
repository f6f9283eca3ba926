import { randomBytes, randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { type FakeOAuth, oauthEndpoints, startFakeOAuth } from '../../test/support/fake-oauth.js';
import { captureLogger } from '../../test/support/log-lines.js';
import { ManualClock } from '../clock.js';
import { createSecretBox, type SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { EventBus, type GatewayEvents } from '../events.js';
import type { AccountPatch, AccountRow, AccountsStore, NewAccount, TokenSwap } from '../storage/contract/accounts.js';
import type { Store } from '../storage/contract/store.js';
import { type OAuthEndpoints, refreshToken, type TokenSet } from './oauth.js';
import { TokenManager, type TokenManagerDeps } from './token-manager.js';

/** Map-backed accounts with the same compare-and-swap semantics as the real ones. */
class MemoryAccounts implements AccountsStore {
  readonly rows = new Map<string, AccountRow>();
  swaps = 0;
  reads = 0;
  private rev = 0;

  async list(): Promise<AccountRow[]> {
    return [...this.rows.values()].map((r) => ({ ...r }));
  }
  async getByName(name: string): Promise<AccountRow | null> {
    const r = [...this.rows.values()].find((x) => x.name === name);
    return r ? { ...r } : null;
  }
  async get(id: string): Promise<AccountRow | null> {
    this.reads++;
    const r = this.rows.get(id);
    return r ? { ...r } : null;
  }
  async insert(a: NewAccount, now: number): Promise<AccountRow> {
    const row = accountRow(a.name, {
      id: randomUUID(),
      kind: a.kind,
      priority: a.priority ?? 0,
      apiKeyEnc: a.apiKeyEnc ?? null,
      accessTokenEnc: a.accessTokenEnc ?? null,
      refreshTokenEnc: a.refreshTokenEnc ?? null,
      refreshFp: a.refreshFp ?? null,
      expiresAt: a.expiresAt ?? null,
      createdAt: now,
    });
    this.rows.set(row.id, row);
    this.rev++;
    return { ...row };
  }
  async update(id: string, patch: AccountPatch): Promise<void> {
    const r = this.rows.get(id);
    if (r) this.rows.set(id, { ...r, ...patch });
    this.rev++;
  }
  async delete(id: string): Promise<boolean> {
    return this.rows.delete(id);
  }
  async swapTokens(id: string, expectedFp: string | null, next: TokenSwap): Promise<boolean> {
    this.swaps++;
    const r = this.rows.get(id);
    if (!r || r.refreshFp !== expectedFp) return false;
    this.rows.set(id, { ...r, ...next });
    this.rev++;
    return true;
  }
  async revision(): Promise<number> {
    return this.rev;
  }
  async resetUsage(): Promise<number> {
    throw new Error('not used');
  }
}

class MemoryStore implements Pick<Store, 'accounts'> {
  readonly accounts = new MemoryAccounts();
}

const HOUR = 3_600_000;
const SKEW = 5 * 60_000;

let fake: FakeOAuth;
let ep: OAuthEndpoints;
const box: SecretBox = createSecretBox(randomBytes(32));

beforeAll(async () => {
  fake = await startFakeOAuth();
  ep = oauthEndpoints(fake);
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.options.delayMs = 0;
  fake.options.rotate = true;
});

interface Harness {
  store: MemoryStore;
  clock: ManualClock;
  events: EventBus;
  emitted: { name: keyof GatewayEvents; payload: unknown }[];
  logs: () => string;
  refreshCalls: () => number;
  tm: TokenManager;
  make: (over?: Partial<TokenManagerDeps>) => TokenManager;
}

function harness(over: Partial<TokenManagerDeps> = {}): Harness {
  const store = new MemoryStore();
  const clock = new ManualClock(Date.now());
  const events = new EventBus();
  const emitted: Harness['emitted'] = [];
  events.on('account.refreshed', (p) => emitted.push({ name: 'account.refreshed', payload: p }));
  events.on('account.changed', (p) => emitted.push({ name: 'account.changed', payload: p }));
  const { logger, lines: chunks } = captureLogger('debug');
  let calls = 0;
  const counted: typeof refreshToken = (e, rt, now) => {
    calls++;
    return (over.refresh ?? refreshToken)(e, rt, now);
  };
  const make = (o: Partial<TokenManagerDeps> = {}) =>
    new TokenManager({
      store,
      box,
      oauth: ep,
      clock,
      logger,
      skewMs: SKEW,
      events,
      reauthGraceMs: 0,
      ...over,
      refresh: counted,
      ...o,
    });
  return { store, clock, events, emitted, logs: () => chunks.join(''), refreshCalls: () => calls, tm: make(), make };
}

/** An OAuth account whose pair is valid at the fake server, expiring at `expiresAt`. */
async function addMax(h: Harness, expiresAt: number, name = 'work'): Promise<{ row: AccountRow; pair: TokenSet }> {
  const seeded = fake.seedAccount();
  const pair = { ...seeded, expiresAt };
  const row = await h.store.accounts.insert(
    {
      name,
      kind: 'max',
      accessTokenEnc: box.encrypt(pair.accessToken),
      refreshTokenEnc: box.encrypt(pair.refreshToken),
      refreshFp: box.fingerprint(pair.refreshToken),
      expiresAt,
    },
    h.clock.now(),
  );
  return { row, pair };
}

/** Writes a newer pair as another gateway process would. */
async function otherProcessRefresh(h: Harness, id: string, expiresAt: number): Promise<TokenSet> {
  const row = h.store.accounts.rows.get(id);
  if (!row?.refreshTokenEnc) throw new Error('no row');
  const t = await refreshToken(ep, box.decrypt(row.refreshTokenEnc), h.clock.now());
  const ok = await h.store.accounts.swapTokens(id, row.refreshFp, {
    accessTokenEnc: box.encrypt(t.accessToken),
    refreshTokenEnc: box.encrypt(t.refreshToken),
    refreshFp: box.fingerprint(t.refreshToken),
    expiresAt,
  });
  if (!ok) throw new Error('other process lost the swap');
  return { ...t, expiresAt };
}

function storedPair(h: Harness, id: string): { access: string; refresh: string; expiresAt: number | null } {
  const r = h.store.accounts.rows.get(id);
  if (!r?.accessTokenEnc || !r.refreshTokenEnc) throw new Error('no tokens');
  return { access: box.decrypt(r.accessTokenEnc), refresh: box.decrypt(r.refreshTokenEnc), expiresAt: r.expiresAt };
}

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected a rejection');
}

describe('TokenManager.accessToken', () => {
  it('returns a valid token without refreshing, decrypting it once', async () => {
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() + 8 * HOUR);
    let decrypts = 0;
    const counting: SecretBox = {
      ...box,
      decrypt: (b) => {
        decrypts++;
        return box.decrypt(b);
      },
    };
    const tm = h.make({ box: counting });
    for (let i = 0; i < 100; i++) expect(await tm.accessToken(row)).toBe(pair.accessToken);
    expect(decrypts).toBe(1);
    expect(h.refreshCalls()).toBe(0);
    expect(h.store.accounts.reads).toBe(0);
  });

  it('refreshes inside the skew window', async () => {
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() + SKEW);
    const t = await h.tm.accessToken(row);
    expect(t).not.toBe(pair.accessToken);
    expect(fake.isValidAccessToken(t)).toBe(true);
    expect(h.refreshCalls()).toBe(1);
  });

  it('50 concurrent callers on an expired account cause exactly one refresh', async () => {
    fake.options.delayMs = 50;
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() - 1000);
    const before = fake.refreshCalls;
    const tokens = await Promise.all(Array.from({ length: 50 }, () => h.tm.accessToken(row)));
    expect(fake.refreshCalls - before).toBe(1);
    expect(h.refreshCalls()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    const token = tokens[0] as string;
    expect(token).not.toBe(pair.accessToken);
    expect(fake.isValidAccessToken(token)).toBe(true);

    const stored = storedPair(h, row.id);
    expect(stored.access).toBe(token);
    expect(stored.refresh).not.toBe(pair.refreshToken);
    expect(fake.isValidRefreshToken(stored.refresh)).toBe(true);
    expect(h.store.accounts.rows.get(row.id)?.refreshFp).toBe(box.fingerprint(stored.refresh));
    expect(stored.expiresAt).toBe(h.clock.now() + 28_800_000);
    expect(h.emitted).toEqual([
      { name: 'account.refreshed', payload: { accountId: row.id, name: 'work', expiresAt: stored.expiresAt } },
    ]);

    // Callers still holding the old snapshot get the new token without another refresh.
    expect(await h.tm.accessToken(row)).toBe(token);
    expect(h.refreshCalls()).toBe(1);
    expect(h.logs()).not.toContain(token);
    expect(h.logs()).not.toContain(stored.refresh);
  });

  it('uses a pair another process already stored instead of refreshing', async () => {
    const h = harness();
    const { row } = await addMax(h, h.clock.now() - 1000);
    const newer = await otherProcessRefresh(h, row.id, h.clock.now() + 8 * HOUR);
    expect(await h.tm.accessToken(row)).toBe(newer.accessToken);
    expect(h.refreshCalls()).toBe(0);
  });

  it('on a lost compare-and-swap keeps the newer stored pair and never overwrites it', async () => {
    const h = harness();
    const { row } = await addMax(h, h.clock.now() - 1000);
    let newer: TokenSet | null = null;
    // Our refresh is answered, but another process (e.g. a re-login) stores a pair first.
    const racing: typeof refreshToken = async (e, rt, now) => {
      const ours = await refreshToken(e, rt, now);
      const fresh = fake.seedAccount();
      newer = { ...fresh, expiresAt: now + 8 * HOUR };
      await h.store.accounts.update(row.id, {
        accessTokenEnc: box.encrypt(fresh.accessToken),
        refreshTokenEnc: box.encrypt(fresh.refreshToken),
        refreshFp: box.fingerprint(fresh.refreshToken),
        expiresAt: newer.expiresAt,
      });
      return ours;
    };
    const tm = h.make({ refresh: racing });
    const token = await tm.accessToken(row);
    const expected = newer as TokenSet | null;
    expect(token).toBe(expected?.accessToken);
    expect(storedPair(h, row.id).access).toBe(expected?.accessToken);
    expect(storedPair(h, row.id).refresh).toBe(expected?.refreshToken);
    expect(h.emitted.filter((e) => e.name === 'account.refreshed')).toHaveLength(0);
    expect(h.logs()).toMatch(/lost a compare-and-swap race/);
  });

  it('two gateway processes sharing the store: one refresh wins, the other adopts its pair', async () => {
    fake.options.delayMs = 30;
    const h = harness({ reauthGraceMs: 1000 });
    const a = h.make();
    const b = h.make();
    const { row } = await addMax(h, h.clock.now() - 1000);
    const before = fake.refreshCalls;
    const [ta, tb] = await Promise.all([a.accessToken(row), b.accessToken(row)]);
    expect(ta).toBe(tb);
    expect(fake.isValidAccessToken(ta)).toBe(true);
    // Both read the old pair and asked the server; the single-use token let one rotation through,
    // the loser's invalid_grant was resolved by re-reading the winner's pair.
    expect(fake.refreshCalls - before).toBe(2);
    expect(h.logs()).toMatch(/rotated by another process/);
    expect(storedPair(h, row.id).access).toBe(ta);
    expect(h.store.accounts.rows.get(row.id)?.health).toBe('ok');
  });

  it('invalid_grant marks the account needs_reauth, loudly and without secrets, once', async () => {
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() - 1000);
    fake.revokeAll();
    const e = await rejection(h.tm.accessToken(row));
    expect(e.code).toBe('needs_reauth');
    expect(e.message).toContain('ccflare accounts add work --mode max');

    const stored = h.store.accounts.rows.get(row.id);
    expect(stored?.health).toBe('needs_reauth');
    expect(stored?.healthReason).toBe(
      'refresh token rejected (invalid_grant): run `ccflare accounts add work --mode max` again',
    );
    expect(h.emitted).toEqual([
      {
        name: 'account.changed',
        payload: { accountId: row.id, name: 'work', status: 'needs_reauth', reason: stored?.healthReason, until: null },
      },
    ]);
    const logs = h.logs();
    expect(logs).toMatch(/"level":50/);
    expect(logs).toMatch(/NEEDS RE-AUTHENTICATION/);
    expect(logs).not.toContain(pair.refreshToken);
    expect(logs).not.toContain(pair.accessToken);

    // No retry loop: later calls fail without asking the server again.
    const calls = h.refreshCalls();
    await rejection(h.tm.accessToken(row));
    await rejection(h.tm.accessToken(row, { force: true }));
    expect(h.refreshCalls()).toBe(calls);
  });

  it('a re-login clears the rejection: the new row is used', async () => {
    const h = harness();
    const { row } = await addMax(h, h.clock.now() - 1000);
    fake.revokeAll();
    await rejection(h.tm.accessToken(row));
    const fresh = fake.seedAccount();
    await h.store.accounts.update(row.id, {
      health: 'ok',
      healthReason: null,
      accessTokenEnc: box.encrypt(fresh.accessToken),
      refreshTokenEnc: box.encrypt(fresh.refreshToken),
      refreshFp: box.fingerprint(fresh.refreshToken),
      expiresAt: h.clock.now() + 8 * HOUR,
    });
    const relogged = h.store.accounts.rows.get(row.id) as AccountRow;
    expect(await h.tm.accessToken(relogged)).toBe(fresh.accessToken);
  });

  it('invalid_grant after another process rotated the token uses the stored pair', async () => {
    const h = harness();
    const { row } = await addMax(h, h.clock.now() - 1000);
    let newer: TokenSet | null = null;
    // The other process's refresh lands between our read and our (now stale) refresh call.
    const late: typeof refreshToken = async (e, rt, now) => {
      newer = await otherProcessRefresh(h, row.id, now + 8 * HOUR);
      return refreshToken(e, rt, now);
    };
    const tm = h.make({ refresh: late });
    const token = await tm.accessToken(row);
    expect(token).toBe((newer as TokenSet | null)?.accessToken);
    expect(h.store.accounts.rows.get(row.id)?.health).toBe('ok');
    expect(h.emitted).toHaveLength(0);
  });

  it('force refreshes a valid token; concurrent forced calls coalesce', async () => {
    fake.options.delayMs = 30;
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() + 8 * HOUR);
    const tokens = await Promise.all(Array.from({ length: 10 }, () => h.tm.accessToken(row, { force: true })));
    expect(h.refreshCalls()).toBe(1);
    expect(new Set(tokens).size).toBe(1);
    expect(tokens[0]).not.toBe(pair.accessToken);

    // A late 401 for the old token: the replacement already exists, no second refresh.
    expect(await h.tm.accessToken(row, { force: true, rejectedToken: pair.accessToken })).toBe(tokens[0]);
    expect(h.refreshCalls()).toBe(1);
    // Without the hint a forced call refreshes again.
    const again = await h.tm.accessToken(row, { force: true });
    expect(again).not.toBe(tokens[0]);
    expect(h.refreshCalls()).toBe(2);
  });

  it('a transient refresh failure inside the skew window serves the still-valid token', async () => {
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() + 60_000);
    fake.failNext(503);
    expect(await h.tm.accessToken(row)).toBe(pair.accessToken);
    expect(h.logs()).toMatch(/refresh failed; using the current token/);
    expect(h.store.accounts.rows.get(row.id)?.health).toBe('ok');
  });

  it('a transient refresh failure of an expired token is oauth_failed and leaves the account as is', async () => {
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() - 1000);
    fake.failNext(502);
    const e = await rejection(h.tm.accessToken(row));
    expect(e.code).toBe('oauth_failed');
    expect(h.store.accounts.rows.get(row.id)?.health).toBe('ok');
    expect(storedPair(h, row.id).refresh).toBe(pair.refreshToken);
    // The next call tries again (the refresh token was not consumed).
    expect(fake.isValidAccessToken(await h.tm.accessToken(row))).toBe(true);
  });

  it('keeps the refresh token when the server does not rotate it', async () => {
    fake.options.rotate = false;
    const h = harness();
    const { row, pair } = await addMax(h, h.clock.now() - 1000);
    const t = await h.tm.accessToken(row);
    expect(t).not.toBe(pair.accessToken);
    expect(storedPair(h, row.id).refresh).toBe(pair.refreshToken);
    expect(h.store.accounts.rows.get(row.id)?.refreshFp).toBe(box.fingerprint(pair.refreshToken));
  });

  it('a deleted account fails with no_account', async () => {
    const h = harness();
    const { row } = await addMax(h, h.clock.now() - 1000);
    await h.store.accounts.delete(row.id);
    expect((await rejection(h.tm.accessToken(row))).code).toBe('no_account');
  });
});

describe('TokenManager.apiKey', () => {
  it('decrypts once per stored blob and follows changes', async () => {
    const h = harness();
    let decrypts = 0;
    const counting: SecretBox = {
      ...box,
      decrypt: (b) => {
        decrypts++;
        return box.decrypt(b);
      },
    };
    const tm = h.make({ box: counting });
    const row = await h.store.accounts.insert(
      { name: 'key', kind: 'api_key', apiKeyEnc: box.encrypt('sk-ant-api03-one') },
      h.clock.now(),
    );
    expect(tm.apiKey(row)).toBe('sk-ant-api03-one');
    expect(tm.apiKey(row)).toBe('sk-ant-api03-one');
    expect(decrypts).toBe(1);
    const changed = { ...row, apiKeyEnc: box.encrypt('sk-ant-api03-two') };
    expect(tm.apiKey(changed)).toBe('sk-ant-api03-two');
    tm.invalidate(row.id);
    expect(tm.apiKey(changed)).toBe('sk-ant-api03-two');
    expect(decrypts).toBe(3);
    expect(() => tm.apiKey({ ...row, apiKeyEnc: null })).toThrow(GatewayError);
  });
});
