/**
 * What a failed upstream attempt says: may the same account be retried, may the next one be
 * tried, and what happens to the account (protocol.md section 4, one branch per table row). Pure:
 * `failover-policy.ts` turns a decision into the request's next step (it owns the once-per-account
 * limits and the deadline); the proxy handler owns the loop and the store.
 *
 * `retrySame` and `nextAccount` both set: retry this account first (after `retryAfterMs`),
 * otherwise fail over. Neither set: pass the upstream answer through to the client. `effect` is
 * what to record on the account; a cooldown steers other requests and does not forbid this
 * request's own `retrySame`.
 */

import { modelFamilyKey } from '../pricing/model-family.js';
import type { AccountKind } from '../storage/contract/accounts.js';
import { type HeaderBag, headerValue, parseResetTime, rejectedWindows } from './rate-limit-headers.js';

export { modelFamilyKey } from '../pricing/model-family.js';

export type FailureKind =
  | 'rate_limited_window'
  | 'rate_limited_model'
  | 'bare_429'
  | 'api_key_rate_limit'
  | 'credits'
  | 'auth_expired'
  | 'auth_invalid'
  | 'forbidden'
  | 'client_error'
  | 'server_error'
  | 'overloaded'
  | 'network'
  | 'aborted'
  | 'credentials'
  | 'stream_error';

export type FailureEffect =
  | { type: 'none' }
  | { type: 'cooldown'; until: number; reason: string }
  /** `modelKey` is `modelFamilyKey(model)`, the key of `AccountRow.modelCooldowns`. */
  | { type: 'model_cooldown'; modelKey: string; until: number; reason: string }
  /**
   * OAuth: force one token refresh, then retry once (`failover-policy.ts`); `invalid_grant` on
   * refresh means needs re-auth. Nothing is written on the account row, so after a mid-stream
   * `authentication_error` it waits for the next request's own 401.
   */
  | { type: 'refresh' }
  | { type: 'disable'; reason: string }
  | { type: 'flag'; reason: string };

export interface FailureDecision {
  kind: FailureKind;
  retrySame: boolean;
  /** Wait before `retrySame`; null = no wait (or no retry). */
  retryAfterMs: number | null;
  nextAccount: boolean;
  effect: FailureEffect;
  /** One line for logs and the attempt log. */
  message: string;
}

/**
 * Every tunable of the classification. No setting reaches them: the proxy always classifies with
 * `CLASSIFY_DEFAULTS`; the `policy` argument of each classifier overrides them per call (tests).
 */
export interface ClassifyPolicy {
  /** Random extra added to window cooldowns so accounts do not all come back in the same second. */
  jitterMaxMs: number;
  /** No cooldown reaches further than this from now. */
  maxCooldownMs: number;
  /** Cooldown when a window is rejected without a usable reset; doubles per strike... */
  defaultCooldownMs: number;
  /** ...up to this (the shortest subscription window). */
  defaultCooldownCapMs: number;
  /** API-key per-minute limit with neither retry-after nor reset headers. */
  minuteCooldownMs: number;
  backoffBaseMs: number;
  backoffCapMs: number;
  /** 529 is global; a short cooldown only spreads load, it must not bench accounts. 0 = none. */
  overloadedCooldownMs: number;
  /** `rate_limit_error` inside a stream: no headers say when it ends. */
  streamRateLimitCooldownMs: number;
  /** retry-after on a 5xx/529 is honoured up to this; beyond it the normal backoff applies. */
  maxServerRetryAfterMs: number;
}

export const CLASSIFY_DEFAULTS: Readonly<ClassifyPolicy> = Object.freeze({
  jitterMaxMs: 30_000,
  maxCooldownMs: 7 * 24 * 3_600_000,
  defaultCooldownMs: 5 * 60_000,
  defaultCooldownCapMs: 5 * 3_600_000,
  minuteCooldownMs: 60_000,
  backoffBaseMs: 250,
  backoffCapMs: 4_000,
  // Overload is global (protocol.md section 4): benching accounts for it only turns a brief
  // overload into a gateway-wide 503. Backoff and failover handle it; a `policy` of > 0 cools down anyway.
  overloadedCooldownMs: 0,
  streamRateLimitCooldownMs: 60_000,
  maxServerRetryAfterMs: 60_000,
});

export interface FailureInput {
  status: number;
  headers: HeaderBag;
  /** Upstream error body; may be non-JSON (HTML from an edge, empty). */
  body: string;
  accountKind: AccountKind;
  now: number;
  /** 0-based attempt number on this account, for the backoff. */
  attempt: number;
  /** `AccountRow.strikes`: consecutive rate-limit strikes; grows cooldowns without a known reset. */
  strikes?: number;
  /** Requested model; needed for model-scoped cooldowns. */
  model?: string | null;
  policy?: Partial<ClassifyPolicy>;
  /** [0, 1) source for jitter; Math.random by default. */
  random?: () => number;
}

