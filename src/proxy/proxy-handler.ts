/**
 * The proxy hot path for `/v1/*`: pick an account, forward on a keep-alive undici pool, fail over
 * on the failures protocol.md section 4 lists (replaying the buffered body; the steps come from
 * `failover-policy.ts`: accounts already tried excluded, one deadline), stream the answer back
 * unbuffered and byte for byte, and queue one record per request.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { performance } from 'node:perf_hooks';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { type AccountPool, ADD_ACCOUNT_HINT } from '../accounts/account-pool.js';
import type { TokenManager } from '../accounts/token-manager.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import { detectAgent, MAIN_AGENT } from '../agents/detect-agent.js';
import { type Clock, type Sleep, systemSleep } from '../clock.js';
import type { Config } from '../config/config.js';
import type { RuntimeSettingsSource } from '../config/live-settings.js';
import type { ProxyRulesSource } from '../config/proxy-rules.js';
import { GatewayError, toErrorResponse } from '../errors.js';
import type { EventBus } from '../events.js';
import { uuidv7 } from '../ids.js';
import { interceptSystemPrompt, MainPromptSampler } from '../interceptors/system-prompt.js';
import { redactedHeadersJson, redactQuery } from '../log/logger.js';
import { fallbackFor, replaceModel, routeModel } from '../models/model-routing.js';
import type { Pricer } from '../pricing/pricing.js';
import { closeInStages, refuseUnreadBody } from '../refused-body.js';
import { type Router, sessionReasonText } from '../routing/router.js';
import type { SessionAffinity } from '../routing/session-affinity.js';
import { earliestRecovery, orderAccounts, unusableReason, waitsForPerson } from '../routing/session-strategy.js';
import { formatReason } from '../routing/strategy.js';
import type { AccountRow } from '../storage/contract/accounts.js';
import type { AttemptRecord, PayloadBody, PayloadInput, RequestRecord } from '../storage/contract/records.js';
import type { RecordWriter } from '../storage/contract/store.js';
import {
  classifyCredentialFailure,
  classifyFailure,
  classifyNetworkError,
  classifyStreamError,
  modelFamilyKey,
} from './classify.js';
import {
  attemptTimeoutMs,
  beforeAttempt,
  comeBack,
  countsAsRetry,
  type FailoverState,
  nextStep,
  retryBudgetLeft,
  type Step,
} from './failover-policy.js';
import { type AttemptResult, Forwarder } from './forwarder.js';
import { type Credentials, clientResponseHeaders, sessionIdOf, upstreamHeaders } from './headers.js';
import { outputSpeed } from './output-speed.js';
import { parseRateLimit } from './rate-limit-headers.js';
import { type FieldRanges, noRanges, readRequestFields, scanRequestFields } from './request-fields.js';
import { pathProblem } from './request-path.js';
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
  /** The live strategy, thresholds and routing state (shared with GET /api/strategy). */
  router: Router;
  /** Strategy, session window and payload capture, which may change while running. */
  settings: RuntimeSettingsSource;
  /** Agents known to the registry (attribution, model preferences) and workspace discovery. */
  agents: AgentDirectory;
  /** Model rules, fallback and the system-prompt interceptor, which may change while running. */
  rules: ProxyRulesSource;
  /** Waits between attempts (backoff, per-minute limits, sticky holds); timers when absent. */
  sleep?: Sleep;
  /**
   * Schedules the bookkeeping of answers that went out whole (see `ended` in createProxy); a 0 ms
   * timer when absent. Tests hold it to act in between.
   */
  deferFinish?: (run: () => void) => void;
  /** The client key's limits (auth/key-limits.ts): a refusal to answer and record, or null. */
  limits?: {
    /** `modelRequired`: the request goes to an endpoint that runs a model (a null `model`: unread). */
    check(clientKey: string | null, model: string | null, now: number, modelRequired: boolean): GatewayError | null;
    /** The key's model allow-list alone (no counting): the fallback model must pass it too. */
    allowsModel(clientKey: string | null, model: string): boolean;
  };
}

interface Failure {
  status: number;
  headers: Record<string, string | string[]>;
  body: Buffer;
}

/** Per-request state, kept in one object so the hot path allocates little. */
interface Ctx extends FailoverState {
  id: string;
  ts: number;
  t0: number;
  req: IncomingMessage;
  res: ServerResponse;
  body: Buffer;
  /** The model sent upstream (after agent preference, rules and fallback): routing and cooldowns go by it. */
  model: string | null;
  /** The model the client asked for. */
  modelRequested: string | null;
  /**
   * The `x-ccflare-model` value of the answer (null: none), given to `writeHead` with the
   * upstream's headers: a `setHeader` before it makes Node copy every header through `setHeader`
   * again (one answer head 1.8 -> 0.8 µs, 2-core VM).
   */
  echoModel: string | null;
  /** Where `model` and `system` are in `body`; -1 when unknown. */
  ranges: FieldRanges | null;
  /** The model that every account refused before the fallback was tried; null: no fallback. */
  fallbackFrom: string | null;
  /** Agent attribution (agents/detect-agent.ts). */
  agent: string | null;
  agentInstance: string | null;
  /** The gateway's own caller's agent (`ccflare-analysis`); never set from a client's headers. */
  internalAgent: string | null;
  /** Body handed to `agents.observe` (once, after the first dispatch). */
  observed: boolean;
  modelKey: string | null;
  stream: boolean;
  sessionId: string | null;
  /** The upstream attempt in progress, to cancel when the client goes away. */
  current: Forwarder | null;
  /** Ends a wait between attempts when the client goes away; made by the first wait only. */
  waitAbort: AbortController | null;
  aborted: boolean;
  done: boolean;
  /** Ended by shutdown after bytes of the answer went out (see `interrupt`). */
  interrupted: boolean;
  /** The attempt whose answer went out whole, while its bookkeeping waits in `ended`. */
  endedBy: Forwarder | null;
  /** When that answer ended (`performance.now()`): its latency is to then, not to its bookkeeping. */
  endedAt: number;
  /** Neighbours in the list of open requests, which shutdown walks: no allocation per request. */
  prev: Ctx | null;
  next: Ctx | null;
  attemptLog: AttemptRecord[];
  tried: Set<string>;
  account: AccountRow | null;
  /** Why `firstUntried` picked its account (requests.route_reason). */
  routeReason: string | null;
  /** Wait the strategy asked for before trying that account (sticky hold, hybrid fallbacks). */
  routeDelayMs: number;
  /** Name of the client key that authenticated the request; null while none is required. */
  clientKey: string | null;
  // FailoverState (documented in failover-policy.ts): written by serve() and `follow`, read by the policy.
  path: string;
  deadline: number;
  attemptCapMs: number;
  /** The attempt in progress waits for headers until the deadline itself (its cap is not shorter). */
  attemptUntilDeadline: boolean;
  attempts: number;
  maxAttempts: number;
  retriedSame: Set<string> | null;
  refreshed: Set<string> | null;
  rejectedToken: string | null;
  /** The account the next attempt retries; null: pick one. */
  retry: AccountRow | null;
  /** An account worth waiting for (API-key per-minute limit) once the others are exhausted... */
  waitFor: AccountRow | null;
  /** ...and when it frees up (`clock.now()` time). */
  waitForAt: number;
  /** The answer if no attempt succeeds: the last upstream error answer or gateway error. */
  last: Failure | GatewayError | null;
}

