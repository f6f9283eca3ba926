/** The Agents screen's queries and the one mutation helper every agent change goes through. */
import { type QueryClient, useQuery } from '@tanstack/react-query';
import type { AgentList, WorkspaceList } from '../../../../src/shared/agents-schemas';
import type { Analytics } from '../../../../src/shared/analytics-schemas';
import { apiFetch } from '../../api';
import { queryKeys } from '../../query-keys';

/**
 * The agents list is re-read every second while the screen is open: agent files change on disk
 * (an editor, `git pull`) and the gateway picks that up on its own, with no live event to say so.
 * The read is the registry's in-memory snapshot, and an unchanged answer re-renders nothing.
 */
const AGENTS_POLL_MS = 1000;

export function useAgents() {
  return useQuery({
    queryKey: queryKeys.agents.list,
    queryFn: () => apiFetch<AgentList>('/api/agents'),
    refetchInterval: AGENTS_POLL_MS,
  });
}

export function useWorkspaces() {
  return useQuery({
    queryKey: queryKeys.agents.workspaces,
    queryFn: () => apiFetch<WorkspaceList>('/api/workspaces'),
    refetchInterval: 10_000,
  });
}

export const FIGURE_RANGES = ['24h', '7d', '30d'] as const;
export type FigureRange = (typeof FIGURE_RANGES)[number];

export function useAgentFigures(range: FigureRange) {
  return useQuery({
    queryKey: queryKeys.analytics.agents(range),
    queryFn: () => apiFetch<Analytics>(`/api/analytics?range=${range}`),
    select: (a) => a.agents,
  });
}

/** After any agent change: the list, the workspaces' agent counts. */
export function refreshAgents(qc: QueryClient): Promise<void> {
  return qc.invalidateQueries({ queryKey: queryKeys.agents.all });
}

export function agentPath(id: string): string {
  return `/api/agents/${encodeURIComponent(id)}`;
}
