/**
 * What a web browser may do with the gateway (docs/access-control.md, "Browsers"), decided from
 * the request headers alone before any route runs. The gateway listens on 127.0.0.1 and, by
 * default, asks nobody for a key, so any page the user opens could otherwise:
 * - change state with a "simple" cross-site request (form or text/plain POST: no preflight),
 * - read everything after DNS rebinding (its own name resolving to 127.0.0.1: same origin for
 *   the browser, but the Host header still carries the page's name),
 * - spend accounts through /v1 (a preflight used to be forwarded upstream with a credential).
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
  | { kind: 'refuse'; error: GatewayError };

/** The common answer, shared so the passing path allocates nothing. */
export const PASS: Decision = Object.freeze({ kind: 'pass' });

const PREFLIGHT_NO_CORS: Decision = Object.freeze({ kind: 'preflight', headers: Object.freeze({}) });

export function decide(method: string, route: Route, url: string, h: IncomingHttpHeaders, p: BrowserPolicy): Decision {
  const host = h.host;
  // HTTP/1.1 requires Host and browsers always send it; a client without one is not a browser.
  if (host !== undefined && !p.anyHost && !hostAllowed(host, p)) {
    return refuse(
      'forbidden',
      `This gateway does not answer to the host name in "Host: ${host}" (a web page whose DNS name is rebound to this machine sends its own name). If you reach the gateway under this name, add it to CCFLARE_ALLOWED_HOSTS (comma-separated, * for any).`,
    );
  }
  if (route === 'other') return PASS;

  const origin = h.origin;
  const site = h['sec-fetch-site'];
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
        'forbidden',
        `The MCP prompt server refuses requests from web pages on other sites${origin === undefined ? '' : ` (Origin: ${origin})`}.`,
      );
    }
    return PASS;
  }

  if (method === 'GET' || method === 'HEAD' || method === 'OPTIONS') {
    // Reads of other routes are kept from foreign pages by CORS (no Access-Control-* header is
    // ever sent); an EventSource is a read too, but refusing it saves holding a stream open, and
    // an export (any number of rows read on the gateway's event loop) is refused before it starts.
    if (foreign && (isStream(url) || url.startsWith('/api/export/'))) return refuseApi(origin);
    return PASS;
  }
  if (foreign) return refuseApi(origin);
  const type = h['content-type'];
  const hasBody =
    (h['content-length'] !== undefined && h['content-length'] !== '0') || h['transfer-encoding'] !== undefined;
  if (type !== undefined ? !isJsonType(type) : hasBody) {
    return refuse(
      'unsupported_media_type',
      `The management API takes JSON bodies only: send "content-type: application/json"${type === undefined ? '' : ` (got "${type}")`}. Form and text bodies are refused because any web page can submit them.`,
    );
  }
  return PASS;
}

/** The event streams: /api/events and ccflare's /api/requests/stream and /api/logs/stream. */
function isStream(url: string): boolean {
  for (const p of ['/api/events', '/api/requests/stream', '/api/logs/stream']) {
    if (url === p || (url.startsWith(p) && url.charCodeAt(p.length) === 63) /* ? */) return true;
  }
  return false;
}

function refuseApi(origin: string | undefined): Decision {
  return refuse(
    'forbidden',
    `The management API refuses requests from web pages on other sites${origin === undefined ? '' : ` (Origin: ${origin})`}; use the dashboard served by the gateway, the CLI or the TUI. An origin that serves the dashboard through a proxy can be added to CCFLARE_CORS_ORIGINS.`,
  );
}

function refuse(code: 'forbidden' | 'unsupported_media_type', message: string): Decision {
  return { kind: 'refuse', error: new GatewayError(code, message) };
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
