/**
 * Shapes of the access-key endpoints (`/api/keys`, `/api/events/ticket`), defined once with zod
 * and shared by the server, its OpenAPI document and the UIs.
 */

import { isFamilyAlias, isModelId, MODEL_RULE } from './model-ids.js';
import { NAME_ERROR, NAME_PATTERN } from './names.js';
import { z } from './zod-openapi.js';

export const KeyNameSchema = z.string().regex(NAME_PATTERN, NAME_ERROR).openapi({ example: 'laptop' });

/** Bounds of the limits (auth/key-usage.ts MAX_RPM: an rpm limit keeps a timestamp per request). */
export const MAX_KEY_RPM = 10_000;
export const MAX_KEY_MODELS = 50;
export const MAX_KEY_COST_USD = 1e9;

export const ClientKeyLimitsSchema = z
  .object({
    rpm: z.number().int().min(1).max(MAX_KEY_RPM).nullable().openapi({ description: 'requests in any 60 s' }),
    tokensPerDay: z
      .number()
      .int()
      .min(1)
      .max(Number.MAX_SAFE_INTEGER)
      .nullable()
      .openapi({ description: 'tokens in + out per UTC day' }),
    costPerMonthUsd: z
      .number()
      .positive()
      .max(MAX_KEY_COST_USD)
      .nullable()
      .openapi({ description: 'USD per UTC calendar month' }),
    models: z
      .array(
        z.string().refine((m) => isModelId(m) || isFamilyAlias(m), { message: `each model must be ${MODEL_RULE}` }),
      )
      .min(1)
      .max(MAX_KEY_MODELS)
      .nullable()
      .openapi({ description: 'model ids or opus, sonnet, haiku; null: any model', example: ['sonnet', 'haiku'] }),
  })
  .openapi('ClientKeyLimits');
export type ClientKeyLimitsView = z.infer<typeof ClientKeyLimitsSchema>;

export const ClientKeyUseSchema = z
  .object({
    requestsLastMinute: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'null while the key has no rpm limit (not counted then)' }),
    tokensToday: z.number(),
    costThisMonthUsd: z.number(),
  })
  .openapi('ClientKeyUse');
export type ClientKeyUseView = z.infer<typeof ClientKeyUseSchema>;

export const ClientKeySchema = z
  .object({
    id: z.string(),
    name: z.string(),
    /** The public tag and first random characters, e.g. `ccf_Ab3d`: enough to tell keys apart. */
    prefix: z.string().openapi({ example: 'ccf_Ab3d' }),
    createdAt: z.number().int().openapi({ description: 'Unix ms' }),
    lastUsedAt: z.number().int().nullable().openapi({ description: 'Unix ms; updated at most once a minute' }),
    revokedAt: z.number().int().nullable().openapi({ description: 'Unix ms' }),
    active: z.boolean(),
    limits: ClientKeyLimitsSchema,
    /** Use against the limits (the gateway's counters; the CLI reads committed rows); null for a revoked key. */
    use: ClientKeyUseSchema.nullable(),
  })
  .openapi('ClientKey');
export type ClientKeyView = z.infer<typeof ClientKeySchema>;

export const ClientKeyListSchema = z.object({ keys: z.array(ClientKeySchema) }).openapi('ClientKeyList');
export type ClientKeyList = z.infer<typeof ClientKeyListSchema>;

export const CreateClientKeyRequestSchema = z.object({ name: KeyNameSchema }).openapi('CreateClientKeyRequest');
export type CreateClientKeyRequest = z.infer<typeof CreateClientKeyRequestSchema>;

export const CreatedClientKeySchema = ClientKeySchema.extend({
  /** The key itself: shown this once, never stored or returned again. */
  key: z.string().openapi({ example: 'ccf_Ab3dEf...' }),
}).openapi('CreatedClientKey');
export type CreatedClientKey = z.infer<typeof CreatedClientKeySchema>;

export const EventsTicketSchema = z
  .object({
    /** Pass as `GET /api/events?ticket=...`; single use. */
    ticket: z.string(),
    expiresAt: z.number().int().openapi({ description: 'Unix ms' }),
  })
  .openapi('EventsTicket');
export type EventsTicket = z.infer<typeof EventsTicketSchema>;
