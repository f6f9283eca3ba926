/**
 * The notification event types, without zod: the dashboard's Settings screen imports them, and
 * notify-schemas.ts (zod) would bring zod into it.
 */

/** Every event type a channel can be switched to receive. */
export const NOTIFY_EVENT_TYPES = [
  'account.reauth',
  'account.rate_limited',
  'account.recovered',
  'pool.exhausted',
  'pool.recovered',
  'spend.threshold',
  'error_rate.high',
  'worker.approval',
] as const;
export type NotifyEventType = (typeof NOTIFY_EVENT_TYPES)[number];
