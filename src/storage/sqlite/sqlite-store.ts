import { randomUUID } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type {
  AccountHealth,
  AccountKind,
  AccountPatch,
  AccountRow,
  NewAccount,
  RateLimitState,
  TokenSwap,
} from '../contract/accounts.js';
import type { AnalyticsQuery, AnalyticsResult, StatsResult } from '../contract/analytics.js';
import type { AdminKeyRow, ClientKeyRow, KeyUse, NewClientKey } from '../contract/keys.js';
import type { CompactResult, PruneCutoffs, PruneResult, StorageSummary } from '../contract/maintenance.js';
import type { AccountUsageDelta, AttemptRecord, RequestRecord, StoredRequest } from '../contract/records.js';
import type { RequestListQuery, RequestQuery, RequestSummaryPage } from '../contract/requests.js';
import type { Store } from '../contract/store.js';
import type { PayloadFiles } from '../payloads/payload-files.js';
import { SqliteRequestQueries } from './analytics.js';
import { type BatchWrite, prepareBatchWrite } from './batch-write.js';
import { isUniqueViolation, MEMORY_PATH, openDatabase, payloadFilesFor, writeWithoutBlocking } from './connection.js';
import { SqliteKeys } from './keys.js';
import { migrate } from './migrations.js';
import { type RequestColumnsRow, requestFields } from './request-rows.js';
import { SqliteSettings } from './settings.js';

interface AccountDbRow {
  id: string;
  name: string;
  kind: string;
  priority: number;
  paused: number;
  health: string;
  health_reason: string | null;
  api_key_enc: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  refresh_fp: string | null;
  expires_at: number | null;
  cooldown_until: number | null;
  cooldown_reason: string | null;
  model_cooldowns: string;
  strikes: number;
  created_at: number;
  last_used_at: number | null;
  request_count: number;
  session_start: number | null;
  session_request_count: number;
  rate_limit: string | null;
  flag: string | null;
}

interface RequestDbRow extends RequestColumnsRow {
  attempt_log: string;
}

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

function toAccount(r: AccountDbRow): AccountRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AccountKind,
    priority: r.priority,
    paused: r.paused !== 0,
    health: r.health as AccountHealth,
    healthReason: r.health_reason,
    apiKeyEnc: r.api_key_enc,
    accessTokenEnc: r.access_token_enc,
    refreshTokenEnc: r.refresh_token_enc,
    refreshFp: r.refresh_fp,
    expiresAt: r.expires_at,
    cooldownUntil: r.cooldown_until,
    cooldownReason: r.cooldown_reason,
    modelCooldowns: JSON.parse(r.model_cooldowns) as Record<string, number>,
    strikes: r.strikes,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    requestCount: r.request_count,
    sessionStart: r.session_start,
    sessionRequestCount: r.session_request_count,
    rateLimit: r.rate_limit === null ? null : (JSON.parse(r.rate_limit) as RateLimitState),
    flag: r.flag,
  };
}

