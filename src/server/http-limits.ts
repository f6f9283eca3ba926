/**
 * Limits on client connections, so idle, slow or greedy clients cannot hold the gateway's sockets
 * (and file descriptors) forever. Node's `requestTimeout: 0` also turns its headers timeout off;
 * these restore both, and cap how many connections are open at once.
 */
import type { Server, ServerOptions } from 'node:http';
import type { Socket } from 'node:net';
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
 * Node's list of an HTTP server's connections with their parsers' state (`_http_server.js`
 * kConnections, what `closeIdleConnections()` and the timeouts use): `idle()` are connections
 * between two requests, whatever their last response is still doing; `active()` the rest.
 */
interface ConnectionsList {
  idle(): { socket: Socket }[];
  active(): { socket: Socket }[];
}

function connectionsOf(server: Server): ConnectionsList | undefined {
  for (const k of Object.getOwnPropertySymbols(server)) {
    if (k.description === 'http.server.connections') return (server as unknown as Record<symbol, ConnectionsList>)[k];
  }
  return undefined;
}

/**
 * How long a connection may go on sending its request's head, or nothing at all, before at the
 * cap it counts as carrying none. A client's head arrives in one packet, within milliseconds; one
 * still half-sent (or silent) a second after the connection opened is stalled or hostile
 * (slowloris: 3,000 connections each sending part of a head held all 512 places until the
 * headers timeout, and every new client was refused).
 */
export const HALF_SENT_GRACE_MS = 1000;

/**
 * The slowest request body that keeps its connection's place at the cap, in bytes per second
 * between two looks at least HALF_SENT_GRACE_MS apart. A slow-body client sends a complete head
 * and then its body a few bytes at a time, holding a place for CCFLARE_BODY_TIMEOUT_MS; Claude
 * Code's bodies (up to a few hundred KB) arrive in milliseconds on loopback and within seconds
 * over a slow link, hundreds of times faster.
 */
export const MIN_BODY_BYTES_PER_SECOND = 1024;

/**
 * Where a request stood when the cap last looked at its connection: its body (`req` the request,
 * `bytes` read so far), or a later request's head (`req` NEXT_HEAD, `bytes` written so far).
 */
interface Sample {
  req: unknown;
  bytes: number;
  at: number;
}

type HttpSocket = Socket & {
  _httpMessage?: { headersSent?: boolean; req?: { complete?: boolean } } | null;
};

/**
 * Connections that carry no request, to close at the cap. `stalled`: open without a byte, or with
 * a request head still unfinished, more than HALF_SENT_GRACE_MS after they opened (kept alive:
 * after a look found the head on its way; `headStalled`), and requests whose body arrives slower
 * than MIN_BODY_BYTES_PER_SECOND; nothing is lost by closing any of them. `idle`: kept alive
 * between requests with their last response all written out; their clients reconnect for the
 * next request, so only as many are closed as make room. Node's
 * `closeIdleConnections()` is not enough: on Node 20 a connection that has sent nothing counts
 * as active (only the headers timeout ends it), and it closes a connection whose ended response
 * a slow reader still drains.
 */
function requestless(
  list: ConnectionsList,
  except: Socket,
  openedAt: Map<Socket, number>,
  samples: WeakMap<Socket, Sample>,
  now: number,
): { stalled: Socket[]; idle: Socket[] } {
  const stalled: Socket[] = [];
  const idle: Socket[] = [];
  for (const { socket } of list.idle()) {
    const res = (socket as HttpSocket)._httpMessage;
    if (socket !== except && !socket.destroyed && res == null && socket.writableLength === 0) idle.push(socket);
  }
  for (const { socket } of list.active()) {
    if (socket === except || socket.destroyed) continue;
    const res = (socket as HttpSocket)._httpMessage;
    if (res == null) {
      if (socket.writableLength === 0 && headStalled(socket, openedAt, samples, now)) stalled.push(socket);
    } else if (!res.headersSent && res.req?.complete === false && slowBody(socket, res.req, samples, now)) {
      stalled.push(socket);
    }
  }
  return { stalled, idle };
}

