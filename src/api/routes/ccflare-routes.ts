/**
 * ccflare's management API paths, answered in ccflare's shapes so its dashboard calls and users'
 * scripts keep working: thin adapters over this gateway's services (the account service, live
 * settings, the request store, the event bus). Same admin key and browser guard as every other
 * route; errors come in ccflare's shape, `{"error": "<message>"}`, with this gateway's status codes.
 *
 * `/api/logs/history` is served by the logs routes (it reads the log file).
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { HTTPException } from 'hono/http-exception';
import type { AccountView } from '../../accounts/account-status.js';
import { completeFlow, OAuthFlows } from '../../accounts/oauth-flows.js';
import { STRATEGIES } from '../../config/settings.js';
import { GatewayError, toErrorResponse } from '../../errors.js';
import type { LogLine } from '../../events.js';
import { headersOut, redactQuery } from '../../log/logger.js';
import { attemptCounts } from '../../shared/attempts.js';
import {
  CCFLARE_TIERS,
  ccflareModel,
  isCcflareTier,
  priorityToTier,
  TIER_RULE,
  tierToPriority,
} from '../../shared/ccflare-compat.js';
import { NAME_ERROR, NAME_PATTERN } from '../../shared/names.js';
import type { PayloadBody, RequestRecord, StoredRequest } from '../../storage/contract/records.js';
import { bodyBytes } from '../../storage/payloads/body-bytes.js';
import type { ApiDeps } from '../api-deps.js';
import { openEventStream } from '../live-events.js';
import { jsonBody, jsonResponse } from '../openapi-parts.js';

/** ccflare's error body. */
const CcflareErrorSchema = z.object({ error: z.string() }).openapi('CcflareError');

function errorBody(err: unknown): { status: number; body: { error: string } } {
  const r = toErrorResponse(err);
  const message = (r.body as { error?: { message?: string } }).error?.message ?? 'Internal error';
  return { status: r.status, body: { error: message } };
}

/** A router whose validation failures and errors answer in ccflare's shape. */
function ccflareRouter(logger: ApiDeps['logger']): OpenAPIHono {
  const app = new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map(
        (i) => `${i.path.length > 0 ? i.path.join('.') : result.target}: ${i.message}`,
      );
      return c.json({ error: `Invalid ${result.target}: ${issues.join('; ')}` }, 400);
    },
  });
  app.onError((thrown, c) => {
    // Hono's body parsing throws HTTPException (malformed JSON, wrong content type): the client's fault.
    const err =
      thrown instanceof HTTPException && (thrown.status === 400 || thrown.status === 415)
        ? new GatewayError('bad_request', `Invalid request body: ${thrown.message}`, { status: thrown.status })
        : thrown;
    if (!(err instanceof GatewayError)) logger.error({ err, path: c.req.path }, 'management API error');
    const { status, body } = errorBody(err);
    return c.json(body, status as 400);
  });
  return app;
}

const E = (description: string) => jsonResponse(CcflareErrorSchema, description);
const TAGS = ['ccflare compatibility'];

const TierSchema = z
  .number()
  .refine(isCcflareTier, { message: `expected ${TIER_RULE}` })
  .openapi({ enum: [...CCFLARE_TIERS], description: TIER_RULE });

// --- OAuth -------------------------------------------------------------------------------------

const OAuthInitBody = z
  .object({
    name: z.string().regex(NAME_PATTERN, NAME_ERROR),
    mode: z.enum(['max', 'console']).default('max'),
    tier: TierSchema.optional(),
  })
  .openapi('CcflareOAuthInit');

const oauthInit = createRoute({
  method: 'post',
  path: '/oauth/init',
  tags: TAGS,
  summary: "ccflare's OAuth start: the authorize URL and a session id for /api/oauth/callback",
  request: jsonBody(OAuthInitBody),
  responses: {
    200: jsonResponse(
      z.object({
        success: z.literal(true),
        authUrl: z.string(),
        sessionId: z.string(),
        step: z.literal('authorize'),
      }),
      'Open authUrl, then post the code#state it shows',
    ),
    400: E('Invalid name, mode or tier'),
    409: E('The name belongs to an account of another kind'),
  },
});

