import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { accountRow } from '../../test/support/account-row.js';
import { type FakeOAuth, oauthEndpoints, startFakeOAuth } from '../../test/support/fake-oauth.js';
import { ManualClock } from '../clock.js';
import { loadConfig } from '../config/config.js';
import { LiveSettings } from '../config/live-settings.js';
import { createSecretBox, type SecretBox } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { createLogger } from '../log/logger.js';
import { thresholdSettingsOf } from '../routing/routing-config.js';
import type { AccountRow } from '../storage/contract/accounts.js';
import type { Store } from '../storage/contract/store.js';
import { openStoreFromUrl } from '../storage/open-store.js';
import { AccountService } from './account-service.js';
import { accountStatus, toAccountView } from './account-status.js';
import type { OAuthEndpoints } from './oauth.js';

const T0 = Date.UTC(2026, 0, 5, 12, 0, 0);
const KEY = 'sk-ant-api03-test-secret-key-AAAAAAAAAAAAAAAAAAAA';

const DEAD_ENDPOINTS: OAuthEndpoints = {
  authorizeUrl: 'http://127.0.0.1:9/authorize',
  consoleAuthorizeUrl: 'http://127.0.0.1:9/console-authorize',
  tokenUrl: 'http://127.0.0.1:9/token',
  clientId: 'client',
  redirectUri: 'http://127.0.0.1:9/callback',
  apiBaseUrl: 'http://127.0.0.1:9',
};

async function expectCode(p: Promise<unknown>, code: string, message?: RegExp): Promise<GatewayError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(GatewayError);
  const g = err as GatewayError;
  expect(g.code).toBe(code);
  if (message) expect(g.message).toMatch(message);
  return g;
}

function secretFields(o: object): string[] {
  return Object.keys(o).filter((k) => /enc$/i.test(k) || k === 'refreshFp');
}

