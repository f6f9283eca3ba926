/** The models of every agent at once: the default for agents without a preference, and a bulk preference. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import type { BulkPreferenceRequest } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { fmtInt, fmtUsd } from '../../format';
import { queryKeys } from '../../query-keys';
import { ModelSelect } from './agent-fields';
import type { AgentFigures } from './agent-groups';
import { refreshAgents } from './agents-data';

function figureText(f: AgentFigures | undefined): string {
  return f ? `${fmtInt(f.requests)} requests, ${fmtUsd(f.costUsd)}` : 'no requests';
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
    onSuccess: (_, model) =>
      setMessage(model ? `Agents without a preference now use ${model}.` : 'No default model: agents keep their own.'),
    onSettled: () =>
      Promise.all([refreshAgents(qc), qc.invalidateQueries({ queryKey: queryKeys.config })]).then(() => {}),
  });
  const setAll = useMutation({
    mutationFn: (body: BulkPreferenceRequest) =>
      apiFetch<{ updated: number; warnings: string[] }>('/api/agents/bulk-preference', { method: 'POST', body }),
    onSuccess: (r, body) => {
      const what = body.model ? `set to ${body.model}` : 'cleared';
      setMessage(
        `Preference ${what} for ${fmtInt(r.updated)} agent${r.updated === 1 ? '' : 's'}.${
          r.warnings.length > 0 ? ` ${r.warnings.join(' ')}` : ''
        }`,
      );
    },
    onSettled: () => refreshAgents(qc),
  });
  return (
    <section className="card" aria-labelledby="agent-models-title">
      <h2 id="agent-models-title">Models for all agents</h2>
      <p className="muted small">
        A preference or default rewrites the model of a sub-agent's requests before they are forwarded; the main agent
        is never rewritten. Main agent: {figureText(main)}. Sub-agents with an unknown definition: {figureText(unknown)}
        .
      </p>
      <div className="form-row agent-model-controls">
        <div className="field">
          <label htmlFor="agent-default-model">Default model</label>
          <ModelSelect
            id="agent-default-model"
            label="Default model"
            value={defaultModel}
            noneLabel="None (client's choice)"
            disabled={setDefault.isPending}
            onChange={(m) => {
              setMessage(null);
              setDefault.mutate(m);
            }}
          />
          <small className="muted">For every agent without a preference or a full model id in its file.</small>
        </div>
        <form
          className="field"
          aria-label="Set every agent's preference"
          onSubmit={(e) => {
            e.preventDefault();
            setMessage(null);
            setAll.mutate({ model: bulk });
          }}
        >
          <label htmlFor="agent-bulk-model">Preference for every agent</label>
          <span className="inline-field">
            <ModelSelect
              id="agent-bulk-model"
              label="Preference for every agent"
              value={bulk}
              noneLabel="Clear preferences"
              onChange={setBulk}
            />
            <button type="submit" disabled={setAll.isPending || agentCount === 0}>
              {setAll.isPending ? 'Applying…' : `Apply to ${fmtInt(agentCount)} agents`}
            </button>
          </span>
          <small className="muted">Replaces each agent's own preference.</small>
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
