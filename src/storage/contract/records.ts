/** Request records: what the proxy hands the writer, and what the store gives back. */
import type { AccountError } from './accounts.js';

/** One attempt of a request against one account (failover log). */
export interface AttemptRecord {
  account: string | null;
  status: number | null;
  error: string | null;
  ms: number;
}

/** A payload as stored and read back: bodies are text. */
export interface PayloadRecord {
  /** JSON of headers with secrets removed. */
  requestHeaders: string;
  requestBody: string | null;
  responseHeaders: string | null;
  responseBody: string | null;
  requestTruncated: boolean;
  responseTruncated: boolean;
}

/**
 * A body handed to the writer: text, or the UTF-8 bytes as they crossed the wire. The proxy
 * passes bytes so it never decodes a body only for the writer to encode it again; both are
 * stored as the same bytes and read back as text.
 */
export type PayloadBody = PlainBody | DeflatedBody;

/** A body as text or bytes, as every request body (and a short answer) is handed over. */
export type PlainBody = string | Uint8Array;

/**
 * A long answer as the proxy kept it while forwarding (proxy/kept-bytes.ts): its bytes in order,
 * the full 16 KiB blocks raw-deflated, the rest as they came. It goes to the payload files as it
 * is, so a long answer is never inflated, joined and copied again at the stream's end, and is
 * stored compressed; whoever needs the bytes inflates them (storage/payloads/body-bytes.ts).
 */
export interface DeflatedBody {
  readonly deflated: readonly DeflatedPart[];
  /** Bytes once inflated. */
  readonly length: number;
}

/** A part of a DeflatedBody: raw-deflated (`z`) or as it came. */
export interface DeflatedPart {
  readonly z: boolean;
  readonly bytes: Uint8Array;
}

/** A payload as written: bodies may be bytes. */
export interface PayloadInput extends Omit<PayloadRecord, 'requestBody' | 'responseBody'> {
  requestBody: PlainBody | null;
  /** A long streamed answer may come deflated in parts. */
  responseBody: PayloadBody | null;
}

/** The five token counts of a request or a group of requests, by kind (protocol.md usage fields). */
export interface TokenSums {
  inputTokens: number;
  cacheReadTokens: number;
  cacheWrite5mTokens: number;
  cacheWrite1hTokens: number;
  outputTokens: number;
}

/** A request's token counts: null where the response did not report one. */
export type RequestTokens = { [K in keyof TokenSums]: number | null };

export interface RequestRecord extends RequestTokens {
  id: string;
  /** Unix ms when the request arrived. */
  ts: number;
  method: string;
  path: string;
  accountId: string | null;
  accountName: string | null;
  status: number | null;
  success: boolean;
  error: string | null;
  latencyMs: number;
  /** Time to first content_block_delta (streams) or first byte (non-stream), ms from arrival. */
  ttftMs: number | null;
  /** Number of upstream attempts; failovers = attempts - 1 when > 0. */
  attempts: number;
  attemptLog: AttemptRecord[];
  modelRequested: string | null;
  /** The model sent upstream (agent preference, rules, fallback), or the one the answer reported. */
  modelApplied: string | null;
  /** The fallback model was tried after every account refused the requested one. */
  modelFallback: boolean;
  /** `main`, an agent's name, `subagent` (unknown definition); null: not from Claude Code. */
  agent: string | null;
  /** Claude Code's `x-claude-code-agent-id` (one sub-agent run); null when absent. */
  agentInstance: string | null;
  /** Why the serving account was picked (routing/route-types.ts formatReason); null: none served. */
  routeReason: string | null;
  sessionId: string | null;
  clientKey: string | null;
  stream: boolean;
  stopReason: string | null;
  /** USD; null when the model has no known price. */
  costUsd: number | null;
  outputTokensPerSecond: number | null;
  payload: PayloadInput | null;
  /**
   * The whole body of a Messages call, for conversation linking (src/conversations) on the
   * writer's thread after the answer went out; never stored as such. Absent or null: not linked.
   */
  linkBody?: PlainBody | null;
}

/** A request record read back from the store. */
export interface StoredRequest extends Omit<RequestRecord, 'payload' | 'linkBody'> {
  payload: PayloadRecord | null;
}

/**
 * Per-account counters the batched writer applies with the request rows (absent counts: 0). An account that only
 * failed attempts in the batch has no id here (the attempt log names accounts): the writer
 * finds it by name.
 */
export interface AccountUsageDelta {
  accountId: string | null;
  /** Required when `accountId` is null. */
  accountName?: string | null;
  /** Requests the account served, and when the last of them ended (null: none). */
  requests: number;
  lastUsedAt: number | null;
  /** Upstream attempts on the account, whichever account served the request in the end. */
  attempts?: number;
  /** Attempts answered with an error status, or with no answer at all (network, credentials). */
  failedAttempts?: number;
  /** The batch's failed attempts on the account, oldest first, at most `RECENT_ERRORS_KEPT` (storage/writer/usage.ts). */
  errors?: AccountError[];
}
