/**
 * Reads the 5h/7d windows of subscription (OAuth, kind `max`) accounts that serve no traffic, so
 * strategies and the dashboard see every account's utilization, not only the busy ones' (which
 * arrive as `anthropic-ratelimit-unified-*` response headers, proxy/rate-limit-headers.ts).
 *
 * The endpoint is the one Claude Code's `/usage` reads (protocol.md section 3; undocumented,
 * observed): `GET /api/oauth/usage` with `authorization: Bearer <access token>` and
 * `anthropic-beta: oauth-2025-04-20`, answering
 *
 *   { "five_hour":  { "utilization": 33.0, "resets_at": "2026-04-11T07:00:00.528743+00:00" },
 *     "seven_day":  { "utilization": 13.0, "resets_at": "2026-04-17T00:59:59.951713+00:00" },
 *     "seven_day_opus": null, "seven_day_sonnet": { ... }, "extra_usage": { "is_enabled": false } }
 *
 * Utilization is in percent there (a fraction in the headers); a window not started has
 * `resets_at: null`. The endpoint is itself rate limited (429 with an hour's retry-after seen),
 * refuses tokens without the profile scope (setup tokens) and may disappear: every failure keeps
 * the last windows, is logged once per account and kind, and backs that account off.
 */
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { Clock } from '../clock.js';
import { OAUTH_BETA } from '../proxy/headers.js';
import type { AccountRow, RateLimitState, WeeklyFamily } from '../storage/contract/accounts.js';
import type { AccountPool } from './account-pool.js';
import type { TokenManager } from './token-manager.js';

export const USAGE_PATH = '/api/oauth/usage';

/** Longest wait between tries of an account whose usage could not be read. */
const MAX_BACKOFF_MS = 6 * 3_600_000;
/** Each wait between ticks is the interval ± this fraction, so many gateways never poll in step. */
const JITTER = 0.1;
const TIMEOUT_MS = 10_000;

type Window = NonNullable<RateLimitState['fiveHour']>;

interface UsageWindowBody {
  utilization?: unknown;
  resets_at?: unknown;
}

function windowFrom(w: UsageWindowBody | null | undefined): Window | null {
  if (w === null || w === undefined || typeof w !== 'object') return null;
  const pct = typeof w.utilization === 'number' && Number.isFinite(w.utilization) ? w.utilization : null;
  const reset = typeof w.resets_at === 'string' ? Date.parse(w.resets_at) : Number.NaN;
  const utilization = pct === null ? null : pct / 100;
  return {
    // The endpoint gives no status: a full window is what the headers would call rejected.
    status: utilization === null ? null : utilization >= 1 ? 'rejected' : 'allowed',
    utilization,
    resetAt: Number.isNaN(reset) ? null : reset,
  };
}

const FAMILIES: readonly WeeklyFamily[] = ['opus', 'sonnet', 'haiku'];

/**
 * The per-model weekly windows (`seven_day_opus`, `seven_day_sonnet`, `seven_day_haiku`), or
 * undefined when the body names none of them (then the last ones read are kept). A family given
 * as null has no window of its own: left out, so only the account-wide window applies to it.
 */
function familyWindows(b: Record<string, unknown>): RateLimitState['sevenDayByFamily'] {
  let out: RateLimitState['sevenDayByFamily'];
  for (const f of FAMILIES) {
    const key = `seven_day_${f}`;
    if (!(key in b)) continue;
    out ??= {};
    const w = windowFrom(b[key] as UsageWindowBody | null | undefined);
    if (w !== null && w.utilization !== null) out[f] = w;
  }
  return out;
}

/**
 * The usage answer as the rate-limit state the headers would have produced, fractions and Unix ms,
 * over the previous state (overage fields kept). Null when the body has neither window.
 */
