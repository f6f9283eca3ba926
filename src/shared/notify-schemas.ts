/**
 * Shapes of the notification endpoints (`/api/notify/*`), defined once with zod and shared by the
 * server, its OpenAPI document, the CLI and the dashboard.
 */

import { DURATION_RULE, formatDuration, parseDuration } from './duration.js';
import { NAME_ERROR, NAME_PATTERN } from './names.js';
import { NOTIFY_EVENT_TYPES } from './notify-events.js';
import { z } from './zod-openapi.js';

export const NotifyEventTypeSchema = z.enum(NOTIFY_EVENT_TYPES);
export const ChannelKindSchema = z.enum(['webhook', 'slack', 'dashboard']);
export const ChannelNameSchema = z.string().regex(NAME_PATTERN, NAME_ERROR).openapi({ example: 'ops-slack' });

/** Only http(s): a clear error for anything else (file:, javascript:, a bare host). */
export const ChannelUrlSchema = z
  .string()
  .max(2048)
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.protocol === 'http:' || u.protocol === 'https:';
      } catch {
        return false;
      }
    },
    { message: 'must be an http:// or https:// URL' },
  )
  .refine(
    (s) => {
      try {
        const u = new URL(s);
        return u.username === '' && u.password === '';
      } catch {
        return true;
      }
    },
    // fetch refuses such a URL, so the channel could never deliver; and its error text would carry the password.
    { message: 'must not contain a user name or password (user:pass@): put a token in the path or query instead' },
  )
  .openapi({ example: 'https://hooks.slack.com/services/T000/B000/XXXX' });

export const ChannelSchema = z
  .object({
    id: z.string(),
    name: z.string(),
    kind: ChannelKindSchema,
    /** The URL with its secret parts masked; null for the dashboard channel. */
    url: z.string().nullable().openapi({ example: 'https://hooks.slack.com/services/T000/••••' }),
    /** Deliveries carry `x-ccflare-signature: sha256=<hex>` (webhook channels only). */
    signed: z.boolean(),
    events: z.array(NotifyEventTypeSchema),
    enabled: z.boolean(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('NotifyChannel');
export type ChannelView = z.infer<typeof ChannelSchema>;

export const ChannelListSchema = z.object({ channels: z.array(ChannelSchema) }).openapi('NotifyChannelList');
export type ChannelList = z.infer<typeof ChannelListSchema>;

export const CreateChannelSchema = z
  .object({
    name: ChannelNameSchema,
    kind: z.enum(['webhook', 'slack']),
    url: ChannelUrlSchema,
    /** HMAC-SHA256 signing secret (webhook only). */
    secret: z.string().min(8).max(256).optional(),
    /** Absent: every event type. */
    events: z.array(NotifyEventTypeSchema).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('CreateNotifyChannel');
export type CreateChannel = z.infer<typeof CreateChannelSchema>;

export const UpdateChannelSchema = z
  .object({
    /** A new name (the dashboard channel keeps its own). */
    name: ChannelNameSchema.optional(),
    url: ChannelUrlSchema.optional(),
    /** null removes the signing secret. */
    secret: z.string().min(8).max(256).nullable().optional(),
    events: z.array(NotifyEventTypeSchema).optional(),
    enabled: z.boolean().optional(),
  })
  .openapi('UpdateNotifyChannel');
export type UpdateChannel = z.infer<typeof UpdateChannelSchema>;

export const DeliverySchema = z
  .object({
    id: z.string(),
    channel: z.string(),
    eventType: z.string(),
    subject: z.string(),
    title: z.string(),
    status: z.enum(['pending', 'delivered', 'failed', 'interrupted']),
    attempts: z.number().int(),
    lastError: z.string().nullable(),
    responseStatus: z.number().int().nullable(),
    createdAt: z.number().int(),
    updatedAt: z.number().int(),
  })
  .openapi('NotifyDelivery');
export type DeliveryView = z.infer<typeof DeliverySchema>;

export const DeliveryListSchema = z.object({ deliveries: z.array(DeliverySchema) }).openapi('NotifyDeliveryList');
export type DeliveryList = z.infer<typeof DeliveryListSchema>;

/** Bounds of the rules, for the CLI to name its flag when a value is outside them. */
export const NOTIFY_SPEND_MAX_USD = 1_000_000;
export const NOTIFY_WINDOW_MIN_MS = 1000;
export const NOTIFY_WINDOW_MAX_MS = 7 * 86_400_000;

const usd = z.number().positive().max(NOTIFY_SPEND_MAX_USD).nullable();

export const NotifyRulesSchema = z
  .object({
    /** One message per event type and subject within this window (ms). */
    windowMs: z.number().int().min(NOTIFY_WINDOW_MIN_MS).max(NOTIFY_WINDOW_MAX_MS),
    spend: z.object({
      /** USD per UTC day / month over all requests; null: off. */
      dailyUsd: usd,
      monthlyUsd: usd,
      /** The same per client key. */
      keyDailyUsd: usd,
      keyMonthlyUsd: usd,
    }),
    errorRate: z.object({
      /** Share of failed requests over the last 5 minutes, percent; null: off. */
      percent: z.number().positive().max(100).nullable(),
      /** Fewer requests than this in the 5 minutes never fire. */
      minRequests: z.number().int().min(1).max(1_000_000),
    }),
  })
  .openapi('NotifyRules');
export type NotifyRules = z.infer<typeof NotifyRulesSchema>;

/**
 * The rules as `PUT /api/notify/rules` takes them: `windowMs` also as a duration with units
 * (`5m`, `1h`), as every duration setting is (shared/duration.ts); stored and answered as ms.
 */
export const NotifyRulesInputSchema = NotifyRulesSchema.extend({
  windowMs: z
    .union([z.number(), z.string()])
    .transform((v, ctx) => {
      const ms = parseDuration(v);
      if (ms === null || ms < NOTIFY_WINDOW_MIN_MS || ms > NOTIFY_WINDOW_MAX_MS) {
        ctx.addIssue({
          code: 'custom',
          message: `expected ${DURATION_RULE}, from ${formatDuration(NOTIFY_WINDOW_MIN_MS)} to ${formatDuration(NOTIFY_WINDOW_MAX_MS)}`,
        });
        return z.NEVER;
      }
      return ms;
    })
    .openapi({
      description: 'One message per event type and subject within this window: ms, or a duration such as 5m or 1h',
      example: '1h',
    }),
}).openapi('NotifyRulesInput');

export const DEFAULT_NOTIFY_RULES: NotifyRules = {
  windowMs: 3_600_000,
  spend: { dailyUsd: null, monthlyUsd: null, keyDailyUsd: null, keyMonthlyUsd: null },
  errorRate: { percent: 50, minRequests: 20 },
};

export const InboxEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    subject: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    title: z.string(),
    text: z.string(),
    at: z.number().int(),
    read: z.boolean(),
  })
  .openapi('NotifyInboxEvent');
export type InboxEventView = z.infer<typeof InboxEventSchema>;

export const InboxSchema = z
  .object({ unread: z.number().int(), events: z.array(InboxEventSchema) })
  .openapi('NotifyInbox');
export type Inbox = z.infer<typeof InboxSchema>;

export const MarkReadSchema = z.object({ ids: z.array(z.string()).max(1000).optional() }).openapi('NotifyMarkRead');
