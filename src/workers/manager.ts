/**
 * Worker lifecycle: create, start, pause, resume, stop, delete; at most N running at once (the
 * rest queue and drain in the order they were queued); approvals held until decided or timed
 * out; budgets; and, after a restart, workers that were running shown paused, ready to resume.
 *
 * The database holds every worker's state, so a view is always read from it; the manager keeps
 * in memory only what lives with a run (its engine handle, its key, the approvals it waits on).
 * Writes for one worker go through one chain, so a late progress update never lands after the
 * run's final state.
 */
import { statSync } from 'node:fs';
import { isAbsolute } from 'node:path';
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import type { EventBus, GatewayEvents } from '../events.js';
import { uuidv7 } from '../ids.js';
import { validateName } from '../shared/names.js';
import { tokenKinds, tokensIn } from '../shared/tokens.js';
import type { Store } from '../storage/contract/store.js';
import type {
  ApprovalFilter,
  NewWorkerLog,
  WorkerLogRow,
  WorkerPatch,
  WorkerRow,
  WorkerState,
} from '../storage/contract/workers.js';
import { describeToolCall, PAUSED_MESSAGE } from './engine.js';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  ApprovalView,
  RunHandle,
  RunHooks,
  RunOutcome,
  WorkerEngine,
  WorkerKeys,
  WorkerView,
} from './types.js';
import { WORKER_NAME_MAX } from './worker-keys.js';

export const DEFAULT_MAX_CONCURRENT = 3;
export const DEFAULT_APPROVAL_TIMEOUT_MS = 15 * 60_000;
/** Log entries kept per worker. */
export const DEFAULT_LOG_KEEP = 1000;
export const BUDGET_REACHED = 'budget reached';
export const RESTARTED = 'gateway restarted while it ran; resume to continue';
const NOT_STARTED = 'not started yet';

export interface WorkerManagerDeps {
  store: Pick<Store, 'workers'>;
  engine: WorkerEngine;
  keys: WorkerKeys;
  events: EventBus;
  clock: Clock;
  logger: Logger;
  /** Workers running at once (a setting, read at every scheduling decision). */
  maxConcurrent?: () => number;
  approvalTimeoutMs?: number;
  logKeep?: number;
  /** Null when `policy` is a known policy name, else what is wrong (policy.ts). */
  checkPolicy?: (policy: string) => string | null;
  /** Told when a call starts waiting for approval (notifications' `worker.approval`). */
  onApprovalPending?: (worker: WorkerView, approval: ApprovalView) => void;
  /**
   * This gateway instance (store.instances): its runs carry it, and `init` pauses only its own
   * and gone instances' runs, never those another live instance is running. Default: one of its own.
   */
  instanceId?: string;
}

export interface CreateWorkerInput {
  name: string;
  prompt: string;
  cwd: string;
  model?: string | null;
  policy: string;
  maxTurns?: number | null;
  budgetUsd?: number | null;
  templateId?: string | null;
  /** Queue it at once (default true); otherwise it waits paused until started. */
  start?: boolean;
}

interface Run {
  workerId: string;
  keyName: string;
  handle: RunHandle | null;
  /** Cost from the gateway's records of this worker's key, and tokens, since the run started. */
  recordCost: number;
  sdkCost: number;
  costBase: number;
  tokensInBase: number;
  tokensOutBase: number;
  tokensIn: number;
  tokensOut: number;
  budgetStopped: boolean;
  pauseRequested: boolean;
  /** Why it pauses when not asked by a person (max turns lowered while it ran). */
  pauseReason: string | null;
  /** The max turns Claude Code was started with; a lower one edited since is enforced here. */
  startedMaxTurns: number | null;
  stopRequested: string | null;
  /** Set once the run's end is being written: approvals decided after it leave the state alone. */
  finished: boolean;
  /** Resolves when the run's final state is written. */
  ended: Promise<void> | null;
}

interface Waiter {
  workerId: string;
  resolve: (a: ApprovalAnswer) => void;
  timer: ReturnType<typeof setTimeout>;
  cleanup: () => void;
}

const ACTIVE: readonly WorkerState[] = ['running', 'waiting_approval'];

function bad(message: string): never {
  throw new GatewayError('bad_request', message);
}

function optionalPositive(v: unknown, what: string, integer: boolean): number | null {
  if (v === undefined || v === null) return null;
  if (typeof v !== 'number' || !Number.isFinite(v) || v <= 0 || (integer && !Number.isInteger(v))) {
    bad(`Invalid ${what} ${JSON.stringify(v)}: expected a positive ${integer ? 'integer' : 'number'} or null`);
  }
  return v;
}

