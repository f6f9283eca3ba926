/**
 * GET /api/token-usage/current for the Overview's token card and the client keys in Settings:
 * one query, "today" from local midnight, refreshed with the analytics (live.ts invalidates
 * `analytics.all` whenever a request finishes).
 */
import { queryOptions } from '@tanstack/react-query';
import type { TokenUsageCurrent } from '../../src/shared/token-usage-schemas';
import { apiFetch } from './api';
import { queryKeys } from './query-keys';

/** Local midnight, Unix ms: "today" as the person reading it means it. */
export function localDayStart(now = new Date()): number {
  const d = new Date(now);
  d.setHours(0, 0, 0, 0);
  return d.getTime();
}

export const tokenUsageQuery = queryOptions({
  queryKey: queryKeys.analytics.tokenUsage,
  queryFn: () => apiFetch<TokenUsageCurrent>(`/api/token-usage/current?dayStart=${localDayStart()}`),
  // The 5-hour window moves with the clock even when no request finishes.
  refetchInterval: 60_000,
});
