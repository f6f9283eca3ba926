import { randomBytes } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { makeRecords } from '../../bench/seed-records.js';
import { hasPg, PG_URL, pgStoreFactory } from '../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../test/support/sample-record.js';
import { createSecretBox } from '../crypto/secret-box.js';
import type { PostgresStore } from './postgres/postgres-store.js';
import { SqliteStore } from './sqlite/sqlite-store.js';
import { migrateSqliteToPostgres, type TableCount } from './sqlite-to-postgres.js';

const ROWS = Number(process.env.CCFLARE_MIGRATE_ROWS ?? 5000);
const box = createSecretBox(randomBytes(32));

function schemaUrl(store: PostgresStore): string {
  const u = new URL(PG_URL);
  u.searchParams.set('options', `-c search_path=${store.options.schema}`);
  return u.toString();
}

function conversationRecords() {
  const dir = join(import.meta.dirname, '..', 'conversations', '__fixtures__');
  const reqs = JSON.parse(readFileSync(join(dir, 'subtasks.json'), 'utf8')).requests as {
    at: number;
    sessionId: string | null;
    agentId: string | null;
    body: unknown;
  }[];
  return reqs.map((r, i) =>
    sampleRecord({
      id: `conv-${String(i).padStart(2, '0')}`,
      ts: r.at,
      sessionId: r.sessionId,
      agentInstance: r.agentId,
      path: '/v1/messages?beta=true',
      linkBody: Buffer.from(JSON.stringify(r.body)),
      payload: { ...samplePayload(), requestBody: JSON.stringify(r.body) },
    }),
  );
}

/** A SQLite installation: accounts with encrypted tokens, keys with limits, settings, agents, requests. */
async function seed(path: string, rows: number): Promise<void> {
  const store = SqliteStore.open(path);
  const now = Date.now();
  const accounts = [];
  for (let i = 1; i <= 5; i++) {
    accounts.push(
      await store.accounts.insert(
        {
          name: `account-${i}`,
          kind: 'max',
          accessTokenEnc: box.encrypt(`sk-ant-oat-${i}`),
          expiresAt: now + 3600_000,
        },
        now,
      ),
    );
  }
  await store.keys.insert({ name: 'laptop', prefix: 'ccf_lap', digest: 'd1' }, now);
  await store.keys.setLimits(
    'laptop',
    { rpm: 30, tokensPerDay: 100_000, costPerMonthUsd: 12.5, models: ['claude-sonnet-4-5'] },
    now,
  );
  await store.settings.put({ strategy: 'priority', retentionDays: 14 }, now);
  await store.agents.setPreferences(
    [{ agentId: 'code-reviewer', agentName: 'code-reviewer', model: 'claude-opus-4-1' }],
    now,
  );
  const next = makeRecords(rows, now, accounts);
  for (let i = 0; i < rows; i += 1000) {
    const batch = [];
    for (let k = i; k < Math.min(rows, i + 1000); k++) batch.push(next(k));
    await store.requests.writeBatch(batch, []);
  }
  for (const r of conversationRecords()) await store.requests.writeBatch([r], []);
  await store.close();
}

function mismatches(counts: TableCount[]): TableCount[] {
  return counts.filter((c) => c.source !== c.target);
}

describe.runIf(hasPg('sqlite to postgres'))('migrating a SQLite installation to PostgreSQL', () => {
  const openPg = pgStoreFactory();
  let dir: string;
  let dbPath: string;
  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-migrate-'));
    dbPath = join(dir, 'ccflare.db');
    await seed(dbPath, ROWS);
  }, 120_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('copies every table with the same counts, secrets, keys, payloads and conversation links; a rerun adds nothing', async () => {
    const target = await openPg();
    const url = schemaUrl(target);
    const started = performance.now();
    const counts = await migrateSqliteToPostgres({ sqlitePath: dbPath, pgUrl: url });
    const s = (performance.now() - started) / 1000;
    const all = counts.reduce((n, c) => n + c.source, 0);
    // CCFLARE_MIGRATE_ROWS=100000: 100k requests with their rollups, ~35 s on the 2-core CI box.
    console.log(
      `migrated ${ROWS} requests (${all} rows in all tables) in ${s.toFixed(1)} s (${Math.round(all / s)} rows/s)`,
    );
    expect(mismatches(counts)).toEqual([]);
    const byTable = new Map(counts.map((c) => [c.table, c]));
    expect(byTable.get('requests')?.target).toBe(ROWS + conversationRecords().length);
    expect(byTable.get('request_payloads')?.target).toBe(conversationRecords().length);
    expect(byTable.get('accounts')?.target).toBe(5);
    expect(byTable.get('rollup_hour')?.source).toBeGreaterThan(0);

    const source = SqliteStore.open(dbPath);
    try {
      const [a] = await target.accounts.list();
      expect(a?.accessTokenEnc).toBeTruthy();
      expect(box.decrypt(a?.accessTokenEnc as string)).toMatch(/^sk-ant-oat-\d$/);
      const srcAcc = (await source.accounts.list()).find((x) => x.id === a?.id);
      expect(box.decrypt(srcAcc?.accessTokenEnc as string)).toBe(box.decrypt(a?.accessTokenEnc as string));

      const [key] = await target.keys.list();
      expect(key).toMatchObject({ name: 'laptop', limits: { rpm: 30, models: ['claude-sonnet-4-5'] } });
      expect(await target.settings.get()).toEqual(await source.settings.get());
      expect(await target.agents.listPreferences()).toEqual(await source.agents.listPreferences());

      const got = await target.requests.get('conv-02');
      const want = await source.requests.get('conv-02');
      expect(got?.payload).toEqual(want?.payload);
      expect(got?.payload?.requestBody).toContain('"messages"');
      expect(await target.conversations.linkOf('conv-02')).toEqual(await source.conversations.linkOf('conv-02'));
      expect(await target.conversations.linkOf('conv-02')).not.toBeNull();
    } finally {
      await source.close();
    }

    const again = await migrateSqliteToPostgres({ sqlitePath: dbPath, pgUrl: url });
    expect(again).toEqual(counts);
  }, 300_000);

  it('completes an interrupted run on the next one', async () => {
    const target = await openPg();
    const url = schemaUrl(target);
    let seen = 0;
    await expect(
      migrateSqliteToPostgres({
        sqlitePath: dbPath,
        pgUrl: url,
        batchSize: 500,
        afterBatch: (table, copied) => {
          if (table === 'requests' && copied >= 1000) {
            seen = copied;
            throw new Error('stopped');
          }
        },
      }),
    ).rejects.toThrow('stopped');
    expect(seen).toBe(1000);
    expect(await target.requests.count()).toBe(1000);
    const counts = await migrateSqliteToPostgres({ sqlitePath: dbPath, pgUrl: url, batchSize: 500 });
    expect(mismatches(counts)).toEqual([]);
    expect(await target.requests.count()).toBe(ROWS + conversationRecords().length);
  }, 300_000);

  it("refuses a target holding another installation's data, and a missing SQLite file", async () => {
    const target = await openPg();
    await target.accounts.insert({ name: 'elsewhere', kind: 'max' }, Date.now());
    await expect(migrateSqliteToPostgres({ sqlitePath: dbPath, pgUrl: schemaUrl(target) })).rejects.toThrow(
      /already holds another installation's data \(1 accounts\)/,
    );
    await expect(
      migrateSqliteToPostgres({ sqlitePath: join(dir, 'nope.db'), pgUrl: schemaUrl(target) }),
    ).rejects.toThrow(/No SQLite database at .*nope\.db/);
  });
});
