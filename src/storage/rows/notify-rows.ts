/**
 * Notify rows as both back-ends return them (snake_case columns of the same types) and as the
 * contract gives them out: one mapping for SQLite and PostgreSQL.
 */
import type { DeliveryRow, DeliveryStatus, InboxEventRow } from '../contract/notify.js';

export interface DeliveryDbRow {
  id: string;
  channel_id: string;
  channel_name: string;
  event_id: string;
  event_type: string;
  subject: string;
  title: string;
  status: string;
  attempts: number;
  last_error: string | null;
  response_status: number | null;
  created_at: number;
  updated_at: number;
  owner: string | null;
}

export function toDelivery(r: DeliveryDbRow): DeliveryRow {
  return {
    id: r.id,
    channelId: r.channel_id,
    channelName: r.channel_name,
    eventId: r.event_id,
    eventType: r.event_type,
    subject: r.subject,
    title: r.title,
    status: r.status as DeliveryStatus,
    attempts: r.attempts,
    lastError: r.last_error,
    responseStatus: r.response_status,
    createdAt: r.created_at,
    updatedAt: r.updated_at,
    owner: r.owner,
  };
}

export interface InboxDbRow {
  id: string;
  type: string;
  subject: string;
  severity: string;
  title: string;
  text: string;
  at: number;
  read_at: number | null;
}

export function toInbox(r: InboxDbRow): InboxEventRow {
  return {
    id: r.id,
    type: r.type,
    subject: r.subject,
    severity: r.severity as InboxEventRow['severity'],
    title: r.title,
    text: r.text,
    at: r.at,
    readAt: r.read_at,
  };
}
