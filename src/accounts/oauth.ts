/**
 * Claude OAuth (authorization code + PKCE, RFC 7636) as Claude Code performs it; constants and
 * rules in shared/reference/protocol.md section 2. Messages never include a token, code or
 * verifier: only HTTP status and the server's error code.
 */
import { createHash, randomBytes } from 'node:crypto';
import { GatewayError } from '../errors.js';

export interface OAuthEndpoints {
  authorizeUrl: string;
  consoleAuthorizeUrl: string;
  tokenUrl: string;
  clientId: string;
  redirectUri: string;
  /** Upstream API base, for minting console API keys. */
  apiBaseUrl: string;
  /** Whole-request timeout, ms (default 15 s). */
  timeoutMs?: number;
}

export type OAuthMode = 'max' | 'console';

export const OAUTH_SCOPES = 'org:create_api_key user:profile user:inference user:sessions:claude_code';
export const DEFAULT_OAUTH_TIMEOUT_MS = 15_000;
const CREATE_API_KEY_PATH = '/api/oauth/claude_cli/create_api_key';
/** Bound on server-provided error text quoted in messages. */
const MAX_ERROR_TEXT = 200;

export interface Authorization {
  url: string;
  verifier: string;
  state: string;
  mode: OAuthMode;
}

export interface TokenSet {
  accessToken: string;
  refreshToken: string;
  /** Unix ms. */
  expiresAt: number;
}

/** Builds the authorize URL with a fresh PKCE verifier (S256) and an independent `state`. */
export function startAuthorization(ep: OAuthEndpoints, mode: OAuthMode): Authorization {
  const verifier = randomBytes(32).toString('base64url');
  const challenge = createHash('sha256').update(verifier).digest('base64url');
  // state is separate from the verifier: state is echoed in the pasted code and the URL, the
  // verifier must only ever travel to the token endpoint (RFC 7636 section 4).
  const state = randomBytes(32).toString('base64url');
  const url = new URL(mode === 'console' ? ep.consoleAuthorizeUrl : ep.authorizeUrl);
  const q = url.searchParams;
  q.set('code', 'true');
  q.set('client_id', ep.clientId);
  q.set('response_type', 'code');
  q.set('redirect_uri', ep.redirectUri);
  q.set('scope', OAUTH_SCOPES);
  q.set('code_challenge', challenge);
  q.set('code_challenge_method', 'S256');
  q.set('state', state);
  return { url: url.toString(), verifier, state, mode };
}

/**
 * Extracts the authorization code from what the user pasted: `code#state` (the manual flow's
 * callback page), a bare code, or the full callback URL (`...?code=...&state=...`).
 */
export function parsePastedCode(input: string, expectedState: string): string {
  const text = (input ?? '').trim();
  if (text === '') throw new GatewayError('bad_request', 'No authorization code was pasted');

  let code: string;
  let state: string | null;
  if (/^https?:\/\//i.test(text)) {
    let url: URL;
    try {
      url = new URL(text);
    } catch {
      throw new GatewayError('bad_request', 'The pasted callback URL is not a valid URL');
    }
    code = url.searchParams.get('code') ?? '';
    state = url.searchParams.get('state') ?? (url.hash.length > 1 ? url.hash.slice(1) : null);
  } else {
    const hash = text.indexOf('#');
    code = hash === -1 ? text : text.slice(0, hash);
    state = hash === -1 ? null : text.slice(hash + 1);
  }
  code = code.trim();
  if (code === '' || /\s/.test(code)) {
    throw new GatewayError(
      'bad_request',
      'The pasted text does not contain an authorization code (expected code#state)',
    );
  }
  // A bare code is accepted: PKCE already binds it to this attempt's verifier.
  if (state !== null && state.trim() !== expectedState) {
    throw new GatewayError(
      'bad_request',
      'The pasted code belongs to a different login attempt (state mismatch); open the new login URL and paste its code',
    );
  }
  return code;
}

/** Exchanges an authorization code (protocol.md section 2, "Exchange"). */
export async function exchangeCode(
  ep: OAuthEndpoints,
  args: { code: string; state: string; verifier: string },
  now: number,
): Promise<TokenSet> {
  const res = await postJson(
    ep,
    ep.tokenUrl,
    {
      grant_type: 'authorization_code',
      code: args.code,
      state: args.state,
      client_id: ep.clientId,
      redirect_uri: ep.redirectUri,
      code_verifier: args.verifier,
    },
    'code exchange',
  );
  if (res.status !== 200) {
    const why = oauthError(res.body);
    if (why.error === 'invalid_grant') {
      throw new GatewayError(
        'oauth_failed',
        'The authorization code was rejected (invalid_grant): it is expired, already used, or from another login attempt. Start the login again.',
      );
    }
    throw failure('code exchange', res.status, why);
  }
  return tokenSet(res.body, null, now, 'code exchange');
}

/**
 * Refreshes an access token. Refresh tokens rotate and are single-use; when the response omits
 * a new one the old one stays valid and is returned (protocol.md section 2, "Refresh").
 */