const MESSAGE_MAX = 300;

/** `error.type` and `error.message` of an Anthropic error body; the raw text when it is not JSON. */
export function parseErrorBody(body: string): { type: string | null; message: string } {
  const trimmed = body.trim();
  if (trimmed.startsWith('{')) {
    try {
      const j: unknown = JSON.parse(trimmed);
      if (typeof j === 'object' && j !== null) {
        const e = (j as { error?: unknown }).error;
        if (typeof e === 'object' && e !== null) {
          const { type, message } = e as { type?: unknown; message?: unknown };
          return {
            type: typeof type === 'string' ? type : null,
            message: typeof message === 'string' ? message : '',
          };
        }
        const m = (j as { message?: unknown }).message;
        if (typeof m === 'string') return { type: null, message: m };
      }
    } catch {
      // Not JSON after all: fall through to the raw text.
    }
  }
  return { type: null, message: trimmed.length > MESSAGE_MAX ? trimmed.slice(0, MESSAGE_MAX) : trimmed };
}

/** Exponential backoff with equal jitter: in [d/2, d] where d = min(cap, base * 2^attempt). */
export function backoffMs(
  attempt: number,
  policy: Partial<ClassifyPolicy> = {},
  random: () => number = Math.random,
): number {
  const base = policy.backoffBaseMs ?? CLASSIFY_DEFAULTS.backoffBaseMs;
  const cap = policy.backoffCapMs ?? CLASSIFY_DEFAULTS.backoffCapMs;
  const d = Math.min(cap, base * 2 ** Math.min(Math.max(attempt, 0), 30));
  return Math.round(d / 2 + (random() * d) / 2);
}

/** `retry-after-ms` (SDK extension) or `retry-after` (seconds or an HTTP date), in ms. */
export function retryAfterMs(headers: HeaderBag, now: number): number | null {
  const ms = headerValue(headers, 'retry-after-ms');
  if (ms !== undefined) {
    const n = Number(ms);
    if (Number.isFinite(n) && n >= 0) return Math.round(n);
  }
  const ra = headerValue(headers, 'retry-after');
  if (ra === undefined || ra.trim() === '') return null;
  const s = Number(ra);
  if (Number.isFinite(s)) return s >= 0 ? Math.round(s * 1000) : null;
  const t = Date.parse(ra);
  return Number.isNaN(t) ? null : Math.max(0, t - now);
}

// protocol.md section 4: "429/400 about credits, spend limit, 'extra usage'".
const CREDITS_RE =
  /credit balance|out of credits|out_of_credits|spend(?:ing)? limit|extra usage|insufficient (?:credit|fund)|specified API usage limit/i;
const USAGE_LIMIT_RE = /usage limit/i;
const ORG_DISABLED_RE = /organization has been disabled|organization is disabled/i;

const MINUTE_HEADERS = [
  'anthropic-ratelimit-requests-remaining',
  'anthropic-ratelimit-tokens-remaining',
  'anthropic-ratelimit-input-tokens-remaining',
  'anthropic-ratelimit-output-tokens-remaining',
  'anthropic-ratelimit-requests-limit',
  'anthropic-ratelimit-tokens-limit',
  'anthropic-ratelimit-input-tokens-limit',
  'anthropic-ratelimit-output-tokens-limit',
];
const MINUTE_LIMIT_NAMES = ['requests', 'tokens', 'input-tokens', 'output-tokens'];

function clip(s: string): string {
  return s.length > MESSAGE_MAX ? `${s.slice(0, MESSAGE_MAX)}…` : s;
}

function describe(status: number, label: string, upstream: string): string {
  return upstream === '' ? `${status} ${label}` : `${status} ${label}: ${clip(upstream)}`;
}

class Ctx {
  readonly p: ClassifyPolicy;
  readonly random: () => number;
  constructor(
    readonly now: number,
    policy: Partial<ClassifyPolicy> | undefined,
    random: (() => number) | undefined,
  ) {
    this.p = policy === undefined ? CLASSIFY_DEFAULTS : { ...CLASSIFY_DEFAULTS, ...policy };
    this.random = random ?? Math.random;
  }

