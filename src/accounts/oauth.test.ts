import { createHash } from 'node:crypto';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { request } from 'undici';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeOAuth, startFakeOAuth } from '../../test/support/fake-oauth.js';
import { GatewayError } from '../errors.js';
import {
  createConsoleApiKey,
  exchangeCode,
  OAUTH_SCOPES,
  type OAuthEndpoints,
  parsePastedCode,
  refreshToken,
  startAuthorization,
} from './oauth.js';

let fake: FakeOAuth;
let ep: OAuthEndpoints;
const NOW = 1_800_000_000_000;

beforeAll(async () => {
  fake = await startFakeOAuth();
  ep = {
    authorizeUrl: fake.authorizeUrl,
    consoleAuthorizeUrl: `${fake.url}/oauth/authorize?console=1`,
    tokenUrl: fake.tokenUrl,
    clientId: fake.clientId,
    redirectUri: fake.redirectUri,
    apiBaseUrl: `${fake.url}/`,
  };
});
afterAll(async () => {
  await fake.close();
});
beforeEach(() => {
  fake.options.delayMs = 0;
  fake.options.rotate = true;
  fake.options.expiresIn = 28_800;
});

async function rejection(p: Promise<unknown>): Promise<GatewayError> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(GatewayError);
    return e as GatewayError;
  }
  throw new Error('expected a rejection');
}

/** Walks the authorize page like a user and returns what they would paste. */
async function authorizeAsUser(url: string): Promise<string> {
  const res = await request(url);
  const html = await res.body.text();
  const m = /<code id="code">([^<]+)<\/code>/.exec(html);
  if (!m?.[1]) throw new Error('no code on the page');
  return m[1];
}

describe('startAuthorization', () => {
  it('builds the authorize URL with PKCE S256 and a separate state', () => {
    const a = startAuthorization(ep, 'max');
    const u = new URL(a.url);
    expect(`${u.origin}${u.pathname}`).toBe(fake.authorizeUrl);
    const q = u.searchParams;
    expect([...q.keys()]).toEqual([
      'code',
      'client_id',
      'response_type',
      'redirect_uri',
      'scope',
      'code_challenge',
      'code_challenge_method',
      'state',
    ]);
    expect(q.get('code')).toBe('true');
    expect(q.get('client_id')).toBe(fake.clientId);
    expect(q.get('response_type')).toBe('code');
    expect(q.get('redirect_uri')).toBe(fake.redirectUri);
    expect(q.get('scope')).toBe(OAUTH_SCOPES);
    expect(q.get('code_challenge_method')).toBe('S256');
    expect(q.get('code_challenge')).toBe(createHash('sha256').update(a.verifier).digest('base64url'));
    expect(q.get('state')).toBe(a.state);
    expect(a.verifier).toMatch(/^[A-Za-z0-9_-]{43}$/);
    expect(a.state).not.toBe(a.verifier);
    expect(a.url).not.toContain(a.verifier);
    expect(a.mode).toBe('max');
  });

  it('uses the console authorize URL in console mode, keeping its own query', () => {
    const a = startAuthorization(ep, 'console');
    const u = new URL(a.url);
    expect(u.searchParams.get('console')).toBe('1');
    expect(u.searchParams.get('state')).toBe(a.state);
    expect(a.mode).toBe('console');
  });

  it('is random per call', () => {
    const a = startAuthorization(ep, 'max');
    const b = startAuthorization(ep, 'max');
    expect(a.verifier).not.toBe(b.verifier);
    expect(a.state).not.toBe(b.state);
  });
});

describe('parsePastedCode', () => {
  it('accepts code#state, trimmed', () => {
    expect(parsePastedCode('  abc123#st-1 \n', 'st-1')).toBe('abc123');
  });

  it('accepts a bare code (PKCE binds it)', () => {
    expect(parsePastedCode('abc123', 'st-1')).toBe('abc123');
  });

  it('accepts the full callback URL', () => {
    expect(parsePastedCode('https://platform.claude.com/oauth/code/callback?code=abc%2B1&state=st-1', 'st-1')).toBe(
      'abc+1',
    );
  });

  it('rejects a state mismatch and empty input with bad_request', () => {
    for (const input of ['abc#other', 'https://x.test/cb?code=abc&state=other']) {
      const e = (() => {
        try {
          parsePastedCode(input, 'st-1');
        } catch (err) {
          return err as GatewayError;
        }
        throw new Error('expected a throw');
      })();
      expect(e.code).toBe('bad_request');
      expect(e.message).toMatch(/state mismatch/);
    }
    expect(() => parsePastedCode('   ', 'st-1')).toThrow(/No authorization code/);
    expect(() => parsePastedCode('#st-1', 'st-1')).toThrow(/does not contain an authorization code/);
    expect(() => parsePastedCode('https://x.test/cb?state=st-1', 'st-1')).toThrow(GatewayError);
  });
});

