/** `/api/maintenance`: what is stored, retention applied now, and compaction of the database file. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { CleanupResultSchema, CompactResultSchema, StorageSummarySchema } from '../../shared/maintenance-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const storage = createRoute({
  method: 'get',
  path: '/storage',
  tags: ['maintenance'],
  summary: 'Stored data: sizes and the oldest request',
  description: 'Cheap to call (file sizes and one index lookup), e.g. for a dashboard card.',
  responses: {
    200: { description: 'What is stored', content: { 'application/json': { schema: StorageSummarySchema } } },
  },
});

const cleanup = createRoute({
  method: 'post',
  path: '/cleanup',
  tags: ['maintenance'],
  summary: 'Apply retention now',
  description:
    'Deletes request rows older than the request retention and payloads older than the payload retention ' +
    '(days; runtime settings). The same job runs hourly on its own.',
  responses: {
    200: { description: 'What was deleted', content: { 'application/json': { schema: CleanupResultSchema } } },
  },
});

const compact = createRoute({
  method: 'post',
  path: '/compact',
  tags: ['maintenance'],
  summary: 'Compact the database (VACUUM and truncate the write-ahead log)',
  description:
    'Rewrites the database file without free pages. Takes seconds on a large database; proxying continues, ' +
    'request records queue in memory until it is done.',
  responses: {
    200: { description: 'Sizes before and after', content: { 'application/json': { schema: CompactResultSchema } } },
  },
});

export function maintenanceRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(storage, async (c) => c.json(await deps.store.maintenance.storageSummary(), 200));
  app.openapi(cleanup, async (c) => c.json(await deps.retention.runNow(), 200));
  // One VACUUM at a time: a second would only wait for the first's lock, then redo its work.
  let compacting: Promise<unknown> = Promise.resolve();
  app.openapi(compact, async (c) => {
    const run = compacting.then(() => deps.store.maintenance.compact());
    compacting = run.catch(() => {});
    const started = performance.now();
    const r = await run;
    const out = { ...r, reclaimedBytes: r.beforeBytes - r.afterBytes, durationMs: performance.now() - started };
    deps.logger.info(out, 'database compacted');
    return c.json(out, 200);
  });
  return app;
}
