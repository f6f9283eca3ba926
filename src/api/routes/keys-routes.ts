/**
 * `/api/keys`: client keys for the proxy. A created key is in the response body exactly once;
 * listings show its prefix only.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  ClientKeyLimitsSchema,
  ClientKeyListSchema,
  ClientKeySchema,
  CreateClientKeyRequestSchema,
  CreatedClientKeySchema,
  KeyNameSchema,
} from '../../shared/keys-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errors = {
  400: { description: 'Invalid input', content: { 'application/json': { schema: ErrorResponseSchema } } },
  401: { description: 'Admin key missing or wrong', content: { 'application/json': { schema: ErrorResponseSchema } } },
};

const listKeys = createRoute({
  method: 'get',
  path: '/',
  tags: ['keys'],
  summary: 'List client keys (revoked ones included); never the keys themselves',
  responses: {
    200: { description: 'Client keys', content: { 'application/json': { schema: ClientKeyListSchema } } },
    401: errors[401],
  },
});

const createKey = createRoute({
  method: 'post',
  path: '/',
  tags: ['keys'],
  summary: 'Create a client key; the response is the only time the key is shown',
  request: {
    body: { required: true, content: { 'application/json': { schema: CreateClientKeyRequestSchema } } },
  },
  responses: {
    201: { description: 'The new key', content: { 'application/json': { schema: CreatedClientKeySchema } } },
    ...errors,
    409: {
      description: 'An active key has this name',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

const revokeKey = createRoute({
  method: 'delete',
  path: '/{name}',
  tags: ['keys'],
  summary:
    'Revoke the active client key with this name (this gateway refuses it before answering; others sharing the database within a second)',
  request: { params: z.object({ name: KeyNameSchema.openapi({ param: { name: 'name', in: 'path' } }) }) },
  responses: {
    200: { description: 'The revoked key', content: { 'application/json': { schema: ClientKeySchema } } },
    ...errors,
    404: {
      description: 'No active key with this name',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

const setLimits = createRoute({
  method: 'put',
  path: '/{name}/limits',
  tags: ['keys'],
  summary:
    'Replace the limits of an active client key (null: none of that kind); this gateway applies them before answering, others sharing the database within a second',
  request: {
    params: z.object({ name: KeyNameSchema.openapi({ param: { name: 'name', in: 'path' } }) }),
    body: { required: true, content: { 'application/json': { schema: ClientKeyLimitsSchema } } },
  },
  responses: {
    200: {
      description: 'The key with its limits and use',
      content: { 'application/json': { schema: ClientKeySchema } },
    },
    ...errors,
    404: {
      description: 'No active key with this name',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

export function keysRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(listKeys, async (c) => c.json({ keys: await deps.keys.list() }, 200));
  app.openapi(createKey, async (c) => {
    const { name } = c.req.valid('json');
    const { key, view } = await deps.keys.create(name);
    deps.logger.info({ name, prefix: view.prefix }, 'client key created');
    return c.json({ ...view, key }, 201);
  });
  app.openapi(revokeKey, async (c) => {
    const { name } = c.req.valid('param');
    const view = await deps.keys.revoke(name);
    deps.logger.info({ name, prefix: view.prefix }, 'client key revoked');
    return c.json(view, 200);
  });
  app.openapi(setLimits, async (c) => {
    const { name } = c.req.valid('param');
    const view = await deps.keys.setLimits(name, c.req.valid('json'));
    deps.logger.info({ name, limits: view.limits }, 'client key limits set');
    return c.json(view, 200);
  });
  return app;
}
