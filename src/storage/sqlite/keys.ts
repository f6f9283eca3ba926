/** SQL for access keys (contract/keys.ts), used by SqliteStore. */
import { randomUUID } from 'node:crypto';
import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import type {
  AdminKeyRow,
  ClientKeyLimits,
  ClientKeyRow,
  ClientKeyUsageRow,
  KeysStore,
  KeyUsageWindows,
  KeyUse,
  NewClientKey,
} from '../contract/keys.js';
import { type ClientKeyDbRow, type KeyUsageDbRow, modelsColumn, toClientKey, toKeyUsage } from '../rows/key-rows.js';
import { isUniqueViolation, writeWithoutBlocking } from './connection.js';
import type { Migration } from './migration.js';

export const KEYS_MIGRATION: Migration = {
  version: 3,
  name: 'access keys',
  up: `
    INSERT INTO meta (key, value) VALUES ('keys_rev', 0);

    CREATE TABLE client_keys (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL,
      prefix TEXT NOT NULL,
      digest TEXT NOT NULL UNIQUE,
      created_at INTEGER NOT NULL,
      last_used_at INTEGER,
      revoked_at INTEGER
    );
    -- Revoked keys stay listed under their name, so a name is unique among active keys only.
    CREATE UNIQUE INDEX client_keys_active_name ON client_keys (name) WHERE revoked_at IS NULL;

    -- At most one row.
    CREATE TABLE admin_key (
      id INTEGER PRIMARY KEY CHECK (id = 1),
      digest TEXT NOT NULL,
      created_at INTEGER NOT NULL
    );

    -- Gateways poll keys_rev to reload their key map (changes come from the CLI too). last_used_at
    -- is left out on purpose: it moves on every use and must not cause reloads.
    CREATE TRIGGER keys_rev_client_insert AFTER INSERT ON client_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
    CREATE TRIGGER keys_rev_client_update AFTER UPDATE OF name, digest, revoked_at ON client_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
    CREATE TRIGGER keys_rev_client_delete AFTER DELETE ON client_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
    CREATE TRIGGER keys_rev_admin_insert AFTER INSERT ON admin_key
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
    CREATE TRIGGER keys_rev_admin_update AFTER UPDATE ON admin_key
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
    CREATE TRIGGER keys_rev_admin_delete AFTER DELETE ON admin_key
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
  `,
};

export const KEY_LIMITS_MIGRATION: Migration = {
  version: 14,
  name: 'client key limits',
  up: `
    -- NULL: no limit of that kind.
    ALTER TABLE client_keys ADD COLUMN limit_rpm INTEGER;
    ALTER TABLE client_keys ADD COLUMN limit_tokens_per_day INTEGER;
    ALTER TABLE client_keys ADD COLUMN limit_cost_per_month_usd REAL;
    -- JSON array of model ids and family aliases; NULL: any model.
    ALTER TABLE client_keys ADD COLUMN allowed_models TEXT;
    -- Limits apply through the same reload as revocations (the gateways poll keys_rev).
    CREATE TRIGGER keys_rev_client_limits
      AFTER UPDATE OF limit_rpm, limit_tokens_per_day, limit_cost_per_month_usd, allowed_models ON client_keys
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'keys_rev'; END;
  `,
};

/**
 * Use per key name from the request rows: a range scan of the ts index over the month (once at
 * start, and per `ccflare keys list`); no index of its own, which every insert would pay for.
 */
// Only the rows since the newest key of that name was created: a key made under a revoked
// key's name starts at zero instead of inheriting that key's use (and being refused for it).
const USAGE_SQL = `SELECT r.client_key AS name,
    sum(CASE WHEN r.ts >= @minute AND coalesce(r.error, '') NOT LIKE 'key limit:%' THEN 1 ELSE 0 END) AS requests,
    sum(CASE WHEN r.ts >= @day THEN coalesce(r.input_tokens, 0) + coalesce(r.cache_read_tokens, 0)
      + coalesce(r.cache_write_5m_tokens, 0) + coalesce(r.cache_write_1h_tokens, 0) + coalesce(r.output_tokens, 0)
      ELSE 0 END) AS tokens,
    sum(CASE WHEN r.ts >= @month THEN coalesce(r.cost_usd, 0) ELSE 0 END) AS cost
  FROM requests r
  LEFT JOIN (SELECT name, max(created_at) AS since FROM client_keys GROUP BY name) k ON k.name = r.client_key
  WHERE r.ts >= @from AND r.client_key IS NOT NULL AND r.ts >= coalesce(k.since, 0)
  GROUP BY r.client_key ORDER BY r.client_key`;

