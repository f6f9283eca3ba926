/** `store.maintenance`: retention, compaction, clearing history, and what the store holds. */

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

export interface TableReport {
  name: string;
  rows: number;
}

export interface IndexReport {
  name: string;
  table: string;
  columns: string[];
  /** false for the indexes SQLite creates for primary keys and UNIQUE constraints. */
  explicit: boolean;
}

export interface QueryPlanReport {
  /** What the query serves, e.g. "request list, newest first". */
  name: string;
  /** Indexes the plan uses (empty when it scans a table without one). */
  indexes: string[];
  /** Tables the plan scans row by row. */
  fullScans: string[];
  plan: string[];
}

/**
 * Database health for `ccflare analyze`: sizes, row counts, indexes and the query plans of the
 * common reads. The page figures are SQLite's; another back-end reports its nearest equivalents.
 */
export interface DatabaseReport {
  path: string;
  /** Main database file, bytes (0 for an in-memory database). */
  fileBytes: number;
  walBytes: number;
  pageSize: number;
  pageCount: number;
  freePages: number;
  /** Free pages x page size: what compaction would give back. */
  reclaimableBytes: number;
  /** Stored request and response headers and bodies, bytes: segment files plus legacy table rows. */
  payloadBytes: number;
  /** Payload segment files in `<db>-payloads/` (0 for an in-memory database). */
  payloadFiles: number;
  /** Oldest request row and oldest payload, Unix ms (null when none). */
  oldestRequestTs: number | null;
  oldestPayloadTs: number | null;
  tables: TableReport[];
  indexes: IndexReport[];
  queries: QueryPlanReport[];
}

export interface ClearHistoryCounts {
  requestsDeleted: number;
  payloadsDeleted: number;
  rollupRowsDeleted: number;
}

/** `store.maintenance`. */
export interface MaintenanceStore {
  /** Deletes expired rows in small transactions so writers are never locked out for long. */
  prune(c: PruneCutoffs): Promise<PruneResult>;
  /** Reclaims free space (VACUUM) and truncates the write-ahead log. */
  compact(): Promise<CompactResult>;
  /** What is stored and since when; cheap enough for a dashboard card (no table scans). */
  storageSummary(): Promise<StorageSummary>;
  report(): Promise<DatabaseReport>;
  /**
   * Deletes every request row, payload and rollup in chunks; accounts, keys and settings stay.
   * `payloadsDeleted` counts table rows and the rows whose payload was in a file.
   */
  clearHistory(): Promise<ClearHistoryCounts>;
}
