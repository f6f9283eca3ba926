/**
 * Shapes of `/api/conversations` (issue 16): the paged list of conversations and one
 * conversation as a tree (branches with their requests in order, branch points, sub-tasks,
 * totals). Shared with the dashboard and the TUI.
 */

import { filterText, timeParam } from './requests-schemas.js';
import { z } from './zod-openapi.js';

export const ConversationListQuerySchema = z
  .strictObject({
    limit: z.coerce
      .number()
      .int()
      .min(1)
      .max(200)
      .default(50)
      .openapi({ description: 'Conversations per page (1-200)', example: 50 }),
    cursor: z
      .string()
      .regex(/^\d{1,16}:[\w-]{1,200}$/, 'not a cursor this API returned (use nextCursor as given)')
      .optional()
      .openapi({ description: '`nextCursor` of the previous page' }),
    account: filterText('Only conversations with a request served by this account (id or name)'),
    key: filterText('Only conversations with a request sent with this client key (name)'),
    agent: filterText('Only conversations with a request attributed to this agent'),
    since: timeParam('Only conversations active at or after this time (Unix ms or ISO 8601)'),
    until: timeParam('Only conversations that began before this time (Unix ms or ISO 8601)'),
    q: filterText('Text the first user message contains (case-insensitive)'),
  })
  .openapi('ConversationListQuery');
export type ConversationListQueryInput = z.input<typeof ConversationListQuerySchema>;

const tokens = {
  inputTokens: z.number().int().openapi({ description: 'Uncached input tokens' }),
  outputTokens: z.number().int(),
  cacheReadTokens: z.number().int(),
  cacheWriteTokens: z.number().int().openapi({ description: 'Cache writes, 5 min and 1 h together' }),
};

export const ConversationListItemSchema = z
  .object({
    id: z.string().openapi({ description: 'The id of its first request' }),
    firstAt: z.number().int().openapi({ description: 'First request, Unix ms' }),
    lastAt: z.number().int().openapi({ description: 'Last request, Unix ms' }),
    requests: z.number().int(),
    branches: z.number().int().openapi({ description: 'Branches, the main one and sub-task branches included' }),
    subtasks: z.number().int(),
    ...tokens,
    costUsd: z.number().openapi({ description: 'USD; requests of unknown price count 0' }),
    accounts: z.array(z.string()).openapi({ description: 'Names of the accounts that served it' }),
    keys: z.array(z.string()).openapi({ description: 'Client key names it was sent with' }),
    agents: z.array(z.string()),
    model: z.string().nullable().openapi({ description: "The main agent's model" }),
    firstUserText: z
      .string()
      .openapi({ description: 'The first user message without system reminders, at most 500 characters' }),
  })
  .openapi('ConversationListItem');
export type ConversationListItem = z.infer<typeof ConversationListItemSchema>;

export const ConversationPageSchema = z
  .object({
    items: z.array(ConversationListItemSchema).openapi({ description: 'Most recently active first' }),
    nextCursor: z.string().nullable(),
  })
  .openapi('ConversationPage');
export type ConversationPage = z.infer<typeof ConversationPageSchema>;

export const ConversationIdParamSchema = z.object({
  id: z
    .string()
    .min(1)
    .max(200)
    .openapi({ param: { name: 'id', in: 'path' }, example: '0199a0b4-5c1e-7000-8000-000000000000' }),
});

export const ConversationRequestSchema = z
  .object({
    id: z.string(),
    at: z.number().int().openapi({ description: 'Arrival, Unix ms' }),
    parentRequestId: z
      .string()
      .nullable()
      .openapi({ description: 'The request it continues (for a sub-task’s first request: the one that started it)' }),
    model: z.string().nullable(),
    ...tokens,
    costUsd: z.number().nullable(),
    status: z.number().int().nullable(),
    success: z.boolean(),
    account: z.string().nullable().openapi({ description: 'Account name' }),
    agent: z.string().nullable(),
    agentInstance: z.string().nullable(),
  })
  .openapi('ConversationRequest');
export type ConversationRequest = z.infer<typeof ConversationRequestSchema>;

export const ConversationBranchSchema = z
  .object({
    name: z
      .string()
      .openapi({ description: '`main`, `branch_N` (a retried turn), `compact_HHMMSS` (UTC), `subtask_N`' }),
    kind: z.enum(['main', 'branch', 'compact', 'subtask']),
    /** The request the branch grows from (null for main). */
    parentRequestId: z.string().nullable(),
    requests: z.array(ConversationRequestSchema).openapi({ description: 'In arrival order' }),
  })
  .openapi('ConversationBranch');
export type ConversationBranch = z.infer<typeof ConversationBranchSchema>;

export const BranchPointSchema = z
  .object({
    parentRequestId: z.string(),
    branches: z.array(z.string()).openapi({ description: 'Branches growing from it, in the order they began' }),
  })
  .openapi('ConversationBranchPoint');

export const SubtaskSchema = z
  .object({
    id: z.string().openapi({ description: 'The agent instance id, or the first request id for older clients' }),
    branch: z.string(),
    parentRequestId: z.string().nullable().openapi({ description: 'The request whose Agent/Task tool_use started it' }),
    agentInstance: z.string().nullable(),
    agent: z.string().nullable(),
    prompt: z.string().nullable().openapi({ description: 'The task the tool_use gave it' }),
    requests: z.number().int(),
    ...tokens,
    costUsd: z.number(),
  })
  .openapi('ConversationSubtask');
export type Subtask = z.infer<typeof SubtaskSchema>;

export const ConversationTreeSchema = z
  .object({
    conversation: ConversationListItemSchema.openapi({ description: 'Totals and facets, as in the list' }),
    branches: z.array(ConversationBranchSchema).openapi({ description: 'main first, then in the order they began' }),
    branchPoints: z.array(BranchPointSchema).openapi({ description: 'Requests more than one branch continues' }),
    subtasks: z.array(SubtaskSchema).openapi({ description: 'Sub-agent runs, in the order they began' }),
  })
  .openapi('ConversationTree');
export type ConversationTree = z.infer<typeof ConversationTreeSchema>;

export const AnalysisRequestSchema = z
  .strictObject({
    model: z
      .string()
      .min(1)
      .max(200)
      .optional()
      .openapi({ description: 'The Claude model to ask; the `conversationAnalysisModel` setting when absent' }),
  })
  .openapi('ConversationAnalysisRequest');
export type AnalysisRequest = z.infer<typeof AnalysisRequestSchema>;

export const ConversationAnalysisSchema = z
  .object({
    id: z.string(),
    conversationId: z.string(),
    model: z.string(),
    status: z.enum(['running', 'done', 'failed']),
    text: z.string().nullable().openapi({ description: 'The analysis, plain text paragraphs; null until done' }),
    error: z.string().nullable().openapi({ description: 'Why it failed' }),
    requestId: z
      .string()
      .nullable()
      .openapi({ description: 'The recorded request that carried it (agent `ccflare-analysis`)' }),
    createdAt: z.number().int().openapi({ description: 'Unix ms' }),
  })
  .openapi('ConversationAnalysis');
export type ConversationAnalysis = z.infer<typeof ConversationAnalysisSchema>;
