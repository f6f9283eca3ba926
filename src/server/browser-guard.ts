/**
 * What a web browser may do with the gateway (docs/access-control.md, "Browsers"), decided from
 * the request headers alone before any route runs. The gateway listens on 127.0.0.1 and, by
 * default, asks nobody for a key, so any page the user opens could otherwise:
 * - change state with a "simple" cross-site request (form or text/plain POST: no preflight),
 * - read everything after DNS rebinding (its own name resolving to 127.0.0.1: same origin for
 *   the browser, but the Host header still carries the page's name),
 * - spend accounts through /v1 (a preflight used to be forwarded upstream with a credential),
 * - keep the gateway busy with reads it cannot see the answers of: ~60 `<img>` of
 *   /api/analytics?range=30d on another port of 127.0.0.1 took ~10 s of the event loop.
 * Runs on every request: header lookups and one Set lookup on the path that passes, no regex,
 * no allocation but the lower-cased host name.
 */
import type { IncomingHttpHeaders } from 'node:http';
import { isIPv4, isIPv6 } from 'node:net';
import type { Config } from '../config/config.js';
import { GatewayError } from '../errors.js';

export interface BrowserPolicy {
  readonly anyHost: boolean;
  /** Lower-case host names without port: loopback names, CCFLARE_HOST, CCFLARE_ALLOWED_HOSTS. */
  readonly hosts: ReadonlySet<string>;
  /** `.example.com` entries of CCFLARE_ALLOWED_HOSTS: any subdomain. */
  readonly hostSuffixes: readonly string[];
  /** CCFLARE_CORS_ORIGINS, as browsers send them (`https://app.example`). */
  readonly corsOrigins: ReadonlySet<string>;
}

export function browserPolicy(config: Pick<Config, 'host' | 'allowedHosts' | 'corsOrigins'>): BrowserPolicy {
  const hosts = new Set(['localhost', '127.0.0.1', '[::1]']);
  const configured = config.host.toLowerCase();
  hosts.add(configured.includes(':') && !configured.startsWith('[') ? `[${configured}]` : configured);
  const hostSuffixes: string[] = [];
  let anyHost = false;
  for (const h of config.allowedHosts?.split(',') ?? []) {
    if (h === '*') anyHost = true;
    else if (h.startsWith('.')) hostSuffixes.push(h);
    else hosts.add(h);
  }
  return { anyHost, hosts, hostSuffixes, corsOrigins: new Set(config.corsOrigins?.split(',') ?? []) };
}

export type Route = 'v1' | 'api' | 'mcp' | 'other';

export function routeOf(url: string): Route {
  if (url.startsWith('/v1/')) return 'v1';
  if (url.startsWith('/api/') || url === '/api' || url.startsWith('/api?')) return 'api';
  if (url === '/mcp' || url.startsWith('/mcp?') || url === '/mcp/') return 'mcp';
  return 'other';
}

export type Decision =
  | { kind: 'pass' }
  /** An allow-listed origin calling /v1: the response carries CORS headers for it. */
  | { kind: 'cors'; origin: string }
  /** Answered by the gateway itself: a /v1 preflight, never forwarded. */
  | { kind: 'preflight'; headers: Record<string, string> }
  | { kind: 'refuse'; reason: RefusalReason; error: GatewayError };

/** Why a request was refused, one value per rule: the key of the refusal log's throttle. */
export type RefusalReason = 'host' | 'v1-site' | 'mcp-site' | 'api-site' | 'api-media-type';

/** The common answer, shared so the passing path allocates nothing. */
export const PASS: Decision = Object.freeze({ kind: 'pass' });

const PREFLIGHT_NO_CORS: Decision = Object.freeze({ kind: 'preflight', headers: Object.freeze({}) });