describe('exchangeCode', () => {
  it('exchanges the code from the authorize page with the matching verifier', async () => {
    const a = startAuthorization(ep, 'max');
    const pasted = await authorizeAsUser(a.url);
    const code = parsePastedCode(pasted, a.state);
    const before = fake.requests.length;
    const t = await exchangeCode(ep, { code, state: a.state, verifier: a.verifier }, NOW);
    expect(t.accessToken).toMatch(/^sk-ant-oat01-/);
    expect(t.refreshToken).toMatch(/^sk-ant-ort01-/);
    expect(t.expiresAt).toBe(NOW + 28_800_000);
    expect(fake.isValidAccessToken(t.accessToken)).toBe(true);
    expect(fake.requests[before]).toEqual({
      grant_type: 'authorization_code',
      code,
      state: a.state,
      client_id: fake.clientId,
      redirect_uri: fake.redirectUri,
      code_verifier: a.verifier,
    });
  });

  it('fails clearly on a wrong verifier or a reused code, without echoing secrets', async () => {
    const a = startAuthorization(ep, 'max');
    const code = parsePastedCode(await authorizeAsUser(a.url), a.state);
    const e1 = await rejection(exchangeCode(ep, { code, state: a.state, verifier: 'wrong-verifier' }, NOW));
    expect(e1.code).toBe('oauth_failed');
    expect(e1.message).toMatch(/invalid_grant/);
    expect(e1.message).not.toContain(code);

    await exchangeCode(ep, { code: 'good-once', state: 's', verifier: 'v' }, NOW);
    const e2 = await rejection(exchangeCode(ep, { code: 'good-once', state: 's', verifier: 'v' }, NOW));
    expect(e2.code).toBe('oauth_failed');
  });
});

describe('refreshToken', () => {
  it('rotates: returns a new pair, the old refresh token is then invalid_grant -> needs_reauth', async () => {
    const seed = fake.seedAccount();
    const before = fake.refreshCalls;
    const t = await refreshToken(ep, seed.refreshToken, NOW);
    expect(fake.refreshCalls).toBe(before + 1);
    expect(t.refreshToken).not.toBe(seed.refreshToken);
    expect(t.accessToken).not.toBe(seed.accessToken);
    expect(t.expiresAt).toBe(NOW + 28_800_000);
    expect(fake.requests.at(-1)).toEqual({
      grant_type: 'refresh_token',
      refresh_token: seed.refreshToken,
      client_id: fake.clientId,
    });

    const e = await rejection(refreshToken(ep, seed.refreshToken, NOW));
    expect(e.code).toBe('needs_reauth');
    expect(e.message).toMatch(/invalid_grant/);
    expect(e.message).not.toContain(seed.refreshToken);
    // The rotated token still works.
    await expect(refreshToken(ep, t.refreshToken, NOW)).resolves.toBeTruthy();
  });

  it('keeps the old refresh token when the response omits one', async () => {
    fake.options.rotate = false;
    const seed = fake.seedAccount();
    const t = await refreshToken(ep, seed.refreshToken, NOW);
    expect(t.refreshToken).toBe(seed.refreshToken);
    expect(t.accessToken).not.toBe(seed.accessToken);
  });

  it('maps 5xx, bad JSON, missing fields and other 4xx to oauth_failed with the status', async () => {
    const seed = fake.seedAccount();
    fake.failNext(503, { error: 'temporarily_unavailable', error_description: `busy ${seed.refreshToken}` });
    const e1 = await rejection(refreshToken(ep, seed.refreshToken, NOW));
    expect(e1.code).toBe('oauth_failed');
    expect(e1.message).toMatch(/HTTP 503/);
    expect(e1.message).toMatch(/temporarily_unavailable/);
    expect(e1.message).not.toContain(seed.refreshToken);

    fake.failNext(200, 'not json {');
    const e2 = await rejection(refreshToken(ep, seed.refreshToken, NOW));
    expect(e2.code).toBe('oauth_failed');
    expect(e2.message).toMatch(/not JSON/);

    fake.failNext(200, { access_token: 'sk-ant-oat01-x', refresh_token: 'sk-ant-ort01-y' });
    expect((await rejection(refreshToken(ep, seed.refreshToken, NOW))).message).toMatch(/expires_in/);

    fake.failNext(404, { error: { type: 'not_found_error', message: 'Not found' } });
    const e4 = await rejection(refreshToken(ep, seed.refreshToken, NOW));
    expect(e4.code).toBe('oauth_failed');
    expect(e4.message).toMatch(/HTTP 404 \(not_found_error: Not found\)/);

    // None of the injected failures consumed the refresh token.
    await expect(refreshToken(ep, seed.refreshToken, NOW)).resolves.toBeTruthy();
  });

  it('maps network errors and timeouts to oauth_failed', async () => {
    const closed = createServer();
    await new Promise<void>((r) => closed.listen(0, '127.0.0.1', r));
    const port = (closed.address() as AddressInfo).port;
    await new Promise<void>((r) => closed.close(() => r()));
    const e1 = await rejection(refreshToken({ ...ep, tokenUrl: `http://127.0.0.1:${port}/t` }, 'sk-ant-ort01-z', NOW));
    expect(e1.code).toBe('oauth_failed');
    expect(e1.message).toMatch(/unreachable/);

    fake.options.delayMs = 500;
    const seed = fake.seedAccount();
    const e2 = await rejection(refreshToken({ ...ep, timeoutMs: 100 }, seed.refreshToken, NOW));
    expect(e2.code).toBe('oauth_failed');
    expect(e2.message).toMatch(/timed out after 100 ms/);
  });
});

describe('createConsoleApiKey', () => {
  it('mints a key with the bearer access token', async () => {
    const seed = fake.seedAccount();
    const key = await createConsoleApiKey(ep, seed.accessToken);
    expect(key).toMatch(/^sk-ant-api03-/);
    expect(fake.mintedKeys).toContain(key);
  });

  it('fails with oauth_failed on a rejected token', async () => {
    const e = await rejection(createConsoleApiKey(ep, 'sk-ant-oat01-bogus'));
    expect(e.code).toBe('oauth_failed');
    expect(e.message).toMatch(/HTTP 401/);
    expect(e.message).not.toContain('bogus');
  });
});