const oauthCallback = createRoute({
  method: 'post',
  path: '/oauth/callback',
  tags: TAGS,
  summary: "ccflare's OAuth completion: adds the account (or signs it in again)",
  request: jsonBody(
    z.object({ sessionId: z.string().min(1), code: z.string().min(1) }).openapi('CcflareOAuthCallback'),
  ),
  responses: {
    200: jsonResponse(
      z.object({
        success: z.literal(true),
        message: z.string(),
        mode: z.enum(['Claude Max', 'Claude Console']),
        tier: z.number(),
      }),
      'The account was added',
    ),
    400: E('Expired or unknown session, or a malformed code'),
    502: E('The OAuth server rejected the code'),
  },
});

// --- Accounts ----------------------------------------------------------------------------------

const tier = createRoute({
  method: 'post',
  path: '/accounts/{id}/tier',
  tags: TAGS,
  summary: "ccflare's account tier: sets the priority the tier maps to (20: 0, 5: 10, 1: 20)",
  request: {
    params: z.object({
      id: z.string().openapi({ param: { name: 'id', in: 'path' }, description: 'Account id or name' }),
    }),
    ...jsonBody(z.object({ tier: TierSchema }).openapi('CcflareTier')),
  },
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), tier: z.number() }), 'Set'),
    400: E('Not a tier'),
    404: E('No such account'),
  },
});

// --- Config ------------------------------------------------------------------------------------

const getStrategy = createRoute({
  method: 'get',
  path: '/config/strategy',
  tags: TAGS,
  summary: "ccflare's strategy read",
  responses: { 200: jsonResponse(z.object({ strategy: z.string() }), 'The strategy') },
});
const setStrategy = createRoute({
  method: 'post',
  path: '/config/strategy',
  tags: TAGS,
  summary: "ccflare's strategy change",
  request: jsonBody(z.object({ strategy: z.string() })),
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), strategy: z.string() }), 'Changed'),
    400: E('Unknown strategy'),
    409: E('Pinned by an environment variable'),
  },
});
const listStrategies = createRoute({
  method: 'get',
  path: '/strategies',
  tags: TAGS,
  summary: "ccflare's strategy list",
  responses: { 200: jsonResponse(z.array(z.string()), 'Strategy names') },
});
const getModel = createRoute({
  method: 'get',
  path: '/config/model',
  tags: TAGS,
  summary: "ccflare's default agent model read ('' when none is set)",
  responses: { 200: jsonResponse(z.object({ model: z.string() }), 'The model') },
});
const setModel = createRoute({
  method: 'post',
  path: '/config/model',
  tags: TAGS,
  summary: "ccflare's default agent model change (ccflare's short names opus-4, opus-4.1, sonnet-4 accepted)",
  request: jsonBody(z.object({ model: z.string().min(1) })),
  responses: {
    200: jsonResponse(z.object({ success: z.literal(true), model: z.string() }), 'Changed'),
    400: E('Not a model'),
    409: E('Pinned by an environment variable'),
  },
});
const getRetention = createRoute({
  method: 'get',
  path: '/config/retention',
  tags: TAGS,
  summary: "ccflare's retention read: payload days and request days",
  responses: { 200: jsonResponse(z.object({ payloadDays: z.number(), requestDays: z.number() }), 'Retention') },
});
const setRetention = createRoute({
  method: 'post',
  path: '/config/retention',
  tags: TAGS,
  summary: "ccflare's retention change (either or both)",
  request: jsonBody(z.object({ payloadDays: z.number().int().optional(), requestDays: z.number().int().optional() })),
  responses: {
    204: { description: 'Changed' },
    400: E('Out of range, or nothing given'),
    409: E('Pinned by an environment variable'),
  },
});

