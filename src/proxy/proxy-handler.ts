/**
 * The proxy hot path for `/v1/*`: pick an account, forward on a keep-alive undici pool, fail over
 * on the failures protocol.md section 4 lists (replaying the buffered body, excluding accounts
 * already tried, under one deadline), stream the answer back unbuffered and byte for byte, and
 * queue one record per request.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import type { AccountPool } from '../accounts/account-pool.js';
import type { TokenManager } from '../accounts/token-manager.js';
import type { Clock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { RuntimeSettingsSource } from '../config/live-settings.js';
import { GatewayError, toErrorResponse } from '../errors.js';
import type { EventBus } from '../events.js';
import { uuidv7 } from '../ids.js';
import { redactHeaders } from '../log/logger.js';
import type { Pricer } from '../pricing/pricing.js';
import type { SessionAffinity } from '../routing/session-affinity.js';
import { earliestRecovery, orderAccounts, unusableReason } from '../routing/session-strategy.js';
import type { AccountRow } from '../storage/contract/accounts.js';
import type { AttemptRecord, PayloadBody, PayloadInput, RequestRecord } from '../storage/contract/records.js';
import type { RecordWriter } from '../storage/contract/store.js';
import { classifyFailure, classifyNetworkError, classifyStreamError, modelFamilyKey } from './classify.js';
import { type AttemptResult, Forwarder } from './forwarder.js';
import { type Credentials, clientResponseHeaders, sessionIdOf, upstreamHeaders } from './headers.js';
import { parseRateLimit } from './rate-limit-headers.js';
import { readRequestFields } from './request-fields.js';
import { usageFromMessage } from './sse-usage.js';

/** Anthropic's documented maximum request size for the Messages API. */
const MAX_REQUEST_BYTES = 32 * 1024 * 1024;
/** Non-streaming bodies are kept up to this size to read their usage. */
const MAX_USAGE_BODY_BYTES = 8 * 1024 * 1024;

export interface ProxyDeps {
  config: Config;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  pool: AccountPool;
  tokens: TokenManager;
  writer: RecordWriter;
  pricer: Pricer;
  upstream: Dispatcher;
  affinity: SessionAffinity;
  /** Strategy, session window and payload capture, which may change while running. */
  settings: RuntimeSettingsSource;
}

