/** Editing an agent's file: description, tools, colour and prompt, saved in one PATCH of what changed. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { AgentView, PatchAgentRequest } from '../../../../src/shared/agents-schemas';
import { apiFetch } from '../../api';
import { DialogFooter, useModalDialog } from '../../confirm-dialog';
import { agents as messages } from '../../i18n/en/agents';
import { shell } from '../../i18n/en/shell';
import { translator } from '../../i18n/i18n';
import { AgentFileFields, parseToolList, toolsChoice, useAgentFileValues } from './agent-fields';
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
  const file = useAgentFileValues({
    description: agent.description ?? '',
    preset: focus === 'tools' ? 'custom' : agent.toolsPreset,
    custom: (agent.tools ?? []).join(', '),
    color: agent.color,
    prompt: agent.prompt,
  });
  const { description, preset, custom, color, prompt } = file;
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
          <AgentFileFields
            idPrefix="agent-edit"
            values={file}
            problem={problem}
            promptRows={14}
            promptHint={t('promptHintEdit')}
          />
        </div>
        <DialogFooter dialog={ref} run={save} submitLabel={ts('save')} pendingLabel={t('saving')} />
      </form>
    </dialog>
  );
}
