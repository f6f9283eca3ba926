/**
 * Shapes of the workers endpoints (`/api/workers`, `/api/approvals`, `/api/templates`), defined
 * once with zod and shared by the server, its OpenAPI document, the CLI and the dashboard.
 */

import {
  APPROVAL_STATUS_VALUES,
  LOG_KIND_VALUES,
  POLICY_VALUES,
  RISK_LEVEL_VALUES,
  WORKER_STATE_VALUES,
} from './worker-values.js';
import { z } from './zod-openapi.js';

export const WorkerStateSchema = z.enum(WORKER_STATE_VALUES);
export const ApprovalStatusSchema = z.enum(APPROVAL_STATUS_VALUES, {
  error: (i) => `Unknown approval state ${JSON.stringify(i.input)}: use one of ${APPROVAL_STATUS_VALUES.join(', ')}`,
});
export const RiskLevelSchema = z.enum(RISK_LEVEL_VALUES);

export const WorkerSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    prompt: z.string(),
    templateId: z.string().nullable(),
    cwd: z.string(),
    model: z.string().nullable(),
    policy: z.string(),
    maxTurns: z.number().int().nullable(),
    budgetUsd: z.number().nullable(),
    state: WorkerStateSchema,
    stateReason: z.string().nullable(),
    sessionId: z.string().nullable(),
    keyName: z.string().nullable(),
    costUsd: z.number(),
    tokensIn: z.number(),
    tokensOut: z.number(),
    turns: z.number().int(),
    lastAction: z.string().nullable(),
    queuePosition: z.number().int().nullable().openapi({ description: '1-based place in the queue while queued' }),
    pendingApprovals: z.number().int(),
    createdAt: z.number(),
    startedAt: z.number().nullable(),
    finishedAt: z.number().nullable(),
    updatedAt: z.number(),
  })
  .openapi('Worker');
export type WorkerViewData = z.infer<typeof WorkerSchema>;

export const WorkerListSchema = z.object({ workers: z.array(WorkerSchema) }).openapi('WorkerList');

const optionalPositiveInt = z.number().int().positive().nullable().optional();

export const CreateWorkerRequestSchema = z
  .strictObject({
    name: z.string().openapi({ example: 'fix-lint' }),
    prompt: z.string().optional().openapi({ description: 'What the worker should do; or give `template`' }),
    template: z.string().optional().openapi({ description: 'A template id (GET /api/templates) instead of a prompt' }),
    values: z
      .record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()]))
      .optional()
      .openapi({ description: "The template's field values" }),
    cwd: z.string().openapi({ description: 'Absolute working directory on the gateway machine', example: '/srv/app' }),
    model: z.string().nullable().optional(),
    policy: z
      .enum(POLICY_VALUES, {
        error: (i) => `Unknown permission policy ${JSON.stringify(i.input)}: use one of ${POLICY_VALUES.join(', ')}`,
      })
      .optional()
      .openapi({ description: 'Up to which risk tool calls run unasked (default auto-low)' }),
    maxTurns: optionalPositiveInt,
    budgetUsd: z.number().positive().nullable().optional(),
    start: z
      .boolean()
      .optional()
      .openapi({ description: 'Queue it at once (default true); false: paused, not started' }),
  })
  .openapi('CreateWorkerRequest');
export type CreateWorkerRequest = z.infer<typeof CreateWorkerRequestSchema>;

export const EditWorkerRequestSchema = z
  .strictObject({
    maxTurns: z
      .number()
      .int()
      .positive()
      .nullable()
      .optional()
      .openapi({ description: 'Null: no limit. A running worker past a lower one pauses at its next turn' }),
    budgetUsd: z
      .number()
      .positive()
      .nullable()
      .optional()
      .openapi({ description: 'Null: no budget. At or below the cost so far, a running worker stops' }),
  })
  .refine((b) => b.maxTurns !== undefined || b.budgetUsd !== undefined, {
    message: 'Nothing to change: give maxTurns, budgetUsd or both',
  })
  .openapi('EditWorkerRequest');
export type EditWorkerRequest = z.infer<typeof EditWorkerRequestSchema>;

export const WorkerLogSchema = z
  .object({
    workerId: z.string(),
    seq: z.number().int().openapi({ description: 'Increasing per worker from 1; the SSE event id' }),
    at: z.number(),
    kind: z.enum(LOG_KIND_VALUES),
    text: z.string(),
    data: z.unknown(),
  })
  .openapi('WorkerLog');
