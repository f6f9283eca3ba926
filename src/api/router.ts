import { OpenAPIHono } from '@hono/zod-openapi';
import { GatewayError, toErrorResponse } from '../errors.js';

/**
 * A router whose validation failures become 400s naming the offending parameter, in the one
 * error shape of the gateway. Every sub-app is built with it.
 */
export function newRouter(): OpenAPIHono {
  return new OpenAPIHono({
    defaultHook: (result, c) => {
      if (result.success) return;
      const issues = result.error.issues.map((i) => {
        const where = i.path.length > 0 ? i.path.join('.') : result.target;
        return `${where}: ${i.message}`;
      });
      const r = toErrorResponse(new GatewayError('bad_request', `Invalid ${result.target}: ${issues.join('; ')}`));
      return c.json(r.body, 400);
    },
  });
}