export class WorkerManager {
  private readonly runs = new Map<string, Run>();
  private readonly byKey = new Map<string, Run>();
  private readonly waiters = new Map<string, Waiter>();
  private readonly chains = new Map<string, Promise<unknown>>();
  private pumping: Promise<void> = Promise.resolve();
  private closing = false;
  /** The last queue stamp given: the queue is ordered by it, and workers queued in one ms must keep their order. */
  private lastQueuedAt = 0;
  private readonly onRecord: (...a: GatewayEvents['request.finished']) => void;
  private readonly instanceId: string;

  constructor(private readonly deps: WorkerManagerDeps) {
    this.instanceId = deps.instanceId ?? uuidv7();
    this.onRecord = (rec) => {
      const run = rec.clientKey === null ? undefined : this.byKey.get(rec.clientKey);
      if (run === undefined) return;
      run.recordCost += rec.costUsd ?? 0;
      const t = tokenKinds(rec);
      if (t !== null) {
        run.tokensIn += tokensIn(t);
        run.tokensOut += t.output;
      }
      void this.noteCost(run);
    };
    deps.events.on('request.finished', this.onRecord);
  }

  private get timeoutMs(): number {
    return this.deps.approvalTimeoutMs ?? DEFAULT_APPROVAL_TIMEOUT_MS;
  }

  private maxConcurrent(): number {
    const n = this.deps.maxConcurrent?.() ?? DEFAULT_MAX_CONCURRENT;
    return Number.isInteger(n) && n > 0 ? n : DEFAULT_MAX_CONCURRENT;
  }

  /** Runs `fn` after every earlier write of this worker. */
  private serial<T>(workerId: string, fn: () => Promise<T>): Promise<T> {
    const prev = this.chains.get(workerId) ?? Promise.resolve();
    const next = prev.then(fn, fn);
    const tail = next.catch(() => undefined);
    this.chains.set(workerId, tail);
    void tail.then(() => {
      if (this.chains.get(workerId) === tail) this.chains.delete(workerId);
    });
    return next;
  }

  /**
   * At start: workers the last gateway (this instance, or another one that is gone) left running
   * are shown paused (their Claude Code sessions ended with it) and can be resumed; the queue
   * starts draining.
   */
  async init(): Promise<void> {
    const moved = await this.deps.store.workers.markInterrupted(RESTARTED, this.deps.clock.now(), this.instanceId);
    for (const w of moved) {
      // The key of a run the last gateway did not end would otherwise stay usable.
      if (w.keyName !== null) await this.revokeKey(w.keyName);
      await this.emitWorker(w);
    }
    this.pump();
  }

  /** Pauses every run (resumable after the restart) and stops listening. */
  async close(): Promise<void> {
    this.closing = true;
    this.deps.events.off('request.finished', this.onRecord);
    await this.pumping;
    const runs = [...this.runs.values()];
    for (const r of runs) {
      r.stopRequested = 'gateway stopping';
      r.handle?.stop('gateway stopping');
    }
    await Promise.all(runs.map((r) => this.settled(r.workerId)));
    await Promise.all([...this.chains.values()]);
  }

  // ---- views ----