  /** Until the reset (+ jitter) when one is known and ahead; else the default growing with strikes. Capped. */
  cooldownUntil(resetAt: number | null, strikes: number): number {
    const { p, now } = this;
    const jitter = Math.floor(this.random() * p.jitterMaxMs);
    const until =
      resetAt !== null && resetAt > now
        ? resetAt + jitter
        : now +
          Math.min(p.defaultCooldownCapMs, p.defaultCooldownMs * 2 ** Math.min(Math.max(strikes, 0), 30)) +
          jitter;
    return Math.min(until, now + p.maxCooldownMs);
  }
}

function latest(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return a > b ? a : b;
}

/** No retry, no failover: the upstream answer goes to the client as it is. */
function passThrough(kind: FailureKind, effect: FailureEffect, message: string): FailureDecision {
  return { kind, retrySame: false, retryAfterMs: null, nextAccount: false, effect, message };
}

/** The next account, never this one again for this request. */
function failOver(kind: FailureKind, effect: FailureEffect, message: string): FailureDecision {
  return { kind, retrySame: false, retryAfterMs: null, nextAccount: true, effect, message };
}

/** This account once more after `afterMs` (null: right away), then the next account. */
function retryThenFailOver(
  kind: FailureKind,
  afterMs: number | null,
  effect: FailureEffect,
  message: string,
): FailureDecision {
  return { kind, retrySame: true, retryAfterMs: afterMs, nextAccount: true, effect, message };
}

const NONE: FailureEffect = Object.freeze({ type: 'none' });

function isCredits(text: string, headers: HeaderBag): boolean {
  if (CREDITS_RE.test(text)) return true;
  return (
    USAGE_LIMIT_RE.test(text) &&
    headerValue(headers, 'anthropic-ratelimit-unified-overage-disabled-reason') === 'out_of_credits'
  );
}

/** protocol.md section 4: it fails on every account, so neither retry nor failover; the account is flagged. */
function creditsFailure(status: number, text: string): FailureDecision {
  return passThrough(
    'credits',
    { type: 'flag', reason: `credits: ${clip(text)}` },
    describe(status, 'credits or spend limit', text),
  );
}

export function classifyFailure(input: FailureInput): FailureDecision {
  const { status, headers, now } = input;
  const ctx = new Ctx(now, input.policy, input.random);
  const err = parseErrorBody(input.body);
  const text = err.message;
  const strikes = input.strikes ?? 0;

  if (status === 429) return classify429(input, ctx, err.message, strikes);

  if (status === 400 || status === 402) {
    if (ORG_DISABLED_RE.test(text)) {
      return failOver(
        'forbidden',
        { type: 'disable', reason: `organization disabled: ${clip(text)}` },
        describe(status, 'organization disabled', text),
      );
    }
    if (status === 402 || isCredits(text, headers)) return creditsFailure(status, text);
    return passThrough('client_error', NONE, describe(status, err.type ?? 'client error', text));
  }

  if (status === 401) {
    if (input.accountKind === 'max') {
      // Token expired or revoked: one forced refresh and one retry; if the refresh answers
      // invalid_grant the token manager marks the account needs_reauth (protocol.md section 2).
      return retryThenFailOver(
        'auth_expired',
        null,
        { type: 'refresh' },
        describe(status, 'OAuth token rejected', text),
      );
    }
    // API keys (and console accounts, which use a minted API key) cannot be refreshed.
    return failOver(
      'auth_invalid',
      { type: 'disable', reason: 'invalid API key' },
      describe(status, 'invalid API key', text),
    );
  }

  if (status === 403) {
    if (isCredits(text, headers)) return creditsFailure(status, text);
    return failOver(
      'forbidden',
      { type: 'disable', reason: `${err.type ?? 'forbidden'}: ${clip(text)}` },
      describe(status, 'permission denied', text),
    );
  }

  if (status === 529 || (status >= 500 && err.type === 'overloaded_error')) {
    const wait = serverWait(input, ctx);
    const cd = ctx.p.overloadedCooldownMs;
    const effect: FailureEffect = cd > 0 ? { type: 'cooldown', until: now + cd, reason: 'overloaded' } : NONE;
    const message = describe(status, 'overloaded', text);
    return shouldRetry(headers)
      ? retryThenFailOver('overloaded', wait, effect, message)
      : failOver('overloaded', effect, message);
  }

  // 408/409 are retried by the SDK too; 501 is not transient and is passed through.
  if ((status >= 500 && status !== 501) || status === 408 || status === 409) {
    const wait = serverWait(input, ctx);
    const message = describe(status, err.type ?? 'server error', text);
    return shouldRetry(headers)
      ? retryThenFailOver('server_error', wait, NONE, message)
      : failOver('server_error', NONE, message);
  }

  return passThrough('client_error', NONE, describe(status, err.type ?? 'client error', text));
}