export function rateLimitFromUsage(body: unknown, prev: RateLimitState | null, now: number): RateLimitState | null {
  if (body === null || typeof body !== 'object') return null;
  const b = body as { five_hour?: UsageWindowBody | null; seven_day?: UsageWindowBody | null };
  const fiveHour = windowFrom(b.five_hour);
  const sevenDay = windowFrom(b.seven_day);
  if (fiveHour === null && sevenDay === null) return null;
  // The binding window: a full one (the later reset when both are), else the fuller one.
  const u5 = fiveHour?.utilization ?? -1;
  const u7 = sevenDay?.utilization ?? -1;
  let claim: 'five_hour' | 'seven_day';
  if (u5 >= 1 && u7 >= 1) claim = (sevenDay?.resetAt ?? 0) > (fiveHour?.resetAt ?? 0) ? 'seven_day' : 'five_hour';
  else claim = u7 > u5 ? 'seven_day' : 'five_hour';
  const binding = claim === 'five_hour' ? fiveHour : sevenDay;
  const rejected = u5 >= 1 || u7 >= 1;
  const state: RateLimitState = {
    ...(prev ?? {}),
    observedAt: now,
    status: u5 < 0 && u7 < 0 ? null : rejected ? 'rejected' : 'allowed',
    resetAt: binding?.resetAt ?? null,
    fiveHour,
    sevenDay,
    representativeClaim: claim,
  };
  const byFamily = familyWindows(b as Record<string, unknown>);
  if (byFamily !== undefined) state.sevenDayByFamily = byFamily;
  return state;
}

export interface UsagePollerDeps {
  upstream: Dispatcher;
  upstreamUrl: string;
  pool: Pick<AccountPool, 'list' | 'get' | 'noteRateLimit'>;
  tokens: Pick<TokenManager, 'accessToken'>;
  clock: Clock;
  logger: Logger;
  /** Interval and idle threshold in ms; 0 turns polling off. */
  intervalMs: number;
  /** Injectable for tests; [0, 1). */
  random?: () => number;
  /**
   * Whether this instance polls now (the cluster's leader, when several instances share the
   * database and its accounts); always when absent. `tick()` called directly always polls.
   */
  isLeader?: () => boolean;
}

type Failure = 'absent' | 'refused' | 'rate_limited' | 'failed';

class UsageFailure extends Error {
  constructor(
    readonly kind: Failure,
    message: string,
    readonly retryAfterMs: number | null = null,
  ) {
    super(message);
  }
}

interface Backoff {
  until: number;
  failures: number;
  /** Failure kinds already logged at info; repeats go to debug. */
  logged: Set<Failure>;
}

export class UsagePoller {
  private timer: NodeJS.Timeout | null = null;
  private stopped = true;
  private running: Promise<void> | null = null;
  private abort: AbortController | null = null;
  private readonly backoff = new Map<string, Backoff>();
  private readonly random: () => number;

  constructor(private readonly deps: UsagePollerDeps) {
    this.random = deps.random ?? Math.random;
  }

  start(): void {
    if (this.deps.intervalMs <= 0 || !this.stopped) return;
    this.stopped = false;
    this.schedule();
  }

  stop(): void {
    this.stopped = true;
    if (this.timer !== null) clearTimeout(this.timer);
    this.timer = null;
    this.abort?.abort();
  }

  /** One pass over the idle accounts, one request at a time; resolves when it is done (tests). */
  tick(): Promise<void> {
    this.running ??= this.pollIdle().finally(() => {
      this.running = null;
    });
    return this.running;
  }

  private schedule(): void {
    if (this.stopped) return;
    const ms = Math.round(this.deps.intervalMs * (1 - JITTER + 2 * JITTER * this.random()));
    this.timer = setTimeout(() => {
      this.timer = null;
      if (this.deps.isLeader?.() === false) {
        this.schedule();
        return;
      }
      this.tick().then(
        () => this.schedule(),
        () => this.schedule(),
      );
    }, ms);
    this.timer.unref();
  }

  /** Usable subscription accounts with no request (and no usage reading) for a whole interval. */
  private idleAccounts(now: number): AccountRow[] {
    return this.deps.pool.list().filter((a) => this.isIdle(a, now));
  }

  private isIdle(a: AccountRow, now: number): boolean {
    // API keys and console accounts have no usage endpoint (it answers only subscription tokens).
    if (a.kind !== 'max' || a.paused || a.health !== 'ok') return false;
    // A response's headers or an earlier reading are fresher than a poll would be.
    const seen = Math.max(a.lastUsedAt ?? 0, a.rateLimit?.observedAt ?? 0);
    if (now - seen < this.deps.intervalMs) return false;
    const b = this.backoff.get(a.id);
    return b === undefined || now >= b.until;
  }

