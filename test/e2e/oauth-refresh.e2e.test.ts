/**
 * OAuth subscription accounts end to end: the real gateway in front of a fake Anthropic API that
 * accepts only bearer tokens the fake OAuth server currently considers valid (and insists on the
 * `oauth-2025-04-20` beta exactly once), so a stale token shows up as a user-visible 401.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import Anthropic from '@anthropic-ai/sdk';
import { request } from 'undici';
import { afterEach, describe, expect, it } from 'vitest';
import { type FakeOAuth, startFakeOAuth } from '../support/fake-oauth.js';
import { errorBody, type FakeUpstream, type RecordedRequest, startFakeUpstream } from '../support/fake-upstream.js';
import { type GatewayOptions, startGateway, type TestGateway } from '../support/gateway.js';

const OAUTH_BETA = 'oauth-2025-04-20';
const BACKUP_KEY = 'sk-ant-api03-backup-account-key-0123456789';
const CLIENT_KEY = 'sk-ant-api03-client-own-key-9876543210';
const MIN = 60_000;
const HOUR = 60 * MIN;

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

async function start(setup: GatewayOptions['setup'], oauthDelayMs = 0): Promise<Env> {
  const oauth = await startFakeOAuth({ delayMs: oauthDelayMs });
  cleanups.push(() => oauth.close());
  const up = await startFakeUpstream();
  cleanups.push(() => up.close());
  // The real API: bearer tokens must be live, OAuth requests need the beta flag, API keys must be known.
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
    setup,
  });
  cleanups.push(() => gw.close());
  const client = new Anthropic({ baseURL: gw.url, apiKey: CLIENT_KEY, maxRetries: 0 });
  const betaClient = new Anthropic({
    baseURL: gw.url,
    apiKey: CLIENT_KEY,
    maxRetries: 0,
    defaultHeaders: { 'anthropic-beta': `interleaved-thinking-2025-05-14,${OAUTH_BETA}` },
  });
  return { oauth, up, gw, client, betaClient };
}

const ask = (c: Anthropic) =>
  c.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 50, messages: [{ role: 'user', content: 'hi' }] });

describe('OAuth token refresh through the gateway', () => {
  it('50 parallel requests on an expired token: all succeed after exactly one refresh', async () => {
    let oauth!: FakeOAuth;
    let seeded = { accessToken: '', refreshToken: '' };
    const env = await start(async (g) => {
      seeded = oauth.seedAccount();
      await g.addOAuth('max1', { ...seeded, expiresAt: Date.now() - MIN });
    }, 100).catch((e) => Promise.reject(e));
    // `start` creates the fake OAuth before running setup; grab it through a second start would
    // be wasteful, so the seeding above reads the variable assigned here first.
    oauth = env.oauth;
    void oauth;
    throw new Error('unreachable');
  });
});
