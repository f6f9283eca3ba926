/** `POST /api/maintenance/clear-history`: deletes all request history (rows, payloads, analytics). */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ClearHistoryResultSchema } from '../../shared/clear-history-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const clearHistory = createRoute({
  method: 'post',
  path: '/',
  tags: ['maintenance'],
  summary: 'Delete every request record, stored payload and analytics aggregate',
  description:
    'Accounts, their usage counters (POST /api/stats/reset), keys and settings stay. Rows are deleted in small ' +
    'chunks so proxying continues; the file keeps its size until POST /api/maintenance/compact.',
  responses: {
    200: {
      description: 'What was deleted',
      content: { 'application/json': { schema: ClearHistoryResultSchema } },
    },
  },
});

export function clearHistoryRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(clearHistory, async (c) => {
    const started = performance.now();
    // Records still queued would land after the wipe: commit them first.
    await deps.writer.flush();
    const counts = await deps.store.maintenance.clearHistory();
    const out = { ...counts, durationMs: performance.now() - started };
    deps.logger.warn(out, 'request history cleared');
    return c.json(out, 200);
  });
  return app;
}
