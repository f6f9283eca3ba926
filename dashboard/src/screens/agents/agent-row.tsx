/** One agent in its workspace's table: colour, description, model preference, effective model, tools, figures, actions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AgentView, PatchAgentRequest, ToolPreset } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { DASH, fmtInt, fmtUsd } from '../../format';
import { CLIENT_CHOICE, ModelSelect, PRESET_LABEL, PRESETS, Swatch } from './agent-fields';
import type { AgentFigures } from './agent-groups';
import { agentPath, refreshAgents } from './agents-data';

/** Where the effective model comes from, as the user set it up. */
function modelSource(a: AgentView, defaultModel: string | null): string {
  if (a.effectiveModel === null) return a.model ? `the file says ${a.model}: forwarded as the client sends it` : '';
  if (a.preference !== null) return 'preference';
  if (a.model !== null && a.model === a.effectiveModel) return 'agent file';
  if (defaultModel !== null && a.effectiveModel === defaultModel) return 'default for all agents';
  return '';
}

export function AgentRow({
  a,
  defaultModel,
  figures,
  onEdit,
  onDelete,
}: {
  a: AgentView;
  defaultModel: string | null;
  figures: AgentFigures | undefined;
  onEdit: (a: AgentView, focus?: 'tools') => void;
  onDelete: (a: AgentView) => void;
}) {
  const qc = useQueryClient();
  const patch = useMutation({
    mutationFn: (body: PatchAgentRequest) => apiFetch<AgentView>(agentPath(a.id), { method: 'PATCH', body }),
    onSettled: () => refreshAgents(qc),
  });
  const broken = a.error !== null;
  const source = modelSource(a, defaultModel);
  return (
    <tr aria-label={`Agent ${a.name}`} data-agent={a.name}>
      <th scope="row" className="agent-cell">
        <div className="agent-name">
          <Swatch color={a.color} />
          {a.name}
          {broken ? <span className="badge badge-failing">Broken file</span> : null}
        </div>
        {a.description ? <div className="agent-description">{a.description}</div> : null}
        {broken ? (
          <p className="field-error" role="note">
            {a.error}
          </p>
        ) : null}
        <div className="muted small agent-path" title={a.path}>
          {a.path}
        </div>
      </th>
      <td>
        <ModelSelect
          label={`Model preference of ${a.name}`}
          value={a.preference}
          disabled={broken || patch.isPending}
          onChange={(model) => patch.mutate({ model })}
        />
        {patch.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(patch.error)}
          </p>
        ) : null}
      </td>
      <td data-field="effective-model">
        <div>{a.effectiveModel ?? CLIENT_CHOICE}</div>
        {source ? <div className="muted small">{source}</div> : null}
      </td>
      <td>
        <select
          aria-label={`Tools of ${a.name}`}
          value={a.toolsPreset}
          disabled={broken || patch.isPending}
          title={a.tools ? a.tools.join(', ') : 'Every tool'}
          onChange={(e) => {
            const preset = e.target.value as ToolPreset;
            // A custom list needs its tools: the edit dialog asks for them.
            if (preset === 'custom') onEdit(a, 'tools');
            else patch.mutate({ tools: { preset } });
          }}
        >
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {PRESET_LABEL[p]}
            </option>
          ))}
        </select>
      </td>
      <td className="num">{figures ? fmtInt(figures.requests) : DASH}</td>
      <td className="num">{figures ? fmtUsd(figures.costUsd) : DASH}</td>
      <td className="actions agent-actions">
        <button type="button" onClick={() => onEdit(a)} disabled={broken} aria-label={`Edit ${a.name}`}>
          Edit
        </button>
        <button type="button" className="danger" onClick={() => onDelete(a)} aria-label={`Delete ${a.name}`}>
          Delete
        </button>
      </td>
    </tr>
  );
}
