/**
 * `/api/notify`: notification channels (webhook, Slack, the dashboard), the rules (thresholds and
 * the collapse window), the delivery log, "send test", and the dashboard's inbox behind the bell.
 * Channel URLs are never returned, only masked.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { OkSchema } from '../../shared/api-schemas.js';
import {
  ChannelListSchema,
  ChannelNameSchema,
  ChannelSchema,
  CreateChannelSchema,
  DeliveryListSchema,
  DeliverySchema,
  InboxSchema,
  MarkReadSchema,
  NotifyRulesInputSchema,
  NotifyRulesSchema,
  UpdateChannelSchema,
} from '../../shared/notify-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { errorResponse, jsonBody, jsonResponse, UNAUTHORIZED } from '../openapi-parts.js';
import { newRouter } from '../router.js';

const err400 = errorResponse('Invalid input (the message names the field)');
const err404 = errorResponse('No channel with this name');
const nameParam = z.object({ name: ChannelNameSchema.openapi({ param: { name: 'name', in: 'path' } }) });
const limitQuery = z.strictObject({ limit: z.coerce.number().int().min(1).max(500).default(100) });

const listChannels = createRoute({
  method: 'get',
  path: '/channels',
  tags: ['notify'],
  summary: 'Notification channels (URLs masked), the dashboard channel first',
  responses: { 200: jsonResponse(ChannelListSchema, 'Channels'), 401: UNAUTHORIZED },
});

const createChannel = createRoute({
  method: 'post',
  path: '/channels',
  tags: ['notify'],
  summary: 'Add a webhook or Slack channel; the URL and secret are stored encrypted',
  request: jsonBody(CreateChannelSchema),
  responses: {
    201: jsonResponse(ChannelSchema, 'The new channel'),
    400: err400,
    401: UNAUTHORIZED,
    409: errorResponse('A channel has this name'),
  },
});

const updateChannel = createRoute({
  method: 'patch',
  path: '/channels/{name}',
  tags: ['notify'],
  summary: 'Change a channel: name, URL, secret (null removes it), event switches, enabled',
  request: {
    params: nameParam,
    ...jsonBody(UpdateChannelSchema),
  },
  responses: {
    200: jsonResponse(ChannelSchema, 'The channel'),
    400: err400,
    401: UNAUTHORIZED,
    404: err404,
    409: errorResponse('Another channel has the new name'),
  },
});

const deleteChannel = createRoute({
  method: 'delete',
  path: '/channels/{name}',
  tags: ['notify'],
  summary: 'Remove a channel (the dashboard channel can only be disabled)',
  request: { params: nameParam },
  responses: { 200: jsonResponse(OkSchema, 'Removed'), 400: err400, 401: UNAUTHORIZED, 404: err404 },
});

const testChannel = createRoute({
  method: 'post',
  path: '/channels/{name}/test',
  tags: ['notify'],
  summary: 'Send a test notification to this channel now (one attempt, logged) and return its delivery',
  request: { params: nameParam },
  responses: {
    200: jsonResponse(DeliverySchema, 'The delivery, delivered or failed'),
    400: err400,
    401: UNAUTHORIZED,
    404: err404,
  },
});

const listDeliveries = createRoute({
  method: 'get',
  path: '/deliveries',
  tags: ['notify'],
  summary: 'The delivery log, newest first: status, attempts, last error',
  request: { query: limitQuery },
  responses: { 200: jsonResponse(DeliveryListSchema, 'Deliveries'), 400: err400, 401: UNAUTHORIZED },
});

const getRules = createRoute({
  method: 'get',
  path: '/rules',
  tags: ['notify'],
  summary: 'Thresholds (spend, error rate) and the window that collapses repeats',
  responses: { 200: jsonResponse(NotifyRulesSchema, 'Rules'), 401: UNAUTHORIZED },
});

const putRules = createRoute({
  method: 'put',
  path: '/rules',
  tags: ['notify'],
  summary: 'Replace the rules; running gateways apply them within a second',
  request: jsonBody(NotifyRulesInputSchema),
  responses: { 200: jsonResponse(NotifyRulesSchema, 'Rules'), 400: err400, 401: UNAUTHORIZED },
});

const getInbox = createRoute({
  method: 'get',
  path: '/inbox',
  tags: ['notify'],
  summary: "The dashboard channel's events (the bell), newest first, with the unread count",
  request: { query: limitQuery },
  responses: { 200: jsonResponse(InboxSchema, 'Inbox'), 400: err400, 401: UNAUTHORIZED },
});

const markRead = createRoute({
  method: 'post',
  path: '/inbox/read',
  tags: ['notify'],
  summary: 'Mark inbox events read (all unread ones when `ids` is absent)',
  request: jsonBody(MarkReadSchema),
  responses: { 200: jsonResponse(InboxSchema, 'Inbox'), 400: err400, 401: UNAUTHORIZED },
});

export function notifyRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const svc = deps.notify;
  const inbox = async (limit: number) => {
    const [unread, rows] = await Promise.all([deps.store.notify.unreadCount(), deps.store.notify.listInbox(limit)]);
    return {
      unread,
      events: rows.map((r) => ({
        id: r.id,
        type: r.type,
        subject: r.subject,
        severity: r.severity,
        title: r.title,
        text: r.text,
        at: r.at,
        read: r.readAt !== null,
      })),
    };
  };
  app.openapi(listChannels, async (c) => c.json({ channels: await svc.list() }, 200));
  app.openapi(createChannel, async (c) => {
    const view = await svc.create(c.req.valid('json'));
    deps.logger.info({ channel: view.name, kind: view.kind }, 'notification channel added');
    return c.json(view, 201);
  });
  app.openapi(updateChannel, async (c) => {
    const { name } = c.req.valid('param');
    const view = await svc.update(name, c.req.valid('json'));
    deps.logger.info(
      { channel: view.name, ...(view.name !== name ? { was: name } : {}) },
      'notification channel changed',
    );
    return c.json(view, 200);
  });
  app.openapi(deleteChannel, async (c) => {
    const { name } = c.req.valid('param');
    await svc.remove(name);
    deps.logger.info({ channel: name }, 'notification channel removed');
    return c.json({ ok: true as const }, 200);
  });
  app.openapi(testChannel, async (c) => c.json(await svc.sendTest(c.req.valid('param').name), 200));
  app.openapi(listDeliveries, async (c) =>
    c.json({ deliveries: await svc.deliveries(c.req.valid('query').limit) }, 200),
  );
  app.openapi(getRules, async (c) => c.json(await svc.rules(), 200));
  app.openapi(putRules, async (c) => c.json(await svc.putRules(c.req.valid('json')), 200));
  app.openapi(getInbox, async (c) => c.json(await inbox(c.req.valid('query').limit), 200));
  app.openapi(markRead, async (c) => {
    const { ids } = c.req.valid('json');
    await deps.store.notify.markRead(ids ?? null, deps.clock.now());
    return c.json(await inbox(100), 200);
  });
  return app;
}
