/** `store.accounts` for PostgreSQL (same behaviour as sqlite/accounts.ts). */
import { randomUUID } from 'node:crypto';
import { GatewayError } from '../../errors.js';
import type { AccountPatch, AccountRow, AccountsStore, NewAccount, TokenSwap } from '../contract/accounts.js';
import {
  ACCOUNT_PATCH_KEYS,
  type AccountDbRow,
  type PatchValue,
  patchColumn,
  toAccount,
} from '../rows/account-rows.js';
import type { PgPool } from './connection.js';
import { isUniqueViolation } from './pg-errors.js';
import { type RevisionReader, revisionDdl } from './revisions.js';

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

export class PgAccounts implements AccountsStore {
  constructor(
    private readonly pool: PgPool,
    private readonly revisions: RevisionReader,
  ) {}

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
    const params: PatchValue[] = [id];
    for (const k of ACCOUNT_PATCH_KEYS) {
      const v = patch[k];
      if (v === undefined) continue;
      const { column, value, json } = patchColumn(k, v);
      params.push(value);
      sets.push(`${column} = $${params.length}${json ? '::jsonb' : ''}`);
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
    return this.revisions.read('accounts_rev');
  }

  async resetUsage(): Promise<number> {
    const res = await this.pool.query(
      `UPDATE accounts SET request_count = 0, session_request_count = 0, attempt_count = 0, failed_attempt_count = 0`,
    );
    return res.rowCount ?? 0;
  }
}
