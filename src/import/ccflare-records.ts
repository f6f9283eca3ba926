/**
 * One ccflare request row as this gateway's request record (pure). ccflare kept fewer facts than
 * a record has; what it did not keep is left empty rather than guessed:
 * - no attempt log (ccflare stored only how many failovers a request had): `attempts` keeps the
 *   count, `attemptLog` is empty, so the accounts' recent errors are not filled with old failures;
 * - one cache-write count (the 5-minute cache, then the only kind): `cacheWrite5mTokens`;
 * - no time to first token, session, client key or stop reason: null;
 * - the same model requested and applied (ccflare did not rewrite models but for agents).
 * Token counts ccflare stored as 0 for a request that failed before a response are null here:
 * the upstream reported none. The id is kept, so importing again finds the row already stored.
 */
import { redactHeaders, redactQuery } from '../log/logger.js';
import type { CcflareRequest } from '../storage/contract/ccflare-source.js';
import type { PayloadInput, RequestRecord } from '../storage/contract/records.js';

export interface RecordContext {
  /** ccflare account id -> this gateway's account (id and name); absent: the account is not here. */
  accounts: ReadonlyMap<string, { id: string | null; name: string }>;
  /** ccflare agent id -> the agent name recorded on requests. */
  agentName: (ccflareAgentId: string) => string;
  /** Bodies are cut to this many bytes (the payload cap), with the truncation flag set. */
  payloadMaxBytes: number;
  /** Payloads of requests before this (Unix ms) are past payload retention: not imported. */
  payloadsSince: number;
}

export interface ConvertedRecord {
  record: RequestRecord;
  /** The row had a payload that could not be read (not JSON): imported without it. */
  payloadUnreadable: boolean;
}

interface CcflarePayloadSide {
  headers?: unknown;
  body?: unknown;
}

interface CcflarePayload {
  request?: CcflarePayloadSide;
  response?: CcflarePayloadSide;
  meta?: { isStream?: unknown };
}

function headersOf(side: CcflarePayloadSide | undefined): Record<string, unknown> | null {
  const h = side?.headers;
  return h !== null && typeof h === 'object' && !Array.isArray(h) ? (h as Record<string, unknown>) : null;
}

/** ccflare stores bodies base64-encoded; "[streamed]" marks a stream body it did not keep. */
function bodyOf(side: CcflarePayloadSide | undefined, max: number): { body: Buffer | null; truncated: boolean } {
  const b = side?.body;
  if (typeof b !== 'string' || b === '' || b === '[streamed]') return { body: null, truncated: false };
  const bytes = /^[A-Za-z0-9+/]*={0,2}$/.test(b) ? Buffer.from(b, 'base64') : Buffer.from(b, 'utf8');
  if (bytes.length <= max) return { body: bytes, truncated: false };
  return { body: bytes.subarray(0, max), truncated: true };
}

function payloadOf(json: string, max: number): { payload: PayloadInput | null; stream: boolean | null } | null {
  let p: CcflarePayload;
  try {
    const parsed: unknown = JSON.parse(json);
    if (parsed === null || typeof parsed !== 'object') return null;
    p = parsed as CcflarePayload;
  } catch {
    return null;
  }
  const reqHeaders = headersOf(p.request);
  const resHeaders = headersOf(p.response);
  const req = bodyOf(p.request, max);
  const res = bodyOf(p.response, max);
  const contentType = resHeaders?.['content-type'];
  const stream =
    typeof p.meta?.isStream === 'boolean'
      ? p.meta.isStream
      : typeof contentType === 'string'
        ? contentType.includes('text/event-stream')
        : null;
  return {
    stream,
    payload: {
      requestHeaders: JSON.stringify(redactHeaders(reqHeaders ?? {})),
      requestBody: req.body,
      responseHeaders: resHeaders === null ? null : JSON.stringify(redactHeaders(resHeaders)),
      responseBody: res.body,
      requestTruncated: req.truncated,
      responseTruncated: res.truncated,
    },
  };
}

function tokens(
  r: CcflareRequest,
): Pick<
  RequestRecord,
  'inputTokens' | 'cacheReadTokens' | 'cacheWrite5mTokens' | 'cacheWrite1hTokens' | 'outputTokens'
> {
  const counts = [r.inputTokens, r.cacheReadInputTokens, r.cacheCreationInputTokens, r.outputTokens];
  const none = counts.every((n) => n === null || n === 0) && !r.success;
  if (none) {
    return {
      inputTokens: null,
      cacheReadTokens: null,
      cacheWrite5mTokens: null,
      cacheWrite1hTokens: null,
      outputTokens: null,
    };
  }
  return {
    inputTokens: r.inputTokens ?? 0,
    cacheReadTokens: r.cacheReadInputTokens ?? 0,
    cacheWrite5mTokens: r.cacheCreationInputTokens ?? 0,
    cacheWrite1hTokens: 0,
    outputTokens: r.outputTokens ?? 0,
  };
}

export function toRequestRecord(r: CcflareRequest, ctx: RecordContext): ConvertedRecord {
  const account = r.accountUsed === null ? undefined : ctx.accounts.get(r.accountUsed);
  const converted =
    r.payloadJson !== null && r.timestamp >= ctx.payloadsSince ? payloadOf(r.payloadJson, ctx.payloadMaxBytes) : null;
  const failed = !r.success;
  return {
    payloadUnreadable: r.payloadJson !== null && r.timestamp >= ctx.payloadsSince && converted === null,
    record: {
      id: r.id,
      ts: r.timestamp,
      method: r.method,
      path: redactQuery(r.path),
      accountId: account?.id ?? null,
      accountName: account?.name ?? null,
      status: r.statusCode,
      success: r.success,
      error: r.errorMessage,
      latencyMs: r.responseTimeMs ?? 0,
      ttftMs: null,
      attempts: r.failoverAttempts + (r.accountUsed === null && failed ? 0 : 1),
      attemptLog: [],
      modelRequested: r.model,
      modelApplied: r.model,
      modelFallback: false,
      agent: r.agentUsed === null ? null : ctx.agentName(r.agentUsed),
      agentInstance: null,
      routeReason: null,
      sessionId: null,
      clientKey: null,
      stream: converted?.stream ?? false,
      stopReason: null,
      ...tokens(r),
      costUsd: r.costUsd,
      outputTokensPerSecond: r.outputTokensPerSecond,
      payload: converted?.payload ?? null,
    },
  };
}
