/**
 * A worker engine without Claude Code: each run is driven by the test through its hooks (ask for
 * an approval, log, reach a turn boundary, complete), for API and CLI tests of the workers feature.
 */
import { GatewayError } from '../../src/errors.js';
import { AGENT_SDK_MISSING } from '../../src/workers/agent-sdk.js';
import type {
  ApprovalAnswer,
  ApprovalRequest,
  RunHandle,
  RunHooks,
  RunOutcome,
  RunSpec,
  WorkerEngine,
  WorkerKeys,
} from '../../src/workers/types.js';

export class FakeRun implements RunHandle {
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
    hooks.sessionStarted(this.sessionId);
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

  ask(req: Partial<ApprovalRequest> = {}): Promise<ApprovalAnswer> {
    return this.hooks.requestApproval(
      {
        tool: 'Bash',
        toolUseId: 'toolu_1',
        input: { command: 'touch made.txt' },
        risk: 'medium',
        reason: 'runs a shell command',
        ...req,
      },
      new AbortController().signal,
    );
  }
}

export class FakeEngine implements WorkerEngine {
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

export class FakeKeys implements WorkerKeys {
  readonly active = new Set<string>();
  async mint(workerName: string) {
    const name = `worker-${workerName}`;
    this.active.add(name);
    return { name, key: `ccf_secret_${workerName}` };
  }
  async revoke(name: string) {
    this.active.delete(name);
  }
}
