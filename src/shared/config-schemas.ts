/**
 * Shapes of the runtime configuration endpoints (`/api/config`), shared by the server, its
 * OpenAPI document and the UIs. Ranges and allowed values are checked by the server with the
 * rules of config/settings.ts (the one table of settings), so they are not repeated here.
 */
import { nameMeant } from './likely-meant.js';
import { z } from './zod-openapi.js';

export const SettingSourceSchema = z
  .enum(['default', 'file', 'database', 'environment', 'flag'])
  .openapi('SettingSource', { description: 'Precedence: flag > environment > database > file > default' });

export const SettingAcceptsSchema = z
  .discriminatedUnion('kind', [
    z.object({ kind: z.literal('int'), min: z.number().int(), max: z.number().int() }),
    z
      .object({ kind: z.literal('duration'), min: z.number().int(), max: z.number().int() })
      .openapi({ description: 'Milliseconds (the value and the range); a UI may show and take units, e.g. 5h' }),
    z.object({ kind: z.literal('enum'), values: z.array(z.string()) }),
    z.object({ kind: z.literal('bool') }),
    z.object({ kind: z.literal('model'), examples: z.array(z.string()) }),
    z.object({ kind: z.literal('text'), example: z.string() }),
    z.object({ kind: z.literal('json'), example: z.string().openapi({ description: 'A JSON object; "" for none' }) }),
  ])
  .openapi('SettingAccepts', {
    description: 'Values the server accepts for the setting (inclusive range for int and duration)',
  });

function settingState<T extends z.ZodType>(value: T) {
  return z.object({
    value,
    source: SettingSourceSchema,
    /** The environment variable that pins this setting when set. */
    env: z.string(),
    /** Set by a flag or the environment: writes through the API are refused (409). */
    pinned: z.boolean(),
    doc: z.string(),
    accepts: SettingAcceptsSchema,
  });
}

export const ConfigSchema = z
  .object({
    strategy: settingState(z.string()),
    sessionMs: settingState(z.number().int()),
    quotaThreshold5h: settingState(z.number().int()),
    quotaThreshold7d: settingState(z.number().int()),
    /** JSON text, '' for none. */
    quotaThresholds: settingState(z.string()),
    stickyWaitMs: settingState(z.number().int()),
    strategyAffinity: settingState(z.boolean()),
    hybridWeights: settingState(z.string()),
    hybridBucket: settingState(z.string()),
    requestRetentionDays: settingState(z.number().int()),
    payloadRetentionDays: settingState(z.number().int()),
    payloadCapture: settingState(z.boolean()),
    payloadMaxBytes: settingState(z.number().int()),
    /** '' for none. */
    defaultAgentModel: settingState(z.string()),
    conversationAnalysis: settingState(z.boolean()),
    conversationAnalysisModel: settingState(z.string()),
  })
  .openapi('Config');
export type ConfigView = z.infer<typeof ConfigSchema>;

/**
 * A strict object's message for keys it does not have: each named, with the key it likely meant,
 * a typo (`unknown field "sesionMs" (did you mean "sessionMs"?)`) or another spelling of it
 * (`payload_capture`, `CCFLARE_PAYLOAD_CAPTURE`).
 */
function unknownKeysHint(known: readonly string[]) {
  return (issue: { code?: string; keys?: readonly string[] }): string | undefined => {
    if (issue.code !== 'unrecognized_keys' || issue.keys === undefined) return undefined;
    return issue.keys
      .map((k) => {
        const meant = nameMeant(k, known);
        return `unknown field ${JSON.stringify(k)}${meant === null ? '' : ` (did you mean ${JSON.stringify(meant)}?)`}`;
      })
      .join('; ');
  };
}

/** Each given key is validated and stored; `null` removes the stored value (back to file or default). */
const CONFIG_PATCH_SHAPE = {
  strategy: z.string().nullable().optional(),
  sessionMs: z
    .union([z.number().int(), z.string()])
    .nullable()
    .optional()
    .openapi({ description: 'Milliseconds, or a duration with units: "90m", "5h", "1h30m"' }),
  quotaThreshold5h: z.number().int().nullable().optional().openapi({ description: 'Percent of the 5h window; 0: off' }),
  quotaThreshold7d: z.number().int().nullable().optional().openapi({ description: 'Percent of the 7d window; 0: off' }),
  quotaThresholds: z.string().nullable().optional().openapi({
    description:
      'JSON text of per-family and per-account thresholds in percent, "" for none; PUT /api/strategy/thresholds edits it as a document',
  }),
  stickyWaitMs: z
    .union([z.number().int(), z.string()])
    .nullable()
    .optional()
    .openapi({ description: 'Milliseconds, or a duration with units: "2m"' }),
  strategyAffinity: z.boolean().nullable().optional(),
  hybridWeights: z.string().nullable().optional().openapi({ description: 'health,bucket,quota,rest: "2,5,1,0.1"' }),
  hybridBucket: z.string().nullable().optional().openapi({ description: 'capacity,refill per minute: "50,6"' }),
  requestRetentionDays: z.number().int().nullable().optional(),
  payloadRetentionDays: z.number().int().nullable().optional(),
  payloadCapture: z.boolean().nullable().optional(),
  payloadMaxBytes: z.number().int().nullable().optional(),
  defaultAgentModel: z
    .string()
    .nullable()
    .optional()
    .openapi({ description: 'A Claude model id or opus, sonnet, haiku; "" for none' }),
  conversationAnalysis: z.boolean().nullable().optional(),
  conversationAnalysisModel: z
    .string()
    // Unlike the agents' default model, there is no "none" here: an analysis must ask some model.
    .trim()
    .min(1, 'a model is needed: a Claude model id or opus, sonnet, haiku (null: back to the default)')
    .nullable()
    .optional()
    .openapi({ description: 'A Claude model id or opus, sonnet, haiku' }),
};
export const ConfigPatchSchema = z
  .strictObject(CONFIG_PATCH_SHAPE, { error: unknownKeysHint(Object.keys(CONFIG_PATCH_SHAPE)) })
  .openapi('ConfigPatch');
export type ConfigPatch = z.infer<typeof ConfigPatchSchema>;
