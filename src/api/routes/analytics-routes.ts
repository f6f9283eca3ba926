/** `/api/analytics`: figures for a time window ending now, from the rollups (fast at any volume). */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { AnalyticsQuerySchema, AnalyticsSchema } from '../../shared/analytics-schemas.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const getAnalytics = createRoute({
  method: 'get',
  path: '/',
  tags: ['analytics'],
  summary: 'Totals, time series, tokens, per-model / per-account / per-agent performance, cost by model',
  description:
    'The window is whole buckets aligned to UTC (1h: 1-minute buckets, 6h: 5 min, 24h: 15 min, 7d: 1 h, ' +
    '30d: 6 h); the last bucket holds the current time. Filters apply to every part of the answer.',
  request: { query: AnalyticsQuerySchema },
  responses: {
    200: { description: 'Analytics', content: { 'application/json': { schema: AnalyticsSchema } } },
    400: {
      description: 'A query parameter is invalid (the message names it)',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

export function analyticsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(getAnalytics, async (c) => {
    const q = c.req.valid('query');
    const result = await deps.store.analytics.query({
      range: q.range,
      now: deps.clock.now(),
      accounts: q.accounts ?? [],
      models: q.models ?? [],
      agents: q.agents ?? [],
      status: q.status,
      modelSeries: q.modelSeries,
    });
    return c.json(result, 200);
  });
  return app;
}
