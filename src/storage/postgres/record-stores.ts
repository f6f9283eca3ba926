/** Requests, payloads, rollups, analytics, maintenance and conversations on PostgreSQL. */
import type { AnalyticsStore } from '../contract/analytics.js';
import type { ConversationsStore } from '../contract/conversations.js';
import type { MaintenanceStore } from '../contract/maintenance.js';
import type { RequestsStore } from '../contract/requests.js';
import type { PgPool } from './connection.js';

export const RECORDS_DDL: readonly string[] = [];

export interface RecordStores {
  requests: RequestsStore;
  analytics: AnalyticsStore;
  maintenance: MaintenanceStore;
  conversations: ConversationsStore;
}

export function makeRecordStores(_pool: PgPool): RecordStores {
  throw new Error('PostgreSQL record stores: not built yet');
}