  private async pollIdle(): Promise<void> {
    for (const given of this.idleAccounts(this.deps.clock.now())) {
      if (this.stopped) return;
      // The row may have been replaced, or have served a request, while the previous poll ran.
      const account = this.deps.pool.get(given.id) ?? given;
      if (this.isIdle(account, this.deps.clock.now())) await this.pollOne(account);
    }
  }

  private async pollOne(account: AccountRow): Promise<void> {
    const log = this.deps.logger;
    const startedAt = this.deps.clock.now();
    try {
      const body = await this.fetchUsage(account);
      const now = this.deps.clock.now();
      const current = this.deps.pool.get(account.id) ?? account;
      const state = rateLimitFromUsage(body, current.rateLimit, now);
      if (state === null) throw new UsageFailure('absent', 'the usage answer has no five_hour or seven_day window');
      // A request that answered meanwhile brought fresher headers: keep those.
      if (current.rateLimit !== null && current.rateLimit.observedAt > startedAt) return;
      this.deps.pool.noteRateLimit(current, state);
      if (this.backoff.delete(account.id)) log.info({ account: account.name }, 'account usage readable again');
      log.debug(
        { account: account.name, fiveHour: state.fiveHour?.utilization, sevenDay: state.sevenDay?.utilization },
        'idle account usage read',
      );
    } catch (err) {
      if (this.stopped) return;
      const f =
        err instanceof UsageFailure
          ? err
          : new UsageFailure('failed', err instanceof Error ? err.message : String(err));
      this.fail(account, f);
    }
  }

  private fail(account: AccountRow, f: UsageFailure): void {
    const now = this.deps.clock.now();
    const b = this.backoff.get(account.id) ?? { until: 0, failures: 0, logged: new Set<Failure>() };
    b.failures++;
    const wait = Math.min(MAX_BACKOFF_MS, this.deps.intervalMs * 2 ** b.failures);
    b.until = now + Math.max(wait, f.retryAfterMs ?? 0);
    this.backoff.set(account.id, b);
    const fields = { account: account.name, reason: f.message, retryAt: new Date(b.until).toISOString() };
    const msg = 'account usage not readable: keeping its last 5h/7d windows';
    if (b.logged.has(f.kind)) this.deps.logger.debug(fields, msg);
    else {
      b.logged.add(f.kind);
      this.deps.logger.info(fields, msg);
    }
  }

  private async fetchUsage(account: AccountRow): Promise<unknown> {
    // The same token manager as the proxy: an expiring token is refreshed (rotation rules included).
    const token = await this.deps.tokens.accessToken(account);
    const url = new URL(`${this.deps.upstreamUrl.replace(/\/+$/, '')}${USAGE_PATH}`);
    const abort = new AbortController();
    this.abort = abort;
    try {
      const res = await this.deps.upstream.request({
        origin: url.origin,
        path: url.pathname,
        method: 'GET',
        headers: {
          authorization: `Bearer ${token}`,
          'anthropic-beta': OAUTH_BETA,
          // Our own name: a proxy never passes itself off as Claude Code (protocol.md section 1).
          'user-agent': 'ccflare',
          accept: 'application/json',
        },
        headersTimeout: TIMEOUT_MS,
        bodyTimeout: TIMEOUT_MS,
        signal: abort.signal,
      });
      const text = await res.body.text();
      const status = res.statusCode;
      if (status === 200) {
        try {
          return JSON.parse(text) as unknown;
        } catch {
          throw new UsageFailure('absent', 'the usage answer is not JSON');
        }
      }
      if (status === 404) throw new UsageFailure('absent', 'no usage endpoint (404)');
      if (status === 401 || status === 403)
        throw new UsageFailure('refused', `usage endpoint refused the token (${status})`);
      if (status === 429) {
        const ra = Number(res.headers['retry-after']);
        throw new UsageFailure(
          'rate_limited',
          'usage endpoint rate limited (429)',
          Number.isFinite(ra) ? ra * 1000 : null,
        );
      }
      throw new UsageFailure('failed', `usage endpoint answered ${status}`);
    } finally {
      if (this.abort === abort) this.abort = null;
    }
  }
}