export type WorkerLogData = z.infer<typeof WorkerLogSchema>;

export const WorkerLogListSchema = z
  .object({
    entries: z.array(WorkerLogSchema),
    lastSeq: z.number().int().openapi({ description: 'The last entry returned (or `after`): ask again after it' }),
  })
  .openapi('WorkerLogList');

export const WorkerLogsQuerySchema = z.object({
  after: z
    .string()
    .regex(/^\d+$/, 'expected a non-negative integer')
    .optional()
    .openapi({ description: 'Entries after this sequence number (SSE: same as Last-Event-ID)' }),
  limit: z
    .string()
    .regex(/^\d+$/, 'expected a positive integer')
    .optional()
    .openapi({ description: 'JSON: entries at most (1-1000, default 500)' }),
});

export const ToolPreviewSchema = z
  .discriminatedUnion('kind', [
    z.object({
      kind: z.literal('diff'),
      path: z.string(),
      diff: z.string(),
      note: z.string().nullable(),
      truncated: z.boolean(),
    }),
    z.object({
      kind: z.literal('command'),
      command: z.string(),
      description: z.string().nullable(),
      truncated: z.boolean(),
    }),
    z.object({ kind: z.literal('json'), json: z.string(), truncated: z.boolean() }),
  ])
  .openapi('ToolPreview');

const approvalFields = {
  id: z.string(),
  workerId: z.string(),
  workerName: z.string(),
  tool: z.string(),
  toolUseId: z.string().nullable(),
  input: z.record(z.string(), z.unknown()),
  risk: RiskLevelSchema,
  reason: z.string(),
  status: ApprovalStatusSchema,
  decidedInput: z.record(z.string(), z.unknown()).nullable(),
  message: z.string().nullable(),
  createdAt: z.number(),
  expiresAt: z.number(),
  decidedAt: z.number().nullable(),
};

export const ApprovalEventSchema = z.object(approvalFields).openapi('ApprovalEvent');

export const ApprovalSchema = z
  .object({
    ...approvalFields,
    preview: ToolPreviewSchema.openapi({ description: 'A diff for edits, the command for Bash, else the input' }),
  })
  .openapi('Approval');
export type ApprovalData = z.infer<typeof ApprovalSchema>;

export const ApprovalListSchema = z.object({ approvals: z.array(ApprovalSchema) }).openapi('ApprovalList');

export const ApprovalsQuerySchema = z.object({
  state: z
    .union([ApprovalStatusSchema, z.literal('all')])
    .optional()
    .openapi({ description: 'pending (default), approved, rejected, timed_out, cancelled or all' }),
  worker: z.string().optional().openapi({ description: 'Only this worker (id or name)' }),
});

export const ApproveRequestSchema = z
  .strictObject({
    input: z
      .record(z.string(), z.unknown())
      .optional()
      .openapi({ description: 'The tool input to run instead of the one asked for' }),
  })
  .openapi('ApproveRequest');

export const RejectRequestSchema = z
  .strictObject({
    message: z
      .string()
      .refine((s) => s.trim() !== '', 'must not be empty: the worker reads it')
      .openapi({ description: 'What the worker reads' }),
  })
  .openapi('RejectRequest');

export const TemplateFieldSchema = z
  .object({
    name: z.string(),
    label: z.string().optional(),
    type: z.enum(['text', 'textarea', 'select', 'number', 'boolean']),
    required: z.boolean(),
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    options: z.array(z.string()).optional(),
    help: z.string().optional(),
  })
  .openapi('TemplateField');

export const TemplateSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    description: z.string(),
    category: z.string(),
    prompt: z.string(),
    fields: z.array(TemplateFieldSchema),
    source: z.enum(['builtin', 'file']),
    file: z.string().nullable(),
    uses: z.number().int(),
    lastUsedAt: z.number().nullable(),
  })
  .openapi('Template');
export type TemplateData = z.infer<typeof TemplateSchema>;

export const TemplateListSchema = z
  .object({
    templates: z.array(TemplateSchema),
    problems: z.array(z.object({ file: z.string(), reason: z.string() })).openapi({
      description: 'Files in the templates folder that were skipped, and why',
    }),
    dir: z.string(),
  })
  .openapi('TemplateList');

export const WorkerDeletedEventSchema = z.object({ id: z.string(), name: z.string() }).openapi('WorkerDeletedEvent');