export function decide(method: string, route: Route, url: string, h: IncomingHttpHeaders, p: BrowserPolicy): Decision {
  const host = h.host;
  // HTTP/1.1 requires Host and browsers always send it; a client without one is not a browser.
  if (host !== undefined && !p.anyHost && !hostAllowed(host, p)) {
    return refuse(
      'host',
      'forbidden',
      `This gateway does not answer to the host name in "Host: ${host}" (a web page whose DNS name is rebound to this machine sends its own name). If you reach the gateway under this name, add it to CCFLARE_ALLOWED_HOSTS (comma-separated, * for any).`,
    );
  }
  const origin = h.origin;
  const site = h['sec-fetch-site'];
  if (route === 'other') {
    // /metrics is management data like /api (one scrape walks every series): same rule as its reads.
    if (site !== undefined && (url === '/metrics' || url.startsWith('/metrics?')) && fromPage(site, origin, p)) {
      return refuseApi(origin);
    }
    return PASS;
  }

  const listed = origin !== undefined && p.corsOrigins.has(origin);
  // Foreign: a browser says the request comes from another origin or site. Node clients (CLI,
  // TUI, Claude Code) send neither header; the dashboard sends its own origin and same-origin.
  const foreign =
    !listed && ((origin !== undefined && !isOwnOrigin(origin, host)) || site === 'cross-site' || site === 'same-site');

  if (route === 'v1') {
    if (method === 'OPTIONS') {
      // Preflights carry no credential and must never spend an account upstream.
      return listed ? { kind: 'preflight', headers: preflightHeaders(origin as string, h) } : PREFLIGHT_NO_CORS;
    }
    if (foreign) {
      return refuse(
        'v1-site',
        'forbidden',
        `Requests from web pages on other sites${origin === undefined ? '' : ` (Origin: ${origin})`} are refused so that a page cannot use your accounts. To allow a web app, add its origin to CCFLARE_CORS_ORIGINS.`,
      );
    }
    return listed ? { kind: 'cors', origin: origin as string } : PASS;
  }

  if (route === 'mcp') {
    // The MCP transport spec asks servers to check Origin (DNS rebinding); its clients (Claude
    // Code, the SDK) are not web pages, so no page gets a preflight or an answer.
    if (method === 'OPTIONS') return PREFLIGHT_NO_CORS;
    if (foreign) {
      return refuse(
        'mcp-site',
        'forbidden',
        `The MCP prompt server refuses requests from web pages on other sites${origin === undefined ? '' : ` (Origin: ${origin})`}.`,
      );
    }
    return PASS;
  }

  // CORS keeps a page from reading the answer, not the gateway from doing the work: an <img> or
  // no-cors fetch still runs the query. Every request a browser marks as not from the dashboard
  // (Sec-Fetch-Site, sent by Chromium, Firefox and Safari 16.4+) is refused before it starts.
  if (site !== undefined && fromPage(site, origin, p)) return refuseApi(origin);
  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    // Without Sec-Fetch-Site, only the Origin header tells; plain reads carrying a foreign Origin
    // are left to CORS (no Access-Control-* header is ever sent), but an event stream would be
    // held open and an export reads any number of rows on the event loop.
    if (foreign && (isStream(url) || url.startsWith('/api/export/'))) return refuseApi(origin);
    return PASS;
  }
  if (foreign) return refuseApi(origin);
  const type = h['content-type'];
  const hasBody =
    (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
  if (type !== undefined ? !isJsonType(type) : hasBody) {
    return refuse(
      'api-media-type',
      'unsupported_media_type',
      `The management API takes JSON bodies only: send "content-type: application/json"${type === undefined ? '' : ` (got "${type}")`}. Form and text bodies are refused because any web page can submit them.`,
    );
  }
  return PASS;
}

/**
 * `Sec-Fetch-Site` says the request does not come from a page of the gateway's own origin
 * (`same-origin`) or from the user (`none`: typed in the address bar, a bookmark), and its
 * origin is not listed in CCFLARE_CORS_ORIGINS. `same-site` counts: another port of 127.0.0.1
 * is the same site to a browser.
 */
function fromPage(site: string, origin: string | undefined, p: BrowserPolicy): boolean {
  return site !== 'same-origin' && site !== 'none' && !(origin !== undefined && p.corsOrigins.has(origin));
}

/**
 * The event streams: /api/events, ccflare's /api/requests/stream and /api/logs/stream, and a
 * worker's log, /api/workers/{id}/logs.
 */
function isStream(url: string): boolean {
  for (const p of ['/api/events', '/api/requests/stream', '/api/logs/stream']) {
    if (url === p || (url.startsWith(p) && url.charCodeAt(p.length) === 63) /* ? */) return true;
  }
  const workers = '/api/workers/';
  if (!url.startsWith(workers)) return false;
  const q = url.indexOf('?');
  const path = q < 0 ? url : url.slice(0, q);
  const slash = path.indexOf('/', workers.length);
  return slash > workers.length && path.endsWith('/logs') && slash === path.length - 5;
}

