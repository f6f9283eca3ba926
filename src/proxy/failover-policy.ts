/**
 * The failover policy of one request: after a failed attempt, retry the same account, move to the
 * next one, remember a per-minute-limited API key to come back to once no other account is left,
 * or stop and answer (protocol.md section 4: the table's "retry same account" and "try next
 * account" columns, and the rules under it: one deadline for all attempts, accounts already tried
 * excluded, a retry budget). Pure: `classify.ts` reads a failure into a `FailureDecision`; the
 * proxy handler owns sockets, timers, credentials and the store, books each step on its
 * per-request state (which this module only reads) and executes it.
 */
import type { FailureDecision } from './classify.js';

/** What one request has used up so far; the handler's per-request context is one. */
export interface FailoverState {
  /** `performance.now()` by which response headers must have arrived: one deadline for all attempts. */
  readonly deadline: number;
  /** Attempts started so far, on all accounts. */
  readonly attempts: number;
  /** `CCFLARE_MAX_ATTEMPTS`: attempts allowed for the request. */
  readonly maxAttempts: number;
  /** Accounts that had their one retry on the same account (the retry after a forced refresh is one); null until one had. */
  readonly retriedSame: ReadonlySet<string> | null;
  /** Accounts that had their one forced token refresh; null until one had. */
  readonly refreshed: ReadonlySet<string> | null;
  /** The access token an upstream 401 rejected, until the next attempt has its credentials (the forced refresh). */
  readonly rejectedToken: string | null;
  /** The upstream path of the request. */
  readonly path: string;
  /**
   * The longest one attempt may wait for response headers (`CCFLARE_ATTEMPT_TIMEOUT_MS`), or the
   * whole deadline for a non-streaming Messages call, whose headers come only with its whole answer.
   */
  readonly attemptCapMs: number;
}

export type StopReason =
  /** Answer with the last upstream answer (passed through) or the last gateway error. */
  | 'answer'
  /** A token refused on an endpoint other than Messages: passed through, the account untouched. */
  | 'refused_on_endpoint'
  /** The deadline is spent: answer 504. */
  | 'deadline'
  /** `CCFLARE_MAX_ATTEMPTS` attempts were made: answer with the last one. */
  | 'max_attempts';

export type Step =
  /** The same account after `waitMs`; `refresh`: with a forced token refresh past the rejected one. */
  | { readonly type: 'retry_same'; readonly waitMs: number; readonly refresh: boolean }
  /** Exclude this account, pick the next. */
  | { readonly type: 'next_account' }
  /** Exclude this account, pick the next; once none is left, come back to it `waitMs` from now. */
  | { readonly type: 'wait_for'; readonly waitMs: number }
  | Stop;

export interface Stop {
  readonly type: 'stop';
  readonly reason: StopReason;
}

export const NEXT_ACCOUNT: Step = Object.freeze({ type: 'next_account' });
export const STOP_ANSWER: Stop = Object.freeze({ type: 'stop', reason: 'answer' });
export const STOP_REFUSED: Stop = Object.freeze({ type: 'stop', reason: 'refused_on_endpoint' });
export const STOP_DEADLINE: Stop = Object.freeze({ type: 'stop', reason: 'deadline' });
export const STOP_MAX_ATTEMPTS: Stop = Object.freeze({ type: 'stop', reason: 'max_attempts' });
const RETRY_REFRESHED: Step = Object.freeze({ type: 'retry_same', waitMs: 0, refresh: true });

/** Before an attempt (and before any wait for an account): null to go on, else the stop. */
export function beforeAttempt(s: FailoverState, now: number): Stop | null {
  if (s.attempts >= s.maxAttempts) return STOP_MAX_ATTEMPTS;
  if (now >= s.deadline) return STOP_DEADLINE;
  return null;
}

