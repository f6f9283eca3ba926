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
import { settings as messages } from '../../i18n/en/settings';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';

const t = translator('settings', messages);

/** What `ccflare clear-history` asks the user to type. */
const CLEAR_WORD = 'clear';

function cleanupMessage(r: CleanupResult): string {
  if (r.requestsDeleted === 0 && r.payloadsDeleted === 0) {
    return t('cleanupNothing', {
      requestDays: fmtInt(r.requestRetentionDays),
      payloadDays: fmtInt(r.payloadRetentionDays),
    });
  }
  return t('cleanupDone', {
    duration: fmtMs(r.durationMs),
    requestsBefore: fmtDateTime(r.requestsBefore),
    requests: fmtInt(r.requestsDeleted),
    payloadsBefore: fmtDateTime(r.payloadsBefore),
    payloads: fmtInt(r.payloadsDeleted),
  });
}

function compactMessage(r: CompactResult): string {
  return t('compactDone', {
    before: fmtSize(r.beforeBytes),
    after: fmtSize(r.afterBytes),
    reclaimed: fmtSize(Math.max(0, r.reclaimedBytes)),
    duration: fmtMs(r.durationMs),
  });
}

function clearMessage(r: ClearHistoryResult): string {
  return t('clearDone', {
    requests: fmtInt(r.requestsDeleted),
    payloads: fmtInt(r.payloadsDeleted),
    rollups: fmtInt(r.rollupRowsDeleted),
  });
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
      <h2 id="maintenance-title">{t('maintenanceTitle')}</h2>
      <dl className="maintenance-list">
        <div>
          <dt>{t('stored')}</dt>
          <dd data-maintenance="stored">
            {storage.isError ? t('unavailable') : s ? fmtSize(s.databaseBytes + s.payloadFileBytes) : '…'}
          </dd>
        </div>
        <div>
          <dt>{t('oldestRequest')}</dt>
          <dd data-maintenance="oldest">
            {storage.isError
              ? t('unavailable')
              : s
                ? s.oldestRequestTs == null
                  ? t('noneStored')
                  : fmtDateTime(s.oldestRequestTs)
                : '…'}
          </dd>
        </div>
      </dl>
      <p className="muted small">{t('maintenanceNote')}</p>
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
          {cleanup.isPending ? t('cleaningUp') : t('cleanupNow')}
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
          {compact.isPending ? t('compacting') : t('compact')}
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
          {t('clearHistoryButton')}
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
          title={t('clearTitle')}
          describedBy="clear-desc"
          typed={CLEAR_WORD}
          confirmLabel={t('clearConfirm')}
          pendingLabel={t('clearing')}
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
          <p id="clear-desc">{t('clearBody')}</p>
        </ConfirmDialog>
      ) : null}
    </section>
  );
}
