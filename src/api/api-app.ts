/**
 * The management API: JSON under /api (plus /metrics), a Hono app per resource mounted here.
 * Errors from any route go through `toErrorResponse`, the one mapping of the gateway.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { HTTPException } from 'hono/http-exception';
import { GatewayError, toErrorResponse } from '../errors.js';
import type { ApiDeps } from './api-deps.js';
import { newRouter } from './router.js';

export type RouteFactory = (deps: ApiDeps) => OpenAPIHono;

export function createApiApp(deps: ApiDeps, routes: ReadonlyArray<[string, RouteFactory]>): OpenAPIHono {
  const app = newRouter();
  app.onError((thrown, c) => {
    // Hono's body parsing throws HTTPException (malformed JSON, wrong content type): the client's fault.
    const err =
      thrown instanceof HTTPException && (thrown.status === 400 || thrown.status === 415)
        ? new GatewayError('bad_request', `Invalid request body: ${thrown.message}`, { status: thrown.status })
        : thrown;
    if (!(err instanceof GatewayError)) deps.logger.error({ err, path: c.req.path }, 'management API error');
    const r = toErrorResponse(err);
    return c.json(r.body, r.status as 400);
  });
  app.notFound((c) => {
    const r = toErrorResponse(new GatewayError('not_found', `No route for ${c.req.method} ${c.req.path}`));
    return c.json(r.body, 404);
  });
  // Before every route, the OpenAPI document and not-found answers included: nothing under
  // /api (or /metrics) is reachable without the admin key once one is set.
  app.use('*', deps.auth.middleware);
  for (const [prefix, make] of routes) app.route(prefix, make(deps));
  app.doc31('/api/openapi.json', {
    openapi: '3.1.0',
    info: { title: 'ccflare management API', version: '1' },
  });
  return app;
}