export interface GatewayProxy {
  /**
   * `clientKey`: the name of the client key the request was authenticated with, to record.
   * `internalAgent`: the agent of a request the gateway sends itself (build-app.ts checks its
   * one-time marker), recorded instead of the detected one; its answer carries the record's id.
   */
  handle(req: IncomingMessage, res: ServerResponse, clientKey?: string | null, internalAgent?: string | null): void;
  /** Requests currently being served (for graceful shutdown). */
  inFlight(): number;
  /**
   * Ends every request still in flight with an error the client can read, cancels its upstream
   * request and queues its record (shutdown, once the grace period is over). `answered` resolves
   * when those answers have been handed to the OS.
   */
  interrupt(): { interrupted: number; answered: Promise<void> };
}

export function createProxy(deps: ProxyDeps): GatewayProxy {
  const {
    config,
    clock,
    logger,
    events,
    pool,
    tokens,
    writer,
    pricer,
    upstream,
    affinity,
    router,
    settings,
    agents,
    rules,
    limits,
  } = deps;
  const sleep = deps.sleep ?? systemSleep;
  const deferFinish = deps.deferFinish ?? nextTimers;
  const base = new URL(config.upstreamUrl);
  const basePath = base.pathname.replace(/\/+$/, '');
  let inFlight = 0;
  let retriesActive = 0;
  /** Head of the open requests' list (linked through `Ctx.prev`/`next`). */
  let open: Ctx | null = null;
  /** Set by `interrupt`: requests arriving later are refused at once. */
  let shuttingDown = false;
  const promptSampler = new MainPromptSampler((prompt, envBlock) => rules.noteMainPrompt(prompt, envBlock));
  /**
   * Requests whose answer went out whole and whose bookkeeping (usage, cost, metrics, the record
   * and its journal entry) runs in the next timers phase rather than in the tick the answer ended
   * in. A client that sends its next request as soon as an answer ends (Claude Code after a tool
   * call; the bench's paced streams, which end together) has that request read and forwarded
   * first. b-paced against the build before, alternated: ccflare's TTFB p50 lower in 13 of 17 runs,
   * its addition over the minimal proxy 1.98 -> 1.00 ms (medians of 8 pairs; benchmark-history).
   */
  let ended: Ctx[] = [];

  /** Bytes of each body to keep for the payload record; 0 when capture is off. */
  function captureLimit(): number {
    const s = settings.current();
    return s.payloadCapture ? s.payloadMaxBytes : 0;
  }

  function handle(
    req: IncomingMessage,
    res: ServerResponse,
    clientKey: string | null = null,
    internalAgent: string | null = null,
  ): void {
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
      modelRequested: null,
      ranges: null,
      fallbackFrom: null,
      agent: internalAgent,
      agentInstance: null,
      internalAgent,
      observed: false,
      echoModel: null,
      modelKey: null,
      stream: false,
      sessionId: null,
      current: null,
      waitAbort: null,
      aborted: false,
      done: false,
      interrupted: false,
      endedBy: null,
      endedAt: 0,
      prev: null,
      next: open,
      attemptLog: [],
      tried: new Set(),
      account: null,
      routeReason: null,
      routeDelayMs: 0,
      clientKey,
      path: '',
      deadline: 0,
      attemptCapMs: 0,
      attemptUntilDeadline: false,
      attempts: 0,
      maxAttempts: config.maxAttempts,
      retriedSame: null,
      refreshed: null,
      rejectedToken: null,
      retry: null,
      waitFor: null,
      waitForAt: 0,
      last: null,
    };
    if (open !== null) open.prev = ctx;
    open = ctx;
    if (internalAgent !== null) res.setHeader(INTERNAL_REQUEST_ID_HEADER, ctx.id);
    res.once('close', () => {
      if (!ctx.done && !res.writableFinished) {
        ctx.aborted = true;
        ctx.current?.abort(CLIENT_GONE);
        ctx.waitAbort?.abort(CLIENT_GONE);
      }
    });
    const bad = pathProblem(req.url ?? '/');
    if (bad !== null) {
      // Refused before the body is read or an account is chosen: nothing reaches the upstream.
      if (!refuseUnreadBody(req, res)) req.resume();
      fail(
        ctx,
        new GatewayError(
          'bad_request',
          `Request path not allowed: ${bad}. Send a plain /v1/... path (no . or .. segments, //, backslashes or their %-encodings).`,
        ),
      );
      return;
    }
    if (shuttingDown) {
      // Arrived on a kept-alive connection after shutdown ended the open requests, before it closes.
      req.resume();
      fail(ctx, new GatewayError('shutting_down', INTERRUPTED));
      return;
    }
    readBody(ctx)
      .then(() => serve(ctx))
      .catch((err) => failed(ctx, err));
  }

  /** A request whose serving or bookkeeping threw: answered if it still can be, and recorded. */
  function failed(ctx: Ctx, err: unknown): void {
    if (ctx.done) return;
    // A client gone before its body arrived is no gateway fault: 499 like a mid-stream abort.
    if (ctx.aborted) finishAborted(ctx);
    else fail(ctx, err instanceof GatewayError ? err : internal(err));
  }

  function internal(err: unknown): GatewayError {
    logger.error({ err }, 'proxy internal error');
    return new GatewayError('internal', 'Internal gateway error', { cause: err });
  }

  function readBody(ctx: Ctx): Promise<void> {
    const { req } = ctx;
    const declared = req.headers['content-length'];
    // Node's parser has checked it is digits; refused before a byte of the body is read.
    if (declared !== undefined && Number(declared) > MAX_REQUEST_BYTES) {
      closeInStages(req);
      return Promise.reject(tooLarge());
    }
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
          closeInStages(req);
          reject(tooLarge());
          return;
        }
        chunks.push(c);
      });
      req.once('end', () => {
        ctx.body = chunks.length === 1 ? (chunks[0] as Buffer) : Buffer.concat(chunks, size);
        resolve();
      });
      req.once('error', (err) => {
        // The request stream fails before its end only when the client's connection does
        // ('aborted', ECONNRESET); the response 'close' may come after this.
        if (!req.complete) ctx.aborted = true;
        reject(err);
      });
    });
  }

  function parseRequest(ctx: Ctx): void {
    const ct = ctx.req.headers['content-type'];
    let userId: unknown;
    const messages = isMessagesPath(ctx.req.url);
    if (ctx.body.length > 0 && (ct === undefined || ct.includes('json'))) {
      // The ranges (where `system` and `model` are) come with the scan that reads the fields anyway.
      const ranges = messages ? noRanges() : undefined;
      const f = readRequestFields(ctx.body, ranges);
      if (f) {
        ctx.model = f.model;
        ctx.stream = f.stream;
        userId = f.userId;
        if (ranges !== undefined) ctx.ranges = ranges;
      }
    }
    ctx.modelRequested = ctx.model;
    ctx.sessionId = sessionIdOf(ctx.req.headers['x-claude-code-session-id'], userId);
    if (ctx.ranges !== null) applyAgentsAndRules(ctx, ctx.ranges);
    ctx.modelKey = ctx.model === null ? null : modelFamilyKey(ctx.model);
    if (messages && ctx.model !== null && HEADER_SAFE.test(ctx.model)) ctx.echoModel = ctx.model;
  }

  /**
   * Attribution, then the model rewrite (agent preference, then global rules: only when one
   * applies), then the interceptor for the main agent when it is on. With no agents and no rules
   * this is the detector alone (well under a microsecond for a main-agent request).
   */
  function applyAgentsAndRules(ctx: Ctx, ranges: FieldRanges): void {
    const h = ctx.req.headers;
    const a = detectAgent({
      body: ctx.body,
      ranges,
      agentId: h['x-claude-code-agent-id'] as string | undefined,
      userAgent: h['user-agent'],
      xApp: h['x-app'] as string | undefined,
      snapshot: agents.current(),
    });
    ctx.agent = ctx.internalAgent ?? a.agent;
    ctx.agentInstance = ctx.internalAgent === null ? a.agentInstance : null;
    const r = rules.current();
    if (ctx.model !== null && (r.rewrites || a.known?.model != null)) {
      const target = routeModel(ctx.model, a.known, r.modelRules.rules);
      if (target !== null) setModel(ctx, target);
    }
    if (ctx.agent === MAIN_AGENT && r.interceptor.enabled) {
      const out = interceptSystemPrompt(ctx.body, r.interceptor);
      if (out !== null) {
        ctx.body = out.body;
        // The splice offsets are stale after re-serialising; the fallback may need `model`'s again.
        ctx.ranges = noRanges();
        if (scanRequestFields(ctx.body, ctx.ranges) === null) ctx.ranges = null;
        rules.noteMainPrompt(out.prompt, out.envBlock);
      }
    }
  }

  /** Sends `model` instead of the request's: only the bytes of the `model` value change. */
  function setModel(ctx: Ctx, model: string): void {
    const r = ctx.ranges;
    if (r !== null && r.modelStart >= 0) {
      const before = ctx.body.length;
      ctx.body = replaceModel(ctx.body, r.modelStart, r.modelEnd, model);
      // Spliced longer: what follows moved; written in place (padded), nothing moved.
      const moved = ctx.body.length - before;
      if (r.systemStart > r.modelStart) {
        r.systemStart += moved;
        r.systemEnd += moved;
      }
      r.modelEnd += moved;
    } else {
      // A body the scanner declined (escaped keys…): the rare full rewrite.
      const j = JSON.parse(ctx.body.toString('utf8')) as Record<string, unknown>;
      j.model = model;
      ctx.body = Buffer.from(JSON.stringify(j), 'utf8');
      ctx.ranges = null;
    }
    ctx.model = model;
    ctx.modelKey = modelFamilyKey(model);
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
        path: redactQuery(ctx.req.url ?? '/'),
        model: ctx.model,
        sessionId: ctx.sessionId,
      });
    }
    // After parseRequest: the allow-list is checked against the model the request goes out with.
    const refused =
      limits?.check(ctx.clientKey, ctx.model, ctx.ts, ctx.model === null && takesModel(ctx.req.method, ctx.req.url)) ??
      null;
    if (refused !== null) {
      fail(ctx, refused);
      return;
    }
    ctx.deadline = ctx.t0 + config.requestDeadlineMs;
    // A non-streaming Messages answer's headers come only once it is whole: minutes are normal.
    ctx.attemptCapMs =
      !ctx.stream && isConversationCall(ctx.req.method, ctx.req.url)
        ? config.requestDeadlineMs
        : config.attemptTimeoutMs;
    ctx.path = basePath + (ctx.req.url ?? '/');
    // Instances sharing a database: the session's pin from whichever instance served it last.
    if (ctx.sessionId !== null) {
      const warming = affinity.warm(ctx.sessionId, clock.now());
      if (warming !== null) await warming;
    }
    const method = (ctx.req.method ?? 'GET') as Dispatcher.HttpMethod;

    // The second round, if any, is the fallback model's (tryFallback: once, never chained).
    do {
      while (!ctx.aborted) {
        const start = performance.now();
        const stop = beforeAttempt(ctx, start);
        if (stop !== null) {
          if (stop.reason === 'deadline') ctx.last = deadlineExceeded();
          break;
        }
        let account = ctx.retry;
        ctx.retry = null;
        let untried = false;
        if (account === null) {
          account = firstUntried(ctx);
          untried = account !== null;
          if (account !== null && ctx.routeDelayMs > 0) {
            if (!comeBack(ctx.routeDelayMs, ctx, start)) break;
            await pause(sleep, ctx, ctx.routeDelayMs);
            if (ctx.aborted) break;
          }
        }
        if (account === null && ctx.waitFor !== null) {
          const wait = ctx.waitForAt - clock.now();
          if (!comeBack(wait, ctx, start)) break;
          account = ctx.waitFor;
          ctx.waitFor = null;
          if (wait > 0) await pause(sleep, ctx, wait);
          if (ctx.aborted) break;
        }
        if (account === null) break;

        let isRetry = countsAsRetry(ctx, untried);
        if (isRetry && !retryBudgetLeft(retriesActive, inFlight)) {
          // The budget refuses another go at this account, not the request: an account it has not
          // used yet still takes it (a 529 retry refused here answered 529 while B sat idle).
          ctx.tried.add(account.id);
          const other = firstUntried(ctx);
          if (other === null) {
            logger.warn({ request: ctx.id }, 'retry budget exhausted; returning the last upstream answer');
            break;
          }
          account = other;
          isRetry = false;
        }
        ctx.attempts++;
        const attemptStart = performance.now();
        if (isRetry) retriesActive++;
        let cred: Credentials;
        try {
          // API keys need no await (one microtask less per request on the hot path).
          cred =
            account.kind === 'max'
              ? { kind: 'max', secret: await accessTokenFor(account, ctx.rejectedToken) }
              : { kind: account.kind, secret: tokens.apiKey(account) };
        } catch (err) {
          if (isRetry) retriesActive--;
          if (ctx.aborted) break;
          if (!(err instanceof GatewayError)) throw err;
          ctx.attemptLog.push({ account: account.name, status: null, error: err.message, ms: 0 });
          if (err.code === 'needs_reauth') affinity.forgetAccount(account.id);
          ctx.last = err;
          const step = nextStep(classifyCredentialFailure(err.message), account.id, ctx, performance.now());
          if (follow(ctx, step, account, null) < 0) break;
          continue;
        }
        ctx.rejectedToken = null;
        if (ctx.aborted) {
          // The client left, or shutdown answered for it, during a token refresh: nothing to send.
          if (isRetry) retriesActive--;
          break;
        }
        const r = await forward(ctx, account, cred, method, attemptStart);
        if (isRetry) retriesActive--;

        if (r.kind === 'streamed') {
          ctx.endedBy = r.forwarder;
          ctx.endedAt = performance.now();
          // The first to wait schedules the run; the others join it.
          if (ended.push(ctx) === 1) deferFinish(finishEnded);
          return;
        }
        if (ctx.aborted) {
          // Cut short by the client leaving or by shutdown, it still went out on this account: the
          // record lists it (and the account's attempt count has it), as any other attempt.
          const why = r.kind === 'network' && r.error instanceof Error ? r.error.message : 'cut short';
          ctx.attemptLog.push({
            account: account.name,
            status: null,
            error: why,
            ms: Math.round(performance.now() - attemptStart),
          });
          break;
        }
        let step: Step;
        if (r.kind === 'network') {
          const ms = Math.round(performance.now() - attemptStart);
          const d = classifyNetworkError(r.error, ctx.attempts - 1);
          ctx.attemptLog.push({ account: account.name, status: null, error: d.message, ms });
          if (d.kind === 'client_error') {
            ctx.last = new GatewayError('bad_request', `The gateway cannot forward this request: ${d.message}`);
            break;
          }
          logger.warn({ request: ctx.id, account: account.name, reason: d.message }, 'upstream attempt failed');
          ctx.last = new GatewayError('upstream_unreachable', unreachableMessage(ctx, d.message));
          router.outcome(account.id, 'failed', clock.now());
          // An attempt that waited until the deadline spent it (give or take the timer's 1 ms
          // rounding); one cut short by its own cap leaves the rest for the next account.
          const headersTimeout = (r.error as { code?: unknown }).code === 'UND_ERR_HEADERS_TIMEOUT';
          step = nextStep(
            d,
            account.id,
            ctx,
            headersTimeout && ctx.attemptUntilDeadline ? ctx.deadline : performance.now(),
          );
        } else {
          const errBody = r.body;
          const d = classifyFailure({
            status: r.status,
            headers: r.headers,
            body: errBody.toString('utf8'),
            accountKind: account.kind,
            now: clock.now(),
            attempt: ctx.attempts - 1,
            strikes: account.strikes,
            model: ctx.model,
          });
          ctx.attemptLog.push({
            account: account.name,
            status: r.status,
            error: d.message,
            ms: Math.round(performance.now() - attemptStart),
          });
          ctx.last = { status: r.status, headers: clientResponseHeaders(r.headers), body: errBody };
          if (r.status === 429) router.outcome(account.id, 'rate_limited', clock.now());
          else if (r.status >= 500) router.outcome(account.id, 'failed', clock.now());
          if (d.effect.type !== 'none') {
            logger.warn({ request: ctx.id, account: account.name, status: r.status, kind: d.kind }, d.message);
          }
          step = nextStep(d, account.id, ctx, performance.now());
          if (step.type === 'stop' && step.reason === 'refused_on_endpoint') {
            ctx.attemptLog[ctx.attemptLog.length - 1] = {
              ...(ctx.attemptLog.at(-1) as AttemptRecord),
              error: 'refused on this endpoint',
            };
          } else if (d.effect.type !== 'none' && d.effect.type !== 'refresh') {
            // `none` and `refresh` change nothing on the account row (the refresh is the retry step's).
            await pool.applyEffect(account, d.effect);
            if (d.effect.type === 'disable') affinity.forgetAccount(account.id);
          }
          const hold = r.status === 429 && step.type !== 'stop' ? stickyHold(ctx, account) : 0;
          if (hold > 0) {
            ctx.retriedSame = withId(ctx.retriedSame, account.id);
            ctx.retry = account;
            ctx.routeReason = formatReason({ kind: 'sticky-hold', waitMs: hold });
            logger.info(
              { request: ctx.id, account: account.name, waitMs: hold },
              'sticky: holding the request until its account frees up',
            );
            await pause(sleep, ctx, hold);
            continue;
          }
        }
        const wait = follow(ctx, step, account, cred.secret);
        if (wait < 0) break;
        if (wait > 0) await pause(sleep, ctx, wait);
      }
    } while (!ctx.aborted && tryFallback(ctx));

    if (ctx.aborted) {
      finishAborted(ctx);
      return;
    }
    let last = ctx.last;
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

  /**
   * The 502's text: which upstream, how many attempts on which accounts, and the last cause, so
   * the person reading Claude Code's error can tell a network problem from an account's.
   */
  function unreachableMessage(ctx: Ctx, cause: string): string {
    const names = [...new Set(ctx.attemptLog.map((a) => a.account))];
    const tries = ctx.attemptLog.length === 1 ? '1 attempt' : `${ctx.attemptLog.length} attempts`;
    const on = names.length === 1 ? `account ${names[0]}` : `accounts ${names.join(', ')}`;
    return `Upstream ${base.host} unreachable (${tries} on ${on}): ${cause}`;
  }

  /**
   * When the fallback is on and every account refused the request's model (none usable for it
   * from the start, or the last answer a rate-limit or overload refusal), switches the request to
   * the fallback model and resets what the failover loop remembers: returns true to run the loop
   * once more. Never chained: a request falls back at most once. Not when no account could take
   * the fallback model either (the first model's answer is the more useful one then).
   */
  function tryFallback(ctx: Ctx): boolean {
    const from = ctx.model;
    if (from === null || ctx.fallbackFrom !== null || !isMessagesPath(ctx.req.url)) return false;
    const fallback = rules.current().modelRules.fallback;
    if (!fallback.enabled) return false;
    const last = ctx.last;
    const refused =
      last === null ||
      (last instanceof GatewayError ? last.code === 'no_account' : last.status === 429 || last.status === 529);
    if (!refused) return false;
    const to = fallbackFor(from, fallback);
    // A key limited to some models is not served by another through the fallback: the request
    // keeps the first model's refusal, as if no fallback were configured.
    if (to === null || (limits !== undefined && !limits.allowsModel(ctx.clientKey, to))) return false;
    const key = modelFamilyKey(to);
    const now = clock.now();
    if (!pool.list().some((a) => unusableReason(a, now, key) === null)) return false;
    setModel(ctx, to);
    ctx.fallbackFrom = from;
    ctx.tried.clear();
    ctx.retriedSame = null;
    ctx.refreshed = null;
    ctx.rejectedToken = null;
    ctx.retry = null;
    ctx.waitFor = null;
    ctx.last = null;
    ctx.maxAttempts = ctx.attempts + config.maxAttempts;
    if (!ctx.res.headersSent && HEADER_SAFE.test(to) && HEADER_SAFE.test(from)) {
      ctx.echoModel = to;
      ctx.res.setHeader(FALLBACK_HEADER, from);
    }
    logger.info({ request: ctx.id, from, to }, 'every account refused the model; trying the fallback model once');
    return true;
  }

  /**
   * Books a failover step on the request's state; returns the wait before the next attempt, or -1
   * to stop. `secret`: the credential of the attempt, the one a forced refresh must get past.
   */
  function follow(ctx: Ctx, step: Step, account: AccountRow, secret: string | null): number {
    if (step.type === 'stop') {
      if (step.reason === 'deadline') ctx.last = deadlineExceeded();
      return -1;
    }
    if (step.type === 'next_account') {
      ctx.tried.add(account.id);
      return 0;
    }
    ctx.retriedSame = withId(ctx.retriedSame, account.id);
    if (step.type === 'wait_for') {
      ctx.waitFor = account;
      ctx.waitForAt = clock.now() + step.waitMs;
      ctx.tried.add(account.id);
      return 0;
    }
    if (step.refresh) {
      ctx.refreshed = withId(ctx.refreshed, account.id);
      ctx.rejectedToken = secret;
    }
    ctx.retry = account;
    return step.waitMs;
  }

  /**
   * sticky: after the held account's 429 (its cooldown already applied), the wait before retrying
   * it there, or 0 to fail over as usual. Once per account and request, within the deadline.
   */
  function stickyHold(ctx: Ctx, account: AccountRow): number {
    if (ctx.retriedSame?.has(account.id) === true) return 0;
    const ms = router.holdAfterLimit(pool.get(account.id) ?? account, {
      now: clock.now(),
      modelKey: ctx.modelKey,
      firstPick: ctx.attempts === 1,
    });
    return ms !== null && comeBack(ms, ctx, performance.now()) ? ms : 0;
  }

  function deadlineExceeded(): GatewayError {
    return new GatewayError('deadline_exceeded', `No upstream answer within ${config.requestDeadlineMs} ms`);
  }

  /** The account to try next among those this request has not used, or null. */
  function firstUntried(ctx: Ctx): AccountRow | null {
    const now = clock.now();
    const input = {
      now,
      sessionMs: settings.current().sessionMs,
      modelKey: ctx.modelKey,
      affinityAccountId: ctx.sessionId === null ? null : affinity.get(ctx.sessionId, now),
      exclude: ctx.tried,
    };
    ctx.routeDelayMs = 0;
    if (router.plainSession()) {
      // Today's path: no reasons list is built per request.
      const a = orderAccounts(pool.list(), input)[0] ?? null;
      if (a !== null) ctx.routeReason = sessionReasonText(a, input.affinityAccountId, now, input.sessionMs);
      return a;
    }
    const d = router.decide(pool.list(), input);
    const a = d.order[0] ?? null;
    const why = d.reasons[0];
    if (a === null || why === undefined) return null;
    ctx.routeReason = formatReason(why);
    ctx.routeDelayMs = d.delayMs;
    if (why.kind === 'threshold-fallback') {
      logger.warn(
        { request: ctx.id, account: a.name, utilization: why.utilization },
        'every usable account is past its quota threshold; using the least used one',
      );
    }
    return a;
  }

  function anyUsable(ctx: Ctx): boolean {
    const now = clock.now();
    return pool.list().some((a) => !ctx.tried.has(a.id) && unusableReason(a, now, ctx.modelKey) === null);
  }

  function noAccountError(ctx: Ctx, cause: GatewayError | null): GatewayError {
    const now = clock.now();
    const accounts = pool.list();
    if (accounts.length === 0) {
      return new GatewayError('no_account', `No accounts configured: ${ADD_ACCOUNT_HINT}`, { retryable: false });
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
    const forModel = ctx.model === null ? '' : ` for ${ctx.model}`;
    // None comes back without a person: the client (x-should-retry: false) shows this message at
    // once instead of retrying for minutes.
    const needsPerson = accounts.every(waitsForPerson);
    return new GatewayError(
      'no_account',
      `No usable account${forModel} (${accounts.length} configured: ${parts})${when}${extra}`,
      { headers, retryable: !needsPerson },
    );
  }

  /** Runs one upstream attempt; a 2xx/3xx answer is streamed to the client before this resolves. */
  function forward(
    ctx: Ctx,
    account: AccountRow,
    cred: Credentials,
    method: Dispatcher.HttpMethod,
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
            const out = clientResponseHeaders(headers);
            if (ctx.echoModel !== null) out[MODEL_HEADER] = ctx.echoModel;
            ctx.res.writeHead(status, out);
          },
          broke: (err) => {
            if (ctx.aborted) return;
            logger.warn(
              { request: ctx.id, account: account.name, err: err.message },
              'upstream stream broke mid-response',
            );
            const res = ctx.res;
            f.streamError = `upstream stream broke: ${err.message}`;
            if (f.tracker !== null && !f.tracker.midFrame && !res.writableEnded) {
              // Tell the SDK what happened instead of a silent truncation (it raises an APIError).
              res.end(MID_STREAM_ERROR_FRAME);
            } else {
              // A JSON answer cut short, or an event cut inside its frame (an error frame written
              // now would merge with it into one broken event): ending the response would hand
              // the client a truncated 200. A reset reads as the connection failure it is, which
              // the SDK retries.
              res.destroy();
            }
          },
        },
        (r) => {
          ctx.current = null;
          resolve(r);
        },
      );
      ctx.current = f;
      // Its cap, or the rest of the deadline as of now (after any wait and credential refresh).
      const sentAt = performance.now();
      ctx.attemptUntilDeadline = Math.ceil(ctx.deadline - sentAt) <= ctx.attemptCapMs;
      f.headersWithin(attemptTimeoutMs(ctx, sentAt));
      upstream.dispatch(
        {
          path: ctx.path,
          method,
          headers: upstreamHeaders(ctx.req.rawHeaders, cred, ctx.body.length),
          body: ctx.body.length > 0 ? ctx.body : null,
          // 0: off; the forwarder's own timer keeps the deadline to the ms (see headersWithin).
          headersTimeout: 0,
          bodyTimeout: config.requestDeadlineMs,
        },
        f,
      );
      if (!ctx.observed && ctx.agent !== null) {
        // Workspace discovery after the request left, never before (the directory defers the scan).
        ctx.observed = true;
        agents.observe(ctx.body, ctx.sessionId);
        if (ctx.agent === MAIN_AGENT && ctx.ranges !== null && !rules.current().interceptor.enabled) {
          promptSampler.offer(ctx.body, ctx.ranges.systemStart, ctx.ranges.systemEnd, clock.now());
        }
      }
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
    if (router.strategy() !== 'session') {
      router.served(account.id, {
        now,
        sessionMs: settings.current().sessionMs,
        modelKey: ctx.modelKey,
        affinityAccountId: null,
        exclude: ctx.tried,
      });
      router.outcome(account.id, 'ok', now);
    }
    account.requestCount++;
    account.sessionRequestCount++;
    account.lastUsedAt = now;
  }

  /** Runs the bookkeeping of the answers that ended since the last run (see `ended`). */
  function finishEnded(): void {
    const list = ended;
    ended = [];
    for (const ctx of list) {
      const f = ctx.endedBy as Forwarder;
      ctx.endedBy = null;
      try {
        finishStreamed(ctx, f, ctx.endedAt);
      } catch (err) {
        // As when `serve` throws; the others still run.
        failed(ctx, err);
      }
    }
  }

  /** `end`: when the answer ended; now when the bookkeeping follows at once. */
  function finishStreamed(ctx: Ctx, f: Forwarder, end = performance.now()): void {
    // Shutdown may have recorded it already (`interrupt`), before the attempt came back.
    if (ctx.done) return;
    const capture = captureLimit();
    let usage = null as ReturnType<typeof usageFromMessage> | null;
    let ttft: number | null = null;
    let tps: number | null = null;
    let errorText: string | null = f.streamError;
    let stopReason: string | null = null;
    let modelApplied: string | null = ctx.model;
    // Kept as bytes: the record stores the bytes; only a JSON answer is decoded, for its usage. A
    // long stream's blocks stay deflated (kept-bytes.ts: KeptBytes.body); it keeps at most
    // `capture` bytes, so it needs no cut below.
    const tracker = f.tracker;
    const json = tracker === null ? f.kept.bytes() : null;
    const body = tracker === null ? json : f.kept.body();
    if (tracker !== null) {
      tracker.end();
      const r = tracker.result;
      usage = r;
      if (r.model) modelApplied = r.model;
      stopReason = r.stopReason;
      if (r.firstDeltaAt !== null) ttft = r.firstDeltaAt - ctx.t0;
      // protocol.md §5: output tokens/s over the streaming span, first delta to last.
      if (r.firstDeltaAt !== null && r.lastDeltaAt !== null)
        tps = outputSpeed(r.outputTokens, r.lastDeltaAt - r.firstDeltaAt);
      if (r.error !== null) {
        errorText = `${r.error.type}: ${r.error.message}`;
        const d = classifyStreamError(r.error.type, clock.now());
        pool
          .applyEffect(ctx.account as AccountRow, d.effect)
          .catch((err) => logger.error({ err }, 'account state not saved'));
      }
    } else {
      if (f.firstByteAt !== 0) ttft = f.firstByteAt - ctx.t0;
      if (json !== null && !f.truncated && isJson(f.headers['content-type'])) {
        try {
          const j = JSON.parse(json.toString('utf8')) as Record<string, unknown>;
          usage = usageFromMessage(j);
          if (typeof j.model === 'string') modelApplied = j.model;
          if (typeof j.stop_reason === 'string') stopReason = j.stop_reason;
        } catch {
          // A non-JSON success body simply has no usage.
        }
      }
      tps = outputSpeed(usage?.outputTokens, end - ctx.t0);
    }
    if (ctx.interrupted && errorText === null) errorText = INTERRUPTED;
    // A stream that upstream broke is the upstream's failure even when the gateway then reset the
    // client's connection (`broke`), which reads as the client leaving.
    const clientLeft = ctx.aborted && f.streamError === null;
    if (clientLeft && errorText === null) errorText = 'client disconnected';
    if (errorText === null && tracker !== null && !tracker.result.messageStopped && isMessagesPath(ctx.req.url)) {
      // protocol.md §5: a message stream ends with message_stop; the SDK raises an error without it.
      errorText = 'upstream stream ended without message_stop';
    }
    settle(ctx, {
      status: clientLeft ? 499 : f.status,
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
          ? payloadOf(
              ctx,
              f.headers,
              Buffer.isBuffer(body) ? body.subarray(0, capture) : body,
              f.truncated || f.kept.length > capture,
            )
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
      requestHeaders: redactedHeadersJson(ctx.req.headers as Record<string, unknown>),
      requestBody: ctx.body.length === 0 ? null : ctx.body.subarray(0, cap),
      responseHeaders:
        responseHeaders === null ? null : redactedHeadersJson(responseHeaders as Record<string, unknown>),
      responseBody,
      requestTruncated: reqTrunc,
      responseTruncated,
    };
  }

  /** The upstream's own error answer, unchanged. */
  function passThrough(ctx: Ctx, f: Failure): void {
    const { res } = ctx;
    if (!res.headersSent) {
      if (ctx.echoModel !== null) res.setHeader(MODEL_HEADER, ctx.echoModel);
      res.writeHead(f.status, f.headers);
      res.end(f.body);
    }
    let message: string | null = null;
    try {
      const j = JSON.parse(f.body.toString('utf8')) as { error?: { type?: string; message?: string } };
      if (j.error) message = `${j.error.type ?? 'error'}: ${j.error.message ?? ''}`;
    } catch {
      message = f.body.subarray(0, 200).toString('utf8');
    }
    settle(ctx, failure(ctx, f.status, message ?? `HTTP ${f.status}`, answerPayload(ctx, f.headers, f.body)));
  }

  /** The gateway's own error answer in Anthropic's shape; only an end of the response if the client left. */
  function fail(ctx: Ctx, err: GatewayError): void {
    const { res } = ctx;
    const r = toErrorResponse(err);
    const body = JSON.stringify(r.body);
    if (!res.headersSent && !ctx.aborted) {
      if (ctx.echoModel !== null) res.setHeader(MODEL_HEADER, ctx.echoModel);
      res.writeHead(r.status, { ...r.headers, 'content-length': Buffer.byteLength(body) });
      res.end(body);
    } else if (!res.writableEnded) {
      res.end();
    }
    if (err.code === 'no_account' && !ctx.done) logger.warn({ request: ctx.id }, err.message);
    settle(ctx, failure(ctx, r.status, err.message, answerPayload(ctx, r.headers, body)));
  }

  function finishAborted(ctx: Ctx): void {
    settle(ctx, failure(ctx, 499, 'client disconnected', answerPayload(ctx, null, null)));
  }

  function interrupt(): { interrupted: number; answered: Promise<void> } {
    shuttingDown = true;
    // Answers already sent are recorded as they went, not as interrupted.
    finishEnded();
    const all: Ctx[] = [];
    for (let c = open; c !== null; c = c.next) all.push(c);
    const answered: Promise<void>[] = [];
    for (const ctx of all) {
      // A client already gone has nothing more to receive.
      if (!ctx.aborted && !ctx.res.destroyed && !ctx.res.writableFinished) answered.push(handedOff(ctx.res));
      endInterrupted(ctx);
    }
    return { interrupted: all.length, answered: Promise.all(answered).then(() => undefined) };
  }

  /**
   * A request still open when shutdown's grace period ends gets an answer a client reads as a
   * failure rather than a cut socket, which the SDK would take for a truncated answer: a 503
   * before any byte went out, an `event: error` frame closing an SSE stream (protocol.md section
   * 4: raised as an APIError), and for a JSON answer half relayed, a reset connection. Its
   * record is queued now, so the writer closed next commits it.
   */
  function endInterrupted(ctx: Ctx): void {
    const f = ctx.current;
    const { res } = ctx;
    if (ctx.aborted) finishAborted(ctx);
    else if (!res.headersSent) fail(ctx, new GatewayError('shutting_down', INTERRUPTED));
    else {
      ctx.interrupted = true;
      if (f?.isSse && !res.writableEnded) res.end(SHUTDOWN_FRAME);
      else res.destroy();
      if (f !== null) finishStreamed(ctx, f);
      else settle(ctx, failure(ctx, res.statusCode, INTERRUPTED, null));
    }
    // Stops the attempt and any wait or retry of it: the request is answered and recorded.
    ctx.aborted = true;
    f?.abort(SHUTTING_DOWN);
    ctx.waitAbort?.abort(SHUTTING_DOWN);
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

  /** A request that got no upstream success: no usage, no timings but the latency. */
  function failure(ctx: Ctx, status: number, error: string, payload: PayloadInput | null): Outcome {
    return {
      status,
      success: false,
      error,
      latencyMs: performance.now() - ctx.t0,
      ttftMs: null,
      modelApplied: null,
      stopReason: null,
      usage: null,
      tps: null,
      payload,
    };
  }

  /**
   * The payload of an answer written whole, null while capture is off. Upstream bytes are capped;
   * the gateway's own error JSON is kept as it is.
   */
  function answerPayload(
    ctx: Ctx,
    headers: Record<string, string | string[]> | null,
    body: Buffer | string | null,
  ): PayloadInput | null {
    const s = settings.current();
    if (!s.payloadCapture) return null;
    if (body === null || typeof body === 'string') return payloadOf(ctx, headers, body, false);
    return payloadOf(ctx, headers, body.subarray(0, s.payloadMaxBytes), body.length > s.payloadMaxBytes);
  }

  /** Every request ends here, once: it leaves the in-flight count and its record is queued. */
  function settle(ctx: Ctx, o: Outcome): void {
    if (ctx.done) return;
    ctx.done = true;
    inFlight--;
    if (ctx.prev !== null) ctx.prev.next = ctx.next;
    else open = ctx.next;
    if (ctx.next !== null) ctx.next.prev = ctx.prev;
    ctx.prev = null;
    ctx.next = null;
    record(ctx, o);
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
      path: redactQuery(ctx.req.url ?? '/'),
      accountId: ctx.account?.id ?? null,
      accountName: ctx.account?.name ?? null,
      status: o.status,
      success: o.success,
      error: o.error,
      latencyMs: round1(o.latencyMs),
      ttftMs: o.ttftMs === null ? null : round1(o.ttftMs),
      attempts: ctx.attempts,
      attemptLog: ctx.attemptLog,
      modelRequested: ctx.modelRequested,
      // A failed request sent with a rewritten model still says which model it was sent with.
      modelApplied: o.modelApplied ?? (ctx.model !== ctx.modelRequested ? ctx.model : null),
      modelFallback: ctx.fallbackFrom !== null,
      agent: ctx.agent,
      agentInstance: ctx.agentInstance,
      routeReason: ctx.account === null ? null : ctx.routeReason,
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
      // A reference, not a copy: the writer's thread hashes the messages after the answer went out.
      // The gateway's own requests (a conversation's analysis) are recorded, not linked: each made a
      // conversation of its own in the list, beside the one it analysed.
      linkBody:
        config.conversations &&
        ctx.internalAgent === null &&
        ctx.body.length > 0 &&
        isConversationCall(ctx.req.method, ctx.req.url)
          ? ctx.body
          : null,
    };
    writer.enqueue(rec);
    if (events.listenerCount('request.finished') > 0) events.emit('request.finished', rec);
  }

  return { handle, inFlight: () => inFlight, interrupt };
}

