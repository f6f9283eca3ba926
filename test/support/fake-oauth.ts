/**
 * An in-process stand-in for Anthropic's OAuth server (protocol.md section 2) for tests:
 * authorization-code exchange with PKCE, single-use rotating refresh tokens (reuse -> 400
 * invalid_grant), and the console API-key mint endpoint.
 *
 *   GET  /oauth/authorize                          tiny page showing `code#state` (binds the code to code_challenge)
 *   POST /v1/oauth/token                           authorization_code | refresh_token
 *   POST /api/oauth/claude_cli/create_api_key      bearer access token -> { raw_key }
 */
import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { OAuthEndpoints } from '../../src/accounts/oauth.js';

export interface FakeOAuthOptions {
  /** Seconds, as in `expires_in` (default 28800). */
  expiresIn?: number;
  /** Delay before every token-endpoint answer, ms. */
  delayMs?: number;
  /** When false, refresh responses omit `refresh_token` and the old one stays valid (default true). */
  rotate?: boolean;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
}

export interface FakeOAuth {
  /** Base URL, e.g. http://127.0.0.1:PORT (also usable as apiBaseUrl for console key minting). */
  readonly url: string;
  readonly tokenUrl: string;
  readonly authorizeUrl: string;
  readonly redirectUri: string;
  readonly clientId: string;
  /** Mutable at runtime. */
  readonly options: Required<FakeOAuthOptions>;
  readonly refreshCalls: number;
  readonly exchangeCalls: number;
  /** Every token-endpoint request body, in order. */
  readonly requests: Record<string, unknown>[];
  /** Query parameters of every authorize page hit. */
  readonly authorizeRequests: Record<string, string>[];
  /** API keys minted by create_api_key. */
  readonly mintedKeys: string[];
  /** Every token pair minted (seeded, exchanged or refreshed), in order: for secret-leak checks. */
  readonly issued: TokenPair[];
  /** Accepts `code` once; with `verifierChallenge`, the exchange must present the matching verifier. */
  issueCode(code: string, opts?: { verifierChallenge?: string }): void;
  /** Mints a valid pair as if an account had logged in. */
  seedAccount(): TokenPair;
  isValidAccessToken(token: string): boolean;
  isValidRefreshToken(token: string): boolean;
  /** Every issued access token becomes invalid (refresh tokens still work). */
  expireAccessTokens(): void;
  /** Every access and refresh token becomes invalid. */
  revokeAll(): void;
  /** The next token-endpoint request answers this instead (e.g. 503). */
  failNext(status: number, body?: unknown): void;
  close(): Promise<void>;
}

/** The gateway's OAuth endpoints all pointed at `fake` (console sign-in included), minting keys there too. */
export function oauthEndpoints(fake: FakeOAuth): OAuthEndpoints {
  return {
    authorizeUrl: fake.authorizeUrl,
    consoleAuthorizeUrl: fake.authorizeUrl,
    tokenUrl: fake.tokenUrl,
    clientId: fake.clientId,
    redirectUri: fake.redirectUri,
    apiBaseUrl: fake.url,
  };
}

export const FAKE_CLIENT_ID = '9d1c250a-e61b-44d9-88ed-5944d1962f5e';

