import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import Database from 'better-sqlite3';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { describeStoreContract } from '../../../test/conformance/index.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { GatewayError } from '../../errors.js';
import { openStoreFromUrl, sqlitePathFromUrl } from '../open-store.js';
import { buildCcflareFixture } from './__fixtures__/ccflare-db.js';
import { openDatabase } from './connection.js';
import { LATEST_SCHEMA_VERSION, MIGRATIONS, migrate, schemaVersion } from './migrations.js';
import { SqliteStore } from './sqlite-store.js';

const dir = mkdtempSync(join(tmpdir(), 'ccflare-store-'));
let n = 0;
const freshPath = () => join(dir, `t${++n}`, 'ccflare.db');

afterAll(() => {
  rmSync(dir, { recursive: true, force: true });
});

describeStoreContract('sqlite file', async () => SqliteStore.open(freshPath()));
describeStoreContract('sqlite :memory:', async () => SqliteStore.open(':memory:'));

describe('migrations', () => {
  const dbs: Database.Database[] = [];
  const open = (path = freshPath()) => {
    mkdirSync(dirname(path), { recursive: true });
    const db = openDatabase(path);
    dbs.push(db);
    migrate(db);
    return db;
  };
  afterEach(() => {
    for (const db of dbs.splice(0)) db.close();
  });

  it('brings a fresh database to the latest version, recording each migration', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
    expect(rows).toEqual(MIGRATIONS.map((m) => ({ version: m.version, name: m.name })));
    const tables = db
      .prepare("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
      .all()
      .map((r) => (r as { name: string }).name);
    expect(tables).toEqual([
      'accounts',
      'admin_key',
      'agent_preferences',
      'agent_rollup_hour',
      'agent_rollup_minute',
      'client_keys',
      'conversation_analyses',
      'conversation_subtasks',
      'conversations',
      'key_rollup_hour',
      'key_rollup_minute',
      'meta',
      'notify_channels',
      'notify_deliveries',
      'notify_inbox',
      'notify_rules',
      'notify_windows',
      'request_payloads',
      'requests',
      'rollup_hour',
      'rollup_minute',
      'schema_migrations',
      'settings',
      'worker_approvals',
      'worker_logs',
      'worker_template_uses',
      'workers',
      'workspaces',
    ]);
  });

  it('version 16 sums the client-key requests stored before it into the key rollups', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    migrate(
      db,
      MIGRATIONS.filter((m) => m.version < 16),
    );
    const now = Date.now();
    const insert = db.prepare(
      'INSERT INTO requests (id, ts, method, path, success, stream, latency_ms, attempts, attempt_log, client_key, input_tokens, output_tokens, cost_usd) VALUES (?, ?, ?, ?, 1, 0, 10, 1, ?, ?, ?, ?, ?)',
    );
    insert.run('a', now - 60_000, 'POST', '/v1/messages', '[]', 'laptop', 3, 4, 0.5);
    insert.run('b', now - 30_000, 'POST', '/v1/messages', '[]', 'laptop', 1, 1, 0.25);
    insert.run('c', now - 30_000, 'POST', '/v1/messages', '[]', null, 1, 1, 0.25);
    insert.run('d', now - 10 * 86_400_000, 'POST', '/v1/messages', '[]', 'laptop', 1, 1, 1);
    expect(migrate(db)).toEqual(MIGRATIONS.filter((m) => m.version >= 16).map((m) => m.version));
    const sum = (table: string) =>
      db.prepare(`SELECT sum(requests) AS n, sum(input_tokens) AS i, sum(cost_usd) AS c FROM ${table}`).get();
    expect(sum('key_rollup_hour')).toEqual({ n: 3, i: 5, c: 1.75 });
    // Minute rollups only for the last two days, as version 2 did.
    expect(sum('key_rollup_minute')).toEqual({ n: 2, i: 4, c: 0.75 });
  });

  it('is a no-op the second time', () => {
    const db = open();
    const before = db.prepare('SELECT * FROM schema_migrations').all();
    expect(migrate(db)).toEqual([]);
    expect(db.prepare('SELECT * FROM schema_migrations').all()).toEqual(before);
  });

  it('applies only the migrations a database lacks', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    const next = LATEST_SCHEMA_VERSION + 1;
    const extra = { version: next, name: 'add a column', up: 'ALTER TABLE accounts ADD COLUMN note TEXT' };
    expect(migrate(db)).toEqual(MIGRATIONS.map((m) => m.version));
    expect(migrate(db, [...MIGRATIONS, extra])).toEqual([next]);
    expect(schemaVersion(db)).toBe(next);
  });

  it('rolls back a failing migration as a whole', () => {
    const db = new Database(':memory:');
    dbs.push(db);
    migrate(db);
    const bad = {
      version: LATEST_SCHEMA_VERSION + 1,
      name: 'bad',
      up: 'CREATE TABLE half (x INTEGER); SELECT * FROM no_such_table;',
    };
    expect(() => migrate(db, [...MIGRATIONS, bad])).toThrow(/no_such_table/);
    expect(schemaVersion(db)).toBe(LATEST_SCHEMA_VERSION);
    expect(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get()).toBeUndefined();
  });

  it('refuses a database written by a newer ccflare', () => {
    const path = freshPath();
    const db = open(path);
    db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)').run(
      LATEST_SCHEMA_VERSION + 1,
      'from the future',
      Date.now(),
    );
    let err: unknown;
    try {
      migrate(db);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    expect((err as GatewayError).code).toBe('config_invalid');
    expect((err as GatewayError).message).toMatch(
      new RegExp(`schema version ${LATEST_SCHEMA_VERSION + 1} is newer than this ccflare understands`),
    );
    expect(() => SqliteStore.open(path)).toThrow(/newer than this ccflare/);
  });

  it("refuses an original ccflare's database and writes nothing into it", () => {
    const original = mkdtempSync(join(tmpdir(), 'ccflare-original-'));
    try {
      const { dbPath } = buildCcflareFixture(original, { now: 1_700_000_000_000, requests: 5 });
      const before = readFileSync(dbPath);
      expect(() => SqliteStore.open(dbPath)).toThrow(
        /original ccflare database .*ccflare import ccflare --from.*unset ccflare_DB_PATH|original ccflare database .*ccflare import ccflare --from.*ccflare_DB_PATH names this file/,
      );
      expect(readFileSync(dbPath).equals(before)).toBe(true);
      const check = new Database(dbPath, { readonly: true });
      expect(check.prepare("SELECT name FROM sqlite_master WHERE name = 'schema_migrations'").get()).toBeUndefined();
      check.close();
    } finally {
      rmSync(original, { recursive: true, force: true });
    }
  });
});

