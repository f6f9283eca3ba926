/**
 * Reads an original ccflare database (schema: packages/database/src/migrations.ts of
 * snipeship/ccflare, `ensureSchema` plus the columns `runMigrations` adds) for the importer.
 *
 * Opened read-only: SQLite then takes no write lock, never checkpoints the source's write-ahead
 * log and never creates or deletes its files, so a ccflare still running keeps writing while the
 * import reads a consistent snapshot per statement. Columns an older ccflare had not added yet are
 * read as NULL, so any ccflare version's database can be read.
 */
import { existsSync, statSync } from 'node:fs';
import Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type {
  CcflareAccount,
  CcflareAgentPreference,
  CcflareCursor,
  CcflareRequest,
  CcflareSource,
} from '../contract/ccflare-source.js';

type Row = Record<string, unknown>;

function columnsOf(db: Database.Database, table: string): Set<string> {
  return new Set((db.prepare(`PRAGMA table_info(${table})`).all() as { name: string }[]).map((c) => c.name));
}

function tablesOf(db: Database.Database): Set<string> {
  return new Set(
    (db.prepare("SELECT name FROM sqlite_master WHERE type = 'table'").all() as { name: string }[]).map((t) => t.name),
  );
}

/** `col AS alias` when the table has it, else `NULL AS alias`. */
function pick(have: Set<string>, col: string, alias: string = col): string {
  return have.has(col) ? `${col} AS ${alias}` : `NULL AS ${alias}`;
}

function num(v: unknown): number | null {
  if (v === null || v === undefined) return null;
  const n = typeof v === 'number' ? v : typeof v === 'bigint' ? Number(v) : Number(v);
  return Number.isFinite(n) ? n : null;
}

function str(v: unknown): string | null {
  return v === null || v === undefined ? null : String(v);
}

function openReadOnly(path: string): Database.Database {
  if (!existsSync(path)) throw new GatewayError('not_found', `No ccflare database at ${path}`);
  if (!statSync(path).isFile()) throw new GatewayError('bad_request', `${path} is not a file`);
  let db: Database.Database;
  try {
    db = new Database(path, { readonly: true, fileMustExist: true });
    db.pragma('busy_timeout = 5000');
    tablesOf(db);
  } catch (cause) {
    throw new GatewayError('bad_request', `${path} is not a readable SQLite database (${(cause as Error).message})`, {
      cause,
    });
  }
  return db;
}

export class SqliteCcflareSource implements CcflareSource {
  private readonly selectRequests: Database.Statement;
  private readonly selectFirst: Database.Statement;
  private readonly selectAccounts: Database.Statement;
  private readonly selectPrefs: Database.Statement | null;

  private constructor(
    readonly path: string,
    private readonly db: Database.Database,
  ) {
    const tables = tablesOf(db);
    const a = columnsOf(db, 'accounts');
    const r = columnsOf(db, 'requests');
    this.selectAccounts = db.prepare(`SELECT id, name, ${pick(a, 'api_key')}, ${pick(a, 'refresh_token')},
        ${pick(a, 'access_token')}, ${pick(a, 'expires_at')}, ${pick(a, 'created_at')}, ${pick(a, 'last_used')},
        ${pick(a, 'account_tier')}, ${pick(a, 'paused')}
      FROM accounts ORDER BY created_at, name`);
    const payload = tables.has('request_payloads')
      ? '(SELECT json FROM request_payloads p WHERE p.id = r.id) AS payload_json'
      : 'NULL AS payload_json';
    const columns = `r.id AS id, r.timestamp AS timestamp, r.method AS method, r.path AS path,
        ${pick(r, 'account_used')}, ${pick(r, 'status_code')}, ${pick(r, 'success')}, ${pick(r, 'error_message')},
        ${pick(r, 'response_time_ms')}, ${pick(r, 'failover_attempts')}, ${pick(r, 'model')},
        ${pick(r, 'input_tokens')}, ${pick(r, 'cache_read_input_tokens')}, ${pick(r, 'cache_creation_input_tokens')},
        ${pick(r, 'output_tokens')}, ${pick(r, 'cost_usd')}, ${pick(r, 'output_tokens_per_second')},
        ${pick(r, 'agent_used')}, ${payload}`;
    // Keyset paging on (timestamp, id): each page is one indexed range read whatever its depth.
    this.selectFirst = db.prepare(`SELECT ${columns} FROM requests r ORDER BY r.timestamp, r.id LIMIT ?`);
    this.selectRequests = db.prepare(
      `SELECT ${columns} FROM requests r WHERE r.timestamp > ? OR (r.timestamp = ? AND r.id > ?)
       ORDER BY r.timestamp, r.id LIMIT ?`,
    );
    this.selectPrefs = tables.has('agent_preferences')
      ? db.prepare('SELECT agent_id, model, updated_at FROM agent_preferences ORDER BY agent_id')
      : null;
  }

