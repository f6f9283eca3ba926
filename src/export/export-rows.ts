/**
 * What an export writes, one row source per kind: the columns of a CSV and the object of a JSON
 * line for each stored row, read in keyset pages through the store contract. The conversations
 * source joins the table once conversation linking stores its columns (issue 16).
 */

import { payloadView } from '../api/request-view.js';
import { MAIN_BRANCH } from '../conversations/link.js';
import { redactQuery } from '../log/logger.js';
import { attemptCounts } from '../shared/attempts.js';
import type { ExportKind } from '../shared/export-schemas.js';
import type { ConversationRequestRow, ConversationSummary } from '../storage/contract/conversations.js';
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
  if (withPayloads) out.payload = payloadView(payload);
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

const CONVERSATION_COLUMNS = [
  'id',
  'firstAt',
  'lastAt',
  'firstTime',
  'lastTime',
  'requests',
  'branches',
  'subtasks',
  'inputTokens',
  'cacheReadTokens',
  'cacheWriteTokens',
  'outputTokens',
  'costUsd',
  'accounts',
  'keys',
  'agents',
  'model',
  'firstUserText',
] as const;

/**
 * Conversations per page. Without payloads a row is one summary (the list's own page size); with
 * them a page is one conversation, whose requests and their bodies are read together: memory holds
 * one conversation's payloads at a time.
 */
export const CONVERSATION_PAGE_ROWS = 200;

/**
 * Where a conversation's requests with their payloads go, in JSON and CSV alike: `requests` is
 * the summary's count, which a field of the same name would overwrite.
 */
const REQUEST_PAYLOADS_COLUMN = 'requestPayloads';

interface ConversationRow {
  summary: ConversationSummary;
  /** With payloads: the requests in order per branch (main first, then as the branches began). */
  requestPayloads?: Record<string, unknown>[];
}

function conversationJson(row: ConversationRow): Record<string, unknown> {
  const s = row.summary;
  const out: Record<string, unknown> = {
    ...s,
    firstTime: new Date(s.firstAt).toISOString(),
    lastTime: new Date(s.lastAt).toISOString(),
  };
  if (row.requestPayloads !== undefined) out[REQUEST_PAYLOADS_COLUMN] = row.requestPayloads;
  return out;
}

function conversationCells(row: ConversationRow): Record<string, Cell> {
  const j = conversationJson(row);
  const out: Record<string, Cell> = {};
  for (const c of CONVERSATION_COLUMNS) {
    const v = j[c];
    // Lists (accounts, keys, agents) as JSON text: a name may hold a comma or a semicolon.
    out[c] = Array.isArray(v) ? JSON.stringify(v) : ((v ?? null) as Cell);
  }
  if (row.requestPayloads !== undefined) out[REQUEST_PAYLOADS_COLUMN] = JSON.stringify(row.requestPayloads);
  return out;
}

/** Requests grouped by branch: main first, then each branch in the order it began, arrival order within. */
function inBranchOrder(rows: readonly ConversationRequestRow[]): ConversationRequestRow[] {
  const byBranch = new Map<string, ConversationRequestRow[]>();
  for (const r of rows) {
    const list = byBranch.get(r.branch);
    if (list) list.push(r);
    else byBranch.set(r.branch, [r]);
  }
  const main = byBranch.get(MAIN_BRANCH) ?? [];
  byBranch.delete(MAIN_BRANCH);
  return [...main, ...[...byBranch.values()].flat()];
}

async function withRequests(
  store: Pick<Store, 'requests' | 'conversations'>,
  id: string,
): Promise<ConversationRow | null> {
  const d = await store.conversations.get(id);
  if (d === null) return null; // relinked away between the list read and this one
  const requests: Record<string, unknown>[] = [];
  for (const r of inBranchOrder(d.requests)) {
    const full = await store.requests.get(r.id);
    requests.push({
      id: r.id,
      time: new Date(r.ts).toISOString(),
      ts: r.ts,
      branch: r.branch,
      parentRequestId: r.parentRequestId,
      model: r.model,
      status: r.status,
      success: r.success,
      accountName: r.accountName,
      agent: r.agent,
      agentInstance: r.agentInstance,
      inputTokens: r.inputTokens,
      cacheReadTokens: r.cacheReadTokens,
      cacheWriteTokens: r.cacheWriteTokens,
      outputTokens: r.outputTokens,
      costUsd: r.costUsd,
      payload: full === null ? null : (requestJson(full, true).payload ?? null),
    });
  }
  return { summary: d.summary, requestPayloads: requests };
}

function conversationRows(store: Pick<Store, 'requests' | 'conversations'>, q: RequestExportQuery): RowSource {
  return {
    columns: q.withPayloads ? [...CONVERSATION_COLUMNS, REQUEST_PAYLOADS_COLUMN] : CONVERSATION_COLUMNS,
    async *pages() {
      let cursor: string | null = null;
      for (;;) {
        // Most recently active first: the order of the list, whose keyset cursor this follows.
        const page = await store.conversations.list({
          limit: CONVERSATION_PAGE_ROWS,
          cursor,
          account: q.account ?? null,
          clientKey: q.clientKey ?? null,
          agent: q.agent ?? null,
          since: q.since ?? null,
          until: q.until ?? null,
        });
        if (!q.withPayloads) {
          if (page.items.length > 0) yield page.items.map((summary): ConversationRow => ({ summary }));
        } else {
          for (const s of page.items) {
            const row = await withRequests(store, s.id);
            if (row !== null) yield [row];
          }
        }
        if (page.nextCursor === null) return;
        cursor = page.nextCursor;
      }
    },
    json: (row) => conversationJson(row as ConversationRow),
    cells: (row) => conversationCells(row as ConversationRow),
  };
}

/** The rows of one kind. */
export function rowSource(
  kind: ExportKind,
  store: Pick<Store, 'requests' | 'conversations'>,
  q: RequestExportQuery,
): RowSource {
  switch (kind) {
    case 'requests':
      return requestRows(store, q);
    case 'conversations':
      return conversationRows(store, q);
  }
}
