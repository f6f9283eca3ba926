/**
 * OAuth subscription accounts end to end: the real gateway in front of a fake Anthropic API that
 * accepts only bearer tokens the fake OAuth server currently considers valid (and insists on the
 * `oauth-2025-04-20` beta exactly once), so a stale or missing token shows up as a user-visible
 * error rather than as an internal detail.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { api } from '../support/api-request.js';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { errorBody, type FakeUpstream, type RecordedRequest, startFakeUpstream } from '../support/fake-upstream.js';
import { type GatewayOptions, startGateway, type TestGateway } from '../support/gateway.js';
import { parsePrometheus, sampleValue } from '../support/prom-text.js';

const OAUTH_BETA = 'oauth-2025-04-20';
const OTHER_BETA = 'interleaved-thinking-2025-05-14';
const BACKUP_KEY = 'sk-ant-api03-backup-account-key-0123456789';
const CLIENT_KEY = 'sk-ant-api03-client-own-key-9876543210';
const MIN = 60_000;
const HOUR = 60 * MIN;

type Setup = (g: Parameters<NonNullable<GatewayOptions['setup']>>[0], oauth: FakeOAuth) => Promise<void>;

interface Env {
  oauth: FakeOAuth;
  up: FakeUpstream;
  gw: TestGateway;
  /** Plain SDK client (sends no anthropic-beta). */
  client: Anthropic;
  /** SDK client that already sends the OAuth beta among others: the gateway must not duplicate it. */
  betaClient: Anthropic;
}

const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  for (let c = cleanups.pop(); c; c = cleanups.pop()) await c();
});

function bearerOf(r: RecordedRequest): string | null {
  const a = r.headers.authorization;
  return typeof a === 'string' && a.startsWith('Bearer ') ? a.slice(7) : null;
}

function betasOf(r: RecordedRequest): string[] {
  const b = r.headers['anthropic-beta'];
  const joined = Array.isArray(b) ? b.join(',') : (b ?? '');
  return joined
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
}

async function start(setup: Setup, oauthDelayMs = 0, accountPollMs?: number): Promise<Env> {
  const oauth = await startFakeOAuth({ delayMs: oauthDelayMs });
  cleanups.push(() => oauth.close());
  const up = await startFakeUpstream();
  cleanups.push(() => up.close());
  // Like the real API: bearer tokens must be live, OAuth requests need the beta flag, API keys must be known.
  up.setHandler((req) => {
    const bearer = bearerOf(req);
    const key = req.headers['x-api-key'];
    if (bearer !== null && key !== undefined) {
      return { kind: 'json', status: 400, body: errorBody('invalid_request_error', 'both x-api-key and bearer sent') };
    }
    if (key !== undefined) {
      return key === BACKUP_KEY
        ? undefined
        : { kind: 'json', status: 401, body: errorBody('authentication_error', 'invalid x-api-key') };
    }
    if (bearer === null || !oauth.isValidAccessToken(bearer)) {
      return { kind: 'json', status: 401, body: errorBody('authentication_error', 'invalid x-api-key') };
    }
    if (betasOf(req).filter((b) => b === OAUTH_BETA).length !== 1) {
      return {
        kind: 'json',
        status: 400,
        body: errorBody('invalid_request_error', 'OAuth authentication is currently not supported.'),
      };
    }
    return undefined;
  });
  const gw = await startGateway({
    upstreamUrl: up.url,
    env: { CCFLARE_OAUTH_TOKEN_URL: oauth.tokenUrl, CCFLARE_LOG_LEVEL: 'trace' },
    setup: (g) => setup(g, oauth),
    accountPollMs,
    // No other process shares these refresh tokens: a rejection is final at once.
    reauthGraceMs: 0,
  });
  cleanups.push(() => gw.close());
  const client = new Anthropic({ baseURL: gw.url, apiKey: CLIENT_KEY, maxRetries: 0 });
  const betaClient = new Anthropic({
    baseURL: gw.url,
    apiKey: CLIENT_KEY,
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': `${OTHER_BETA},${OAUTH_BETA}` },
  });
  return { oauth, up, gw, client, betaClient };
}

