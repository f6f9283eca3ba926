import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { sampleRecord } from '../../test/support/sample-record.js';
import { systemClock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { EventBus } from '../events.js';
import type { RequestRecord } from '../storage/contract/records.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { AGENT_SDK_MISSING } from './agent-sdk.js';
import { BUDGET_REACHED, type CreateWorkerInput, WorkerManager } from './manager.js';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  RunHandle,
  RunHooks,
  RunOutcome,
  RunSpec,
  WorkerEngine,
  WorkerKeys,
  WorkerView,
} from './types.js';

/** One run of the fake engine: the test plays Claude Code through its hooks and ends it. */
class FakeRun implements RunHandle {
  pauseAsked = false;
  stopAsked: string | null = null;
  readonly done: Promise<RunOutcome>;
  private end!: (o: RunOutcome) => void;

  constructor(
    readonly spec: RunSpec,
    readonly hooks: RunHooks,
  ) {
    this.done = new Promise((resolve) => {
      this.end = resolve;
    });
    hooks.sessionStarted(spec.resumeSessionId ?? `sess-${spec.worker.name}`);
  }

  get sessionId(): string {
    return this.spec.resumeSessionId ?? `sess-${this.spec.worker.name}`;
  }

  pause(): void {
    this.pauseAsked = true;
  }

  stop(reason: string): void {
    this.stopAsked = reason;
    this.end({ state: 'stopped', reason, sessionId: this.sessionId });
  }

  complete(): void {
    this.end({ state: 'completed', reason: null, sessionId: this.sessionId });
  }

  /** The turn boundary after a pause request. */
  reachBoundary(): void {
    if (this.pauseAsked) this.end({ state: 'paused', reason: null, sessionId: this.sessionId });
  }

  ask(req: Partial<ApprovalRequest> = {}): { signal: AbortController; answer: Promise<ApprovalAnswer> } {
    const signal = new AbortController();
    const answer = this.hooks.requestApproval(
      {
        tool: 'Bash',
        toolUseId: 'toolu_1',
        input: { command: 'touch made.txt' },
        risk: 'medium',
        reason: 'runs a shell command',
        ...req,
      },
      signal.signal,
    );
    return { signal, answer };
  }
}

class FakeEngine implements WorkerEngine {
  available = true;
  readonly runs: FakeRun[] = [];

  async ensureAvailable(): Promise<void> {
    if (!this.available) throw new GatewayError('feature_unavailable', AGENT_SDK_MISSING);
  }

  start(spec: RunSpec, hooks: RunHooks): RunHandle {
    const r = new FakeRun(spec, hooks);
    this.runs.push(r);
    return r;
  }

  runOf(name: string): FakeRun {
    const r = this.runs.filter((x) => x.spec.worker.name === name).at(-1);
    if (!r) throw new Error(`no run of ${name}`);
    return r;
  }
}

class FakeKeys implements WorkerKeys {
  readonly active = new Set<string>();
  readonly minted: string[] = [];
  async mint(workerName: string) {
    const name = `worker-${workerName}`;
    if (this.active.has(name)) throw new GatewayError('conflict', `key ${name} exists`);
    this.active.add(name);
    this.minted.push(name);
    return { name, key: `ccf_secret_${workerName}_${this.minted.length}` };
  }
  async revoke(name: string) {
    this.active.delete(name);
  }
}

const silent = pino({ level: 'silent' });

