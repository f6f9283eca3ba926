/** `store.requests` on PostgreSQL: the request table, the list, detail and export reads. */
import type { RequestRecord, StoredRequest } from '../contract/records.js';
import type {
  RequestExportQuery,
  RequestQuery,
  RequestSummary,
  RequestSummaryPage,
  RequestsStore,
} from '../contract/requests.js';
import { RECORD_SELECT, recordFields, SUMMARY_SELECT, summaryFields } from '../sqlite/request-columns.js';
import { listRequestsQuery } from '../sqlite/requests.js';
import { numbered, resolveAccounts } from './account-filter.js';
import type { PgPool } from './connection.js';
import { PAYLOAD_JOIN, PAYLOAD_SELECT, payloadOf } from './payloads.js';
import { inList, type PgValue } from './pg-sql.js';

/**
 * Booleans are SMALLINT 0/1 as on SQLite, so the row mapping (sqlite/request-columns.ts) is the
 * same for both back-ends. The link columns are the conversation linker's (conversations.ts).
 * No foreign key to accounts: records outlive a deleted account (account_name keeps the name).
 */
export const REQUESTS_DDL: readonly string[] = [
  `CREATE TABLE requests (
    id TEXT PRIMARY KEY,
    ts BIGINT NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    account_id TEXT,
    account_name TEXT,
    status INTEGER,
    success SMALLINT NOT NULL,
    error TEXT,
    latency_ms DOUBLE PRECISION NOT NULL,
    ttft_ms DOUBLE PRECISION,
    attempts INTEGER NOT NULL,
    attempt_log TEXT NOT NULL DEFAULT '[]',
    model_requested TEXT,
    model_applied TEXT,
    agent TEXT,
    session_id TEXT,
    client_key TEXT,
    stream SMALLINT NOT NULL,
    stop_reason TEXT,
    input_tokens BIGINT,
    cache_read_tokens BIGINT,
    cache_write_5m_tokens BIGINT,
    cache_write_1h_tokens BIGINT,
    output_tokens BIGINT,
    cost_usd DOUBLE PRECISION,
    output_tokens_per_second DOUBLE PRECISION,
    model_fallback SMALLINT NOT NULL DEFAULT 0,
    agent_instance TEXT,
    route_reason TEXT,
    conversation_id TEXT,
    branch TEXT,
    parent_request_id TEXT,
    message_hash TEXT,
    parent_message_hash TEXT,
    system_hash TEXT,
    prompt_hash TEXT,
    link_flags INTEGER NOT NULL DEFAULT 0,
    link_facts TEXT
  );`,
  // The list pages newest first on (ts, id); an index per filter ending in (ts, id) lets a
  // filtered first page read just its rows, with no sort (as on SQLite).
  'CREATE INDEX requests_ts ON requests (ts, id);',
  `CREATE INDEX requests_account_page
     ON requests (account_id, ts, id, success, status, model_applied, model_requested);`,
  `CREATE INDEX requests_model_page
     ON requests ((coalesce(model_applied, model_requested)), ts, id, account_id, success, status);`,
  'CREATE INDEX requests_status_page ON requests (status, ts, id);',
  `CREATE INDEX requests_error_page
     ON requests (ts, id, account_id, model_applied, model_requested, status) WHERE success = 0;`,
  'CREATE INDEX requests_session_page ON requests (session_id, ts, id) WHERE session_id IS NOT NULL;',
  'CREATE INDEX requests_agent_page ON requests (agent, ts, id) WHERE agent IS NOT NULL;',
];

/** Each column of the requests table and its type, read from the DDL above: one list to keep. */
export const REQUEST_COLUMN_TYPES: ReadonlyMap<string, string> = new Map(
  [...(REQUESTS_DDL[0] as string).matchAll(/^\s+([a-z_0-9]+) (TEXT|BIGINT|INTEGER|SMALLINT|DOUBLE PRECISION)\b/gm)].map(
    (m) => [m[1] as string, (m[2] as string).toLowerCase()],
  ),
);

type Row = Record<string, unknown>;

const HAS_PAYLOAD = 'EXISTS (SELECT 1 FROM request_payloads p WHERE p.request_id = r.id AND p.ts = r.ts)';
const SUMMARY_LIST = `${SUMMARY_SELECT}, ${HAS_PAYLOAD} AS has_payload`;

function toSummary(r: Row): RequestSummary {
  return { ...summaryFields(r), hasPayload: r.has_payload === true };
}

function toRequest(r: Row): StoredRequest {
  return { ...recordFields(r), payload: payloadOf(r) };
}

