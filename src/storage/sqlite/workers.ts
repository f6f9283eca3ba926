/** SQL for worker sessions (contract/workers.ts), used by SqliteStore; tables of migration 19. */
import type Database from 'better-sqlite3';
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
import { isUniqueViolation, writeWithoutBlocking } from './connection.js';
import type { SqliteInstances } from './instances.js';
import type { Migration } from './migration.js';

export const WORKERS_MIGRATION: Migration = {
  version: 19,
  name: 'worker sessions',
  up: `
    CREATE TABLE workers (
      id TEXT PRIMARY KEY,
      name TEXT NOT NULL UNIQUE,
      prompt TEXT NOT NULL,
      template_id TEXT,
      cwd TEXT NOT NULL,
      model TEXT,
      policy TEXT NOT NULL,
      max_turns INTEGER,
      budget_usd REAL,
      state TEXT NOT NULL,
      state_reason TEXT,
      session_id TEXT,
      key_name TEXT,
      cost_usd REAL NOT NULL DEFAULT 0,
      tokens_in INTEGER NOT NULL DEFAULT 0,
      tokens_out INTEGER NOT NULL DEFAULT 0,
      turns INTEGER NOT NULL DEFAULT 0,
      last_action TEXT,
      queued_at INTEGER,
      started_at INTEGER,
      finished_at INTEGER,
      created_at INTEGER NOT NULL,
      updated_at INTEGER NOT NULL
    );

    -- Bounded per worker by the writer (appendLogs' keep), so the table holds a window per worker.
    CREATE TABLE worker_logs (
      worker_id TEXT NOT NULL,
      seq INTEGER NOT NULL,
      at INTEGER NOT NULL,
      kind TEXT NOT NULL,
      text TEXT NOT NULL,
      data TEXT,
      PRIMARY KEY (worker_id, seq)
    ) WITHOUT ROWID;

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
      created_at INTEGER NOT NULL,
      expires_at INTEGER NOT NULL,
      decided_at INTEGER
    );
    CREATE INDEX worker_approvals_worker ON worker_approvals (worker_id, created_at);
    CREATE INDEX worker_approvals_pending ON worker_approvals (created_at) WHERE status = 'pending';

    CREATE TABLE worker_template_uses (
      template_id TEXT PRIMARY KEY,
      uses INTEGER NOT NULL,
      last_used_at INTEGER NOT NULL
    );
  `,
};

export class SqliteWorkers implements WorkersStore {
  private readonly byId: Database.Statement<[string], WorkerDbRow>;
  private readonly approvalById: Database.Statement<[string], ApprovalDbRow>;

  constructor(
    private readonly db: Database.Database,
    private readonly instances: SqliteInstances,
  ) {
    this.byId = db.prepare('SELECT * FROM workers WHERE id = ?');
    this.approvalById = db.prepare('SELECT * FROM worker_approvals WHERE id = ?');
  }

