/**
 * The plain rules of MCP prompt files shared by the server (prompts-schemas.ts re-exports them)
 * and the dashboard. Plain TypeScript without imports: the dashboard bundles it without zod.
 */

export type PromptFormat = 'yaml' | 'markdown';

/**
 * A prompt's name is its file's name without the extension: letters, digits, `.`, `_` and `-`,
 * not starting with a dot (hidden and temporary files), at most 128 characters. With `..` also
 * refused (checked apart), no name can leave the prompts folder.
 */
export const PROMPT_NAME_PATTERN = /^[A-Za-z0-9_-][A-Za-z0-9._-]{0,127}$/;

/** File extensions read as prompts, and their format. */
export const PROMPT_EXTENSIONS: Readonly<Record<string, PromptFormat>> = Object.freeze({
  yaml: 'yaml',
  yml: 'yaml',
  md: 'markdown',
});