/** Marks a sample taken while a later request's head was on its way (Sample.req). */
const NEXT_HEAD = Symbol('next head');

/**
 * Whether a connection with no request yet has taken longer than HALF_SENT_GRACE_MS. A connection
 * never answered counts from when it opened. One kept alive counts from the look that first
 * found its next head on the way: it opened long ago, and the head may have started an instant
 * before this look.
 */
function headStalled(
  socket: Socket,
  openedAt: Map<Socket, number>,
  samples: WeakMap<Socket, Sample>,
  now: number,
): boolean {
  if (socket.bytesWritten === 0) return now - (openedAt.get(socket) ?? now) > HALF_SENT_GRACE_MS;
  const seen = samples.get(socket);
  // A response written since that look: this is another head.
  if (seen === undefined || seen.req !== NEXT_HEAD || seen.bytes !== socket.bytesWritten) {
    samples.set(socket, { req: NEXT_HEAD, bytes: socket.bytesWritten, at: now });
    return false;
  }
  return now - seen.at > HALF_SENT_GRACE_MS;
}

/** Whether the body `req` is receiving has come slower than MIN_BODY_BYTES_PER_SECOND since the last look. */
function slowBody(socket: Socket, req: unknown, samples: WeakMap<Socket, Sample>, now: number): boolean {
  const seen = samples.get(socket);
  if (seen === undefined || seen.req !== req) {
    samples.set(socket, { req, bytes: socket.bytesRead, at: now });
    return false;
  }
  const ms = now - seen.at;
  if (ms < HALF_SENT_GRACE_MS) return false;
  if (((socket.bytesRead - seen.bytes) * 1000) / ms < MIN_BODY_BYTES_PER_SECOND) return true;
  // Measured afresh from here: a body that was fast once must keep coming.
  seen.bytes = socket.bytesRead;
  seen.at = now;
  return false;
}

/**
 * Caps open connections at `max`. One arriving at the cap first makes room by closing those
 * that carry no request (`requestless`): otherwise 600 keep-alive sockets idling after one
 * request each shut every client out for the keep-alive timeout (65 s), bare, half-sent or
 * slow-body ones for the headers or body timeout. Every stalled one goes; of the idle keep-alive
 * ones only enough to leave `max / 32` places free, so a burst of arrivals does not look
 * through the list once per connection, and the others' clients keep their connections (one
 * closed just as its client sends on it fails that request). Only when every connection carries
 * a request is the new one closed unanswered, and said so: the first refusal at once, then how
 * many more every DROP_LOG_INTERVAL_MS while it goes on.
 */
export function capConnections(
  server: Server,
  max: number,
  logger: Logger,
  now: () => number = performance.now.bind(performance),
): void {
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
  const refuse = (socket: Socket) => {
    socket.destroy();
    if (timer) {
      pending++;
      return;
    }
    warn(1);
    timer = setTimeout(flush, DROP_LOG_INTERVAL_MS).unref();
  };
  // Counted here, not with Node's `maxConnections`: that one closes a connection beyond the cap
  // before any listener could make room for it. A socket closed to make room leaves the count
  // at once, so the connections arriving before its 'close' event can take its place.
  // Each open connection with when it was accepted.
  const open = new Map<Socket, number>();
  const samples = new WeakMap<Socket, Sample>();
  const headroom = Math.floor(max / 32);
  server.on('connection', (socket: Socket) => {
    open.set(socket, now());
    socket.once('close', () => open.delete(socket));
    if (open.size <= max) return;
    const list = connectionsOf(server);
    if (list !== undefined) {
      const { stalled, idle } = requestless(list, socket, open, samples, now());
      for (const s of stalled) {
        open.delete(s);
        s.destroy();
      }
      for (let i = 0; i < idle.length && open.size > max - headroom; i++) {
        const s = idle[i] as Socket;
        open.delete(s);
        s.destroy();
      }
    }
    if (open.size <= max) return;
    open.delete(socket);
    refuse(socket);
  });
}
