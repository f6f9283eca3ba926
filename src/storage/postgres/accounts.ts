/** `store.accounts` for PostgreSQL (same behaviour as sqlite/accounts.ts). */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type {
  AccountError,
  AccountHealth,
  AccountKind,
  AccountPatch,
  AccountRow,
  AccountsStore,
  NewAccount,
  RateLimitState,
  TokenSwap,
} from '../contract/accounts.js';
import type { PgPool } from './connection.js';
import { isUniqueViolation } from './pg-errors.js';
import { readRevision, revisionDdl } from './revisions.js';

export const ACCOUNTS_DDL = `
  -- No foreign key from requests: records outlive a deleted account.
  CREATE TABLE accounts (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL,
    priority INTEGER NOT NULL DEFAULT 0,
    paused BOOLEAN NOT NULL DEFAULT false,
    health TEXT NOT NULL DEFAULT 'ok',
    health_reason TEXT,
    -- SecretBox blobs, stored as given.
    api_key_enc TEXT,
    access_token_enc TEXT,
    refresh_token_enc TEXT,
    refresh_fp TEXT,
    expires_at BIGINT,
    cooldown_until BIGINT,
    cooldown_reason TEXT,
    model_cooldowns JSONB NOT NULL DEFAULT '{}',
    strikes INTEGER NOT NULL DEFAULT 0,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    request_count BIGINT NOT NULL DEFAULT 0,
    session_start BIGINT,
    session_request_count BIGINT NOT NULL DEFAULT 0,
    rate_limit JSONB,
    flag TEXT,
    attempt_count BIGINT NOT NULL DEFAULT 0,
    failed_attempt_count BIGINT NOT NULL DEFAULT 0,
    -- The latest failed attempts ({at, status, error}), oldest first, a few at most.
    recent_errors JSONB NOT NULL DEFAULT '[]'
  );
  ${revisionDdl('accounts_rev', [{ table: 'accounts', events: 'INSERT OR UPDATE OR DELETE' }])}
`;

interface AccountDbRow {
  id: string;
  name: string;
  kind: string;
  priority: number;
  paused: boolean;
  health: string;
  health_reason: string | null;
  api_key_enc: string | null;
  access_token_enc: string | null;
  refresh_token_enc: string | null;
  refresh_fp: string | null;
  expires_at: number | null;
  cooldown_until: number | null;
  cooldown_reason: string | null;
  model_cooldowns: Record<string, number>;
  strikes: number;
  created_at: number;
  last_used_at: number | null;
  request_count: number;
  session_start: number | null;
  session_request_count: number;
  rate_limit: RateLimitState | null;
  flag: string | null;
  attempt_count: number;
  failed_attempt_count: number;
  recent_errors: AccountError[];
}

function toAccount(r: AccountDbRow): AccountRow {
  return {
    id: r.id,
    name: r.name,
    kind: r.kind as AccountKind,
    priority: r.priority,
    paused: r.paused,
    health: r.health as AccountHealth,
    healthReason: r.health_reason,
    apiKeyEnc: r.api_key_enc,
    accessTokenEnc: r.access_token_enc,
    refreshTokenEnc: r.refresh_token_enc,
    refreshFp: r.refresh_fp,
    expiresAt: r.expires_at,
    cooldownUntil: r.cooldown_until,
    cooldownReason: r.cooldown_reason,
    modelCooldowns: r.model_cooldowns,
    strikes: r.strikes,
    createdAt: r.created_at,
    lastUsedAt: r.last_used_at,
    requestCount: r.request_count,
    sessionStart: r.session_start,
    sessionRequestCount: r.session_request_count,
    rateLimit: r.rate_limit,
    flag: r.flag,
    attemptCount: r.attempt_count,
    failedAttemptCount: r.failed_attempt_count,
    recentErrors: r.recent_errors,
  };
}

type Param = string | number | boolean | null;

