/** The models of every agent at once: the default for agents without a preference, and a bulk preference. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BulkPreferenceRequest } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { fmtInt, fmtUsd } from '../../format';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';
import { queryKeys } from '../../query-keys';
import { ModelSelect } from './agent-fields';
import type { AgentFigures } from './agent-groups';
import { refreshAgents } from './agents-data';

const t = translator('agents', messages);

function figureText(f: AgentFigures | undefined): string {
  return f ? t('figureText', { requests: fmtInt(f.requests), cost: fmtUsd(f.costUsd) }) : t('noRequests');
}

export function ModelDefaults({
  defaultModel,
  agentCount,
  main,
  unknown,
}: {
  defaultModel: string | null;
  agentCount: number;
  /** Figures of the main agent and of sub-agents whose definition is unknown. */
  main: AgentFigures | undefined;
  unknown: AgentFigures | undefined;
}) {
  const qc = useQueryClient();
  const [bulk, setBulk] = useState<string | null>(null);
  const [message, setMessage] = useState<string | null>(null);
  const setDefault = useMutation({
    // An empty value is the setting's "none" (a null would only drop the stored value, falling
    // back to the config file's).
    mutationFn: (model: string | null) =>
      apiFetch('/api/config', { method: 'PATCH', body: { defaultAgentModel: model ?? '' } }),
    onSuccess: (_, model) => setMessage(model ? t('defaultNow', { model }) : t('noDefault')),
    onSettled: () =>
      Promise.all([refreshAgents(qc), qc.invalidateQueries({ queryKey: queryKeys.config })]).then(() => {}),
  });
  const setAll = useMutation({
    mutationFn: (body: BulkPreferenceRequest) =>
      apiFetch<{ updated: number; warnings: string[] }>('/api/agents/bulk-preference', { method: 'POST', body }),
    onSuccess: (r, body) => {
      const done = body.model
        ? t.plural('preferenceSet', r.updated, { model: body.model })
        : t.plural('preferenceCleared', r.updated);
      setMessage(`${done}${r.warnings.length > 0 ? ` ${r.warnings.join(' ')}` : ''}`);
    },
    onSettled: () => refreshAgents(qc),
  });
  return (
    <section className="card" aria-labelledby="agent-models-title">
      <h2 id="agent-models-title">{t('modelsTitle')}</h2>
      <p className="muted small">{t('modelsIntro', { main: figureText(main), unknown: figureText(unknown) })}</p>
      <div className="form-row agent-model-controls">
        <div className="field">
          <label htmlFor="agent-default-model">{t('defaultModel')}</label>
          <ModelSelect
            id="agent-default-model"
            label={t('defaultModel')}
            value={defaultModel}
            noneLabel={t('noneClient')}
            disabled={setDefault.isPending}
            onChange={(m) => {
              setMessage(null);
              setDefault.mutate(m);
            }}
          />
          <small className="muted">{t('defaultHint')}</small>
        </div>
        <form
          className="field"
          aria-label={t('setEvery')}
          onSubmit={(e) => {
            e.preventDefault();
            setMessage(null);
            setAll.mutate({ model: bulk });
          }}
        >
          <label htmlFor="agent-bulk-model">{t('preferenceEvery')}</label>
          <span className="inline-field">
            <ModelSelect
              id="agent-bulk-model"
              label={t('preferenceEvery')}
              value={bulk}
              noneLabel={t('clearPreferences')}
              onChange={setBulk}
            />
            <button type="submit" disabled={setAll.isPending || agentCount === 0}>
              {setAll.isPending ? t('applying') : t.plural('applyTo', agentCount, { count: fmtInt(agentCount) })}
            </button>
          </span>
          <small className="muted">{t('replacesOwn')}</small>
        </form>
      </div>
      {setDefault.isError || setAll.isError ? (
        <p className="field-error" role="alert">
          {errorMessage(setDefault.error ?? setAll.error)}
        </p>
      ) : null}
      <p className="agents-saved" role="status">
        {message ?? ''}
      </p>
    </section>
  );
}
