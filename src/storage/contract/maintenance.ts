/** Retention, compaction and what the store holds. */

export interface PruneCutoffs {
  /** Request rows older than this (Unix ms) are deleted. */
  requestsBefore: number;
  /** Payloads older than this are deleted (also when their request row stays). */
  payloadsBefore: number;
  now: number;
}

export interface PruneResult {
  requestsDeleted: number;
  payloadsDeleted: number;
  rollupRowsDeleted: number;
}

export interface CompactResult {
  /** Database file plus its write-ahead log, bytes. */
  beforeBytes: number;
  afterBytes: number;
}

export interface StorageSummary {
  /** Database file plus its write-ahead log, bytes (0 in memory). */
  databaseBytes: number;
  /** Payload segment files, bytes (payloads still in the database count in databaseBytes). */
  payloadFileBytes: number;
  /** Unix ms of the oldest stored request, or null when there is none. */
  oldestRequestTs: number | null;
}
