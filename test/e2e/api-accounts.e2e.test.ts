/**
 * `/api/accounts` against a running gateway, the management API called in process (the proxied
 * requests that check the changes go over sockets): listing seeded accounts (status, cooldown,
 * rate-limit windows), adding by key, the OAuth PKCE flow against the fake OAuth server, and the
 * account actions. Every response is parsed with its shared zod schema; no response ever carries a
 * credential; every change reaches the proxy at once (the account poll is set to a minute here).
 */
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  type Account,
  AccountListSchema,
  AccountSchema,
  OAuthInitResponseSchema,
} from '../../src/shared/accounts-schemas.js';
import { ErrorResponseSchema, OkSchema } from '../../src/shared/api-schemas.js';
import type { RateLimitState } from '../../src/storage/contract/accounts.js';
import { api } from '../support/api-request.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const KEY_ALPHA = 'sk-ant-api03-accounts-e2e-alpha-000000000';
const KEY_NEW = 'sk-ant-api03-accounts-e2e-newkey-11111111';
const HOUR = 3_600_000;
const NOW = Date.now();
const RATE_LIMIT: RateLimitState = {
  observedAt: NOW - 1000,
  status: 'allowed_warning',
  resetAt: NOW + 2 * HOUR,
  fiveHour: { status: 'allowed_warning', utilization: 0.82, resetAt: NOW + 2 * HOUR },
  sevenDay: { status: 'allowed', utilization: 0.31, resetAt: NOW + 72 * HOUR },
  representativeClaim: 'five_hour',
};

let oauth: FakeOAuth;
let up: FakeUpstream;
let gw: TestGateway;
/** Every secret the test knows of, to prove none ever appears in an API response. */
const secrets: string[] = [KEY_ALPHA, KEY_NEW];
const bodies: string[] = [];

async function call(method: string, path: string, body?: unknown) {
  const r = await api(gw.server.api, method, `/api/accounts${path}`, body);
  bodies.push(r.text);
  return r;
}

/** The API key the upstream saw on a proxied request, or null when the gateway answered itself. */
async function proxiedKey(): Promise<string | null> {
  const before = up.requests.length;
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'client', 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'hi' }] }),
  });
  await res.body.text();
  const seen = up.requests.slice(before).at(-1);
  const key = seen?.headers['x-api-key'] ?? seen?.headers.authorization;
  return typeof key === 'string' ? key : null;
}

function expectError(r: { status: number; json: unknown }, status: number, message: RegExp): void {
  expect(r.status).toBe(status);
  const e = ErrorResponseSchema.parse(r.json);
  expect(e.error.message).toMatch(message);
}

/** Follows the authorize URL like a browser and returns what the page asks to paste. */
async function pastedCode(authorizeUrl: string): Promise<string> {
  const page = await (await fetch(authorizeUrl)).text();
  const m = /<code id="code">([^<]+)<\/code>/.exec(page);
  if (!m?.[1]) throw new Error('no code on the authorize page');
  return m[1];
}

beforeAll(async () => {
  oauth = await startFakeOAuth();
  up = await startFakeUpstream();
  const seeded = oauth.seedAccount();
  secrets.push(seeded.accessToken, seeded.refreshToken);
  gw = await startGateway({
    upstreamUrl: up.url,
    // A minute: anything seen sooner than that came from the API's own reload, not the poll.
    accountPollMs: 60_000,
    env: {
      CCFLARE_OAUTH_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_CONSOLE_AUTHORIZE_URL: oauth.authorizeUrl,
      CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl,
      CCFLARE_OAUTH_REDIRECT_URI: oauth.redirectUri,
    },
    setup: async (g) => {
      await g.addApiKey('alpha', KEY_ALPHA, { priority: 1, rateLimit: RATE_LIMIT });
      await g.addOAuth(
        'beta',
        { ...seeded, expiresAt: NOW + 8 * HOUR },
        { priority: 2, cooldownUntil: NOW + HOUR, cooldownReason: 'rate limited (5h window)' },
      );
      await g.addApiKey('gamma', 'sk-ant-api03-gamma-key-2222222222', { priority: 3, paused: true });
      await g.addApiKey('delta', 'sk-ant-api03-delta-key-3333333333', {
        priority: 4,
        health: 'disabled',
        healthReason: 'invalid API key',
      });
      await g.addOAuth(
        'eps',
        { accessToken: 'sk-ant-oat01-stale', refreshToken: 'sk-ant-ort01-stale', expiresAt: NOW - HOUR },
        { priority: 5, health: 'needs_reauth' },
      );
    },
  });
  secrets.push('sk-ant-api03-gamma-key-2222222222', 'sk-ant-api03-delta-key-3333333333', 'sk-ant-oat01-stale');
});