export async function startFakeOAuth(opts: FakeOAuthOptions = {}): Promise<FakeOAuth> {
  const options: Required<FakeOAuthOptions> = {
    expiresIn: opts.expiresIn ?? 28_800,
    delayMs: opts.delayMs ?? 0,
    rotate: opts.rotate ?? true,
  };
  /** access token -> expires at (Unix ms). */
  const access = new Map<string, number>();
  const refresh = new Set<string>();
  /** code -> PKCE challenge (null: not checked). */
  const codes = new Map<string, string | null>();
  const usedCodes = new Set<string>();
  const requests: Record<string, unknown>[] = [];
  const authorizeRequests: Record<string, string>[] = [];
  const mintedKeys: string[] = [];
  const issued: TokenPair[] = [];
  const failures: { status: number; body: unknown }[] = [];
  let refreshCalls = 0;
  let exchangeCalls = 0;

  const mint = (): TokenPair & { expiresIn: number } => {
    const accessToken = `sk-ant-oat01-${randomBytes(24).toString('base64url')}`;
    const refreshToken = `sk-ant-ort01-${randomBytes(24).toString('base64url')}`;
    access.set(accessToken, Date.now() + options.expiresIn * 1000);
    refresh.add(refreshToken);
    issued.push({ accessToken, refreshToken });
    return { accessToken, refreshToken, expiresIn: options.expiresIn };
  };

  const invalidGrant = (res: ServerResponse, description: string) =>
    send(res, 400, { error: 'invalid_grant', error_description: description });

  async function token(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const raw = await readBody(req);
    let body: Record<string, unknown>;
    try {
      body = JSON.parse(raw) as Record<string, unknown>;
    } catch {
      return send(res, 400, { error: 'invalid_request', error_description: 'body must be JSON' });
    }
    requests.push(body);
    if (options.delayMs > 0) await new Promise((r) => setTimeout(r, options.delayMs));
    const failure = failures.shift();
    if (failure) return send(res, failure.status, failure.body);
    if (body.client_id !== FAKE_CLIENT_ID) {
      return send(res, 400, { error: 'invalid_client', error_description: 'unknown client_id' });
    }

    if (body.grant_type === 'authorization_code') {
      exchangeCalls++;
      const code = typeof body.code === 'string' ? body.code : '';
      if (usedCodes.has(code)) return invalidGrant(res, 'authorization code already used');
      const known = codes.has(code) || code.startsWith('good-');
      if (!known) return invalidGrant(res, 'unknown authorization code');
      const challenge = codes.get(code) ?? null;
      if (challenge !== null) {
        const verifier = typeof body.code_verifier === 'string' ? body.code_verifier : '';
        if (createHash('sha256').update(verifier).digest('base64url') !== challenge) {
          return invalidGrant(res, 'code_verifier does not match code_challenge');
        }
      }
      usedCodes.add(code);
      codes.delete(code);
      const t = mint();
      return send(res, 200, tokenBody(t, true));
    }

    if (body.grant_type === 'refresh_token') {
      refreshCalls++;
      const rt = typeof body.refresh_token === 'string' ? body.refresh_token : '';
      if (!refresh.has(rt)) return invalidGrant(res, 'refresh token is invalid, expired or already used');
      if (!options.rotate) {
        const t = mint();
        refresh.delete(t.refreshToken);
        return send(res, 200, tokenBody(t, false));
      }
      refresh.delete(rt);
      return send(res, 200, tokenBody(mint(), true));
    }

    return send(res, 400, { error: 'unsupported_grant_type', error_description: String(body.grant_type) });
  }

  const server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake');
    const route = `${req.method} ${url.pathname}`;
    if (route === 'POST /v1/oauth/token') {
      token(req, res).catch((err: unknown) =>
        send(res, 500, { error: 'server_error', error_description: String(err) }),
      );
      return;
    }
    if (route === 'GET /oauth/authorize') {
      const q = Object.fromEntries(url.searchParams);
      authorizeRequests.push(q);
      const code = `good-${randomBytes(12).toString('base64url')}`;
      codes.set(code, q.code_challenge_method === 'S256' && q.code_challenge ? q.code_challenge : null);
      const pasted = `${code}#${q.state ?? ''}`;
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(`<!doctype html><title>Fake authorize</title><p>Paste this code:</p><code id="code">${pasted}</code>\n`);
      return;
    }
    if (route === 'POST /api/oauth/claude_cli/create_api_key') {
      readBody(req).then(
        () => {
          const auth = req.headers.authorization ?? '';
          const bearer = auth.startsWith('Bearer ') ? auth.slice(7) : '';
          if (!fake.isValidAccessToken(bearer)) {
            return send(res, 401, { type: 'error', error: { type: 'authentication_error', message: 'invalid token' } });
          }
          const key = `sk-ant-api03-${randomBytes(24).toString('base64url')}`;
          mintedKeys.push(key);
          send(res, 200, { raw_key: key });
        },
        () => send(res, 400, {}),
      );
      return;
    }
    send(res, 404, { type: 'error', error: { type: 'not_found_error', message: route } });
  });

  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const fake: FakeOAuth = {
    url: base,
    tokenUrl: `${base}/v1/oauth/token`,
    authorizeUrl: `${base}/oauth/authorize`,
    redirectUri: `${base}/oauth/code/callback`,
    clientId: FAKE_CLIENT_ID,
    options,
    get refreshCalls() {
      return refreshCalls;
    },
    get exchangeCalls() {
      return exchangeCalls;
    },
    requests,
    authorizeRequests,
    mintedKeys,
    issued,
    issueCode(code, o) {
      codes.set(code, o?.verifierChallenge ?? null);
      usedCodes.delete(code);
    },
    seedAccount() {
      const { accessToken, refreshToken } = mint();
      return { accessToken, refreshToken };
    },
    isValidAccessToken(t) {
      const exp = access.get(t);
      return exp !== undefined && exp > Date.now();
    },
    isValidRefreshToken(t) {
      return refresh.has(t);
    },
    expireAccessTokens() {
      for (const k of access.keys()) access.set(k, 0);
    },
    revokeAll() {
      access.clear();
      refresh.clear();
    },
    failNext(status, body = { error: 'server_error', error_description: 'injected failure' }) {
      failures.push({ status, body });
    },
    close() {
      server.closeAllConnections();
      return new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
  };
  return fake;
}

function tokenBody(t: TokenPair & { expiresIn: number }, withRefresh: boolean): Record<string, unknown> {
  return {
    token_type: 'Bearer',
    access_token: t.accessToken,
    ...(withRefresh ? { refresh_token: t.refreshToken } : {}),
    expires_in: t.expiresIn,
    scope: 'user:inference user:profile',
  };
}

function readBody(req: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    req.on('error', reject);
  });
}

function send(res: ServerResponse, status: number, body: unknown): void {
  if (res.headersSent) return;
  const text = typeof body === 'string' ? body : JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
  res.end(text);
}
