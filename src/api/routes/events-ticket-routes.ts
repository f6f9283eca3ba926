/**
 * `POST /api/events/ticket`: a single-use ticket for the live event stream, whose client
 * (EventSource) cannot send the admin key in a header. Needs the admin key like every API route.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import { EventsTicketSchema } from '../../shared/keys-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const issueTicket = createRoute({
  method: 'post',
  path: '/',
  tags: ['events'],
  summary: 'Issue a single-use ticket for GET /api/events?ticket=..., valid for 60 s',
  responses: {
    200: { description: 'The ticket', content: { 'application/json': { schema: EventsTicketSchema } } },
    401: {
      description: 'Admin key missing or wrong',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

export function eventsTicketRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  // no-store: a ticket is a credential, however short-lived.
  app.openapi(issueTicket, (c) => c.json(deps.auth.issueTicket(), 200, { 'cache-control': 'no-store' }));
  return app;
}
