/** `store.workers` for PostgreSQL (same behaviour as sqlite/workers.ts). */
import { GatewayError } from '../../errors.js';
import type {
  ApprovalDecision,
  ApprovalFilter,
  ApprovalRow,
  NewApproval,
  NewWorker,
  NewWorkerLog,
  TemplateUseRow,
  WorkerLogRow,
  WorkerPatch,
  WorkerRow,
  WorkersStore,
} from '../contract/workers.js';
import {
  type ApprovalDbRow,
  jsonText,
  type LogDbRow,
  patchColumns,
  toApproval,
  toLog,
  toWorker,
  type WorkerDbRow,
} from '../rows/worker-rows.js';
import { inTransaction, type PgPool } from './connection.js';
import { recoverableBy } from './instances.js';
import { isUniqueViolation } from './pg-errors.js';
import { unnestInsert } from './pg-sql.js';

// JSON (log data, tool input) is TEXT, not JSONB: JSONB refuses the \u0000 a tool's output may
// hold and reorders keys, and the rows then map exactly as SQLite's do (rows/worker-rows.ts).
export const WORKERS_DDL = `
  CREATE TABLE workers (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    prompt TEXT NOT NULL,
    template_id TEXT,
    cwd TEXT NOT NULL,
    model TEXT,
    policy TEXT NOT NULL,
    max_turns INTEGER,
    budget_usd DOUBLE PRECISION,
    state TEXT NOT NULL,
    state_reason TEXT,
    session_id TEXT,
    key_name TEXT,
    cost_usd DOUBLE PRECISION NOT NULL DEFAULT 0,
    tokens_in BIGINT NOT NULL DEFAULT 0,
    tokens_out BIGINT NOT NULL DEFAULT 0,
    turns INTEGER NOT NULL DEFAULT 0,
    last_action TEXT,
    queued_at BIGINT,
    started_at BIGINT,
    finished_at BIGINT,
    created_at BIGINT NOT NULL,
    updated_at BIGINT NOT NULL
  );

  -- Bounded per worker by the writer (appendLogs' keep), so the table holds a window per worker.
  CREATE TABLE worker_logs (
    worker_id TEXT NOT NULL,
    seq BIGINT NOT NULL,
    at BIGINT NOT NULL,
    kind TEXT NOT NULL,
    text TEXT NOT NULL,
    data TEXT,
    PRIMARY KEY (worker_id, seq)
  );

  CREATE TABLE worker_approvals (
    id TEXT PRIMARY KEY,
    worker_id TEXT NOT NULL,
    tool TEXT NOT NULL,
    tool_use_id TEXT,
    input TEXT NOT NULL,
    risk TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    decided_input TEXT,
    message TEXT,
    created_at BIGINT NOT NULL,
    expires_at BIGINT NOT NULL,
    decided_at BIGINT
  );
  CREATE INDEX worker_approvals_worker ON worker_approvals (worker_id, created_at);
  CREATE INDEX worker_approvals_pending ON worker_approvals (created_at) WHERE status = 'pending';

  CREATE TABLE worker_template_uses (
    template_id TEXT PRIMARY KEY,
    uses BIGINT NOT NULL,
    last_used_at BIGINT NOT NULL
  );
`;

/**
 * PostgreSQL text cannot hold U+0000, which a tool printing a binary file puts in its result (and
 * so in a log entry, the last action, a failure's reason); SQLite can. It becomes U+FFFD, the
 * character that marks what could not be kept, instead of the whole write failing. JSON needs
 * none: JSON.stringify writes it as the escape \u0000.
 */
function pgText<T>(v: T): T {
  return (typeof v === 'string' && v.includes('\u0000') ? v.replaceAll('\u0000', '\uFFFD') : v) as T;
}

// Ties are broken by id in byte order (COLLATE "C"), as SQLite compares text.
const BY_CREATED = 'ORDER BY created_at, id COLLATE "C"';

export class PgWorkers implements WorkersStore {
  constructor(private readonly pool: PgPool) {}