export async function refreshToken(ep: OAuthEndpoints, refreshToken: string, now: number): Promise<TokenSet> {
  const res = await postJson(
    ep,
    ep.tokenUrl,
    { grant_type: 'refresh_token', refresh_token: refreshToken, client_id: ep.clientId },
    'token refresh',
  );
  if (res.status !== 200) {
    const why = oauthError(res.body);
    // RFC 6749 section 5.2: invalid_grant = the refresh token is invalid, expired or revoked.
    if (why.error === 'invalid_grant' && res.status >= 400 && res.status < 500) {
      throw new GatewayError(
        'needs_reauth',
        'The refresh token was rejected (invalid_grant): the account must log in again',
      );
    }
    throw failure('token refresh', res.status, why);
  }
  return tokenSet(res.body, refreshToken, now, 'token refresh');
}

/** Console mode: mints a long-lived API key with the console OAuth access token. */
export async function createConsoleApiKey(ep: OAuthEndpoints, accessToken: string): Promise<string> {
  const url = `${ep.apiBaseUrl.replace(/\/+$/, '')}${CREATE_API_KEY_PATH}`;
  const res = await postJson(ep, url, null, 'API key creation', { authorization: `Bearer ${accessToken}` });
  if (res.status !== 200) throw failure('API key creation', res.status, oauthError(res.body));
  const key = isRecord(res.body) ? res.body.raw_key : undefined;
  if (typeof key !== 'string' || key === '') {
    throw new GatewayError('oauth_failed', 'API key creation failed: the response has no raw_key');
  }
  return key;
}

interface JsonResponse {
  status: number;
  /** Parsed JSON, or undefined when the body was empty or not JSON. */
  body: unknown;
}

async function postJson(
  ep: OAuthEndpoints,
  url: string,
  payload: Record<string, unknown> | null,
  what: string,
  headers: Record<string, string> = {},
): Promise<JsonResponse> {
  const timeout = ep.timeoutMs ?? DEFAULT_OAUTH_TIMEOUT_MS;
  let status: number;
  let text: string;
  try {
    // Loaded on the first OAuth call, not by every command (cli/startup.test.ts).
    const { request } = await import('undici');
    const res = await request(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json', ...headers },
      body: payload === null ? undefined : JSON.stringify(payload),
      signal: AbortSignal.timeout(timeout),
      headersTimeout: timeout,
      bodyTimeout: timeout,
    });
    status = res.statusCode;
    text = await res.body.text();
  } catch (err) {
    const e = err as { name?: string; code?: string; message?: string };
    const timedOut =
      e.name === 'TimeoutError' || e.code === 'UND_ERR_HEADERS_TIMEOUT' || e.code === 'UND_ERR_BODY_TIMEOUT';
    const reason = timedOut ? `timed out after ${timeout} ms` : `${e.code ?? e.name ?? 'error'}: ${e.message ?? ''}`;
    throw new GatewayError('oauth_failed', `OAuth ${what} failed: ${host(url)} unreachable (${reason})`, {
      cause: err,
    });
  }
  try {
    return { status, body: JSON.parse(text) as unknown };
  } catch {
    return { status, body: undefined };
  }
}

function tokenSet(body: unknown, fallbackRefresh: string | null, now: number, what: string): TokenSet {
  if (!isRecord(body)) {
    throw new GatewayError('oauth_failed', `OAuth ${what} failed: status 200 with a body that is not JSON`);
  }
  const access = body.access_token;
  const refresh =
    typeof body.refresh_token === 'string' && body.refresh_token !== '' ? body.refresh_token : fallbackRefresh;
  const expiresIn = typeof body.expires_in === 'string' ? Number(body.expires_in) : body.expires_in;
  if (typeof access !== 'string' || access === '') {
    throw new GatewayError('oauth_failed', `OAuth ${what} failed: the response has no access_token`);
  }
  if (refresh === null) {
    throw new GatewayError('oauth_failed', `OAuth ${what} failed: the response has no refresh_token`);
  }
  if (typeof expiresIn !== 'number' || !Number.isFinite(expiresIn) || expiresIn <= 0) {
    throw new GatewayError('oauth_failed', `OAuth ${what} failed: the response has no valid expires_in`);
  }
  return { accessToken: access, refreshToken: refresh, expiresAt: now + Math.floor(expiresIn * 1000) };
}

interface OAuthErrorInfo {
  error: string | null;
  description: string | null;
}

/** RFC 6749 section 5.2 error body, or Anthropic's `{"error":{"type","message"}}` shape. */
function oauthError(body: unknown): OAuthErrorInfo {
  if (!isRecord(body)) return { error: null, description: null };
  const e = body.error;
  if (typeof e === 'string') {
    return { error: e, description: typeof body.error_description === 'string' ? body.error_description : null };
  }
  if (isRecord(e)) {
    return {
      error: typeof e.type === 'string' ? e.type : null,
      description: typeof e.message === 'string' ? e.message : null,
    };
  }
  return { error: null, description: null };
}

function failure(what: string, status: number, why: OAuthErrorInfo): GatewayError {
  const detail = [why.error, why.description === null ? null : clean(why.description)].filter(Boolean).join(': ');
  return new GatewayError('oauth_failed', `OAuth ${what} failed: HTTP ${status}${detail ? ` (${detail})` : ''}`);
}

/** Server-provided text, bounded and with anything token-shaped removed. */
function clean(s: string): string {
  const t = s.replace(/sk-ant-[\w-]+/g, '[redacted]').replace(/\s+/g, ' ');
  return t.length > MAX_ERROR_TEXT ? `${t.slice(0, MAX_ERROR_TEXT)}...` : t;
}

function host(url: string): string {
  try {
    return new URL(url).host;
  } catch {
    return 'token endpoint';
  }
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
