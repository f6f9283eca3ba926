import { EventEmitter } from 'node:events';
import type { LiveEventData } from './shared/events-schemas.js';
import type { AccountStatus } from './storage/contract/accounts.js';
import type { RequestRecord } from './storage/contract/records.js';
import type { ApprovalView, WorkerLogView, WorkerView } from './workers/types.js';

/** Gateway events; the management API (live events, metrics) subscribes to these. */
export interface GatewayEvents {
  'request.started': [
    { id: string; ts: number; method: string; path: string; model: string | null; sessionId: string | null },
  ];
  'request.finished': [RequestRecord];
  /**
   * A request another instance of the cluster finished (its live-event summary): shown on this
   * instance's live stream, never counted in its metrics or notifications.
   */
  'request.peer': [LiveEventData<'request.finished'>];
  'account.changed': [
    { accountId: string; name: string; status: AccountStatus; reason: string | null; until: number | null },
  ];
  'account.refreshed': [{ accountId: string; name: string; expiresAt: number }];
  /**
   * A notification stored in the dashboard's inbox (the bell): the dashboard follows it on the
   * live stream instead of polling.
   */
  'notify.inbox': [NotifyInboxEvent];
  /** A worker was created or changed state, progress or cost (src/workers). */
  'worker.changed': [WorkerView];
  'worker.deleted': [{ id: string; name: string }];
  /** New entries of a worker's log, in order: what the log stream sends after its replay. */
  'worker.log': [{ workerId: string; entries: WorkerLogView[] }];
  /** An approval was asked for or decided. */
  'approval.changed': [ApprovalView];
  /** Log records at info and above, as already redacted by the logger (log/log-events.ts). */
  log: [LogLine];
}

export interface NotifyInboxEvent {
  id: string;
  type: string;
  subject: string;
  severity: 'info' | 'warning' | 'critical';
  title: string;
  /** Unix ms. */
  at: number;
}

export interface LogLine {
  level: 'info' | 'warn' | 'error' | 'fatal';
  /** Unix ms. */
  time: number;
  msg: string;
  /** The record's other fields (pid and hostname left out). */
  fields: Record<string, unknown>;
}

export class EventBus extends EventEmitter<GatewayEvents> {}
