/**
 * What the workers API, CLI and screens call: the manager's lifecycle plus what a person needs
 * around it (templates turned into prompts, approval cards with a diff or the command, the
 * feature's availability). Without the optional Agent SDK every call fails with a 503 that says
 * how to install it; the rest of the gateway is unaffected.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import type { CreateWorkerRequest, EditWorkerRequest, TemplateData } from '../shared/workers-schemas.js';
import type { ApprovalStatus, WorkerLogRow } from '../storage/contract/workers.js';
import type { CreateWorkerInput, WorkerManager } from './manager.js';
import {
  autoApproves,
  DEFAULT_PERMISSION_POLICY,
  PERMISSION_POLICIES,
  type PermissionPolicy,
  permissionPolicySchema,
} from './policy.js';
import { assessToolCall } from './risk.js';
import { findTemplate, loadTemplates, renderTemplate, type TemplateProblem } from './templates.js';
import { previewToolCall, type ToolPreview } from './tool-preview.js';
import type { ApprovalRules, ApprovalView, WorkerView } from './types.js';

/** The approval rules workers run under: risk.ts judges a call, the worker's policy (policy.ts) decides. */
export function workerApprovalRules(home: string): ApprovalRules {
  const known = new Set<string>(PERMISSION_POLICIES);
  return {
    assess: (call, cwd) => assessToolCall(call, cwd, { home }),
    autoApproves: (policy, level) => known.has(policy) && autoApproves(policy as PermissionPolicy, level),
  };
}

/** Null for a known permission policy, else what is wrong (the manager's `checkPolicy`). */
export function policyProblem(policy: string): string | null {
  const r = permissionPolicySchema.safeParse(policy);
  return r.success ? null : (r.error.issues[0]?.message ?? 'unknown policy');
}

export type ApprovalCard = ApprovalView & { preview: ToolPreview };

export interface WorkersServiceDeps {
  manager: WorkerManager;
  /** Throws GatewayError('feature_unavailable') when the Agent SDK is not installed. */
  checkSdk: () => Promise<void>;
  /** `<data dir>/templates`. */
  templatesDir: string;
  templateUses: () => Promise<{ templateId: string; uses: number; lastUsedAt: number }[]>;
}

export class WorkersService {
  private closed: Promise<void> | null = null;

  constructor(private readonly deps: WorkersServiceDeps) {}

  get manager(): WorkerManager {
    return this.deps.manager;
  }

  /** The feature is usable: else a 503 naming the package to install. */
  async available(): Promise<void> {
    try {
      await this.deps.checkSdk();
    } catch (err) {
      if (err instanceof GatewayError && err.code === 'feature_unavailable') {
        throw new GatewayError('feature_unavailable', err.message, { status: 503 });
      }
      throw err;
    }
  }

  async init(): Promise<void> {
    await this.deps.manager.init();
  }

  /** Pauses running workers (resumable after the restart); once, however often it is called. */
  close(): Promise<void> {
    this.closed ??= this.deps.manager.close();
    return this.closed;
  }

  async list(): Promise<WorkerView[]> {
    await this.available();
    return this.deps.manager.list();
  }