  static open(path: string): SqliteCcflareSource {
    const db = openReadOnly(path);
    try {
      const tables = tablesOf(db);
      if (tables.has('schema_migrations') && tables.has('meta') && columnsOf(db, 'accounts').has('kind')) {
        throw new GatewayError(
          'bad_request',
          `${path} is a database of this gateway, not of the original ccflare; there is nothing to import from it`,
        );
      }
      const accounts = tables.has('accounts') ? columnsOf(db, 'accounts') : new Set<string>();
      const requests = tables.has('requests') ? columnsOf(db, 'requests') : new Set<string>();
      if (!accounts.has('refresh_token') || !requests.has('account_used') || !requests.has('timestamp')) {
        throw new GatewayError(
          'bad_request',
          `${path} is not a ccflare database (no accounts and requests tables of ccflare's shape)`,
        );
      }
      return new SqliteCcflareSource(path, db);
    } catch (err) {
      db.close();
      throw err;
    }
  }

  async accounts(): Promise<CcflareAccount[]> {
    return (this.selectAccounts.all() as Row[]).map((r) => ({
      id: String(r.id),
      name: String(r.name),
      apiKey: str(r.api_key),
      refreshToken: str(r.refresh_token),
      accessToken: str(r.access_token),
      expiresAt: num(r.expires_at),
      createdAt: num(r.created_at) ?? 0,
      lastUsed: num(r.last_used),
      tier: num(r.account_tier) ?? 1,
      paused: num(r.paused) === 1,
    }));
  }

  async agentPreferences(): Promise<CcflareAgentPreference[]> {
    if (this.selectPrefs === null) return [];
    return (this.selectPrefs.all() as Row[]).map((r) => ({
      agentId: String(r.agent_id),
      model: String(r.model),
      updatedAt: num(r.updated_at) ?? 0,
    }));
  }

  async requestCount(): Promise<number> {
    return (this.db.prepare('SELECT count(*) AS n FROM requests').get() as { n: number }).n;
  }

  async requests(after: CcflareCursor | null, limit: number): Promise<CcflareRequest[]> {
    const rows = (
      after === null
        ? this.selectFirst.all(limit)
        : this.selectRequests.all(after.timestamp, after.timestamp, after.id, limit)
    ) as Row[];
    return rows.map((r) => ({
      id: String(r.id),
      timestamp: num(r.timestamp) ?? 0,
      method: str(r.method) ?? 'POST',
      path: str(r.path) ?? '/',
      accountUsed: str(r.account_used),
      statusCode: num(r.status_code),
      // BOOLEAN columns hold 1/0 (bun:sqlite binds booleans as integers).
      success: num(r.success) === 1,
      errorMessage: str(r.error_message),
      responseTimeMs: num(r.response_time_ms),
      failoverAttempts: num(r.failover_attempts) ?? 0,
      model: str(r.model),
      inputTokens: num(r.input_tokens),
      cacheReadInputTokens: num(r.cache_read_input_tokens),
      cacheCreationInputTokens: num(r.cache_creation_input_tokens),
      outputTokens: num(r.output_tokens),
      costUsd: num(r.cost_usd),
      outputTokensPerSecond: num(r.output_tokens_per_second),
      agentUsed: str(r.agent_used),
      payloadJson: str(r.payload_json),
    }));
  }

  async close(): Promise<void> {
    this.db.close();
  }
}
