/** Editing a worker's budget and max turns (PATCH /api/workers/{id}), also while it runs. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { EditWorkerRequest, WorkerViewData } from '../../../../src/shared/workers-schemas';
import { apiFetch } from '../../api';
import { DialogFooter, useModalDialog } from '../../confirm-dialog';
import { fmtUsd } from '../../format';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { LimitField } from './limit-field';
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
          <LimitField
            id="limits-budget"
            name="budgetUsd"
            whole={false}
            value={budget}
            onChange={setBudget}
            problem={problem?.field === 'budget' ? problem.text : null}
          />
          <LimitField
            id="limits-turns"
            name="maxTurns"
            whole
            value={turns}
            onChange={setTurns}
            problem={problem?.field === 'turns' ? problem.text : null}
          />
        </div>
        <DialogFooter dialog={ref} run={save} submitLabel={t('save')} pendingLabel={t('saving')} />
      </form>
    </dialog>
  );
}
