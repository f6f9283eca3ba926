/** `store.requests` for SQLite: the batch write, the request list and single records. */
import type Database from 'better-sqlite3';
import type { AccountUsageDelta, RequestRecord, StoredRequest } from '../contract/records.js';
import type {
  RequestExportQuery,
  RequestQuery,
  RequestSummary,
  RequestSummaryPage,
  RequestsStore,
} from '../contract/requests.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import type { AccountFilter } from './account-filter.js';
import type { BatchWrite } from './batch-write.js';
import type { Bindable } from './connection.js';
import { RECORD_SELECT, recordFields, SUMMARY_SELECT, summaryFields } from './request-columns.js';
import type { StatementCache } from './statement-cache.js';

type RequestDbRow = Record<string, unknown>;

interface PayloadDbRow {
  payload_file: string | null;
  payload_offset: number | null;
  payload_length: number | null;
  p_request_id: string | null;
  p_request_headers: string | null;
  p_request_body: string | null;
  p_response_headers: string | null;
  p_response_body: string | null;
  p_request_truncated: number | null;
  p_response_truncated: number | null;
}

function toRequest(r: RequestDbRow & Partial<PayloadDbRow>, files: PayloadFiles | null = null): StoredRequest {
  return {
    ...recordFields(r),
    payload:
      r.payload_file != null
        ? (files?.read({ file: r.payload_file, offset: r.payload_offset ?? 0, length: r.payload_length ?? 0 }) ?? null)
        : r.p_request_id == null
          ? null
          : {
              requestHeaders: r.p_request_headers ?? '{}',
              requestBody: r.p_request_body ?? null,
              responseHeaders: r.p_response_headers ?? null,
              responseBody: r.p_response_body ?? null,
              requestTruncated: r.p_request_truncated === 1,
              responseTruncated: r.p_response_truncated === 1,
            },
  };
}

type SummaryDbRow = Record<string, unknown> & { has_payload: number };

function toSummary(r: SummaryDbRow): RequestSummary {
  return { ...summaryFields(r), hasPayload: r.has_payload !== 0 };
}

/** hasPayload: a segment file reference, else a row of the legacy table (written before version 5). */
const SUMMARY_LIST = `${SUMMARY_SELECT},
  CASE WHEN r.payload_file IS NOT NULL THEN 1
    ELSE EXISTS (SELECT 1 FROM request_payloads p WHERE p.request_id = r.id) END AS has_payload`;

/** Same expression as the requests_model_page index, so the planner can use it. */
const MODEL_EXPR = 'coalesce(r.model_applied, r.model_requested)';

/**
 * The conditions every request list read starts with, in this order: the cursor (rows before it
 * walking back, `<`, or after it walking forwards, `>`), the time window and the accounts.
 */
function pageConditions(
  cursor: { ts: number; id: string } | null,
  direction: '<' | '>',
  q: { since?: number; until?: number },
  accountIds: readonly string[] | null,
): { where: string[]; params: Bindable[] } {
  const where: string[] = [];
  const params: Bindable[] = [];
  if (cursor) {
    where.push(`(r.ts, r.id) ${direction} (?, ?)`);
    params.push(cursor.ts, cursor.id);
  }
  if (q.since !== undefined) {
    where.push('r.ts >= ?');
    params.push(q.since);
  }
  if (q.until !== undefined) {
    where.push('r.ts < ?');
    params.push(q.until);
  }
  if (accountIds !== null) {
    where.push(
      accountIds.length === 1 ? 'r.account_id = ?' : `r.account_id IN (${accountIds.map(() => '?').join(', ')})`,
    );
    params.push(...accountIds);
  }
  return { where, params };
}

/**
 * Every request list read: the requests of `q`, newest first, as `columns`, `rows` at most. The
 * WHERE clause holds only the filters in use, in a fixed order, so the planner sees plain
 * conditions and picks the matching page index, and each combination is one cached statement; a
 * catch-all `? IS NULL OR ...` statement would be planned once and scan by time. `accountIds`: the
 * account filter resolved to ids (null: no account filter).
 */
export function listRequestsQuery(
  columns: string,
  q: RequestQuery,
  accountIds: readonly string[] | null,
  rows: number,
): { sql: string; params: Bindable[] } {
  const { where, params } = pageConditions(q.before ?? null, '<', q, accountIds);
  if (q.model !== undefined) {
    where.push(`${MODEL_EXPR} = ?`);
    params.push(q.model);
  }
  if (q.status === 'success') where.push('r.success = 1');
  // A literal, not a parameter: the partial error index only applies when the planner can see it.
  else if (q.status === 'error') where.push('r.success = 0');
  else if (typeof q.status === 'number') {
    where.push('r.status = ?');
    params.push(q.status);
  }
  if (q.agent !== undefined) {
    where.push('r.agent = ?');
    params.push(q.agent);
  }
  if (q.session !== undefined) {
    where.push('r.session_id = ?');
    params.push(q.session);
  }
  params.push(rows);
  const sql = `SELECT ${columns} FROM requests r ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.ts DESC, r.id DESC LIMIT ?`;
  return { sql, params };
}