describe('AccountService', () => {
  let store: Store;
  let box: SecretBox;
  let clock: ManualClock;
  let warnings: string[];
  let service: AccountService;

  function make(oauth: OAuthEndpoints): AccountService {
    return new AccountService({ store, box, oauth, clock, onWarning: (m) => warnings.push(m) });
  }

  beforeEach(async () => {
    store = await openStoreFromUrl('sqlite::memory:');
    await store.migrate();
    box = createSecretBox(randomBytes(32));
    clock = new ManualClock(T0);
    warnings = [];
    service = make(DEAD_ENDPOINTS);
  });

  afterEach(async () => {
    await store.close();
  });

  async function row(name: string): Promise<AccountRow> {
    const r = await store.accounts.getByName(name);
    if (!r) throw new Error(`missing ${name}`);
    return r;
  }

  describe('addApiKey', () => {
    it('stores the key encrypted and returns a secret-free view', async () => {
      const view = await service.addApiKey('work', KEY, { priority: 5 });
      expect(view).toMatchObject({ name: 'work', kind: 'api_key', status: 'active', priority: 5, paused: false });
      expect(secretFields(view)).toEqual([]);
      expect(JSON.stringify(view)).not.toContain(KEY);
      const r = await row('work');
      expect(r.apiKeyEnc).not.toBeNull();
      expect(r.apiKeyEnc).not.toContain(KEY);
      expect(box.decrypt(r.apiKeyEnc as string)).toBe(KEY);
      expect(warnings).toEqual([]);
    });

    it('defaults the priority to 0', async () => {
      expect((await service.addApiKey('a', KEY)).priority).toBe(0);
    });

    it('warns, without echoing the key, when the key does not look like an Anthropic key', async () => {
      await service.addApiKey('odd', 'xyz-123');
      expect(warnings).toHaveLength(1);
      expect(warnings[0]).toMatch(/sk-ant-/);
      expect(warnings[0]).not.toContain('xyz-123');
    });

    it.each([[''], ['a'.repeat(65)], ['has space'], ['slash/name'], ['ünïcode']])(
      'rejects the name %j',
      async (name) => {
        await expectCode(service.addApiKey(name, KEY), 'bad_request', /name/);
      },
    );

    it('accepts names of 1 and 64 characters from the allowed set', async () => {
      await service.addApiKey('x', KEY);
      await service.addApiKey(`A.b_c-9${'z'.repeat(57)}`, KEY);
      expect(await service.list()).toHaveLength(2);
    });

    it.each([[''], ['sk-ant-api03 with-space'], ['sk-ant-api03\nnewline']])('rejects the key %j', async (key) => {
      const err = await expectCode(service.addApiKey('k', key), 'bad_request');
      if (key !== '') expect(err.message).not.toContain(key);
    });

    it.each([[-1], [1001], [1.5], [Number.NaN]])('rejects the priority %j', async (priority) => {
      await expectCode(service.addApiKey('p', KEY, { priority }), 'bad_request', /0 to 1000/);
    });

    it('rejects a duplicate name with conflict', async () => {
      await service.addApiKey('dup', KEY);
      await expectCode(service.addApiKey('dup', KEY), 'conflict', /"dup"/);
    });
  });

  describe('changes', () => {
    beforeEach(async () => {
      await service.addApiKey('a', KEY);
    });

    it('reports an unknown account as not_found with its name', async () => {
      for (const op of [
        () => service.remove('nope'),
        () => service.pause('nope'),
        () => service.resume('nope'),
        () => service.rename('nope', 'other'),
        () => service.setPriority('nope', 1),
        () => service.get('nope'),
      ]) {
        await expectCode(op(), 'not_found', /^No account named "nope"$/);
      }
    });

    it('pauses and resumes', async () => {
      expect((await service.pause('a')).status).toBe('paused');
      expect((await row('a')).paused).toBe(true);
      expect((await service.resume('a')).status).toBe('active');
      expect((await row('a')).paused).toBe(false);
    });

    it('resume clears a cooldown, model cooldowns and strikes: a person overrides the back-off', async () => {
      const r = await row('a');
      await store.accounts.update(r.id, {
        cooldownUntil: T0 + 60_000,
        cooldownReason: 'rate_limited',
        modelCooldowns: { opus: T0 + 60_000 },
        strikes: 3,
      });
      expect((await service.get('a')).status).toBe('cooling_down');
      const view = await service.resume('a');
      expect(view.status).toBe('active');
      expect(view.cooldownUntil).toBeNull();
      const after = await row('a');
      expect(after).toMatchObject({ cooldownUntil: null, cooldownReason: null, modelCooldowns: {}, strikes: 0 });
    });

    it('resume re-enables a disabled account but leaves needs_reauth alone', async () => {
      const r = await row('a');
      await store.accounts.update(r.id, { health: 'disabled', healthReason: 'permission denied' });
      expect((await service.resume('a')).status).toBe('active');
      expect(await row('a')).toMatchObject({ health: 'ok', healthReason: null });

      await store.accounts.update(r.id, { health: 'needs_reauth', healthReason: 'invalid_grant' });
      expect((await service.resume('a')).status).toBe('needs_reauth');
    });

    it('renames, refusing a taken or invalid name', async () => {
      await service.addApiKey('b', KEY);
      await expectCode(service.rename('a', 'b'), 'conflict', /"b"/);
      await expectCode(service.rename('a', 'bad name'), 'bad_request');
      const view = await service.rename('a', 'c');
      expect(view.name).toBe('c');
      expect(await store.accounts.getByName('a')).toBeNull();
      expect((await service.rename('c', 'c')).name).toBe('c');
    });

    it('sets the priority within 0..1000', async () => {
      expect((await service.setPriority('a', 1000)).priority).toBe(1000);
      expect((await service.setPriority('a', 0)).priority).toBe(0);
      await expectCode(service.setPriority('a', 1001), 'bad_request');
      await expectCode(service.setPriority('a', -1), 'bad_request');
      await expectCode(service.setPriority('a', 2.5), 'bad_request');
    });

    it('removes', async () => {
      await service.remove('a');
      expect(await service.list()).toEqual([]);
      await expectCode(service.remove('a'), 'not_found');
    });

    it('lists in routing order: priority first', async () => {
      await service.addApiKey('z', KEY, { priority: 0 });
      await service.setPriority('a', 10);
      expect((await service.list()).map((v) => v.name)).toEqual(['z', 'a']);
    });
  });

  describe('per-account quota thresholds', () => {
    let home: string;
    let live: LiveSettings;

    function withSettings(env: Record<string, string> = {}): AccountService {
      const config = loadConfig({ env: { CCFLARE_HOME: home, ...env } });
      live = new LiveSettings({ config, store, logger: createLogger({ level: 'silent', format: 'json' }), clock });
      return new AccountService({
        store,
        box,
        oauth: DEAD_ENDPOINTS,
        clock,
        onWarning: (m) => warnings.push(m),
        settings: live,
      });
    }

    const perAccount = async () => {
      await live.refresh();
      return thresholdSettingsOf(live.current()).perAccount;
    };

    beforeEach(async () => {
      home = mkdtempSync(join(tmpdir(), 'ccflare-accounts-'));
      await service.addApiKey('a', KEY);
      await service.addApiKey('b', KEY);
    });
    afterEach(() => rmSync(home, { recursive: true, force: true }));

    it('a renamed account keeps its thresholds; a new account of the old name has none; a removed one takes them along', async () => {
      const s = withSettings();
      await live.update({ quotaThresholds: '{"perAccount":{"a":{"5h":50},"b":{"7d":80}}}' });
      await s.rename('a', 'c');
      expect(await perAccount()).toEqual({ c: { '5h': 50 }, b: { '7d': 80 } });
      await s.addApiKey('a', KEY);
      expect((await perAccount()).a).toBeUndefined();
      await s.remove('c');
      expect(await perAccount()).toEqual({ b: { '7d': 80 } });
      expect(warnings).toEqual([]);
    });

    it('a rename into a name with a leftover entry does not inherit it, and other leftovers do not block it', async () => {
      const s = withSettings();
      await store.settings.put({ quotaThresholds: '{"perAccount":{"c":{"5h":10},"gone":{"5h":20}}}' }, T0);
      await s.rename('a', 'c');
      expect(await perAccount()).toEqual({ gone: { '5h': 20 } });
    });

    it('leaves thresholds pinned by CCFLARE_QUOTA_THRESHOLDS alone and warns that they name the old account', async () => {
      const s = withSettings({ CCFLARE_QUOTA_THRESHOLDS: '{"perAccount":{"a":{"5h":50}}}' });
      expect((await s.rename('a', 'c')).name).toBe('c');
      expect(await perAccount()).toEqual({ a: { '5h': 50 } });
      expect(await store.settings.get()).toEqual({});
      expect(warnings).toEqual([
        'CCFLARE_QUOTA_THRESHOLDS still sets quota thresholds for "a", not "c": rename the account there too',
      ]);
    });
  });

  describe('OAuth', () => {
    let fake: FakeOAuth;

    beforeEach(async () => {
      fake = await startFakeOAuth();
      service = make(oauthEndpoints(fake));
    });

    afterEach(async () => {
      await fake.close();
    });

    it('max: stores the encrypted token pair, its fingerprint and expiry', async () => {
      const start = service.beginOAuth('max');
      expect(start.mode).toBe('max');
      expect(new URL(start.url).searchParams.get('state')).toBe(start.state);
      expect(start.url).not.toContain(start.verifier);
      // The fake's authorize page binds the code to the PKCE challenge, so this checks the verifier too.
      const page = await (await fetch(start.url)).text();
      const pasted = /<code id="code">([^<]+)<\/code>/.exec(page)?.[1] ?? '';
      expect(pasted.endsWith(`#${start.state}`)).toBe(true);
      const view = await service.completeOAuth('sub', 'max', pasted, start, { priority: 3 });
      expect(view).toMatchObject({ name: 'sub', kind: 'max', status: 'active', priority: 3 });
      expect(view.tokenExpiresAt).toBeGreaterThan(T0);
      expect(secretFields(view)).toEqual([]);
      const r = await row('sub');
      const access = box.decrypt(r.accessTokenEnc as string);
      const refresh = box.decrypt(r.refreshTokenEnc as string);
      expect(access).not.toBe('');
      expect(r.refreshFp).toBe(box.fingerprint(refresh));
      expect(r.expiresAt).toBe(view.tokenExpiresAt);
      expect(r.apiKeyEnc).toBeNull();
      expect(JSON.stringify(view)).not.toContain(access);
      expect(JSON.stringify(view)).not.toContain(refresh);
    });

    it('console: exchanges, mints an API key and stores it as the credential', async () => {
      const start = service.beginOAuth('console');
      expect(new URL(start.url).pathname).toBe('/oauth/authorize');
      const view = await service.completeOAuth('con', 'console', `good-c#${start.state}`, start);
      expect(view.kind).toBe('console');
      const r = await row('con');
      expect(fake.mintedKeys).toHaveLength(1);
      expect(box.decrypt(r.apiKeyEnc as string)).toBe(fake.mintedKeys[0]);
      expect(JSON.stringify(view)).not.toContain(fake.mintedKeys[0]);
      expect(r.accessTokenEnc).toBeNull();
      expect(r.refreshTokenEnc).toBeNull();
    });

    it('refuses a pasted state that does not match, without exchanging the code', async () => {
      const start = service.beginOAuth('max');
      await expect(service.completeOAuth('x', 'max', 'code#wrong-state', start)).rejects.toThrow(/state/i);
      expect(fake.exchangeCalls).toBe(0);
      expect(await store.accounts.getByName('x')).toBeNull();
    });

    it('checks the name before spending the single-use code', async () => {
      await service.addApiKey('taken', KEY);
      const start = service.beginOAuth('max');
      await expectCode(service.completeOAuth('taken', 'max', `good-c#${start.state}`, start), 'conflict');
      expect(fake.exchangeCalls).toBe(0);
    });

    it('signing in again to an account that needs re-auth replaces its tokens and makes it active', async () => {
      const first = service.beginOAuth('max');
      await service.completeOAuth('sub', 'max', `good-a#${first.state}`, first, { priority: 4 });
      const before = await row('sub');
      // Its requests failed on the rejected credentials a moment ago.
      const failed = { at: clock.now() - 1000, status: null, error: 'Account "sub" needs re-authentication' };
      await store.accounts.update(before.id, {
        health: 'needs_reauth',
        healthReason: 'refresh token rejected',
        recentErrors: [failed, failed],
        strikes: 2,
      });
      const again = service.beginOAuth('max');
      const view = await service.completeOAuth('sub', 'max', `good-b#${again.state}`, again);
      // Active at once, not "failing: … needs re-authentication" for the next five minutes.
      expect(view).toMatchObject({ name: 'sub', status: 'active', statusReason: null, priority: 4, recentErrors: [] });
      const after = await row('sub');
      expect(after.id).toBe(before.id);
      expect(after.refreshFp).not.toBe(before.refreshFp);
      expect(after.healthReason).toBeNull();
    });
  });
});

