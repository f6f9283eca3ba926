import type Database from 'better-sqlite3';
import { GatewayError } from '../../errors.js';
import { AGENTS_MIGRATION } from './agents.js';
import { CONVERSATION_ANALYSES_MIGRATION } from './conversation-analyses.js';
import {
  CONVERSATIONS_HASH_KEY_MIGRATION,
  CONVERSATIONS_HASH_KEY_TS_MIGRATION,
  CONVERSATIONS_MIGRATION,
  CONVERSATIONS_PROMPT_INDEX_MIGRATION,
} from './conversations.js';
import { INSTANCE_OWNER_MIGRATION } from './instances.js';
import { KEY_LIMITS_MIGRATION, KEYS_MIGRATION } from './keys.js';
import type { Migration } from './migration.js';
import { NOTIFY_MIGRATION, NOTIFY_WINDOWS_MIGRATION } from './notify.js';
import { AGENT_ROLLUP_MIGRATION, ANALYTICS_MIGRATION, KEY_ROLLUP_MIGRATION, SPEED_RANGE_MIGRATION } from './rollups.js';
import { SETTINGS_MIGRATION } from './settings.js';
import { WORKERS_MIGRATION } from './workers.js';

/**
 * Append-only: a released migration is never edited, because databases in the field already
 * recorded it as applied. Versions are consecutive from 1.
 */
