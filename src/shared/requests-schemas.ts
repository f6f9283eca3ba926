/**
 * Shapes of `/api/requests`: the paged list of request summaries and one request with its
 * payload, plus the list's query parameters (validated at the edge, shared with the UIs).
 */
import { z } from './zod-openapi.js';

// btoa/atob rather than Buffer: the UIs import this module in the browser too.
function toBase64Url(text: string): string {
  let bin = '';
  for (const b of new TextEncoder().encode(text)) bin += String.fromCharCode(b);
  return btoa(bin).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function fromBase64Url(s: string): string | null {
  try {
    const bin = atob(s.replace(/-/g, '+').replace(/_/g, '/'));
    return new TextDecoder('utf-8', { fatal: true }).decode(Uint8Array.from(bin, (c) => c.charCodeAt(0)));
  } catch {
    return null;
  }
}

/** Cursor of the list: opaque to clients, the (ts, id) of the last row of the previous page. */
export function encodeCursor(ts: number, id: string): string {
  return toBase64Url(`${ts}:${id}`);
}

export function decodeCursor(cursor: string): { ts: number; id: string } | null {
  if (!/^[A-Za-z0-9_-]{1,1000}$/.test(cursor)) return null;
  const text = fromBase64Url(cursor);
  const m = text === null ? null : /^(\d{1,16}):(.+)$/s.exec(text);
  if (!m) return null;
  const ts = Number(m[1]);
  return Number.isSafeInteger(ts) ? { ts, id: m[2] as string } : null;
}

/** Unix ms (digits) or an ISO 8601 date / date-time; without an offset it is UTC, never server-local. */
export function parseTime(value: string): number | null {
  if (/^\d{1,16}$/.test(value)) return Number(value);
  const m = /^(\d{4}-\d{2}-\d{2})(?:[T ](\d{2}:\d{2}(?::\d{2}(?:\.\d{1,9})?)?)(Z|[+-]\d{2}:?\d{2})?)?$/i.exec(value);
  if (!m) return null;
  const date = m[1] as string;
  // Date.parse rolls 2025-02-30 over into March; a date that does not exist is an error.
  if (
    Number.isNaN(Date.parse(`${date}T00:00:00Z`)) ||
    new Date(`${date}T00:00:00Z`).toISOString().slice(0, 10) !== date
  )
    return null;
  const t = Date.parse(m[2] === undefined ? `${date}T00:00:00Z` : `${date}T${m[2]}${m[3] ?? 'Z'}`);
  return Number.isNaN(t) ? null : t;
}

/** A query time: Unix ms or ISO 8601, read as Unix ms. */
export const timeParam = (what: string) =>
  z
    .string()
    .transform((v, ctx) => {
      const t = parseTime(v);
      if (t === null) {
        ctx.addIssue({ code: 'custom', message: 'expected Unix milliseconds or an ISO 8601 date-time' });
        return z.NEVER;
      }
      return t;
    })
    .optional()
    .openapi({ type: 'string', description: what, example: '2025-01-31T00:00:00Z' });

/** A free-text query filter (1-500 characters). */
export const filterText = (what: string) => z.string().min(1).max(500).optional().openapi({ description: what });

export const RequestListQuerySchema = z
  .strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(500)
      .default(50)
      .openapi({ description: 'Items per page (1-500)', example: 50 }),
    cursor: z
      .string()
      .transform((v, ctx) => {
        const c = decodeCursor(v);
        if (c === null) {
          ctx.addIssue({ code: 'custom', message: 'not a cursor this API returned (use nextCursor as given)' });
          return z.NEVER;
        }
        return c;
      })
      .optional()
      .openapi({ type: 'string', description: '`nextCursor` of the previous page' }),
    since: timeParam('Only requests at or after this time (Unix ms or ISO 8601)'),
    until: timeParam('Only requests before this time (Unix ms or ISO 8601)'),
    account: filterText('Account id or name (names of removed accounts match their recorded requests)'),
    model: filterText('Model that answered (or was requested, when none answered)'),
    status: z
      .string()
      .transform((v, ctx) => {
        if (v === 'success' || v === 'error') return v;
        if (/^[1-5]\d\d$/.test(v)) return Number(v);
        ctx.addIssue({ code: 'custom', message: 'expected success, error or an HTTP status code (100-599)' });
        return z.NEVER;
      })
      .optional()
      .openapi({ type: 'string', description: '`success`, `error`, or one HTTP status code', example: 'error' }),
    agent: filterText('Agent the request was attributed to'),
    session: filterText("Client session id (Claude Code's session)"),
  })
  .openapi('RequestListQuery');
export type RequestListQueryInput = z.input<typeof RequestListQuerySchema>;

