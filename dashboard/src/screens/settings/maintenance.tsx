/**
 * The retention card: what is stored, and retention applied now (POST /api/maintenance/cleanup),
 * compaction (…/compact) and clearing all request history (…/clear-history, after typing the
 * word the CLI's clear-history asks for), each with what it did.
 */
import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { ClearHistoryResult } from '../../../../src/shared/clear-history-schemas';
import type { CleanupResult, CompactResult, StorageSummaryView } from '../../../../src/shared/maintenance-schemas';
import { apiFetch, errorMessage } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { fmtDateTime, fmtInt, fmtMs, fmtSize } from '../../format';
import { queryKeys } from '../../query-keys';

/** What `ccflare clear-history` asks the user to type. */
const CLEAR_WORD = 'clear';

function cleanupMessage(r: CleanupResult): string {
  if (r.requestsDeleted === 0 && r.payloadsDeleted === 0) {
    return `Nothing had expired: requests are kept ${fmtInt(r.requestRetentionDays)} days, payloads ${fmtInt(r.payloadRetentionDays)} days.`;
  }
  return `Cleaned up in ${fmtMs(r.durationMs)}. Requests deleted (older than ${fmtDateTime(r.requestsBefore)}): ${fmtInt(r.requestsDeleted)}. Payloads deleted (older than ${fmtDateTime(r.payloadsBefore)}): ${fmtInt(r.payloadsDeleted)}.`;
}

function compactMessage(r: CompactResult): string {
  return `Database compacted from ${fmtSize(r.beforeBytes)} to ${fmtSize(r.afterBytes)} (${fmtSize(Math.max(0, r.reclaimedBytes))} reclaimed) in ${fmtMs(r.durationMs)}.`;
}

function clearMessage(r: ClearHistoryResult): string {
  return `History cleared. Requests deleted: ${fmtInt(r.requestsDeleted)}. Payloads deleted: ${fmtInt(r.payloadsDeleted)}. Analytics aggregates deleted: ${fmtInt(r.rollupRowsDeleted)}. Compact to give the space back to the disk.`;
}

export function Maintenance() {
  const qc = useQueryClient();
  const storage = useQuery({
    queryKey: queryKeys.storage,
    queryFn: () => apiFetch<StorageSummaryView>('/api/maintenance/storage'),
  });
  const [message, setMessage] = useState<string | null>(null);
  const [clearing, setClearing] = useState(false);
  /** Every figure and list reads what was just deleted or moved. */
  const refresh = () => {
    void qc.invalidateQueries({ queryKey: queryKeys.storage });
    void qc.invalidateQueries({ queryKey: queryKeys.analytics.all });
    void qc.invalidateQueries({ queryKey: queryKeys.requests.all });
  };
  const cleanup = useMutation({
    mutationFn: () => apiFetch<CleanupResult>('/api/maintenance/cleanup', { method: 'POST' }),
    onSuccess: (r) => {
      setMessage(cleanupMessage(r));
      refresh();
    },
  });
  const compact = useMutation({
    mutationFn: () => apiFetch<CompactResult>('/api/maintenance/compact', { method: 'POST' }),
    onSuccess: (r) => {
      setMessage(compactMessage(r));
      refresh();
    },
  });
  const busy = cleanup.isPending || compact.isPending;
  const failed = cleanup.error ?? compact.error;
  const s = storage.data;
  return (
    <section className="card" aria-labelledby="maintenance-title">
      <h2 id="maintenance-title">Retention and storage</h2>
      <dl className="maintenance-list">
        <div>
          <dt>Stored</dt>
          <dd data-maintenance="stored">
            {storage.isError ? 'unavailable' : s ? fmtSize(s.databaseBytes + s.payloadFileBytes) : '…'}
          </dd>
        </div>
        <div>
          <dt>Oldest request</dt>
          <dd data-maintenance="oldest">
            {storage.isError
              ? 'unavailable'
              : s
                ? s.oldestRequestTs == null
                  ? 'none stored'
                  : fmtDateTime(s.oldestRequestTs)
                : '…'}
          </dd>
        </div>
      </dl>
      <p className="muted small">
        Retention runs hourly on its own. Cleanup applies it now; compacting rewrites the database file without its free
        pages (proxying continues meanwhile).
      </p>
      <div className="maintenance-actions">
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setMessage(null);
            compact.reset();
            cleanup.mutate();
          }}
        >
          {cleanup.isPending ? 'Cleaning up…' : 'Cleanup now'}
        </button>
        <button
          type="button"
          disabled={busy}
          onClick={() => {
            setMessage(null);
            cleanup.reset();
            compact.mutate();
          }}
        >
          {compact.isPending ? 'Compacting…' : 'Compact'}
        </button>
        <button
          type="button"
          className="danger"
          disabled={busy}
          onClick={() => {
            setMessage(null);
            setClearing(true);
          }}
        >
          Clear history…
        </button>
      </div>
      <p className="maintenance-result" role="status" data-maintenance="result">
        {message}
      </p>
      {failed ? (
        <p className="field-error" role="alert">
          {errorMessage(failed)}
        </p>
      ) : null}
      {clearing ? (
        <ConfirmDialog
          titleId="clear-title"
          title="Clear all request history?"
          describedBy="clear-desc"
          typed={CLEAR_WORD}
          confirmLabel="Clear history"
          pendingLabel="Clearing…"
          action={async () => {
            const r = await apiFetch<ClearHistoryResult>('/api/maintenance/clear-history', { method: 'POST' });
            refresh();
            return clearMessage(r);
          }}
          onClose={(msg) => {
            setClearing(false);
            if (msg) setMessage(msg);
          }}
        >
          <p id="clear-desc">
            Every request record, stored payload and analytics figure is deleted; this cannot be undone. Accounts, keys
            and settings stay.
          </p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
