/** The settings table (migration 4) and its SQL for the SQLite store. */
import type Database from 'better-sqlite3';
import type { SettingsStore } from '../contract/settings.js';
import type { Migration } from './migration.js';

export const SETTINGS_MIGRATION: Migration = {
  version: 4,
  name: 'runtime settings',
  up: `
    -- Settings changed at runtime (API, CLI): shared by every instance on this database.
    -- value is JSON; precedence is flags > environment > this table > config file > defaults.
    CREATE TABLE settings (
      key TEXT PRIMARY KEY,
      value TEXT NOT NULL,
      updated_at INTEGER NOT NULL
    );
    INSERT INTO meta (key, value) VALUES ('settings_rev', 0);
    -- Polled like accounts_rev, so a change by any process reaches every running gateway.
    CREATE TRIGGER settings_rev_insert AFTER INSERT ON settings
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'settings_rev'; END;
    CREATE TRIGGER settings_rev_update AFTER UPDATE ON settings
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'settings_rev'; END;
    CREATE TRIGGER settings_rev_delete AFTER DELETE ON settings
    BEGIN UPDATE meta SET value = value + 1 WHERE key = 'settings_rev'; END;
  `,
};

export class SqliteSettings implements SettingsStore {
  private readonly selectAll: Database.Statement<[], { key: string; value: string }>;
  private readonly upsert: Database.Statement<[string, string, number]>;
  private readonly remove: Database.Statement<[string]>;
  private readonly rev: Database.Statement<[], { value: number }>;
  private readonly putAll: (values: Record<string, unknown>, now: number) => void;

  constructor(db: Database.Database) {
    this.selectAll = db.prepare('SELECT key, value FROM settings');
    this.upsert = db.prepare(
      `INSERT INTO settings (key, value, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at`,
    );
    this.remove = db.prepare('DELETE FROM settings WHERE key = ?');
    this.rev = db.prepare("SELECT value FROM meta WHERE key = 'settings_rev'");
    this.putAll = db.transaction((values: Record<string, unknown>, now: number) => {
      for (const [key, value] of Object.entries(values)) {
        if (value === null || value === undefined) this.remove.run(key);
        else this.upsert.run(key, JSON.stringify(value), now);
      }
    });
  }

  async get(): Promise<Record<string, unknown>> {
    const out: Record<string, unknown> = {};
    for (const r of this.selectAll.all()) {
      try {
        out[r.key] = JSON.parse(r.value);
      } catch {
        // Hand-edited garbage: surfaced as a raw string, which validation then rejects by name.
        out[r.key] = r.value;
      }
    }
    return out;
  }

  async put(values: Record<string, unknown>, now: number): Promise<void> {
    this.putAll(values, now);
  }

  async revision(): Promise<number> {
    return Number(this.rev.get()?.value ?? 0);
  }
}
