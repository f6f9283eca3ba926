/**
 * The live event stream (`GET /api/events`, Server-Sent Events): event names and the JSON each
 * frame's `data` carries. Every frame has an `id:` (increasing integers); reconnect with
 * `Last-Event-ID` to receive what was missed, or a `reset` first when that is no longer known.
 */

import { AccountStatusSchema } from './accounts-schemas.js';
import { RequestSummarySchema } from './requests-schemas.js';
import { ApprovalEventSchema, WorkerDeletedEventSchema, WorkerSchema } from './workers-schemas.js';
import { z } from './zod-openapi.js';

export const RequestStartedEventSchema = z
  .object({
    id: z.string(),
    ts: z.number().openapi({ description: 'Unix ms' }),
    method: z.string(),
    path: z.string(),
    model: z.string().nullable(),
    sessionId: z.string().nullable(),
  })
  .openapi('RequestStartedEvent');

/** A request summary as it finished, without `hasPayload` (payloads are written later, by the record writer). */
export const RequestFinishedEventSchema = RequestSummarySchema.omit({ hasPayload: true }).openapi(
  'RequestFinishedEvent',
);

export const AccountChangedEventSchema = z
  .object({
    accountId: z.string(),
    name: z.string(),
    status: AccountStatusSchema,
    reason: z.string().nullable(),
    until: z.number().nullable().openapi({ description: 'Unix ms when a cooldown ends' }),
  })
  .openapi('AccountChangedEvent');

export const AccountRefreshedEventSchema = z
  .object({ accountId: z.string(), name: z.string(), expiresAt: z.number() })
  .openapi('AccountRefreshedEvent');

export const LogEventSchema = z
  .object({
    level: z.enum(['info', 'warn', 'error', 'fatal']),
    time: z.number().openapi({ description: 'Unix ms' }),
    msg: z.string(),
    /** The record's other fields, redacted like the log itself. */
    fields: z.record(z.string(), z.unknown()),
  })
  .openapi('LogEvent');

/** A notification just stored in the dashboard channel's inbox (GET /api/notify/inbox has it). */
export const NotifyInboxEventSchema = z
  .object({
    id: z.string(),
    type: z.string(),
    subject: z.string(),
    severity: z.enum(['info', 'warning', 'critical']),
    title: z.string(),
    at: z.number().openapi({ description: 'Unix ms' }),
  })
  .openapi('NotifyInboxEvent');

/** Sent first when `Last-Event-ID` is older than the buffer: refetch state, then follow the stream. */
export const ResetEventSchema = z
  .object({
    reason: z.string(),
    lastEventId: z.number().int().nullable(),
    /** The oldest event still buffered, which follows. */
    oldestEventId: z.number().int().nullable(),
  })
  .openapi('ResetEvent');

export const LIVE_EVENT_SCHEMAS = {
  'request.started': RequestStartedEventSchema,
  'request.finished': RequestFinishedEventSchema,
  'account.changed': AccountChangedEventSchema,
  'account.refreshed': AccountRefreshedEventSchema,
  log: LogEventSchema,
  'notify.inbox': NotifyInboxEventSchema,
  /** A worker was created or changed state, progress or cost. */
  'worker.changed': WorkerSchema,
  'worker.deleted': WorkerDeletedEventSchema,
  /** A worker's tool call started waiting for approval, or was decided. */
  'approval.changed': ApprovalEventSchema,
  reset: ResetEventSchema,
} as const;

export type LiveEventType = keyof typeof LIVE_EVENT_SCHEMAS;
export const LIVE_EVENT_TYPES = Object.keys(LIVE_EVENT_SCHEMAS) as LiveEventType[];
export type LiveEventData<T extends LiveEventType> = z.infer<(typeof LIVE_EVENT_SCHEMAS)[T]>;

export const EventsQuerySchema = z.object({
  lastEventId: z
    .string()
    .regex(/^\d+$/, 'expected a non-negative integer')
    .optional()
    .openapi({ description: 'Same as the Last-Event-ID header, for clients that cannot set it' }),
  ticket: z.string().optional().openapi({ description: 'Single-use ticket from POST /api/events/ticket' }),
  types: z
    .string()
    .optional()
    .openapi({ description: 'Comma-separated event names to receive (default: all)', example: 'request.finished,log' }),
  fields: z.enum(['id']).optional().openapi({
    description:
      'id: request.started and request.finished carry only {"id"} (for clients that refetch what they show, like the dashboard); other events are unchanged',
  }),
});

export const RecentLogsQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(200)
    .default(200)
    .openapi({ description: 'Lines at most (1-200), the newest', example: 50 }),
});

export const RecentLogsSchema = z
  .object({ lines: z.array(LogEventSchema).openapi({ description: 'Oldest first' }) })
  .openapi('RecentLogs');
export type RecentLogs = z.infer<typeof RecentLogsSchema>;

export const LogHistoryQuerySchema = z.strictObject({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100_000)
    .default(1000)
    .openapi({ description: 'Lines at most (1-100000, default 1000), the newest', example: 1000 }),
});

/** ccflare's level names (its LogEvent), which its scripts and dashboard read. */
const CCFLARE_LEVEL = { info: 'INFO', warn: 'WARN', error: 'ERROR', fatal: 'ERROR' } as const;

/**
 * A line of the log file as GET /api/logs/history answers it: ccflare's `{ts, level, msg}` (its
 * level names; a fatal line is its ERROR), plus this gateway's own level (`severity`, which tells
 * fatal apart) and the record's other fields.
 */
export const LogHistoryLineSchema = z
  .object({
    ts: z.number().openapi({ description: 'Unix ms' }),
    level: z.enum(['DEBUG', 'INFO', 'WARN', 'ERROR']),
    msg: z.string(),
    severity: LogEventSchema.shape.level,
    fields: LogEventSchema.shape.fields,
  })
  .openapi('LogHistoryLine');
export type LogHistoryLine = z.infer<typeof LogHistoryLineSchema>;

/** ccflare's answer is a bare array, oldest first; kept so its scripts work unchanged. */
export const LogHistorySchema = z.array(LogHistoryLineSchema).openapi('LogHistory');

type LogEventData = z.infer<typeof LogEventSchema>;

export function toHistoryLine(l: LogEventData): LogHistoryLine {
  return { ts: l.time, level: CCFLARE_LEVEL[l.level], msg: l.msg, severity: l.level, fields: l.fields };
}

/** The log line a history entry was made from (the shape of the live `log` event). */
export function fromHistoryLine(h: LogHistoryLine): LogEventData {
  return { level: h.severity, time: h.ts, msg: h.msg, fields: h.fields ?? {} };
}
