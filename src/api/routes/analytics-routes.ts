import type { OpenAPIHono } from '@hono/zod-openapi';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

export function analyticsRoutes(_deps: ApiDeps): OpenAPIHono {
  return newRouter();
}
