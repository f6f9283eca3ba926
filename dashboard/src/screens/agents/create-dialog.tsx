/** Creating an agent file in the user folder or a workspace the gateway knows and can reach. */
import { useMutation, useQueryClient } from '@tanstack/react-query';
import { useState } from 'react';
import { AGENT_NAME_PATTERN } from '../../../../src/shared/agent-rules';
import type { AgentView, CreateAgentRequest, WorkspaceView } from '../../../../src/shared/agents-schemas';
import { apiFetch } from '../../api';
import { DialogFooter, useModalDialog } from '../../confirm-dialog';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';
import { PRICED_MODELS } from '../../model-choices';
import { AgentFileFields, parseToolList, toolsChoice, useAgentFileValues } from './agent-fields';
import { refreshAgents } from './agents-data';

const t = translator('agents', messages);

/** What the file's `model:` may say besides a full id (Claude Code resolves these itself). */
const FILE_MODEL_ALIASES = ['opus', 'sonnet', 'haiku', 'inherit'];

type Field = 'name' | 'description' | 'prompt' | 'tools';

export function CreateDialog({
  userDir,
  agents,
  workspaces,
  onClose,
}: {
  userDir: string;
  /** The agents already there: Claude Code knows one by its name, whatever its file is called. */
  agents: readonly AgentView[];
  workspaces: readonly WorkspaceView[];
  onClose: (msg?: string) => void;
}) {
  const ref = useModalDialog();
  const qc = useQueryClient();
  const [name, setName] = useState('');
  const file = useAgentFileValues({ description: '', preset: 'all', custom: '', color: null, prompt: '' });
  const { description, preset, custom, color, prompt } = file;
  const [scope, setScope] = useState('user');
  const [model, setModel] = useState('');
  const [problem, setProblem] = useState<{ field: Field; text: string } | null>(null);
  const reachable = workspaces.filter((w) => w.exists);
  // Said as the name is typed (and refused on submit, and by the API): a second agent of that name
  // in the same folder is the same agent to Claude Code, its requests then counted under both.
  const taken = agents.find((a) => a.name === name && (a.workspace ?? 'user') === scope);
  const nameProblem = taken ? t('nameTaken', { name, path: taken.path }) : null;

  const create = useMutation({
    mutationFn: (body: CreateAgentRequest) => apiFetch<AgentView>('/api/agents', { method: 'POST', body }),
    onSuccess: async (a) => {
      await refreshAgents(qc);
      onClose(a?.path ? t('createdIn', { name: a.name, path: a.path }) : t('created', { name: a?.name ?? name }));
    },
  });

  const submit = () => {
    setProblem(null);
    if (!AGENT_NAME_PATTERN.test(name)) return setProblem({ field: 'name', text: t('nameHint') });
    if (nameProblem !== null) return setProblem({ field: 'name', text: nameProblem });
    if (description.trim() === '') return setProblem({ field: 'description', text: t('needDescription') });
    if (preset === 'custom' && parseToolList(custom).length === 0)
      return setProblem({ field: 'tools', text: t('needTool') });
    if (prompt.trim() === '') return setProblem({ field: 'prompt', text: t('needPrompt') });
    const body: CreateAgentRequest = { name, description: description.trim(), prompt, scope };
    if (preset !== 'all') body.tools = toolsChoice(preset, custom);
    if (model) body.model = model;
    if (color) body.color = color;
    create.mutate(body);
  };

  const shown = nameProblem === null ? problem : { field: 'name' as const, text: nameProblem };
  const msg = (field: Field, hint: string) => (
    <small id={`agent-new-${field}-msg`} className={shown?.field === field ? 'field-error' : 'muted'}>
      {shown?.field === field ? shown.text : hint}
    </small>
  );

  return (
    <dialog ref={ref} className="dialog agent-dialog" aria-labelledby="agent-new-title" onClose={() => onClose()}>
      <form
        method="dialog"
        noValidate
        onSubmit={(e) => {
          e.preventDefault();
          submit();
        }}
      >
        <h2 id="agent-new-title">{t('newTitle')}</h2>
        <div className="edit-fields">
          <div className="form-row">
            <div className="field">
              <label htmlFor="agent-new-name">{t('name')}</label>
              <input
                id="agent-new-name"
                value={name}
                onChange={(e) => {
                  setName(e.target.value);
                  if (problem?.field === 'name') setProblem(null);
                }}
                autoComplete="off"
                aria-invalid={shown?.field === 'name'}
                aria-describedby="agent-new-name-msg"
              />
              {msg('name', t('nameHint'))}
            </div>
            <div className="field">
              <label htmlFor="agent-new-scope">{t('where')}</label>
              <select id="agent-new-scope" value={scope} onChange={(e) => setScope(e.target.value)}>
                <option value="user">{t('userAgentsIn', { dir: userDir })}</option>
                {reachable.map((w) => (
                  <option key={w.path} value={w.path}>
                    {w.name} ({w.path}/.claude/agents)
                  </option>
                ))}
              </select>
              <small className="muted">{t('notReachable')}</small>
            </div>
          </div>
          <AgentFileFields
            idPrefix="agent-new"
            values={file}
            problem={shown}
            promptRows={10}
            promptHint={t('promptHint')}
            beforeColor={
              <div className="field">
                <label htmlFor="agent-new-model">{t('modelInFile')}</label>
                <select id="agent-new-model" value={model} onChange={(e) => setModel(e.target.value)}>
                  <option value="">{t('noneDefault')}</option>
                  {FILE_MODEL_ALIASES.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                  {PRICED_MODELS.map((m) => (
                    <option key={m} value={m}>
                      {m}
                    </option>
                  ))}
                </select>
              </div>
            }
          />
        </div>
        <DialogFooter dialog={ref} run={create} submitLabel={t('createAgent')} pendingLabel={t('creating')} />
      </form>
    </dialog>
  );
}