// --- Requests ----------------------------------------------------------------------------------

const detail = createRoute({
  method: 'get',
  path: '/requests/detail',
  tags: TAGS,
  summary: "ccflare's request payloads, newest first: bodies base64, headers without credentials",
  request: { query: z.object({ limit: z.coerce.number().int().min(1).max(1000).default(100) }) },
  responses: { 200: jsonResponse(z.array(z.unknown()), 'Request payloads'), 400: E('Invalid limit') },
});

const sse = (summary: string) => ({
  tags: TAGS,
  summary,
  responses: {
    200: { description: 'The event stream', content: { 'text/event-stream': { schema: z.string() } } },
    503: E('Too many stream clients'),
  },
});
const requestStream = createRoute({
  method: 'get',
  path: '/requests/stream',
  ...sse(
    "ccflare's request events: `event: connected` first, then `data:` lines {type: start|summary|payload}; a start carries statusCode 0 (sent when the request arrives)",
  ),
});
const logStream = createRoute({
  method: 'get',
  path: '/logs/stream',
  ...sse('ccflare\'s log stream: `data: {"connected":true}` first, then {ts, level, msg} per line (info and above)'),
});

/** What ccflare's summaries call a request (its RequestResponse). */
export function ccflareSummary(r: Omit<RequestRecord, 'payload'>) {
  const cacheWrite =
    r.cacheWrite5mTokens === null && r.cacheWrite1hTokens === null
      ? null
      : (r.cacheWrite5mTokens ?? 0) + (r.cacheWrite1hTokens ?? 0);
  const prompt =
    r.inputTokens === null && r.cacheReadTokens === null && cacheWrite === null
      ? null
      : (r.inputTokens ?? 0) + (r.cacheReadTokens ?? 0) + (cacheWrite ?? 0);
  // ccflare left out what was not known (or 0) rather than sending null.
  const opt = (n: number | null | undefined) => (n ? n : undefined);
  return {
    id: r.id,
    timestamp: new Date(r.ts).toISOString(),
    method: r.method,
    path: redactQuery(r.path),
    accountUsed: r.accountName ?? r.accountId,
    statusCode: r.status,
    success: r.success,
    errorMessage: r.error,
    responseTimeMs: r.latencyMs,
    failoverAttempts: attemptCounts(r.attemptLog).failovers,
    model: r.modelApplied ?? r.modelRequested ?? undefined,
    promptTokens: opt(prompt),
    completionTokens: opt(r.outputTokens),
    totalTokens: opt(prompt === null && r.outputTokens === null ? null : (prompt ?? 0) + (r.outputTokens ?? 0)),
    inputTokens: opt(r.inputTokens),
    cacheReadInputTokens: opt(r.cacheReadTokens),
    cacheCreationInputTokens: opt(cacheWrite),
    outputTokens: opt(r.outputTokens),
    costUsd: opt(r.costUsd),
    agentUsed: r.agent ?? undefined,
    tokensPerSecond: opt(r.outputTokensPerSecond),
  };
}

function base64(b: PayloadBody | null): string | null {
  return b === null ? null : bodyBytes(b).toString('base64');
}

/** Stored header JSON as ccflare's flat string map, credentials redacted again on the way out. */
function headerMap(json: string | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [k, v] of Object.entries(headersOut(json) ?? {})) out[k] = Array.isArray(v) ? v.join(', ') : v;
  return out;
}

