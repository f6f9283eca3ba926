/**
 * Rate-limit state from Anthropic response headers (protocol.md section 3): the unified
 * subscription headers (observed, undocumented) and the API-key per-minute headers.
 * Header names must be lower-case, as Node and undici deliver them.
 */
import type { RateLimitState } from '../storage/contract/accounts.js';

export type HeaderBag = Record<string, string | string[] | undefined>;

const U = 'anthropic-ratelimit-unified-';
const U_STATUS = `${U}status`;
const U_RESET = `${U}reset`;
const U_CLAIM = `${U}representative-claim`;
const U_OVERAGE_STATUS = `${U}overage-status`;
const U_OVERAGE_REASON = `${U}overage-disabled-reason`;
const U_5H_STATUS = `${U}5h-status`;
const U_5H_UTIL = `${U}5h-utilization`;
const U_5H_RESET = `${U}5h-reset`;
const U_7D_STATUS = `${U}7d-status`;
const U_7D_UTIL = `${U}7d-utilization`;
const U_7D_RESET = `${U}7d-reset`;

/** API-key per-minute limits, `anthropic-ratelimit-<name>-{limit,remaining,reset}`. */
const MINUTE_LIMITS = ['requests', 'tokens', 'input-tokens', 'output-tokens'].map((name) => ({
  limit: `anthropic-ratelimit-${name}-limit`,
  remaining: `anthropic-ratelimit-${name}-remaining`,
  reset: `anthropic-ratelimit-${name}-reset`,
}));

/** Below this fraction of a per-minute limit left, an API key is reported as `allowed_warning`. */
const MINUTE_WARNING_FRACTION = 0.1;

/** First value of a header (Node gives arrays for repeated headers). */
export function headerValue(h: HeaderBag, name: string): string | undefined {
  const v = h[name];
  return typeof v === 'string' ? v : v === undefined ? undefined : v[0];
}

const NUMERIC_RE = /^\s*\d+(?:\.\d+)?\s*$/;

/**
 * A reset time as Unix ms. Unified resets are Unix seconds; per-minute resets are RFC 3339.
 * A number too large to be seconds (past year 5000) is taken as already in ms.
 */
export function parseResetTime(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  if (NUMERIC_RE.test(v)) {
    const n = Number(v);
    return n >= 1e11 ? Math.round(n) : Math.round(n * 1000);
  }
  const t = Date.parse(v);
  return Number.isNaN(t) ? null : t;
}

function num(v: string | undefined): number | null {
  if (v === undefined || v === '') return null;
  const n = Number(v);
  return Number.isFinite(n) ? n : null;
}

function windowOf(h: HeaderBag, statusKey: string, utilKey: string, resetKey: string): RateLimitState['fiveHour'] {
  const status = headerValue(h, statusKey);
  const util = headerValue(h, utilKey);
  const reset = headerValue(h, resetKey);
  if (status === undefined && util === undefined && reset === undefined) return null;
  return { status: status ?? null, utilization: num(util), resetAt: parseResetTime(reset) };
}

/**
 * Rate-limit state seen on a response, or null when it carries no rate-limit headers at all
 * (then the caller keeps the previous state). Runs on every response: fixed keys, no scans.
 */