function refuseApi(origin: string | undefined): Decision {
  return refuse(
    'api-site',
    'forbidden',
    `The management API refuses requests from web pages on other sites${origin === undefined ? '' : ` (Origin: ${origin})`}; use the dashboard served by the gateway, the CLI or the TUI. An origin that serves the dashboard through a proxy can be added to CCFLARE_CORS_ORIGINS.`,
  );
}

function refuse(reason: RefusalReason, code: 'forbidden' | 'unsupported_media_type', message: string): Decision {
  return { kind: 'refuse', reason, error: new GatewayError(code, message) };
}

/** How long the refusal log holds back further lines of one reason. */
export const REFUSAL_LOG_INTERVAL_MS = 60_000;

/**
 * Logs refusals through `warn`: the first of a reason at once, then at most one line per reason
 * every REFUSAL_LOG_INTERVAL_MS counting the ones held back. A page can send refused requests
 * without end (60 `<img>` tags, in a loop), and each was a log line.
 */
export function refusalLog(
  warn: (fields: Record<string, unknown>, message: string) => void,
  intervalMs = REFUSAL_LOG_INTERVAL_MS,
): (reason: RefusalReason, fields: Record<string, unknown>, message: string) => void {
  const held = new Map<RefusalReason, { count: number; fields: Record<string, unknown>; message: string }>();
  const summarize = (reason: RefusalReason) => {
    const h = held.get(reason);
    if (h === undefined) return;
    if (h.count === 0) {
      held.delete(reason);
      return;
    }
    warn(
      { ...h.fields, suppressed: h.count },
      `${h.count} more request(s) refused in the last ${intervalMs / 1000} s, the latest: ${h.message}`,
    );
    h.count = 0;
    setTimeout(summarize, intervalMs, reason).unref();
  };
  return (reason, fields, message) => {
    const h = held.get(reason);
    if (h !== undefined) {
      h.count++;
      h.fields = fields;
      h.message = message;
      return;
    }
    warn(fields, message);
    held.set(reason, { count: 0, fields, message });
    setTimeout(summarize, intervalMs, reason).unref();
  };
}

function preflightHeaders(origin: string, h: IncomingHttpHeaders): Record<string, string> {
  const out: Record<string, string> = {
    'access-control-allow-origin': origin,
    'access-control-allow-methods': 'GET, POST, OPTIONS',
    'access-control-max-age': '600',
    vary: 'Origin, Access-Control-Request-Headers',
  };
  const asked = h['access-control-request-headers'];
  if (asked !== undefined && asked !== '') out['access-control-allow-headers'] = asked;
  return out;
}

/** `Host` names the gateway when it is loopback, an IP address (never a rebound DNS name) or listed. */
export function hostAllowed(host: string, p: BrowserPolicy): boolean {
  let name: string;
  if (host.charCodeAt(0) === 91 /* [ */) {
    const end = host.indexOf(']');
    if (end < 0) return false;
    name = host.slice(0, end + 1);
    if (isIPv6(name.slice(1, -1))) return true;
  } else {
    const colon = host.indexOf(':');
    name = colon < 0 ? host : host.slice(0, colon);
    if (isIPv4(name)) return true;
  }
  name = name.toLowerCase();
  if (p.hosts.has(name)) return true;
  for (const s of p.hostSuffixes) if (name.endsWith(s)) return true;
  return false;
}

/** Origin `scheme://authority` names the host the request was sent to. */
export function isOwnOrigin(origin: string, host: string | undefined): boolean {
  if (host === undefined) return false;
  const sep = origin.indexOf('://');
  if (sep < 0) return false; // "null" (sandboxed frames, file: pages)
  const authority = origin.slice(sep + 3);
  return authority.length === host.length && authority.toLowerCase() === host.toLowerCase();
}

/** application/json or any +json type, parameters allowed. */
export function isJsonType(type: string): boolean {
  const semi = type.indexOf(';');
  const media = (semi < 0 ? type : type.slice(0, semi)).trim().toLowerCase();
  return media === 'application/json' || (media.startsWith('application/') && media.endsWith('+json'));
}