const ask = (c: Anthropic) =>
  c.messages.create({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

/** Raw request (no SDK retries or parsing): status and parsed body. */
async function rawAsk(
  gw: TestGateway,
): Promise<{ status: number; body: { type?: string; error?: { type?: string; message?: string } } }> {
  const res = await request(`${gw.url}/v1/messages`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY, 'anthropic-version': '2023-06-01' },
    body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
  });
  return { status: res.statusCode, body: (await res.body.json()) as never };
}

describe('OAuth accounts: token refresh', () => {
  it('50 parallel requests on an expired token all succeed after exactly one refresh', async () => {
    let seeded = { accessToken: '', refreshToken: '' };
    const { oauth, up, gw, client, betaClient } = await start(async (g, o) => {
      seeded = o.seedAccount();
      await g.addOAuth('max1', { ...seeded, expiresAt: Date.now() - MIN });
    }, 100);
    // The API no longer accepts the stored token: using it would fail with 401.
    oauth.expireAccessTokens();

    const results = await Promise.allSettled(Array.from({ length: 50 }, (_, i) => ask(i % 2 ? betaClient : client)));
    const failed = results.filter((r) => r.status === 'rejected');
    expect(failed.map((r) => String((r as PromiseRejectedResult).reason))).toEqual([]);
    expect(oauth.refreshCalls).toBe(1);

    // Every upstream request carried the one refreshed token, the OAuth beta exactly once, and
    // the client's other betas untouched; no request needed a 401 retry.
    expect(up.requests).toHaveLength(50);
    const bearers = new Set(up.requests.map(bearerOf));
    expect(bearers.size).toBe(1);
    const [token] = bearers;
    expect(token).not.toBe(seeded.accessToken);
    expect(oauth.isValidAccessToken(token as string)).toBe(true);
    for (const r of up.requests) {
      expect(r.headers['x-api-key']).toBeUndefined();
      expect(betasOf(r).filter((b) => b === OAUTH_BETA)).toHaveLength(1);
    }
    expect(up.requests.filter((r) => betasOf(r).includes(OTHER_BETA))).toHaveLength(25);

    const recs = await gw.records(50);
    expect(recs).toHaveLength(50);
    for (const r of recs) expect(r).toMatchObject({ success: true, status: 200, attempts: 1, accountName: 'max1' });
    // The new pair is stored: expiry moved about 8 hours ahead.
    const row = await gw.account('max1');
    expect(row.expiresAt).toBeGreaterThan(Date.now() + 7 * HOUR);
    expect(row.health).toBe('ok');
  });

  it('a request whose client left during its token refresh is never sent upstream', async () => {
    const { oauth, up, gw } = await start(async (g, o) => {
      await g.addOAuth('max1', { ...o.seedAccount(), expiresAt: Date.now() - MIN });
    }, 200);
    const ac = new AbortController();
    const sent = request(`${gw.url}/v1/messages`, {
      method: 'POST',
      signal: ac.signal,
      headers: { 'content-type': 'application/json', 'x-api-key': CLIENT_KEY },
      body: JSON.stringify({ model: 'claude-sonnet-4-6', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] }),
    }).catch((e: unknown) => e);
    await vi.waitFor(() => expect(oauth.requests).toHaveLength(1), { timeout: 5000, interval: 10 });
    ac.abort();
    await sent;

    // The refresh still completes (its new pair is kept for the next request); the abandoned
    // request is recorded as the client's disconnect without costing an upstream call.
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ status: 499, error: 'client disconnected', attempts: 1 });
    expect(oauth.refreshCalls).toBe(1);
    expect(up.requests).toHaveLength(0);
  });

  it('refreshes a token that expires within the refresh skew before using it', async () => {
    let seeded = { accessToken: '', refreshToken: '' };
    const { oauth, up, gw, client } = await start(async (g, o) => {
      seeded = o.seedAccount();
      // Still valid for a minute, but inside the default 5-minute skew.
      await g.addOAuth('max1', { ...seeded, expiresAt: Date.now() + MIN });
    });
    const before = await gw.account('max1');

    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(oauth.refreshCalls).toBe(1);
    expect(oauth.requests.at(-1)).toMatchObject({ grant_type: 'refresh_token', refresh_token: seeded.refreshToken });
    // The request went out with the new token, on the first attempt.
    expect(up.requests).toHaveLength(1);
    const used = bearerOf(up.requests[0] as RecordedRequest);
    expect(used).not.toBe(seeded.accessToken);
    expect(oauth.isValidAccessToken(used as string)).toBe(true);
    const after = await gw.account('max1');
    expect(after.expiresAt).toBeGreaterThan(Date.now() + 7 * HOUR);
    expect(after.refreshFp).not.toBe(before.refreshFp);
    expect(after.accessTokenEnc).not.toBe(before.accessTokenEnc);

    // The next request reuses the new token: no second refresh.
    await ask(client);
    expect(oauth.refreshCalls).toBe(1);
    expect(bearerOf(up.requests[1] as RecordedRequest)).toBe(used);
  });

  it('an upstream 401 on an unexpired token forces one refresh and one retry; the client gets 200', async () => {
    let seeded = { accessToken: '', refreshToken: '' };
    const { oauth, up, gw, client } = await start(async (g, o) => {
      seeded = o.seedAccount();
      await g.addOAuth('max1', { ...seeded, expiresAt: Date.now() + 2 * HOUR });
    });
    // Revoked server-side before its stated expiry (e.g. a logout elsewhere).
    oauth.expireAccessTokens();

    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(oauth.refreshCalls).toBe(1);
    expect(up.requests).toHaveLength(2);
    expect(bearerOf(up.requests[0] as RecordedRequest)).toBe(seeded.accessToken);
    const fresh = bearerOf(up.requests[1] as RecordedRequest);
    expect(fresh).not.toBe(seeded.accessToken);
    expect(oauth.isValidAccessToken(fresh as string)).toBe(true);

    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ success: true, status: 200, attempts: 2, accountName: 'max1' });
    expect(rec?.attemptLog.map((a) => [a.account, a.status])).toEqual([
      ['max1', 401],
      ['max1', 200],
    ]);
    expect((await gw.account('max1')).health).toBe('ok');

    // Following requests use the refreshed token directly.
    await ask(client);
    expect(up.requests).toHaveLength(3);
    expect(bearerOf(up.requests[2] as RecordedRequest)).toBe(fresh);
    expect(oauth.refreshCalls).toBe(1);
  });

  it('50 parallel requests hitting 401 on a revoked token share one forced refresh', async () => {
    let seeded = { accessToken: '', refreshToken: '' };
    const { oauth, up, gw, client } = await start(async (g, o) => {
      seeded = o.seedAccount();
      await g.addOAuth('max1', { ...seeded, expiresAt: Date.now() + 2 * HOUR });
    }, 100);
    oauth.expireAccessTokens();

    const results = await Promise.allSettled(Array.from({ length: 50 }, () => ask(client)));
    const failed = results.filter((r) => r.status === 'rejected');
    const budgetLines = gw.logs.filter((l) => l.includes('retry budget exhausted')).length;
    // The refresh succeeded, so every request can be served with the new token: none may end
    // with the stale token's 401 (e.g. because the retry after the refresh was refused by the
    // retry budget, which is meant for load-related retries).
    expect(
      failed.map((r) => String((r as PromiseRejectedResult).reason).slice(0, 60)),
      `${failed.length} of 50 failed; "retry budget exhausted" logged ${budgetLines} times`,
    ).toEqual([]);
    expect(oauth.refreshCalls).toBe(1);
    // Each request: at most the one rejected try with the old token, then the new token.
    const oldTries = up.requests.filter((r) => bearerOf(r) === seeded.accessToken).length;
    expect(up.requests.length - oldTries).toBe(50);
    expect(new Set(up.requests.filter((r) => bearerOf(r) !== seeded.accessToken).map(bearerOf)).size).toBe(1);
    const recs = await gw.records(50);
    for (const r of recs) expect(r).toMatchObject({ success: true, status: 200 });
  });

  it('a 401 that persists after the forced refresh is returned after one retry, not looped', async () => {
    const { oauth, up, gw, client } = await start(async (g, o) => {
      await g.addOAuth('max1', { ...o.seedAccount(), expiresAt: Date.now() + 2 * HOUR });
    });
    up.setHandler(() => ({ kind: 'json', status: 401, body: errorBody('authentication_error', 'invalid x-api-key') }));

    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.AuthenticationError);
    expect(up.requests).toHaveLength(2);
    expect(oauth.refreshCalls).toBe(1);
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ success: false, status: 401, attempts: 2 });
  });

  it('a rejected refresh token moves traffic to another account and marks the account needs_reauth', async () => {
    const { oauth, up, gw, client } = await start(async (g, o) => {
      await g.addOAuth('max1', { ...o.seedAccount(), expiresAt: Date.now() - MIN }, { priority: 0 });
      await g.addApiKey('backup', BACKUP_KEY, { priority: 5 });
    });
    oauth.revokeAll();

    const msg = await ask(client);
    expect(msg.type).toBe('message');
    expect(oauth.refreshCalls).toBe(1);
    // Served by the API-key account; the OAuth account never reached the API with a dead token.
    expect(up.requests).toHaveLength(1);
    expect(up.requests[0]?.headers['x-api-key']).toBe(BACKUP_KEY);
    expect(up.requests[0]?.headers.authorization).toBeUndefined();

    const row = await gw.account('max1');
    expect(row.health).toBe('needs_reauth');
    expect(row.healthReason).toContain('ccflare accounts add max1');
    const [rec] = await gw.records(1);
    expect(rec).toMatchObject({ success: true, status: 200, accountName: 'backup', attempts: 2 });
    expect(rec?.attemptLog[0]).toMatchObject({ account: 'max1', status: null });
    expect(rec?.attemptLog[0]?.error).toMatch(/re-authentication/);
    expect(gw.logs.some((l) => l.includes('NEEDS RE-AUTHENTICATION') && l.includes('max1'))).toBe(true);

    // Later requests skip it without another refresh attempt (no retry loop on invalid_grant).
    for (let i = 0; i < 3; i++) await ask(client);
    expect(oauth.refreshCalls).toBe(1);
    expect(up.requests.every((r) => r.headers['x-api-key'] === BACKUP_KEY)).toBe(true);
  });

  it('with the OAuth account as the only one, a rejected refresh token yields a 503 asking for re-authentication', async () => {
    const { oauth, up, gw, client } = await start(async (g, o) => {
      await g.addOAuth('solo', { ...o.seedAccount(), expiresAt: Date.now() + 2 * HOUR });
    });
    oauth.revokeAll();

    const r = await rawAsk(gw);
    expect(r.status).toBe(503);
    expect(r.body.type).toBe('error');
    expect(typeof r.body.error?.type).toBe('string');
    expect(r.body.error?.message).toMatch(/re-authenticat/i);
    expect(r.body.error?.message).toContain('solo');
    expect(oauth.refreshCalls).toBe(1);
    // One upstream try with the revoked access token, no second one without a token.
    expect(up.requests).toHaveLength(1);
    expect((await gw.account('solo')).health).toBe('needs_reauth');

    // Once the account list has been re-read, the SDK sees an API error carrying the same
    // explanation; no further refresh is attempted and nothing reaches the API.
    await vi.waitFor(
      async () => {
        const m = parsePrometheus((await api(gw.url, 'GET', '/metrics')).text);
        expect(sampleValue(m, 'ccflare_account_state', { account: 'solo', state: 'needs_reauth' })).toBe(1);
      },
      { timeout: 5000, interval: 20 },
    );
    const err = await ask(client).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(Anthropic.APIError);
    expect((err as InstanceType<typeof Anthropic.APIError>).status).toBe(503);
    expect((err as Error).message).toMatch(/re-authenticat/i);
    expect(oauth.refreshCalls).toBe(1);
    expect(up.requests).toHaveLength(1);
  });

  it('right after an account is found to need re-authentication, its dead token is not sent upstream again', async () => {
    // The gateway's real account poll (1 s): the next request comes before the next poll.
    const { oauth, up, gw } = await start(
      async (g, o) => {
        await g.addOAuth('solo', { ...o.seedAccount(), expiresAt: Date.now() + 2 * HOUR });
      },
      0,
      1000,
    );
    oauth.revokeAll();
    expect((await rawAsk(gw)).status).toBe(503);
    expect(up.requests).toHaveLength(1);

    const again = await rawAsk(gw);
    expect(again.status).toBe(503);
    expect(again.body.error?.message).toMatch(/re-authenticat/i);
    // The gateway itself marked the account needs_reauth a moment ago; sending the revoked
    // access token again only earns another 401 round trip.
    expect(up.requests.map((r) => r.headers.authorization !== undefined)).toEqual([true]);
  });
});

