/**
 * Shapes of the agent, workspace, model-rule and interceptor endpoints (`/api/agents`,
 * `/api/workspaces`, `/api/models/rules`, `/api/tools/interceptors/system-prompt`), defined once
 * with zod and shared by the server, its OpenAPI document, the CLI, the TUI and the dashboard.
 *
 * Agent files are Claude Code's own (protocol.md §7): Markdown with YAML front matter `name`,
 * `description`, `tools` (comma list), `model` (alias or full id), `color`; the body is the
 * agent's system prompt.
 */

import { AGENT_NAME_PATTERN, TOOL_PRESETS } from './agent-rules.js';
import { z } from './zod-openapi.js';

export { AGENT_NAME_PATTERN, applyPromptTemplate, ENV_BLOCK_PLACEHOLDER, TOOL_PRESETS } from './agent-rules.js';

/** The aliases an agent file's `model` may hold besides a full `claude-*` id. */
export const MODEL_ALIASES = ['opus', 'sonnet', 'haiku', 'inherit'] as const;

export const ToolPresetSchema = z
  .enum(['all', 'read-only', 'edit', 'execution', 'custom'])
  .openapi('ToolPreset', { description: 'all: no `tools` key (every tool); custom: the list given' });
export type ToolPreset = z.infer<typeof ToolPresetSchema>;

/** The preset a `tools` list corresponds to (order-insensitive); null list: `all`. */
export function toolPresetOf(tools: readonly string[] | null): ToolPreset {
  if (tools === null) return 'all';
  const have = [...new Set(tools)].sort().join(',');
  for (const [preset, list] of Object.entries(TOOL_PRESETS)) {
    if ([...list].sort().join(',') === have) return preset as ToolPreset;
  }
  return 'custom';
}

export const AgentScopeSchema = z
  .enum(['user', 'workspace'])
  .openapi('AgentScope', { description: "user: Claude Code's user folder; workspace: <workspace>/.claude/agents" });

export const AgentSchema = z
  .object({
    /** Stable while the file stays where it is (derived from its path); URL-safe. */
    id: z.string(),
    name: z.string(),
    description: z.string().nullable(),
    /** The `tools:` list; null when the file has none (every tool). */
    tools: z.array(z.string()).nullable(),
    toolsPreset: ToolPresetSchema,
    /** The file's `model:` (alias or id), as written; null when absent. */
    model: z.string().nullable(),
    color: z.string().nullable(),
    /** The body: the agent's system prompt. */
    prompt: z.string(),
    scope: AgentScopeSchema,
    /** The workspace path for a workspace agent; null for a user agent. */
    workspace: z.string().nullable(),
    /** The file on the gateway's machine. */
    path: z.string(),
    /** The stored model preference (set-model / the dashboard); null: none. */
    preference: z.string().nullable(),
    /**
     * The model this agent's requests are rewritten to: the preference, else the file's full id,
     * else the default agent model; null: the client's choice is forwarded unchanged.
     */
    effectiveModel: z.string().nullable(),
    /** Why the file could not be read (bad YAML, no name…); the other fields are then best effort. */
    error: z.string().nullable(),
    /** Unix ms of the file's last change. */
    modifiedAt: z.number().int(),
  })
  .openapi('Agent');
export type AgentView = z.infer<typeof AgentSchema>;

export const WorkspaceSchema = z
  .object({
    path: z.string(),
    /** The folder's name, for display. */
    name: z.string(),
    firstSeen: z.number().int().openapi({ description: 'Unix ms' }),
    lastSeen: z.number().int().openapi({ description: 'Unix ms' }),
    /** Requests that named this workspace. */
    requests: z.number().int(),
    /** The folder exists on the gateway's machine (only then are its agents loaded). */
    exists: z.boolean(),
    /** Agents loaded from its `.claude/agents/`. */
    agents: z.number().int(),
  })
  .openapi('Workspace');
export type WorkspaceView = z.infer<typeof WorkspaceSchema>;

export const AgentListSchema = z
  .object({
    agents: z.array(AgentSchema),
    /** Claude Code's user agents folder this gateway reads. */
    userDir: z.string(),
    /** The default model for every agent without a preference; null: none. */
    defaultModel: z.string().nullable(),
  })
  .openapi('AgentList');
export type AgentList = z.infer<typeof AgentListSchema>;