function toRequest(r: RequestDbRow & Partial<PayloadDbRow>, files: PayloadFiles | null = null): StoredRequest {
  return {
    ...requestFields(r),
    attemptLog: JSON.parse(r.attempt_log) as AttemptRecord[],
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

type Bindable = string | number | null;

/** AccountPatch key -> column and how its value is stored. */
const PATCH_COLUMNS: {
  [K in keyof Required<AccountPatch>]: [column: string, encode: (v: AccountPatch[K]) => Bindable];
} = {
  name: ['name', (v) => v ?? null],
  priority: ['priority', (v) => v ?? null],
  paused: ['paused', (v) => (v ? 1 : 0)],
  health: ['health', (v) => v ?? null],
  healthReason: ['health_reason', (v) => v ?? null],
  apiKeyEnc: ['api_key_enc', (v) => v ?? null],
  accessTokenEnc: ['access_token_enc', (v) => v ?? null],
  refreshTokenEnc: ['refresh_token_enc', (v) => v ?? null],
  refreshFp: ['refresh_fp', (v) => v ?? null],
  expiresAt: ['expires_at', (v) => v ?? null],
  cooldownUntil: ['cooldown_until', (v) => v ?? null],
  cooldownReason: ['cooldown_reason', (v) => v ?? null],
  modelCooldowns: ['model_cooldowns', (v) => JSON.stringify(v ?? {})],
  strikes: ['strikes', (v) => v ?? null],
  lastUsedAt: ['last_used_at', (v) => v ?? null],
  requestCount: ['request_count', (v) => v ?? null],
  sessionStart: ['session_start', (v) => v ?? null],
  sessionRequestCount: ['session_request_count', (v) => v ?? null],
  rateLimit: ['rate_limit', (v) => (v == null ? null : JSON.stringify(v))],
  flag: ['flag', (v) => v ?? null],
};

const PATCH_KEYS = Object.keys(PATCH_COLUMNS) as (keyof AccountPatch)[];

/**
 * One statement for every patch shape, so it is prepared once: each column takes the new
 * value only when its `set_*` flag is 1, which also lets a patch set a column to NULL.
 */
const UPDATE_ACCOUNT = `UPDATE accounts SET ${PATCH_KEYS.map((k) => {
  const col = PATCH_COLUMNS[k][0];
  return `${col} = CASE WHEN @set_${col} THEN @${col} ELSE ${col} END`;
}).join(', ')} WHERE id = @id`;

const SELECT_REQUEST_COLUMNS = `r.id, r.ts, r.method, r.path, r.account_id, r.account_name, r.status, r.success,
  r.error, r.latency_ms, r.ttft_ms, r.attempts, r.attempt_log, r.model_requested, r.model_applied, r.agent,
  r.session_id, r.client_key, r.stream, r.stop_reason, r.input_tokens, r.cache_read_tokens,
  r.cache_write_5m_tokens, r.cache_write_1h_tokens, r.output_tokens, r.cost_usd, r.output_tokens_per_second`;

/**
 * Filters of the request list, in a fixed order. The WHERE clause holds only the filters a query
 * uses (one prepared statement per combination, cached) so SQLite can pick the matching index;
 * a catch-all `@x IS NULL OR ...` statement would be planned once and scan by time.
 * `account` matches the id or the recorded name (records of deleted accounts keep the name).
 * `since` is inclusive, `until` exclusive.
 */
const REQUEST_FILTERS: readonly {
  key: string;
  sql: string;
  param: (q: RequestQuery) => Record<string, Bindable> | null;
}[] = [
  {
    key: 'before',
    sql: '(r.ts, r.id) < (@before_ts, @before_id)',
    param: (q) => (q.before ? { before_ts: q.before.ts, before_id: q.before.id } : null),
  },
  { key: 'since', sql: 'r.ts >= @since', param: (q) => (q.since === undefined ? null : { since: q.since }) },
  { key: 'until', sql: 'r.ts < @until', param: (q) => (q.until === undefined ? null : { until: q.until }) },
  {
    key: 'account',
    sql: '(r.account_id = @account OR r.account_name = @account)',
    param: (q) => (q.account === undefined ? null : { account: q.account }),
  },
  {
    key: 'model',
    // The expression of the requests_model_page index: errors have no applied model, only the requested one.
    sql: 'coalesce(r.model_applied, r.model_requested) = @model',
    param: (q) => (q.model === undefined ? null : { model: q.model }),
  },
  {
    key: 'success',
    sql: 'r.success = @success',
    param: (q) => (q.success === undefined ? null : { success: q.success ? 1 : 0 }),
  },
  {
    key: 'session',
    sql: 'r.session_id = @session_id',
    param: (q) => (q.sessionId === undefined ? null : { session_id: q.sessionId }),
  },
  { key: 'agent', sql: 'r.agent = @agent', param: (q) => (q.agent === undefined ? null : { agent: q.agent }) },
];

function listRequestsSql(used: readonly string[]): string {
  const where = used.length === 0 ? '' : `WHERE ${used.join(' AND ')}`;
  return `SELECT ${SELECT_REQUEST_COLUMNS} FROM requests r ${where} ORDER BY r.ts DESC, r.id DESC LIMIT @limit`;
}

const DEFAULT_LIST_LIMIT = 100;

function prepareStatements(db: Database.Database) {
  return {
    listAccounts: db.prepare<[], AccountDbRow>('SELECT * FROM accounts ORDER BY priority, created_at, name'),
    accountByName: db.prepare<[string], AccountDbRow>('SELECT * FROM accounts WHERE name = ?'),
    accountById: db.prepare<[string], AccountDbRow>('SELECT * FROM accounts WHERE id = ?'),
    insertAccount: db.prepare(`INSERT INTO accounts
      (id, name, kind, priority, api_key_enc, access_token_enc, refresh_token_enc, refresh_fp, expires_at, created_at)
      VALUES (@id, @name, @kind, @priority, @api_key_enc, @access_token_enc, @refresh_token_enc, @refresh_fp,
        @expires_at, @created_at)`),
    updateAccount: db.prepare(UPDATE_ACCOUNT),
    deleteAccount: db.prepare<[string]>('DELETE FROM accounts WHERE id = ?'),
    swapTokens: db.prepare(`UPDATE accounts SET access_token_enc = @access_token_enc,
      refresh_token_enc = @refresh_token_enc, refresh_fp = @refresh_fp, expires_at = @expires_at
      WHERE id = @id AND refresh_fp IS @expected_fp`),
    accountsRevision: db.prepare<[], { value: number }>("SELECT value FROM meta WHERE key = 'accounts_rev'"),
    getRequest: db.prepare<[string], RequestDbRow & PayloadDbRow>(`SELECT ${SELECT_REQUEST_COLUMNS},
        r.payload_file, r.payload_offset, r.payload_length, p.request_id AS p_request_id, p.request_headers AS p_request_headers, p.request_body AS p_request_body,
        p.response_headers AS p_response_headers, p.response_body AS p_response_body,
        p.request_truncated AS p_request_truncated, p.response_truncated AS p_response_truncated
      FROM requests r LEFT JOIN request_payloads p ON p.request_id = r.id
      WHERE r.id = ?`),
    countRequests: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM requests'),
  };
}

export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  private readonly stmts: ReturnType<typeof prepareStatements>;
  private readonly batchWrite: BatchWrite;
  /** Null for an in-memory database, whose payloads stay in request_payloads. */
  readonly payloadFiles: PayloadFiles | null;
  private readonly keys: SqliteKeys;
  private readonly settings: SqliteSettings;
  private readonly queries: SqliteRequestQueries;
  private readonly listStatements = new Map<string, Database.Statement<[Record<string, Bindable>], RequestDbRow>>();
  private closed = false;

  private constructor(
    /** The database file (or `:memory:`); the batched writer's worker opens it too. */
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    this.stmts = prepareStatements(db);
    this.payloadFiles = payloadFilesFor(path);
    this.batchWrite = prepareBatchWrite(db, this.payloadFiles);
    this.keys = new SqliteKeys(db);
    this.settings = new SqliteSettings(db);
    this.queries = new SqliteRequestQueries(db, path, this.payloadFiles);
  }

  /**
   * Opens (creating the file and its directory when missing) and migrates: statements are
   * prepared once here, which needs the tables, so `migrate()` afterwards is a no-op.
   */
  static open(path: string): SqliteStore {
    if (path !== MEMORY_PATH && path !== '') mkdirSync(dirname(path), { recursive: true });
    const db = openDatabase(path);
    try {
      migrate(db);
      return new SqliteStore(path, db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  /** The raw connection, for storage tests and maintenance only. */
  get connection(): Database.Database {
    return this.db;
  }

  async migrate(): Promise<void> {
    migrate(this.db);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    this.db.close();
  }

  async listAccounts(): Promise<AccountRow[]> {
    return this.stmts.listAccounts.all().map(toAccount);
  }

  async getAccountByName(name: string): Promise<AccountRow | null> {
    const r = this.stmts.accountByName.get(name);
    return r ? toAccount(r) : null;
  }

  async getAccount(id: string): Promise<AccountRow | null> {
    const r = this.stmts.accountById.get(id);
    return r ? toAccount(r) : null;
  }

  async insertAccount(a: NewAccount, now: number): Promise<AccountRow> {
    const id = randomUUID();
    try {
      this.stmts.insertAccount.run({
        id,
        name: a.name,
        kind: a.kind,
        priority: a.priority ?? 0,
        api_key_enc: a.apiKeyEnc ?? null,
        access_token_enc: a.accessTokenEnc ?? null,
        refresh_token_enc: a.refreshTokenEnc ?? null,
        refresh_fp: a.refreshFp ?? null,
        expires_at: a.expiresAt ?? null,
        created_at: now,
      });
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Account "${a.name}" already exists`);
      throw err;
    }
    const row = this.stmts.accountById.get(id);
    if (!row) throw new GatewayError('internal', `Account "${a.name}" vanished right after insert`);
    return toAccount(row);
  }

  async updateAccount(id: string, patch: AccountPatch): Promise<void> {
    const params: Record<string, Bindable> = { id };
    let any = false;
    for (const k of PATCH_KEYS) {
      const [col, encode] = PATCH_COLUMNS[k] as [string, (v: unknown) => Bindable];
      const v = patch[k];
      const given = v !== undefined;
      any ||= given;
      params[`set_${col}`] = given ? 1 : 0;
      params[col] = given ? encode(v) : null;
    }
    // An empty patch must not bump accounts_rev (the UPDATE trigger fires even if nothing changes).
    if (!any) return;
    try {
      await writeWithoutBlocking(this.db, () => this.stmts.updateAccount.run(params));
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Account "${patch.name}" already exists`);
      throw err;
    }
  }

  async deleteAccount(id: string): Promise<boolean> {
    return this.stmts.deleteAccount.run(id).changes > 0;
  }

  async swapTokens(id: string, expectedFp: string | null, next: TokenSwap): Promise<boolean> {
    const params = {
      id,
      expected_fp: expectedFp,
      access_token_enc: next.accessTokenEnc,
      refresh_token_enc: next.refreshTokenEnc,
      refresh_fp: next.refreshFp,
      expires_at: next.expiresAt,
    };
    const res = await writeWithoutBlocking(this.db, () => this.stmts.swapTokens.run(params));
    return res.changes > 0;
  }

  async accountsRevision(): Promise<number> {
    return Number(this.stmts.accountsRevision.get()?.value ?? 0);
  }

  async writeBatch(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void> {
    if (records.length === 0 && usage.length === 0) return;
    this.batchWrite(records, usage);
  }

  async listRequests(q: RequestQuery): Promise<StoredRequest[]> {
    const limit = q.limit === undefined ? DEFAULT_LIST_LIMIT : Math.max(0, Math.floor(q.limit));
    const params: Record<string, Bindable> = { limit };
    const used: string[] = [];
    let shape = '';
    for (const f of REQUEST_FILTERS) {
      const p = f.param(q);
      if (p === null) continue;
      Object.assign(params, p);
      used.push(f.sql);
      shape += `${f.key},`;
    }
    let stmt = this.listStatements.get(shape);
    if (!stmt) {
      stmt = this.db.prepare<[Record<string, Bindable>], RequestDbRow>(listRequestsSql(used));
      this.listStatements.set(shape, stmt);
    }
    return stmt.all(params).map((r) => toRequest(r));
  }

  async getRequest(id: string): Promise<StoredRequest | null> {
    const r = this.stmts.getRequest.get(id);
    return r ? toRequest(r, this.payloadFiles) : null;
  }

  async countRequests(): Promise<number> {
    return this.stmts.countRequests.get()?.n ?? 0;
  }

  listClientKeys(): Promise<ClientKeyRow[]> {
    return this.keys.listClientKeys();
  }

  insertClientKey(k: NewClientKey, now: number): Promise<ClientKeyRow> {
    return this.keys.insertClientKey(k, now);
  }

  revokeClientKey(name: string, now: number): Promise<ClientKeyRow | null> {
    return this.keys.revokeClientKey(name, now);
  }

  touchClientKeys(uses: readonly KeyUse[]): Promise<void> {
    return this.keys.touchClientKeys(uses);
  }

  getAdminKey(): Promise<AdminKeyRow | null> {
    return this.keys.getAdminKey();
  }

  setAdminKey(digest: string | null, now: number): Promise<void> {
    return this.keys.setAdminKey(digest, now);
  }

  keysRevision(): Promise<number> {
    return this.keys.keysRevision();
  }

  getSettings(): Promise<Record<string, unknown>> {
    return this.settings.getSettings();
  }

  putSettings(values: Record<string, unknown>, now: number): Promise<void> {
    return this.settings.putSettings(values, now);
  }

  settingsRevision(): Promise<number> {
    return this.settings.settingsRevision();
  }

  listRequestSummaries(q: RequestListQuery): Promise<RequestSummaryPage> {
    return this.queries.listRequestSummaries(q);
  }

  requestStats(opts: { recentErrors: number }): Promise<StatsResult> {
    return this.queries.requestStats(opts);
  }

  resetAccountUsage(): Promise<number> {
    return this.queries.resetAccountUsage();
  }

  analytics(q: AnalyticsQuery): Promise<AnalyticsResult> {
    return this.queries.analytics(q);
  }

  pruneRequests(c: PruneCutoffs): Promise<PruneResult> {
    return this.queries.pruneRequests(c);
  }

  compact(): Promise<CompactResult> {
    return this.queries.compact();
  }

  storageSummary(): Promise<StorageSummary> {
    return this.queries.storageSummary();
  }
}