describe('OAuth accounts: secrets at rest and in logs', () => {
  it('never writes access tokens, refresh tokens or API keys in clear to the database or the logs', async () => {
    const { oauth, gw, client, betaClient } = await start(async (g, o) => {
      await g.addOAuth('expired', { ...o.seedAccount(), expiresAt: Date.now() - MIN }, { priority: 0 });
      await g.addOAuth('revoked', { ...o.seedAccount(), expiresAt: Date.now() + HOUR }, { priority: 1 });
      await g.addApiKey('backup', BACKUP_KEY, { priority: 2 });
    });
    oauth.expireAccessTokens();
    // Scheduled refresh of "expired", then (once it is paused) a 401-forced refresh of "revoked".
    for (let i = 0; i < 3; i++) await ask(i % 2 ? client : betaClient);
    expect((await api(gw.url, 'POST', '/api/accounts/expired/pause')).status).toBe(200);
    await ask(client); // "revoked": 401 -> forced refresh -> 200
    // Finally a refresh token rejection on both OAuth accounts: served by the API key.
    oauth.revokeAll();
    await ask(client);
    await gw.settle();
    expect(oauth.refreshCalls).toBeGreaterThanOrEqual(3);

    const secrets = new Set<string>([BACKUP_KEY, CLIENT_KEY]);
    for (const t of oauth.issued) {
      secrets.add(t.accessToken);
      secrets.add(t.refreshToken);
    }
    expect(secrets.size).toBeGreaterThanOrEqual(8);

    // The database, its write-ahead log and the payload segment files (captured headers and bodies).
    // The record journal too: it holds records with their payloads until the database has them.
    const dirs = ['ccflare.db-payloads', 'ccflare.db.journal'];
    const files = readdirSync(gw.home).filter((f) => f.startsWith('ccflare.db') && !dirs.includes(f));
    expect(files).toContain('ccflare.db');
    const segments = dirs.flatMap((d) => readdirSync(join(gw.home, d)).map((f) => join(d, f)));
    expect(segments.length).toBeGreaterThan(0);
    const blobs = [...files, ...segments].map((f) => ({ f, bytes: readFileSync(join(gw.home, f)) }));
    // Sanity: the records and their payloads really are in these bytes (so absence of secrets
    // means something): a request id in the database, the sent prompt in a segment file.
    const rec = (await gw.store.requests.listRecords({ limit: 1 }))[0];
    expect(blobs.some((b) => b.bytes.includes(Buffer.from(rec?.id as string)))).toBe(true);
    expect(blobs.some((b) => b.f.endsWith('.seg') && b.bytes.includes(Buffer.from('"role":"user"')))).toBe(true);
    const logText = gw.logs.join('\n');
    expect(logText).toContain('OAuth access token refreshed');

    const leaks: string[] = [];
    for (const s of secrets) {
      // The random part alone, so a prefix-stripped or re-encoded copy is caught as well.
      const core = s.slice(-24);
      for (const b of blobs) if (b.bytes.includes(Buffer.from(core))) leaks.push(`${b.f}: ${s.slice(0, 14)}...`);
      if (logText.includes(core)) leaks.push(`logs: ${s.slice(0, 14)}...`);
    }
    expect(leaks).toEqual([]);
  });
});
