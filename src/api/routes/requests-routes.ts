/**
 * `/api/requests`: request summaries newest first with cursor pagination and filters, and one
 * request with its stored payload.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  encodeCursor,
  RequestDetailSchema,
  RequestIdParamSchema,
  RequestListQuerySchema,
  RequestPageSchema,
} from '../../shared/requests-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { requestDetailView, summaryView } from '../request-view.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const listRequests = createRoute({
  method: 'get',
  path: '/',
  tags: ['requests'],
  summary: 'Request summaries, newest first',
  description:
    'Pages with an opaque cursor: pass `nextCursor` as `cursor` until it is null. Filters combine with AND; ' +
    'a cursor stays valid while filters stay the same.',
  request: { query: RequestListQuerySchema },
  responses: {
    200: { description: 'One page', content: { 'application/json': { schema: RequestPageSchema } } },
    400: errorResponse('A query parameter is invalid (the message names it)'),
  },
});

const getRequest = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['requests'],
  summary: 'One request with its attempts and stored payload (credentials redacted)',
  request: { params: RequestIdParamSchema },
  responses: {
    200: { description: 'The request', content: { 'application/json': { schema: RequestDetailSchema } } },
    400: errorResponse('Invalid id'),
    404: errorResponse('No request with this id'),
  },
});

export function requestsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(listRequests, async (c) => {
    const q = c.req.valid('query');
    const page = await deps.store.requests.list({
      limit: q.limit,
      before: q.cursor,
      since: q.since,
      until: q.until,
      account: q.account,
      model: q.model,
      status: q.status,
      agent: q.agent,
      session: q.session,
    });
    const last = page.items[page.items.length - 1];
    return c.json(
      { items: page.items.map(summaryView), nextCursor: page.more && last ? encodeCursor(last.ts, last.id) : null },
      200,
    );
  });
  app.openapi(getRequest, async (c) => {
    const { id } = c.req.valid('param');
    const r = await deps.store.requests.get(id);
    if (!r) throw new GatewayError('not_found', `No request with id ${JSON.stringify(id)}`);
    const link = await deps.store.conversations.linkOf(id);
    return c.json(requestDetailView(r, link), 200);
  });
  return app;
}