afterAll(async () => {
  await gw?.close();
  await up?.close();
  await oauth?.close();
  const all = bodies.join('\n');
  for (const s of [...secrets, ...oauth.issued.flatMap((p) => [p.accessToken, p.refreshToken]), ...oauth.mintedKeys]) {
    expect(all).not.toContain(s);
  }
});

describe('GET /api/accounts', () => {
  it('lists every account with status, cooldown and rate-limit windows, by priority', async () => {
    const r = await call('GET', '');
    expect(r.status).toBe(200);
    const list = AccountListSchema.parse(r.json);
    expect(list.map((a) => [a.name, a.kind, a.status])).toEqual([
      ['alpha', 'api_key', 'active'],
      ['beta', 'max', 'cooling_down'],
      ['gamma', 'api_key', 'paused'],
      ['delta', 'api_key', 'disabled'],
      ['eps', 'max', 'needs_reauth'],
    ]);
    const [alpha, beta, , delta] = list as [Account, Account, Account, Account];
    expect(alpha.rateLimit).toEqual(RATE_LIMIT);
    expect(alpha.rateLimit?.fiveHour?.utilization).toBe(0.82);
    expect(alpha.rateLimit?.representativeClaim).toBe('five_hour');
    expect(beta).toMatchObject({
      cooldownUntil: NOW + HOUR,
      statusReason: 'rate limited (5h window)',
      tokenExpiresAt: NOW + 8 * HOUR,
    });
    expect(delta.statusReason).toBe('invalid API key');
    // The view is built field by field: nothing credential-like, encrypted or not.
    expect(r.text).not.toMatch(/Enc|refreshFp|apiKey|accessToken|refreshToken/);
  });

  it('returns one account, 404 for an unknown name', async () => {
    const r = await call('GET', '/beta');
    expect(AccountSchema.parse(r.json).name).toBe('beta');
    expectError(await call('GET', '/nobody'), 404, /No account named "nobody"/);
  });
});

describe('POST /api/accounts (add by API key)', () => {
  it('adds an account that serves the very next request', async () => {
    const r = await call('POST', '', { name: 'fresh', apiKey: KEY_NEW, priority: 0 });
    expect(r.status).toBe(201);
    const a = AccountSchema.parse(r.json);
    expect(a).toMatchObject({ name: 'fresh', kind: 'api_key', status: 'active', priority: 0, rateLimit: null });
    expect(await proxiedKey()).toBe(KEY_NEW);
    expect((await gw.account('fresh')).apiKeyEnc).not.toContain(KEY_NEW);
  });

  it('refuses bad input with 400 naming the field, and a taken name with 409', async () => {
    expectError(await call('POST', '', { name: 'bad name', apiKey: 'k' }), 400, /name: use 1-64 characters/);
    expectError(await call('POST', '', { name: 'x' }), 400, /apiKey/);
    expectError(await call('POST', '', { name: 'x', apiKey: 'k', priority: 5000 }), 400, /priority/);
    expectError(await call('POST', '', { name: 'x', apiKey: 'k', extra: 1 }), 400, /extra/);
    expectError(await call('POST', '', { name: 'x', apiKey: 'has space' }), 400, /API key contains whitespace/);
    expectError(await call('POST', '', '{not json'), 400, /Malformed JSON/);
    expectError(await call('POST', '', { name: 'alpha', apiKey: 'sk-ant-api03-zzz' }), 409, /"alpha" already exists/);
    expect((await gw.store.accounts.list()).map((a) => a.name)).not.toContain('x');
  });
});