describe('account-status', () => {
  const base = accountRow('a', {
    id: 'id1',
    kind: 'max',
    apiKeyEnc: 'v1:enc-api',
    accessTokenEnc: 'v1:enc-access',
    refreshTokenEnc: 'v1:enc-refresh',
    refreshFp: 'fp-secret',
    expiresAt: T0 + 1000,
    createdAt: T0 - 1000,
    requestCount: 4,
    sessionRequestCount: 1,
  });
  const cooling = { cooldownUntil: T0 + 5000, cooldownReason: 'rate_limited' };

  it.each<[Partial<AccountRow>, string]>([
    [{}, 'active'],
    [{ cooldownUntil: T0 - 1, cooldownReason: 'old' }, 'active'],
    [{ cooldownUntil: T0, cooldownReason: 'ends now' }, 'active'],
    [cooling, 'cooling_down'],
    [{ ...cooling, paused: true }, 'paused'],
    [{ ...cooling, paused: true, health: 'needs_reauth' }, 'needs_reauth'],
    [{ ...cooling, paused: true, health: 'disabled' }, 'disabled'],
  ])('%j -> %s', (patch, status) => {
    expect(accountStatus({ ...base, ...patch }, T0).status).toBe(status);
  });

  it('gives the cooldown reason and end while cooling down', () => {
    expect(accountStatus({ ...base, ...cooling }, T0)).toEqual({
      status: 'cooling_down',
      reason: 'rate_limited',
      until: T0 + 5000,
    });
  });

  it('gives the health reason for needs_reauth and disabled', () => {
    expect(accountStatus({ ...base, health: 'needs_reauth', healthReason: 'invalid_grant' }, T0)).toEqual({
      status: 'needs_reauth',
      reason: 'invalid_grant',
      until: null,
    });
    expect(accountStatus({ ...base, health: 'disabled', healthReason: null }, T0).reason).not.toBeNull();
  });

  it('the view carries no credential field or value', () => {
    const view = toAccountView({ ...base, ...cooling }, T0);
    expect(secretFields(view)).toEqual([]);
    const json = JSON.stringify(view);
    for (const secret of ['enc-api', 'enc-access', 'enc-refresh', 'fp-secret']) expect(json).not.toContain(secret);
    expect(view).toMatchObject({
      status: 'cooling_down',
      statusReason: 'rate_limited',
      cooldownUntil: T0 + 5000,
      tokenExpiresAt: T0 + 1000,
      requestCount: 4,
      sessionRequestCount: 1,
    });
  });

  it('drops an expired cooldown from the view', () => {
    expect(toAccountView({ ...base, cooldownUntil: T0 - 1 }, T0).cooldownUntil).toBeNull();
  });
});
