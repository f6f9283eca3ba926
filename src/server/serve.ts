/**
 * Runs the gateway: opens the store, loads the secret key, starts the HTTP server and handles
 * graceful shutdown (stop accepting, finish in-flight requests, flush the record queue).
 */

import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { Pool } from 'undici';
import { ADD_ACCOUNT_HINT } from '../accounts/account-pool.js';
import type { AgentDirectory } from '../agents/agent-directory.js';
import { type Sleep, systemClock } from '../clock.js';
import type { Config } from '../config/config.js';
import { createSecretBox, loadSecretKey } from '../crypto/secret-box.js';
import { GatewayError } from '../errors.js';
import { EventBus } from '../events.js';
import { logLinePublisher, RecentLogLines } from '../log/log-events.js';
import { LogFile, readLogHistory } from '../log/log-file.js';
import { createLogger } from '../log/logger.js';
import {
  openClusterFor,
  openSharedKeyUsage,
  openStoreFromUrl,
  openWriterForUrl,
  sqlitePathFromUrl,
} from '../storage/open-store.js';
import { type App, type AppDeps, buildApp } from './build-app.js';
import { capConnections, httpServerOptions, upstreamPoolOptions } from './http-limits.js';
import { claimGateway, type GatewayClaim, reachableUrl } from './runtime-file.js';

/**
 * How long the error answers of interrupted requests may take to reach the OS before their
 * connections are cut: a client that stopped reading must not hold the shutdown.
 */
const ANSWER_HANDOFF_MS = 1000;

export interface RunningServer {
  url: string;
  port: number;
  server: Server;
  events: EventBus;
  /** The management API, for callers in the same process (tests) that need no socket. */
  api: App['api'];
  /** The agent registry (tests reread agent files through it instead of waiting for the poll). */
  agents: App['agents'];
  /** The idle-account usage poller (tests run a pass with `tick()` instead of waiting for its timer). */
  usagePoller: App['usagePoller'];
  /** Notifications (tests emit events no emitter exists for yet, e.g. worker.approval). */
  notifier: App['notifier'];
  /** Agent SDK workers (tests drive their manager without a socket). */
  workers: App['workers'];
  /** Graceful: stops accepting, waits for in-flight requests (up to `graceMs`), flushes records. */
  close(graceMs?: number): Promise<void>;
}

export interface RunOptions {
  /** Install SIGTERM/SIGINT/SIGHUP handlers that close gracefully and exit (default true). */
  signals?: boolean;
  logDestination?: NodeJS.WritableStream | number;
  /** How often accounts are re-read for changes made by other processes (default 1000 ms). */
  accountPollMs?: number;
  /** How long a rejected refresh token waits for another process's rotation (default 1500 ms). */
  reauthGraceMs?: number;
  /** Logged as warnings once the gateway listens (an open proxy the user allowed). */
  startupWarnings?: readonly string[];
  /** The agent registry the proxy attributes requests with (tests pass a fixed one). */
  agents?: AgentDirectory;
  /** The proxy's waits between attempts (tests end or hold them without real time passing). */
  sleep?: Sleep;
  /** When the proxy does the bookkeeping of answers that went out (tests hold it). */
  deferFinish?: AppDeps['deferFinish'];
  /** Notification retry and timeout settings (tests shorten the backoff). */
  notify?: AppDeps['notify'];
  /** The engine workers run on (tests pass a fake); default: the Claude Agent SDK. */
  workerEngine?: AppDeps['workerEngine'];
  /** HOME and more environment of the workers' Claude Code. */
  workerSdk?: AppDeps['workerSdk'];
}

export async function runServer(config: Config, opts: RunOptions = {}): Promise<RunningServer> {
  // Before the database is opened: a second gateway on it stops here, naming the first.
  const claim = claimGateway(config.home, sqliteFileOf(config.databaseUrl));
  const logFile = openLogFile(config);
  let running: RunningServer;
  try {
    running = await startServer(config, opts, claim, logFile);
  } catch (err) {
    claim.release();
    await logFile?.close();
    throw err;
  }
  // A crash still removes the files; a SIGKILL leaves them, and the dead pid marks them stale.
  if (opts.signals !== false) {
    process.once('exit', () => {
      claim.release();
      // The lines that explain the exit are still queued: written now, synchronously.
      logFile?.flushSync();
    });
  }
  return running;
}

/** The database file of a `sqlite:` URL (the only store a lock applies to), else null. */
function sqliteFileOf(databaseUrl: string): string | null {
  return /^sqlite:/i.test(databaseUrl) ? sqlitePathFromUrl(databaseUrl) : null;
}

