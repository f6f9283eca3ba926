/**
 * Header rules for forwarding (protocol.md sections 1-2).
 */
import type { AccountKind } from '../storage/contract/accounts.js';

/** RFC 9110 section 7.6.1 hop-by-hop fields, plus the client's own credentials and cookies. */
const DROP = new Set([
  'connection',
  'keep-alive',
  'proxy-connection',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  // Node's server has answered `100 Continue` already and the body is read whole; undici refuses
  // to send the field (UND_ERR_NOT_SUPPORTED), so curl's bodies over 1 MB failed on every account.
  'expect',
  'authorization',
  'x-api-key',
  // The gateway's own admin key (api/auth.ts): a credential for this gateway only.
  'x-ccflare-admin-key',
  // Browser cookies for the gateway's origin (the dashboard's): the Messages API takes none.
  'cookie',
  // Usage is read from the response bytes, so the upstream must answer uncompressed.
  'accept-encoding',
  // The gateway's own marker for requests it sends itself (build-app.ts): never goes upstream.
  'x-ccflare-internal',
]);

export const OAUTH_BETA = 'oauth-2025-04-20';

export interface Credentials {
  kind: AccountKind;
  /** Access token for `max` accounts, API key otherwise. */
  secret: string;
}

/**
 * Builds the upstream header list from the client's raw headers: drops hop-by-hop fields, any
 * field named in `Connection`, and the client's credentials; injects the account's.
 *
 * The gateway's own fields (credential, merged `anthropic-beta`, `content-length`) come first:
 * servers cap the header count (Node's `maxHeadersCount` is 2,000) and drop the fields past it,
 * so a client sending 2,000 headers made an account's credential, added last, vanish upstream.
 */
export function upstreamHeaders(rawHeaders: readonly string[], cred: Credentials, bodyLength: number): string[] {
  let connectionNamed: Set<string> | null = null;
  let beta: string | null = null;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const lower = (rawHeaders[i] as string).toLowerCase();
    if (lower === 'connection') {
      connectionNamed ??= new Set();
      for (const t of (rawHeaders[i + 1] as string).split(',')) connectionNamed.add(t.trim().toLowerCase());
    } else if (lower === 'anthropic-beta') {
      beta = beta === null ? (rawHeaders[i + 1] as string) : `${beta},${rawHeaders[i + 1]}`;
    }
  }
  if (connectionNamed?.has('anthropic-beta')) beta = null;
  const out: string[] = [];
  if (cred.kind === 'max') {
    out.push('authorization', `Bearer ${cred.secret}`);
    beta = addBeta(beta, OAUTH_BETA);
  } else {
    out.push('x-api-key', cred.secret);
  }
  if (beta !== null) out.push('anthropic-beta', beta);
  if (bodyLength > 0) out.push('content-length', String(bodyLength));
  for (let i = 0; i < rawHeaders.length; i += 2) {
    const name = rawHeaders[i] as string;
    const lower = name.toLowerCase();
    if (DROP.has(lower) || lower === 'anthropic-beta' || lower.startsWith('proxy-') || connectionNamed?.has(lower)) {
      continue;
    }
    out.push(name, rawHeaders[i + 1] as string);
  }
  return out;
}

/** Appends a beta flag to a comma-separated list unless it is already there. */
export function addBeta(list: string | null, flag: string): string {
  if (list === null || list.trim() === '') return flag;
  for (const part of list.split(',')) if (part.trim() === flag) return list;
  return `${list},${flag}`;
}

/** Response headers that must not be copied to the client (node sets its own framing). */
const DROP_RESPONSE = new Set([
  'connection',
  'keep-alive',
  'transfer-encoding',
  'proxy-connection',
  'trailer',
  'upgrade',
  'te',
  // Answers reach browsers at the gateway's origin, the dashboard's: an upstream's cookie would be
  // stored for it (RFC 6265 section 5.3 scopes a cookie to the answering host) and sent with
  // every dashboard and /api request. The Messages API needs no cookie from its clients.
  'set-cookie',
]);

export function clientResponseHeaders(
  h: Record<string, string | string[] | undefined>,
): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const k in h) {
    const v = h[k];
    // The gateway alone decides what browsers may read (server/browser-guard.ts): an upstream's
    // `access-control-allow-origin: *` would open the accounts to every web page.
    if (v === undefined || DROP_RESPONSE.has(k) || k.startsWith('access-control-')) continue;
    out[k] = v;
  }
  return out;
}

/**
 * Claude Code's per-session id; falls back to the session in `metadata.user_id`: a JSON string
 * holding `session_id` today (protocol.md §7), `user_<hash>_account_<uuid>_session_<uuid>` before.
 */
export function sessionIdOf(headerValue: string | string[] | undefined, userId: unknown): string | null {
  if (typeof headerValue === 'string' && headerValue !== '') return headerValue;
  if (typeof userId !== 'string') return null;
  if (userId.trimStart().startsWith('{')) {
    try {
      const sessionId = (JSON.parse(userId) as { session_id?: unknown } | null)?.session_id;
      return typeof sessionId === 'string' && sessionId !== '' ? sessionId : null;
    } catch {
      return null;
    }
  }
  const m = /_session_([0-9a-zA-Z-]+)/.exec(userId);
  return m ? (m[1] as string) : null;
}
