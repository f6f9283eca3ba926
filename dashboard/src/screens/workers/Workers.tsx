/**
 * Workers: Claude Code sessions the gateway runs (src/workers). Cards per worker with state,
 * progress, cost and last action and its actions; the approval queue (keyboard: j/k, a, r); a
 * worker's streamed log; creating from a prompt or a template; editing budget and max turns.
 * Without the optional Agent SDK it says how to enable it.
 */
import { useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { WorkerViewData } from '../../../../src/shared/workers-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { setSearchParam, useLocation } from '../../router';
import { ErrorState, Loading } from '../../states';
import { ApprovalQueue } from './approval-queue';
import { CreateDialog } from './create-dialog';
import { LimitsDialog } from './limits-dialog';
import { LogViewer } from './log-viewer';
import { WorkerCard } from './worker-card';
import { refreshWorkers, sdkMissing, usePendingApprovals, useWorkers, useWorkersLive } from './workers-data';
import './workers.css';

const t = translator('workers', messages);

const INSTALL = 'npm install @anthropic-ai/claude-agent-sdk';

function Unavailable({ message }: { message: string }) {
  return (
    <section className="card workers-unavailable" aria-labelledby="workers-unavailable-title">
      <h2 id="workers-unavailable-title">{t('unavailableTitle')}</h2>
      <p data-testid="unavailable-message">{message}</p>
      <p>{t('unavailableHow')}</p>
      <pre>
        <code>{INSTALL}</code>
      </pre>
      <p className="muted">{t('unavailableRest')}</p>
    </section>
  );
}

export function Workers() {
  const qc = useQueryClient();
  const { search } = useLocation();
  const workers = useWorkers();
  const available = workers.isSuccess;
  const approvals = usePendingApprovals(available);
  const live = useWorkersLive(!sdkMissing(workers.error));
  const [message, setMessage] = useState<string | null>(null);
  const [creating, setCreating] = useState(false);
  const [limitsOf, setLimitsOf] = useState<WorkerViewData | null>(null);
  const [deleting, setDeleting] = useState<WorkerViewData | null>(null);
  const list = workers.data?.workers ?? [];
  const logName = search.get('worker');
  const logWorker = list.find((w) => w.name === logName || w.id === logName);

  return (
    <>
      <div className="page-head">
        <h1>{t('title')}</h1>
        <div className="inline-field">
          {available && live === 'offline' ? <span className="muted small">{t('reconnecting')}</span> : null}
          <button
            type="button"
            className="primary"
            disabled={!available}
            onClick={() => {
              setMessage(null);
              setCreating(true);
            }}
          >
            {t('newWorker')}
          </button>
        </div>
      </div>
      <div className="notice-slot" role="status" aria-live="polite">
        {message ? <div className="notice">{message}</div> : null}
      </div>
      {workers.isPending ? (
        <Loading what={t('loadingWhat')} />
      ) : sdkMissing(workers.error) ? (
        <Unavailable message={workers.error.message} />
      ) : workers.isError ? (
        <ErrorState error={workers.error} retry={() => void workers.refetch()} />
      ) : (
        <>
          <p className="muted workers-intro">{t('intro')}</p>
          {approvals.isError ? (
            <ErrorState error={approvals.error} retry={() => void approvals.refetch()} />
          ) : (
            <ApprovalQueue approvals={approvals.data?.approvals ?? []} onMessage={setMessage} />
          )}
          {list.length === 0 ? (
            <p className="card empty">{t('empty')}</p>
          ) : (
            <div className="worker-grid">
              {list.map((w) => (
                <WorkerCard
                  key={w.id}
                  w={w}
                  selected={w === logWorker}
                  onMessage={setMessage}
                  onLogs={() => setSearchParam('worker', w === logWorker ? null : w.name)}
                  onLimits={() => {
                    setMessage(null);
                    setLimitsOf(w);
                  }}
                  onDelete={() => {
                    setMessage(null);
                    setDeleting(w);
                  }}
                />
              ))}
            </div>
          )}
          {logWorker ? <LogViewer worker={logWorker} onClose={() => setSearchParam('worker', null)} /> : null}
        </>
      )}
      {creating ? (
        <CreateDialog
          onClose={(msg) => {
            setCreating(false);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
      {limitsOf ? (
        <LimitsDialog
          worker={limitsOf}
          onClose={(msg) => {
            setLimitsOf(null);
            if (msg) setMessage(msg);
          }}
        />
      ) : null}
      {deleting ? (
        <ConfirmDialog
          titleId="worker-delete-title"
          title={t('deleteTitle', { name: deleting.name })}
          describedBy="worker-delete-body"
          confirmLabel={t('deleteConfirm')}
          pendingLabel={t('deleting')}
          action={async () => {
            await apiFetch(`/api/workers/${encodeURIComponent(deleting.id)}`, { method: 'DELETE' });
            if (logWorker?.id === deleting.id) setSearchParam('worker', null);
            await refreshWorkers(qc);
            return t('deleted', { name: deleting.name });
          }}
          onClose={(msg) => {
            setDeleting(null);
            if (msg) setMessage(msg);
          }}
        >
          <p id="worker-delete-body">{t('deleteBody')}</p>
        </ConfirmDialog>
      ) : null}
    </>
  );
}
