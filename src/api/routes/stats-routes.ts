/** `/api/stats`: totals over all retained history, per account, recent errors; counter reset. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { StatsQuerySchema, StatsResetSchema, StatsSchema } from '../../shared/analytics-schemas.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const getStats = createRoute({
  method: 'get',
  path: '/',
  tags: ['stats'],
  summary: 'Totals, per-account and per-agent figures and recent errors over all retained history',
  request: { query: StatsQuerySchema },
  responses: {
    200: { description: 'Stats', content: { 'application/json': { schema: StatsSchema } } },
    400: { description: 'Invalid query', content: { 'application/json': { schema: ErrorResponseSchema } } },
  },
});

const resetStats = createRoute({
  method: 'post',
  path: '/reset',
  tags: ['stats'],
  summary: "Reset every account's usage counters",
  description:
    "Sets each account's `requestCount` and `sessionRequestCount` to 0. History is not touched: request " +
    'records, analytics and the per-account figures computed from records stay as they are, and so do ' +
    'session windows (`sessionStart`), so routing is unaffected. To delete history, lower the retention and ' +
    'run POST /api/maintenance/cleanup.',
  responses: {
    200: { description: 'Counters reset', content: { 'application/json': { schema: StatsResetSchema } } },
  },
});

export function statsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(getStats, async (c) => {
    const { recentErrors } = c.req.valid('query');
    return c.json(await deps.store.analytics.stats({ recentErrors }), 200);
  });
  app.openapi(resetStats, async (c) => {
    const accountsReset = await deps.store.accounts.resetUsage();
    // The pool serves the counters from memory: reload now rather than at the next revision poll.
    await deps.pool.refresh();
    deps.logger.info({ accountsReset }, 'account usage counters reset');
    return c.json({ accountsReset }, 200);
  });
  return app;
}