/** ccflare's RequestPayload of a request. */
export function ccflarePayload(r: StoredRequest | RequestRecord) {
  const p = r.payload;
  const counts = attemptCounts(r.attemptLog);
  return {
    id: r.id,
    request: { headers: headerMap(p?.requestHeaders ?? null), body: base64(p?.requestBody ?? null) },
    response:
      r.status === null
        ? null
        : { status: r.status, headers: headerMap(p?.responseHeaders ?? null), body: base64(p?.responseBody ?? null) },
    ...(r.error === null ? {} : { error: r.error }),
    meta: {
      accountId: r.accountId ?? undefined,
      accountName: r.accountName ?? undefined,
      retry: counts.retries,
      timestamp: r.ts,
      success: r.success,
      rateLimited: r.attemptLog.some((a) => a.status === 429),
      accountsAttempted: counts.triedAccounts.length,
      path: redactQuery(r.path),
      method: r.method,
      agentUsed: r.agent ?? undefined,
    },
  };
}

/** ccflare's log event: upper-case level, Unix ms. */
function ccflareLog(l: LogLine) {
  return { ts: l.time, level: l.level === 'fatal' ? 'ERROR' : l.level.toUpperCase(), msg: l.msg };
}

/** Compatibility streams open at once; each is written per event, so they are capped. */
const MAX_STREAMS = 32;
/** Unsent bytes one stream client may hold before it is dropped (as the live event hub does). */
const MAX_STREAM_BUFFER = 256 * 1024;
const HEARTBEAT_MS = 15_000;

function nodeOf(c: Context): { req: IncomingMessage; res: ServerResponse } {
  const env = c.env as Partial<HttpBindings> | undefined;
  if (!env?.incoming || !env.outgoing) {
    throw new GatewayError('internal', 'The event stream is served only by the Node HTTP server');
  }
  return { req: env.incoming, res: env.outgoing };
}

