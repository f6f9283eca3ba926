/** Editing a worker's budget and max turns (PATCH /api/workers/{id}), also while it runs. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { EditWorkerRequest, WorkerViewData } from '../../../../src/shared/workers-schemas';
import { apiFetch, errorMessage } from '../../api';
import { useModalDialog } from '../../confirm-dialog';
import { fmtUsd } from '../../format';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { refreshWorkers } from './workers-data';
import { parseLimit } from './workers-logic';

const t = translator('workers', messages);

export function LimitsDialog({ worker, onClose }: { worker: WorkerViewData; onClose: (msg?: string) => void }) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const [budget, setBudget] = useState(worker.budgetUsd === null ? '' : String(worker.budgetUsd));
  const [turns, setTurns] = useState(worker.maxTurns === null ? '' : String(worker.maxTurns));
  const [problem, setProblem] = useState<{ field: 'budget' | 'turns'; text: string } | null>(null);
  const save = useMutation({
    mutationFn: (body: EditWorkerRequest) =>
      apiFetch<WorkerViewData>(`/api/workers/${encodeURIComponent(worker.id)}`, { method: 'PATCH', body }),
    onSuccess: async () => {
      await refreshWorkers(qc);
      onClose(t('limitsSaved', { name: worker.name }));
    },
  });
  const submit = () => {
    const b = parseLimit(budget, false);
    if ('error' in b) return setProblem({ field: 'budget', text: b.error });
    const m = parseLimit(turns, true);
    if ('error' in m) return setProblem({ field: 'turns', text: m.error });
    setProblem(null);
    save.mutate({ budgetUsd: b.value, maxTurns: m.value });
  };
  const hint = (field: 'budget' | 'turns') => (
    <small id={`limits-${field}-msg`} className={problem?.field === field ? 'field-error' : 'muted'}>
      {problem?.field === field ? problem.text : t('noLimitHint')}
    </small>
  );
  return (
    <dialog ref={ref} className="dialog" aria-labelledby="limits-title" onClose={() => onClose()}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id="limits-title">{t('limitsTitle', { name: worker.name })}</h2>
        <p className="muted small">{t('limitsHelp', { cost: fmtUsd(worker.costUsd) })}</p>
        <div className="form-row">
          <div className="field">
            <label htmlFor="limits-budget">{t('budgetUsd')}</label>
            <input
              id="limits-budget"
              name="budgetUsd"
              inputMode="decimal"
              value={budget}
              onChange={(e) => setBudget(e.target.value)}
              aria-invalid={problem?.field === 'budget'}
              aria-describedby="limits-budget-msg"
            />
            {hint('budget')}
          </div>
          <div className="field">
            <label htmlFor="limits-turns">{t('maxTurns')}</label>
            <input
              id="limits-turns"
              name="maxTurns"
              inputMode="numeric"
              value={turns}
              onChange={(e) => setTurns(e.target.value)}
              aria-invalid={problem?.field === 'turns'}
              aria-describedby="limits-turns-msg"
            />
            {hint('turns')}
          </div>
        </div>
        {save.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(save.error)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {t('cancel')}
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? t('saving') : t('save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
