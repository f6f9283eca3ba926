/**
 * Wires the gateway from one explicit dependencies object, so tests pass fakes (clock, upstream
 * dispatcher, store) and `serve.ts` passes the real ones. No singletons.
 */

import type { IncomingMessage, ServerResponse } from 'node:http';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { getRequestListener } from '@hono/node-server';
import type { OpenAPIHono } from '@hono/zod-openapi';
import type { Logger } from 'pino';
import type { Dispatcher } from 'undici';
import { AccountPool } from '../accounts/account-pool.js';
import { AccountService } from '../accounts/account-service.js';
import { accountStatus } from '../accounts/account-status.js';
import type { OAuthEndpoints } from '../accounts/oauth.js';
import { sealedFlows } from '../accounts/oauth-flows.js';
import { TokenManager } from '../accounts/token-manager.js';
import { UsagePoller } from '../accounts/usage-poller.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import { AgentRegistry } from '../agents/agent-registry.js';
import { AgentService } from '../agents/agent-service.js';
import { createApiApp } from '../api/api-app.js';
import { createAuth } from '../api/auth.js';
import { LiveEventHub, requestFinishedEvent } from '../api/live-events.js';
import { API_ROUTES } from '../api/routes/index.js';
import { countingWriter, KeyLimiter } from '../auth/key-limits.js';
import { KeyRegistry } from '../auth/key-registry.js';
import { KeyService } from '../auth/key-service.js';
import { InProcessKeyUsage, type KeyUsageCounters, usageWindows } from '../auth/key-usage.js';
import type { Clock, Sleep } from '../clock.js';
import type { Cluster } from '../cluster/cluster.js';
import { followRevisions } from '../cluster/follow-revisions.js';
import { sharePeerRequests } from '../cluster/peer-requests.js';
import { type Config, isLoopbackHost } from '../config/config.js';
import { LiveSettings } from '../config/live-settings.js';
import { ProxyRules } from '../config/proxy-rules.js';
import { analyzeConversation } from '../conversations/analysis.js';
import type { SecretBox } from '../crypto/secret-box.js';
import { GatewayError, toErrorResponse, writeErrorResponse } from '../errors.js';
import type { EventBus, LogLine } from '../events.js';
import { uuidv7 } from '../ids.js';
import { RecentLogLines } from '../log/log-events.js';
import { GatewayMetrics } from '../metrics/gateway-metrics.js';
import { ModelCatalogue } from '../models/model-catalogue.js';
import { upstreamModelsFetcher } from '../models/upstream-models.js';
import { ChannelService } from '../notify/channel-service.js';
import { Notifier, type NotifierDeps } from '../notify/notifier.js';
import { inboxEvent } from '../notify/notify-event.js';
import { PRICES_CACHE_FILE, PriceRefresher } from '../pricing/price-catalogue.js';
import { PRICES } from '../pricing/prices.js';
import { createPricer } from '../pricing/pricing.js';
import { createMcpEndpoint } from '../prompts/mcp-endpoint.js';
import { PromptLibrary } from '../prompts/prompt-library.js';
import { createProxy, type GatewayProxy, type ProxyDeps } from '../proxy/proxy-handler.js';
import { refuseUnreadBody } from '../refused-body.js';
import { createRouter } from '../routing/router.js';
import { SessionAffinity } from '../routing/session-affinity.js';
import type { InstanceLease } from '../storage/contract/instances.js';
import type { RecordWriter, Store } from '../storage/contract/store.js';
import { databaseFingerprint } from '../storage/open-store.js';
import { RetentionJob } from '../storage/retention-job.js';
import { buildWorkers as buildWorkersOf } from '../workers/build-workers.js';
import type { SdkEngineOptions } from '../workers/engine.js';
import type { WorkerEngine } from '../workers/types.js';
import { policyProblem, WorkersService, workerApprovalRules } from '../workers/workers-service.js';
import { browserPolicy, decide, PASS, refusalLog, routeOf } from './browser-guard.js';
import { healthVerdict } from './health.js';
import { INTERNAL_HEADER, InternalCalls } from './internal-calls.js';
import { packageVersion } from './runtime-file.js';
import { createStaticFiles } from './static-files.js';