/**
 * How long an attempt sent at `now` may wait for response headers: its cap, or what is left of
 * the one deadline at that moment if that is less, taken after any wait (backoff, per-minute
 * limit) and credential refresh, so none of them pushes the deadline back. The cap keeps one hung
 * account from spending the whole deadline while others could answer (protocol.md section 4:
 * a timeout before headers fails over). Rounded up to whole ms (the timer's unit), at least 1 ms.
 */
export function attemptTimeoutMs(s: FailoverState, now: number): number {
  return Math.max(1, Math.ceil(Math.min(s.deadline - now, s.attemptCapMs)));
}

/**
 * No other account is left: come back to the remembered per-minute-limited one when it frees up
 * within the deadline (`readyInMs` <= 0: it is ready now).
 */
export function comeBack(readyInMs: number, s: FailoverState, now: number): boolean {
  return readyInMs <= 0 || readyInMs < s.deadline - now;
}

/**
 * Whether the attempt about to start counts against the retry budget: a second attempt on an
 * account this request already used (a retry of the same account, or coming back to a
 * per-minute-limited one), except the retry right after a forced token refresh (about
 * credentials, not load). `untriedAccount`: the attempt goes to an account this request has not
 * used and whose state is usable (the selection only offers those). Failing over to it is not a
 * retry storm: each account has its own limits, the number of accounts and
 * `CCFLARE_MAX_ATTEMPTS` bound it, and refusing it answered clients 429/529 while a healthy
 * account sat unused.
 */
export function countsAsRetry(s: FailoverState, untriedAccount: boolean): boolean {
  return s.attempts > 0 && !untriedAccount && s.rejectedToken === null;
}

/** Envoy's retry budget: retries in progress at most 20% of the requests in flight, minimum 3. */
export function retryBudgetLeft(retriesActive: number, inFlight: number): boolean {
  return retriesActive < Math.max(3, Math.floor(inFlight * 0.2));
}

/**
 * The step after a failed attempt on `accountId` (an upstream error answer, a network error, or
 * credentials that could not be had). `now` is `performance.now()`; after an attempt's headers
 * timeout it is the deadline (that timeout is the rest of the deadline).
 */
export function nextStep(d: FailureDecision, accountId: string, s: FailoverState, now: number): Step {
  const step = stepAfter(d, accountId, s, now);
  // After the last allowed attempt, stop now: a step with a wait would sleep (a backoff, a
  // per-minute limit) only for the next attempt to be refused.
  return step.type !== 'stop' && s.attempts >= s.maxAttempts ? STOP_MAX_ATTEMPTS : step;
}

function stepAfter(d: FailureDecision, accountId: string, s: FailoverState, now: number): Step {
  if (d.kind === 'network' || d.kind === 'aborted') {
    // No answer to pass through: once the deadline is spent, it is the answer.
    if (now >= s.deadline) return STOP_DEADLINE;
  } else if (d.effect.type === 'refresh') {
    // One forced refresh and one retry per account (protocol.md section 4, 401 row); a second 401
    // moves on to the next account.
    if (!has(s.refreshed, accountId)) return RETRY_REFRESHED;
    return d.nextAccount ? NEXT_ACCOUNT : STOP_ANSWER;
  } else if (d.effect.type === 'disable' && !isMessagesPath(s.path)) {
    // Subscription tokens may be refused on endpoints such as /v1/models (protocol.md section 1):
    // that says nothing about the account.
    return STOP_REFUSED;
  }
  if (d.retrySame && !has(s.retriedSame, accountId)) {
    const wait = d.retryAfterMs ?? 0;
    // Per-minute limits: prefer another account now, come back only if none is left.
    if (d.effect.type === 'cooldown' && d.nextAccount) return { type: 'wait_for', waitMs: wait };
    if (wait < s.deadline - now) return { type: 'retry_same', waitMs: wait, refresh: false };
  }
  return d.nextAccount ? NEXT_ACCOUNT : STOP_ANSWER;
}

function has(set: ReadonlySet<string> | null, id: string): boolean {
  return set?.has(id) === true;
}

function isMessagesPath(path: string): boolean {
  return path.includes('/v1/messages');
}