const EMPTY = Buffer.alloc(0);
/** On every /v1/messages answer: the model the request was sent upstream with. */
const MODEL_HEADER = 'x-ccflare-model';
/** The record id of a request the gateway sent itself, on its answer (src/conversations/analysis.ts). */
export const INTERNAL_REQUEST_ID_HEADER = 'x-ccflare-request-id';
/** When the fallback model answered: the model every account refused. */
const FALLBACK_HEADER = 'x-ccflare-model-fallback';
/** Model ids come from clients: only a value a header can carry is echoed. */
const HEADER_SAFE = /^[\x21-\x7e]{1,200}$/;

/** `/v1/messages` and its sub-paths (count_tokens), with or without a query string. */
function isMessagesPath(url: string | undefined): boolean {
  return url?.startsWith('/v1/messages') === true && (url.length === 12 || url[12] === '?' || url[12] === '/');
}
/**
 * 413 with `connection: close`: Node's server then closes the socket once the answer is flushed
 * (`destroySoon`) instead of reading the rest of the body to reach a next request (a 10 GB
 * Content-Length was drained, 7 GB in 8 s at ~1.7 cores, after its 413).
 */
function tooLarge(): GatewayError {
  return new GatewayError('payload_too_large', `Request body exceeds ${MAX_REQUEST_BYTES} bytes`, {
    headers: { connection: 'close' },
  });
}
const MODEL_PATHS = ['/v1/messages', '/v1/messages/count_tokens', '/v1/messages/batches'];
/**
 * A call that runs models named in its body: POST /v1/messages, count_tokens, and a batch's
 * creation (its models are inside each request, where no single model is read). A batch's
 * cancel or results name none.
 */