export interface AppDeps {
  config: Config;
  store: Store;
  writer: RecordWriter;
  clock: Clock;
  logger: Logger;
  events: EventBus;
  /** Keep-alive pool to the upstream API origin. */
  upstream: Dispatcher;
  box: SecretBox;
  /** How often the account list is re-read to pick up changes made by other processes. */
  accountPollMs?: number;
  /** How long a rejected refresh token waits for another process's rotation (TokenManager's default when absent). */
  reauthGraceMs?: number;
  /** Runtime settings; built here (polled like the accounts) when not given. */
  liveSettings?: LiveSettings;
  /** The logger's recent lines, for GET /api/logs (empty when not given). */
  recentLogs?: RecentLogLines;
  /** The last log lines from the log file, oldest first (GET /api/logs/history); the recent lines when not given. */
  logHistory?: (limit: number) => Promise<LogLine[]>;
  /** The agent registry; a directory knowing no agent when not given. */
  agents?: AgentDirectory;
  /** The proxy's waits between attempts; timers when not given. */
  sleep?: Sleep;
  /** When the proxy does the bookkeeping of answers that went out (ProxyDeps.deferFinish). */
  deferFinish?: ProxyDeps['deferFinish'];
  /** Client-key usage counters shared across instances (PostgreSQL); default: this process's own. */
  keyUsage?: KeyUsageCounters;
  /** Delivery retry and timeout settings of the notifier (tests shorten the backoff). */
  notify?: Pick<NotifierDeps, 'maxAttempts' | 'retryBaseMs' | 'retryMaxMs' | 'timeoutMs'>;
  /** The engine workers run on; default: the Claude Agent SDK (optional package) against this gateway. */
  workerEngine?: WorkerEngine;
  /** HOME and more environment of the workers' Claude Code (tests keep it out of the real home). */
  workerSdk?: Pick<SdkEngineOptions, 'home' | 'env'>;
  /**
   * The other instances sharing the store (PostgreSQL); absent for one gateway on its own
   * database (SQLite), where nothing needs coordinating. Closed by its opener, not by `stop()`.
   */
  cluster?: Cluster;
}

export interface App {
  handle(req: IncomingMessage, res: ServerResponse): void;
  start(): Promise<void>;
  stop(): void;
  readonly proxy: GatewayProxy;
  /** Requests the gateway sends through itself; serve.ts gives it the listening URL. */
  readonly internalCalls: InternalCalls;
  readonly pool: AccountPool;
  readonly tokens: TokenManager;
  /** The management API (the auth route-table test walks its routes). */
  readonly api: OpenAPIHono;
  readonly liveSettings: LiveSettings;
  /** Agent files, preferences and discovered workspaces; the proxy reads its snapshot. */
  readonly agents: AgentRegistry;
  readonly proxyRules: ProxyRules;
  /** Reads idle subscription accounts' windows (CCFLARE_USAGE_POLL_MS). */
  readonly usagePoller: UsagePoller;
  /** Notifications: listens to the event bus, delivers off the request path. */
  readonly notifier: Notifier;
  /** The MCP prompt server's files (`/mcp`, `/api/prompts`). */
  readonly prompts: PromptLibrary;
  /**
   * Agent SDK workers. serve.ts closes them before it stops accepting requests: their Claude Code
   * sessions send requests through this gateway, so they must end while it still answers.
   */
  readonly workers: WorkersService;
}

export function oauthEndpoints(config: Config): OAuthEndpoints {
  return {
    authorizeUrl: config.oauthAuthorizeUrl,
    consoleAuthorizeUrl: config.oauthConsoleAuthorizeUrl,
    tokenUrl: config.oauthTokenUrl,
    clientId: config.oauthClientId,
    redirectUri: config.oauthRedirectUri,
    apiBaseUrl: config.upstreamUrl,
  };
}

