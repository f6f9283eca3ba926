/**
 * `/api/tools/interceptors/system-prompt`: the system-prompt interceptor (off by default) and
 * the last main system prompt a client sent, to start a template from.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { SystemPromptInterceptorSchema, SystemPromptInterceptorStateSchema } from '../../shared/agents-schemas.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const state = { 'application/json': { schema: SystemPromptInterceptorStateSchema } };

const getInterceptor = createRoute({
  method: 'get',
  path: '/system-prompt',
  tags: ['tools'],
  summary: 'The system-prompt interceptor, with the last main prompt and environment text seen from Claude Code',
  responses: {
    200: { description: 'Interceptor', content: state },
    401: errorResponse('Admin key missing or wrong'),
  },
});

const putInterceptor = createRoute({
  method: 'put',
  path: '/system-prompt',
  tags: ['tools'],
  summary:
    "Configure the interceptor. When enabled, Claude Code main-agent requests get their main system prompt replaced by `template`, `{{env_block}}` standing for the client's environment text; `stripTools` also removes `tools`. Disabled, bodies are forwarded unchanged.",
  request: { body: { required: true, content: { 'application/json': { schema: SystemPromptInterceptorSchema } } } },
  responses: {
    200: { description: 'Interceptor as stored', content: state },
    400: errorResponse('Invalid body'),
    401: errorResponse('Admin key missing or wrong'),
  },
});

export function interceptorsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { proxyRules, logger } = deps;
  app.openapi(getInterceptor, async (c) => {
    await proxyRules.refresh();
    return c.json(proxyRules.interceptorState(), 200);
  });
  app.openapi(putInterceptor, async (c) => {
    const body = c.req.valid('json');
    const out = await proxyRules.setInterceptor(body);
    logger.info(
      { enabled: out.enabled, stripTools: out.stripTools },
      'system-prompt interceptor changed through the API',
    );
    return c.json(out, 200);
  });
  return app;
}