interface Failure {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Per-request state, kept in one object so the hot path allocates little. */
interface Ctx {
  id: string;
  ts: number;
  t0: number;
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  model: string | null;
  modelKey: string | null;
  stream: boolean;
  sessionId: string | null;
  /** The upstream attempt in progress, to cancel when the client goes away. */
  current: Forwarder | null;
  aborted: boolean;
  done: boolean;
  attempts: number;
  attemptLog: AttemptRecord[];
  tried: Set<string>;
  account: AccountRow | null;
  /** Name of the client key that authenticated the request; null while none is required. */
  clientKey: string | null;
}

export interface GatewayProxy {
  /** `clientKey`: the name of the client key the request was authenticated with, to record. */
  handle(req: IncomingMessage, res: ServerResponse, clientKey?: string | null): void;
  /** Requests currently being served (for graceful shutdown). */
  inFlight(): number;
}

export function createProxy(deps: ProxyDeps): GatewayProxy {
  const { config, clock, logger, events, pool, tokens, writer, pricer, upstream, affinity, settings } = deps;
  const base = new URL(config.upstreamUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let inFlight = 0;
  let retriesActive = 0;

  /** Envoy-style retry budget: retries may be at most 20% of requests in flight, min 3. */
  function retryAllowed(): boolean {
    return retriesActive < Math.max(3, Math.floor(inFlight * 0.2));
  }

  /** Bytes of each body to keep for the payload record; 0 when capture is off. */
  function captureLimit(): number {
    const s = settings.current();
    return s.payloadCapture ? s.payloadMaxBytes : 0;
  }

  function handle(req: IncomingMessage, res: ServerResponse, clientKey: string | null = null): void {
    inFlight++;
    const ts = clock.now();
    const ctx: Ctx = {
      id: uuidv7(ts),
      ts,
      t0: performance.now(),
      req,
      res,
      body: EMPTY,
      model: null,
      modelKey: null,
      stream: false,
      sessionId: null,
      current: null,
      aborted: false,
      done: false,
      attempts: 0,
      attemptLog: [],
      tried: new Set(),
      account: null,
      clientKey,
    };
    res.once('close', () => {
      if (!ctx.done && !res.writableFinished) {
        ctx.aborted = true;
        ctx.current?.abort(CLIENT_GONE);
      }
    });
    readBody(ctx)
      .then(() => serve(ctx))
      .catch((err) => {
        if (!ctx.done) fail(ctx, err instanceof GatewayError ? err : internal(err));
      });
  }

  function internal(err: unknown): GatewayError {
    logger.error({ err }, 'proxy internal error');
    return new GatewayError('internal', 'Internal gateway error', { cause: err });
  }

  function readBody(ctx: Ctx): Promise<void> {
    const { req } = ctx;
    if (req.method === 'GET' || req.method === 'HEAD') {
      req.resume();
      return Promise.resolve();
    }
    return new Promise((resolve, reject) => {
      const chunks: Buffer[] = [];
      let size = 0;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_REQUEST_BYTES) {
          req.removeAllListeners('data');
          req.resume();
          reject(new GatewayError('payload_too_large', `Request body exceeds ${MAX_REQUEST_BYTES} bytes`));
          return;
        }
        chunks.push(c);
      });
      req.once('end', () => {
        ctx.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        resolve();
      });
      req.once('error', reject);
    });
  }

  function parseRequest(ctx: Ctx): void {
    const ct = ctx.req.headers['content-type'];
    let userId: unknown;
    if (ctx.body.length > 0 && (ct === undefined || ct.includes('json'))) {
      const f = readRequestFields(ctx.body);
      if (f) {
        ctx.model = f.model;
        ctx.stream = f.stream;
        userId = f.userId;
      }
    }
    ctx.modelKey = ctx.model === null ? null : modelFamilyKey(ctx.model);
    ctx.sessionId = sessionIdOf(ctx.req.headers['x-claude-code-session-id'], userId);
  }

  /** The access token of a subscription account, forcing one refresh past a token the upstream rejected. */
  function accessTokenFor(account: AccountRow, rejected: string | null): Promise<string> {
    return rejected === null
      ? tokens.accessToken(account)
      : tokens.accessToken(account, { force: true, rejectedToken: rejected });
  }

  async function serve(ctx: Ctx): Promise<void> {
    parseRequest(ctx);
    if (events.listenerCount('request.started') > 0) {
      events.emit('request.started', {
        id: ctx.id,
        ts: ctx.ts,
        method: ctx.req.method ?? 'GET',
        path: ctx.req.url ?? '/',
        model: ctx.model,
        sessionId: ctx.sessionId,
      });
    }
    const deadline = ctx.t0 + config.requestDeadlineMs;
    const path = basePath + (ctx.req.url ?? '/');
    const method = (ctx.req.method ?? 'GET') as Dispatcher.HttpMethod;
    let retrySame = null as AccountRow | null;
    /** The access token an upstream 401 rejected, to force one refresh past it. */
    let rejectedToken: string | null = null;
    let lastSecret: string | null = null;
    const retriedSame = new Set<string>();
    const refreshed = new Set<string>();
    /** An account worth waiting for (API-key per-minute limit) once the others are exhausted. */
    let waitFor: { account: AccountRow; readyAt: number } | null = null;
    let last: Failure | GatewayError | null = null;

    while (ctx.attempts < config.maxAttempts && !ctx.aborted) {
      const remaining = deadline - performance.now();
      if (remaining <= 0) {
        last = new GatewayError('deadline_exceeded', `No upstream answer within ${config.requestDeadlineMs} ms`);
        break;
      }
      let account: AccountRow | null = retrySame;
      retrySame = null;
      if (account === null) {
        const now = clock.now();
        account =
          orderAccounts(pool.list(), {
            now,
            sessionMs: settings.current().sessionMs,
            modelKey: ctx.modelKey,
            affinityAccountId: ctx.sessionId === null ? null : affinity.get(ctx.sessionId, now),
            exclude: ctx.tried,
          })[0] ?? null;
      }
      if (account === null && waitFor !== null) {
        const wait = waitFor.readyAt - clock.now();
        if (wait > 0 && wait >= remaining) break;
        account = waitFor.account;
        waitFor = null;
        if (wait > 0) await sleep(wait);
        if (ctx.aborted) break;
      }
      if (account === null) break;

      // The retry after a forced token refresh is about credentials, not load: the budget
      // (meant to stop retry storms against a struggling upstream) does not apply to it.
      const isRetry = ctx.attempts > 0 && rejectedToken === null;
      if (isRetry && !retryAllowed()) {
        logger.warn({ request: ctx.id }, 'retry budget exhausted; returning the last upstream answer');
        break;
      }
      ctx.attempts++;
      const attemptStart = performance.now();
      if (isRetry) retriesActive++;
      let cred: Credentials;
      try {
        // API keys need no await (one microtask less per request on the hot path).
        cred =
          account.kind === 'max'
            ? { kind: 'max', secret: await accessTokenFor(account, rejectedToken) }
            : { kind: account.kind, secret: tokens.apiKey(account) };
      } catch (err) {
        if (isRetry) retriesActive--;
        if (ctx.aborted) break;
        if (!(err instanceof GatewayError)) throw err;
        // Credentials could not be had (needs re-auth, refresh failed): the account is out.
        ctx.attemptLog.push({ account: account.name, status: null, error: err.message, ms: 0 });
        ctx.tried.add(account.id);
        if (err.code === 'needs_reauth') affinity.forgetAccount(account.id);
        last = err;
        continue;
      }
      rejectedToken = null;
      lastSecret = cred.secret;
      const chosen = account;
      const r = await forward(ctx, chosen, cred, path, method, remaining, attemptStart);
      if (isRetry) retriesActive--;

      if (r.kind === 'streamed') {
        finishStreamed(ctx, chosen, r.forwarder);
        return;
      }
      if (r.kind === 'network') {
        if (ctx.aborted) break;
        const ms = Math.round(performance.now() - attemptStart);
        const d = classifyNetworkError(r.error, ctx.attempts - 1);
        ctx.attemptLog.push({ account: account.name, status: null, error: d.message, ms });
        logger.warn({ request: ctx.id, account: account.name, reason: d.message }, 'upstream attempt failed');
        // The headers timeout of an attempt is the rest of the request's deadline, so when it fires
        // the deadline is spent (undici's timers may fire a few ms early).
        const deadlineSpent =
          (r.error as { code?: unknown }).code === 'UND_ERR_HEADERS_TIMEOUT' || performance.now() >= deadline;
        last = deadlineSpent
          ? new GatewayError('deadline_exceeded', `No upstream answer within ${config.requestDeadlineMs} ms`)
          : new GatewayError('upstream_unreachable', `Upstream unreachable: ${d.message}`);
        if (deadlineSpent) break;
        if (d.retrySame && !retriedSame.has(account.id)) {
          retriedSame.add(account.id);
          const backoff = d.retryAfterMs ?? 250;
          if (backoff < deadline - performance.now()) {
            await sleep(backoff);
            retrySame = account;
            continue;
          }
        }
        if (d.nextAccount) {
          ctx.tried.add(account.id);
          continue;
        }
        break;
      }
      if (ctx.aborted) break;

      const now = clock.now();
      const errBody = r.body;
      const d = classifyFailure({
        status: r.status,
        headers: r.headers,
        body: errBody.toString('utf8'),
        accountKind: account.kind,
        now,
        attempt: ctx.attempts - 1,
        strikes: account.strikes,
        model: ctx.model,
      });
      ctx.attemptLog.push({
        account: account.name,
        status: r.status,
        error: d.kind,
        ms: Math.round(performance.now() - attemptStart),
      });
      last = { status: r.status, headers: clientResponseHeaders(r.headers), body: errBody };
      if (d.effect.type !== 'none') {
        logger.warn({ request: ctx.id, account: account.name, status: r.status, kind: d.kind }, d.message);
      }

      if (d.effect.type === 'refresh') {
        // One forced refresh and one retry per account (protocol.md section 4, 401 row).
        if (!refreshed.has(account.id)) {
          refreshed.add(account.id);
          // The one retry this account gets; a second 401 moves on to the next account.
          retriedSame.add(account.id);
          rejectedToken = lastSecret;
          retrySame = account;
          continue;
        }
      } else if (d.effect.type === 'disable' && !isMessagesPath(path)) {
        // Subscription tokens may be refused on endpoints such as /v1/models (protocol.md
        // section 1): that says nothing about the account, so the answer just passes through.
        ctx.attemptLog[ctx.attemptLog.length - 1] = {
          ...(ctx.attemptLog.at(-1) as AttemptRecord),
          error: 'refused on this endpoint',
        };
        break;
      } else {
        await pool.applyEffect(account, d.effect);
        if (d.effect.type === 'disable') affinity.forgetAccount(account.id);
      }

      if (d.retrySame && !retriedSame.has(account.id)) {
        retriedSame.add(account.id);
        const wait = d.retryAfterMs ?? 0;
        if (d.effect.type === 'cooldown' && d.nextAccount) {
          // Per-minute limits: prefer another account now, come back only if none is left.
          waitFor = { account, readyAt: clock.now() + wait };
        } else if (wait < deadline - performance.now()) {
          if (wait > 0) await sleep(wait);
          retrySame = account;
          continue;
        }
      }
      if (d.nextAccount) {
        ctx.tried.add(account.id);
        continue;
      }
      break;
    }

    if (ctx.aborted) {
      finishAborted(ctx);
      return;
    }
    if (last === null) last = noAccountError(ctx, null);
    else if (
      last instanceof GatewayError &&
      (last.code === 'needs_reauth' || last.code === 'oauth_failed') &&
      !anyUsable(ctx)
    ) {
      last = noAccountError(ctx, last);
    }
    if (last instanceof GatewayError) fail(ctx, last);
    else passThrough(ctx, last);
  }

  function anyUsable(ctx: Ctx): boolean {
    const now = clock.now();
    return pool.list().some((a) => !ctx.tried.has(a.id) && unusableReason(a, now, ctx.modelKey) === null);
  }

  function noAccountError(ctx: Ctx, cause: GatewayError | null): GatewayError {
    const now = clock.now();
    const accounts = pool.list();
    if (accounts.length === 0) {
      return new GatewayError(
        'no_account',
        'No accounts configured: add one with `ccflare accounts add <name>` or `ccflare accounts add-key <name>`',
      );
    }
    const counts = new Map<string, number>();
    for (const a of accounts) {
      const r = ctx.tried.has(a.id) ? 'failed for this request' : (unusableReason(a, now, ctx.modelKey) ?? 'available');
      counts.set(r, (counts.get(r) ?? 0) + 1);
    }
    const parts = [...counts].map(([r, n]) => `${n} ${r}`).join(', ');
    const at = earliestRecovery(accounts, now, ctx.modelKey);
    const headers: Record<string, string> = {};
    let when = '';
    if (at !== null) {
      const secs = Math.max(1, Math.ceil((at - now) / 1000));
      headers['retry-after'] = String(secs);
      when = `; the earliest account frees up at ${new Date(at).toISOString()} (in ${formatDuration(at - now)})`;
    }
    const extra = cause ? ` (last error: ${cause.message})` : '';
    return new GatewayError(
      'no_account',
      `No usable account (${accounts.length} configured: ${parts})${when}${extra}`,
      {
        headers,
      },
    );
  }

  /** Runs one upstream attempt; a 2xx/3xx answer is streamed to the client before this resolves. */
  function forward(
    ctx: Ctx,
    account: AccountRow,
    cred: Credentials,
    path: string,
    method: Dispatcher.HttpMethod,
    remaining: number,
    attemptStart: number,
  ): Promise<AttemptResult> {
    const capture = captureLimit();
    return new Promise<AttemptResult>((resolve) => {
      const f: Forwarder = new Forwarder(
        ctx.res,
        capture,
        Math.max(capture, MAX_USAGE_BODY_BYTES),
        {
          head: (status, headers) => {
            const rl = parseRateLimit(headers, clock.now());
            if (rl !== null) pool.noteRateLimit(account, rl);
            if (status >= 400) return;
            ctx.account = account;
            ctx.attemptLog.push({
              account: account.name,
              status,
              error: null,
              ms: Math.round(performance.now() - attemptStart),
            });
            noteServed(ctx, account);
            ctx.res.writeHead(status, clientResponseHeaders(headers));
          },
          broke: (err) => {
            if (ctx.aborted) return;
            logger.warn(
              { request: ctx.id, account: account.name, err: err.message },
              'upstream stream broke mid-response',
            );
            const res = ctx.res;
            if (f.isSse && !res.writableEnded) {
              // Tell the SDK what happened instead of a silent truncation (it raises an APIError).
              res.write(MID_STREAM_ERROR_FRAME);
            }
            res.end();
            f.streamError = `upstream stream broke: ${err.message}`;
          },
        },
        (r) => {
          ctx.current = null;
          resolve(r);
        },
      );
      ctx.current = f;
      upstream.dispatch(
        {
          path,
          method,
          headers: upstreamHeaders(ctx.req.rawHeaders, cred, ctx.body.length),
          body: ctx.body.length > 0 ? ctx.body : null,
          headersTimeout: Math.max(1, Math.ceil(remaining)),
          bodyTimeout: config.requestDeadlineMs,
        },
        f,
      );
    });
  }

  /** Bookkeeping when an account takes a request: session window, affinity, counters. */
  function noteServed(ctx: Ctx, account: AccountRow): void {
    const now = clock.now();
    if (account.sessionStart === null || now - account.sessionStart >= settings.current().sessionMs) {
      pool
        .beginSessionIfNeeded(account, settings.current().sessionMs)
        .catch((err) => logger.error({ err }, 'session start not saved'));
    }
    if (account.strikes !== 0) {
      pool.noteSuccess(account).catch((err) => logger.error({ err }, 'account state not saved'));
    }
    if (ctx.sessionId !== null) affinity.set(ctx.sessionId, account.id, now);
    account.requestCount++;
    account.sessionRequestCount++;
    account.lastUsedAt = now;
  }

  function finishStreamed(ctx: Ctx, account: AccountRow, f: Forwarder): void {
    ctx.done = true;
    inFlight--;
    const end = performance.now();
    const capture = captureLimit();
    let usage = null as ReturnType<typeof usageFromMessage> | null;
    let ttft: number | null = null;
    let tps: number | null = null;
    let errorText: string | null = f.streamError;
    let stopReason: string | null = null;
    let modelApplied: string | null = ctx.model;
    const kept = f.kept;
    // Kept as bytes: the record stores the bytes; only a JSON answer is decoded, for its usage.
    const body = kept.length === 0 ? null : kept.length === 1 ? (kept[0] as Buffer) : Buffer.concat(kept, f.keptBytes);
    const tracker = f.tracker;
    if (tracker !== null) {
      tracker.end();
      const r = tracker.result;
      usage = r;
      if (r.model) modelApplied = r.model;
      stopReason = r.stopReason;
      if (r.firstDeltaAt !== null) ttft = r.firstDeltaAt - ctx.t0;
      if (r.firstDeltaAt !== null && r.lastDeltaAt !== null && r.lastDeltaAt > r.firstDeltaAt && r.outputTokens) {
        tps = r.outputTokens / ((r.lastDeltaAt - r.firstDeltaAt) / 1000);
      }
      if (r.error !== null) {
        errorText = `${r.error.type}: ${r.error.message}`;
        const d = classifyStreamError(r.error.type, clock.now());
        pool.applyEffect(account, d.effect).catch((err) => logger.error({ err }, 'account state not saved'));
      }
    } else {
      if (f.firstByteAt !== 0) ttft = f.firstByteAt - ctx.t0;
      if (body !== null && !f.truncated && isJson(f.headers['content-type'])) {
        try {
          const j = JSON.parse(body.toString('utf8')) as Record<string, unknown>;
          usage = usageFromMessage(j);
          if (typeof j.model === 'string') modelApplied = j.model;
          if (typeof j.stop_reason === 'string') stopReason = j.stop_reason;
        } catch {
          // A non-JSON success body simply has no usage.
        }
      }
      if (usage?.outputTokens && end > ctx.t0) tps = usage.outputTokens / ((end - ctx.t0) / 1000);
    }
    if (ctx.aborted && errorText === null) errorText = 'client disconnected';
    record(ctx, {
      status: ctx.aborted ? 499 : f.status,
      success: errorText === null,
      error: errorText,
      latencyMs: end - ctx.t0,
      ttftMs: ttft,
      modelApplied,
      stopReason,
      usage,
      tps,
      payload:
        capture > 0
          ? payloadOf(ctx, f.headers, body?.subarray(0, capture) ?? null, f.truncated || f.keptBytes > capture)
          : null,
    });
  }

  function payloadOf(
    ctx: Ctx,
    responseHeaders: Record<string, string | string[] | undefined> | null,
    responseBody: PayloadBody | null,
    responseTruncated: boolean,
  ): PayloadInput {
    const cap = settings.current().payloadMaxBytes;
    const reqTrunc = ctx.body.length > cap;
    return {
      requestHeaders: JSON.stringify(redactHeaders(ctx.req.headers as Record<string, unknown>)),
      requestBody: ctx.body.length === 0 ? null : ctx.body.subarray(0, cap),
      responseHeaders:
        responseHeaders === null ? null : JSON.stringify(redactHeaders(responseHeaders as Record<string, unknown>)),
      responseBody,
      requestTruncated: reqTrunc,
      responseTruncated,
    };
  }

  function passThrough(ctx: Ctx, f: Failure): void {
    const { res } = ctx;
    if (!res.headersSent) {
      res.writeHead(f.status, f.headers);
      res.end(f.body);
    }
    ctx.done = true;
    inFlight--;
    const end = performance.now();
    let message: string | null = null;
    try {
      const j = JSON.parse(f.body.toString('utf8')) as { error?: { type?: string; message?: string } };
      if (j.error) message = `${j.error.type ?? 'error'}: ${j.error.message ?? ''}`;
    } catch {
      message = f.body.subarray(0, 200).toString('utf8');
    }
    record(ctx, {
      status: f.status,
      success: false,
      error: message ?? `HTTP ${f.status}`,
      latencyMs: end - ctx.t0,
      ttftMs: null,
      modelApplied: null,
      stopReason: null,
      usage: null,
      tps: null,
      payload: settings.current().payloadCapture
        ? payloadOf(
            ctx,
            f.headers,
            f.body.subarray(0, settings.current().payloadMaxBytes),
            f.body.length > settings.current().payloadMaxBytes,
          )
        : null,
    });
  }

  function fail(ctx: Ctx, err: GatewayError): void {
    const { res } = ctx;
    const r = toErrorResponse(err);
    if (!res.headersSent && !ctx.aborted) {
      const body = JSON.stringify(r.body);
      res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else if (!res.writableEnded) {
      res.end();
    }
    if (ctx.done) return;
    ctx.done = true;
    inFlight--;
    if (err.code === 'no_account') logger.warn({ request: ctx.id }, err.message);
    record(ctx, {
      status: r.status,
      success: false,
      error: err.message,
      latencyMs: performance.now() - ctx.t0,
      ttftMs: null,
      modelApplied: null,
      stopReason: null,
      usage: null,
      tps: null,
      payload: settings.current().payloadCapture ? payloadOf(ctx, r.headers, JSON.stringify(r.body), false) : null,
    });
  }

  function finishAborted(ctx: Ctx): void {
    if (ctx.done) return;
    ctx.done = true;
    inFlight--;
    record(ctx, {
      status: 499,
      success: false,
      error: 'client disconnected',
      latencyMs: performance.now() - ctx.t0,
      ttftMs: null,
      modelApplied: null,
      stopReason: null,
      usage: null,
      tps: null,
      payload: settings.current().payloadCapture ? payloadOf(ctx, null, null, false) : null,
    });
  }

  interface Outcome {
    status: number;
    success: boolean;
    error: string | null;
    latencyMs: number;
    ttftMs: number | null;
    modelApplied: string | null;
    stopReason: string | null;
    usage: ReturnType<typeof usageFromMessage> | null;
    tps: number | null;
    payload: PayloadInput | null;
  }

  function record(ctx: Ctx, o: Outcome): void {
    const u = o.usage;
    const model = o.modelApplied ?? ctx.model;
    const inputTokens = u?.inputTokens ?? null;
    const cacheReadTokens = u?.cacheReadTokens ?? null;
    const cacheWrite5mTokens = u?.cacheWrite5mTokens ?? null;
    const cacheWrite1hTokens = u?.cacheWrite1hTokens ?? null;
    const outputTokens = u?.outputTokens ?? null;
    // Every field written out (no spread): one fixed shape is cheaper to build and to clone.
    const rec: RequestRecord = {
      id: ctx.id,
      ts: ctx.ts,
      method: ctx.req.method ?? 'GET',
      path: ctx.req.url ?? '/',
      accountId: ctx.account?.id ?? null,
      accountName: ctx.account?.name ?? null,
      status: o.status,
      success: o.success,
      error: o.error,
      latencyMs: round1(o.latencyMs),
      ttftMs: o.ttftMs === null ? null : round1(o.ttftMs),
      attempts: ctx.attempts,
      attemptLog: ctx.attemptLog,
      modelRequested: ctx.model,
      modelApplied: o.modelApplied,
      agent: null,
      sessionId: ctx.sessionId,
      clientKey: ctx.clientKey,
      stream: ctx.stream,
      stopReason: o.stopReason,
      inputTokens,
      cacheReadTokens,
      cacheWrite5mTokens,
      cacheWrite1hTokens,
      outputTokens,
      costUsd:
        u === null || model === null
          ? null
          : pricer.cost(
              model,
              { inputTokens, cacheReadTokens, cacheWrite5mTokens, cacheWrite1hTokens, outputTokens },
              ctx.ts,
            ),
      outputTokensPerSecond: o.tps === null || !Number.isFinite(o.tps) ? null : round1(o.tps),
      payload: o.payload,
    };
    writer.enqueue(rec);
    if (events.listenerCount('request.finished') > 0) events.emit('request.finished', rec);
  }

  return { handle, inFlight: () => inFlight };
}

const EMPTY = Buffer.alloc(0);
const CLIENT_GONE = new Error('client disconnected');
const MID_STREAM_ERROR_FRAME = `event: error\ndata: ${JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: 'ccflare: upstream connection lost mid-stream' },
})}\n\n`;

function isMessagesPath(path: string): boolean {
  return path.includes('/v1/messages');
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function isJson(ct: string | string[] | undefined): boolean {
  return typeof ct === 'string' && ct.includes('json');
}

function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}
