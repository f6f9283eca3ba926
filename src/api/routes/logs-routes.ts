/**
 * `GET /api/logs`: the gateway's last log lines at info and above, kept in memory from the start
 * (`ccflare logs` without -f). Live lines come from `GET /api/events?types=log`.
 * `GET /api/logs/history`: the last lines of the log file, from before restarts too (ccflare's
 * path and shape; `ccflare logs --lines N` and the Logs screens on open).
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  LogHistoryQuerySchema,
  LogHistorySchema,
  RecentLogsQuerySchema,
  RecentLogsSchema,
  toHistoryLine,
} from '../../shared/events-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const badQuery = {
  description: 'A query parameter is invalid (the message names it)',
  content: { 'application/json': { schema: ErrorResponseSchema } },
};

const recentLogs = createRoute({
  method: 'get',
  path: '/',
  tags: ['events'],
  summary: 'The last log lines (info and above, up to 200), oldest first',
  request: { query: RecentLogsQuerySchema },
  responses: {
    200: { description: 'The lines', content: { 'application/json': { schema: RecentLogsSchema } } },
    400: badQuery,
  },
});

const logHistory = createRoute({
  method: 'get',
  path: '/history',
  tags: ['events'],
  summary: 'The last lines of the log file (info and above), oldest first, across restarts and rotated files',
  description:
    "ccflare's shape: a JSON array of `{ts, level, msg}` (level INFO, WARN or ERROR), each with this gateway's `severity` and `fields` too. With the log file off (`CCFLARE_LOG_FILE=off`), the lines kept in memory since start.",
  request: { query: LogHistoryQuerySchema },
  responses: {
    200: { description: 'The lines', content: { 'application/json': { schema: LogHistorySchema } } },
    400: badQuery,
  },
});

export function logsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(recentLogs, (c) => c.json({ lines: deps.recentLogs.list(c.req.valid('query').limit) }, 200));
  app.openapi(logHistory, async (c) => {
    const lines = await deps.logHistory(c.req.valid('query').limit);
    return c.json(lines.map(toHistoryLine), 200);
  });
  return app;
}
