/**
 * Worker rows as both back-ends return them (snake_case columns of the same types, JSON kept as
 * text) and as the contract gives them out: one mapping for SQLite and PostgreSQL.
 */
import type {
  ApprovalRow,
  ApprovalStatus,
  RiskLevel,
  WorkerLogKind,
  WorkerLogRow,
  WorkerPatch,
  WorkerRow,
  WorkerState,
} from '../contract/workers.js';

export interface WorkerDbRow {
  id: string;
  name: string;
  prompt: string;
  template_id: string | null;
  cwd: string;
  model: string | null;
  policy: string;
  max_turns: number | null;
  budget_usd: number | null;
  state: string;
  state_reason: string | null;
  session_id: string | null;
  key_name: string | null;
  cost_usd: number;
  tokens_in: number;
  tokens_out: number;
  turns: number;
  last_action: string | null;
  owner: string | null;
  queued_at: number | null;
  started_at: number | null;
  finished_at: number | null;
  created_at: number;
  updated_at: number;
}

export function toWorker(r: WorkerDbRow): WorkerRow {
  return {
    id: r.id,
    name: r.name,
    prompt: r.prompt,
    templateId: r.template_id,
    cwd: r.cwd,
    model: r.model,
    policy: r.policy,
    maxTurns: r.max_turns,
    budgetUsd: r.budget_usd,
    state: r.state as WorkerState,
    stateReason: r.state_reason,
    sessionId: r.session_id,
    keyName: r.key_name,
    costUsd: r.cost_usd,
    tokensIn: r.tokens_in,
    tokensOut: r.tokens_out,
    turns: r.turns,
    lastAction: r.last_action,
    owner: r.owner,
    queuedAt: r.queued_at,
    startedAt: r.started_at,
    finishedAt: r.finished_at,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
  };
}

/** WorkerPatch field → column. */
export const WORKER_PATCH_COLUMNS: Record<keyof WorkerPatch, string> = {
  maxTurns: 'max_turns',
  budgetUsd: 'budget_usd',
  state: 'state',
  stateReason: 'state_reason',
  sessionId: 'session_id',
  keyName: 'key_name',
  costUsd: 'cost_usd',
  tokensIn: 'tokens_in',
  tokensOut: 'tokens_out',
  turns: 'turns',
  lastAction: 'last_action',
  owner: 'owner',
  queuedAt: 'queued_at',
  startedAt: 'started_at',
  finishedAt: 'finished_at',
};

/** The patch's set fields as [column, value], in WORKER_PATCH_COLUMNS order. */
export function patchColumns(patch: WorkerPatch): [string, string | number | null][] {
  const out: [string, string | number | null][] = [];
  for (const [k, col] of Object.entries(WORKER_PATCH_COLUMNS) as [keyof WorkerPatch, string][]) {
    const v = patch[k];
    if (v !== undefined) out.push([col, v]);
  }
  return out;
}

export interface LogDbRow {
  worker_id: string;
  seq: number;
  at: number;
  kind: string;
  text: string;
  data: string | null;
}

/** JSON as a column stores it; null stays SQL NULL. */
export function jsonText(v: unknown): string | null {
  return v === null ? null : JSON.stringify(v);
}

function parseJson(text: string | null): unknown {
  if (text === null) return null;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return null;
  }
}

export function toLog(r: LogDbRow): WorkerLogRow {
  return {
    workerId: r.worker_id,
    seq: r.seq,
    at: r.at,
    kind: r.kind as WorkerLogKind,
    text: r.text,
    data: parseJson(r.data),
  };
}

export interface ApprovalDbRow {
  id: string;
  worker_id: string;
  tool: string;
  tool_use_id: string | null;
  input: string;
  risk: string;
  reason: string;
  status: string;
  decided_input: string | null;
  message: string | null;
  created_at: number;
  expires_at: number;
  decided_at: number | null;
}

function asObject(v: unknown): Record<string, unknown> {
  return v !== null && typeof v === 'object' && !Array.isArray(v) ? (v as Record<string, unknown>) : {};
}

export function toApproval(r: ApprovalDbRow): ApprovalRow {
  return {
    id: r.id,
    workerId: r.worker_id,
    tool: r.tool,
    toolUseId: r.tool_use_id,
    input: asObject(parseJson(r.input)),
    risk: r.risk as RiskLevel,
    reason: r.reason,
    status: r.status as ApprovalStatus,
    decidedInput: r.decided_input === null ? null : asObject(parseJson(r.decided_input)),
    message: r.message,
    createdAt: r.created_at,
    expiresAt: r.expires_at,
    decidedAt: r.decided_at,
  };
}
