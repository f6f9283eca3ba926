/**
 * Shapes of `/api/token-usage/*`: tokens and cost per account and per client key in the rolling
 * 5-hour window (next to each account's own 5h/7d utilization from its rate-limit headers) and
 * per day. Defined once with zod, shared by the server, its OpenAPI document and the UIs.
 */

import { TokenCountsSchema } from './analytics-schemas.js';
import { z } from './zod-openapi.js';

/** The window Claude subscriptions count usage over (protocol.md §3: the 5h unified window). */
export const TOKEN_WINDOW_MS = 5 * 3_600_000;
export const TOKEN_DAILY_DAYS = 30;

export const TokenUsageSumsSchema = z
  .object({
    requests: z.number().int(),
    tokens: TokenCountsSchema,
    costUsd: z.number().openapi({ description: 'USD; requests of models without a known price count 0' }),
  })
  .openapi('TokenUsageSums');
export type TokenUsageSumsView = z.infer<typeof TokenUsageSumsSchema>;

const UtilizationSchema = z
  .object({
    status: z.string().nullable(),
    utilization: z.number().nullable().openapi({ description: '0..1, as the upstream reported it' }),
    resetAt: z.number().int().nullable().openapi({ description: 'Unix ms' }),
  })
  .nullable()
  .openapi('TokenWindowUtilization');

export const AccountTokenWindowSchema = TokenUsageSumsSchema.extend({
  accountId: z.string().nullable().openapi({ description: 'null: requests no account served' }),
  name: z.string().nullable(),
  /** false: an account removed since; its requests still count. */
  exists: z.boolean(),
  today: TokenUsageSumsSchema,
  fiveHour: UtilizationSchema,
  sevenDay: UtilizationSchema,
  /** When the utilization was read from a response, Unix ms; null: never. */
  observedAt: z.number().int().nullable(),
}).openapi('AccountTokenWindow');

export const KeyTokenWindowSchema = TokenUsageSumsSchema.extend({
  name: z.string(),
  /** false: revoked, or no key of this name exists any more; its requests still count. */
  active: z.boolean(),
  today: TokenUsageSumsSchema,
}).openapi('KeyTokenWindow');

export const TokenUsageCurrentSchema = z
  .object({
    now: z.number().int(),
    /** Start of the window, Unix ms (to the minute). */
    from: z.number().int(),
    windowMs: z.number().int(),
    /** Start of "today", Unix ms: the `dayStart` asked for, else UTC midnight. */
    dayStart: z.number().int(),
    accounts: z.array(AccountTokenWindowSchema),
    keys: z.array(KeyTokenWindowSchema),
    total: TokenUsageSumsSchema,
  })
  .openapi('TokenUsageCurrent');
export type TokenUsageCurrent = z.infer<typeof TokenUsageCurrentSchema>;
export type AccountTokenWindow = z.infer<typeof AccountTokenWindowSchema>;
export type KeyTokenWindow = z.infer<typeof KeyTokenWindowSchema>;

export const TokenUsageCurrentQuerySchema = z.strictObject({
  dayStart: z.coerce
    .number()
    .int()
    .min(0)
    .optional()
    .openapi({ description: 'Start of "today" in the caller\'s time zone, Unix ms, within the last 2 days' }),
});

export const TokenUsageDaySchema = z
  .object({
    /** Start of the UTC day, Unix ms. */
    day: z.number().int(),
    total: TokenUsageSumsSchema,
    accounts: z.array(TokenUsageSumsSchema.extend({ accountId: z.string().nullable(), name: z.string().nullable() })),
    keys: z.array(TokenUsageSumsSchema.extend({ name: z.string() })),
  })
  .openapi('TokenUsageDay');

export const TokenUsageDailySchema = z
  .object({
    from: z.number().int(),
    to: z.number().int(),
    /** Oldest first, one per UTC day, days without requests included. */
    days: z.array(TokenUsageDaySchema),
  })
  .openapi('TokenUsageDaily');
export type TokenUsageDaily = z.infer<typeof TokenUsageDailySchema>;