describe('SqliteStore (SQLite specifics)', () => {
  const stores: SqliteStore[] = [];
  const open = (path = freshPath()) => {
    const s = SqliteStore.open(path);
    stores.push(s);
    return s;
  };
  afterEach(async () => {
    for (const s of stores.splice(0)) await s.close();
  });

  it('creates the parent directory and runs with WAL, NORMAL sync, busy timeout and foreign keys', () => {
    const s = open(join(dir, 'deep', 'er', 'x.db'));
    const db = s.connection;
    expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
    expect(db.pragma('synchronous', { simple: true })).toBe(1);
    expect(db.pragma('busy_timeout', { simple: true })).toBe(5000);
    expect(db.pragma('foreign_keys', { simple: true })).toBe(1);
  });

  it('sees an account change made by another connection (the CLI) through accounts.revision()', async () => {
    const path = freshPath();
    const gateway = open(path);
    const cli = open(path);
    const a = await gateway.accounts.insert({ name: 'shared', kind: 'max' }, 1);
    const rev = await gateway.accounts.revision();

    await cli.accounts.update(a.id, { paused: true });
    const afterUpdate = await gateway.accounts.revision();
    expect(afterUpdate).toBeGreaterThan(rev);
    expect((await gateway.accounts.get(a.id))?.paused).toBe(true);

    // A raw statement from a process that bypasses the store still moves the counter.
    const raw = new Database(path);
    try {
      raw.prepare('DELETE FROM accounts WHERE id = ?').run(a.id);
    } finally {
      raw.close();
    }
    expect(await gateway.accounts.revision()).toBeGreaterThan(afterUpdate);
  });

  it('deletes a legacy-table payload with its request', async () => {
    // Only an in-memory database still writes payloads to the table; files keep theirs in segments.
    const s = open(':memory:');
    await s.requests.writeBatch([sampleRecord({ id: 'p', payload: samplePayload() })], []);
    expect(s.connection.prepare('SELECT count(*) AS n FROM request_payloads').get()).toEqual({ n: 1 });
    s.connection.prepare('DELETE FROM requests WHERE id = ?').run('p');
    expect(s.connection.prepare('SELECT count(*) AS n FROM request_payloads').get()).toEqual({ n: 0 });
  });

  it('uses the indexes for the common request queries', () => {
    const db = open().connection;
    const plan = (sql: string) =>
      (db.prepare(`EXPLAIN QUERY PLAN ${sql}`).all() as { detail: string }[]).map((r) => r.detail).join('; ');
    expect(plan("SELECT * FROM requests WHERE (ts, id) < (1, 'x') ORDER BY ts DESC, id DESC LIMIT 50")).toMatch(
      /requests_ts/,
    );
    expect(plan("SELECT * FROM requests WHERE session_id = 's' ORDER BY ts DESC LIMIT 50")).toMatch(/requests_session/);
  });
});

