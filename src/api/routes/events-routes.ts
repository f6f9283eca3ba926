/**
 * `GET /api/events`: the live event stream (Server-Sent Events). A Hono route, so the API's
 * middleware (admin key, tickets) runs first; the stream itself is written to the Node response
 * by the hub (api/live-events.ts), which needs the socket's backpressure that a web stream hides.
 */
import type { HttpBindings } from '@hono/node-server';
import { RESPONSE_ALREADY_SENT } from '@hono/node-server/utils/response';
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import { EventsQuerySchema, LIVE_EVENT_TYPES } from '../../shared/events-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const stream = createRoute({
  method: 'get',
  path: '/',
  tags: ['events'],
  summary:
    'Live events (text/event-stream): request.started, request.finished, account.changed, account.refreshed, log, notify.inbox, worker.changed, worker.deleted, approval.changed',
  description:
    'Each frame has `id:` (increasing integers), `event:` (the name) and one `data:` line of JSON (schemas ' +
    'RequestStartedEvent, RequestFinishedEvent, AccountChangedEvent, AccountRefreshedEvent, LogEvent, ' +
    'NotifyInboxEvent, Worker, WorkerDeletedEvent, ApprovalEvent). A comment ' +
    'line is sent every 15 s. Reconnect with `Last-Event-ID` (or `?lastEventId=`) to receive every buffered event ' +
    'after it; when that id is no longer buffered a `reset` event (ResetEvent) comes first. A client that reads too ' +
    'slowly is dropped with a final comment and should reconnect.',
  request: {
    query: EventsQuerySchema,
    headers: z.object({
      'last-event-id': z
        .string()
        .regex(/^\d+$/, 'expected a non-negative integer')
        .optional()
        .openapi({ param: { name: 'last-event-id', in: 'header' } }),
    }),
  },
  responses: {
    200: {
      description: 'The event stream',
      content: { 'text/event-stream': { schema: z.string().openapi({ example: 'id: 1\nevent: log\ndata: {}\n\n' }) } },
    },
    400: { description: 'Invalid parameter', content: { 'application/json': { schema: ErrorResponseSchema } } },
    401: {
      description: 'Admin key or ticket missing',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
    503: { description: 'Too many clients', content: { 'application/json': { schema: ErrorResponseSchema } } },
  },
});

export function eventsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const hub = deps.eventHub;
  app.openapi(stream, (c) => {
    const env = c.env as Partial<HttpBindings> | undefined;
    if (!env?.incoming || !env.outgoing) {
      throw new GatewayError('internal', 'The event stream is served only by the Node HTTP server');
    }
    const query = c.req.valid('query');
    const header = c.req.valid('header')['last-event-id'];
    const raw = header ?? query.lastEventId;
    let types: Set<string> | null = null;
    if (query.types !== undefined) {
      types = new Set(
        query.types
          .split(',')
          .map((t) => t.trim())
          .filter(Boolean),
      );
      const unknown = [...types].filter((t) => !(LIVE_EVENT_TYPES as string[]).includes(t));
      if (unknown.length > 0 || types.size === 0) {
        throw new GatewayError(
          'bad_request',
          `Invalid query: types: unknown event ${JSON.stringify(unknown[0] ?? '')}; known: ${LIVE_EVENT_TYPES.join(', ')}`,
        );
      }
    }
    hub.attach(env.incoming, env.outgoing, {
      lastEventId: raw === undefined ? null : Number(raw),
      types,
      idsOnly: query.fields === 'id',
    });
    return RESPONSE_ALREADY_SENT as never;
  });
  return app;
}