function takesModel(method: string | undefined, url: string | undefined): boolean {
  if (method !== 'POST' || url === undefined) return false;
  const q = url.indexOf('?');
  return MODEL_PATHS.includes(q < 0 ? url : url.slice(0, q));
}
/** A Messages call that carries a conversation (POST /v1/messages, not count_tokens). */
function isConversationCall(method: string | undefined, url: string | undefined): boolean {
  return method === 'POST' && url?.startsWith('/v1/messages') === true && (url.length === 12 || url[12] === '?');
}
const CLIENT_GONE = new Error('client disconnected');
const SHUTTING_DOWN = new Error('ccflare is shutting down');
/** Said to the client and kept as the record's error: a request cut short by a shutdown. */
const INTERRUPTED = 'interrupted: ccflare shut down before this request finished; retry it';
const SHUTDOWN_FRAME = `event: error\ndata: ${JSON.stringify(
  toErrorResponse(new GatewayError('shutting_down', INTERRUPTED)).body,
)}\n\n`;
const MID_STREAM_ERROR_FRAME = `event: error\ndata: ${JSON.stringify({
  type: 'error',
  error: { type: 'api_error', message: 'ccflare: upstream connection lost mid-stream' },
})}\n\n`;

/** `set` with `id` added; the set is made on the first id (most requests never need one). */
function withId(set: Set<string> | null, id: string): Set<string> {
  const s = set ?? new Set<string>();
  s.add(id);
  return s;
}