function pageSize(n: number): number {
  return Math.max(0, Math.floor(n));
}

/** One export page: rows after (ts, id), oldest first; the filters as sqlite/requests.ts exportPageQuery. */
function exportQuery(
  q: RequestExportQuery,
  accountIds: readonly string[] | null,
  after: { ts: number; id: string } | null,
  rows: number,
): { sql: string; params: PgValue[] } {
  const where: string[] = [];
  const params: PgValue[] = [];
  const p = (v: PgValue) => {
    params.push(v);
    return `$${params.length}`;
  };
  if (after) where.push(`(r.ts, r.id) > (${p(after.ts)}, ${p(after.id)})`);
  if (q.since !== undefined) where.push(`r.ts >= ${p(q.since)}`);
  if (q.until !== undefined) where.push(`r.ts < ${p(q.until)}`);
  if (accountIds !== null) where.push(`r.account_id IN (${accountIds.map((id) => p(id)).join(', ')})`);
  if (q.clientKey !== undefined) where.push(`r.client_key = ${p(q.clientKey)}`);
  if (q.agent !== undefined) where.push(`r.agent = ${p(q.agent)}`);
  const columns = q.withPayloads ? `${RECORD_SELECT}, ${PAYLOAD_SELECT}` : RECORD_SELECT;
  const from = q.withPayloads ? `requests r ${PAYLOAD_JOIN}` : 'requests r';
  const sql = `SELECT ${columns} FROM ${from} ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
    ORDER BY r.ts, r.id LIMIT ${p(rows)}`;
  return { sql, params };
}

export class PgRequests implements RequestsStore {
  constructor(
    private readonly pool: PgPool,
    private readonly write: (
      records: RequestRecord[],
      usage: Parameters<RequestsStore['writeBatch']>[1],
    ) => Promise<void>,
  ) {}

  async writeBatch(records: RequestRecord[], usage: Parameters<RequestsStore['writeBatch']>[1]): Promise<void> {
    if (records.length === 0 && usage.length === 0) return;
    await this.write(records, usage);
  }

  async list(q: RequestQuery): Promise<RequestSummaryPage> {
    const limit = pageSize(q.limit);
    // One more row than asked for: whether another page exists.
    const rows = await this.read(SUMMARY_LIST, q, limit + 1);
    return { items: rows.slice(0, limit).map(toSummary), more: rows.length > limit };
  }

  async listRecords(q: RequestQuery): Promise<StoredRequest[]> {
    return (await this.read(RECORD_SELECT, q, pageSize(q.limit))).map((r) => ({ ...recordFields(r), payload: null }));
  }

  private async read(columns: string, q: RequestQuery, rows: number): Promise<Row[]> {
    const accountIds = q.account === undefined ? null : await resolveAccounts(this.pool, [q.account]);
    // The same WHERE as SQLite's, only the filters in use: each combination plans on its index.
    const { sql, params } = listRequestsQuery(columns, q, accountIds, rows);
    return (await this.pool.query(numbered(sql), params as PgValue[])).rows;
  }

  async get(id: string): Promise<StoredRequest | null> {
    const { rows } = await this.pool.query(
      `SELECT ${RECORD_SELECT}, ${PAYLOAD_SELECT} FROM requests r ${PAYLOAD_JOIN} WHERE r.id = $1`,
      [id],
    );
    const r = rows[0] as Row | undefined;
    return r ? toRequest(r) : null;
  }

  async exportPage(
    q: RequestExportQuery,
    after: { ts: number; id: string } | null,
    limit: number,
  ): Promise<StoredRequest[]> {
    const accountIds = q.account === undefined ? null : await resolveAccounts(this.pool, [q.account]);
    const { sql, params } = exportQuery(q, accountIds, after, pageSize(limit));
    const { rows } = await this.pool.query(sql, params);
    return (rows as Row[]).map((r) => (q.withPayloads ? toRequest(r) : { ...recordFields(r), payload: null }));
  }

  async existingIds(ids: readonly string[]): Promise<Set<string>> {
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 1000) {
      const chunk = ids.slice(i, i + 1000);
      const { rows } = await this.pool.query<{ id: string }>(
        `SELECT id FROM requests WHERE id IN (${inList(chunk.length)})`,
        chunk,
      );
      for (const r of rows) found.add(r.id);
    }
    return found;
  }

  async count(): Promise<number> {
    const { rows } = await this.pool.query<{ n: number }>('SELECT count(*) AS n FROM requests');
    return rows[0]?.n ?? 0;
  }
}