export const RequestIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '0199a0b4-5c1e-7000-8000-000000000000' }),
});

const requestFields = {
  id: z.string(),
  ts: z.number().int().openapi({ description: 'Arrival time, Unix ms' }),
  method: z.string(),
  path: z.string(),
  accountId: z.string().nullable(),
  accountName: z.string().nullable().openapi({ description: 'Name of the account when the request was served' }),
  status: z.number().int().nullable().openapi({ description: 'HTTP status sent to the client' }),
  success: z.boolean(),
  error: z.string().nullable(),
  latencyMs: z.number(),
  ttftMs: z.number().nullable().openapi({ description: 'Time to first token (streams) or first byte, ms' }),
  attempts: z.number().int().openapi({ description: 'Upstream attempts: 1 + retries + failovers' }),
  retries: z.number().int().openapi({ description: 'Attempts on an account the request had already tried' }),
  failovers: z.number().int().openapi({ description: 'Moves to an account the request had not tried yet' }),
  triedAccounts: z.array(z.string()).openapi({
    description: 'Accounts the request tried, in order, each once; a failed request has no accountName but these',
  }),
  modelRequested: z.string().nullable(),
  modelApplied: z
    .string()
    .nullable()
    .openapi({ description: 'Model sent upstream (agent preference, rules, fallback), or the one the answer named' }),
  modelFallback: z
    .boolean()
    .openapi({ description: 'Every account refused the requested model; the fallback model was tried' }),
  agent: z.string().nullable().openapi({
    description: "Claude Code agent: an agent's name, `main`, `subagent` (unknown definition); null: not Claude Code",
  }),
  agentInstance: z
    .string()
    .nullable()
    .openapi({ description: "Claude Code's x-claude-code-agent-id (one sub-agent run)" }),
  routeReason: z.string().nullable().openapi({
    description:
      'Why the strategy picked the serving account (affinity, current session, priority, score and its parts, sticky hold, threshold fallback)',
  }),
  sessionId: z.string().nullable(),
  clientKey: z.string().nullable().openapi({ description: 'Name of the client key used, when keys are on' }),
  stream: z.boolean(),
  stopReason: z.string().nullable(),
  inputTokens: z.number().int().nullable(),
  cacheReadTokens: z.number().int().nullable(),
  cacheWrite5mTokens: z.number().int().nullable(),
  cacheWrite1hTokens: z.number().int().nullable(),
  outputTokens: z.number().int().nullable(),
  costUsd: z.number().nullable().openapi({ description: 'USD; null when the model has no known price' }),
  outputTokensPerSecond: z.number().nullable(),
  hasPayload: z.boolean().openapi({ description: 'Whether bodies and headers are stored (GET /api/requests/{id})' }),
};

export const RequestSummarySchema = z.object(requestFields).openapi('RequestSummary');
export type RequestSummary = z.infer<typeof RequestSummarySchema>;

export const RequestPageSchema = z
  .object({
    items: z.array(RequestSummarySchema).openapi({ description: 'Newest first' }),
    nextCursor: z
      .string()
      .nullable()
      .openapi({ description: 'Pass as `cursor` for the next (older) page; null on the last page' }),
  })
  .openapi('RequestPage');
export type RequestPage = z.infer<typeof RequestPageSchema>;

export const AttemptSchema = z
  .object({
    account: z.string().nullable(),
    status: z.number().int().nullable(),
    error: z.string().nullable(),
    ms: z.number(),
  })
  .openapi('RequestAttempt');

const HeadersSchema = z.record(z.string(), z.union([z.string(), z.array(z.string())]));

export const RequestPayloadSchema = z
  .object({
    requestHeaders: HeadersSchema.openapi({ description: 'As received, credentials redacted' }),
    requestBody: z.string().nullable(),
    responseHeaders: HeadersSchema.nullable(),
    responseBody: z.string().nullable().openapi({ description: 'JSON, or the SSE stream as sent' }),
    requestTruncated: z.boolean().openapi({ description: 'Body cut at the payload size cap' }),
    responseTruncated: z.boolean(),
  })
  .openapi('RequestPayload');

export const RequestDetailSchema = z
  .object({
    ...requestFields,
    attemptLog: z.array(AttemptSchema).openapi({ description: 'One entry per upstream attempt, in order' }),
    payload: RequestPayloadSchema.nullable().openapi({
      description: 'null when payload capture was off or the payload expired (payload retention)',
    }),
    conversationId: z
      .string()
      .nullable()
      .openapi({ description: 'The conversation it belongs to (GET /api/conversations/{id}); null: not linked' }),
    branch: z.string().nullable().openapi({ description: 'Its branch in the conversation' }),
  })
  .openapi('RequestDetail');
export type RequestDetail = z.infer<typeof RequestDetailSchema>;
