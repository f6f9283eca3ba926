/** `store.accounts` for SQLite. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type { AccountPatch, AccountRow, AccountsStore, NewAccount, TokenSwap } from '../contract/accounts.js';
import {
  ACCOUNT_PATCH_COLUMNS,
  ACCOUNT_PATCH_KEYS,
  type AccountDbRow,
  patchColumn,
  toAccount,
} from '../rows/account-rows.js';
import { type Bindable, isUniqueViolation, writeWithoutBlocking } from './connection.js';

/**
 * One statement for every patch shape, so it is prepared once: each column takes the new
 * value only when its `set_*` flag is 1, which also lets a patch set a column to NULL.
 */
const UPDATE_ACCOUNT = `UPDATE accounts SET ${ACCOUNT_PATCH_KEYS.map((k) => {
  const col = ACCOUNT_PATCH_COLUMNS[k][0];
  return `${col} = CASE WHEN @set_${col} THEN @${col} ELSE ${col} END`;
}).join(', ')} WHERE id = @id`;

export class SqliteAccounts implements AccountsStore {
  private readonly listAll: Database.Statement<[], AccountDbRow>;
  private readonly byName: Database.Statement<[string], AccountDbRow>;
  private readonly byId: Database.Statement<[string], AccountDbRow>;
  private readonly insertRow: Database.Statement<[Record<string, Bindable>]>;
  private readonly updateRow: Database.Statement<[Record<string, Bindable>]>;
  private readonly deleteRow: Database.Statement<[string]>;
  private readonly swap: Database.Statement<[Record<string, Bindable>]>;
  private readonly rev: Database.Statement<[], { value: number }>;
  private readonly resetCounters: Database.Statement<[]>;

  constructor(private readonly db: Database.Database) {
    this.listAll = db.prepare('SELECT * FROM accounts ORDER BY priority, created_at, name');
    this.byName = db.prepare('SELECT * FROM accounts WHERE name = ?');
    this.byId = db.prepare('SELECT * FROM accounts WHERE id = ?');
    this.insertRow = db.prepare(`INSERT INTO accounts
      (id, name, kind, priority, api_key_enc, access_token_enc, refresh_token_enc, refresh_fp, expires_at, created_at)
      VALUES (@id, @name, @kind, @priority, @api_key_enc, @access_token_enc, @refresh_token_enc, @refresh_fp,
        @expires_at, @created_at)`);
    this.updateRow = db.prepare(UPDATE_ACCOUNT);
    this.deleteRow = db.prepare('DELETE FROM accounts WHERE id = ?');
    this.swap = db.prepare(`UPDATE accounts SET access_token_enc = @access_token_enc,
      refresh_token_enc = @refresh_token_enc, refresh_fp = @refresh_fp, expires_at = @expires_at
      WHERE id = @id AND refresh_fp IS @expected_fp`);
    this.rev = db.prepare("SELECT value FROM meta WHERE key = 'accounts_rev'");
    this.resetCounters = db.prepare(`UPDATE accounts SET request_count = 0, session_request_count = 0,
      attempt_count = 0, failed_attempt_count = 0`);
  }

  async list(): Promise<AccountRow[]> {
    return this.listAll.all().map(toAccount);
  }

  async getByName(name: string): Promise<AccountRow | null> {
    const r = this.byName.get(name);
    return r ? toAccount(r) : null;
  }

  async get(id: string): Promise<AccountRow | null> {
    const r = this.byId.get(id);
    return r ? toAccount(r) : null;
  }

  async insert(a: NewAccount, now: number): Promise<AccountRow> {
    const id = randomUUID();
    try {
      this.insertRow.run({
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
    const row = this.byId.get(id);
    if (!row) throw new GatewayError('internal', `Account "${a.name}" vanished right after insert`);
    return toAccount(row);
  }

  async update(id: string, patch: AccountPatch): Promise<void> {
    const params: Record<string, Bindable> = { id };
    let any = false;
    for (const k of ACCOUNT_PATCH_KEYS) {
      const v = patch[k];
      const given = v !== undefined;
      any ||= given;
      const { column, value } = patchColumn(k, v);
      params[`set_${column}`] = given ? 1 : 0;
      // better-sqlite3 binds no booleans (`paused`).
      params[column] = !given ? null : typeof value === 'boolean' ? Number(value) : value;
    }
    // An empty patch must not bump accounts_rev (the UPDATE trigger fires even if nothing changes).
    if (!any) return;
    try {
      await writeWithoutBlocking(this.db, () => this.updateRow.run(params));
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Account "${patch.name}" already exists`);
      throw err;
    }
  }

  async delete(id: string): Promise<boolean> {
    return this.deleteRow.run(id).changes > 0;
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
    const res = await writeWithoutBlocking(this.db, () => this.swap.run(params));
    return res.changes > 0;
  }

  async revision(): Promise<number> {
    return Number(this.rev.get()?.value ?? 0);
  }

  async resetUsage(): Promise<number> {
    return this.resetCounters.run().changes;
  }
}
