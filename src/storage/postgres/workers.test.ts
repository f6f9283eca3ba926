import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { hasPg, pgStoreFactory } from '../../../test/support/pg.js';
import type { PostgresStore } from './postgres-store.js';

const T0 = 1_700_000_000_000;

describe.runIf(hasPg('postgres workers'))('postgres workers', () => {
  const open = pgStoreFactory();
  let store: PostgresStore;
  beforeEach(async () => {
    store = await open();
    await store.workers.insert(
      {
        id: 'w1',
        name: 'alpha',
        prompt: 'Inspect the build output',
        templateId: null,
        cwd: '/tmp/project',
        model: null,
        policy: 'low',
        maxTurns: null,
        budgetUsd: null,
        state: 'running',
        stateReason: null,
        queuedAt: T0,
      },
      T0,
    );
  });
  afterEach(async () => {
    await store.close();
  });

  // PostgreSQL text cannot hold U+0000, which a tool printing a binary file produces; SQLite can.
  it('keeps log entries and progress whose text holds a NUL character, marking where it was', async () => {
    const appended = await store.workers.appendLogs(
      'w1',
      [
        { at: T0, kind: 'tool_result', text: 'ELF\u0000\u0001 header', data: { out: 'a\u0000b' } },
        { at: T0 + 1, kind: 'assistant', text: 'That is a binary', data: null },
      ],
      100,
    );
    expect(appended.map((e) => e.text)).toEqual(['ELF\uFFFD\u0001 header', 'That is a binary']);
    const logs = await store.workers.listLogs('w1', 0, 10);
    expect(logs.map((e) => [e.seq, e.text])).toEqual([
      [1, 'ELF\uFFFD\u0001 header'],
      [2, 'That is a binary'],
    ]);
    expect(logs[0]?.data).toEqual({ out: 'a\u0000b' });

    const u = await store.workers.update('w1', { lastAction: 'Bash: cat a\u0000b', stateReason: 'x\u0000' }, T0 + 2);
    expect(u).toMatchObject({ lastAction: 'Bash: cat a\uFFFDb', stateReason: 'x\uFFFD' });
  });
});