/** Prepared once per connection; needs the tables of KEYS_MIGRATION. */
export class SqliteKeys implements KeysStore {
  private readonly listAll: Database.Statement<[], ClientKeyDbRow>;
  private readonly byId: Database.Statement<[string], ClientKeyDbRow>;
  private readonly activeByName: Database.Statement<[string], ClientKeyDbRow>;
  private readonly insertRow: Database.Statement<[Record<string, string | number>]>;
  private readonly revokeRow: Database.Statement<[number, string]>;
  private readonly touchRow: Database.Statement<[number, string, number]>;
  private readonly touchMany: Database.Transaction<(uses: readonly KeyUse[]) => void>;
  private readonly admin: Database.Statement<[], { digest: string; created_at: number }>;
  private readonly upsertAdmin: Database.Statement<[string, number]>;
  private readonly deleteAdmin: Database.Statement<[]>;
  private readonly rev: Database.Statement<[], { value: number }>;
  private readonly limitsRow: Database.Statement<[Record<string, string | number | null>]>;
  private readonly usageRows: Database.Statement<[Record<string, number>], KeyUsageDbRow>;
  private readonly setLimitsTx: Database.Transaction<(name: string, limits: ClientKeyLimits) => ClientKeyRow | null>;
  private readonly revokeActive: Database.Transaction<(name: string, now: number) => ClientKeyRow | null>;

  constructor(private readonly db: Database.Database) {
    this.listAll = db.prepare('SELECT * FROM client_keys ORDER BY created_at, name, id');
    this.byId = db.prepare('SELECT * FROM client_keys WHERE id = ?');
    this.activeByName = db.prepare('SELECT * FROM client_keys WHERE name = ? AND revoked_at IS NULL');
    this.insertRow = db.prepare(`INSERT INTO client_keys (id, name, prefix, digest, created_at)
      VALUES (@id, @name, @prefix, @digest, @created_at)`);
    this.revokeRow = db.prepare('UPDATE client_keys SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL');
    this.touchRow = db.prepare(
      'UPDATE client_keys SET last_used_at = ? WHERE id = ? AND (last_used_at IS NULL OR last_used_at < ?)',
    );
    this.touchMany = db.transaction((uses: readonly KeyUse[]) => {
      for (const u of uses) this.touchRow.run(u.at, u.id, u.at);
    });
    this.admin = db.prepare('SELECT digest, created_at FROM admin_key WHERE id = 1');
    this.upsertAdmin = db.prepare(`INSERT INTO admin_key (id, digest, created_at) VALUES (1, ?, ?)
      ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at`);
    this.deleteAdmin = db.prepare('DELETE FROM admin_key');
    this.rev = db.prepare("SELECT value FROM meta WHERE key = 'keys_rev'");
    this.limitsRow = db.prepare(`UPDATE client_keys SET limit_rpm = @rpm, limit_tokens_per_day = @tokens,
      limit_cost_per_month_usd = @cost, allowed_models = @models WHERE id = @id`);
    this.usageRows = db.prepare(USAGE_SQL);
    this.setLimitsTx = db.transaction((name: string, limits: ClientKeyLimits) => {
      const row = this.activeByName.get(name);
      if (!row) return null;
      this.limitsRow.run({
        id: row.id,
        rpm: limits.rpm,
        tokens: limits.tokensPerDay,
        cost: limits.costPerMonthUsd,
        models: modelsColumn(limits),
      });
      const after = this.byId.get(row.id);
      return after ? toClientKey(after) : null;
    });
    this.revokeActive = db.transaction((name: string, now: number) => {
      const row = this.activeByName.get(name);
      if (!row) return null;
      this.revokeRow.run(now, row.id);
      return toClientKey({ ...row, revoked_at: now });
    });
  }

  async list(): Promise<ClientKeyRow[]> {
    return this.listAll.all().map(toClientKey);
  }

  async insert(k: NewClientKey, now: number): Promise<ClientKeyRow> {
    const id = randomUUID();
    try {
      this.insertRow.run({ id, name: k.name, prefix: k.prefix, digest: k.digest, created_at: now });
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Client key "${k.name}" already exists`);
      throw err;
    }
    const row = this.byId.get(id);
    if (!row) throw new GatewayError('internal', `Client key "${k.name}" vanished right after insert`);
    return toClientKey(row);
  }

  async revoke(name: string, now: number): Promise<ClientKeyRow | null> {
    return this.revokeActive.immediate(name, now);
  }

  async touch(uses: readonly KeyUse[]): Promise<void> {
    if (uses.length > 0) await writeWithoutBlocking(this.db, () => this.touchMany(uses));
  }

  async setLimits(name: string, limits: ClientKeyLimits, _now: number): Promise<ClientKeyRow | null> {
    return this.setLimitsTx.immediate(name, limits);
  }

  async usage(w: KeyUsageWindows): Promise<ClientKeyUsageRow[]> {
    const from = Math.min(w.minuteStart, w.dayStart, w.monthStart);
    return this.usageRows.all({ minute: w.minuteStart, day: w.dayStart, month: w.monthStart, from }).map(toKeyUsage);
  }

  async getAdmin(): Promise<AdminKeyRow | null> {
    const r = this.admin.get();
    return r ? { digest: r.digest, createdAt: r.created_at } : null;
  }

  async setAdmin(digest: string | null, now: number): Promise<void> {
    if (digest === null) this.deleteAdmin.run();
    else this.upsertAdmin.run(digest, now);
  }

  async revision(): Promise<number> {
    return Number(this.rev.get()?.value ?? 0);
  }
}
