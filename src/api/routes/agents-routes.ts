/**
 * `/api/agents` and `/api/workspaces`: Claude Code's agent files (edited in place, unknown front
 * matter keys kept), their model preferences and the workspaces discovered from traffic. A
 * preference reaches the proxy of every gateway sharing the database within 2 s. A model the
 * gateway does not know but that looks like a Claude id is accepted, with a `warnings` entry.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import {
  AgentListSchema,
  AgentSchema,
  BulkPreferenceRequestSchema,
  BulkPreferenceResultSchema,
  CreateAgentRequestSchema,
  PatchAgentRequestSchema,
  WorkspaceListSchema,
} from '../../shared/agents-schemas.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

/** An agent after a change, with what was accepted but is worth a look. */
export const ChangedAgentSchema = AgentSchema.extend({
  /** E.g. a `claude-*` model id neither the pricing table nor the upstream's model list knows. */
  warnings: z.array(z.string()),
}).openapi('ChangedAgent');

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'The agent id from GET /api/agents' }),
});

const listAgents = createRoute({
  method: 'get',
  path: '/',
  tags: ['agents'],
  summary: 'Agents from the user folder and every known workspace (broken files listed with their error)',
  responses: {
    200: { description: 'Agents', content: { 'application/json': { schema: AgentListSchema } } },
    401: err('Admin key missing or wrong'),
  },
});

const createAgent = createRoute({
  method: 'post',
  path: '/',
  tags: ['agents'],
  summary: 'Create an agent file in the user folder or a known workspace',
  request: { body: { required: true, content: { 'application/json': { schema: CreateAgentRequestSchema } } } },
  responses: {
    201: { description: 'The new agent', content: { 'application/json': { schema: ChangedAgentSchema } } },
    400: err('Invalid input (the message names the field)'),
    401: err('Admin key missing or wrong'),
    409: err('A file for this agent already exists there'),
  },
});

const patchAgent = createRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['agents'],
  summary:
    'Change an agent: description, tools, color and prompt are written to its file; model is the stored preference (null clears it)',
  request: {
    params: IdParam,
    body: { required: true, content: { 'application/json': { schema: PatchAgentRequestSchema } } },
  },
  responses: {
    200: { description: 'The agent after the change', content: { 'application/json': { schema: ChangedAgentSchema } } },
    400: err('Invalid input, e.g. a model that is not a Claude model'),
    401: err('Admin key missing or wrong'),
    404: err('No agent with this id'),
    409: err('The file’s front matter cannot be read; fix it by hand first'),
  },
});

const deleteAgent = createRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['agents'],
  summary: 'Delete an agent file and its model preference',
  request: { params: IdParam },
  responses: {
    200: { description: 'The deleted agent', content: { 'application/json': { schema: AgentSchema } } },
    401: err('Admin key missing or wrong'),
    404: err('No agent with this id'),
  },
});

const bulkPreference = createRoute({
  method: 'post',
  path: '/bulk-preference',
  tags: ['agents'],
  summary: 'Set (or with null clear) the model preference of the given agents, or of every agent',
  request: { body: { required: true, content: { 'application/json': { schema: BulkPreferenceRequestSchema } } } },
  responses: {
    200: { description: 'Agents changed', content: { 'application/json': { schema: BulkPreferenceResultSchema } } },
    400: err('Invalid model or unknown agent id'),
    401: err('Admin key missing or wrong'),
  },
});

const listWorkspaces = createRoute({
  method: 'get',
  path: '/',
  tags: ['agents'],
  summary: 'Workspaces discovered from Claude Code requests (CLAUDE.md paths, working directory)',
  responses: {
    200: { description: 'Workspaces', content: { 'application/json': { schema: WorkspaceListSchema } } },
    401: err('Admin key missing or wrong'),
  },
});

export function agentsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { agents, logger } = deps;
  app.openapi(listAgents, (c) => c.json(agents.list(), 200));
  app.openapi(createAgent, async (c) => {
    const { result, warnings } = await agents.create(c.req.valid('json'));
    logger.info({ agent: result.name, path: result.path }, 'agent file created');
    return c.json({ ...result, warnings }, 201);
  });
  app.openapi(bulkPreference, async (c) => {
    const { model, agents: ids } = c.req.valid('json');
    const { result, warnings } = await agents.setPreferences(model, ids);
    logger.info({ model, agents: result }, 'agent model preferences changed');
    return c.json({ updated: result, warnings }, 200);
  });
  app.openapi(patchAgent, async (c) => {
    const { id } = c.req.valid('param');
    const body = c.req.valid('json');
    const { result, warnings } = await agents.patch(id, body);
    logger.info({ agent: result.name, changed: Object.keys(body) }, 'agent changed');
    return c.json({ ...result, warnings }, 200);
  });
  app.openapi(deleteAgent, async (c) => {
    const view = await agents.remove(c.req.valid('param').id);
    logger.info({ agent: view.name, path: view.path }, 'agent file deleted');
    return c.json(view, 200);
  });
  return app;
}

export function workspacesRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(listWorkspaces, (c) => c.json({ workspaces: deps.agents.workspaces() }, 200));
  return app;
}