describe('OAuth login through the API', () => {
  it('init returns an authorize URL and a flow id, never the PKCE verifier; callback adds the account', async () => {
    const init = await call('POST', '/oauth/init', { mode: 'max', name: 'sub', priority: 7 });
    expect(init.status).toBe(200);
    const flow = OAuthInitResponseSchema.parse(init.json);
    expect(flow.reauthenticate).toBe(false);
    expect(flow.expiresAt).toBeGreaterThan(Date.now() + 9 * 60_000);
    const url = new URL(flow.authorizeUrl);
    expect(`${url.origin}${url.pathname}`).toBe(oauth.authorizeUrl);
    expect(url.searchParams.get('code_challenge_method')).toBe('S256');
    expect(Object.keys(init.json).sort()).toEqual(['authorizeUrl', 'expiresAt', 'flowId', 'reauthenticate']);

    const exchangesBefore = oauth.exchangeCalls;
    const code = await pastedCode(flow.authorizeUrl);
    const done = await call('POST', '/oauth/callback', { flowId: flow.flowId, code });
    expect(done.status).toBe(200);
    const a = AccountSchema.parse(done.json);
    expect(a).toMatchObject({ name: 'sub', kind: 'max', status: 'active', priority: 7 });
    expect(a.tokenExpiresAt).toBeGreaterThan(Date.now());
    // The fake server checked the verifier against the challenge of the authorize URL.
    expect(oauth.exchangeCalls).toBe(exchangesBefore + 1);
    const verifier = oauth.requests.at(-1)?.code_verifier;
    expect(typeof verifier).toBe('string');
    expect(init.text + done.text).not.toContain(verifier as string);

    // Single use: the flow is gone.
    expectError(await call('POST', '/oauth/callback', { flowId: flow.flowId, code }), 404, /No pending OAuth login/);
  });

  it('keeps the flow open after a mistyped paste, so the right code still works', async () => {
    const flow = OAuthInitResponseSchema.parse((await call('POST', '/oauth/init', { name: 'sub2', priority: 8 })).json);
    const code = await pastedCode(flow.authorizeUrl);
    const [c] = code.split('#');
    expectError(
      await call('POST', '/oauth/callback', { flowId: flow.flowId, code: `${c}#not-the-state` }),
      400,
      /state mismatch/,
    );
    const ok = await call('POST', '/oauth/callback', { flowId: flow.flowId, code });
    expect(AccountSchema.parse(ok.json)).toMatchObject({ name: 'sub2', kind: 'max' });
  });

  it('console mode mints an API key; signing in again repairs a needs_reauth account', async () => {
    const flow = OAuthInitResponseSchema.parse(
      (await call('POST', '/oauth/init', { mode: 'console', name: 'con', priority: 9 })).json,
    );
    const con = await call('POST', '/oauth/callback', {
      flowId: flow.flowId,
      code: await pastedCode(flow.authorizeUrl),
    });
    expect(AccountSchema.parse(con.json)).toMatchObject({ name: 'con', kind: 'console', status: 'active' });

    const again = OAuthInitResponseSchema.parse((await call('POST', '/oauth/init', { mode: 'max', name: 'eps' })).json);
    expect(again.reauthenticate).toBe(true);
    const fixed = await call('POST', '/oauth/callback', {
      flowId: again.flowId,
      code: await pastedCode(again.authorizeUrl),
    });
    expect(AccountSchema.parse(fixed.json)).toMatchObject({ name: 'eps', status: 'active', statusReason: null });
  });

  it('refuses bad input, a name of another kind, and unknown flows', async () => {
    expectError(await call('POST', '/oauth/init', { mode: 'team', name: 'z' }), 400, /mode/);
    expectError(await call('POST', '/oauth/init', { mode: 'max' }), 400, /name/);
    expectError(await call('POST', '/oauth/init', { mode: 'max', name: 'alpha' }), 409, /already exists as an api_key/);
    expectError(await call('POST', '/oauth/callback', { code: 'a#b' }), 400, /flowId/);
    expectError(await call('POST', '/oauth/callback', { flowId: 'nope', code: 'a#b' }), 404, /No pending OAuth login/);
  });
});

