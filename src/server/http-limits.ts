/**
 * Limits on client connections, so idle, slow or greedy clients cannot hold the gateway's sockets
 * (and file descriptors) forever. Node's `requestTimeout: 0` also turns its headers timeout off;
 * these restore both, and cap how many connections are open at once.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Pool } from 'undici';
import type { Logger } from '../log/logger.js';

export interface HttpLimits {
  headersTimeoutMs: number;
  bodyTimeoutMs: number;
  keepAliveTimeoutMs: number;
  maxConnections: number;
}

/** How often a burst of refused connections is summed up in the log. */
export const DROP_LOG_INTERVAL_MS = 10_000;

export function httpServerOptions(l: HttpLimits): ServerOptions {
  // Node refuses a headers timeout above the request timeout.
  const headersTimeout = Math.min(l.headersTimeoutMs, l.bodyTimeoutMs);
  return {
    headersTimeout,
    // Runs until the request is fully received: responses, long streams included, are not limited.
    requestTimeout: l.bodyTimeoutMs,
    keepAliveTimeout: l.keepAliveTimeoutMs,
    // Node enforces both timeouts on this sweep (30 s by default, longer than a short headers
    // timeout): a tenth of the shorter one keeps them within 10 %, the sweep itself is a list walk.
    connectionsCheckingInterval: Math.max(100, Math.min(30_000, Math.floor(headersTimeout / 10))),
  };
}

/**
 * The upstream pool: one connection per client connection the gateway accepts, since each carries
 * at most one request in flight. A fixed 256 made the 257th of 1,000 concurrent streams (bench
 * c-long) wait for another stream to end, minutes with Claude Code's long answers.
 */
export function upstreamPoolOptions(l: Pick<HttpLimits, 'maxConnections'>): Pool.Options {
  return { connections: l.maxConnections, pipelining: 1, keepAliveTimeout: 30_000, connect: { timeout: 10_000 } };
}

/**
 * Closes connections beyond `max` as they arrive (Node's `maxConnections`) and says so: the first
 * refusal at once, then how many more every DROP_LOG_INTERVAL_MS while it goes on.
 */
export function capConnections(server: Server, max: number, logger: Logger): void {
  server.maxConnections = max;
  const warn = (refused: number) =>
    logger.warn(
      { maxConnections: max, refused },
      `connection limit reached: ${refused} client connection(s) closed unanswered; raise CCFLARE_MAX_CONNECTIONS (and the process file limit, ulimit -n) if this load is expected`,
    );
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  const flush = () => {
    if (pending === 0) {
      timer = null;
      return;
    }
    warn(pending);
    pending = 0;
    timer = setTimeout(flush, DROP_LOG_INTERVAL_MS).unref();
  };
  server.on('drop', () => {
    if (timer) {
      pending++;
      return;
    }
    warn(1);
    timer = setTimeout(flush, DROP_LOG_INTERVAL_MS).unref();
  });
}
