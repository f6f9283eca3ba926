/** Requests, payloads, rollups, analytics, maintenance and conversations on PostgreSQL. */
import type { AnalyticsStore } from '../contract/analytics.js';
import type { ConversationsStore } from '../contract/conversations.js';
import type { MaintenanceStore } from '../contract/maintenance.js';
import type { RequestsStore } from '../contract/requests.js';
import { PgAnalytics } from './analytics.js';
import type { PgPool } from './connection.js';
import { CONVERSATIONS_DDL, PgConversations } from './conversations.js';
import { PgMaintenance } from './maintenance.js';
import { PAYLOADS_DDL } from './payloads.js';
import { makeBatchWrite } from './record-batch.js';
import { PgRequests, REQUESTS_DDL } from './requests.js';
import { ROLLUPS_DDL } from './rollups.js';

/** The record tables, in creation order (the link indexes need the requests table). */
export const RECORDS_DDL: readonly string[] = [...REQUESTS_DDL, ...PAYLOADS_DDL, ...ROLLUPS_DDL, ...CONVERSATIONS_DDL];

export interface RecordStores {
  requests: RequestsStore;
  analytics: AnalyticsStore;
  maintenance: MaintenanceStore;
  conversations: ConversationsStore;
}

export function makeRecordStores(pool: PgPool): RecordStores {
  const write = makeBatchWrite(pool);
  return {
    requests: new PgRequests(pool, write),
    analytics: new PgAnalytics(pool),
    maintenance: new PgMaintenance(pool),
    conversations: new PgConversations(pool),
  };
}
