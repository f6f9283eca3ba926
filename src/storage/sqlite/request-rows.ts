/**
 * The columns of a `requests` row and their mapping to the record fields, shared by the store's
 * full-record reads and the paged summaries of the analytics queries.
 */
import type { RequestRecord } from '../contract/records.js';

export interface RequestColumnsRow {
  id: string;
  ts: number;
  method: string;
  path: string;
  account_id: string | null;
  account_name: string | null;
  status: number | null;
  success: number;
  error: string | null;
  latency_ms: number;
  ttft_ms: number | null;
  attempts: number;
  model_requested: string | null;
  model_applied: string | null;
  agent: string | null;
  session_id: string | null;
  client_key: string | null;
  stream: number;
  stop_reason: string | null;
  input_tokens: number | null;
  cache_read_tokens: number | null;
  cache_write_5m_tokens: number | null;
  cache_write_1h_tokens: number | null;
  output_tokens: number | null;
  cost_usd: number | null;
  output_tokens_per_second: number | null;
}

export function requestFields(r: RequestColumnsRow): Omit<RequestRecord, 'attemptLog' | 'payload'> {
  return {
    id: r.id,
    ts: r.ts,
    method: r.method,
    path: r.path,
    accountId: r.account_id,
    accountName: r.account_name,
    status: r.status,
    success: r.success !== 0,
    error: r.error,
    latencyMs: r.latency_ms,
    ttftMs: r.ttft_ms,
    attempts: r.attempts,
    modelRequested: r.model_requested,
    modelApplied: r.model_applied,
    agent: r.agent,
    sessionId: r.session_id,
    clientKey: r.client_key,
    stream: r.stream !== 0,
    stopReason: r.stop_reason,
    inputTokens: r.input_tokens,
    cacheReadTokens: r.cache_read_tokens,
    cacheWrite5mTokens: r.cache_write_5m_tokens,
    cacheWrite1hTokens: r.cache_write_1h_tokens,
    outputTokens: r.output_tokens,
    costUsd: r.cost_usd,
    outputTokensPerSecond: r.output_tokens_per_second,
  };
}
