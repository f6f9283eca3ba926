import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { sampleRecord } from '../../../test/support/sample-record.js';
import type { AccountUsageDelta, RequestRecord } from '../contract/records.js';
import { SqliteStore } from '../sqlite/sqlite-store.js';
import { InlineRecordWriter } from './inline-writer.js';

const root = mkdtempSync(join(tmpdir(), 'ccflare-journaled-'));
let n = 0;
const freshDir = () => join(root, `j${++n}`);

afterAll(() => {
  rmSync(root, { recursive: true, force: true });
});

/** A store whose disk is full until `full` is set false (better-sqlite3 throws SQLITE_FULL). */
function fullDiskStore() {
  const store = SqliteStore.open(':memory:');
  const state = { full: true, refused: 0 };
  const writeBatch = async (records: RequestRecord[], usage: AccountUsageDelta[]) => {
    if (state.full) {
      state.refused += 1;
      throw Object.assign(new Error('database or disk is full'), { code: 'SQLITE_FULL' });
    }
    await store.requests.writeBatch(records, usage);
  };
  return { store, state, flaky: { requests: { writeBatch } } };
}

describe('a record writer whose database cannot take writes', () => {
  it('keeps every record in the journal while the disk is full, then writes each once when it has room again', async () => {
    const { store, state, flaky } = fullDiskStore();
    const acc = await store.accounts.insert({ name: 'a', kind: 'max' }, 1);
    const errors: unknown[] = [];
    const journalDir = freshDir();
    const writer = new InlineRecordWriter(flaky, { journalDir, onError: (e) => errors.push(e) });
    try {
      for (let i = 0; i < 250; i++) writer.enqueue(sampleRecord({ id: `r${i}`, accountId: acc.id, latencyMs: 1 }));
      await writer.flush();
      expect(state.refused).toBeGreaterThan(0);
      expect(writer.health()).toMatchObject({
        waiting: 250,
        dropped: 0,
        lastError: expect.stringMatching(/SQLITE_FULL/),
      });
      // Said once for the outage, not once per batch.
      expect(errors.map(String).filter((m) => /wait in the journal/.test(m))).toHaveLength(1);
      expect(await store.requests.count()).toBe(0);

      state.full = false;
      // The next record's commit shows the database works again: what waits follows it.
      writer.enqueue(sampleRecord({ id: 'after', accountId: acc.id, latencyMs: 1 }));
      await writer.flush();
      await vi.waitFor(() => expect(writer.health().waiting).toBe(0));
      expect(await store.requests.count()).toBe(251);
      expect((await store.accounts.get(acc.id))?.requestCount).toBe(251);
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 0, lastError: null });
      await writer.close();
      expect(readdirSync(journalDir)).toEqual([]);
    } finally {
      await writer.close();
      await store.close();
    }
  });

  it('leaves what still waits at close in the journal, and the next writer on it writes it', async () => {
    const { store, state, flaky } = fullDiskStore();
    const journalDir = freshDir();
    const first = new InlineRecordWriter(flaky, { journalDir, onError: () => {} });
    for (let i = 0; i < 20; i++) first.enqueue(sampleRecord({ id: `r${i}` }));
    await first.close();
    expect(readdirSync(journalDir)).toHaveLength(1);

    state.full = false;
    const second = new InlineRecordWriter(flaky, { journalDir, onError: () => {} });
    try {
      expect(second.health().waiting).toBe(20);
      await second.replayJournal();
      expect(await store.requests.count()).toBe(20);
      expect(second.health().waiting).toBe(0);
      expect(readdirSync(journalDir)).toEqual([]);
    } finally {
      await second.close();
      await store.close();
    }
  });

  it('retries on its own, backing off, when no new record shows the database is back', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const { store, state, flaky } = fullDiskStore();
    const writer = new InlineRecordWriter(flaky, { journalDir: freshDir(), onError: () => {} });
    try {
      writer.enqueue(sampleRecord({ id: 'r1' }));
      await writer.flush();
      expect(writer.health().waiting).toBe(1);
      state.full = false;
      await vi.advanceTimersByTimeAsync(1000);
      await vi.waitFor(() => expect(writer.health().waiting).toBe(0));
      expect(await store.requests.count()).toBe(1);
    } finally {
      vi.useRealTimers();
      await writer.close();
      await store.close();
    }
  });

  it('counts records as dropped only when the journal cannot take them either', async () => {
    const { store, flaky } = fullDiskStore();
    const journalDir = freshDir();
    const errors: unknown[] = [];
    const writer = new InlineRecordWriter(flaky, { journalDir, onError: (e) => errors.push(e) });
    try {
      // The journal's disk fails as well: its directory is gone and a file stands in its place.
      rmSync(journalDir, { recursive: true });
      writeFileSync(journalDir, '');
      for (let i = 0; i < 3; i++) writer.enqueue(sampleRecord({ id: `r${i}` }));
      await writer.flush();
      expect(writer.health()).toMatchObject({ waiting: 0, dropped: 3, lastDroppedAt: expect.any(Number) });
      expect(errors.map(String).some((m) => /3 request record\(s\) could not be written/.test(m))).toBe(true);
    } finally {
      await writer.close();
      await store.close();
      rmSync(journalDir, { force: true });
    }
  });
});
