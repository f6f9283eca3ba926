/** `/api/conversations` (issue 16): conversations newest activity first, and one as a tree. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { conversationTree } from '../../conversations/tree.js';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  ConversationIdParamSchema,
  ConversationListQuerySchema,
  ConversationPageSchema,
  ConversationTreeSchema,
} from '../../shared/conversation-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const listConversations = createRoute({
  method: 'get',
  path: '/',
  tags: ['conversations'],
  summary: 'Conversations, most recently active first',
  description:
    'Requests are linked into conversations after they finish (message hashes; branches for retried turns, ' +
    '`compact_HHMMSS` after a compaction, `subtask_N` per sub-agent). Pages with an opaque cursor; filters combine with AND.',
  request: { query: ConversationListQuerySchema },
  responses: {
    200: { description: 'One page', content: { 'application/json': { schema: ConversationPageSchema } } },
    400: errorResponse('A query parameter is invalid (the message names it)'),
  },
});

const getConversation = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['conversations'],
  summary: 'One conversation as a tree: branches with their requests, branch points, sub-tasks, totals',
  request: { params: ConversationIdParamSchema },
  responses: {
    200: { description: 'The conversation', content: { 'application/json': { schema: ConversationTreeSchema } } },
    400: errorResponse('Invalid id'),
    404: errorResponse('No conversation with this id'),
  },
});

export function conversationsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(listConversations, async (c) => {
    const q = c.req.valid('query');
    const page = await deps.store.conversations.list({
      limit: q.limit,
      cursor: q.cursor ?? null,
      account: q.account ?? null,
      clientKey: q.key ?? null,
      agent: q.agent ?? null,
      since: q.since ?? null,
      until: q.until ?? null,
      text: q.q ?? null,
    });
    return c.json(page, 200);
  });
  app.openapi(getConversation, async (c) => {
    const { id } = c.req.valid('param');
    const d = await deps.store.conversations.get(id);
    if (!d) throw new GatewayError('not_found', `No conversation with id ${JSON.stringify(id)}`);
    return c.json(conversationTree(d), 200);
  });
  return app;
}
