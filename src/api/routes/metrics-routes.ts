/** `GET /metrics`: Prometheus text exposition (src/metrics/gateway-metrics.ts). */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const scrape = createRoute({
  method: 'get',
  path: '/metrics',
  tags: ['metrics'],
  summary: 'Prometheus metrics: requests, latency, time to first token, tokens, cost, failovers, accounts, queue',
  responses: {
    200: {
      description: 'Prometheus text format 0.0.4',
      content: { 'text/plain': { schema: z.string().openapi({ example: 'ccflare_requests_total{...} 1' }) } },
    },
    401: {
      description: 'Admin key missing or wrong',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

export function metricsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { metrics } = deps;
  app.openapi(scrape, async (c) => {
    const { text, contentType } = await metrics.scrape();
    return c.body(text, 200, { 'content-type': contentType, 'cache-control': 'no-store' }) as never;
  });
  return app;
}
