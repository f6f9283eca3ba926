/** `store.requests`: writing request rows and reading them back (the filters of a list, what it returns). */
import type { AttemptCounts } from '../../shared/attempts.js';
import type { AccountUsageDelta, RequestRecord, StoredRequest } from './records.js';

export type OutcomeFilter = 'success' | 'error';

/** The filters of every request list read; they combine with AND. */
export interface RequestQuery {
  /** Rows to return at most. */
  limit: number;
  /** Rows strictly older than this (ts, id), newest first. */
  before?: { ts: number; id: string };
  /** Inclusive, Unix ms. */
  since?: number;
  /** Exclusive, Unix ms. */
  until?: number;
  /**
   * Account id or current name; a name no account has any more matches the name recorded on
   * the request (records of deleted accounts).
   */
  account?: string;
  /** The model that answered, or the one requested when none did (errors). */
  model?: string;
  /** Outcome, or one HTTP status code. */
  status?: OutcomeFilter | number;
  agent?: string;
  session?: string;
}

/**
 * A request row without its attempt log and payload, plus what the log says (retries, failovers,
 * the accounts tried: a failed request has no serving account) and whether a payload is stored.
 */
export type RequestSummary = Omit<RequestRecord, 'attemptLog' | 'payload'> & AttemptCounts & { hasPayload: boolean };

export interface RequestSummaryPage {
  items: RequestSummary[];
  /** Whether rows older than the last item match too. */
  more: boolean;
}

/** The filters of an export (`ccflare export requests`, GET /api/export/requests); they combine with AND. */
export interface RequestExportQuery {
  /** Inclusive, Unix ms. */
  since?: number;
  /** Exclusive, Unix ms. */
  until?: number;
  /** Account id or name, as in RequestQuery. */
  account?: string;
  /** Client key name. */
  clientKey?: string;
  agent?: string;
  /** Read each row's stored payload too. */
  withPayloads: boolean;
}

/** `store.requests`. */
export interface RequestsStore {
  /**
   * Inserts request rows (+ payloads) and applies usage deltas in one transaction. A record whose
   * id is already stored is skipped, with its payload, its rollup share and one request of its
   * account's usage: a batch written again after an uncertain outcome (a journal replay after a
   * kill, a worker that died after its commit) stores and counts every request once.
   */
  writeBatch(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void>;
  /** Summaries, newest first, and whether another page follows. */
  list(q: RequestQuery): Promise<RequestSummaryPage>;
  /** The same rows as full records (attempt logs included, payloads left out: null), `q.limit` at most. */
  listRecords(q: RequestQuery): Promise<StoredRequest[]>;
  get(id: string): Promise<StoredRequest | null>;
  /**
   * One page of an export: full records oldest first, strictly after `after` (ts, id), `limit` at
   * most; payloads only when asked (else null). Keyset pages, each a short read, so an export of
   * any size holds one page in memory and no read transaction open between pages.
   */
  exportPage(q: RequestExportQuery, after: { ts: number; id: string } | null, limit: number): Promise<StoredRequest[]>;
  /**
   * Which of `ids` are stored, without reading their rows: an import writes only the rest, so a
   * second run appends no payload bytes it would then leave unreferenced.
   */
  existingIds(ids: readonly string[]): Promise<Set<string>>;
  count(): Promise<number>;
}
