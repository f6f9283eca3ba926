/**
 * The seams of the workers feature: the approval rules the engine consults (risk.ts and
 * policy.ts implement them), the engine the manager drives (engine.ts runs the Agent SDK; unit
 * tests pass a fake), and the JSON views the API, dashboard, TUI and CLI show.
 */
import type {
  ApprovalRow,
  NewWorkerLog,
  RiskLevel,
  WorkerLogRow,
  WorkerRow,
  WorkerState,
} from '../storage/contract/workers.js';

export interface ToolCall {
  tool: string;
  input: Record<string, unknown>;
}

export interface Assessment {
  level: RiskLevel;
  reason: string;
}

/** How a tool call is judged: `assessToolCall` (risk.ts) and `autoApproves` (policy.ts). */
export interface ApprovalRules {
  assess(call: ToolCall, cwd: string): Assessment;
  autoApproves(policy: string, level: RiskLevel): boolean;
}

/** A tool call the engine could not approve on its own. */
export interface ApprovalRequest {
  tool: string;
  toolUseId: string | null;
  input: Record<string, unknown>;
  risk: RiskLevel;
  reason: string;
}

/** A person's (or the timeout's) answer; a rejection's message is what the model reads. */
export type ApprovalAnswer =
  | { allow: true; input: Record<string, unknown> }
  | { allow: false; message: string; interrupt?: boolean };

/** What one run reports to the manager while it goes. */
export interface RunHooks {
  /** Log entries in the order they happened. */
  log(entries: NewWorkerLog[]): void;
  sessionStarted(sessionId: string): void;
  /** Model turns so far in this run and the latest action, for the worker's card. */
  progress(turns: number, lastAction: string | null): void;
  /** The SDK's own running cost estimate for this run (USD). */
  sdkCost(totalUsd: number): void;
  /** Persists a pending approval and resolves with the decision (or the timeout's rejection). */
  requestApproval(req: ApprovalRequest, signal: AbortSignal): Promise<ApprovalAnswer>;
}

export interface RunSpec {
  worker: WorkerRow;
  /** The session to continue (SDK resume); null starts a new one with the worker's prompt. */
  resumeSessionId: string | null;
  /** The client key minted for this worker: its requests are recorded under the worker's name. */
  apiKey: string;
}

/** How a run ended. `paused` keeps the session for a resume. */
export interface RunOutcome {
  state: Extract<WorkerState, 'completed' | 'failed' | 'paused' | 'stopped'>;
  reason: string | null;
  sessionId: string | null;
}

export interface RunHandle {
  /** Interrupts at the next turn boundary (a pending approval is withdrawn); the run ends paused. */
  pause(): void;
  /** Ends the run now; `done` resolves stopped with this reason. */
  stop(reason: string): void;
  readonly done: Promise<RunOutcome>;
}

export interface WorkerEngine {
  /** Throws GatewayError('feature_unavailable') when the Agent SDK is not installed. */
  ensureAvailable(): Promise<void>;
  start(spec: RunSpec, hooks: RunHooks): RunHandle;
}

/** The client key a worker's run uses: minted per run, revoked when the run ends. */
export interface WorkerKeys {
  /** Creates an active client key named after the worker; returns its name and secret. */
  mint(workerName: string): Promise<{ name: string; key: string }>;
  revoke(keyName: string): Promise<void>;
}

/** A worker as the API and the screens show it. */
export interface WorkerView {
  id: string;
  name: string;
  prompt: string;
  templateId: string | null;
  cwd: string;
  model: string | null;
  policy: string;
  maxTurns: number | null;
  budgetUsd: number | null;
  state: WorkerState;
  stateReason: string | null;
  sessionId: string | null;
  keyName: string | null;
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
  turns: number;
  lastAction: string | null;
  /** 1-based place in the queue while queued, else null. */
  queuePosition: number | null;
  pendingApprovals: number;
  createdAt: number;
  startedAt: number | null;
  finishedAt: number | null;
  updatedAt: number;
}

export type ApprovalView = ApprovalRow & { workerName: string };

export type WorkerLogView = WorkerLogRow;
