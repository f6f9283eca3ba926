/**
 * PostgreSQL schema versions. Append-only once released, like SQLite's (sqlite/migrations.ts).
 * Version 1 is the whole schema as of the PostgreSQL store's first release; each file that owns
 * tables exports its DDL and this list composes them.
 */
import { GatewayError } from '../../errors.js';
import type { Migration } from '../sqlite/migration.js';
import { inTransaction, type PgPool } from './connection.js';
import { PG_MESSAGE_HASH_TS_MIGRATION, PG_PROMPT_INDEX_MIGRATION } from './conversations.js';
import { PG_INSTANCE_OWNER_MIGRATION } from './instances.js';
import { PG_PAYLOAD_LZ4_MIGRATION } from './payloads.js';
import { PG_SCHEMA_PARTS } from './schema.js';

/**
 * Every text column of the schema's tables to the "C" collation (a partition takes its parent's).
 * Their keys are ids, hashes and names: byte order is what SQLite's BINARY gives, so both back-ends
 * page and sort alike, and btree compares are memcmp instead of strcoll. Writer bench (2,000
 * records/s, bench a-json records) on a C.UTF-8 database: PostgreSQL's CPU 81-83 -> 73-74 µs per
 * record. Text columns of different collations cannot be compared (`=` included), so a migration
 * that adds a text column ends with this again; migrations.test.ts checks every column.
 */
export const TEXT_COLUMNS_TO_C = `DO $$
DECLARE t record; defs text[]; x text;
BEGIN
  FOR t IN
    SELECT c.oid, c.relname, string_agg(format('ALTER COLUMN %I TYPE text COLLATE "C"', a.attname), ', ') AS alters
    FROM pg_attribute a
    JOIN pg_class c ON c.oid = a.attrelid
    WHERE c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())
      AND c.relkind IN ('r', 'p') AND NOT c.relispartition
      AND a.attnum > 0 AND NOT a.attisdropped AND a.atttypid = 'text'::regtype
      AND a.attcollation <> (SELECT oid FROM pg_collation WHERE collname = 'C' AND collnamespace = 'pg_catalog'::regnamespace)
    GROUP BY c.oid, c.relname
  LOOP
    -- A trigger whose WHEN names a column pins its type: dropped and made again as it was.
    defs := ARRAY(SELECT pg_get_triggerdef(g.oid) FROM pg_trigger g WHERE g.tgrelid = t.oid AND NOT g.tgisinternal);
    FOR x IN SELECT g.tgname FROM pg_trigger g WHERE g.tgrelid = t.oid AND NOT g.tgisinternal LOOP
      EXECUTE format('DROP TRIGGER %I ON %I', x, t.relname);
    END LOOP;
    EXECUTE format('ALTER TABLE %I %s', t.relname, t.alters);
    FOREACH x IN ARRAY defs LOOP
      EXECUTE x;
    END LOOP;
  END LOOP;
END $$;`;

export const PG_MIGRATIONS: readonly Migration[] = [
  { version: 1, name: 'initial schema', up: PG_SCHEMA_PARTS.join('\n') },
  PG_INSTANCE_OWNER_MIGRATION,
  { version: 3, name: 'text columns in byte order (COLLATE "C")', up: TEXT_COLUMNS_TO_C },
  PG_MESSAGE_HASH_TS_MIGRATION,
  PG_PAYLOAD_LZ4_MIGRATION,
  PG_PROMPT_INDEX_MIGRATION,
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