/** A full record and where its payload is (a segment file, or the table rows written before version 5). */
const RECORD_WITH_PAYLOAD = `${RECORD_SELECT},
  r.payload_file, r.payload_offset, r.payload_length, p.request_id AS p_request_id, p.request_headers AS p_request_headers, p.request_body AS p_request_body,
  p.response_headers AS p_response_headers, p.response_body AS p_response_body,
  p.request_truncated AS p_request_truncated, p.response_truncated AS p_response_truncated`;

/**
 * One export page: rows after (ts, id), oldest first, through requests_ts (or the account or
 * agent page index, walked forwards). The client key has no index: its rows are picked out as
 * the time index is walked.
 */
export function exportPageQuery(
  q: RequestExportQuery,
  accountIds: readonly string[] | null,
  after: { ts: number; id: string } | null,
  rows: number,
): { sql: string; params: Bindable[] } {
  const { where, params } = pageConditions(after, '>', q, accountIds);
  if (q.clientKey !== undefined) {
    where.push('r.client_key = ?');
    params.push(q.clientKey);
  }
  if (q.agent !== undefined) {
    where.push('r.agent = ?');
    params.push(q.agent);
  }
  params.push(rows);
  const columns = q.withPayloads ? RECORD_WITH_PAYLOAD : RECORD_SELECT;
  const from = q.withPayloads ? 'requests r LEFT JOIN request_payloads p ON p.request_id = r.id' : 'requests r';
  const sql = `SELECT ${columns} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.ts, r.id LIMIT ?`;
  return { sql, params };
}

/** The columns of each list read, for the query-plan tests. */
export const REQUEST_LIST_COLUMNS = { summaries: SUMMARY_LIST, records: RECORD_SELECT } as const;

function pageSize(q: RequestQuery): number {
  return Math.max(0, Math.floor(q.limit));
}

export class SqliteRequests implements RequestsStore {
  private readonly getOne: Database.Statement<[string], RequestDbRow & PayloadDbRow>;
  private readonly countAll: Database.Statement<[], { n: number }>;

  constructor(
    db: Database.Database,
    private readonly files: PayloadFiles | null,
    private readonly batchWrite: BatchWrite,
    private readonly statements: StatementCache,
    private readonly accountFilter: AccountFilter,
  ) {
    this.getOne = db.prepare(`SELECT ${RECORD_WITH_PAYLOAD}
      FROM requests r LEFT JOIN request_payloads p ON p.request_id = r.id
      WHERE r.id = ?`);
    this.countAll = db.prepare('SELECT count(*) AS n FROM requests');
  }

  async writeBatch(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void> {
    if (records.length === 0 && usage.length === 0) return;
    this.batchWrite(records, usage);
  }

  async list(q: RequestQuery): Promise<RequestSummaryPage> {
    const limit = pageSize(q);
    // One more row than asked for: whether another page exists.
    const rows = this.read<SummaryDbRow>(SUMMARY_LIST, q, limit + 1);
    return { items: rows.slice(0, limit).map(toSummary), more: rows.length > limit };
  }

  async listRecords(q: RequestQuery): Promise<StoredRequest[]> {
    return this.read<RequestDbRow>(RECORD_SELECT, q, pageSize(q)).map((r) => toRequest(r));
  }

  private read<Row>(columns: string, q: RequestQuery, rows: number): Row[] {
    const accountIds = q.account === undefined ? null : this.accountFilter.resolve([q.account]);
    const { sql, params } = listRequestsQuery(columns, q, accountIds, rows);
    return this.statements.get(sql).all(...params) as Row[];
  }

  async get(id: string): Promise<StoredRequest | null> {
    const r = this.getOne.get(id);
    return r ? toRequest(r, this.files) : null;
  }

  async exportPage(
    q: RequestExportQuery,
    after: { ts: number; id: string } | null,
    limit: number,
  ): Promise<StoredRequest[]> {
    const accountIds = q.account === undefined ? null : this.accountFilter.resolve([q.account]);
    const { sql, params } = exportPageQuery(q, accountIds, after, Math.max(0, Math.floor(limit)));
    const rows = this.statements.get(sql).all(...params) as (RequestDbRow & Partial<PayloadDbRow>)[];
    return rows.map((r) => toRequest(r, q.withPayloads ? this.files : null));
  }

  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    // 500 per statement: far below SQLite's host-parameter limit (32,766), few statement shapes cached.
    for (let i = 0; i < ids.length; i += 500) {
      const chunk = ids.slice(i, i + 500);
      const sql = `SELECT id FROM requests WHERE id IN (${chunk.map(() => '?').join(',')})`;
      for (const r of this.statements.get(sql).all(...chunk) as { id: string }[]) found.add(r.id);
    }
    return found;
  }

  async count(): Promise<number> {
    return this.countAll.get()?.n ?? 0;
  }
}