export function ccflareRoutes(deps: ApiDeps): OpenAPIHono {
  const app = ccflareRouter(deps.logger);
  const { accounts, pool, liveSettings, store, events, logger, clock } = deps;
  const flows = deps.oauthFlows ?? new OAuthFlows(clock);
  let streams = 0;

  async function applied(v: AccountView): Promise<AccountView> {
    await pool.refresh();
    return v;
  }

  /** Writes ccflare's SSE frames from the event bus until the client goes away. */
  function stream(c: Context, first: string, subscribe: (send: (data: unknown) => void) => () => void) {
    const { req, res } = nodeOf(c);
    if (streams >= MAX_STREAMS) {
      return c.json({ error: 'Too many stream clients; try again later' }, 503, { 'retry-after': '5' });
    }
    streams++;
    openEventStream(req, res);
    let open = true;
    const write = (text: string) => {
      if (!open) return;
      res.write(text);
      if (res.writableLength > MAX_STREAM_BUFFER) {
        logger.warn({ path: c.req.path }, 'ccflare stream client dropped: it does not read fast enough');
        close();
        res.destroy();
      }
    };
    const heartbeat = setInterval(() => write(': ping\n\n'), HEARTBEAT_MS);
    heartbeat.unref();
    const unsubscribe = subscribe((data) => write(`data: ${JSON.stringify(data)}\n\n`));
    function close() {
      if (!open) return;
      open = false;
      streams--;
      clearInterval(heartbeat);
      unsubscribe();
    }
    res.once('close', close);
    write(first);
    return RESPONSE_ALREADY_SENT as never;
  }

  app.openapi(oauthInit, async (c) => {
    const { name, mode, tier: t } = c.req.valid('json');
    await accounts.checkOAuthName(name, mode);
    const start = accounts.beginOAuth(mode);
    const priority = t === undefined ? undefined : tierToPriority(t);
    const flow = await flows.create({ name, mode, priority, state: start.state, verifier: start.verifier });
    return c.json(
      { success: true as const, authUrl: start.url, sessionId: flow.flowId, step: 'authorize' as const },
      200,
      {
        'cache-control': 'no-store',
      },
    );
  });

  app.openapi(oauthCallback, async (c) => {
    const { sessionId, code } = c.req.valid('json');
    const flow = await flows.take(sessionId);
    if (flow === null) {
      // ccflare's answer for an unknown or expired session.
      throw new GatewayError('bad_request', 'OAuth session expired or invalid. Please try again.');
    }
    const view = await completeFlow(deps, flows, flow, code, 'account signed in with OAuth (ccflare path)');
    return c.json(
      {
        success: true as const,
        message: `Account '${view.name}' added successfully!`,
        mode: flow.mode === 'max' ? ('Claude Max' as const) : ('Claude Console' as const),
        // The tier given at init maps to this priority and back (ccflare-compat.ts).
        tier: priorityToTier(view.priority),
      },
      200,
    );
  });

  app.openapi(tier, async (c) => {
    const { id } = c.req.valid('param');
    const { tier: t } = c.req.valid('json');
    const row = (await store.accounts.get(id)) ?? (await store.accounts.getByName(id));
    if (row === null) throw new GatewayError('not_found', 'Account not found');
    if (!isCcflareTier(t)) throw new GatewayError('bad_request', `Invalid tier: expected ${TIER_RULE}`);
    await applied(await accounts.setPriority(row.name, tierToPriority(t)));
    return c.json({ success: true as const, tier: t }, 200);
  });

  app.openapi(getStrategy, (c) => c.json({ strategy: liveSettings.current().strategy }, 200));
  app.openapi(setStrategy, async (c) => {
    const { strategy } = c.req.valid('json');
    const after = await liveSettings.update({ strategy });
    return c.json({ success: true as const, strategy: after.strategy.value }, 200);
  });
  app.openapi(listStrategies, (c) => c.json([...STRATEGIES], 200));

  app.openapi(getModel, (c) => c.json({ model: liveSettings.current().defaultAgentModel }, 200));
  app.openapi(setModel, async (c) => {
    const { model } = c.req.valid('json');
    const after = await liveSettings.update({ defaultAgentModel: ccflareModel(model) });
    return c.json({ success: true as const, model: after.defaultAgentModel.value }, 200);
  });

  app.openapi(getRetention, (c) => {
    const s = liveSettings.current();
    return c.json({ payloadDays: s.payloadRetentionDays, requestDays: s.requestRetentionDays }, 200);
  });
  app.openapi(setRetention, async (c) => {
    const { payloadDays, requestDays } = c.req.valid('json');
    if (payloadDays === undefined && requestDays === undefined) {
      throw new GatewayError('bad_request', 'No retention fields provided');
    }
    await liveSettings.update({ payloadRetentionDays: payloadDays, requestRetentionDays: requestDays });
    return c.body(null, 204);
  });

  app.openapi(detail, async (c) => {
    const { limit } = c.req.valid('query');
    const rows = await store.requests.listRecords({ limit });
    const out = [];
    for (const r of rows) out.push(ccflarePayload((await store.requests.get(r.id)) ?? r));
    return c.json(out, 200);
  });

  app.openapi(requestStream, (c) =>
    stream(c, 'event: connected\ndata: ok\n\n', (send) => {
      const started = (e: { id: string; ts: number; method: string; path: string }) =>
        send({
          type: 'start',
          id: e.id,
          timestamp: e.ts,
          method: e.method,
          path: redactQuery(e.path),
          accountId: null,
          statusCode: 0,
          agentUsed: null,
        });
      const finished = (r: RequestRecord) => {
        send({ type: 'summary', payload: ccflareSummary(r) });
        if (r.payload !== null) send({ type: 'payload', payload: ccflarePayload(r) });
      };
      events.on('request.started', started);
      events.on('request.finished', finished);
      return () => {
        events.off('request.started', started);
        events.off('request.finished', finished);
      };
    }),
  );

  app.openapi(logStream, (c) =>
    stream(c, `data: ${JSON.stringify({ connected: true })}\n\n`, (send) => {
      const onLog = (l: LogLine) => send(ccflareLog(l));
      events.on('log', onLog);
      return () => events.off('log', onLog);
    }),
  );

  return app;
}