export function buildApp(deps: AppDeps): App {
  const { config, store, clock, logger, events } = deps;
  const startedAt = clock.now();
  // This process among the instances on the database: its workers' runs and deliveries carry it.
  const instanceId = uuidv7(startedAt);
  let lease: InstanceLease | null = null;
  const recentLogs = deps.recentLogs ?? new RecentLogLines();
  const pool = new AccountPool({ store, clock, logger, events, pollMs: deps.accountPollMs ?? 1000 });
  // Per-key limits: counters shared by the instances on one PostgreSQL, else in this process.
  const limiter = new KeyLimiter(deps.keyUsage ?? new InProcessKeyUsage());
  // Keys minted for workers' runs: they authenticate and attribute, but do not close /v1 to keyless clients.
  const workerKeyNames = new Set<string>();
  // Client keys for /v1/* and the admin key of /api/*, reloaded when the keys revision moves.
  const keys = new KeyRegistry({
    internalKey: (name) => workerKeyNames.has(name),
    onClientKeys: (rows) => limiter.apply(rows),
    store,
    box: deps.box,
    clock,
    logger,
    pollMs: deps.accountPollMs ?? 1000,
    adminKey: config.adminKey,
    exposedAt: isLoopbackHost(config.host) || config.allowOpenProxy ? null : config.host,
  });
  const liveSettings =
    deps.liveSettings ?? new LiveSettings({ config, store, logger, clock, pollMs: deps.accountPollMs ?? 1000 });
  // Model rules, fallback and the system-prompt interceptor (settings table, polled like the settings).
  const proxyRules = new ProxyRules({ store, logger, clock, pollMs: deps.accountPollMs ?? 1000 });
  const tokens = new TokenManager({
    store,
    box: deps.box,
    oauth: oauthEndpoints(config),
    clock,
    logger,
    skewMs: config.refreshSkewMs,
    reauthGraceMs: deps.reauthGraceMs,
    events,
    ...(deps.cluster === undefined ? {} : { exclusive: deps.cluster.exclusive.bind(deps.cluster) }),
  });
  // Token refreshes and re-auth failures change rows behind the pool's back: reload at once so
  // the next request sees them instead of waiting for the revision poll.
  const refreshPool = () => {
    pool.refresh().catch((err) => logger.error({ err }, 'account reload failed'));
  };
  events.on('account.refreshed', refreshPool);
  events.on('account.changed', refreshPool);
  const pricer = createPricer({
    warn: (model) => logger.warn({ model }, 'no price known for this model: its cost is recorded as unknown'),
  });
  const priceRefresher =
    config.pricesUrl === undefined
      ? null
      : new PriceRefresher({
          url: config.pricesUrl,
          cachePath: join(config.home, PRICES_CACHE_FILE),
          bundled: PRICES,
          clock,
          logger,
          apply: (prices) => pricer.supplement(prices),
        });
  const catalogue = new ModelCatalogue({
    clock,
    logger,
    fetchModels: upstreamModelsFetcher({ upstream: deps.upstream, upstreamUrl: config.upstreamUrl, pool, tokens }),
  });
  const agents = new AgentRegistry({
    store,
    clock,
    logger,
    userDir: config.claudeAgentsDir,
    defaultModel: () => liveSettings.current().defaultAgentModel,
    resolveModel: (m) => catalogue.resolve(m),
    pollMs: deps.accountPollMs ?? 1000,
  });
  // Every strategy setting is live; a bad value from the flags, environment or file stops the start.
  const routing = createRouter({
    settings: () => liveSettings.current(),
    onInvalid: (err) => logger.warn({ reason: err.message }, 'strategy settings not applied'),
  });
  const proxy = createProxy({
    config,
    clock,
    logger,
    events,
    pool,
    tokens,
    writer: countingWriter(deps.writer, limiter),
    pricer,
    upstream: deps.upstream,
    affinity: new SessionAffinity(
      () => liveSettings.current().sessionMs,
      undefined,
      deps.cluster?.sessionPins ? { pins: deps.cluster.sessionPins, logger } : undefined,
    ),
    router: routing,
    settings: liveSettings,
    agents: deps.agents ?? agents,
    rules: proxyRules,
    sleep: deps.sleep,
    deferFinish: deps.deferFinish,
    limits: limiter,
  });

  // Scheduled jobs run on one instance of a cluster at a time; without a cluster, here.
  const usageLeader = deps.cluster?.leader('usage-poll');
  const retentionLeader = deps.cluster?.leader('retention');
  // Idle subscription accounts' windows, read through the proxy's pool and token manager.
  const usagePoller = new UsagePoller({
    ...(usageLeader ? { isLeader: () => usageLeader.isLeader() } : {}),
    upstream: deps.upstream,
    upstreamUrl: config.upstreamUrl,
    pool,
    tokens,
    clock,
    logger,
    intervalMs: config.usagePollMs,
  });

  // Listens to the bus only: the proxy never waits for a notification.
  const notifier = new Notifier({
    store,
    box: deps.box,
    clock,
    logger,
    events,
    accounts: () => {
      const now = clock.now();
      return pool.list().map((a) => ({ id: a.id, name: a.name, status: accountStatus(a, now).status }));
    },
    // Its own second, not the tests' fast account poll: API writes refresh it at once, and only
    // CLI changes and cooldown ends wait for the poll.
    pollMs: 1000,
    ...deps.notify,
    instanceId,
  });
  const notifyChannels = new ChannelService({
    store,
    box: deps.box,
    clock,
    timeoutMs: deps.notify?.timeoutMs,
    instanceId,
    changed: () => notifier.refresh(),
    inboxed: (ev) => events.emit('notify.inbox', inboxEvent(ev)),
  });
  // The MCP prompt server's folder, followed like the agent files.
  const prompts = new PromptLibrary({ dir: config.promptsDir, clock, logger, pollMs: deps.accountPollMs ?? 1000 });
  const mcp = createMcpEndpoint({
    prompts,
    clientKeyName: (presented) => keys.clientKeyName(presented),
    logger,
    version: packageVersion() || '0.0.0',
  });

  const accounts = new AccountService({
    store,
    box: deps.box,
    oauth: oauthEndpoints(config),
    clock,
    settings: liveSettings,
    onWarning: (message) => logger.warn(message),
  });
  const auth = createAuth({ keys, clock, logger });
  const keyService = new KeyService({
    store,
    box: deps.box,
    clock,
    changed: () => keys.refresh(),
    use: (name, now) => limiter.use(name, now),
  });
  const retention = new RetentionJob({
    store,
    clock,
    logger,
    settings: () => liveSettings.current(),
    ...(retentionLeader ? { isLeader: () => retentionLeader.isLeader() } : {}),
  });
  const eventHub = new LiveEventHub({ events, logger });
  const metrics = new GatewayMetrics({ events, pool, writer: deps.writer, clock, eventStream: eventHub });
  const internalCalls = new InternalCalls();
  const workers = buildWorkers();
  const api = createApiApp(
    {
      analyzer: {
        analyze: (conversationId, model) =>
          analyzeConversation(
            {
              store,
              clock,
              settings: () => liveSettings.current(),
              post: (path, body, agent) => internalCalls.post(path, body, agent),
            },
            conversationId,
            model,
          ),
      },
      config,
      store,
      writer: deps.writer,
      clock,
      logger,
      events,
      pool,
      accounts,
      startedAt,
      auth,
      keys: keyService,
      liveSettings,
      proxyRules,
      routing,
      retention,
      eventHub,
      metrics,
      recentLogs,
      logHistory: deps.logHistory ?? (async (limit) => recentLogs.list(limit)),
      prompts,
      agents: new AgentService({
        registry: agents,
        store,
        catalogue,
        clock,
        defaultModel: () => liveSettings.current().defaultAgentModel,
      }),
      notify: notifyChannels,
      workers,
      ...(deps.cluster?.oauthFlows ? { oauthFlows: sealedFlows(deps.cluster.oauthFlows, deps.box) } : {}),
    },
    API_ROUTES,
  );
  // Other instances' and the CLI's changes arrive at their commit; the polls stay as the safety net.
  let unfollow = () => {};
  const follow = () => {
    if (deps.cluster === undefined) return;
    unfollow = followRevisions(deps.cluster.bus, {
      accounts_rev: [() => pool.refresh()],
      keys_rev: [() => keys.refresh()],
      settings_rev: [() => liveSettings.refresh(), () => proxyRules.refresh()],
      agents_rev: [() => agents.reload()],
      notify_rev: [() => notifier.refresh()],
    });
  };
  // Live events across instances: this one's finished requests out, the others' in.
  const unshare =
    deps.cluster === undefined
      ? () => {}
      : sharePeerRequests({ bus: deps.cluster.bus, events, summarize: requestFinishedEvent });
  const apiListener = getRequestListener(api.fetch);
  const dashboard = createStaticFiles();
  const browser = browserPolicy(config);
  /** Which database this gateway serves, on /health: the CLI's check that a gateway is its own. */
  const database = databaseFingerprint(config.databaseUrl);
  const logRefusal = refusalLog((fields, message) => logger.warn(fields, message));

  function buildWorkers(): WorkersService {
    const { manager, checkSdk } = buildWorkersOf({
      home: config.home,
      gatewayUrl: () => internalCalls.selfUrl() ?? '',
      store,
      events,
      clock,
      logger,
      keyService,
      internalKeys: workerKeyNames,
      rules: workerApprovalRules(deps.workerSdk?.home ?? homedir()),
      checkPolicy: policyProblem,
      maxConcurrent: () => config.workersMaxConcurrent,
      approvalTimeoutMs: config.workersApprovalTimeoutMs,
      notify: (ev) => notifier.notify(ev),
      instanceId,
      ready: async () => {
        await internalCalls.listening();
      },
      ...(deps.workerEngine === undefined ? {} : { engine: deps.workerEngine }),
      ...(deps.workerSdk === undefined ? {} : { sdk: deps.workerSdk }),
    });
    return new WorkersService({
      manager,
      checkSdk,
      templatesDir: join(config.home, 'templates'),
      templateUses: () => store.workers.templateUses(),
    });
  }

  function sendJson(res: ServerResponse, status: number, body: unknown): void {
    const text = JSON.stringify(body);
    res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(text) });
    res.end(text);
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = req.url ?? '/';
    const route = routeOf(url);
    // Before any route: what a web page in the user's browser may do (browser-guard.ts).
    const verdict = decide(req.method ?? 'GET', route, url, req.headers, browser);
    if (verdict !== PASS) {
      if (verdict.kind === 'refuse') {
        logRefusal(
          verdict.reason,
          { method: req.method, path: url.split('?')[0], host: req.headers.host, origin: req.headers.origin },
          verdict.error.message,
        );
        refuseUnreadBody(req, res);
        writeErrorResponse(res, verdict.error);
        return;
      }
      if (verdict.kind === 'preflight') {
        res.writeHead(204, verdict.headers);
        res.end();
        return;
      }
      if (verdict.kind === 'cors') {
        // Merged into the proxy's writeHead; `*` exposes request-id and the rate-limit headers the SDK reads.
        res.setHeader('access-control-allow-origin', verdict.origin);
        res.setHeader('access-control-expose-headers', '*');
        res.setHeader('vary', 'Origin');
      }
    }
    if (route === 'v1') {
      // A request this gateway sent itself (its one-time marker): recorded with its agent, no client key.
      const internal = internalCalls.claim(req);
      if (internal !== null) {
        delete req.headers[INTERNAL_HEADER];
        proxy.handle(req, res, null, internal);
        return;
      }
      // Once a client key exists, requests without one are answered 401 here, never forwarded.
      const clientKey = keys.authenticateClient(req, res);
      if (clientKey instanceof Promise) {
        clientKey.then(
          (k) => {
            if (k !== false) proxy.handle(req, res, k);
          },
          (err: unknown) => {
            logger.error({ err }, 'client key check failed');
            if (!res.headersSent) writeErrorResponse(res, err);
          },
        );
      } else if (clientKey !== false) proxy.handle(req, res, clientKey);
      return;
    }
    if (route === 'mcp') {
      mcp(req, res);
      return;
    }
    if (url === '/health' || url.startsWith('/health?')) {
      const accounts = pool.list();
      const records = deps.writer.health();
      // Drop times are wall-clock (the writer's Date.now()), whatever clock the app runs on.
      const verdict = healthVerdict(records, Date.now());
      sendJson(res, 200, {
        status: verdict.status,
        ...(verdict.reasons.length > 0 ? { reasons: verdict.reasons } : {}),
        uptimeMs: clock.now() - startedAt,
        database,
        accounts: accounts.length,
        strategy: liveSettings.current().strategy,
        inFlight: proxy.inFlight(),
        writeQueue: deps.writer.depth(),
        recordsWaiting: records.waiting,
        recordsDropped: records.dropped,
      });
      return;
    }
    if (route === 'api' || url === '/metrics' || url.startsWith('/metrics?')) {
      apiListener(req, res).catch((err: unknown) => {
        logger.error({ err }, 'management API failure');
        if (!res.headersSent) sendJson(res, 500, toErrorResponse(err).body);
      });
      return;
    }
    // The web dashboard (GET/HEAD only); other methods fall through to the 404 below.
    if (dashboard.handle(req, res)) return;
    refuseUnreadBody(req, res);
    writeErrorResponse(res, new GatewayError('not_found', `No route for ${req.method} ${url.split('?')[0]}`));
  }

  return {
    handle,
    internalCalls,
    proxy,
    pool,
    tokens,
    api,
    liveSettings,
    agents,
    proxyRules,
    usagePoller,
    notifier,
    prompts,
    workers,
    start: async () => {
      await liveSettings.start();
      await proxyRules.start();
      await agents.start();
      await pool.start();
      await keys.start();
      // The day's tokens and the month's cost so far, from the stored rows (journal replayed before this).
      const now = clock.now();
      limiter.seed(await store.keys.usage(usageWindows(now)), now);
      // Alive before the recoveries below, which leave live instances' workers and deliveries alone.
      lease = await store.instances.register(instanceId);
      await notifier.start();
      retentionLeader?.start();
      usageLeader?.start();
      retention.start();
      usagePoller.start();
      prompts.start();
      follow();
      // The SDK is loaded only when there are workers; without it they stay as they are until it is installed.
      if ((await store.workers.list()).length > 0) {
        try {
          await workers.available();
          await workers.init();
        } catch (err) {
          logger.warn({ reason: (err as Error).message }, 'workers not started');
        }
      }
      // Not awaited: the cached prices apply at once, and a slow or absent network never delays the start.
      priceRefresher?.start().catch((err) => logger.warn({ err }, 'price catalogue not applied'));
    },
    stop: () => {
      // serve.ts has closed them while the gateway still answered; this covers other callers.
      workers.close().catch((err: unknown) => logger.warn({ err }, 'workers not paused at stop'));
      unfollow();
      unshare();
      usagePoller.stop();
      notifier.stop();
      pool.stop();
      keys.stop();
      liveSettings.stop();
      agents.stop();
      prompts.stop();
      proxyRules.stop();
      retention.stop();
      // Hands the jobs over at once rather than when the connection times out.
      void retentionLeader?.stop();
      void usageLeader?.stop();
      priceRefresher?.stop();
      // Ends the streams still open and drops the bus subscription and its linger timer.
      eventHub.close();
      metrics.stop();
      void lease?.release();
      lease = null;
    },
  };
}
