/** `store.keys` for PostgreSQL (same behaviour as sqlite/keys.ts). */
import { randomUUID } from 'node:crypto';
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
import type { PgPool } from './connection.js';
import { isUniqueViolation } from './pg-errors.js';
import { type RevisionReader, revisionDdl } from './revisions.js';

export const KEYS_DDL = `
  CREATE TABLE client_keys (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    prefix TEXT NOT NULL,
    digest TEXT NOT NULL UNIQUE,
    created_at BIGINT NOT NULL,
    last_used_at BIGINT,
    revoked_at BIGINT,
    -- NULL: no limit of that kind.
    limit_rpm INTEGER,
    limit_tokens_per_day BIGINT,
    limit_cost_per_month_usd DOUBLE PRECISION,
    -- Model ids and family aliases; NULL: any model.
    allowed_models JSONB
  );
  -- Revoked keys stay listed under their name, so a name is unique among active keys only.
  CREATE UNIQUE INDEX client_keys_active_name ON client_keys (name) WHERE revoked_at IS NULL;

  -- At most one row.
  CREATE TABLE admin_key (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    digest TEXT NOT NULL,
    created_at BIGINT NOT NULL
  );

  -- Gateways poll keys_rev to reload their key map. last_used_at is left out on purpose: it moves
  -- on every use and must not cause reloads.
  ${revisionDdl('keys_rev', [
    { table: 'client_keys', events: 'INSERT OR DELETE' },
    {
      table: 'client_keys',
      events:
        'UPDATE OF name, digest, revoked_at, limit_rpm, limit_tokens_per_day, limit_cost_per_month_usd, allowed_models',
    },
    { table: 'admin_key', events: 'INSERT OR UPDATE OR DELETE' },
  ])}
`;

/**
 * Use per key name from the request rows over the month (once at start, and per
 * `ccflare keys list`): a range scan on ts, no index of its own that every insert would pay for.
 */
// Only the rows since the newest key of that name was created (as in the SQLite store).
const USAGE_SQL = `SELECT r.client_key AS name,
    count(*) FILTER (WHERE r.ts >= $1 AND coalesce(r.error, '') NOT LIKE 'key limit:%') AS requests,
    coalesce(sum(coalesce(r.input_tokens, 0) + coalesce(r.cache_read_tokens, 0) + coalesce(r.cache_write_5m_tokens, 0)
      + coalesce(r.cache_write_1h_tokens, 0) + coalesce(r.output_tokens, 0)) FILTER (WHERE r.ts >= $2), 0) AS tokens,
    coalesce(sum(coalesce(r.cost_usd, 0)) FILTER (WHERE r.ts >= $3), 0) AS cost
  FROM requests r
  LEFT JOIN (SELECT name, max(created_at) AS since FROM client_keys GROUP BY name) k ON k.name = r.client_key
  WHERE r.ts >= $4 AND r.client_key IS NOT NULL AND r.ts >= coalesce(k.since, 0)
  GROUP BY r.client_key ORDER BY r.client_key`;

export class PgKeys implements KeysStore {
  constructor(
    private readonly pool: PgPool,
    private readonly revisions: RevisionReader,
  ) {}

  async list(): Promise<ClientKeyRow[]> {
    const { rows } = await this.pool.query<ClientKeyDbRow>('SELECT * FROM client_keys ORDER BY created_at, name, id');
    return rows.map(toClientKey);
  }

  async insert(k: NewClientKey, now: number): Promise<ClientKeyRow> {
    try {
      const { rows } = await this.pool.query<ClientKeyDbRow>(
        `INSERT INTO client_keys (id, name, prefix, digest, created_at) VALUES ($1, $2, $3, $4, $5) RETURNING *`,
        [randomUUID(), k.name, k.prefix, k.digest, now],
      );
      const row = rows[0];
      if (!row) throw new GatewayError('internal', `Client key "${k.name}" was not stored`);
      return toClientKey(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `Client key "${k.name}" already exists`);
      throw err;
    }
  }

  async revoke(name: string, now: number): Promise<ClientKeyRow | null> {
    // At most one active key has the name (client_keys_active_name), so this touches one row.
    const { rows } = await this.pool.query<ClientKeyDbRow>(
      'UPDATE client_keys SET revoked_at = $2 WHERE name = $1 AND revoked_at IS NULL RETURNING *',
      [name, now],
    );
    return rows[0] ? toClientKey(rows[0]) : null;
  }

  async touch(uses: readonly KeyUse[]): Promise<void> {
    if (uses.length === 0) return;
    // One statement per batch; a key used twice in it keeps its latest use (an UPDATE ... FROM
    // with two matches per row would pick either).
    const latest = new Map<string, number>();
    for (const u of uses) latest.set(u.id, Math.max(u.at, latest.get(u.id) ?? u.at));
    await this.pool.query(
      `UPDATE client_keys c SET last_used_at = u.at
       FROM unnest($1::text[], $2::bigint[]) AS u(id, at)
       WHERE c.id = u.id AND (c.last_used_at IS NULL OR c.last_used_at < u.at)`,
      [[...latest.keys()], [...latest.values()]],
    );
  }

  async setLimits(name: string, limits: ClientKeyLimits, _now: number): Promise<ClientKeyRow | null> {
    const { rows } = await this.pool.query<ClientKeyDbRow>(
      `UPDATE client_keys SET limit_rpm = $2, limit_tokens_per_day = $3, limit_cost_per_month_usd = $4,
         allowed_models = $5::jsonb
       WHERE name = $1 AND revoked_at IS NULL RETURNING *`,
      [name, limits.rpm, limits.tokensPerDay, limits.costPerMonthUsd, modelsColumn(limits)],
    );
    return rows[0] ? toClientKey(rows[0]) : null;
  }

  async usage(w: KeyUsageWindows): Promise<ClientKeyUsageRow[]> {
    const from = Math.min(w.minuteStart, w.dayStart, w.monthStart);
    const { rows } = await this.pool.query<KeyUsageDbRow>(USAGE_SQL, [w.minuteStart, w.dayStart, w.monthStart, from]);
    return rows.map(toKeyUsage);
  }

  async getAdmin(): Promise<AdminKeyRow | null> {
    const { rows } = await this.pool.query<{ digest: string; created_at: number }>(
      'SELECT digest, created_at FROM admin_key WHERE id = 1',
    );
    const r = rows[0];
    return r ? { digest: r.digest, createdAt: r.created_at } : null;
  }

  async setAdmin(digest: string | null, now: number): Promise<void> {
    if (digest === null) {
      await this.pool.query('DELETE FROM admin_key');
      return;
    }
    await this.pool.query(
      `INSERT INTO admin_key (id, digest, created_at) VALUES (1, $1, $2)
       ON CONFLICT (id) DO UPDATE SET digest = excluded.digest, created_at = excluded.created_at`,
      [digest, now],
    );
  }

  async revision(): Promise<number> {
    return this.revisions.read('keys_rev');
  }
}