  private async views(rows: WorkerRow[]): Promise<WorkerView[]> {
    const pending = await this.deps.store.workers.listApprovals({ status: 'pending' });
    const queued = (await this.deps.store.workers.list())
      .filter((w) => w.state === 'queued')
      .sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0) || a.id.localeCompare(b.id));
    return rows.map((w) => {
      const place = queued.findIndex((q) => q.id === w.id);
      return {
        id: w.id,
        name: w.name,
        prompt: w.prompt,
        templateId: w.templateId,
        cwd: w.cwd,
        model: w.model,
        policy: w.policy,
        maxTurns: w.maxTurns,
        budgetUsd: w.budgetUsd,
        state: w.state,
        stateReason: w.stateReason,
        sessionId: w.sessionId,
        keyName: w.keyName,
        costUsd: w.costUsd,
        tokensIn: w.tokensIn,
        tokensOut: w.tokensOut,
        turns: w.turns,
        lastAction: w.lastAction,
        queuePosition: place === -1 ? null : place + 1,
        pendingApprovals: pending.filter((a) => a.workerId === w.id).length,
        createdAt: w.createdAt,
        startedAt: w.startedAt,
        finishedAt: w.finishedAt,
        updatedAt: w.updatedAt,
      };
    });
  }

  private async view(w: WorkerRow): Promise<WorkerView> {
    return (await this.views([w]))[0] as WorkerView;
  }

  private async emitWorker(w: WorkerRow): Promise<WorkerView> {
    const v = await this.view(w);
    this.deps.events.emit('worker.changed', v);
    return v;
  }

  /** A worker by id or by name; not_found otherwise. */
  private async find(idOrName: string): Promise<WorkerRow> {
    const w = (await this.deps.store.workers.get(idOrName)) ?? (await this.deps.store.workers.getByName(idOrName));
    if (w === null) throw new GatewayError('not_found', `No worker with id or name "${idOrName}"`);
    return w;
  }

  async list(): Promise<WorkerView[]> {
    return this.views(await this.deps.store.workers.list());
  }

  async get(idOrName: string): Promise<WorkerView> {
    return this.view(await this.find(idOrName));
  }

  async logs(idOrName: string, afterSeq = 0, limit = 500): Promise<WorkerLogRow[]> {
    const w = await this.find(idOrName);
    return this.deps.store.workers.listLogs(w.id, afterSeq, limit);
  }

  async approvals(filter: ApprovalFilter = {}): Promise<ApprovalView[]> {
    const rows = await this.deps.store.workers.listApprovals(filter);
    const names = new Map((await this.deps.store.workers.list()).map((w) => [w.id, w.name]));
    return rows.map((a) => ({ ...a, workerName: names.get(a.workerId) ?? '' }));
  }

  // ---- lifecycle ----

  async create(input: CreateWorkerInput): Promise<WorkerView> {
    const nameProblem = validateName(input.name);
    if (nameProblem !== null) bad(`Invalid worker name ${JSON.stringify(input.name)}: ${nameProblem}`);
    // Its client key is `worker-<name>`, which must fit the key name rule too.
    if (input.name.length > WORKER_NAME_MAX) {
      bad(`Invalid worker name ${JSON.stringify(input.name)}: at most ${WORKER_NAME_MAX} characters`);
    }
    if (typeof input.prompt !== 'string' || input.prompt.trim() === '')
      bad('The prompt is empty: say what the worker should do');
    if (typeof input.cwd !== 'string' || !isAbsolute(input.cwd)) {
      bad(`Invalid working directory ${JSON.stringify(input.cwd)}: expected an absolute path`);
    }
    let isDir = false;
    try {
      isDir = statSync(input.cwd).isDirectory();
    } catch {
      isDir = false;
    }
    if (!isDir) bad(`Working directory ${input.cwd} does not exist or is not a directory`);
    if (typeof input.policy !== 'string' || input.policy === '') bad('A permission policy is required');
    const policyProblem = this.deps.checkPolicy?.(input.policy) ?? null;
    if (policyProblem !== null) bad(`Invalid policy ${JSON.stringify(input.policy)}: ${policyProblem}`);
    const model = input.model ?? null;
    if (model !== null && (typeof model !== 'string' || model.trim() === ''))
      bad('Invalid model: expected a model id or null');
    const maxTurns = optionalPositive(input.maxTurns, 'max turns', true);
    const budgetUsd = optionalPositive(input.budgetUsd, 'budget (USD)', false);
    await this.deps.engine.ensureAvailable();

    const now = this.deps.clock.now();
    const start = input.start ?? true;
    const row = await this.deps.store.workers.insert(
      {
        id: uuidv7(now),
        name: input.name,
        prompt: input.prompt,
        templateId: input.templateId ?? null,
        cwd: input.cwd,
        model,
        policy: input.policy,
        maxTurns,
        budgetUsd,
        state: start ? 'queued' : 'paused',
        stateReason: start ? null : NOT_STARTED,
        queuedAt: start ? this.queueStamp(now) : null,
      },
      now,
    );
    if (row.templateId !== null) await this.deps.store.workers.noteTemplateUse(row.templateId, now);
    const v = await this.emitWorker(row);
    if (start) this.pump();
    return v;
  }

  /** Runs the worker from the beginning (a new session); it queues behind the others. */
  async start(idOrName: string): Promise<WorkerView> {
    const w = await this.find(idOrName);
    if (w.state === 'queued' || ACTIVE.includes(w.state)) {
      throw new GatewayError('conflict', `Worker "${w.name}" is already ${w.state.replace('_', ' ')}`);
    }
    return this.enqueue(w, { sessionId: null, turns: 0 });
  }

  /** Continues the worker's session (SDK resume); a worker that never started starts. */
  async resume(idOrName: string): Promise<WorkerView> {
    const w = await this.find(idOrName);
    if (w.state === 'completed') {
      throw new GatewayError('conflict', `Worker "${w.name}" completed; start it to run the task again`);
    }
    if (w.state === 'queued' || ACTIVE.includes(w.state)) {
      throw new GatewayError('conflict', `Worker "${w.name}" is already ${w.state.replace('_', ' ')}`);
    }
    return this.enqueue(w, {});
  }

  /** `now`, or 1 ms after the last stamp: ids break ties at random (their tail is random). */
  private queueStamp(now: number): number {
    this.lastQueuedAt = Math.max(now, this.lastQueuedAt + 1);
    return this.lastQueuedAt;
  }

  private async enqueue(w: WorkerRow, patch: WorkerPatch): Promise<WorkerView> {
    const now = this.deps.clock.now();
    const row = await this.serial(w.id, () =>
      this.deps.store.workers.update(
        w.id,
        { ...patch, state: 'queued', stateReason: null, queuedAt: this.queueStamp(now), finishedAt: null },
        now,
      ),
    );
    if (row === null) throw new GatewayError('not_found', `Worker "${w.name}" was deleted`);
    const v = await this.emitWorker(row);
    this.pump();
    return v;
  }

  /** Queued: leaves the queue paused. Running: interrupted at the next turn boundary, then paused. */
  async pause(idOrName: string): Promise<WorkerView> {
    const w = await this.find(idOrName);
    if (w.state === 'queued')
      return this.setState(w.id, { state: 'paused', stateReason: 'paused while queued', queuedAt: null });
    const run = this.runs.get(w.id);
    if (!ACTIVE.includes(w.state) || run === undefined) {
      throw new GatewayError('conflict', `Worker "${w.name}" is ${w.state.replace('_', ' ')}, not running`);
    }
    run.pauseRequested = true;
    run.handle?.pause();
    await this.cancelWaiters(w.id, PAUSED_MESSAGE);
    return this.setState(w.id, { stateReason: 'pausing at the next turn' });
  }

  async stop(idOrName: string): Promise<WorkerView> {
    const w = await this.find(idOrName);
    const run = this.runs.get(w.id);
    if (run !== undefined) {
      run.stopRequested = 'stopped by the user';
      run.handle?.stop('stopped by the user');
      await this.cancelWaiters(w.id, 'The user stopped this session.');
      await this.settled(w.id);
      return this.get(w.id);
    }
    if (w.state === 'queued' || w.state === 'paused') {
      return this.setState(w.id, {
        state: 'stopped',
        stateReason: 'stopped by the user',
        queuedAt: null,
        finishedAt: this.deps.clock.now(),
      });
    }
    throw new GatewayError('conflict', `Worker "${w.name}" already ${w.state}`);
  }

  /**
   * Changes the budget and max turns, also of a running worker. A budget applies at once: at or
   * below the cost so far, a running worker stops with "budget reached". Claude Code keeps the
   * max turns it was started with, so a higher one applies from the next start or resume, and a
   * lower one is enforced here: past it the worker pauses at the next turn boundary.
   */
  async edit(idOrName: string, patch: { maxTurns?: number | null; budgetUsd?: number | null }): Promise<WorkerView> {
    const w = await this.find(idOrName);
    const set: WorkerPatch = {};
    if (patch.maxTurns !== undefined) set.maxTurns = optionalPositive(patch.maxTurns, 'max turns', true);
    if (patch.budgetUsd !== undefined) set.budgetUsd = optionalPositive(patch.budgetUsd, 'budget (USD)', false);
    if (Object.keys(set).length === 0) bad('Nothing to change: give maxTurns, budgetUsd or both');
    const row = await this.serial(w.id, () => this.deps.store.workers.update(w.id, set, this.deps.clock.now()));
    if (row === null) throw new GatewayError('not_found', `Worker "${w.name}" was deleted`);
    const v = await this.emitWorker(row);
    const run = this.runs.get(w.id);
    if (run === undefined || run.finished) return v;
    if (set.budgetUsd !== undefined) await this.noteCost(run);
    if (set.maxTurns !== undefined) await this.enforceEditedMaxTurns(row, run, row.turns);
    return this.get(w.id);
  }

  private async enforceEditedMaxTurns(row: WorkerRow, run: Run, turns: number): Promise<void> {
    const max = row.maxTurns;
    if (max === null || max === run.startedMaxTurns || turns <= max) return;
    if (run.pauseRequested || run.stopRequested !== null || this.runs.get(row.id) !== run) return;
    run.pauseRequested = true;
    run.pauseReason = `max turns reached (${max}); raise it and resume to continue`;
    run.handle?.pause();
    await this.cancelWaiters(row.id, PAUSED_MESSAGE);
    if (!run.finished) await this.setState(row.id, { stateReason: `pausing: max turns reached (${max})` });
  }

  async delete(idOrName: string): Promise<void> {
    const w = await this.find(idOrName);
    const run = this.runs.get(w.id);
    if (run !== undefined) {
      run.stopRequested = 'deleted';
      run.handle?.stop('deleted');
      await this.cancelWaiters(w.id, 'The user deleted this worker.');
      await this.settled(w.id);
    }
    await this.serial(w.id, () => this.deps.store.workers.delete(w.id));
    this.deps.events.emit('worker.deleted', { id: w.id, name: w.name });
  }

  /** Resolves once the worker's run (if any) has finished and its final state is written. */
  private async settled(workerId: string): Promise<void> {
    for (let run = this.runs.get(workerId); run !== undefined; run = this.runs.get(workerId)) {
      // Null while its key is minted: the launch then starts and stops it at once.
      if (run.ended === null) await new Promise((r) => setImmediate(r));
      else await run.ended;
    }
    await this.chains.get(workerId);
  }

  private async setState(workerId: string, patch: WorkerPatch): Promise<WorkerView> {
    const row = await this.serial(workerId, () =>
      this.deps.store.workers.update(workerId, patch, this.deps.clock.now()),
    );
    if (row === null) throw new GatewayError('not_found', `No worker with id "${workerId}"`);
    return this.emitWorker(row);
  }

  // ---- scheduling ----

  /** Starts queued workers, oldest queued first, while fewer than N run. */
  private pump(): void {
    this.pumping = this.pumping
      .then(() => this.pumpOnce())
      .catch((err) => {
        this.deps.logger.error({ err }, 'worker queue: could not start the next worker');
      });
  }

  private async pumpOnce(): Promise<void> {
    if (this.closing) return;
    const queued = (await this.deps.store.workers.list())
      .filter((w) => w.state === 'queued')
      .sort((a, b) => (a.queuedAt ?? 0) - (b.queuedAt ?? 0) || a.id.localeCompare(b.id));
    for (const w of queued) {
      if (this.runs.size >= this.maxConcurrent() || this.closing) return;
      await this.launch(w);
    }
  }

  private async launch(w: WorkerRow): Promise<void> {
    if (w.budgetUsd !== null && w.costUsd >= w.budgetUsd) {
      await this.setState(w.id, {
        state: 'stopped',
        stateReason: BUDGET_REACHED,
        queuedAt: null,
        finishedAt: this.deps.clock.now(),
      });
      return;
    }
    const run: Run = {
      workerId: w.id,
      keyName: '',
      handle: null,
      recordCost: 0,
      sdkCost: 0,
      costBase: w.costUsd,
      tokensInBase: w.tokensIn,
      tokensOutBase: w.tokensOut,
      tokensIn: 0,
      tokensOut: 0,
      budgetStopped: false,
      pauseRequested: false,
      pauseReason: null,
      startedMaxTurns: w.maxTurns,
      stopRequested: null,
      finished: false,
      ended: null,
    };
    this.runs.set(w.id, run);
    const failed = (err: unknown): WorkerPatch => ({
      state: 'failed',
      stateReason: err instanceof Error ? err.message : String(err),
      queuedAt: null,
      finishedAt: this.deps.clock.now(),
    });
    const logFailure = (patch: WorkerPatch) =>
      this.appendLogs(w.id, [{ at: this.deps.clock.now(), kind: 'error', text: patch.stateReason ?? '', data: null }]);
    try {
      await this.deps.engine.ensureAvailable();
    } catch (err) {
      this.runs.delete(w.id);
      // Only while it is still queued here: another instance may be able to run it, or already does.
      const patch = failed(err);
      const row = await this.serial(w.id, () =>
        this.deps.store.workers.claimQueued(w.id, patch, this.deps.clock.now()),
      );
      if (row !== null) {
        await logFailure(patch);
        await this.emitWorker(row);
      }
      return;
    }
    const now = this.deps.clock.now();
    // Claimed before its key is minted: of instances draining the queue at once, one starts it.
    const claimed = await this.serial(w.id, () =>
      this.deps.store.workers.claimQueued(
        w.id,
        {
          state: 'running',
          stateReason: null,
          owner: this.instanceId,
          queuedAt: null,
          startedAt: now,
          finishedAt: null,
        },
        now,
      ),
    );
    if (claimed === null) {
      this.runs.delete(w.id);
      return;
    }
    let key: { name: string; key: string };
    try {
      key = await this.deps.keys.mint(w.name);
    } catch (err) {
      this.runs.delete(w.id);
      const patch = failed(err);
      await logFailure(patch);
      await this.setState(w.id, patch);
      return;
    }
    run.keyName = key.name;
    this.byKey.set(key.name, run);
    const row = await this.serial(w.id, () =>
      this.deps.store.workers.update(w.id, { keyName: key.name }, this.deps.clock.now()),
    );
    if (row === null) {
      this.runs.delete(w.id);
      this.byKey.delete(key.name);
      await this.revokeKey(key.name);
      return;
    }
    await this.emitWorker(row);
    const handle = this.deps.engine.start(
      { worker: row, resumeSessionId: row.sessionId, apiKey: key.key },
      this.hooks(row, run),
    );
    run.handle = handle;
    // A pause or stop asked for while the key was being minted.
    if (run.stopRequested !== null) handle.stop(run.stopRequested);
    else if (run.pauseRequested) handle.pause();
    run.ended = handle.done
      .catch(
        (err: unknown): RunOutcome => ({
          state: 'failed',
          reason: err instanceof Error ? err.message : String(err),
          sessionId: null,
        }),
      )
      .then((outcome) => this.finish(run, outcome))
      .catch((err) => this.deps.logger.error({ err, worker: w.name }, 'worker end not saved'));
  }

  private hooks(w: WorkerRow, run: Run): RunHooks {
    return {
      log: (entries) => {
        void this.appendLogs(w.id, entries);
      },
      sessionStarted: (sessionId) => {
        void this.serial(w.id, () => this.deps.store.workers.update(w.id, { sessionId }, this.deps.clock.now()));
      },
      progress: (turns, lastAction) => {
        void this.serial(w.id, async () => {
          const row = await this.deps.store.workers.update(
            w.id,
            { turns, ...(lastAction === null ? {} : { lastAction }) },
            this.deps.clock.now(),
          );
          if (row !== null) await this.emitWorker(row);
          return row;
        })
          // Outside the worker's write chain: pausing withdraws approvals, which write through it.
          .then((row) => (row === null ? undefined : this.enforceEditedMaxTurns(row, run, turns)))
          .catch((err) => this.deps.logger.warn({ err, worker: w.name }, 'worker progress not saved'));
      },
      sdkCost: (total) => {
        run.sdkCost = total;
        void this.noteCost(run);
      },
      requestApproval: (req, signal) => this.requestApproval(w, run, req, signal),
    };
  }

  private async finish(run: Run, outcome: RunOutcome): Promise<void> {
    const id = run.workerId;
    run.finished = true;
    this.byKey.delete(run.keyName);
    await this.revokeKey(run.keyName);
    await this.cancelWaiters(id, 'The session ended.');
    await this.flushCost(run);
    let state: WorkerState = outcome.state;
    let reason = outcome.reason;
    if (run.budgetStopped) {
      state = 'stopped';
      reason = BUDGET_REACHED;
    } else if (this.closing && outcome.state === 'stopped' && run.stopRequested === 'gateway stopping') {
      // Shutting down is not the user's stop: the worker continues after the restart.
      state = 'paused';
      reason = 'gateway stopped while it ran; resume to continue';
    } else if (outcome.state === 'paused' && run.pauseRequested) {
      reason = run.pauseReason ?? 'paused by the user';
    }
    const now = this.deps.clock.now();
    const terminal = state === 'completed' || state === 'failed' || state === 'stopped';
    const row = await this.serial(id, () =>
      this.deps.store.workers.update(
        id,
        {
          state,
          stateReason: reason,
          ...(outcome.sessionId === null ? {} : { sessionId: outcome.sessionId }),
          finishedAt: terminal ? now : null,
        },
        now,
      ),
    );
    this.runs.delete(id);
    if (row !== null) {
      await this.appendLogs(id, [
        {
          at: now,
          kind: state === 'failed' ? 'error' : 'system',
          text: `Worker ${state}${reason === null ? '' : `: ${reason}`}`,
          data: { state, reason },
        },
      ]);
      await this.emitWorker(row);
    }
    this.pump();
  }

  private async revokeKey(name: string): Promise<void> {
    if (name === '') return;
    try {
      await this.deps.keys.revoke(name);
    } catch (err) {
      this.deps.logger.warn({ err, key: name }, 'worker key not revoked');
    }
  }

  // ---- cost and budget ----

  private costOf(run: Run): number {
    // The records are ccflare's own reading; the SDK's estimate covers requests not recorded yet.
    return Math.max(run.costBase + run.recordCost, run.sdkCost);
  }

  private async noteCost(run: Run): Promise<void> {
    const w = await this.deps.store.workers.get(run.workerId);
    if (w === null) return;
    const cost = this.costOf(run);
    if (w.budgetUsd !== null && cost >= w.budgetUsd && !run.budgetStopped && this.runs.get(run.workerId) === run) {
      run.budgetStopped = true;
      run.stopRequested = BUDGET_REACHED;
      run.handle?.stop(BUDGET_REACHED);
      await this.cancelWaiters(run.workerId, 'The worker reached its budget.');
    }
    await this.flushCost(run);
  }

  private async flushCost(run: Run): Promise<void> {
    const row = await this.serial(run.workerId, () =>
      this.deps.store.workers.update(
        run.workerId,
        {
          costUsd: this.costOf(run),
          tokensIn: run.tokensInBase + run.tokensIn,
          tokensOut: run.tokensOutBase + run.tokensOut,
        },
        this.deps.clock.now(),
      ),
    );
    if (row !== null) await this.emitWorker(row);
  }

  // ---- logs ----

  private appendLogs(workerId: string, entries: NewWorkerLog[]): Promise<void> {
    return this.serial(workerId, async () => {
      const rows = await this.deps.store.workers.appendLogs(workerId, entries, this.deps.logKeep ?? DEFAULT_LOG_KEEP);
      if (rows.length > 0) this.deps.events.emit('worker.log', { workerId, entries: rows });
    }).catch((err) => this.deps.logger.warn({ err, workerId }, 'worker log entries not saved'));
  }

  // ---- approvals ----

  private async requestApproval(
    w: WorkerRow,
    run: Run,
    req: ApprovalRequest,
    signal: AbortSignal,
  ): Promise<ApprovalAnswer> {
    if (run.pauseRequested) return { allow: false, message: PAUSED_MESSAGE, interrupt: true };
    const now = this.deps.clock.now();
    const approval = await this.deps.store.workers.insertApproval({
      id: uuidv7(now),
      workerId: w.id,
      tool: req.tool,
      toolUseId: req.toolUseId,
      input: req.input,
      risk: req.risk,
      reason: req.reason,
      createdAt: now,
      expiresAt: now + this.timeoutMs,
    });
    const answer = new Promise<ApprovalAnswer>((resolve) => {
      const onAbort = () => void this.closeApproval(approval.id, 'cancelled', PAUSED_MESSAGE, true);
      const timer = setTimeout(() => {
        const minutes = Math.round(this.timeoutMs / 60_000);
        const waited =
          minutes >= 1 ? `${minutes} minute${minutes === 1 ? '' : 's'}` : `${Math.round(this.timeoutMs / 1000)} s`;
        void this.closeApproval(
          approval.id,
          'timed_out',
          `No one approved this call within ${waited}, so it was not run. Do not retry it; finish without it or explain what you need.`,
          false,
        );
      }, this.timeoutMs);
      signal.addEventListener('abort', onAbort, { once: true });
      this.waiters.set(approval.id, {
        workerId: w.id,
        resolve,
        timer,
        cleanup: () => signal.removeEventListener('abort', onAbort),
      });
    });
    await this.appendLogs(w.id, [
      {
        at: now,
        kind: 'approval',
        text: `Waiting for approval (${req.risk} risk: ${req.reason}): ${req.tool}`,
        data: { approvalId: approval.id, toolUseId: req.toolUseId, tool: req.tool, risk: req.risk },
      },
    ]);
    const view = await this.setState(w.id, {
      state: 'waiting_approval',
      lastAction: `Waiting for approval: ${req.tool}`,
    });
    const av: ApprovalView = { ...approval, workerName: w.name };
    this.deps.events.emit('approval.changed', av);
    try {
      this.deps.onApprovalPending?.(view, av);
    } catch (err) {
      this.deps.logger.warn({ err }, 'approval notification failed');
    }
    if (signal.aborted) void this.closeApproval(approval.id, 'cancelled', PAUSED_MESSAGE, true);
    return answer;
  }

  /** Approves a pending call, optionally with edited input; the worker runs it. */
  async approve(approvalId: string, opts: { input?: Record<string, unknown> } = {}): Promise<ApprovalView> {
    if (
      opts.input !== undefined &&
      (opts.input === null || typeof opts.input !== 'object' || Array.isArray(opts.input))
    ) {
      bad('Invalid edited input: expected a JSON object of the tool input');
    }
    return this.decide(approvalId, { status: 'approved', decidedInput: opts.input ?? null, message: null });
  }

  /** Rejects a pending call; `message` is what the worker's model reads. */
  async reject(approvalId: string, message: string): Promise<ApprovalView> {
    if (typeof message !== 'string' || message.trim() === '') bad('A rejection needs a message: the worker reads it');
    return this.decide(approvalId, { status: 'rejected', decidedInput: null, message });
  }

  private async decide(
    approvalId: string,
    d: { status: 'approved' | 'rejected'; decidedInput: Record<string, unknown> | null; message: string | null },
  ): Promise<ApprovalView> {
    const existing = await this.deps.store.workers.getApproval(approvalId);
    if (existing === null) throw new GatewayError('not_found', `No approval with id "${approvalId}"`);
    if (existing.status !== 'pending') {
      throw new GatewayError(
        'conflict',
        `Approval ${approvalId} was already decided: ${existing.status.replace('_', ' ')}`,
      );
    }
    if (!this.waiters.has(approvalId)) {
      // Its session is gone (a restart): nothing can run it any more.
      await this.deps.store.workers.decideApproval(
        approvalId,
        { status: 'cancelled', decidedInput: null, message: 'the session that asked has ended' },
        this.deps.clock.now(),
      );
      throw new GatewayError(
        'conflict',
        `Approval ${approvalId} can no longer be decided: the session that asked has ended`,
      );
    }
    const row = await this.closeApproval(approvalId, d.status, d.message, false, d.decidedInput);
    if (row === null) throw new GatewayError('conflict', `Approval ${approvalId} was already decided`);
    return row;
  }

  /** Decides the approval in the database (first decision wins) and answers the run waiting on it. */
  private async closeApproval(
    approvalId: string,
    status: 'approved' | 'rejected' | 'timed_out' | 'cancelled',
    message: string | null,
    interrupt: boolean,
    decidedInput: Record<string, unknown> | null = null,
  ): Promise<ApprovalView | null> {
    const waiter = this.waiters.get(approvalId);
    const row = await this.deps.store.workers.decideApproval(
      approvalId,
      { status, decidedInput, message },
      this.deps.clock.now(),
    );
    if (row === null) return null;
    if (waiter !== undefined) {
      this.waiters.delete(approvalId);
      clearTimeout(waiter.timer);
      waiter.cleanup();
      waiter.resolve(
        status === 'approved'
          ? { allow: true, input: decidedInput ?? row.input }
          : { allow: false, message: message ?? 'Rejected', ...(interrupt ? { interrupt: true } : {}) },
      );
    }
    const w = await this.deps.store.workers.get(row.workerId);
    const label = { approved: 'Approved', rejected: 'Rejected', timed_out: 'Timed out', cancelled: 'Withdrawn' }[
      status
    ];
    await this.appendLogs(row.workerId, [
      {
        at: this.deps.clock.now(),
        kind: 'approval',
        // An edited call ran, not the one asked: the log says which (it read "Approved: Bash" next
        // to the asked `rm -rf ./build` while an `echo` ran).
        text:
          status === 'approved' && decidedInput !== null && JSON.stringify(decidedInput) !== JSON.stringify(row.input)
            ? `Approved with changes: ${describeToolCall(row.tool, decidedInput)} (asked: ${describeToolCall(row.tool, row.input)})`
            : `${label}: ${row.tool}${message === null ? '' : ` (${message})`}`,
        data: { approvalId, status, edited: decidedInput !== null },
      },
    ]);
    const run = this.runs.get(row.workerId);
    if (w !== null && w.state === 'waiting_approval' && run !== undefined && !run.finished && !this.hasWaiters(w.id)) {
      await this.setState(w.id, { state: 'running' });
    }
    const view: ApprovalView = { ...row, workerName: w?.name ?? '' };
    this.deps.events.emit('approval.changed', view);
    return view;
  }

  private hasWaiters(workerId: string): boolean {
    for (const x of this.waiters.values()) if (x.workerId === workerId) return true;
    return false;
  }

  private async cancelWaiters(workerId: string, message: string): Promise<void> {
    const closing: Promise<unknown>[] = [];
    for (const [id, x] of this.waiters) {
      if (x.workerId === workerId) closing.push(this.closeApproval(id, 'cancelled', message, true));
    }
    await Promise.all(closing);
  }
}