export const WorkspaceListSchema = z.object({ workspaces: z.array(WorkspaceSchema) }).openapi('WorkspaceList');
export type WorkspaceList = z.infer<typeof WorkspaceListSchema>;

export const ToolsChoiceSchema = z
  .object({
    preset: ToolPresetSchema,
    /** Required for `custom`, ignored otherwise. */
    tools: z.array(z.string().min(1)).optional(),
  })
  .openapi('ToolsChoice');
export type ToolsChoice = z.infer<typeof ToolsChoiceSchema>;

export const CreateAgentRequestSchema = z
  .object({
    name: z.string().regex(AGENT_NAME_PATTERN, 'lowercase letters, digits and hyphens, at most 64'),
    description: z.string().min(1),
    prompt: z.string().min(1),
    /** `user`, or the path of a known workspace. */
    scope: z.string().min(1),
    tools: ToolsChoiceSchema.optional(),
    /** Written into the file's `model:` (alias or full id). */
    model: z.string().optional(),
    color: z.string().optional(),
  })
  .openapi('CreateAgentRequest');
export type CreateAgentRequest = z.infer<typeof CreateAgentRequestSchema>;

export const PatchAgentRequestSchema = z
  .object({
    description: z.string().min(1).optional(),
    tools: ToolsChoiceSchema.optional(),
    color: z.string().nullable().optional(),
    prompt: z.string().min(1).optional(),
    /** The stored model preference (not the file's `model:`); null clears it. */
    model: z.string().nullable().optional(),
  })
  .openapi('PatchAgentRequest');
export type PatchAgentRequest = z.infer<typeof PatchAgentRequestSchema>;

export const BulkPreferenceRequestSchema = z
  .object({
    /** The model to prefer; null clears the preference. */
    model: z.string().nullable(),
    /** Agent ids; absent: every agent. */
    agents: z.array(z.string()).optional(),
  })
  .openapi('BulkPreferenceRequest');
export type BulkPreferenceRequest = z.infer<typeof BulkPreferenceRequestSchema>;

export const BulkPreferenceResultSchema = z
  .object({ updated: z.number().int(), warnings: z.array(z.string()) })
  .openapi('BulkPreferenceResult');

/** A model rule: `pattern` is a full model id or a glob with `*` (`claude-opus-*`). First match wins. */
export const ModelRuleSchema = z
  .object({
    pattern: z.string().min(1),
    model: z.string().min(1),
    enabled: z.boolean().default(true),
  })
  .openapi('ModelRule');
export type ModelRule = z.infer<typeof ModelRuleSchema>;

export const ModelFallbackSchema = z
  .object({
    /** Off by default: with it off a request every account refuses for its model gets a 503 naming the model. */
    enabled: z.boolean(),
    /** From pattern (id or glob) to the model tried once instead, never chained. */
    map: z.array(z.object({ from: z.string().min(1), to: z.string().min(1) })),
  })
  .openapi('ModelFallback');
export type ModelFallback = z.infer<typeof ModelFallbackSchema>;

export const ModelRulesSchema = z
  .object({ rules: z.array(ModelRuleSchema), fallback: ModelFallbackSchema })
  .openapi('ModelRules');
export type ModelRules = z.infer<typeof ModelRulesSchema>;

export const SystemPromptInterceptorSchema = z
  .object({
    /** Off by default; off means the forwarded body is byte-identical to what the client sent. */
    enabled: z.boolean(),
    /** Replaces the main agent's main system prompt block; `{{env_block}}` stands for the client's environment text. */
    template: z.string(),
    /** Also remove `tools` from main-agent requests. */
    stripTools: z.boolean(),
  })
  .openapi('SystemPromptInterceptor');
export type SystemPromptInterceptor = z.infer<typeof SystemPromptInterceptorSchema>;

export const SystemPromptInterceptorStateSchema = SystemPromptInterceptorSchema.extend({
  /** The last main system prompt seen from a client (before any replacement), to start a template from. */
  lastSeen: z
    .object({
      prompt: z.string(),
      /** The environment text `{{env_block}}` would stand for in that request. */
      envBlock: z.string(),
      seenAt: z.number().int().openapi({ description: 'Unix ms' }),
    })
    .nullable(),
}).openapi('SystemPromptInterceptorState');
export type SystemPromptInterceptorState = z.infer<typeof SystemPromptInterceptorStateSchema>;
