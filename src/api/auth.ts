/**
 * Admin authentication of the management API (`/api/*`, `/metrics`) and the short-lived tickets
 * that stand in for the admin key where a header cannot be set (EventSource cannot send one, and a
 * key must never travel in a URL).
 *
 * The admin key is `authorization: Bearer <key>` or `x-ccflare-admin-key: <key>`; until one is
 * configured (`CCFLARE_ADMIN_KEY` or `ccflare keys admin`) everything passes. In-process jobs
 * (retention, rollups) call the store directly, never over HTTP, so they cannot lock themselves out.
 */
import { createHash, randomBytes } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import type { MiddlewareHandler } from 'hono';
import type { Logger } from 'pino';
import { bearerToken, keyHint, singleHeader } from '../auth/access-keys.js';
import type { KeyRegistry } from '../auth/key-registry.js';
import type { Clock } from '../clock.js';
import { GatewayError, toErrorResponse } from '../errors.js';

export const ADMIN_KEY_HEADER = 'x-ccflare-admin-key';
/** The live event stream: what a ticket opens, with ccflare's two streams (ccflare-routes.ts). */
export const EVENTS_PATH = '/api/events';
const TICKET_PATHS: ReadonlySet<string> = new Set([EVENTS_PATH, '/api/requests/stream', '/api/logs/stream']);
/** A worker's log stream (workers-routes.ts), which the dashboard's log viewer opens with EventSource. */
const WORKER_LOGS_PATH = /^\/api\/workers\/[^/]+\/logs$/;
const ticketPath = (path: string) => TICKET_PATHS.has(path) || WORKER_LOGS_PATH.test(path);
export const TICKET_TTL_MS = 60_000;
/** Outstanding tickets kept at most; the oldest go first (a flood of issues cannot grow memory). */
const MAX_TICKETS = 10_000;
/**
 * Client addresses whose keyless requests were already logged, at most; the oldest is forgotten
 * first. A dashboard opened before sign-in sends a dozen such requests (11 of 14 log lines in a
 * first-use session), so each address is logged once.
 */
const MAX_KEYLESS_CLIENTS = 1000;

export interface AuthDeps {
  keys: KeyRegistry;
  clock: Clock;
  logger: Logger;
  ticketTtlMs?: number;
}

export interface Auth {
  /** Hono middleware for the whole management API: 401 unless the admin key (or a ticket) is shown. */
  middleware: MiddlewareHandler;
  /** A single-use ticket for `GET /api/events?ticket=...`, valid for `ticketTtlMs` (60 s). */
  issueTicket(): { ticket: string; expiresAt: number };
  /** Consumes the ticket: true once, if it was issued here and has not expired. */
  verifyTicket(ticket: string): boolean;
  /** The admin check on raw request headers, for surfaces served outside the Hono app. */
  isAdminRequest(headers: IncomingMessage['headers']): boolean;
}

/** The admin key a request presents, from either header (Bearer first). */
export function presentedAdminKey(headers: IncomingMessage['headers']): string | null {
  return bearerToken(headers.authorization) ?? singleHeader(headers[ADMIN_KEY_HEADER]);
}

export function createAuth(deps: AuthDeps): Auth {
  const { keys, clock, logger } = deps;
  const ttl = deps.ticketTtlMs ?? TICKET_TTL_MS;
  /** sha256(ticket) -> expiry: the lookup key is a digest, so its timing says nothing about tickets. */
  const tickets = new Map<string, number>();

  /** Addresses already logged for a request without any key (insertion order: oldest first). */
  const keylessLogged = new Set<string>();

  const ticketId = (t: string) => createHash('sha256').update(t, 'utf8').digest('base64url');

  function issueTicket(): { ticket: string; expiresAt: number } {
    const now = clock.now();
    for (const [id, exp] of tickets) {
      // Insertion order is expiry order: stop at the first live one.
      if (exp > now && tickets.size < MAX_TICKETS) break;
      tickets.delete(id);
    }
    const ticket = `ccft_${randomBytes(32).toString('base64url')}`;
    const expiresAt = now + ttl;
    tickets.set(ticketId(ticket), expiresAt);
    return { ticket, expiresAt };
  }

  function verifyTicket(ticket: string): boolean {
    const id = ticketId(ticket);
    const exp = tickets.get(id);
    if (exp === undefined) return false;
    tickets.delete(id);
    return exp > clock.now();
  }

  function isAdminRequest(headers: IncomingMessage['headers']): boolean {
    if (!keys.adminRequired()) return true;
    const presented = presentedAdminKey(headers);
    return presented !== null && keys.isAdminKey(presented);
  }

  const middleware: MiddlewareHandler = async (c, next) => {
    if (!keys.adminRequired()) return next();
    const incoming = (c.env as { incoming?: IncomingMessage } | undefined)?.incoming;
    const headers: IncomingMessage['headers'] = incoming?.headers ?? {
      authorization: c.req.header('authorization'),
      [ADMIN_KEY_HEADER]: c.req.header(ADMIN_KEY_HEADER),
    };
    const presented = presentedAdminKey(headers);
    if (presented !== null && keys.isAdminKey(presented)) return next();
    const ticket =
      presented === null && c.req.method === 'GET' && ticketPath(c.req.path) ? c.req.query('ticket') : undefined;
    if (ticket !== undefined && verifyTicket(ticket)) return next();
    const remoteAddress = incoming?.socket.remoteAddress ?? null;
    if (presented === null && ticket === undefined) {
      // Showing nothing is what a browser or tool does before it has the key, not a guess: info, once per client.
      const client = remoteAddress ?? '';
      if (!keylessLogged.has(client)) {
        if (keylessLogged.size >= MAX_KEYLESS_CLIENTS)
          keylessLogged.delete(keylessLogged.values().next().value as string);
        keylessLogged.add(client);
        logger.info(
          { remoteAddress, method: c.req.method, path: c.req.path },
          'management API request without the admin key refused (logged once per client address)',
        );
      }
    } else {
      logger.warn(
        {
          remoteAddress,
          method: c.req.method,
          path: c.req.path,
          keyHint: keyHint(presented),
          ticketRejected: ticket !== undefined,
        },
        'management API request with an invalid admin key or ticket refused',
      );
    }
    const r = toErrorResponse(
      new GatewayError(
        'unauthorized',
        presented === null
          ? `This endpoint needs the admin key: send authorization: Bearer <key> or ${ADMIN_KEY_HEADER}: <key>`
          : 'Invalid admin key',
        { headers: { 'www-authenticate': 'Bearer realm="ccflare"' } },
      ),
    );
    return c.json(r.body, 401, r.headers);
  };

  return { middleware, issueTicket, verifyTicket, isAdminRequest };
}
