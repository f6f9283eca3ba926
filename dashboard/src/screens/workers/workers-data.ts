/**
 * The Workers screen's data: workers, pending approvals and templates from the API, kept current
 * by the screen's own subscription to worker and approval events (the shell's stream leaves them
 * out, so other screens never refetch for them).
 */
import { type QueryClient, useQuery, useQueryClient } from '@tanstack/react-query';
import { useEffect, useState } from 'react';
import type { ApprovalData, TemplateData, WorkerViewData } from '../../../../src/shared/workers-schemas';
import { ApiError, apiFetch } from '../../api';
import { type LiveState, openEventStream } from '../../live';
import { queryKeys } from '../../query-keys';

export type TemplateList = { templates: TemplateData[]; problems: { file: string; reason: string }[]; dir: string };

/** 503: the Agent SDK is not installed (the message says how to add it). */
export function sdkMissing(err: unknown): err is ApiError {
  return err instanceof ApiError && err.status === 503;
}

export function useWorkers() {
  return useQuery({
    queryKey: queryKeys.workers.list,
    queryFn: () => apiFetch<{ workers: WorkerViewData[] }>('/api/workers'),
  });
}

export function usePendingApprovals(enabled: boolean) {
  return useQuery({
    queryKey: queryKeys.workers.approvals,
    queryFn: () => apiFetch<{ approvals: ApprovalData[] }>('/api/approvals'),
    enabled,
  });
}

export function useTemplates() {
  return useQuery({
    queryKey: queryKeys.workers.templates,
    queryFn: () => apiFetch<TemplateList>('/api/templates'),
  });
}

export const refreshWorkers = (qc: QueryClient) => qc.invalidateQueries({ queryKey: queryKeys.workers.all });

/** Worker and approval events while the screen is open; every change refetches the lists. */
export function useWorkersLive(enabled: boolean): LiveState {
  const qc = useQueryClient();
  const [state, setState] = useState<LiveState>('connecting');
  useEffect(() => {
    if (!enabled) return;
    let timer: ReturnType<typeof setTimeout> | null = null;
    // Changes come in bursts (progress, cost, log): one refetch for each burst.
    const refresh = () => {
      if (timer) return;
      timer = setTimeout(() => {
        timer = null;
        void refreshWorkers(qc);
      }, 150);
    };
    const close = openEventStream({
      types: ['worker.changed', 'worker.deleted', 'approval.changed'],
      onState: (s) => {
        setState(s);
        // Whatever happened while disconnected is read afresh.
        if (s === 'live') refresh();
      },
      on: { 'worker.changed': refresh, 'worker.deleted': refresh, 'approval.changed': refresh },
    });
    return () => {
      close();
      if (timer) clearTimeout(timer);
    };
  }, [qc, enabled]);
  return state;
}