describe('account actions', () => {
  it('pause moves traffic away at once; resume makes the account usable at once', async () => {
    expect(await proxiedKey()).toBe(KEY_NEW);
    const paused = await call('POST', '/fresh/pause');
    expect(AccountSchema.parse(paused.json)).toMatchObject({ name: 'fresh', status: 'paused', paused: true });
    expect(await proxiedKey()).toBe(KEY_ALPHA);
    const resumed = await call('POST', '/fresh/resume');
    expect(AccountSchema.parse(resumed.json)).toMatchObject({ status: 'active', paused: false });
    // alpha now holds the session window; with it paused, fresh is next.
    await call('POST', '/alpha/pause');
    expect(await proxiedKey()).toBe(KEY_NEW);
    await call('POST', '/alpha/resume');
  });

  it('resume lifts a cooldown and a disabled state', async () => {
    expect(AccountSchema.parse((await call('POST', '/beta/resume')).json)).toMatchObject({
      status: 'active',
      cooldownUntil: null,
    });
    expect(AccountSchema.parse((await call('POST', '/delta/resume')).json).status).toBe('active');
  });

  it('rename and priority', async () => {
    const renamed = await call('POST', '/gamma/rename', { newName: 'gamma-2' });
    expect(AccountSchema.parse(renamed.json).name).toBe('gamma-2');
    expect(await gw.store.accounts.getByName('gamma')).toBeNull();
    expectError(await call('POST', '/gamma-2/rename', { newName: 'alpha' }), 409, /"alpha" already exists/);
    expectError(await call('POST', '/gamma-2/rename', { newName: 'no/slash' }), 400, /newName/);
    expectError(await call('POST', '/gamma-2/rename', {}), 400, /newName/);

    const prio = await call('POST', '/alpha/priority', { priority: 0 });
    expect(AccountSchema.parse(prio.json).priority).toBe(0);
    await call('POST', '/fresh/priority', { priority: 10 });
    const order = AccountListSchema.parse((await call('GET', '')).json).map((a) => a.name);
    expect(order.indexOf('alpha')).toBeLessThan(order.indexOf('fresh'));
    expect(order.at(-1)).toBe('fresh');
    expectError(await call('POST', '/alpha/priority', { priority: -1 }), 400, /priority/);
    expectError(await call('POST', '/alpha/priority', { priority: 1.5 }), 400, /priority/);
  });

  it('remove stops using the account at once', async () => {
    const r = await call('DELETE', '/alpha');
    expect(OkSchema.parse(r.json)).toEqual({ ok: true });
    expect(await gw.store.accounts.getByName('alpha')).toBeNull();
    expect(await proxiedKey()).not.toBe(KEY_ALPHA);
    expectError(await call('DELETE', '/alpha'), 404, /No account named "alpha"/);
  });

  it('answers 404 for every action on an unknown account', async () => {
    for (const [method, path, body] of [
      ['POST', '/ghost/pause', undefined],
      ['POST', '/ghost/resume', undefined],
      ['POST', '/ghost/rename', { newName: 'g2' }],
      ['POST', '/ghost/priority', { priority: 1 }],
      ['DELETE', '/ghost', undefined],
    ] as const) {
      expectError(await call(method, path, body), 404, /No account named "ghost"/);
    }
  });

  it('lists what the actions did', async () => {
    const list = AccountListSchema.parse((await call('GET', '')).json);
    expect(list.map((a) => a.name).sort()).toEqual(['beta', 'con', 'delta', 'eps', 'fresh', 'gamma-2', 'sub', 'sub2']);
  });

  it('logs each change once, naming the account', async () => {
    const { lines } = (await api(gw.server.api, 'GET', '/api/logs')).json as {
      lines: { msg: string; fields?: Record<string, unknown> }[];
    };
    const changes = lines
      .filter((l) => l.msg.startsWith('account ') && l.fields?.account !== undefined)
      .map((l) => `${l.msg}: ${String(l.fields?.account)}`);
    for (const line of [
      'account paused: fresh',
      'account resumed: fresh',
      'account renamed: gamma-2',
      'account priority changed: alpha',
      'account removed: alpha',
    ]) {
      expect(changes).toContain(line);
    }
    expect(changes.filter((l) => l === 'account renamed: gamma-2')).toHaveLength(1);
  });
});