/** The SDK obeys `x-should-retry` before any status rule (protocol.md section 3). */
function shouldRetry(headers: HeaderBag): boolean {
  return headerValue(headers, 'x-should-retry') !== 'false';
}

function serverWait(input: FailureInput, ctx: Ctx): number {
  const backoff = backoffMs(input.attempt, ctx.p, ctx.random);
  const ra = retryAfterMs(input.headers, input.now);
  return ra !== null && ra <= ctx.p.maxServerRetryAfterMs && ra > backoff ? ra : backoff;
}

function classify429(input: FailureInput, ctx: Ctx, text: string, strikes: number): FailureDecision {
  const { headers, now } = input;

  // Structured window headers come first: a subscription at its 5h/7d limit may also report
  // overage `out_of_credits`, and that account must still fail over, not stop the request.
  let accountReset: number | null = null;
  let accountRejected: string[] | null = null;
  let modelReset: number | null = null;
  let modelWindow: string | null = null;
  for (const w of rejectedWindows(headers)) {
    if (w.modelScoped) {
      if (modelWindow === null || (w.resetAt !== null && (modelReset === null || w.resetAt > modelReset))) {
        modelWindow = w.window;
        modelReset = w.resetAt;
      }
    } else {
      if (accountRejected === null) accountRejected = [w.window];
      else accountRejected.push(w.window);
      accountReset = latest(accountReset, w.resetAt);
    }
  }
  const unifiedRejected = headerValue(headers, 'anthropic-ratelimit-unified-status') === 'rejected';
  const unifiedReset = parseResetTime(headerValue(headers, 'anthropic-ratelimit-unified-reset'));

  if (accountRejected !== null || (unifiedRejected && modelWindow === null)) {
    const reset = unifiedRejected ? latest(accountReset, unifiedReset) : accountReset;
    const until = ctx.cooldownUntil(reset, strikes);
    const windows = accountRejected?.join('+') ?? 'unified';
    return failOver(
      'rate_limited_window',
      { type: 'cooldown', until, reason: `rate limited (${windows})` },
      `429 rate limited (${windows}) until ${new Date(until).toISOString()}`,
    );
  }

  if (modelWindow !== null) {
    const until = ctx.cooldownUntil(modelReset, strikes);
    const model = input.model ?? null;
    const effect: FailureEffect =
      model === null
        ? NONE
        : { type: 'model_cooldown', modelKey: modelFamilyKey(model), until, reason: `rate limited (${modelWindow})` };
    return failOver(
      'rate_limited_model',
      effect,
      `429 rate limited for ${model ?? 'this model'} (${modelWindow}) until ${new Date(until).toISOString()}`,
    );
  }

  if (isCredits(text, headers)) return creditsFailure(429, text);

  const retryAfter = retryAfterMs(headers, now);
  const minuteHeaders = MINUTE_HEADERS.some((k) => headers[k] !== undefined);
  if (minuteHeaders || (retryAfter !== null && input.accountKind !== 'max')) {
    const until = retryAfter !== null ? now + retryAfter : (minuteReset(headers, now) ?? now + ctx.p.minuteCooldownMs);
    const effect: FailureEffect = {
      type: 'cooldown',
      until: Math.min(until, now + ctx.p.maxCooldownMs),
      reason: 'API rate limit (per minute)',
    };
    const message = describe(429, 'API rate limit', text);
    return retryAfter !== null
      ? retryThenFailOver('api_key_rate_limit', retryAfter, effect, message)
      : failOver('api_key_rate_limit', effect, message);
  }

  // No rate-limit headers: the rejection was about this request, not the account.
  return failOver('bare_429', NONE, describe(429, 'rate limited (no rate-limit headers)', text));
}

/** Earliest reset among exhausted per-minute limits, else among all of them; null if none ahead. */
function minuteReset(headers: HeaderBag, now: number): number | null {
  let exhausted: number | null = null;
  let any: number | null = null;
  for (const name of MINUTE_LIMIT_NAMES) {
    const reset = parseResetTime(headerValue(headers, `anthropic-ratelimit-${name}-reset`));
    if (reset === null || reset <= now) continue;
    if (any === null || reset < any) any = reset;
    if (
      headerValue(headers, `anthropic-ratelimit-${name}-remaining`) === '0' &&
      (exhausted === null || reset < exhausted)
    ) {
      exhausted = reset;
    }
  }
  return exhausted ?? any;
}