  async get(idOrName: string): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.get(idOrName);
  }

  async create(req: CreateWorkerRequest): Promise<WorkerView> {
    await this.available();
    const hasPrompt = req.prompt !== undefined;
    const hasTemplate = req.template !== undefined;
    if (hasPrompt === hasTemplate) {
      throw new GatewayError(
        'bad_request',
        'Give either a prompt or a template (with its values), not both or neither',
      );
    }
    if (!hasTemplate && req.values !== undefined) {
      throw new GatewayError('bad_request', 'values fill a template: give `template` too, or leave values out');
    }
    let prompt = req.prompt ?? '';
    let templateId: string | null = null;
    if (req.template !== undefined) {
      const { templates } = loadTemplates(this.deps.templatesDir);
      const t = findTemplate(templates, req.template);
      const values = Object.fromEntries(Object.entries(req.values ?? {}).filter(([, v]) => v !== null));
      prompt = renderTemplate(t, values);
      templateId = t.id;
    }
    const input: CreateWorkerInput = {
      name: req.name,
      prompt,
      cwd: req.cwd,
      model: req.model ?? null,
      policy: req.policy ?? DEFAULT_PERMISSION_POLICY,
      maxTurns: req.maxTurns ?? null,
      budgetUsd: req.budgetUsd ?? null,
      templateId,
      start: req.start ?? true,
    };
    return this.deps.manager.create(input);
  }

  async edit(idOrName: string, req: EditWorkerRequest): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.edit(idOrName, req);
  }

  async start(idOrName: string): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.start(idOrName);
  }

  async pause(idOrName: string): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.pause(idOrName);
  }

  async resume(idOrName: string): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.resume(idOrName);
  }

  async stop(idOrName: string): Promise<WorkerView> {
    await this.available();
    return this.deps.manager.stop(idOrName);
  }

  async delete(idOrName: string): Promise<WorkerView> {
    await this.available();
    const w = await this.deps.manager.get(idOrName);
    await this.deps.manager.delete(w.id);
    return w;
  }

  async logs(idOrName: string, afterSeq: number, limit: number): Promise<WorkerLogRow[]> {
    await this.available();
    return this.deps.manager.logs(idOrName, afterSeq, limit);
  }

  async approvals(filter: { state?: ApprovalStatus | 'all'; worker?: string }): Promise<ApprovalCard[]> {
    await this.available();
    const workers = await this.deps.manager.list();
    let workerId: string | undefined;
    if (filter.worker !== undefined) workerId = (await this.deps.manager.get(filter.worker)).id;
    const state = filter.state ?? 'pending';
    const rows = await this.deps.manager.approvals({
      ...(state === 'all' ? {} : { status: state }),
      ...(workerId === undefined ? {} : { workerId }),
    });
    const cwdOf = new Map(workers.map((w) => [w.id, w.cwd]));
    return rows.map((a) => this.card(a, cwdOf.get(a.workerId)));
  }

  async approve(approvalId: string, input?: Record<string, unknown>): Promise<ApprovalCard> {
    await this.available();
    return this.cardOf(await this.deps.manager.approve(approvalId, input === undefined ? {} : { input }));
  }

  async reject(approvalId: string, message: string): Promise<ApprovalCard> {
    await this.available();
    return this.cardOf(await this.deps.manager.reject(approvalId, message));
  }

  async templates(): Promise<{ templates: TemplateData[]; problems: TemplateProblem[]; dir: string }> {
    await this.available();
    const { templates, problems } = loadTemplates(this.deps.templatesDir);
    const uses = new Map((await this.deps.templateUses()).map((u) => [u.templateId, u]));
    return {
      templates: templates.map((t) => ({
        ...t,
        uses: uses.get(t.id)?.uses ?? 0,
        lastUsedAt: uses.get(t.id)?.lastUsedAt ?? null,
      })),
      problems,
      dir: this.deps.templatesDir,
    };
  }

  private async cardOf(a: ApprovalView): Promise<ApprovalCard> {
    const w = await this.deps.manager.get(a.workerId).catch(() => null);
    return this.card(a, w?.cwd);
  }

  private card(a: ApprovalView, cwd: string | undefined): ApprovalCard {
    const input = a.decidedInput ?? a.input;
    const preview = previewToolCall(
      { tool: a.tool, input },
      {
        cwd,
        // The file as it is now: the diff shows what approving would change.
        readFile: (path) => {
          try {
            return readFileSync(cwd === undefined ? path : resolve(cwd, path), 'utf8');
          } catch (err) {
            if ((err as NodeJS.ErrnoException).code === 'ENOENT') return null;
            throw err;
          }
        },
      },
    );
    return { ...a, preview };
  }
}
