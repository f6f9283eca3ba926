/** Deleting an agent's file, after a confirmation that names the file. */
import { useQueryClient } from '@tanstack/react-query';
import type { AgentView } from '../../../../src/shared/agents-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { agents as messages } from '../../i18n/en/agents';
import { translator } from '../../i18n/i18n';
import { agentPath, refreshAgents } from './agents-data';

const t = translator('agents', messages);

export function DeleteDialog({ agent, onClose }: { agent: AgentView; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="agent-delete-title"
      title={t('deleteTitle', { name: agent.name })}
      describedBy="agent-delete-what"
      confirmLabel={t('deleteConfirm')}
      pendingLabel={t('deleting')}
      action={async () => {
        await apiFetch(agentPath(agent.id), { method: 'DELETE' });
        await refreshAgents(qc);
        return t('deleted', { name: agent.name, path: agent.path });
      }}
      onClose={onClose}
    >
      <p id="agent-delete-what">
        {t('deleteBodyBefore')} <code>{agent.path}</code> {t('deleteBodyAfter')}
      </p>
    </ConfirmDialog>
  );
}