  async insert(w: NewWorker, now: number): Promise<WorkerRow> {
    try {
      await writeWithoutBlocking(this.db, () =>
        this.db
          .prepare(
            `INSERT INTO workers (id, name, prompt, template_id, cwd, model, policy, max_turns, budget_usd, state,
               state_reason, queued_at, created_at, updated_at)
             VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
          )
          .run(
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
            now,
          ),
      );
    } catch (err) {
      if (isUniqueViolation(err)) throw new GatewayError('conflict', `A worker named "${w.name}" already exists`);
      throw err;
    }
    const row = this.byId.get(w.id);
    if (!row) throw new GatewayError('internal', `Worker "${w.name}" vanished right after insert`);
    return toWorker(row);
  }

  async get(id: string): Promise<WorkerRow | null> {
    const r = this.byId.get(id);
    return r ? toWorker(r) : null;
  }

  async getByName(name: string): Promise<WorkerRow | null> {
    const r = this.db.prepare('SELECT * FROM workers WHERE name = ?').get(name) as WorkerDbRow | undefined;
    return r ? toWorker(r) : null;
  }

  async list(): Promise<WorkerRow[]> {
    return (this.db.prepare('SELECT * FROM workers ORDER BY created_at, id').all() as WorkerDbRow[]).map(toWorker);
  }

  async update(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null> {
    const cols = [...patchColumns(patch), ['updated_at', now] as const];
    const sets = cols.map(([col]) => `${col} = ?`);
    const values = cols.map(([, v]) => v);
    await writeWithoutBlocking(this.db, () =>
      this.db.prepare(`UPDATE workers SET ${sets.join(', ')} WHERE id = ?`).run(...values, id),
    );
    return this.get(id);
  }

  async claimQueued(id: string, patch: WorkerPatch, now: number): Promise<WorkerRow | null> {
    const cols = [...patchColumns(patch), ['updated_at', now] as const];
    const sets = cols.map(([col]) => `${col} = ?`);
    const values = cols.map(([, v]) => v);
    const changed = await writeWithoutBlocking(
      this.db,
      () =>
        this.db.prepare(`UPDATE workers SET ${sets.join(', ')} WHERE id = ? AND state = 'queued'`).run(...values, id)
          .changes,
    );
    return changed === 1 ? this.get(id) : null;
  }

  async delete(id: string): Promise<boolean> {
    return writeWithoutBlocking(this.db, () =>
      this.db.transaction(() => {
        this.db.prepare('DELETE FROM worker_logs WHERE worker_id = ?').run(id);
        this.db.prepare('DELETE FROM worker_approvals WHERE worker_id = ?').run(id);
        return this.db.prepare('DELETE FROM workers WHERE id = ?').run(id).changes > 0;
      })(),
    );
  }

  async markInterrupted(reason: string, now: number, instanceId: string): Promise<WorkerRow[]> {
    const ids = await writeWithoutBlocking(this.db, () =>
      this.db.transaction(() => {
        const rows = (
          this.db.prepare("SELECT id, owner FROM workers WHERE state IN ('running', 'waiting_approval')").all() as {
            id: string;
            owner: string | null;
          }[]
        ).filter((r) => this.instances.recoverable(r.owner, instanceId));
        const move = this.db.prepare(
          "UPDATE workers SET state = 'paused', state_reason = ?, updated_at = ? WHERE id = ?",
        );
        const cancel = this.db.prepare(
          `UPDATE worker_approvals SET status = 'cancelled', message = ?, decided_at = ?
           WHERE worker_id = ? AND status = 'pending'`,
        );
        for (const r of rows) {
          move.run(reason, now, r.id);
          cancel.run(reason, now, r.id);
        }
        return rows.map((r) => r.id);
      })(),
    );
    const out: WorkerRow[] = [];
    for (const id of ids) {
      const r = this.byId.get(id);
      if (r) out.push(toWorker(r));
    }
    return out;
  }

  async appendLogs(workerId: string, entries: readonly NewWorkerLog[], keep: number): Promise<WorkerLogRow[]> {
    if (entries.length === 0) return [];
    return writeWithoutBlocking(this.db, () =>
      this.db.transaction(() => {
        const last = this.db.prepare('SELECT max(seq) AS s FROM worker_logs WHERE worker_id = ?').get(workerId) as {
          s: number | null;
        };
        let seq = last.s ?? 0;
        const ins = this.db.prepare(
          'INSERT INTO worker_logs (worker_id, seq, at, kind, text, data) VALUES (?, ?, ?, ?, ?, ?)',
        );
        const out: WorkerLogRow[] = [];
        for (const e of entries) {
          seq += 1;
          ins.run(workerId, seq, e.at, e.kind, e.text, jsonText(e.data));
          out.push({ workerId, seq, at: e.at, kind: e.kind, text: e.text, data: e.data });
        }
        this.db.prepare('DELETE FROM worker_logs WHERE worker_id = ? AND seq <= ?').run(workerId, seq - keep);
        return out;
      })(),
    );
  }

  async listLogs(workerId: string, afterSeq: number, limit: number): Promise<WorkerLogRow[]> {
    const rows = this.db
      .prepare('SELECT * FROM worker_logs WHERE worker_id = ? AND seq > ? ORDER BY seq LIMIT ?')
      .all(workerId, afterSeq, limit) as LogDbRow[];
    return rows.map(toLog);
  }

  async insertApproval(a: NewApproval): Promise<ApprovalRow> {
    await writeWithoutBlocking(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO worker_approvals (id, worker_id, tool, tool_use_id, input, risk, reason, status, created_at, expires_at)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'pending', ?, ?)`,
        )
        .run(
          a.id,
          a.workerId,
          a.tool,
          a.toolUseId,
          JSON.stringify(a.input),
          a.risk,
          a.reason,
          a.createdAt,
          a.expiresAt,
        ),
    );
    return { ...a, status: 'pending', decidedInput: null, message: null, decidedAt: null };
  }

  async getApproval(id: string): Promise<ApprovalRow | null> {
    const r = this.approvalById.get(id);
    return r ? toApproval(r) : null;
  }

  async listApprovals(filter: ApprovalFilter): Promise<ApprovalRow[]> {
    const where: string[] = [];
    const values: string[] = [];
    if (filter.status !== undefined) {
      where.push('status = ?');
      values.push(filter.status);
    }
    if (filter.workerId !== undefined) {
      where.push('worker_id = ?');
      values.push(filter.workerId);
    }
    const sql = `SELECT * FROM worker_approvals ${where.length > 0 ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY created_at, id`;
    return (this.db.prepare(sql).all(...values) as ApprovalDbRow[]).map(toApproval);
  }

  async decideApproval(id: string, d: ApprovalDecision, now: number): Promise<ApprovalRow | null> {
    const changed = await writeWithoutBlocking(
      this.db,
      () =>
        this.db
          .prepare(
            `UPDATE worker_approvals SET status = ?, decided_input = ?, message = ?, decided_at = ?
             WHERE id = ? AND status = 'pending'`,
          )
          .run(d.status, jsonText(d.decidedInput), d.message, now, id).changes,
    );
    return changed > 0 ? this.getApproval(id) : null;
  }

  async noteTemplateUse(templateId: string, now: number): Promise<void> {
    await writeWithoutBlocking(this.db, () =>
      this.db
        .prepare(
          `INSERT INTO worker_template_uses (template_id, uses, last_used_at) VALUES (?, 1, ?)
           ON CONFLICT (template_id) DO UPDATE SET uses = uses + 1, last_used_at = excluded.last_used_at`,
        )
        .run(templateId, now),
    );
  }

  async templateUses(): Promise<TemplateUseRow[]> {
    const rows = this.db
      .prepare('SELECT template_id, uses, last_used_at FROM worker_template_uses ORDER BY template_id')
      .all() as { template_id: string; uses: number; last_used_at: number }[];
    return rows.map((r) => ({ templateId: r.template_id, uses: r.uses, lastUsedAt: r.last_used_at }));
  }
}