export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: 'initial schema',
    up: `
      CREATE TABLE meta (
        key TEXT PRIMARY KEY,
        -- No declared type: integer counters stay integers (a TEXT column would store '1').
        value NOT NULL
      );
      INSERT INTO meta (key, value) VALUES ('accounts_rev', 0);

      CREATE TABLE accounts (
        id TEXT PRIMARY KEY,
        name TEXT NOT NULL UNIQUE,
        kind TEXT NOT NULL,
        priority INTEGER NOT NULL DEFAULT 0,
        paused INTEGER NOT NULL DEFAULT 0,
        health TEXT NOT NULL DEFAULT 'ok',
        health_reason TEXT,
        api_key_enc TEXT,
        access_token_enc TEXT,
        refresh_token_enc TEXT,
        refresh_fp TEXT,
        expires_at INTEGER,
        cooldown_until INTEGER,
        cooldown_reason TEXT,
        model_cooldowns TEXT NOT NULL DEFAULT '{}',
        strikes INTEGER NOT NULL DEFAULT 0,
        created_at INTEGER NOT NULL,
        last_used_at INTEGER,
        request_count INTEGER NOT NULL DEFAULT 0,
        session_start INTEGER,
        session_request_count INTEGER NOT NULL DEFAULT 0,
        rate_limit TEXT,
        flag TEXT
      );

      -- The revision lives in the database so a change made by another process (the CLI)
      -- is seen by the gateway without any IPC.
      CREATE TRIGGER accounts_rev_insert AFTER INSERT ON accounts
      BEGIN UPDATE meta SET value = value + 1 WHERE key = 'accounts_rev'; END;
      CREATE TRIGGER accounts_rev_update AFTER UPDATE ON accounts
      BEGIN UPDATE meta SET value = value + 1 WHERE key = 'accounts_rev'; END;
      CREATE TRIGGER accounts_rev_delete AFTER DELETE ON accounts
      BEGIN UPDATE meta SET value = value + 1 WHERE key = 'accounts_rev'; END;

      -- No foreign key to accounts: records outlive a deleted account (account_name keeps
      -- the name it had).
      CREATE TABLE requests (
        id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        method TEXT NOT NULL,
        path TEXT NOT NULL,
        account_id TEXT,
        account_name TEXT,
        status INTEGER,
        success INTEGER NOT NULL,
        error TEXT,
        latency_ms REAL NOT NULL,
        ttft_ms REAL,
        attempts INTEGER NOT NULL,
        attempt_log TEXT NOT NULL DEFAULT '[]',
        model_requested TEXT,
        model_applied TEXT,
        agent TEXT,
        session_id TEXT,
        client_key TEXT,
        stream INTEGER NOT NULL,
        stop_reason TEXT,
        input_tokens INTEGER,
        cache_read_tokens INTEGER,
        cache_write_5m_tokens INTEGER,
        cache_write_1h_tokens INTEGER,
        output_tokens INTEGER,
        cost_usd REAL,
        output_tokens_per_second REAL
      );
      -- id is part of the list order (ts DESC, id DESC), so it is in the index too: the
      -- cursor query then needs no sort.
      CREATE INDEX requests_ts ON requests (ts DESC, id DESC);
      CREATE INDEX requests_account_ts ON requests (account_id, ts);
      CREATE INDEX requests_model_ts ON requests (model_applied, ts);
      CREATE INDEX requests_session ON requests (session_id);

      -- Payloads are large and optional; a separate table keeps request scans small.
      CREATE TABLE request_payloads (
        request_id TEXT PRIMARY KEY,
        ts INTEGER NOT NULL,
        request_headers TEXT NOT NULL,
        request_body TEXT,
        response_headers TEXT,
        response_body TEXT,
        request_truncated INTEGER NOT NULL DEFAULT 0,
        response_truncated INTEGER NOT NULL DEFAULT 0
      );
      -- Retention prunes payloads by age.
      CREATE INDEX request_payloads_ts ON request_payloads (ts);
      -- A trigger instead of a foreign key: a foreign key costs a lookup on every payload
      -- insert (the hot write), the trigger costs only when requests are deleted.
      CREATE TRIGGER requests_delete_payload AFTER DELETE ON requests
      BEGIN
        DELETE FROM request_payloads WHERE request_id = OLD.id;
      END;
    `,
  },
  ANALYTICS_MIGRATION,
  KEYS_MIGRATION,
  SETTINGS_MIGRATION,
  {
    version: 5,
    name: 'payloads in segment files',
    up: `
      -- Where the payload of a request lives in <db>-payloads/ (payload-files.ts); NULL when it
      -- has none, expired, or was written before this version (then it is in request_payloads).
      ALTER TABLE requests ADD COLUMN payload_file TEXT;
      ALTER TABLE requests ADD COLUMN payload_offset INTEGER;
      ALTER TABLE requests ADD COLUMN payload_length INTEGER;
      -- Retention clears payload references of rows older than this (ts, Unix ms), so each run
      -- reads only the rows that expired since the last one. Rows older than a day before the
      -- newest existing row cannot reference a file: a record is written well within a day of
      -- its ts (the request deadline), so new rows start after this mark.
      INSERT INTO meta (key, value)
        VALUES ('payloads_pruned_before', coalesce((SELECT max(ts) FROM requests), 0) - 86400000);
    `,
  },
  {
    version: 6,
    name: 'request list indexes in ascending order',
    up: `
      -- New rows have the newest ts, and a B-tree fills best when inserts land at its right
      -- end: SQLite then starts a new page instead of splitting a full one in half. Declared
      -- DESC, each new entry landed at the left end of its range, every split left two
      -- half-empty pages, and each record cost ~3 µs more to write and 40% more pages.
      -- SQLite walks an ascending index backwards for ORDER BY ts DESC, id DESC, so the
      -- list queries read the same rows with no sort (see sqlite-maintenance.ts plans).
      DROP INDEX IF EXISTS requests_ts;
      DROP INDEX IF EXISTS requests_account_page;
      DROP INDEX IF EXISTS requests_model_page;
      DROP INDEX IF EXISTS requests_status_page;
      DROP INDEX IF EXISTS requests_error_page;
      DROP INDEX IF EXISTS requests_session_page;
      DROP INDEX IF EXISTS requests_agent_page;
      CREATE INDEX requests_ts ON requests (ts, id);
      CREATE INDEX requests_account_page
        ON requests (account_id, ts, id, success, status, model_applied, model_requested);
      CREATE INDEX requests_model_page
        ON requests (coalesce(model_applied, model_requested), ts, id, account_id, success, status);
      CREATE INDEX requests_status_page ON requests (status, ts, id);
      CREATE INDEX requests_error_page
        ON requests (ts, id, account_id, model_applied, model_requested, status) WHERE success = 0;
      CREATE INDEX requests_session_page ON requests (session_id, ts, id) WHERE session_id IS NOT NULL;
      CREATE INDEX requests_agent_page ON requests (agent, ts, id) WHERE agent IS NOT NULL;
    `,
  },
  {
    version: 7,
    name: 'attempts and recent errors per account',
    up: `
      -- Every upstream attempt on an account, whichever account served the request in the end:
      -- request_count only counts requests an account served, so one answering nothing but 429s
      -- and 529s showed 0 requests and looked healthy.
      ALTER TABLE accounts ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0;
      ALTER TABLE accounts ADD COLUMN failed_attempt_count INTEGER NOT NULL DEFAULT 0;
      -- JSON array of the latest failed attempts ({at, status, error}), oldest first, a few at most.
      ALTER TABLE accounts ADD COLUMN recent_errors TEXT NOT NULL DEFAULT '[]';
    `,
  },
  AGENTS_MIGRATION,
  {
    version: 9,
    name: 'agent instance and model fallback per request',
    up: `
      -- Claude Code's x-claude-code-agent-id: one sub-agent run (protocol.md section 7).
      ALTER TABLE requests ADD COLUMN agent_instance TEXT;
      -- 1 when every account refused the requested model and the fallback model was tried.
      ALTER TABLE requests ADD COLUMN model_fallback INTEGER NOT NULL DEFAULT 0;
    `,
  },
  AGENT_ROLLUP_MIGRATION,
  SPEED_RANGE_MIGRATION,
  {
    version: 12,
    name: 'route reason per request',
    up: `
      -- Why the strategy picked the serving account: affinity, priority, score with its parts...
      ALTER TABLE requests ADD COLUMN route_reason TEXT;
    `,
  },
  CONVERSATIONS_MIGRATION,
  KEY_LIMITS_MIGRATION,
  NOTIFY_MIGRATION,
  KEY_ROLLUP_MIGRATION,
  CONVERSATION_ANALYSES_MIGRATION,
  CONVERSATIONS_PROMPT_INDEX_MIGRATION,
  WORKERS_MIGRATION,
  NOTIFY_WINDOWS_MIGRATION,
  INSTANCE_OWNER_MIGRATION,
  CONVERSATIONS_HASH_KEY_MIGRATION,
  CONVERSATIONS_HASH_KEY_TS_MIGRATION,
];