  async insert(w: NewWorker, now: number): Promise<WorkerRow> {
    try {
      const { rows } = await this.pool.query<WorkerDbRow>(
        `INSERT INTO workers (id, name, prompt, template_id, cwd, model, policy, max_turns, budget_usd, state,
           state_reason, queued_at, created_at, updated_at)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $13) RETURNING *`,
        [
          w.id,
          w.name,
          w.prompt,
          w.templateId,
          w.cwd,
          w.model,
          w.policy,
          w.maxTurns,
          w.budgetUsd,
          w.state,
          w.stateReason,
          w.queuedAt,
          now,
        ],
      );
      const row = rows[0];
      if (!row) throw new GatewayError('internal', `Worker "${w.name}" was not stored`);
      return toWorker(row);
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `A worker named "${w.name}" already exists`);
      throw err;
    }
  }

  async get(id: string): Promise<WorkerRow | null> {
    const { rows } = await this.pool.query<WorkerDbRow>('SELECT * FROM workers WHERE id = $1', [id]);
    return rows[0] ? toWorker(rows[0]) : null;
  }

  async getByName(name: string): Promise<WorkerRow | null> {
    const { rows } = await this.pool.query<WorkerDbRow>('SELECT * FROM workers WHERE name = $1', [name]);
    return rows[0] ? toWorker(rows[0]) : null;
  }

  async list(): Promise<WorkerRow[]> {
    const { rows } = await this.pool.query<WorkerDbRow>(`SELECT * FROM workers ${BY_CREATED}`);
    return rows.map(toWorker);
  }

  async update(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null> {
    const cols = [...patchColumns(patch), ['updated_at', now] as const];
    const { rows } = await this.pool.query<WorkerDbRow>(
      `UPDATE workers SET ${cols.map(([col], i) => `${col} = $${i + 2}`).join(', ')} WHERE id = $1 RETURNING *`,
      [id, ...cols.map(([, v]) => pgText(v))],
    );
    return rows[0] ? toWorker(rows[0]) : null;
  }

  async claimQueued(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null> {
    const cols = [...patchColumns(patch), ['updated_at', now] as const];
    // The row lock makes a second instance's UPDATE wait, then find the state changed.
    const { rows } = await this.pool.query<WorkerDbRow>(
      `UPDATE workers SET ${cols.map(([col], i) => `${col} = $${i + 2}`).join(', ')}
       WHERE id = $1 AND state = 'queued' RETURNING *`,
      [id, ...cols.map(([, v]) => pgText(v))],
    );
    return rows[0] ? toWorker(rows[0]) : null;
  }

  async delete(id: string): Promise<boolean> {
    return inTransaction(this.pool, async (client) => {
      await client.query('DELETE FROM worker_logs WHERE worker_id = $1', [id]);
      await client.query('DELETE FROM worker_approvals WHERE worker_id = $1', [id]);
      const res = await client.query('DELETE FROM workers WHERE id = $1', [id]);
      return (res.rowCount ?? 0) > 0;
    });
  }

  async markInterrupted(reason: string, now: number, instanceId: string): Promise<WorkerRow[]> {
    const rows = await inTransaction(this.pool, async (client) => {
      const moved = await client.query<WorkerDbRow>(
        `UPDATE workers SET state = 'paused', state_reason = $1, updated_at = $2
         WHERE state IN ('running', 'waiting_approval') AND ${recoverableBy('owner', 3)} RETURNING *`,
        [pgText(reason), now, instanceId],
      );
      if (moved.rows.length > 0) {
        await client.query(
          `UPDATE worker_approvals SET status = 'cancelled', message = $1, decided_at = $2
           WHERE worker_id = ANY($3::text[]) AND status = 'pending'`,
          [pgText(reason), now, moved.rows.map((r) => r.id)],
        );
      }
      return moved.rows;
    });
    return rows.map(toWorker).sort((a, b) => a.createdAt - b.createdAt || (a.id < b.id ? -1 : a.id > b.id ? 1 : 0));
  }

  async appendLogs(workerId: string, entries: readonly NewWorkerLog[], keep: number): Promise<WorkerLogRow[]> {
    if (entries.length === 0) return [];
    return inTransaction(this.pool, async (client) => {
      // Two appends for one worker (from this instance or another) would both read the same last
      // seq and collide on the key; the lock makes the second wait for the first's commit.
      await client.query("SELECT pg_advisory_xact_lock(hashtextextended('ccflare.worker_logs:' || $1, 0))", [workerId]);
      const last = await client.query<{ s: number | null }>(
        'SELECT max(seq) AS s FROM worker_logs WHERE worker_id = $1',
        [workerId],
      );
      const first = (last.rows[0]?.s ?? 0) + 1;
      const out: WorkerLogRow[] = entries.map((e, i) => ({
        workerId,
        seq: first + i,
        at: e.at,
        kind: e.kind,
        text: pgText(e.text),
        data: e.data,
      }));
      await unnestInsert(
        client,
        'worker_logs',
        [
          ['worker_id', 'text'],
          ['seq', 'bigint'],
          ['at', 'bigint'],
          ['kind', 'text'],
          ['text', 'text'],
          ['data', 'text'],
        ],
        out.map((e) => [e.workerId, e.seq, e.at, e.kind, e.text, jsonText(e.data)]),
      );
      const lastSeq = first + entries.length - 1;
      await client.query('DELETE FROM worker_logs WHERE worker_id = $1 AND seq <= $2', [workerId, lastSeq - keep]);
      return out;
    });
  }

  async listLogs(workerId: string, afterSeq: number, limit: number): Promise<WorkerLogRow[]> {
    const { rows } = await this.pool.query<LogDbRow>(
      'SELECT * FROM worker_logs WHERE worker_id = $1 AND seq > $2 ORDER BY seq LIMIT $3',
      [workerId, afterSeq, limit],
    );
    return rows.map(toLog);
  }

  async insertApproval(a: NewApproval): Promise<ApprovalRow> {
    const { rows } = await this.pool.query<ApprovalDbRow>(
      `INSERT INTO worker_approvals (id, worker_id, tool, tool_use_id, input, risk, reason, status, created_at, expires_at)
       VALUES ($1, $2, $3, $4, $5, $6, $7, 'pending', $8, $9) RETURNING *`,
      [a.id, a.workerId, a.tool, a.toolUseId, JSON.stringify(a.input), a.risk, a.reason, a.createdAt, a.expiresAt],
    );
    const row = rows[0];
    if (!row) throw new GatewayError('internal', `Approval "${a.id}" was not stored`);
    return toApproval(row);
  }

  async getApproval(id: string): Promise<ApprovalRow | null> {
    const { rows } = await this.pool.query<ApprovalDbRow>('SELECT * FROM worker_approvals WHERE id = $1', [id]);
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async listApprovals(filter: ApprovalFilter): Promise<ApprovalRow[]> {
    const where: string[] = [];
    const values: string[] = [];
    if (filter.status !== undefined) {
      values.push(filter.status);
      where.push(`status = $${values.length}`);
    }
    if (filter.workerId !== undefined) {
      values.push(filter.workerId);
      where.push(`worker_id = $${values.length}`);
    }
    const { rows } = await this.pool.query<ApprovalDbRow>(
      `SELECT * FROM worker_approvals ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ${BY_CREATED}`,
      values,
    );
    return rows.map(toApproval);
  }

  async decideApproval(id: string, d: ApprovalDecision, now: number): Promise<ApprovalRow | null> {
    // A concurrent decision holds the row's lock; this UPDATE waits for it, re-reads the row and
    // finds it no longer pending, so exactly one decision is stored and returned.
    const { rows } = await this.pool.query<ApprovalDbRow>(
      `UPDATE worker_approvals SET status = $2, decided_input = $3, message = $4, decided_at = $5
       WHERE id = $1 AND status = 'pending' RETURNING *`,
      [id, d.status, jsonText(d.decidedInput), pgText(d.message), now],
    );
    return rows[0] ? toApproval(rows[0]) : null;
  }

  async noteTemplateUse(templateId: string, now: number): Promise<void> {
    await this.pool.query(
      `INSERT INTO worker_template_uses (template_id, uses, last_used_at) VALUES ($1, 1, $2)
       ON CONFLICT (template_id) DO UPDATE SET uses = worker_template_uses.uses + 1, last_used_at = excluded.last_used_at`,
      [templateId, now],
    );
  }

  async templateUses(): Promise<TemplateUseRow[]> {
    const { rows } = await this.pool.query<{ template_id: string; uses: number; last_used_at: number }>(
      'SELECT template_id, uses, last_used_at FROM worker_template_uses ORDER BY template_id COLLATE "C"',
    );
    return rows.map((r) => ({ templateId: r.template_id, uses: r.uses, lastUsedAt: r.last_used_at }));
  }
}
