/**
 * The plain rules of agents shared by the server (agents-schemas.ts re-exports them), the CLI, the
 * TUI and the dashboard. Plain TypeScript without imports, like names.ts: the dashboard bundles it
 * without zod.
 */

/**
 * Tool presets for an agent's `tools:` list. `all` writes no `tools` key (the agent inherits every
 * tool); `custom` is any other list.
 */
export const TOOL_PRESETS = {
  'read-only': ['Read', 'Grep', 'Glob', 'WebFetch', 'WebSearch'],
  edit: ['Read', 'Grep', 'Glob', 'WebFetch', 'WebSearch', 'Edit', 'Write', 'MultiEdit', 'NotebookEdit'],
  execution: [
    'Read',
    'Grep',
    'Glob',
    'WebFetch',
    'WebSearch',
    'Edit',
    'Write',
    'MultiEdit',
    'NotebookEdit',
    'Bash',
    'BashOutput',
    'KillShell',
  ],
} as const satisfies Record<string, readonly string[]>;

/** Agent names as Claude Code takes them: lowercase letters, digits and hyphens. */
export const AGENT_NAME_PATTERN = /^[a-z0-9][a-z0-9-]{0,63}$/;

export const ENV_BLOCK_PLACEHOLDER = '{{env_block}}';

/** The replacement prompt for a template and a request's environment text (the dashboard's preview uses it too). */
export function applyPromptTemplate(template: string, envBlock: string): string {
  return template.split(ENV_BLOCK_PLACEHOLDER).join(envBlock);
}
