import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRebuildResumes, fixtureRecords, TEAM_B } from '../../../test/support/conversation-fixtures.js';
import { hasPg, pgStoreFactory } from '../../../test/support/pg.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import type { RequestRecord } from '../contract/records.js';
import type { Store } from '../contract/store.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { LOOKUP_SQL } from './conversations.js';
import type { PostgresStore } from './postgres-store.js';

/** Every fixture, interleaved in arrival order: sessions overlapping as they do on a busy gateway. */
function allSessions(): RequestRecord[] {
  return [
    ...fixtureRecords('plain', 'p'),
    ...fixtureRecords('branch', 'b', TEAM_B),
    ...fixtureRecords('compact', 'c'),
    ...fixtureRecords('subtasks', 's'),
  ].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
}

/** Everything the conversations API shows, for comparing two stores. */
async function view(store: Store) {
  const page = await store.conversations.list({ limit: 100 });
  const details = [];
  for (const c of page.items) details.push(await store.conversations.get(c.id));
  const links = [];
  for (const r of allSessions()) links.push([r.id, await store.conversations.linkOf(r.id)]);
  return { items: page.items, details, links };
}

describe.skipIf(!hasPg('PostgreSQL conversations'))('conversations on PostgreSQL', () => {
  const makePg = pgStoreFactory();
  let pg: PostgresStore;
  let lite: SqliteStore;

  beforeEach(async () => {
    pg = await makePg();
    lite = SqliteStore.open(':memory:');
  });
  afterEach(async () => {
    await pg.close();
    await lite.close();
  });

  it("finds a turn's parent among the newest requests with its hash without sorting all that share it", async () => {
    const c = await pg.pool.connect();
    try {
      // The table is small here: the planner is told to use an index, then the plan must not sort.
      await c.query('SET enable_seqscan = off');
      const plan = await c.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${LOOKUP_SQL.byHash.replace('$1', "'h'")}`);
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan Backward using requests_message_hash/);
      expect(text).not.toMatch(/Sort/);
    } finally {
      await c.query('RESET enable_seqscan');
      c.release();
    }
  });

  it("finds a sub-agent run's roots by the run's time range, in time order, with no index on the prompt hash", async () => {
    const c = await pg.pool.connect();
    try {
      await c.query('SET enable_seqscan = off');
      const plan = await c.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN ${LOOKUP_SQL.roots.replace('$1', "'h'").replace('$2', '1').replace('$3', '2')}`,
      );
      const text = plan.rows.map((r) => r['QUERY PLAN']).join('\n');
      expect(text).toMatch(/Index Scan using requests_ts/);
      expect(text).not.toMatch(/Sort/);
      const prompt = await c.query(`SELECT 1 FROM pg_indexes WHERE indexname = 'requests_prompt_hash'
        AND schemaname = current_schema()`);
      expect(prompt.rows).toEqual([]);
    } finally {
      await c.query('RESET enable_seqscan');
      c.release();
    }
  });

  it('links every fixture as SQLite does, written one record per batch', async () => {
    for (const r of allSessions()) {
      await pg.requests.writeBatch([r], []);
      await lite.requests.writeBatch([r], []);
    }
    const expected = await view(lite);
    expect(expected.items.map((c) => c.id).sort()).toEqual(['b-00', 'c-00', 'p-00', 's-00']);
    expect(await view(pg)).toEqual(expected);
  });

  it('links a whole batch in one commit as SQLite does, and a batch written again changes nothing', async () => {
    const rs = allSessions();
    await pg.requests.writeBatch(rs, []);
    await lite.requests.writeBatch(rs, []);
    const expected = await view(lite);
    expect(await view(pg)).toEqual(expected);
    // A retry after an uncertain commit, or a journal replay.
    await pg.requests.writeBatch(rs, []);
    expect(await view(pg)).toEqual(expected);
    expect(await pg.requests.count()).toBe(rs.length);
  });

  it('counts each request once in its conversation when a batch is written again with part of it stored', async () => {
    const rs = allSessions();
    const half = Math.floor(rs.length / 2);
    // The journal replays a batch whose first half an uncertain commit stored.
    await pg.requests.writeBatch(rs.slice(0, half), []);
    await pg.requests.writeBatch(rs, []);
    await lite.requests.writeBatch(rs, []);
    expect(await view(pg)).toEqual(await view(lite));
    expect(await pg.requests.count()).toBe(rs.length);
  });

  it('links as SQLite does however the batches are cut, with many sessions in flight', async () => {
    // Eight sessions of six turns each, one of them retried and one branched, between the fixtures.
    const sessions: RequestRecord[] = [];
    for (let s = 0; s < 8; s++) {
      const messages: unknown[] = [];
      for (let t = 0; t < 6; t++) {
        messages.push({ role: 'user', content: `session ${s} turn ${t}` });
        const body = { model: 'claude-sonnet-4-5', max_tokens: 10, system: 'sys', messages: [...messages] };
        const at = Date.UTC(2025, 0, 10) + t * 60_000 + s * 7_000;
        // Requests of one millisecond with one hash are ordered by insertion on SQLite, by id on
        // PostgreSQL: a retry and an edit arrive a second later, as they do.
        const one = (id: string, b: unknown, later = 0) =>
          sampleRecord({
            id,
            ts: at + later,
            sessionId: `sess-${s}`,
            agent: 'main',
            linkBody: Buffer.from(JSON.stringify(b)),
          });
        sessions.push(one(`m${s}-${t}`, body));
        if (s === 1 && t === 3) sessions.push(one(`m${s}-${t}-retry`, body, 1000));
        if (s === 2 && t === 4) {
          const other = [...messages.slice(0, -1), { role: 'user', content: 'edited prompt' }];
          sessions.push(one(`m${s}-${t}-edit`, { ...body, messages: other }, 1000));
        }
        messages.push({ role: 'assistant', content: `answer ${s}.${t}` });
      }
    }
    const all = [...allSessions(), ...sessions].sort((a, b) => a.ts - b.ts || (a.id < b.id ? -1 : 1));
    await lite.requests.writeBatch(all, []);
    const expected = await view(lite);
    const convs = async (store: Store) => {
      const out = [];
      for (const c of (await store.conversations.list({ limit: 100 })).items)
        out.push(await store.conversations.get(c.id));
      return out;
    };
    const expectedAll = await convs(lite);
    expect(expectedAll.length).toBe(12);
    for (const cut of [2, 3, 7]) {
      const store = await makePg();
      try {
        for (let i = 0; i < all.length; i += cut) await store.requests.writeBatch(all.slice(i, i + cut), []);
        expect(await view(store), `batches of ${cut}`).toEqual(expected);
        expect(await convs(store), `batches of ${cut}`).toEqual(expectedAll);
      } finally {
        await store.close();
      }
    }
  });

  it('reads a sub-agent session back as one conversation with two sub-tasks', async () => {
    for (const r of fixtureRecords('subtasks', 's')) await pg.requests.writeBatch([r], []);
    const page = await pg.conversations.list({ limit: 10 });
    expect(page.items).toHaveLength(1);
    expect(page.items[0]).toMatchObject({
      id: 's-00',
      requests: 4,
      branches: 3,
      subtasks: 2,
      accounts: ['acct-a'],
      keys: ['laptop'],
      agents: ['main', 'reviewer'],
      model: 'claude-opus-5-5',
      inputTokens: 40,
      outputTokens: 80,
    });
    const d = await pg.conversations.get('s-00');
    expect(d?.requests.map((r) => [r.id, r.branch, r.parentRequestId])).toEqual([
      ['s-00', 'main', null],
      ['s-01', 'subtask_1', 's-00'],
      ['s-02', 'subtask_2', 's-00'],
      ['s-03', 'main', 's-00'],
    ]);
  });

  it('pages and filters the list by account, key and first text', async () => {
    const plain = fixtureRecords('plain', 'p').map((r) => ({
      ...r,
      payload: { ...samplePayload(), requestBody: r.linkBody as Buffer },
    }));
    await pg.requests.writeBatch([...plain, ...fixtureRecords('branch', 'b', TEAM_B)], []);
    const first = await pg.conversations.list({ limit: 1 });
    const second = await pg.conversations.list({ limit: 1, cursor: first.nextCursor });
    expect([first.items[0]?.id, second.items[0]?.id].sort()).toEqual(['b-00', 'p-00']);
    expect(second.nextCursor).toBeNull();
    const ids = async (q: object) => (await pg.conversations.list({ limit: 10, ...q })).items.map((c) => c.id);
    expect(await ids({ account: 'a2' })).toEqual(['b-00']);
    expect(await ids({ account: 'acct-a' })).toEqual(['p-00']);
    expect(await ids({ clientKey: 'laptop' })).toEqual(['p-00']);
    expect(await ids({ text: 'plain TURN' })).toEqual(['p-00']);
    expect(await ids({ text: '%' })).toEqual([]);
  });

  it('retention removes a conversation once all its requests expired; clear-history removes them all', async () => {
    const old = fixtureRecords('plain', 'p');
    const recent = fixtureRecords('subtasks', 's');
    await pg.requests.writeBatch([...old, ...recent], []);
    const cut = (recent[0]?.ts as number) - 1;
    await pg.maintenance.prune({ requestsBefore: cut, payloadsBefore: cut, now: cut });
    expect((await pg.conversations.list({ limit: 10 })).items.map((c) => c.id)).toEqual(['s-00']);
    expect(await pg.conversations.get('p-00')).toBeNull();
    await pg.maintenance.clearHistory();
    expect((await pg.conversations.list({ limit: 10 })).items).toEqual([]);
  });

  it('rebuild recomputes the links of stored rows, resumes after a stop and gives the same tree', async () => {
    await expectRebuildResumes(pg);
  });

  it('keeps analyses of a conversation, the latest first', async () => {
    await pg.conversations.startAnalysis({ id: 'a1', conversationId: 'x', model: 'm', createdAt: 1 });
    await pg.conversations.startAnalysis({ id: 'a2', conversationId: 'x', model: 'm', createdAt: 2 });
    await pg.conversations.finishAnalysis('a2', { status: 'done', text: 'ok', error: null, requestId: 'r9' });
    expect(await pg.conversations.latestAnalysis('x')).toEqual({
      id: 'a2',
      conversationId: 'x',
      model: 'm',
      status: 'done',
      text: 'ok',
      error: null,
      requestId: 'r9',
      createdAt: 2,
    });
    expect(await pg.conversations.latestAnalysis('none')).toBeNull();
  });
});
