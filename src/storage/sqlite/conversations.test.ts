import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectRebuildResumes, fixtureRecords, TEAM_B } from '../../../test/support/conversation-fixtures.js';
import { samplePayload, sampleRecord } from '../../../test/support/sample-record.js';
import { BY_HASH_LOOKUP, CHILDREN_LOOKUP } from './conversations.js';
import { SqliteStore } from './sqlite-store.js';

describe('conversations in SQLite', () => {
  let store: SqliteStore;
  beforeEach(() => {
    store = SqliteStore.open(':memory:');
  });
  afterEach(() => store.close());

  it('links a sub-agent session as it is written and reads it back as one conversation with two sub-tasks', async () => {
    const rs = fixtureRecords('subtasks', 's');
    for (const r of rs) await store.requests.writeBatch([r], []);
    const page = await store.conversations.list({ limit: 10 });
    expect(page.items).toHaveLength(1);
    const c = page.items[0];
    expect(c).toMatchObject({
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
    expect(c?.firstUserText).toMatch(/^DELEGATE-TWO/);
    const d = await store.conversations.get('s-00');
    expect(d?.subtasks.map((s) => [s.branch, s.parentRequestId, s.prompt])).toEqual([
      ['subtask_1', 's-00', 'Review CLAUDE.md (part A, marker SUB-A1).'],
      ['subtask_2', 's-00', 'Review README.md (part B, marker SUB-B2).'],
    ]);
    expect(d?.requests.map((r) => [r.id, r.branch, r.parentRequestId])).toEqual([
      ['s-00', 'main', null],
      ['s-01', 'subtask_1', 's-00'],
      ['s-02', 'subtask_2', 's-00'],
      ['s-03', 'main', 's-00'],
    ]);
    expect(await store.conversations.linkOf('s-02')).toEqual({ conversationId: 's-00', branch: 'subtask_2' });
  });

  it('older clients (no agent id): the sub-agent whose first message is the Task prompt is moved under the turn that started it', async () => {
    const body = (messages: unknown[]) => Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages }));
    const user = (content: unknown) => ({ role: 'user', content });
    const use = { type: 'tool_use', id: 'toolu_9', name: 'Task', input: { prompt: 'Check the README for typos.' } };
    const result = { type: 'tool_result', tool_use_id: 'toolu_9', content: 'no typos' };
    const rec = (id: string, ts: number, messages: unknown[]) =>
      sampleRecord({ id, ts, sessionId: 'sess', linkBody: body(messages) });
    await store.requests.writeBatch([rec('p1', 1000, [user('review please')])], []);
    // Older rows of the same words outside the run's window stay where they are.
    await store.requests.writeBatch([rec('s0', 900, [user('Check the README for typos.')])], []);
    await store.requests.writeBatch([rec('s1', 1100, [user('Check the README for typos.')])], []);
    await store.requests.writeBatch(
      [rec('p2', 1300, [user('review please'), { role: 'assistant', content: [use] }, user([result])])],
      [],
    );
    const d = await store.conversations.get('p1');
    expect(d?.subtasks.map((t) => [t.branch, t.parentRequestId, t.prompt])).toEqual([
      ['subtask_1', 'p1', 'Check the README for typos.'],
    ]);
    expect(await store.conversations.linkOf('s1')).toEqual({ conversationId: 'p1', branch: 'subtask_1' });
    expect(await store.conversations.linkOf('s0')).toEqual({ conversationId: 's0', branch: 'main' });
  });

  it('joins the conversation with fewer requests counting those of its own batch (summaries written at commit)', async () => {
    const body = (messages: unknown[]) => Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages }));
    const user = (content: string) => ({ role: 'user', content });
    const said = (content: string) => ({ role: 'assistant', content });
    const rec = (id: string, ts: number, sessionId: string, messages: unknown[]) =>
      sampleRecord({ id, ts, sessionId, linkBody: body(messages) });
    const records = [
      rec('b0', 1000, 'sb', [user('hi')]),
      rec('a0', 1100, 'sa', [user('hi')]),
      rec('a1', 1200, 'sa', [user('hi'), said('yo'), user('next')]),
      // Another session's turn on "hi": a0 (newer) and b0 hold it; a0's conversation has 2 requests by now.
      rec('c0', 1300, 'sc', [user('hi'), said('hey'), user('other')]),
    ];
    const apart = SqliteStore.open(':memory:');
    try {
      for (const r of records) await apart.requests.writeBatch([r], []);
      await store.requests.writeBatch(records, []);
      for (const s of [apart, store]) {
        expect(await s.conversations.linkOf('c0')).toEqual({ conversationId: 'b0', branch: 'main' });
        const page = await s.conversations.list({ limit: 10 });
        expect(page.items.map((c) => [c.id, c.requests, c.firstAt, c.lastAt])).toEqual([
          ['b0', 2, 1000, 1300],
          ['a0', 2, 1100, 1200],
        ]);
      }
    } finally {
      apart.close();
    }
  });

  it('a batch that fails leaves no conversation summary behind for the next one', async () => {
    const body = (text: string) =>
      Buffer.from(JSON.stringify({ model: 'claude-sonnet-4-5', messages: [{ role: 'user', content: text }] }));
    const good = sampleRecord({ id: 'r1', ts: 1000, linkBody: body('first') });
    // Its attempt log cannot be written (JSON of a BigInt): the batch rolls back after r1's link.
    const bad = sampleRecord({ id: 'r2', ts: 1001, linkBody: body('second'), attemptLog: [10n as never] });
    await expect(store.requests.writeBatch([good, bad], [])).rejects.toThrow();
    await store.requests.writeBatch([sampleRecord({ id: 'r3', ts: 1002, linkBody: body('third') })], []);
    const page = await store.conversations.list({ limit: 10 });
    expect(page.items.map((c) => [c.id, c.requests])).toEqual([['r3', 1]]);
  });

  it("a turn's siblings are read by its parent hash, not by reading the whole conversation", () => {
    const plan = (
      store.connection.prepare(`EXPLAIN QUERY PLAN ${CHILDREN_LOOKUP}`).all('h', 'h', 'c') as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
    expect(plan).toMatch(/USING INDEX requests_parent_key \(<expr>=\?\)/);
  });

  it("a turn's parent is found through the message-hash key index", () => {
    const plan = (
      store.connection.prepare(`EXPLAIN QUERY PLAN ${BY_HASH_LOOKUP}`).all('h', 'h') as { detail: string }[]
    )
      .map((r) => r.detail)
      .join('\n');
    // Newest first from the index itself: no sort of every request that shares the hash.
    expect(plan).toMatch(/USING INDEX requests_message_key_ts \(<expr>=\?\)/);
    expect(plan).not.toMatch(/TEMP B-TREE/);
  });

  it('requests whose hashes share the indexed prefix stay apart', async () => {
    const rec = (id: string, ts: number, messages: unknown[]) =>
      sampleRecord({ id, ts, sessionId: null, linkBody: Buffer.from(JSON.stringify({ messages })) });
    await store.requests.writeBatch([rec('a1', 1000, [{ role: 'user', content: 'alpha' }])], []);
    await store.requests.writeBatch([rec('b1', 1001, [{ role: 'user', content: 'beta' }])], []);
    const hashOf = (id: string) =>
      (store.connection.prepare('SELECT message_hash AS h FROM requests WHERE id = ?').get(id) as { h: string }).h;
    // Give b1 a hash that shares a1's first 8 digits: the lookup must still tell them apart.
    const shared = `${hashOf('a1').slice(0, 8)}${'0'.repeat(24)}`;
    store.connection.prepare('UPDATE requests SET message_hash = ? WHERE id = ?').run(shared, 'b1');
    const turn = (id: string, ts: number, first: string) =>
      rec(id, ts, [
        { role: 'user', content: first },
        { role: 'assistant', content: 'ok' },
        { role: 'user', content: 'next' },
      ]);
    await store.requests.writeBatch([turn('a2', 1002, 'alpha')], []);
    expect(await store.conversations.linkOf('a2')).toEqual({ conversationId: 'a1', branch: 'main' });
    expect((await store.conversations.get('b1'))?.requests.map((r) => r.id)).toEqual(['b1']);
  });

  it('retention removes a conversation once all its requests expired; clear-history removes them all', async () => {
    const old = fixtureRecords('plain', 'p');
    const recent = fixtureRecords('subtasks', 's');
    await store.requests.writeBatch([...old, ...recent], []);
    const cut = (recent[0]?.ts as number) - 1;
    expect((old.at(-1)?.ts as number) < cut).toBe(true);
    await store.maintenance.prune({ requestsBefore: cut, payloadsBefore: cut, now: cut });
    expect((await store.conversations.list({ limit: 10 })).items.map((c) => c.id)).toEqual(['s-00']);
    expect(await store.conversations.get('p-00')).toBeNull();
    await store.maintenance.clearHistory();
    expect((await store.conversations.list({ limit: 10 })).items).toEqual([]);
    expect(await store.conversations.get('s-00')).toBeNull();
  });

  it('links a whole batch in one commit, uses the captured body when it is the whole body, and pages with filters', async () => {
    const plain = fixtureRecords('plain', 'p').map((r) => ({
      ...r,
      payload: { ...samplePayload(), requestBody: r.linkBody as Buffer },
    }));
    const branch = fixtureRecords('branch', 'b', TEAM_B);
    await store.requests.writeBatch([...plain, ...branch], []);
    const all = await store.conversations.list({ limit: 1 });
    expect(all.items).toHaveLength(1);
    const second = await store.conversations.list({ limit: 1, cursor: all.nextCursor });
    expect([all.items[0]?.id, second.items[0]?.id].sort()).toEqual(['b-00', 'p-00']);
    expect(second.nextCursor).toBeNull();

    expect((await store.conversations.list({ limit: 10, account: 'a2' })).items.map((c) => c.id)).toEqual(['b-00']);
    expect((await store.conversations.list({ limit: 10, account: 'acct-a' })).items.map((c) => c.id)).toEqual(['p-00']);
    expect((await store.conversations.list({ limit: 10, clientKey: 'laptop' })).items.map((c) => c.id)).toEqual([
      'p-00',
    ]);
    expect((await store.conversations.list({ limit: 10, text: 'plain TURN' })).items.map((c) => c.id)).toEqual([
      'p-00',
    ]);
    expect((await store.conversations.list({ limit: 10, text: '%' })).items).toEqual([]);
    const b = await store.conversations.get('b-00');
    expect(b?.summary).toMatchObject({ requests: 3, branches: 2 });
    expect(b?.requests.map((r) => r.branch)).toEqual(['main', 'main', 'branch_1']);
  });

  it('rebuild recomputes the links of stored rows, resumes after a stop and gives the same tree', async () => {
    await expectRebuildResumes(store);
  });
});

