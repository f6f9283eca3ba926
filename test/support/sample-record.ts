import type { PayloadRecord, RequestRecord } from '../../src/storage/contract/records.js';

const T0 = 1_700_000_000_000;

/** A plausible successful streamed request at a fixed time; tests override what they look at. */
export function sampleRecord(over: Partial<RequestRecord> & { id: string }): RequestRecord {
  return {
    ts: T0,
    method: 'POST',
    path: '/v1/messages',
    accountId: null,
    accountName: null,
    status: 200,
    success: true,
    error: null,
    latencyMs: 1200,
    ttftMs: 300,
    attempts: 1,
    attemptLog: [],
    modelRequested: 'claude-sonnet-4-5',
    modelApplied: 'claude-sonnet-4-5',
    agent: null,
    agentInstance: null,
    routeReason: null,
    modelFallback: false,
    sessionId: null,
    clientKey: null,
    stream: true,
    stopReason: 'end_turn',
    inputTokens: 10,
    cacheReadTokens: 0,
    cacheWrite5mTokens: 0,
    cacheWrite1hTokens: 0,
    outputTokens: 20,
    costUsd: 0.000123,
    outputTokensPerSecond: 16.5,
    payload: null,
    ...over,
  };
}

/** Captured request and response of a JSON request answered with a stream. */
export function samplePayload(over: Partial<PayloadRecord> = {}): PayloadRecord {
  return {
    requestHeaders: '{"content-type":"application/json"}',
    requestBody: '{"model":"claude-sonnet-4-5"}',
    responseHeaders: '{"content-type":"text/event-stream"}',
    responseBody: 'event: ping\ndata: {"type":"ping"}\n\n',
    requestTruncated: false,
    responseTruncated: false,
    ...over,
  };
}

/** A payload of `kb` KiB, both bodies made of `fill`, the response cut at the capture cap. */
export function bigPayload(fill: string, kb: number): PayloadRecord {
  const half = fill.repeat((kb * 1024) / 2 / fill.length);
  return samplePayload({ requestBody: half, responseBody: half, responseTruncated: true });
}
