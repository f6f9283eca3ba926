/**
 * The storage contract for worker sessions (src/workers, issue 19): the workers with the state
 * that survives a restart (session id, cost, turns), their bounded logs, the approvals their tool
 * calls waited for, and how often each template was used.
 */

import type { RISK_LEVEL_VALUES, WORKER_STATE_VALUES } from '../../shared/worker-values.js';

/** The values the API and the dashboard list (shared/worker-values.ts). */
export type WorkerState = (typeof WORKER_STATE_VALUES)[number];
export type RiskLevel = (typeof RISK_LEVEL_VALUES)[number];

export interface WorkerRow {
  id: string;
  /** Unique; the worker's client key is named after it, so its requests are attributed to it. */
  name: string;
  prompt: string;
  /** The template it was made from, null when written by hand. */
  templateId: string | null;
  /** Absolute working directory of the Claude Code session. */
  cwd: string;
  /** Null: Claude Code's default model. */
  model: string | null;
  /** Up to which risk level tool calls are approved without asking (workers/policy.ts names them). */
  policy: string;
  maxTurns: number | null;
  budgetUsd: number | null;
  state: WorkerState;
  /** Why it is in this state (a failure's message, "budget reached", "gateway restarted"); null when plain. */
  stateReason: string | null;
  /** The Agent SDK's session id once the session started: what resume continues. */
  sessionId: string | null;
  /** The client key name its requests carry, once one was minted. */
  keyName: string | null;
  costUsd: number;
  tokensIn: number;
  tokensOut: number;
  turns: number;
  /** The latest thing it did, one line, for the worker's card. */
  lastAction: string | null;
  /** The gateway instance that last started it (store.instances); null: never started. */
  owner: string | null;
  /** When it last entered the queue: the queue drains in this order. */
  queuedAt: number | null;
  startedAt: number | null;
  finishedAt: number | null;
  createdAt: number;
  updatedAt: number;
}

export interface NewWorker {
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
  queuedAt: number | null;
}

/** `maxTurns` and `budgetUsd` change when a person edits a worker; the rest follow its runs. */
export type WorkerPatch = Partial<
  Pick<
    WorkerRow,
    | 'maxTurns'
    | 'budgetUsd'
    | 'state'
    | 'stateReason'
    | 'sessionId'
    | 'keyName'
    | 'costUsd'
    | 'tokensIn'
    | 'tokensOut'
    | 'turns'
    | 'lastAction'
    | 'owner'
    | 'queuedAt'
    | 'startedAt'
    | 'finishedAt'
  >
>;

export type WorkerLogKind = 'system' | 'assistant' | 'tool_use' | 'tool_result' | 'approval' | 'result' | 'error';

export interface NewWorkerLog {
  at: number;
  kind: WorkerLogKind;
  /** What a person reads. */
  text: string;
  /** Structured detail (tool input, tool use id), JSON; null when none. */
  data: unknown;
}

export interface WorkerLogRow extends NewWorkerLog {
  workerId: string;
  /** Increasing per worker from 1: a log stream replays from a sequence number. */
  seq: number;
}

export type ApprovalStatus = 'pending' | 'approved' | 'rejected' | 'timed_out' | 'cancelled';

export interface ApprovalRow {
  id: string;
  workerId: string;
  tool: string;
  /** The SDK's tool use id, to match the call in the log. */
  toolUseId: string | null;
  input: Record<string, unknown>;
  risk: RiskLevel;
  reason: string;
  status: ApprovalStatus;
  /** The input the approver edited the call to; null: run as asked. */
  decidedInput: Record<string, unknown> | null;
  /** The rejection's message, which the worker's model reads. */
  message: string | null;
  createdAt: number;
  /** When it is rejected unless decided before. */
  expiresAt: number;
  decidedAt: number | null;
}

export type NewApproval = Omit<ApprovalRow, 'status' | 'decidedInput' | 'message' | 'decidedAt'>;

export interface ApprovalDecision {
  status: Exclude<ApprovalStatus, 'pending'>;
  decidedInput: Record<string, unknown> | null;
  message: string | null;
}

export interface ApprovalFilter {
  status?: ApprovalStatus;
  workerId?: string;
}

export interface TemplateUseRow {
  templateId: string;
  uses: number;
  lastUsedAt: number;
}

/** `store.workers`. */
export interface WorkersStore {
  /** Throws GatewayError('conflict') when a worker already has this name. */
  insert(w: NewWorker, now: number): Promise<WorkerRow>;
  get(id: string): Promise<WorkerRow | null>;
  getByName(name: string): Promise<WorkerRow | null>;
  /** Oldest first. */
  list(): Promise<WorkerRow[]>;
  /** Returns the updated row, or null when there is no such worker. */
  update(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null>;
  /**
   * Starts a queued worker: applies `patch` only while it is still `queued`, so of instances
   * draining the queue at once exactly one starts it. Null when it no longer is (started
   * elsewhere, paused, removed).
   */
  claimQueued(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null>;
  /** Removes the worker with its logs and approvals; false when there was none. */
  delete(id: string): Promise<boolean>;
  /**
   * At an instance's start: workers left running or waiting for approval by `instanceId` itself
   * or by an instance no longer alive (store.instances; or by none known) become paused with
   * `reason`, and their pending approvals cancelled (the session that asked is gone). Another
   * live instance's workers are left alone. Returns the workers moved.
   */
  markInterrupted(reason: string, now: number, instanceId: string): Promise<WorkerRow[]>;

  /** Appends entries (numbered on from the worker's last) and keeps only the newest `keep` of the worker. */
  appendLogs(workerId: string, entries: readonly NewWorkerLog[], keep: number): Promise<WorkerLogRow[]>;
  /** Oldest first, entries with `seq` greater than `afterSeq`, at most `limit`. */
  listLogs(workerId: string, afterSeq: number, limit: number): Promise<WorkerLogRow[]>;

  insertApproval(a: NewApproval): Promise<ApprovalRow>;
  getApproval(id: string): Promise<ApprovalRow | null>;
  /** Oldest first. */
  listApprovals(filter: ApprovalFilter): Promise<ApprovalRow[]>;
  /**
   * Decides a pending approval; returns it decided, or null when it does not exist or was already
   * decided (the first decision wins, across processes).
   */
  decideApproval(id: string, d: ApprovalDecision, now: number): Promise<ApprovalRow | null>;

  /** Counts one use of a template. */
  noteTemplateUse(templateId: string, now: number): Promise<void>;
  templateUses(): Promise<TemplateUseRow[]>;
}
