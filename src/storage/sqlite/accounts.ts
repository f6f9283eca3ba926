/** `store.accounts` for SQLite. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
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
import { type Bindable, isUniqueViolation, writeWithoutBlocking } from './connection.js';

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
  attempt_count: number;
  failed_attempt_count: number;
  recent_errors: string;
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
    attemptCount: r.attempt_count,
    failedAttemptCount: r.failed_attempt_count,
    recentErrors: JSON.parse(r.recent_errors) as AccountError[],
  };
}

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
