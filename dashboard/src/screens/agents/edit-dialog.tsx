/** Editing an agent's file: description, tools, colour and prompt, saved in one PATCH of what changed. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AgentView, PatchAgentRequest, ToolPreset } from '../../../../src/shared/agents-schemas';
import { apiFetch, errorMessage } from '../../api';
import { useModalDialog } from '../../confirm-dialog';
import { agents as messages } from '../../i18n/en/agents';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { ColorSelect, parseToolList, ToolsFields, toolsChoice } from './agent-fields';
import { agentPath, refreshAgents } from './agents-data';

const t = translator('agents', messages);
const ts = translator('shell', shell);

export function EditDialog({
  agent,
  focus,
  onClose,
}: {
  agent: AgentView;
  focus?: 'tools';
  onClose: (msg?: string) => void;
}) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const [description, setDescription] = useState(agent.description ?? '');
  const [preset, setPreset] = useState<ToolPreset>(focus === 'tools' ? 'custom' : agent.toolsPreset);
  const [custom, setCustom] = useState((agent.tools ?? []).join(', '));
  const [color, setColor] = useState(agent.color);
  const [prompt, setPrompt] = useState(agent.prompt);
  const [problem, setProblem] = useState<{ field: 'description' | 'tools' | 'prompt'; text: string } | null>(null);

  useEffect(() => {
    if (focus === 'tools') document.getElementById('agent-edit-custom')?.focus();
  }, [focus]);

  const changes = (): PatchAgentRequest => {
    const body: PatchAgentRequest = {};
    if (description.trim() !== (agent.description ?? '')) body.description = description.trim();
    const tools = toolsChoice(preset, custom);
    const sameTools =
      preset === agent.toolsPreset &&
      (preset !== 'custom' || (tools.tools ?? []).join(',') === (agent.tools ?? []).join(','));
    if (!sameTools) body.tools = tools;
    if (color !== agent.color) body.color = color;
    if (prompt !== agent.prompt) body.prompt = prompt;
    return body;
  };

  const save = useMutation({
    mutationFn: (body: PatchAgentRequest) => apiFetch<AgentView>(agentPath(agent.id), { method: 'PATCH', body }),
    onSuccess: async () => {
      await refreshAgents(qc);
      onClose(t('savedRewritten', { name: agent.name, path: agent.path }));
    },
  });

  const submit = () => {
    setProblem(null);
    if (description.trim() === '') {
      setProblem({ field: 'description', text: t('needDescription') });
      return;
    }
    if (prompt.trim() === '') {
      setProblem({ field: 'prompt', text: t('promptNotEmpty') });
      return;
    }
    if (preset === 'custom' && parseToolList(custom).length === 0) {
      setProblem({ field: 'tools', text: t('needTool') });
      return;
    }
    const body = changes();
    if (Object.keys(body).length === 0) {
      onClose();
      return;
    }
    save.mutate(body);
  };

  return (
    <dialog ref={ref} className="dialog agent-dialog" aria-labelledby="agent-edit-title" onClose={() => onClose()}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id="agent-edit-title">{t('editTitle', { name: agent.name })}</h2>
        <p className="muted small">{agent.path}</p>
        <div className="edit-fields">
          <div className="field">
            <label htmlFor="agent-edit-description">{t('description')}</label>
            <input
              id="agent-edit-description"
              value={description}
              onChange={(e) => setDescription(e.target.value)}
              autoComplete="off"
              aria-invalid={problem?.field === 'description'}
              aria-describedby="agent-edit-description-msg"
            />
            <small
              id="agent-edit-description-msg"
              className={problem?.field === 'description' ? 'field-error' : 'muted'}
            >
              {problem?.field === 'description' ? problem.text : t('descriptionHint')}
            </small>
          </div>
          <div className="form-row">
            <ToolsFields
              idPrefix="agent-edit"
              preset={preset}
              custom={custom}
              onPreset={setPreset}
              onCustom={setCustom}
              error={problem?.field === 'tools' ? problem.text : undefined}
            />
            <div className="field">
              <label htmlFor="agent-edit-color">{t('colourLabel')}</label>
              <ColorSelect id="agent-edit-color" value={color} onChange={setColor} />
            </div>
          </div>
          <div className="field">
            <label htmlFor="agent-edit-prompt">{t('prompt')}</label>
            <textarea
              id="agent-edit-prompt"
              className="prompt-input"
              value={prompt}
              onChange={(e) => setPrompt(e.target.value)}
              rows={14}
              spellCheck={false}
              aria-invalid={problem?.field === 'prompt'}
              aria-describedby="agent-edit-prompt-msg"
            />
            <small id="agent-edit-prompt-msg" className={problem?.field === 'prompt' ? 'field-error' : 'muted'}>
              {problem?.field === 'prompt' ? problem.text : t('promptHintEdit')}
            </small>
          </div>
        </div>
        {save.isError ? (
          <p className="field-error" role="alert">
            {errorMessage(save.error)}
          </p>
        ) : null}
        <div className="dialog-actions">
          <button type="button" onClick={() => ref.current?.close()}>
            {ts('cancel')}
          </button>
          <button type="submit" className="primary" disabled={save.isPending}>
            {save.isPending ? t('saving') : ts('save')}
          </button>
        </div>
      </form>
    </dialog>
  );
}