export const LATEST_SCHEMA_VERSION = MIGRATIONS.reduce((max, m) => Math.max(max, m.version), 0);

const CREATE_MIGRATIONS_TABLE = `
  CREATE TABLE IF NOT EXISTS schema_migrations (
    version INTEGER PRIMARY KEY,
    name TEXT NOT NULL,
    applied_at INTEGER NOT NULL
  )`;

export function schemaVersion(db: Database.Database): number {
  const row = db.prepare('SELECT max(version) AS v FROM schema_migrations').get() as { v: number | null };
  return row.v ?? 0;
}

function refuseNewer(found: number, known: number): GatewayError {
  return new GatewayError(
    'config_invalid',
    `Database schema version ${found} is newer than this ccflare understands (up to ${known}); ` +
      'it was written by a newer ccflare. Upgrade ccflare, or point CCFLARE_DATABASE_URL at another database.',
  );
}

/**
 * Both programs default to ~/.config/ccflare/ccflare.db: an original ccflare's database must not
 * get this schema written into it (the migration would fail halfway on its `accounts` table, after
 * adding tables of its own). Checked before anything is written.
 */
function refuseOriginalCcflare(db: Database.Database): void {
  const columns = db.prepare('PRAGMA table_info(accounts)').all() as { name: string }[];
  if (columns.length === 0 || columns.some((c) => c.name === 'kind')) return;
  throw new GatewayError(
    'config_invalid',
    "This is an original ccflare database (ccflare's accounts table), which this gateway does not use in place. " +
      'Move its folder aside (e.g. mv ~/.config/ccflare ~/.config/ccflare-old) and bring it over with ' +
      '`ccflare import ccflare --from ~/.config/ccflare-old`, or give this gateway another home (--home, CCFLARE_HOME). ' +
      'If ccflare_DB_PATH names this file, unset it after the import: this gateway reads that variable as its own database',
  );
}

/**
 * Applies pending migrations, each in its own IMMEDIATE transaction so two processes starting
 * at once (gateway and CLI) serialize on the write lock and the loser sees the work as done.
 * Idempotent. Refuses a database whose schema is newer than this code.
 */
export function migrate(db: Database.Database, migrations: readonly Migration[] = MIGRATIONS): number[] {
  refuseOriginalCcflare(db);
  db.exec(CREATE_MIGRATIONS_TABLE);
  const known = migrations.reduce((max, m) => Math.max(max, m.version), 0);
  const current = schemaVersion(db);
  if (current > known) throw refuseNewer(current, known);

  const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
  const applied: number[] = [];
  for (const m of [...migrations].sort((a, b) => a.version - b.version)) {
    if (m.version <= current) continue;
    const applyOne = db.transaction(() => {
      const now = schemaVersion(db);
      if (now > known) throw refuseNewer(now, known);
      if (now >= m.version) return false;
      db.exec(m.up);
      record.run(m.version, m.name, Date.now());
      return true;
    });
    if (applyOne.immediate()) applied.push(m.version);
  }
  return applied;
}