describe('migration 22 (hash lookups through prefix indexes)', () => {
  it('a database linked before it shows the same tree after it, and its next turn branches from the stored rows', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ccflare-hash-key-'));
    try {
      const path = join(dir, 'gateway.db');
      const records = fixtureRecords('branch', 'b');
      expect(records).toHaveLength(3);
      const before = SqliteStore.open(path);
      await before.requests.writeBatch(records.slice(0, 2), []);
      const tree = (await before.conversations.get('b-00'))?.requests.map((r) => [r.id, r.branch, r.parentRequestId]);
      await before.close();
      // Back to version 21's schema: the rows are the same, only the hash indexes differ.
      const raw = new Database(path);
      raw.exec(`DROP INDEX requests_message_key_ts; DROP INDEX requests_parent_key;
        CREATE INDEX requests_message_hash ON requests (message_hash) WHERE message_hash IS NOT NULL;
        CREATE INDEX requests_parent_hash ON requests (parent_message_hash) WHERE parent_message_hash IS NOT NULL;
        DELETE FROM schema_migrations WHERE version IN (22, 23);`);
      raw.close();

      const after = SqliteStore.open(path);
      try {
        const d = await after.conversations.get('b-00');
        expect(d?.requests.map((r) => [r.id, r.branch, r.parentRequestId])).toEqual(tree);
        await after.requests.writeBatch(records.slice(2), []);
        expect((await after.conversations.get('b-00'))?.requests.map((r) => r.branch)).toEqual([
          'main',
          'main',
          'branch_1',
        ]);
        const indexes = after.connection
          .prepare("SELECT name FROM sqlite_schema WHERE type = 'index' AND name LIKE 'requests_%_hash'")
          .all();
        expect(indexes).toEqual([]);
      } finally {
        await after.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