/** Connection reset/refused, DNS, timeout before headers: retry with backoff, fail over, leave the account alone. */
/** What the usual socket and undici codes mean, for a person reading the attempt log. */
const NETWORK_TEXT: Readonly<Record<string, string>> = {
  ECONNREFUSED: 'connection refused',
  ECONNRESET: 'connection reset by the upstream',
  EPIPE: 'connection reset by the upstream',
  ENOTFOUND: 'upstream host not found',
  EAI_AGAIN: 'DNS lookup failed',
  ETIMEDOUT: 'connection timed out',
  EHOSTUNREACH: 'upstream host unreachable',
  ENETUNREACH: 'network unreachable',
  UND_ERR_SOCKET: 'the upstream closed the connection',
  UND_ERR_CLOSED: 'the upstream closed the connection',
  UND_ERR_CONNECT_TIMEOUT: 'connect timed out',
  UND_ERR_HEADERS_TIMEOUT: 'no response headers in time',
};

/** undici's errors for a request it will not send as given, before any byte goes out. */
const REQUEST_REFUSED_CODES = new Set([
  'UND_ERR_NOT_SUPPORTED',
  'UND_ERR_INVALID_ARG',
  'UND_ERR_REQ_CONTENT_LENGTH_MISMATCH',
]);

export function classifyNetworkError(
  err: unknown,
  attempt = 0,
  opts: { policy?: Partial<ClassifyPolicy>; random?: () => number } = {},
): FailureDecision {
  const code = errorCode(err);
  const name = err instanceof Error ? err.name : '';
  if (name === 'AbortError') {
    // The caller's own signal: nothing to retry. (The proxy itself never gets here: it checks for
    // a departed client first, and its deadline is a headers timeout, a `network` failure.)
    return passThrough('aborted', NONE, 'aborted');
  }
  if (code !== null && REQUEST_REFUSED_CODES.has(code)) {
    // undici refused to send this request (nothing left the gateway): no account's fault, and
    // every retry would be refused the same way.
    const why = err instanceof Error && err.message !== '' ? err.message : code;
    return passThrough('client_error', NONE, `request not sendable: ${clip(why)}`);
  }
  const known = code === null ? undefined : NETWORK_TEXT[code];
  const detail =
    known !== undefined ? `${known} (${code})` : (code ?? (err instanceof Error ? err.message : String(err)));
  if (code === 'UND_ERR_HEADERS_TIMEOUT') {
    // A hang: the same account again would cost another whole attempt; the next one may answer.
    return failOver('network', NONE, `network error: ${clip(detail)}`);
  }
  return retryThenFailOver(
    'network',
    backoffMs(attempt, opts.policy, opts.random),
    NONE,
    `network error: ${clip(detail)}`,
  );
}

/**
 * The account's credentials could not be had (refresh token rejected; token endpoint failing with
 * no valid token left): nothing was sent, the account is out for this request. No effect: the
 * token manager itself marks an account whose refresh token was rejected (protocol.md section 2).
 */
export function classifyCredentialFailure(message: string): FailureDecision {
  return failOver('credentials', NONE, message);
}

/** `code` of the error or of its cause chain (undici wraps socket errors in `fetch failed`). */
function errorCode(err: unknown): string | null {
  let e: unknown = err;
  for (let depth = 0; depth < 5 && typeof e === 'object' && e !== null; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === 'string') return code;
    e = (e as { cause?: unknown }).cause;
  }
  return null;
}

/**
 * `event: error` after bytes reached the client: nothing can be retried or failed over; only the
 * account is marked for the next request (protocol.md section 4, last row).
 */
export function classifyStreamError(
  errorType: string,
  now: number,
  opts: { policy?: Partial<ClassifyPolicy>; message?: string } = {},
): FailureDecision {
  const p = opts.policy === undefined ? CLASSIFY_DEFAULTS : { ...CLASSIFY_DEFAULTS, ...opts.policy };
  const msg = `stream error ${errorType}${opts.message ? `: ${clip(opts.message)}` : ''}`;
  let effect: FailureEffect = NONE;
  switch (errorType) {
    case 'rate_limit_error':
      effect = { type: 'cooldown', until: now + p.streamRateLimitCooldownMs, reason: 'rate_limit_error in stream' };
      break;
    case 'overloaded_error':
      // Global overload: no cooldown with the defaults, a short one only under a `policy` that asks.
      if (p.overloadedCooldownMs > 0)
        effect = { type: 'cooldown', until: now + p.overloadedCooldownMs, reason: 'overloaded' };
      break;
    case 'authentication_error':
      effect = { type: 'refresh' };
      break;
    case 'permission_error':
      // A flag, not a disable: a mid-stream permission error is too odd to bench the account on.
      effect = { type: 'flag', reason: msg };
      break;
  }
  return passThrough('stream_error', effect, msg);
}
