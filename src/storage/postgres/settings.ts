/** `store.settings` for PostgreSQL (same behaviour as sqlite/settings.ts). */
import type { SettingsStore } from '../contract/settings.js';
import { inTransaction, type PgPool } from './connection.js';
import { type RevisionReader, revisionDdl } from './revisions.js';

export const SETTINGS_DDL = `
  -- Settings changed at runtime (API, CLI): shared by every instance on this database.
  -- Precedence is flags > environment > this table > config file > defaults.
  CREATE TABLE settings (
    key TEXT PRIMARY KEY,
    value JSONB NOT NULL,
    updated_at BIGINT NOT NULL
  );
  ${revisionDdl('settings_rev', [{ table: 'settings', events: 'INSERT OR UPDATE OR DELETE' }])}
`;

export class PgSettings implements SettingsStore {
  constructor(
    private readonly pool: PgPool,
    private readonly revisions: RevisionReader,
  ) {}

  async get(): Promise<Record<string, unknown>> {
    const { rows } = await this.pool.query<{ key: string; value: unknown }>('SELECT key, value FROM settings');
    const out: Record<string, unknown> = {};
    for (const r of rows) out[r.key] = r.value;
    return out;
  }

  async put(values: Record<string, unknown>, now: number): Promise<void> {
    const entries = Object.entries(values);
    if (entries.length === 0) return;
    await inTransaction(this.pool, async (client) => {
      for (const [key, value] of entries) {
        if (value === null || value === undefined) await client.query('DELETE FROM settings WHERE key = $1', [key]);
        else
          await client.query(
            `INSERT INTO settings (key, value, updated_at) VALUES ($1, $2::jsonb, $3)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
            [key, JSON.stringify(value), now],
          );
      }
    });
  }

  async revision(): Promise<number> {
    return this.revisions.read('settings_rev');
  }
}
