/**
 * `/api/conversations` (issue 16): conversations newest activity first, one as a tree, and its
 * analysis (off unless `conversationAnalysis` is on).
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { conversationTree } from '../../conversations/tree.js';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  AnalysisRequestSchema,
  ConversationAnalysisSchema,
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

const analyzeConversation = createRoute({
  method: 'post',
  path: '/{id}/analysis',
  tags: ['conversations'],
  summary: 'Analyze a conversation with a Claude model, through ccflare itself',
  description:
    'Sends a compact transcript (text, tool calls one line each, sub-tasks summarised, at most ~60,000 characters) ' +
    'through the gateway’s own `/v1/messages` (routed and recorded like any request, agent `ccflare-analysis`) ' +
    'with a fixed prompt: what was asked, what was done, where tokens went, problems. Answers once it is done or ' +
    'failed; a failure is stored with its error and answered 200 too.',
  request: {
    params: ConversationIdParamSchema,
    body: { content: { 'application/json': { schema: AnalysisRequestSchema } }, required: false },
  },
  responses: {
    200: {
      description: 'The stored analysis',
      content: { 'application/json': { schema: ConversationAnalysisSchema } },
    },
    400: errorResponse('Invalid id or body'),
    404: errorResponse('No conversation with this id'),
    409: errorResponse('Conversation analysis is off (the `conversationAnalysis` setting)'),
  },
});

const getAnalysis = createRoute({
  method: 'get',
  path: '/{id}/analysis',
  tags: ['conversations'],
  summary: 'The latest analysis of a conversation',
  request: { params: ConversationIdParamSchema },
  responses: {
    200: {
      description: 'The latest analysis (running, done or failed)',
      content: { 'application/json': { schema: ConversationAnalysisSchema } },
    },
    400: errorResponse('Invalid id'),
    404: errorResponse('The conversation has no analysis'),
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
  app.openapi(analyzeConversation, async (c) => {
    const { id } = c.req.valid('param');
    // The body is optional: no body, or `{}`, asks the configured model.
    const text = await c.req.text();
    let body: unknown = {};
    if (text.trim() !== '') {
      try {
        body = JSON.parse(text);
      } catch {
        throw new GatewayError('bad_request', 'Invalid body: expected JSON');
      }
    }
    const parsed = AnalysisRequestSchema.safeParse(body);
    if (!parsed.success) {
      throw new GatewayError('bad_request', `Invalid body: ${parsed.error.issues[0]?.message ?? 'unexpected shape'}`);
    }
    return c.json(await deps.analyzer.analyze(id, parsed.data.model), 200);
  });
  app.openapi(getAnalysis, async (c) => {
    const { id } = c.req.valid('param');
    const a = await deps.store.conversations.latestAnalysis(id);
    if (!a) throw new GatewayError('not_found', `No analysis of conversation ${JSON.stringify(id)}`);
    return c.json(a, 200);
  });
  return app;
}
