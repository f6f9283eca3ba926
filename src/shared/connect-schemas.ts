/** Shapes of `/api/connect/claude-code`: what `ccflare connect` changes in Claude Code's user settings. */
import { z } from './zod-openapi.js';

export const EnvChangeSchema = z
  .object({
    key: z.string().openapi({ description: 'The variable under `env` in the settings file' }),
    before: z.string().nullable().openapi({ description: 'Its value before (secrets shortened); null: not set' }),
    after: z.string().nullable().openapi({ description: 'Its value after (secrets shortened); null: removed' }),
  })
  .openapi('EnvChange');
export type EnvChange = z.infer<typeof EnvChangeSchema>;

export const ConnectPlanSchema = z
  .object({
    action: z.enum(['connect', 'disconnect']),
    settingsPath: z.string().openapi({ description: "Claude Code's user settings file on the gateway's machine" }),
    url: z.string().openapi({ description: 'The gateway URL written as ANTHROPIC_BASE_URL' }),
    connected: z
      .boolean()
      .openapi({ description: 'Whether ccflare connect has changed this file (and disconnect has something to undo)' }),
    changes: z.array(EnvChangeSchema).openapi({ description: 'Empty: nothing to change' }),
    clientKey: z
      .object({ name: z.string(), created: z.boolean().openapi({ description: 'A new client key is (or was) made' }) })
      .nullable()
      .openapi({ description: 'The client key written as ANTHROPIC_AUTH_TOKEN (client keys are enforced)' }),
    notes: z
      .array(z.string())
      .openapi({ description: 'What the user should know (values left alone, what to do next)' }),
  })
  .openapi('ConnectPlan');
export type ConnectPlan = z.infer<typeof ConnectPlanSchema>;

export const ConnectResultSchema = ConnectPlanSchema.extend({
  applied: z.boolean().openapi({ description: 'false: a dry run, or nothing to change' }),
  backupPath: z.string().nullable().openapi({ description: 'The copy of the file before the change' }),
}).openapi('ConnectResult');
export type ConnectResult = z.infer<typeof ConnectResultSchema>;

export const ConnectRequestSchema = z
  .strictObject({
    dryRun: z.boolean().default(false).openapi({ description: 'Only say what would change' }),
  })
  .openapi('ConnectRequest');
