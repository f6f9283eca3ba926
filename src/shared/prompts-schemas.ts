/**
 * Shapes of `/api/prompts` (the MCP prompt server's files), defined once with zod and shared by
 * the server, its OpenAPI document and the dashboard (types only).
 */

import { PROMPT_NAME_PATTERN } from './prompt-rules.js';
import { z } from './zod-openapi.js';

export { PROMPT_EXTENSIONS, PROMPT_NAME_PATTERN, type PromptFormat } from './prompt-rules.js';

export const PromptFormatSchema = z.enum(['yaml', 'markdown']).openapi('PromptFormat', {
  description: 'yaml: name.yaml with a `template:`; markdown: name.md, front matter and body',
});

/** A declared argument, or a variable the template uses without declaring it (description null). */
export const PromptArgumentSchema = z
  .object({
    name: z.string(),
    description: z.string().nullable(),
    required: z.boolean(),
  })
  .openapi('PromptArgument');
export type PromptArgument = z.infer<typeof PromptArgumentSchema>;

export const PromptSchema = z
  .object({
    /** The file name without its extension: the name MCP clients use. */
    name: z.string(),
    /** The file in the prompts folder. */
    file: z.string(),
    format: PromptFormatSchema,
    description: z.string().nullable(),
    arguments: z.array(PromptArgumentSchema),
    /** Why the file is not served (bad YAML, bad template, a symlink leaving the folder…); null: served. */
    error: z.string().nullable(),
    warnings: z.array(z.string()).openapi({
      description:
        'Likely mistakes in a served file: a declared argument the template never uses, a variable a listed `arguments` leaves out, a name that cannot be an argument',
    }),
    modifiedAt: z.number().int().openapi({ description: 'Unix ms of the file’s last change' }),
  })
  .openapi('Prompt');
export type PromptView = z.infer<typeof PromptSchema>;

export const PromptListSchema = z
  .object({
    prompts: z.array(PromptSchema),
    /** The folder the prompts are read from. */
    dir: z.string(),
    /** The MCP endpoint's path on this gateway. */
    mcpPath: z.string(),
  })
  .openapi('PromptList');
export type PromptList = z.infer<typeof PromptListSchema>;

export const PromptSourceSchema = PromptSchema.extend({
  /** The file's text as stored. */
  source: z.string(),
}).openapi('PromptSource');
export type PromptSource = z.infer<typeof PromptSourceSchema>;

export const PromptNameSchema = z
  .string()
  .regex(PROMPT_NAME_PATTERN, 'letters, digits, ".", "_" and "-", not starting with "." (at most 128)')
  .refine((n) => !n.includes('..'), 'must not contain ".."');

export const CreatePromptRequestSchema = z
  .object({
    name: PromptNameSchema,
    format: PromptFormatSchema,
    /** The whole file: YAML with `template:`, or Markdown with front matter. */
    source: z.string().min(1),
  })
  .openapi('CreatePromptRequest');
export type CreatePromptRequest = z.infer<typeof CreatePromptRequestSchema>;

export const UpdatePromptRequestSchema = z.object({ source: z.string().min(1) }).openapi('UpdatePromptRequest');
export type UpdatePromptRequest = z.infer<typeof UpdatePromptRequestSchema>;

export const PromptArgumentsSchema = z.record(z.string(), z.string()).openapi('PromptArguments');

export const PreviewPromptRequestSchema = z
  .object({
    format: PromptFormatSchema,
    source: z.string().min(1),
    /** Argument values by name. */
    arguments: PromptArgumentsSchema.optional(),
  })
  .openapi('PreviewPromptRequest');
export type PreviewPromptRequest = z.infer<typeof PreviewPromptRequestSchema>;

export const PromptPreviewSchema = z
  .object({
    /** The draft as the server reads it (its error set when it would not be served). */
    prompt: PromptSchema,
    /** The text `prompts/get` would return for these arguments; null when it cannot be rendered. */
    text: z.string().nullable(),
    /** Why it cannot be rendered (a missing required argument, the file's error); null when it can. */
    error: z.string().nullable(),
  })
  .openapi('PromptPreview');
export type PromptPreview = z.infer<typeof PromptPreviewSchema>;
