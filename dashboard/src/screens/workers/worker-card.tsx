/** One worker: state, progress (turns of max turns), cost of budget, last action and its actions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { WorkerViewData } from '../../../../src/shared/workers-schemas';
import { apiFetch, errorMessage } from '../../api';
import { fmtUsd } from '../../format';
import { workers as messages } from '../../i18n/en/workers';
import { translator } from '../../i18n/i18n';
import { refreshWorkers } from './workers-data';
import { actionsFor, type WorkerAction } from './workers-logic';

const t = translator('workers', messages);

const DONE_MESSAGE = { start: 'started', pause: 'paused', resume: 'resumed', stop: 'stopped' } as const;

function Meter({ label, value, max, text }: { label: string; value: number; max: number | null; text: string }) {
  const over = max !== null && value >= max;
  return (
    <div className="worker-meter">
      <span className="muted small">{label}</span>
      <span className="worker-meter-text">{text}</span>
      {max === null ? null : (
        <meter
          aria-label={label}
          min={0}
          max={max}
          value={Math.min(value, max)}
          high={max * 0.8}
          optimum={0}
          className={over ? 'over' : undefined}
        />
      )}
    </div>
  );
}

export function WorkerCard({
  w,
  selected,
  onMessage,
  onLogs,
  onLimits,
  onDelete,
}: {
  w: WorkerViewData;
  selected: boolean;
  onMessage: (text: string) => void;
  onLogs: () => void;
  onLimits: () => void;
  onDelete: () => void;
}) {
  const qc = useQueryClient();
  const act = useMutation({
    mutationFn: (a: WorkerAction) =>
      apiFetch<WorkerViewData>(`/api/workers/${encodeURIComponent(w.id)}/${a}`, { method: 'POST' }),
    onSuccess: (_, a) => onMessage(t(DONE_MESSAGE[a], { name: w.name })),
    onError: (err) => onMessage(errorMessage(err)),
    onSettled: () => refreshWorkers(qc),
  });
  const titleId = `worker-${w.id}`;
  const state = t(`state_${w.state}`);
  return (
    <article
      className={`card worker-card worker-${w.state}${selected ? ' selected' : ''}`}
      aria-labelledby={titleId}
      data-worker={w.name}
    >
      <header className="worker-card-head">
        <h2 id={titleId}>{w.name}</h2>
        <span className={`badge worker-state state-${w.state}`} data-testid="worker-state">
          {state}
        </span>
        {w.state === 'queued' && w.queuePosition !== null ? (
          <span className="muted small">{t('queuePlace', { n: w.queuePosition })}</span>
        ) : null}
      </header>
      {w.stateReason ? <p className="worker-reason small">{w.stateReason}</p> : null}
      {w.templateId ? (
        <p className="muted small worker-template-of">{t('fromTemplate', { name: w.templateId })}</p>
      ) : null}
      <div className="worker-meters">
        <Meter
          label={t('turns')}
          value={w.turns}
          max={w.maxTurns}
          text={
            w.maxTurns === null
              ? t('turnsNoLimit', { turns: w.turns })
              : t('turnsOf', { turns: w.turns, max: w.maxTurns })
          }
        />
        <Meter
          label={t('cost')}
          value={w.costUsd}
          max={w.budgetUsd}
          text={
            w.budgetUsd === null
              ? t('costNoBudget', { cost: fmtUsd(w.costUsd) })
              : t('costOf', { cost: fmtUsd(w.costUsd), budget: fmtUsd(w.budgetUsd) })
          }
        />
      </div>
      <p className="worker-last">
        <span className="muted small">{t('lastAction')}</span>
        <span className="worker-last-text" data-testid="worker-last">
          {w.lastAction ?? t('nothingYet')}
        </span>
      </p>
      {w.pendingApprovals > 0 ? (
        <p className="worker-pending small">{t.plural('pending', w.pendingApprovals)}</p>
      ) : null}
      <dl className="worker-facts small">
        <div>
          <dt>{t('cwd')}</dt>
          <dd>
            <code>{w.cwd}</code>
          </dd>
        </div>
        <div>
          <dt>{t('model')}</dt>
          <dd>{w.model ?? t('defaultModel')}</dd>
        </div>
        <div>
          <dt>{t('policy')}</dt>
          <dd>{w.policy}</dd>
        </div>
      </dl>
      <fieldset className="worker-actions">
        <legend className="sr-only">{t('actionsOf', { name: w.name })}</legend>
        {actionsFor(w).map((a) => (
          <button
            key={a}
            type="button"
            className={a === 'stop' ? undefined : 'primary'}
            disabled={act.isPending}
            onClick={() => act.mutate(a)}
          >
            {a === 'start' && w.state !== 'paused' && w.startedAt !== null ? t('startAgain') : t(a)}
          </button>
        ))}
        <button type="button" onClick={onLogs} aria-pressed={selected}>
          {t('logs')}
        </button>
        <button type="button" onClick={onLimits}>
          {t('editLimits')}
        </button>
        <button type="button" className="danger" onClick={onDelete}>
          {t('delete')}
        </button>
      </fieldset>
    </article>
  );
}