/** The log file `CCFLARE_LOG_FILE` names (null when `off`); one that cannot be opened is reported on stderr. */
function openLogFile(config: Config): LogFile | null {
  if (config.logFile === 'off') return null;
  return new LogFile({
    path: config.logFile,
    maxBytes: config.logFileMaxBytes,
    keep: config.logFiles,
    // Not through the logger: its lines are what cannot be written.
    onError: (err, what) =>
      process.stderr.write(`ccflare: cannot ${what} the log file ${config.logFile}: ${err.message}\n`),
  });
}

async function startServer(
  config: Config,
  opts: RunOptions,
  claim: GatewayClaim,
  logFile: LogFile | null,
): Promise<RunningServer> {
  const events = new EventBus();
  const recentLogs = new RecentLogLines();
  const publish = logLinePublisher(events, recentLogs);
  const logger = createLogger({
    level: config.logLevel,
    format: config.logFormat,
    destination: opts.logDestination,
    onLine:
      logFile === null
        ? publish
        : (line) => {
            logFile.write(line);
            publish(line);
          },
  });
  const store = await openStoreFromUrl(config.databaseUrl);
  await store.migrate();
  const cluster = await openClusterFor(store, logger);
  const box = createSecretBox(loadSecretKey(config.home, config.secretKey));
  let committed = 0;
  const writer = await openWriterForUrl(config.databaseUrl, store, {
    // PostgreSQL: this instance's own journal (SQLite keeps it beside the database file).
    ...(store.kind === 'postgres' ? { journalDir: join(config.home, 'records.journal') } : {}),
    onError: (err) => logger.error({ err }, 'request records could not be written'),
    onCommitted: (n) => {
      committed += n;
    },
  });
  // Records a killed or failed earlier run left in the journal are in the database before the
  // first request is answered, so nothing reads a history with holes; a database that still
  // refuses them leaves them waiting, and /health says so.
  const leftover = writer.health().waiting;
  await writer.replayJournal();
  if (leftover > 0) {
    const { waiting } = writer.health();
    logger.info(
      { replayed: leftover - waiting, waiting },
      'request records from the journal of an earlier run written',
    );
  }
  const keyUsage = await openSharedKeyUsage(store, (err) =>
    logger.warn({ err }, 'client key usage could not be shared with the other instances; retrying'),
  );
  const upstream = new Pool(new URL(config.upstreamUrl).origin, upstreamPoolOptions(config));
  const app = buildApp({
    config,
    store,
    writer,
    clock: systemClock,
    logger,
    events,
    upstream,
    box,
    accountPollMs: opts.accountPollMs,
    reauthGraceMs: opts.reauthGraceMs,
    recentLogs,
    logHistory: logFile === null ? undefined : (limit) => readLogHistory(config.logFile, config.logFiles, limit),
    agents: opts.agents,
    sleep: opts.sleep,
    deferFinish: opts.deferFinish,
    notify: opts.notify,
    workerEngine: opts.workerEngine,
    workerSdk: opts.workerSdk,
    ...(keyUsage === null ? {} : { keyUsage }),
    ...(cluster === null ? {} : { cluster }),
  });
  await app.start();

  let closing = false;
  const server = createServer(httpServerOptions(config), (req, res) => {
    // Requests that arrive on kept-alive sockets during shutdown are served, then the socket closes.
    if (closing) res.shouldKeepAlive = false;
    app.handle(req, res);
  });
  capConnections(server, config.maxConnections, logger);
  await new Promise<void>((resolve, reject) => {
    const onListenError = (err: NodeJS.ErrnoException) => reject(listenError(err, config.host, config.port));
    server.once('error', onListenError);
    server.listen(config.port, config.host, () => {
      server.off('error', onListenError);
      resolve();
    });
  });
  const port = (server.address() as AddressInfo).port;
  const host = config.host.includes(':') ? `[${config.host}]` : config.host;
  const url = `http://${host}:${port}`;
  const reachable = reachableUrl(config.host, port);
  claim.announce(reachable);
  app.internalCalls.setSelfUrl(reachable);
  logger.info({ url, accounts: app.pool.list().length, strategy: config.strategy }, 'ccflare listening');
  // The next steps for someone who just started it: where to look, and how Claude Code gets here.
  logger.info(`dashboard: ${reachable}/ · Claude Code: \`ccflare connect\` (or ANTHROPIC_BASE_URL=${reachable})`);
  for (const w of opts.startupWarnings ?? []) logger.warn(w);
  if (app.pool.list().length === 0) {
    logger.warn(`no accounts configured yet: ${ADD_ACCOUNT_HINT}`);
  }

  let closed: Promise<void> | null = null;
  function close(graceMs = 30_000): Promise<void> {
    if (closed) return closed;
    closing = true;
    const committedBefore = committed;
    closed = (async () => {
      // First, while the gateway still answers: the workers' sessions send their requests through it.
      await app.workers.close().catch((err: unknown) => logger.warn({ err }, 'workers not paused at stop'));
      const stopped = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      const until = Date.now() + graceMs;
      while (app.proxy.inFlight() > 0 && Date.now() < until) {
        await new Promise((r) => setTimeout(r, 10));
        server.closeIdleConnections();
      }
      let interrupted = 0;
      if (app.proxy.inFlight() > 0) {
        // Answered and recorded before the sockets close and the writer flushes, so clients read
        // an error instead of a cut stream and no record arrives after the writer has closed.
        const open = app.proxy.interrupt();
        interrupted = open.interrupted;
        logger.warn(
          { interrupted },
          `grace period over (${graceMs} ms): ${interrupted} request(s) still open ended with an error`,
        );
        await settleWithin(open.answered, ANSWER_HANDOFF_MS);
      }
      server.closeAllConnections();
      await stopped;
      app.stop();
      await writer.close();
      const written = committed - committedBefore;
      await upstream.close();
      await keyUsage?.close().catch((err: unknown) => logger.warn({ err }, 'client key usage not shared at stop'));
      // Before the store: its leader locks and listening connection go first.
      await cluster?.close();
      await store.close();
      claim.release();
      logger.info(
        { interrupted, recordsWritten: written },
        `ccflare stopped: ${interrupted} request(s) interrupted, ${written} request record(s) written during shutdown`,
      );
      logger.flush?.();
      await logFile?.close();
    })();
    return closed;
  }

  if (opts.signals !== false) {
    let stopping = false;
    const onSignal = (sig: NodeJS.Signals) => {
      if (stopping) {
        // Kept listening: with a one-time handler a second signal took the default action and
        // killed the shutdown halfway (the TUI sent SIGTERM twice, from its signal handler and
        // its exit, and left gateway.json and the database lock behind in 2 runs of 6). Only a
        // second Ctrl-C means "now"; the record journal keeps what the writer had not committed.
        if (sig !== 'SIGINT') return;
        logger.warn({ signal: sig }, 'stopping now: a second interrupt during shutdown');
        process.exit(130);
      }
      stopping = true;
      logger.info({ signal: sig }, 'shutting down: finishing in-flight requests');
      close().then(
        () => process.exit(0),
        (err) => {
          logger.error({ err }, 'shutdown failed');
          process.exit(1);
        },
      );
    };
    process.on('SIGTERM', onSignal);
    process.on('SIGINT', onSignal);
    // The terminal it was started from closed (or an SSH session dropped): by default the process
    // would end at once, cutting every stream in flight and losing their records.
    process.on('SIGHUP', onSignal);
  }

  return {
    url,
    port,
    server,
    events,
    api: app.api,
    agents: app.agents,
    usagePoller: app.usagePoller,
    notifier: app.notifier,
    workers: app.workers,
    close,
  };
}

/** Waits for `p`, at most `ms`. */
async function settleWithin(p: Promise<void>, ms: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  await Promise.race([p, new Promise<void>((r) => (timer = setTimeout(r, ms)))]);
  clearTimeout(timer);
}

/** A listen failure in words, with what to do (Node's own: "listen EADDRINUSE: address already in use …"). */
function listenError(err: NodeJS.ErrnoException, host: string, port: number): Error {
  const where = `${host.includes(':') ? `[${host}]` : host}:${port}`;
  if (err.code === 'EADDRINUSE') {
    return new GatewayError(
      'config_invalid',
      `${where} is already in use by another program: pick another port with --port or CCFLARE_PORT (0 picks a free one)`,
    );
  }
  if (err.code === 'EACCES') {
    return new GatewayError(
      'config_invalid',
      `not allowed to listen on ${where} (ports below 1024 need privileges): pick another port with --port or CCFLARE_PORT`,
    );
  }
  if (err.code === 'EADDRNOTAVAIL') {
    return new GatewayError(
      'config_invalid',
      `${host} is not an address of this machine: check --host or CCFLARE_HOST`,
    );
  }
  return err;
}