describe('WorkerManager', () => {
  let dir: string;
  let dbPath: string;
  let store: SqliteStore;
  let engine: FakeEngine;
  let keys: FakeKeys;
  let events: EventBus;
  let managers: WorkerManager[];
  let max = 3;

  const makeManager = (over: Partial<ConstructorParameters<typeof WorkerManager>[0]> = {}) => {
    const m = new WorkerManager({
      store,
      engine,
      keys,
      events,
      clock: systemClock,
      logger: silent,
      maxConcurrent: () => max,
      ...over,
    });
    managers.push(m);
    return m;
  };

  const input = (name: string, over: Partial<CreateWorkerInput> = {}): CreateWorkerInput => ({
    name,
    prompt: `Task of ${name}`,
    cwd: dir,
    policy: 'low',
    ...over,
  });

  const stateOf = async (m: WorkerManager, name: string) => (await m.get(name)).state;
  const waitState = (m: WorkerManager, name: string, state: WorkerView['state']) =>
    vi.waitFor(async () => expect(await stateOf(m, name)).toBe(state), { timeout: 2000, interval: 5 });

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'ccflare-workers-'));
    dbPath = join(dir, 'ccflare.db');
    store = SqliteStore.open(dbPath);
    engine = new FakeEngine();
    keys = new FakeKeys();
    events = new EventBus();
    managers = [];
    max = 3;
  });

  afterEach(async () => {
    vi.useRealTimers();
    for (const m of managers) await m.close();
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('runs at most N at once; the rest queue and start in the order they were queued', async () => {
    max = 2;
    // All queued within one millisecond, as on a fast machine.
    const m = makeManager({ clock: { ...systemClock, now: () => 1_700_000_000_000 } });
    for (const n of ['a', 'b', 'c', 'd']) await m.create(input(n));
    await waitState(m, 'b', 'running');
    expect(await stateOf(m, 'a')).toBe('running');
    const c = await m.get('c');
    const d = await m.get('d');
    expect([c.state, c.queuePosition, d.state, d.queuePosition]).toEqual(['queued', 1, 'queued', 2]);

    engine.runOf('b').complete();
    await waitState(m, 'c', 'running');
    expect(await stateOf(m, 'b')).toBe('completed');
    expect(await stateOf(m, 'd')).toBe('queued');
    engine.runOf('a').complete();
    await waitState(m, 'd', 'running');
    expect(engine.runs.map((r) => r.spec.worker.name)).toEqual(['a', 'b', 'c', 'd']);
  });

  it('runs each worker with a client key named after it, revoked when the run ends', async () => {
    const m = makeManager();
    await m.create(input('alpha'));
    await waitState(m, 'alpha', 'running');
    const run = engine.runOf('alpha');
    expect(run.spec.apiKey).toMatch(/^ccf_secret_alpha/);
    expect((await m.get('alpha')).keyName).toBe('worker-alpha');
    expect(keys.active.has('worker-alpha')).toBe(true);
    run.complete();
    await waitState(m, 'alpha', 'completed');
    expect(keys.active.size).toBe(0);
    const w = await m.get('alpha');
    expect(w.finishedAt).not.toBeNull();
    expect((await m.logs('alpha')).at(-1)?.text).toBe('Worker completed');
  });

  it('holds a call for approval, then runs it with the input the approver edited', async () => {
    const m = makeManager();
    const seen: string[] = [];
    events.on('approval.changed', (a) => seen.push(`${a.workerName}:${a.status}`));
    await m.create(input('alpha'));
    await waitState(m, 'alpha', 'running');
    const { answer } = engine.runOf('alpha').ask();
    await waitState(m, 'alpha', 'waiting_approval');
    const [pending] = await m.approvals({ status: 'pending' });
    expect(pending).toMatchObject({
      workerName: 'alpha',
      tool: 'Bash',
      input: { command: 'touch made.txt' },
      risk: 'medium',
      reason: 'runs a shell command',
    });
    expect((await m.get('alpha')).pendingApprovals).toBe(1);

    await m.approve(pending?.id as string, { input: { command: 'touch edited.txt' } });
    expect(await answer).toEqual({ allow: true, input: { command: 'touch edited.txt' } });
    expect(await stateOf(m, 'alpha')).toBe('running');
    expect(seen).toEqual(['alpha:pending', 'alpha:approved']);
    await expect(m.reject(pending?.id as string, 'too late')).rejects.toMatchObject({ code: 'conflict' });
    const log = (await m.logs('alpha')).filter((e) => e.kind === 'approval').map((e) => e.text);
    // The call that ran was the edited one: the log says so, with what was asked.
    expect(log).toEqual([
      'Waiting for approval (medium risk: runs a shell command): Bash',
      'Approved with changes: Bash: touch edited.txt (asked: Bash: touch made.txt)',
    ]);
  });

  it('a rejection reaches the worker with its message; a rejection needs one', async () => {
    const m = makeManager();
    await m.create(input('alpha'));
    await waitState(m, 'alpha', 'running');
    const { answer } = engine.runOf('alpha').ask({ input: { command: 'rm -rf /etc' }, risk: 'high' });
    await waitState(m, 'alpha', 'waiting_approval');
    const [pending] = await m.approvals({ status: 'pending' });
    await expect(m.reject(pending?.id as string, '  ')).rejects.toThrow(/needs a message/);
    await m.reject(pending?.id as string, 'Never delete outside the project');
    expect(await answer).toEqual({ allow: false, message: 'Never delete outside the project' });
    expect((await m.approvals({ workerId: (await m.get('alpha')).id }))[0]?.status).toBe('rejected');
  });

  it('rejects a call nobody decided within the timeout, and the worker is told why', async () => {
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout'] });
    const m = makeManager({ approvalTimeoutMs: 5 * 60_000 });
    await m.create(input('alpha'));
    await vi.waitFor(async () => expect(await stateOf(m, 'alpha')).toBe('running'));
    const { answer } = engine.runOf('alpha').ask();
    await vi.waitFor(async () => expect(await stateOf(m, 'alpha')).toBe('waiting_approval'));
    await vi.advanceTimersByTimeAsync(5 * 60_000);
    const a = await answer;
    expect(a).toMatchObject({ allow: false, message: expect.stringContaining('within 5 minutes') });
    const [row] = await m.approvals({});
    expect(row?.status).toBe('timed_out');
    await vi.waitFor(async () => expect(await stateOf(m, 'alpha')).toBe('running'));
  });

  it('pauses at the next turn boundary, withdrawing a pending approval, and resumes the same session', async () => {
    const m = makeManager();
    await m.create(input('alpha'));
    await waitState(m, 'alpha', 'running');
    const run = engine.runOf('alpha');
    const { answer } = run.ask();
    await waitState(m, 'alpha', 'waiting_approval');
    const v = await m.pause('alpha');
    expect(v.stateReason).toBe('pausing at the next turn');
    expect(run.pauseAsked).toBe(true);
    expect(await answer).toMatchObject({ allow: false, interrupt: true });
    expect((await m.approvals({}))[0]?.status).toBe('cancelled');
    run.reachBoundary();
    await waitState(m, 'alpha', 'paused');
    expect((await m.get('alpha')).stateReason).toBe('paused by the user');
    expect(keys.active.size).toBe(0);

    await m.resume('alpha');
    await waitState(m, 'alpha', 'running');
    const again = engine.runOf('alpha');
    expect(again).not.toBe(run);
    expect(again.spec.resumeSessionId).toBe('sess-alpha');
    again.complete();
    await waitState(m, 'alpha', 'completed');
    await expect(m.resume('alpha')).rejects.toThrow(/completed; start it/);
  });

  it('after a restart, a worker that was running shows paused and resumes its session', async () => {
    const first = makeManager();
    await first.create(input('alpha'));
    await waitState(first, 'alpha', 'running');
    engine.runOf('alpha').ask();
    await waitState(first, 'alpha', 'waiting_approval');
    // The gateway dies: no close, the database keeps what it had.
    managers = [];
    store.connection.close();
    store = SqliteStore.open(dbPath);

    expect(keys.active.has('worker-alpha')).toBe(true);
    const second = makeManager();
    await second.init();
    expect(keys.active.has('worker-alpha'), 'the dead run no longer has a usable key').toBe(false);
    const w = await second.get('alpha');
    expect([w.state, w.stateReason, w.sessionId]).toEqual([
      'paused',
      'gateway restarted while it ran; resume to continue',
      'sess-alpha',
    ]);
    expect((await second.approvals({}))[0]?.status).toBe('cancelled');
    await second.resume('alpha');
    await waitState(second, 'alpha', 'running');
    expect(engine.runOf('alpha').spec.resumeSessionId).toBe('sess-alpha');
  });

  it('another instance starting on the same database leaves the runs of a live one alone', async () => {
    const lease = await store.instances.register('gw-a');
    const a = makeManager({ instanceId: 'gw-a' });
    await a.create(input('alpha'));
    await waitState(a, 'alpha', 'running');
    expect((await store.workers.getByName('alpha'))?.owner).toBe('gw-a');

    const b = makeManager({ instanceId: 'gw-b' });
    await b.init();
    expect(await stateOf(b, 'alpha')).toBe('running');
    expect(keys.active.has('worker-alpha'), "the live run's key still works").toBe(true);

    // Gone without a clean stop: the next instance to start pauses its run.
    await lease.release();
    const c = makeManager({ instanceId: 'gw-c' });
    await c.init();
    expect(await stateOf(c, 'alpha')).toBe('paused');
    expect(keys.active.has('worker-alpha')).toBe(false);
  });

  it('two instances draining one queue start each queued worker once', async () => {
    for (const [i, name] of ['alpha', 'beta', 'gamma'].entries()) {
      const w = input(name);
      await store.workers.insert(
        {
          ...w,
          id: `w${i}`,
          model: null,
          maxTurns: null,
          budgetUsd: null,
          templateId: null,
          state: 'queued',
          stateReason: null,
          queuedAt: i,
        },
        1,
      );
    }
    const leases = await Promise.all(['gw-a', 'gw-b'].map((id) => store.instances.register(id)));
    const a = makeManager({ instanceId: 'gw-a' });
    const b = makeManager({ instanceId: 'gw-b' });
    await Promise.all([a.init(), b.init()]);
    await vi.waitFor(
      async () => expect((await store.workers.list()).map((w) => w.state)).toEqual(Array(3).fill('running')),
      { timeout: 2000, interval: 5 },
    );
    // One run (and one key) per worker; neither instance marked one failed for a key the other minted.
    expect(engine.runs.map((r) => r.spec.worker.name).sort()).toEqual(['alpha', 'beta', 'gamma']);
    expect(keys.minted.sort()).toEqual(['worker-alpha', 'worker-beta', 'worker-gamma']);
    for (const l of leases) await l.release();
  });

  it('stopping the gateway leaves running workers paused, ready to resume', async () => {
    const m = makeManager();
    await m.create(input('alpha'));
    await waitState(m, 'alpha', 'running');
    await m.close();
    managers = [];
    const w = await store.workers.getByName('alpha');
    expect([w?.state, w?.sessionId]).toEqual(['paused', 'sess-alpha']);
  });

  it('stops the worker with "budget reached" when its recorded cost reaches the budget', async () => {
    const m = makeManager();
    await m.create(input('alpha', { budgetUsd: 0.05 }));
    await waitState(m, 'alpha', 'running');
    const rec = (cost: number, key: string): RequestRecord =>
      sampleRecord({ id: `r-${Math.random()}`, clientKey: key, costUsd: cost });
    events.emit('request.finished', rec(0.03, 'worker-alpha'));
    events.emit('request.finished', rec(0.5, 'someone-else'));
    await vi.waitFor(async () => expect((await m.get('alpha')).costUsd).toBeCloseTo(0.03));
    expect(engine.runOf('alpha').stopAsked).toBeNull();
    events.emit('request.finished', rec(0.03, 'worker-alpha'));
    await waitState(m, 'alpha', 'stopped');
    const w = await m.get('alpha');
    expect([w.stateReason, w.costUsd]).toEqual([BUDGET_REACHED, expect.closeTo(0.06)]);
    expect(engine.runOf('alpha').stopAsked).toBe(BUDGET_REACHED);
  });

  it("the SDK's own cost estimate counts toward the budget too", async () => {
    const m = makeManager();
    await m.create(input('alpha', { budgetUsd: 1 }));
    await waitState(m, 'alpha', 'running');
    engine.runOf('alpha').hooks.sdkCost(1.2);
    await waitState(m, 'alpha', 'stopped');
    expect((await m.get('alpha')).stateReason).toBe(BUDGET_REACHED);
  });

  it('edits the budget of a running worker: a raised one lets it run on, one at its cost stops it', async () => {
    const m = makeManager();
    await m.create(input('alpha', { budgetUsd: 0.05 }));
    await waitState(m, 'alpha', 'running');
    const rec = (cost: number) => sampleRecord({ id: `r-${Math.random()}`, clientKey: 'worker-alpha', costUsd: cost });
    events.emit('request.finished', rec(0.04));
    await vi.waitFor(async () => expect((await m.get('alpha')).costUsd).toBeCloseTo(0.04));
    expect((await m.edit('alpha', { budgetUsd: 1 })).budgetUsd).toBe(1);
    events.emit('request.finished', rec(0.04));
    await vi.waitFor(async () => expect((await m.get('alpha')).costUsd).toBeCloseTo(0.08));
    expect((await m.get('alpha')).state).toBe('running');
    await m.edit('alpha', { budgetUsd: 0.08 });
    await waitState(m, 'alpha', 'stopped');
    expect((await m.get('alpha')).stateReason).toBe(BUDGET_REACHED);
    expect(engine.runOf('alpha').stopAsked).toBe(BUDGET_REACHED);
  });

  it('edits max turns: a lower one pauses a running worker past it at its next turn; resuming starts with the new one', async () => {
    const m = makeManager();
    await m.create(input('alpha', { maxTurns: 10 }));
    await waitState(m, 'alpha', 'running');
    const run = engine.runOf('alpha');
    expect(run.spec.worker.maxTurns).toBe(10);
    run.hooks.progress(3, 'Bash: ls');
    await vi.waitFor(async () => expect((await m.get('alpha')).turns).toBe(3));
    await m.edit('alpha', { maxTurns: 3 });
    expect(run.pauseAsked).toBe(false);
    run.hooks.progress(4, 'Bash: ls -la');
    await vi.waitFor(() => expect(run.pauseAsked).toBe(true));
    run.reachBoundary();
    await waitState(m, 'alpha', 'paused');
    expect((await m.get('alpha')).stateReason).toMatch(/^max turns reached \(3\)/);
    await m.edit('alpha', { maxTurns: 20 });
    await m.resume('alpha');
    await waitState(m, 'alpha', 'running');
    expect(engine.runOf('alpha').spec.worker.maxTurns).toBe(20);
  });

  it('refuses an edit with nothing to change or a bad value, and an unknown worker', async () => {
    const m = makeManager();
    await m.create(input('alpha', { start: false }));
    await expect(m.edit('alpha', {})).rejects.toThrow(/Nothing to change/);
    await expect(m.edit('alpha', { maxTurns: 1.5 })).rejects.toThrow(/max turns 1.5: expected a positive integer/);
    await expect(m.edit('alpha', { budgetUsd: 0 })).rejects.toThrow(/budget \(USD\) 0/);
    await expect(m.edit('nobody', { budgetUsd: 1 })).rejects.toMatchObject({ code: 'not_found' });
    expect(await m.edit('alpha', { maxTurns: 5, budgetUsd: null })).toMatchObject({ maxTurns: 5, budgetUsd: null });
  });

  it('stops, leaves the queue paused, starts again from the beginning and deletes', async () => {
    max = 1;
    const m = makeManager();
    await m.create(input('a'));
    await m.create(input('b'));
    await waitState(m, 'a', 'running');
    const paused = await m.pause('b');
    expect([paused.state, paused.queuePosition]).toEqual(['paused', null]);
    const stopped = await m.stop('a');
    expect([stopped.state, stopped.stateReason]).toEqual(['stopped', 'stopped by the user']);
    // b was taken out of the queue, so nothing starts.
    expect(engine.runs.length).toBe(1);
    await m.start('a');
    await waitState(m, 'a', 'running');
    expect(engine.runOf('a').spec.resumeSessionId).toBeNull();
    await expect(m.start('a')).rejects.toMatchObject({ code: 'conflict' });
    await m.delete('a');
    await expect(m.get('a')).rejects.toMatchObject({ code: 'not_found' });
    expect(keys.active.size).toBe(0);
    await waitState(m, 'b', 'paused');
  });

  it('a worker created without starting waits until started', async () => {
    const m = makeManager();
    const v = await m.create(input('alpha', { start: false }));
    expect([v.state, v.stateReason]).toEqual(['paused', 'not started yet']);
    expect(engine.runs.length).toBe(0);
    await m.start('alpha');
    await waitState(m, 'alpha', 'running');
  });

  it('refuses bad input with a message saying what is wrong', async () => {
    const m = makeManager({
      checkPolicy: (p) => (['low', 'medium', 'high'].includes(p) ? null : 'use low, medium or high'),
    });
    await expect(m.create(input('has space'))).rejects.toThrow(/Invalid worker name "has space"/);
    await expect(m.create(input('a', { prompt: ' ' }))).rejects.toThrow(/prompt is empty/);
    await expect(m.create(input('a', { cwd: 'relative/dir' }))).rejects.toThrow(/expected an absolute path/);
    await expect(m.create(input('a', { cwd: join(dir, 'missing') }))).rejects.toThrow(/does not exist/);
    await expect(m.create(input('a', { policy: 'yolo' }))).rejects.toThrow(
      /Invalid policy "yolo": use low, medium or high/,
    );
    await expect(m.create(input('a', { maxTurns: 1.5 }))).rejects.toThrow(/max turns 1.5: expected a positive integer/);
    await expect(m.create(input('a', { budgetUsd: -1 }))).rejects.toThrow(/budget \(USD\) -1/);
    await m.create(input('a'));
    await expect(m.create(input('a'))).rejects.toMatchObject({ code: 'conflict' });
    await expect(m.approve('nope')).rejects.toMatchObject({ code: 'not_found' });
  });

  it('without the Agent SDK, creating a worker says how to install it', async () => {
    engine.available = false;
    const m = makeManager();
    await expect(m.create(input('alpha'))).rejects.toMatchObject({
      code: 'feature_unavailable',
      message: expect.stringContaining('npm install @anthropic-ai/claude-agent-sdk'),
    });
    expect(await m.list()).toEqual([]);
  });

  it('counts template uses and streams log entries and state changes as events', async () => {
    const m = makeManager();
    const states: string[] = [];
    const logs: string[] = [];
    events.on('worker.changed', (w) => states.push(w.state));
    events.on('worker.log', (e) => logs.push(...e.entries.map((x) => `${x.seq}:${x.text}`)));
    await m.create(input('alpha', { templateId: 'fix-lint' }));
    await waitState(m, 'alpha', 'running');
    engine.runOf('alpha').hooks.log([{ at: 1, kind: 'assistant', text: 'Looking around', data: null }]);
    engine.runOf('alpha').complete();
    await waitState(m, 'alpha', 'completed');
    expect(states[0]).toBe('queued');
    expect(states).toContain('running');
    expect(states.at(-1)).toBe('completed');
    await vi.waitFor(() => expect(logs).toEqual(['1:Looking around', '2:Worker completed']));
    expect(await store.workers.templateUses()).toEqual([expect.objectContaining({ templateId: 'fix-lint', uses: 1 })]);
  });
});
