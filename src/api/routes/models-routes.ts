/**
 * `/api/models/rules`: global model rewrite rules (pattern → model, first enabled match wins) and
 * the optional fallback (a model tried once when every account refuses the requested one). Stored
 * in the settings table: every gateway on the database follows within a second.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ModelRulesSchema } from '../../shared/agents-schemas.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const getRules = createRoute({
  method: 'get',
  path: '/rules',
  tags: ['models'],
  summary: 'Model rewrite rules and the fallback map',
  responses: {
    200: { description: 'Rules', content: { 'application/json': { schema: ModelRulesSchema } } },
    401: errorResponse('Admin key missing or wrong'),
  },
});

const putRules = createRoute({
  method: 'put',
  path: '/rules',
  tags: ['models'],
  summary:
    "Replace the model rules and fallback. A rule pattern is a full model id or a glob with `*`; the first enabled match rewrites the request (after an agent's own model). The fallback is tried once, never chained, when every account refuses a model.",
  request: { body: { required: true, content: { 'application/json': { schema: ModelRulesSchema } } } },
  responses: {
    200: { description: 'Rules as stored', content: { 'application/json': { schema: ModelRulesSchema } } },
    400: errorResponse('Invalid rules; the message names the field (e.g. an unknown model)'),
    401: errorResponse('Admin key missing or wrong'),
  },
});

export function modelsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { proxyRules, logger } = deps;
  app.openapi(getRules, async (c) => {
    await proxyRules.refresh();
    return c.json(proxyRules.current().modelRules, 200);
  });
  app.openapi(putRules, async (c) => {
    const body = c.req.valid('json');
    const stored = await proxyRules.setModelRules(body);
    logger.info(
      { rules: stored.rules.length, fallback: stored.fallback.enabled },
      'model rules changed through the API',
    );
    return c.json(stored, 200);
  });
  return app;
}
