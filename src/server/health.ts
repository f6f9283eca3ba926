import type { RecordWriterHealth } from '../storage/contract/store.js';

/** How long a lost record keeps /health degraded: long enough for a 1-minute probe to see it several times. */
export const DROP_DEGRADES_MS = 15 * 60_000;

export interface HealthVerdict {
  status: 'ok' | 'degraded';
  /** Why not ok, for a person reading the probe; empty when ok. */
  reasons: string[];
}

/**
 * The `status` of GET /health. "degraded" still answers 200: the gateway proxies as well as
 * ever, and a load balancer that took it out of rotation for a recording problem would turn lost
 * bookkeeping into an outage. Monitors alert on the status field; the CLI and TUI treat a
 * degraded gateway as running.
 */
export function healthVerdict(records: RecordWriterHealth, now: number): HealthVerdict {
  const reasons: string[] = [];
  if (records.waiting > 0) {
    reasons.push(
      `${records.waiting} request record(s) wait in the journal for the database` +
        (records.lastError ? ` (${records.lastError})` : ''),
    );
  }
  if (records.lastDroppedAt !== null && now - records.lastDroppedAt < DROP_DEGRADES_MS) {
    reasons.push(
      `${records.dropped} request record(s) lost since start, the last ${Math.max(0, Math.round((now - records.lastDroppedAt) / 1000))} s ago`,
    );
  }
  return { status: reasons.length === 0 ? 'ok' : 'degraded', reasons };
}
