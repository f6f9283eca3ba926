/**
 * What an export writes, one row source per kind: the columns of a CSV and the object of a JSON
 * line for each stored row, read in keyset pages through the store contract. The conversations
 * source joins the table once conversation linking stores its columns (issue 16).
 */
import { headersOut, redactQuery } from '../log/logger.js';
import { attemptCounts } from '../shared/attempts.js';
import type { ExportKind } from '../shared/export-schemas.js';
import type { StoredRequest } from '../storage/contract/records.js';
import type { RequestExportQuery } from '../storage/contract/requests.js';
import type { Store } from '../storage/contract/store.js';

/** A CSV cell: a string, number or boolean as it is; null for an empty cell. */
export type Cell = string | number | boolean | null;

export interface RowSource {
  /** The CSV header, in order; every `cells` row has these keys. */
  readonly columns: readonly string[];
  /** Rows oldest first, a page at a time. */
  pages(): AsyncIterable<unknown[]>;
  /** The object one JSON line holds. */
  json(row: unknown): unknown;
  /** The same row flattened to CSV cells (nested parts as JSON text). */
  cells(row: unknown): Record<string, Cell>;
}

/**
 * Rows per page. A page is one synchronous read plus its formatting, and the API's export runs on
 * the gateway's event loop: small pages keep each turn it takes short, and the stream yields to
 * the proxy between pages. With payloads a row can carry two bodies of up to the capture cap
 * (256 KiB each by default), so a page stays small enough to bound what one page holds in memory.
 */
export const PAGE_ROWS = 250;
export const PAGE_ROWS_WITH_PAYLOADS = 16;

const REQUEST_COLUMNS = [
  'id',
  'time',
  'ts',
  'method',
  'path',
  'accountId',
  'accountName',
  'status',
  'success',
  'error',
  'latencyMs',
  'ttftMs',
  'attempts',
  'retries',
  'failovers',
  'modelRequested',
  'modelApplied',
  'modelFallback',
  'agent',
  'agentInstance',
  'sessionId',
  'clientKey',
  'stream',
  'stopReason',
  'inputTokens',
  'cacheReadTokens',
  'cacheWrite5mTokens',
  'cacheWrite1hTokens',
  'outputTokens',
  'costUsd',
  'outputTokensPerSecond',
  'routeReason',
  'attemptLog',
] as const;

const PAYLOAD_COLUMNS = [
  'requestHeaders',
  'requestBody',
  'responseHeaders',
  'responseBody',
  'requestTruncated',
  'responseTruncated',
] as const;

function requestJson(r: StoredRequest, withPayloads: boolean): Record<string, unknown> {
  const { payload, attemptLog, ...rest } = r;
  const counts = attemptCounts(attemptLog);
  const out: Record<string, unknown> = {
    ...rest,
    time: new Date(r.ts).toISOString(),
    path: redactQuery(r.path),
    retries: counts.retries,
    failovers: counts.failovers,
    attemptLog,
  };
  if (withPayloads) {
    out.payload =
      payload === null
        ? null
        : {
            requestHeaders: headersOut(payload.requestHeaders) ?? {},
            requestBody: payload.requestBody,
            responseHeaders: headersOut(payload.responseHeaders),
            responseBody: payload.responseBody,
            requestTruncated: payload.requestTruncated,
            responseTruncated: payload.responseTruncated,
          };
  }
  return out;
}

function requestCells(r: StoredRequest, withPayloads: boolean): Record<string, Cell> {
  const j = requestJson(r, withPayloads);
  const out: Record<string, Cell> = {};
  for (const c of REQUEST_COLUMNS) out[c] = c === 'attemptLog' ? JSON.stringify(j.attemptLog) : (j[c] as Cell);
  if (withPayloads) {
    const p = j.payload as Record<string, unknown> | null;
    for (const c of PAYLOAD_COLUMNS) {
      const v = p?.[c] ?? null;
      out[c] = v !== null && typeof v === 'object' ? JSON.stringify(v) : (v as Cell);
    }
  }
  return out;
}

function requestRows(store: Pick<Store, 'requests'>, q: RequestExportQuery): RowSource {
  const limit = q.withPayloads ? PAGE_ROWS_WITH_PAYLOADS : PAGE_ROWS;
  return {
    columns: q.withPayloads ? [...REQUEST_COLUMNS, ...PAYLOAD_COLUMNS] : REQUEST_COLUMNS,
    async *pages() {
      let after: { ts: number; id: string } | null = null;
      for (;;) {
        const page = await store.requests.exportPage(q, after, limit);
        if (page.length > 0) yield page;
        if (page.length < limit) return;
        const last = page[page.length - 1] as StoredRequest;
        after = { ts: last.ts, id: last.id };
      }
    },
    json: (row) => requestJson(row as StoredRequest, q.withPayloads),
    cells: (row) => requestCells(row as StoredRequest, q.withPayloads),
  };
}

/** Why `export conversations` is refused while the store has no conversation columns. */
export const CONVERSATIONS_UNAVAILABLE = 'conversations export needs conversation linking (issue 16)';

/** The rows of one kind, or null when this store cannot give them (conversations before linking). */
export function rowSource(kind: ExportKind, store: Pick<Store, 'requests'>, q: RequestExportQuery): RowSource | null {
  switch (kind) {
    case 'requests':
      return requestRows(store, q);
    case 'conversations':
      return null;
  }
}