/** AccountPatch key -> column, how its value is bound, and the cast the placeholder needs. */
const PATCH_COLUMNS: {
  [K in keyof Required<AccountPatch>]: [column: string, encode: (v: AccountPatch[K]) => Param, cast?: string];
} = {
  name: ['name', (v) => v ?? null],
  priority: ['priority', (v) => v ?? null],
  paused: ['paused', (v) => v ?? false],
  health: ['health', (v) => v ?? null],
  healthReason: ['health_reason', (v) => v ?? null],
  apiKeyEnc: ['api_key_enc', (v) => v ?? null],
  accessTokenEnc: ['access_token_enc', (v) => v ?? null],
  refreshTokenEnc: ['refresh_token_enc', (v) => v ?? null],
  refreshFp: ['refresh_fp', (v) => v ?? null],
  expiresAt: ['expires_at', (v) => v ?? null],
  cooldownUntil: ['cooldown_until', (v) => v ?? null],
  cooldownReason: ['cooldown_reason', (v) => v ?? null],
  // pg would bind a JS object or array as a PostgreSQL array literal, so JSON goes in as text.
  modelCooldowns: ['model_cooldowns', (v) => JSON.stringify(v ?? {}), '::jsonb'],
  strikes: ['strikes', (v) => v ?? null],
  lastUsedAt: ['last_used_at', (v) => v ?? null],
  requestCount: ['request_count', (v) => v ?? null],
  sessionStart: ['session_start', (v) => v ?? null],
  sessionRequestCount: ['session_request_count', (v) => v ?? null],
  rateLimit: ['rate_limit', (v) => (v == null ? null : JSON.stringify(v)), '::jsonb'],
  flag: ['flag', (v) => v ?? null],
};

const PATCH_KEYS = Object.keys(PATCH_COLUMNS) as (keyof AccountPatch)[];

export class PgAccounts implements AccountsStore {
  constructor(private readonly pool: PgPool) {}

  async list(): Promise<AccountRow[]> {
    const { rows } = await this.pool.query<AccountDbRow>('SELECT * FROM accounts ORDER BY priority, created_at, name');
    return rows.map(toAccount);
  }

  async getByName(name: string): Promise<AccountRow | null> {
    const { rows } = await this.pool.query<AccountDbRow>('SELECT * FROM accounts WHERE name = $1', [name]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async get(id: string): Promise<AccountRow | null> {
    const { rows } = await this.pool.query<AccountDbRow>('SELECT * FROM accounts WHERE id = $1', [id]);
    return rows[0] ? toAccount(rows[0]) : null;
  }

  async insert(a: NewAccount, now: number): Promise<AccountRow> {
    try {
      const { rows } = await this.pool.query<AccountDbRow>(
        `INSERT INTO accounts
           (id, name, kind, priority, api_key_enc, access_token_enc, refresh_token_enc, refresh_fp, expires_at, created_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING *`,
        [
          randomUUID(),
          a.name,
          a.kind,
          a.priority ?? 0,
          a.apiKeyEnc ?? null,
          a.accessTokenEnc ?? null,
          a.refreshTokenEnc ?? null,
          a.refreshFp ?? null,
          a.expiresAt ?? null,
          now,
        ],
      );
      const row = rows[0];
      if (!row) throw new GatewayError('internal', `Account "${a.name}" was not stored`);
      return toAccount(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Account "${a.name}" already exists`);
      throw err;
    }
  }

  async update(id: string, patch: AccountPatch): Promise<void> {
    const sets: string[] = [];
    const params: Param[] = [id];
    for (const k of PATCH_KEYS) {
      const v = patch[k];
      if (v === undefined) continue;
      const [col, encode, cast] = PATCH_COLUMNS[k] as [string, (v: unknown) => Param, string?];
      params.push(encode(v));
      sets.push(`${col} = $${params.length}${cast ?? ''}`);
    }
    // An empty patch must not bump accounts_rev (the UPDATE trigger fires even if nothing changes).
    if (sets.length === 0) return;
    try {
      await this.pool.query(`UPDATE accounts SET ${sets.join(', ')} WHERE id = $1`, params);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Account "${patch.name}" already exists`);
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    const res = await this.pool.query('DELETE FROM accounts WHERE id = $1', [id]);
    return (res.rowCount ?? 0) > 0;
  }

  async swapTokens(id: string, expectedFp: string | null, next: TokenSwap): Promise<boolean> {
    // One statement: the row lock makes the compare and the swap atomic across instances.
    const res = await this.pool.query(
      `UPDATE accounts SET access_token_enc = $3, refresh_token_enc = $4, refresh_fp = $5, expires_at = $6
       WHERE id = $1 AND refresh_fp IS NOT DISTINCT FROM $2`,
      [id, expectedFp, next.accessTokenEnc, next.refreshTokenEnc, next.refreshFp, next.expiresAt],
    );
    return (res.rowCount ?? 0) > 0;
  }

  async revision(): Promise<number> {
    return readRevision(this.pool, 'accounts_rev');
  }

  async resetUsage(): Promise<number> {
    const res = await this.pool.query(
      `UPDATE accounts SET request_count = 0, session_request_count = 0, attempt_count = 0, failed_attempt_count = 0`,
    );
    return res.rowCount ?? 0;
  }
}
