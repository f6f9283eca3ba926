/**
 * `GET /api/logs`: the gateway's last log lines at info and above, kept in memory from the start
 * (`ccflare logs` without -f). Live lines come from `GET /api/events?types=log`.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import { RecentLogsQuerySchema, RecentLogsSchema } from '../../shared/events-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const recentLogs = createRoute({
  method: 'get',
  path: '/',
  tags: ['events'],
  summary: 'The last log lines (info and above, up to 200), oldest first',
  request: { query: RecentLogsQuerySchema },
  responses: {
    200: { description: 'The lines', content: { 'application/json': { schema: RecentLogsSchema } } },
    400: {
      description: 'A query parameter is invalid (the message names it)',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

export function logsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(recentLogs, (c) => c.json({ lines: deps.recentLogs.list(c.req.valid('query').limit) }, 200));
  return app;
}