function round1(n: number): number {
  return Math.round(n * 10) / 10;
}

function isJson(ct: string | string[] | undefined): boolean {
  return typeof ct === 'string' && ct.includes('json');
}

/** Resolves once `res` has been handed to the OS in full, or its connection is gone. */
function handedOff(res: ServerResponse): Promise<void> {
  return new Promise((resolve) => {
    const done = () => resolve();
    res.once('finish', done);
    res.once('close', done);
  });
}

/** Waits `ms` between attempts, ending as soon as the client goes away (then `ctx.aborted` is set). */
async function pause(sleep: Sleep, ctx: Ctx, ms: number): Promise<void> {
  if (ctx.aborted) return;
  ctx.waitAbort ??= new AbortController();
  try {
    await sleep(ms, ctx.waitAbort.signal);
  } catch (err) {
    if (!ctx.aborted) throw err;
  }
}

function formatDuration(ms: number): string {
  const s = Math.ceil(ms / 1000);
  if (s < 90) return `${s} s`;
  const m = Math.round(s / 60);
  if (m < 90) return `${m} min`;
  const h = Math.floor(m / 60);
  return `${h} h ${m % 60} min`;
}

/**
 * A 0 ms timer runs in the next loop iteration's timers phase, after the poll that reads a request
 * the client sent as the answer ended; `setImmediate` would run before that poll.
 */
function nextTimers(run: () => void): void {
  setTimeout(run, 0);
}
