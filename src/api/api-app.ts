/**
 * The management API: JSON under /api (plus /metrics), a Hono app per resource mounted here.
 * Errors from any route go through `toErrorResponse`, the one mapping of the gateway.
 */
import type { OpenAPIHono } from '@hono/zod-openapi';
import { bodyLimit } from 'hono/body-limit';
import { HTTPException } from 'hono/http-exception';
import { PatternRouter } from 'hono/router/pattern-router';
import { GatewayError, toErrorResponse } from '../errors.js';
import type { ApiDeps } from './api-deps.js';
import { newRouter } from './router.js';

/**
 * The largest management API body. The real ones (an API key, an OAuth code, a settings change)
 * are under 10 KB; without a cap, four parallel 400 MB POSTs took the process to 3.7 GB.
 */
export const MAX_API_BODY_BYTES = 1024 * 1024;

export type RouteFactory = (deps: ApiDeps) => OpenAPIHono;

const methodRouters = new WeakMap<OpenAPIHono, PatternRouter<string>>();

/** The methods the app's routes take on `path` (HEAD with GET, as Hono answers it), sorted. */
function allowedMethods(app: OpenAPIHono, path: string): string[] {
  let router = methodRouters.get(app);
  if (!router) {
    // Built on the first miss: the routes are all mounted by then and never change.
    router = new PatternRouter<string>();
    // 'ALL' entries are middleware (the body limit, auth), not routes.
    for (const r of app.routes) if (r.method !== 'ALL') router.add('ALL', r.path, r.method);
    methodRouters.set(app, router);
  }
  const methods = new Set(router.match('GET', path)[0].map(([method]) => method));
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

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
    // A path that exists under other methods is a 405 naming them (RFC 9110 section 15.5.6),
    // so a script that POSTs where it should PUT learns that rather than "no such route".
    const allow = allowedMethods(app, c.req.path);
    const err =
      allow.length > 0
        ? new GatewayError(
            'method_not_allowed',
            `${c.req.method} is not allowed on ${c.req.path}; it takes ${allow.join(', ')}`,
            { headers: { allow: allow.join(', ') } },
          )
        : new GatewayError('not_found', `No route for ${c.req.method} ${c.req.path}`);
    const r = toErrorResponse(err);
    for (const [name, value] of Object.entries(r.headers)) if (name !== 'content-type') c.header(name, value);
    return c.json(r.body, r.status as 404);
  });
  // Refused from its Content-Length before a byte is buffered, or as soon as a chunked body
  // passes the cap; the connection closes rather than reading the rest.
  app.use(
    '*',
    bodyLimit({
      maxSize: MAX_API_BODY_BYTES,
      onError: (c) => {
        const r = toErrorResponse(
          new GatewayError(
            'payload_too_large',
            `Request body exceeds ${MAX_API_BODY_BYTES} bytes: the management API takes small JSON bodies`,
          ),
        );
        c.header('connection', 'close');
        return c.json(r.body, 413);
      },
    }),
  );
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
