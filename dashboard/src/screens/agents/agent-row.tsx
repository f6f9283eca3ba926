/** One agent in its workspace's table: colour, description, model preference, effective model, tools, figures, actions. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import type { AgentView, PatchAgentRequest, ToolPreset } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { DASH, fmtInt, fmtUsd } from '../../format';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';
import { clientChoice, ModelSelect, PRESETS, presetLabel, Swatch } from './agent-fields';
import type { AgentFigures } from './agent-groups';
import { agentPath, refreshAgents } from './agents-data';

const t = translator('agents', messages);

/** Where the effective model comes from, as the user set it up. */
function modelSource(a: AgentView, defaultModel: string | null): string {
  if (a.effectiveModel === null) return a.model ? t('sourceFileSays', { model: a.model }) : '';
  if (a.preference !== null) return t('sourcePreference');
  if (a.model !== null && a.model === a.effectiveModel) return t('sourceFile');
  if (defaultModel !== null && a.effectiveModel === defaultModel) return t('sourceDefault');
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
    <tr aria-label={t('rowLabel', { name: a.name })} data-agent={a.name}>
      <th scope="row" className="agent-cell">
        <div className="agent-name">
          <Swatch color={a.color} />
          {a.name}
          {broken ? <span className="badge badge-failing">{t('brokenFile')}</span> : null}
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
          label={t('preferenceOf', { name: a.name })}
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
        <div>{a.effectiveModel ?? clientChoice()}</div>
        {source ? <div className="muted small">{source}</div> : null}
      </td>
      <td>
        <select
          aria-label={t('toolsOf', { name: a.name })}
          value={a.toolsPreset}
          disabled={broken || patch.isPending}
          title={a.tools ? a.tools.join(', ') : t('everyTool')}
          onChange={(e) => {
            const preset = e.target.value as ToolPreset;
            // A custom list needs its tools: the edit dialog asks for them.
            if (preset === 'custom') onEdit(a, 'tools');
            else patch.mutate({ tools: { preset } });
          }}
        >
          {PRESETS.map((p) => (
            <option key={p} value={p}>
              {presetLabel(p)}
            </option>
          ))}
        </select>
      </td>
      <td className="num">{figures ? fmtInt(figures.requests) : DASH}</td>
      <td className="num">{figures ? fmtUsd(figures.costUsd) : DASH}</td>
      <td className="actions agent-actions">
        <button type="button" onClick={() => onEdit(a)} disabled={broken} aria-label={t('editName', { name: a.name })}>
          {t('edit')}
        </button>
        <button
          type="button"
          className="danger"
          onClick={() => onDelete(a)}
          aria-label={t('deleteName', { name: a.name })}
        >
          {t('delete')}
        </button>
      </td>
    </tr>
  );
}
