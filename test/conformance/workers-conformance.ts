/**
 * `store.workers` as a test suite, run against every back-end. `makeStore` must return a fresh,
 * migrated, empty store; each test closes the store it got.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Store } from '../../src/storage/contract/store.js';
import type { NewApproval, NewWorker } from '../../src/storage/contract/workers.js';

const T0 = 1_700_000_000_000;

function worker(id: string, name: string, over: Partial<NewWorker> = {}): NewWorker {
  return {
    id,
    name,
    prompt: 'Fix the lint errors',
    templateId: null,
    cwd: '/tmp/project',
    model: null,
    policy: 'low',
    maxTurns: null,
    budgetUsd: null,
    state: 'queued',
    stateReason: null,
    queuedAt: T0,
    ...over,
  };
}

function approval(id: string, workerId: string, at: number): NewApproval {
  return {
    id,
    workerId,
    tool: 'Bash',
    toolUseId: `tu-${id}`,
    input: { command: 'touch made.txt' },
    risk: 'medium',
    reason: 'runs a command',
    createdAt: at,
    expiresAt: at + 60_000,
  };
}

export function describeWorkersStoreConformance(name: string, makeStore: () => Promise<Store>): void {
  describe(`WorkersStore conformance: ${name}`, () => {
    let store: Store;

    beforeEach(async () => {
      store = await makeStore();
    });

    afterEach(async () => {
      await store.close();
    });

    it('creates workers with every field, refuses a second of the same name, lists oldest first', async () => {
      const a = await store.workers.insert(
        worker('w1', 'alpha', { model: 'claude-sonnet-4-5', maxTurns: 8, budgetUsd: 0.5, templateId: 'fix-lint' }),
        T0,
      );
      expect(a).toMatchObject({
        id: 'w1',
        name: 'alpha',
        model: 'claude-sonnet-4-5',
        maxTurns: 8,
        budgetUsd: 0.5,
        templateId: 'fix-lint',
        state: 'queued',
        sessionId: null,
        keyName: null,
        costUsd: 0,
        turns: 0,
        createdAt: T0,
      });
      await expect(store.workers.insert(worker('w2', 'alpha'), T0)).rejects.toMatchObject({ code: 'conflict' });
      await store.workers.insert(worker('w3', 'beta'), T0 + 1);
      expect((await store.workers.list()).map((w) => w.name)).toEqual(['alpha', 'beta']);
      expect((await store.workers.getByName('beta'))?.id).toBe('w3');
      expect(await store.workers.get('nope')).toBeNull();
    });

    it('keeps the state a restart needs: session id, key, cost, turns and the reason', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      const u = await store.workers.update(
        'w1',
        {
          state: 'running',
          sessionId: 'sess-1',
          keyName: 'worker-alpha',
          costUsd: 0.25,
          tokensIn: 1200,
          tokensOut: 300,
          turns: 3,
          lastAction: 'Bash: ls',
          startedAt: T0 + 5,
        },
        T0 + 10,
      );
      expect(u).toMatchObject({
        state: 'running',
        sessionId: 'sess-1',
        keyName: 'worker-alpha',
        costUsd: 0.25,
        tokensIn: 1200,
        tokensOut: 300,
        turns: 3,
        lastAction: 'Bash: ls',
        startedAt: T0 + 5,
        updatedAt: T0 + 10,
      });
      expect(await store.workers.update('nope', { state: 'stopped' }, T0)).toBeNull();
      const reopened = await store.workers.update('w1', { stateReason: null, finishedAt: null }, T0 + 11);
      expect(reopened?.sessionId).toBe('sess-1');
    });

    it('changes the budget and max turns a person edits, and clears them with null', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      const edited = await store.workers.update('w1', { maxTurns: 40, budgetUsd: 2.5 }, T0 + 1);
      expect(edited).toMatchObject({ maxTurns: 40, budgetUsd: 2.5, updatedAt: T0 + 1 });
      expect(await store.workers.get('w1')).toMatchObject({ maxTurns: 40, budgetUsd: 2.5 });
      const cleared = await store.workers.update('w1', { budgetUsd: null }, T0 + 2);
      expect(cleared).toMatchObject({ maxTurns: 40, budgetUsd: null });
    });

    it('after a restart moves running and waiting workers to paused and cancels their pending approvals', async () => {
      await store.workers.insert(worker('w1', 'runs', { state: 'running' }), T0);
      await store.workers.insert(worker('w2', 'waits', { state: 'waiting_approval' }), T0);
      await store.workers.insert(worker('w3', 'queued'), T0);
      await store.workers.insert(worker('w4', 'done', { state: 'completed' }), T0);
      await store.workers.insertApproval(approval('a1', 'w2', T0));
      const moved = await store.workers.markInterrupted('gateway restarted', T0 + 1, 'i-me');
      expect(moved.map((w) => [w.name, w.state, w.stateReason]).sort()).toEqual([
        ['runs', 'paused', 'gateway restarted'],
        ['waits', 'paused', 'gateway restarted'],
      ]);
      expect((await store.workers.get('w3'))?.state).toBe('queued');
      expect((await store.workers.get('w4'))?.state).toBe('completed');
      expect(await store.workers.getApproval('a1')).toMatchObject({ status: 'cancelled', decidedAt: T0 + 1 });
    });

    it('lets one claimer start a queued worker: the second, and a claim of one not queued, get null', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      await store.workers.insert(worker('w2', 'beta', { state: 'paused', queuedAt: null }), T0);
      const start = (owner: string) => ({ state: 'running' as const, owner, queuedAt: null, startedAt: T0 + 1 });
      const [a, b] = await Promise.all([
        store.workers.claimQueued('w1', start('i-a'), T0 + 1),
        store.workers.claimQueued('w1', start('i-b'), T0 + 1),
      ]);
      const won = [a, b].filter((r) => r !== null);
      expect(won).toHaveLength(1);
      expect(won[0]).toMatchObject({ state: 'running', queuedAt: null, startedAt: T0 + 1, updatedAt: T0 + 1 });
      expect((await store.workers.get('w1'))?.owner).toBe(won[0]?.owner);
      expect(await store.workers.claimQueued('w2', start('i-a'), T0 + 2)).toBeNull();
      expect((await store.workers.get('w2'))?.state).toBe('paused');
      expect(await store.workers.claimQueued('nope', start('i-a'), T0 + 2)).toBeNull();
    });

    it('pauses at start only the runs of this instance and of gone ones, not those a live instance runs', async () => {
      const other = await store.instances.register('i-live');
      try {
        const running = async (id: string, name: string, owner: string | null) => {
          await store.workers.insert(worker(id, name, { state: 'running' }), T0);
          await store.workers.update(id, { owner }, T0);
        };
        await running('w1', 'mine', 'i-me');
        await running('w2', 'gone', 'i-gone');
        await running('w3', 'nobody', null);
        await running('w4', 'live', 'i-live');
        await store.workers.insertApproval(approval('a4', 'w4', T0));
        expect((await store.workers.get('w4'))?.owner).toBe('i-live');

        const moved = await store.workers.markInterrupted('gateway restarted', T0 + 1, 'i-me');
        expect(moved.map((w) => w.name).sort()).toEqual(['gone', 'mine', 'nobody']);
        expect((await store.workers.get('w4'))?.state).toBe('running');
        expect((await store.workers.getApproval('a4'))?.status).toBe('pending');

        // Its instance gone, the next one to start pauses it.
        await other.release();
        const later = await store.workers.markInterrupted('gateway restarted', T0 + 2, 'i-next');
        expect(later.map((w) => [w.name, w.state])).toEqual([['live', 'paused']]);
        expect((await store.workers.getApproval('a4'))?.status).toBe('cancelled');
      } finally {
        await other.release();
      }
    });

    it('numbers log entries per worker, replays after a sequence number and keeps only the newest', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      await store.workers.insert(worker('w2', 'beta'), T0);
      const first = await store.workers.appendLogs(
        'w1',
        [
          { at: T0, kind: 'assistant', text: 'Looking at the files', data: null },
          { at: T0 + 1, kind: 'tool_use', text: 'Bash: ls', data: { id: 'tu1', input: { command: 'ls' } } },
        ],
        100,
      );
      expect(first.map((e) => e.seq)).toEqual([1, 2]);
      await store.workers.appendLogs('w2', [{ at: T0, kind: 'system', text: 'started', data: null }], 100);
      const logs = await store.workers.listLogs('w1', 0, 10);
      expect(logs.map((e) => [e.seq, e.kind, e.text])).toEqual([
        [1, 'assistant', 'Looking at the files'],
        [2, 'tool_use', 'Bash: ls'],
      ]);
      expect(logs[1]?.data).toEqual({ id: 'tu1', input: { command: 'ls' } });
      expect((await store.workers.listLogs('w1', 1, 10)).map((e) => e.seq)).toEqual([2]);

      const more = Array.from({ length: 5 }, (_, i) => ({
        at: T0 + 10 + i,
        kind: 'assistant' as const,
        text: `m${i}`,
        data: null,
      }));
      await store.workers.appendLogs('w1', more, 4);
      const kept = await store.workers.listLogs('w1', 0, 100);
      expect(kept.map((e) => [e.seq, e.text])).toEqual([
        [4, 'm1'],
        [5, 'm2'],
        [6, 'm3'],
        [7, 'm4'],
      ]);
      expect((await store.workers.listLogs('w2', 0, 10)).length).toBe(1);
    });

    it('decides an approval once: the first decision wins, with edited input or a message', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      const a = await store.workers.insertApproval(approval('a1', 'w1', T0));
      expect(a).toMatchObject({ status: 'pending', decidedAt: null, input: { command: 'touch made.txt' } });
      await store.workers.insertApproval(approval('a2', 'w1', T0 + 1));
      expect((await store.workers.listApprovals({ status: 'pending' })).map((x) => x.id)).toEqual(['a1', 'a2']);

      const d = await store.workers.decideApproval(
        'a1',
        { status: 'approved', decidedInput: { command: 'touch other.txt' }, message: null },
        T0 + 5,
      );
      expect(d).toMatchObject({ status: 'approved', decidedInput: { command: 'touch other.txt' }, decidedAt: T0 + 5 });
      expect(
        await store.workers.decideApproval('a1', { status: 'rejected', decidedInput: null, message: 'no' }, T0 + 6),
      ).toBeNull();
      expect(
        await store.workers.decideApproval('nope', { status: 'rejected', decidedInput: null, message: 'no' }, T0),
      ).toBeNull();
      await store.workers.decideApproval(
        'a2',
        { status: 'rejected', decidedInput: null, message: 'not outside the project' },
        T0 + 7,
      );
      expect(await store.workers.getApproval('a2')).toMatchObject({
        status: 'rejected',
        message: 'not outside the project',
      });
      expect(await store.workers.listApprovals({ status: 'pending' })).toEqual([]);
      expect((await store.workers.listApprovals({ workerId: 'w1' })).map((x) => x.status)).toEqual([
        'approved',
        'rejected',
      ]);
    });

    it('deletes a worker with its logs and approvals', async () => {
      await store.workers.insert(worker('w1', 'alpha'), T0);
      await store.workers.appendLogs('w1', [{ at: T0, kind: 'system', text: 'started', data: null }], 100);
      await store.workers.insertApproval(approval('a1', 'w1', T0));
      expect(await store.workers.delete('w1')).toBe(true);
      expect(await store.workers.delete('w1')).toBe(false);
      expect(await store.workers.listLogs('w1', 0, 10)).toEqual([]);
      expect(await store.workers.getApproval('a1')).toBeNull();
      // The name is free again.
      await store.workers.insert(worker('w2', 'alpha'), T0);
    });

    it('counts template uses', async () => {
      await store.workers.noteTemplateUse('review-diff', T0);
      await store.workers.noteTemplateUse('review-diff', T0 + 1);
      await store.workers.noteTemplateUse('fix-lint', T0 + 2);
      expect(await store.workers.templateUses()).toEqual([
        { templateId: 'fix-lint', uses: 1, lastUsedAt: T0 + 2 },
        { templateId: 'review-diff', uses: 2, lastUsedAt: T0 + 1 },
      ]);
    });
  });
}