export function parseRateLimit(headers: HeaderBag, now: number): RateLimitState | null {
  const unifiedStatus = headerValue(headers, U_STATUS);
  const unifiedReset = headerValue(headers, U_RESET);
  const fiveHour = windowOf(headers, U_5H_STATUS, U_5H_UTIL, U_5H_RESET);
  const sevenDay = windowOf(headers, U_7D_STATUS, U_7D_UTIL, U_7D_RESET);
  const claim = headerValue(headers, U_CLAIM);
  const overageStatus = headerValue(headers, U_OVERAGE_STATUS);
  const overageReason = headerValue(headers, U_OVERAGE_REASON);

  let requestsRemaining: number | null = null;
  let tokensRemaining: number | null = null;
  let anyMinute = false;
  let exhausted = false;
  let exhaustedReset: number | null = null;
  let tightest = Number.POSITIVE_INFINITY;
  let tightestReset: number | null = null;
  let earliestReset: number | null = null;
  for (let i = 0; i < MINUTE_LIMITS.length; i++) {
    const keys = MINUTE_LIMITS[i] as (typeof MINUTE_LIMITS)[number];
    const remaining = num(headerValue(headers, keys.remaining));
    const limit = num(headerValue(headers, keys.limit));
    const reset = parseResetTime(headerValue(headers, keys.reset));
    if (remaining === null && limit === null && reset === null) continue;
    anyMinute = true;
    if (i === 0) requestsRemaining = remaining;
    else if (i === 1) tokensRemaining = remaining;
    if (reset !== null && (earliestReset === null || reset < earliestReset)) earliestReset = reset;
    if (remaining !== null && remaining <= 0) {
      exhausted = true;
      if (reset !== null && (exhaustedReset === null || reset > exhaustedReset)) exhaustedReset = reset;
    } else if (remaining !== null && limit !== null && limit > 0 && remaining / limit < tightest) {
      tightest = remaining / limit;
      tightestReset = reset;
    }
  }

  const anyUnified =
    unifiedStatus !== undefined ||
    unifiedReset !== undefined ||
    fiveHour !== null ||
    sevenDay !== null ||
    claim !== undefined ||
    overageStatus !== undefined ||
    overageReason !== undefined;
  if (!anyUnified && !anyMinute) return null;

  let status: string | null = unifiedStatus ?? null;
  let resetAt = parseResetTime(unifiedReset);
  if (resetAt === null && claim !== undefined) {
    resetAt =
      claim === 'five_hour' ? (fiveHour?.resetAt ?? null) : claim === 'seven_day' ? (sevenDay?.resetAt ?? null) : null;
  }
  if (status === null && anyMinute) {
    // API keys have no unified status: derive one from the per-minute limits.
    if (exhausted) {
      status = 'rejected';
      resetAt = exhaustedReset ?? earliestReset;
    } else {
      status = tightest < MINUTE_WARNING_FRACTION ? 'allowed_warning' : 'allowed';
      resetAt ??= tightestReset ?? earliestReset;
    }
  }

  const state: RateLimitState = {
    observedAt: now,
    status,
    resetAt,
    fiveHour,
    sevenDay,
    representativeClaim: claim ?? null,
  };
  if (anyMinute) {
    state.requestsRemaining = requestsRemaining;
    state.tokensRemaining = tokensRemaining;
  }
  if (overageStatus !== undefined || overageReason !== undefined) {
    state.overageStatus = overageStatus ?? null;
    state.overageDisabledReason = overageReason ?? null;
  }
  return state;
}

export interface RejectedWindow {
  /** Header window name: `5h`, `7d`, `7d_oi`, ... */
  window: string;
  /** Windows scoped to a model (`<period>_<scope>`, e.g. `7d_oi`) rather than the whole account. */
  modelScoped: boolean;
  resetAt: number | null;
}

/** Windows of the overall unified status and of overage, which are not rejection windows. */
const NOT_WINDOWS = new Set(['overage', 'fallback']);
const MODEL_SCOPED_RE = /^\d+[a-z]+_/;
const STATUS_SUFFIX = '-status';

/**
 * Every unified window whose `-status` is `rejected`. Scans all headers, so it is meant for 429s,
 * not every response; it finds model-scoped windows whatever their name.
 */
export function rejectedWindows(headers: HeaderBag): RejectedWindow[] {
  const out: RejectedWindow[] = [];
  for (const key in headers) {
    if (!key.startsWith(U) || !key.endsWith(STATUS_SUFFIX) || key.length <= U.length + STATUS_SUFFIX.length) continue;
    const window = key.slice(U.length, key.length - STATUS_SUFFIX.length);
    if (NOT_WINDOWS.has(window)) continue;
    if (headerValue(headers, key)?.trim().toLowerCase() !== 'rejected') continue;
    out.push({
      window,
      modelScoped: MODEL_SCOPED_RE.test(window),
      resetAt: parseResetTime(headerValue(headers, `${U}${window}-reset`)),
    });
  }
  return out;
}

/**
 * A rejected model-scoped window (e.g. `7d_oi`), or null. With several, the one that resets last.
 * Meant for 429s: the caller decides whether account-wide windows were rejected too.
 */
export function modelScopedRejection(headers: HeaderBag): { window: string; resetAt: number | null } | null {
  let best: { window: string; resetAt: number | null } | null = null;
  for (const w of rejectedWindows(headers)) {
    if (!w.modelScoped) continue;
    if (best === null || (w.resetAt !== null && (best.resetAt === null || w.resetAt > best.resetAt))) {
      best = { window: w.window, resetAt: w.resetAt };
    }
  }
  return best;
}
