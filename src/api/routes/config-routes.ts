/**
 * `/api/config`: the runtime settings with where each value comes from, and changes to them.
 * Changes are stored in the database (every instance sharing it follows within a second) and
 * applied here at once, without a restart. Settings pinned by a flag or the environment win
 * over the database, so writing them is refused (409) rather than silently ignored.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import { ConfigPatchSchema, ConfigSchema } from '../../shared/config-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const getConfig = createRoute({
  method: 'get',
  path: '/',
  tags: ['config'],
  summary: 'Effective runtime settings, each with its source',
  responses: {
    200: { description: 'Settings', content: { 'application/json': { schema: ConfigSchema } } },
    401: errorResponse('Admin key missing or wrong'),
  },
});

const change = (method: 'put' | 'patch') =>
  createRoute({
    method,
    path: '/',
    tags: ['config'],
    summary:
      'Change runtime settings (partial: only the given keys; null removes the stored value). Applied without restart.',
    request: { body: { required: true, content: { 'application/json': { schema: ConfigPatchSchema } } } },
    responses: {
      200: { description: 'Settings after the change', content: { 'application/json': { schema: ConfigSchema } } },
      400: errorResponse('Invalid value; the message names the setting and what it accepts'),
      401: errorResponse('Admin key missing or wrong'),
      409: errorResponse('Pinned by a flag or environment variable (named in the message)'),
    },
  });

export function configRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { liveSettings } = deps;
  app.openapi(getConfig, (c) => c.json(liveSettings.describe(), 200));
  for (const method of ['put', 'patch'] as const) {
    app.openapi(change(method), async (c) => {
      const patch = c.req.valid('json');
      // LiveSettings logs what changed once it is applied, whichever instance or command stored it.
      return c.json(await liveSettings.update(patch), 200);
    });
  }
  return app;
}
