/** Deleting an agent's file, after a confirmation that names the file. */
import { useQueryClient } from '@tanstack/react-query';
import type { AgentView } from '../../../../src/shared/agents-schemas';
import { apiFetch } from '../../api';
import { ConfirmDialog } from '../../confirm-dialog';
import { agentPath, refreshAgents } from './agents-data';

export function DeleteDialog({ agent, onClose }: { agent: AgentView; onClose: (msg?: string) => void }) {
  const qc = useQueryClient();
  return (
    <ConfirmDialog
      titleId="agent-delete-title"
      title={`Delete ${agent.name}?`}
      describedBy="agent-delete-what"
      confirmLabel="Delete agent"
      pendingLabel="Deleting…"
      action={async () => {
        await apiFetch(agentPath(agent.id), { method: 'DELETE' });
        await refreshAgents(qc);
        return `Deleted ${agent.name} (${agent.path}). Its request history stays.`;
      }}
      onClose={onClose}
    >
      <p id="agent-delete-what">
        The file <code>{agent.path}</code> is deleted: Claude Code no longer offers this agent. Requests it made stay in
        the history. This cannot be undone.
      </p>
    </ConfirmDialog>
  );
}
