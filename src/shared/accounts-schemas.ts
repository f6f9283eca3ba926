/**
 * Shapes of the accounts endpoints (`/api/accounts`), defined once with zod and shared by the
 * server, its OpenAPI document and the UIs. Never a credential: the view is secret-free.
 */

import { NAME_ERROR, NAME_PATTERN, PRIORITY_MAX, PRIORITY_MIN } from './names.js';
import { z } from './zod-openapi.js';

export const AccountNameSchema = z.string().regex(NAME_PATTERN, NAME_ERROR).openapi({ example: 'work-max' });

export const AccountPrioritySchema = z
  .number()
  .int()
  .min(PRIORITY_MIN)
  .max(PRIORITY_MAX)
  .openapi({ description: 'Lower is tried first', example: 0 });

export const AccountKindSchema = z.enum(['max', 'console', 'api_key']).openapi('AccountKind');
export const AccountStatusSchema = z
  .enum(['active', 'failing', 'paused', 'cooling_down', 'needs_reauth', 'disabled'])
  .openapi('AccountStatus', {
    description: 'failing: usable, but its latest attempts of the last 5 minutes failed (statusReason says how)',
  });

export const AccountErrorSchema = z
  .object({
    at: z.number().openapi({ description: 'Unix ms (approximate: waits between attempts not counted)' }),
    status: z.number().int().nullable().openapi({ description: 'Upstream HTTP status; null when none came' }),
    error: z.string().nullable(),
  })
  .openapi('AccountError');

export const RateLimitWindowSchema = z
  .object({
    status: z.string().nullable(),
    /** Fraction of the window used, 0..1 (as the upstream reports it). */
    utilization: z.number().nullable(),
    resetAt: z.number().nullable().openapi({ description: 'Unix ms' }),
  })
  .openapi('RateLimitWindow');

export const RateLimitStateSchema = z
  .object({
    observedAt: z.number().openapi({ description: 'Unix ms' }),
    status: z.string().nullable().openapi({ description: 'allowed | allowed_warning | rejected' }),
    resetAt: z.number().nullable().openapi({ description: 'Unix ms when the binding window resets' }),
    fiveHour: RateLimitWindowSchema.nullable(),
    sevenDay: RateLimitWindowSchema.nullable(),
    sevenDayByFamily: z
      .object({
        opus: RateLimitWindowSchema.optional(),
        sonnet: RateLimitWindowSchema.optional(),
        haiku: RateLimitWindowSchema.optional(),
      })
      .optional()
      .openapi({ description: 'Per-model weekly windows read from the usage endpoint (seven_day_opus, ...)' }),
    representativeClaim: z.string().nullable().openapi({ description: 'The binding window: five_hour | seven_day' }),
    requestsRemaining: z.number().nullable().optional(),
    tokensRemaining: z.number().nullable().optional(),
    overageStatus: z.string().nullable().optional(),
    overageDisabledReason: z.string().nullable().optional(),
  })
  .openapi('RateLimitState');

export const AccountSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: AccountKindSchema,
    status: AccountStatusSchema,
    statusReason: z.string().nullable(),
    cooldownUntil: z.number().nullable().openapi({ description: 'Unix ms; null unless cooling down' }),
    priority: z.number().int(),
    paused: z.boolean(),
    requestCount: z.number().int(),
    sessionRequestCount: z.number().int(),
    lastUsedAt: z.number().nullable(),
    sessionStart: z.number().nullable(),
    createdAt: z.number(),
    tokenExpiresAt: z.number().nullable(),
    rateLimit: RateLimitStateSchema.nullable(),
    attemptCount: z
      .number()
      .int()
      .openapi({ description: 'Upstream attempts on the account, whichever account served the request' }),
    failedAttemptCount: z
      .number()
      .int()
      .openapi({ description: 'Attempts answered with an error, or not answered (network error)' }),
    recentErrors: z
      .array(AccountErrorSchema)
      .openapi({ description: 'The latest failed attempts, oldest first (5 at most)' }),
  })
  .openapi('Account');
export type Account = z.infer<typeof AccountSchema>;

export const AccountListSchema = z.array(AccountSchema).openapi('AccountList');

export const AddApiKeyAccountSchema = z
  .strictObject({
    name: AccountNameSchema,
    apiKey: z.string().min(1).openapi({ description: 'Stored encrypted; never returned', example: 'sk-ant-api03-...' }),
    priority: AccountPrioritySchema.optional(),
  })
  .openapi('AddApiKeyAccount');

export const OAuthModeSchema = z
  .enum(['max', 'console'])
  .openapi({ description: 'max: Claude Pro/Max subscription; console: console OAuth that mints an API key' });

export const OAuthInitRequestSchema = z
  .strictObject({
    mode: OAuthModeSchema.default('max'),
    name: AccountNameSchema,
    priority: AccountPrioritySchema.optional(),
  })
  .openapi('OAuthInitRequest');

export const OAuthInitResponseSchema = z
  .object({
    flowId: z.string(),
    /** Open in a browser; the page shows `code#state` to paste into the callback. */
    authorizeUrl: z.string(),
    expiresAt: z.number().openapi({ description: 'Unix ms; the flow is forgotten after 10 minutes' }),
    /** True when an account of that name and kind exists: completing signs it in again. */
    reauthenticate: z.boolean(),
  })
  .openapi('OAuthInitResponse');

export const OAuthCallbackRequestSchema = z
  .strictObject({
    flowId: z.string().min(1),
    code: z.string().min(1).openapi({ description: 'What the authorize page shows: code#state', example: 'abc#xyz' }),
  })
  .openapi('OAuthCallbackRequest');

export const RenameAccountSchema = z.strictObject({ newName: AccountNameSchema }).openapi('RenameAccount');
export const SetPrioritySchema = z.strictObject({ priority: AccountPrioritySchema }).openapi('SetAccountPriority');
