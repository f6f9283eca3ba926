import { EventEmitter } from 'node:events';
import type { AccountStatus, RequestRecord } from './storage/types.js';

/** Gateway events; the management API (live events, metrics) subscribes to these. */
export interface GatewayEvents {
  'request.started': [
    { id: string; ts: number; method: string; path: string; model: string | null; sessionId: string | null },
  ];
  'request.finished': [RequestRecord];
  'account.changed': [
    { accountId: string; name: string; status: AccountStatus; reason: string | null; until: number | null },
  ];
  'account.refreshed': [{ accountId: string; name: string; expiresAt: number }];
}

export class EventBus extends EventEmitter<GatewayEvents> {}
