/**
 * PostgreSQL schema versions. Append-only once released, like SQLite's (sqlite/migrations.ts).
 * Version 1 is the whole schema as of the PostgreSQL store's first release; each file that owns
 * tables exports its DDL and this list composes them.
 */
import { GatewayError } from '../../errors.js';
import type { Migration } from '../sqlite/migration.js';
import { inTransaction, type PgPool } from './connection.js';
import { PG_INSTANCE_OWNER_MIGRATION } from './instances.js';
import { PG_SCHEMA_PARTS } from './schema.js';

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', up: PG_SCHEMA_PARTS.join('\n') },
  PG_INSTANCE_OWNER_MIGRATION,
];

export const PG_LATEST_VERSION = PG_MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

/**
 * Key of the advisory lock every instance takes while migrating, so several instances starting
 * at once apply each migration exactly once (the others wait, then find nothing to do).
 */
const MIGRATION_LOCK = 0x6363_666c; // 'ccfl'

export async function migratePg(pool: PgPool, migrations: readonly Migration[] = PG_MIGRATIONS): Promise<number[]> {
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  return inTransaction(pool, async (client) => {
    // Transaction-scoped: released by COMMIT or ROLLBACK, even if this process dies.
    await client.query('SELECT pg_advisory_xact_lock($1)', [MIGRATION_LOCK]);
    await client.query(
      `CREATE TABLE IF NOT EXISTS schema_migrations (
         version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at BIGINT NOT NULL)`,
    );
    const { rows } = await client.query<{ v: number | null }>('SELECT MAX(version) AS v FROM schema_migrations');
    const current = rows[0]?.v ?? 0;
    if (current > known) {
      throw new GatewayError(
        'config_invalid',
        `The PostgreSQL database is at schema version ${current}, newer than this ccflare knows (${known}); upgrade ccflare`,
      );
    }
    const applied: number[] = [];
    for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
      if (m.version <= current) continue;
      await client.query(m.up);
      await client.query('INSERT INTO schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)', [
        m.version,
        m.name,
        Date.now(),
      ]);
      applied.push(m.version);
    }
    return applied;
  });
}