describe('gateway writes while another connection holds the write lock', () => {
  it('wait on a timer, keeping the event loop running, and land once the lock is free', async () => {
    const store = SqliteStore.open(freshPath());
    const other = new Database(store.path);
    try {
      const a = await store.accounts.insert({ name: 'a', kind: 'max' }, 1);
      const key = await store.keys.insert({ name: 'laptop', prefix: 'ccf_x', digest: 'd' }, 1);
      vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
      // The record writer's worker or a CLI command in the middle of a transaction.
      other.exec('BEGIN IMMEDIATE');
      let settled = false;
      // SQLite's own busy handler would sleep this thread here until it gave up with SQLITE_BUSY.
      const update = store.accounts.update(a.id, { priority: 7 }).finally(() => {
        settled = true;
      });
      const swap = store.accounts.swapTokens(a.id, null, {
        accessTokenEnc: 'at',
        refreshTokenEnc: 'rt',
        refreshFp: 'fp',
        expiresAt: 9,
      });
      const touch = store.keys.touch([{ id: key.id, at: 50 }]);
      await vi.advanceTimersByTimeAsync(150);
      expect(settled).toBe(false);
      other.exec('COMMIT');
      // Nothing lands before the next retry's timer.
      await Promise.resolve();
      expect(settled).toBe(false);
      await vi.advanceTimersByTimeAsync(50);
      expect(settled).toBe(true);
      await update;
      expect(await swap).toBe(true);
      await touch;
      expect((await store.keys.list()).map((k) => k.lastUsedAt)).toEqual([50]);
      const row = await store.accounts.get(a.id);
      expect(row?.priority).toBe(7);
      expect(row?.refreshFp).toBe('fp');
    } finally {
      vi.useRealTimers();
      other.close();
      await store.close();
    }
  });
});

describe('openStoreFromUrl', () => {
  it('maps sqlite URLs to paths', () => {
    expect(sqlitePathFromUrl('sqlite::memory:')).toBe(':memory:');
    expect(sqlitePathFromUrl('sqlite:/var/lib/ccflare/db.sqlite')).toBe('/var/lib/ccflare/db.sqlite');
    expect(sqlitePathFromUrl('sqlite:///var/lib/x.db')).toBe('/var/lib/x.db');
    expect(sqlitePathFromUrl('sqlite:rel/x.db')).toBe('rel/x.db');
  });

  it('opens a migrated store', async () => {
    const path = freshPath();
    const s = await openStoreFromUrl(`sqlite:${path}`);
    try {
      expect(s.kind).toBe('sqlite');
      await s.migrate();
      expect(await s.accounts.list()).toEqual([]);
    } finally {
      await s.close();
    }
  });

  it('explains the schemes it does not support, without echoing credentials', async () => {
    await expect(openStoreFromUrl('mysql://u:secret@h/db')).rejects.toThrow(
      /scheme "mysql:".*use sqlite:<path> or postgres:\/\//,
    );
    await expect(openStoreFromUrl('/plain/path.db')).rejects.toThrow(/without a scheme/);
    await expect(openStoreFromUrl('sqlite:')).rejects.toThrow(/no path/);
    expect(() => sqlitePathFromUrl('postgres://u:secret@h/db')).toThrow(/names a PostgreSQL database/);
    const err = await openStoreFromUrl('mysql://u:secret@h/db').then(
      () => null,
      (e: unknown) => e,
    );
    expect((err as GatewayError).code).toBe('config_invalid');
    expect((err as Error).message).not.toContain('secret');
  });
});
