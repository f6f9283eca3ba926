/** `store.requests`: writing request rows, and reading them back (the filters of a list, the summaries it returns). */
import type { AccountUsageDelta, RequestRecord, StoredRequest } from './records.js';

export interface RequestQuery {
  limit?: number;
  /** Rows strictly older than this cursor (ts, id) — newest first. */
  before?: { ts: number; id: string };
  since?: number;
  until?: number;
  account?: string;
  model?: string;
  success?: boolean;
  sessionId?: string;
  agent?: string;
}

export type OutcomeFilter = 'success' | 'error';

export interface RequestListQuery {
  /** Rows to return (the store fetches one more to tell whether another page exists). */
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

/** A request row without its attempt log and payload, plus whether a payload is stored. */
export type RequestSummary = Omit<RequestRecord, 'attemptLog' | 'payload'> & { hasPayload: boolean };

export interface RequestSummaryPage {
  items: RequestSummary[];
  /** Whether rows older than the last item match too. */
  more: boolean;
}

/** `store.requests`. */
export interface RequestsStore {
  /** Inserts request rows (+ payloads) and applies usage deltas in one transaction. */
  writeBatch(records: RequestRecord[], usage: AccountUsageDelta[]): Promise<void>;
  /** Newest first; filters combine with AND. */
  list(q: RequestListQuery): Promise<RequestSummaryPage>;
  /** Full records (attempt logs included, payloads left out: null), newest first. */
  listRecords(q: RequestQuery): Promise<StoredRequest[]>;
  get(id: string): Promise<StoredRequest | null>;
  count(): Promise<number>;
}
