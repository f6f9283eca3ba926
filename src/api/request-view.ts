/**
 * A stored request as people see it, whoever shows it (`GET /api/requests/{id}`, the export,
 * `ccflare requests show`): credentials redacted from its headers and query string, whatever
 * rules were in force when it was written (log/logger.ts), and its attempts counted as retries
 * and failovers.
 */
import { headersOut, redactQuery } from '../log/logger.js';
import { attemptCounts } from '../shared/attempts.js';
import type { RequestDetail } from '../shared/requests-schemas.js';
import type { PayloadRecord, StoredRequest } from '../storage/contract/records.js';

export type PayloadView = NonNullable<RequestDetail['payload']>;

export function payloadView(p: PayloadRecord | null): PayloadView | null {
  if (p === null) return null;
  return {
    requestHeaders: headersOut(p.requestHeaders) ?? {},
    requestBody: p.requestBody,
    responseHeaders: headersOut(p.responseHeaders),
    responseBody: p.responseBody,
    requestTruncated: p.requestTruncated,
    responseTruncated: p.responseTruncated,
  };
}

/** A listed request: a path stored before query redaction existed never shows a secret parameter. */
export function summaryView<T extends { path: string }>(r: T): T {
  const path = redactQuery(r.path);
  return path === r.path ? r : { ...r, path };
}

/** One request with its attempts, payload and place in its conversation (`link`: null when not linked). */
export function requestDetailView(
  r: StoredRequest,
  link: { conversationId: string; branch: string } | null,
): RequestDetail {
  const { payload, ...rest } = r;
  return {
    ...rest,
    ...attemptCounts(rest.attemptLog),
    path: redactQuery(rest.path),
    hasPayload: payload !== null,
    payload: payloadView(payload),
    conversationId: link?.conversationId ?? null,
    branch: link?.branch ?? null,
  };
}
