/**
 * `/api/prompts`: the MCP prompt server's files (`CCFLARE_PROMPTS_DIR`). Writes are checked the
 * way the server reads them (YAML, arguments, the Handlebars template) before anything reaches
 * the disk, so a 400 names what is wrong and a bad file is never written. `POST /preview` renders
 * a draft with arguments as `prompts/get` would, without writing it.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { GatewayError } from '../../errors.js';
import { type PromptFile, renderPrompt } from '../../prompts/prompt-file.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  CreatePromptRequestSchema,
  PreviewPromptRequestSchema,
  PromptListSchema,
  PromptPreviewSchema,
  PromptSchema,
  PromptSourceSchema,
  type PromptView,
  UpdatePromptRequestSchema,
} from '../../shared/prompts-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const NameParam = z.object({
  name: z
    .string()
    .min(1)
    .openapi({ param: { name: 'name', in: 'path' }, description: 'The prompt name (its file name without extension)' }),
});

function view(p: PromptFile): PromptView {
  return {
    name: p.name,
    file: p.file,
    format: p.format,
    description: p.description,
    arguments: p.arguments,
    error: p.error,
    warnings: p.warnings,
    modifiedAt: p.modifiedAt,
  };
}

const listPrompts = createRoute({
  method: 'get',
  path: '/',
  tags: ['prompts'],
  summary: 'Prompt files of the MCP prompt server (broken ones listed with their error)',
  responses: {
    200: { description: 'Prompts', content: { 'application/json': { schema: PromptListSchema } } },
    401: err('Admin key missing or wrong'),
  },
});

const getPrompt = createRoute({
  method: 'get',
  path: '/{name}',
  tags: ['prompts'],
  summary: 'One prompt with its file text',
  request: { params: NameParam },
  responses: {
    200: { description: 'The prompt', content: { 'application/json': { schema: PromptSourceSchema } } },
    400: err('Invalid prompt name'),
    401: err('Admin key missing or wrong'),
    403: err('The file is a symlink leading outside the prompts folder'),
    404: err('No prompt of this name'),
  },
});

const createPrompt = createRoute({
  method: 'post',
  path: '/',
  tags: ['prompts'],
  summary: 'Create a prompt file (name.yaml or name.md)',
  request: { body: { required: true, content: { 'application/json': { schema: CreatePromptRequestSchema } } } },
  responses: {
    201: { description: 'The new prompt', content: { 'application/json': { schema: PromptSchema } } },
    400: err('Invalid name, or the text is not a valid prompt (the message says why)'),
    401: err('Admin key missing or wrong'),
    409: err('A prompt of this name exists'),
    413: err('The text is larger than a prompt file may be'),
  },
});

const updatePrompt = createRoute({
  method: 'put',
  path: '/{name}',
  tags: ['prompts'],
  summary: 'Replace a prompt file’s text (its format stays)',
  request: {
    params: NameParam,
    body: { required: true, content: { 'application/json': { schema: UpdatePromptRequestSchema } } },
  },
  responses: {
    200: { description: 'The prompt after the change', content: { 'application/json': { schema: PromptSchema } } },
    400: err('Invalid name, or the text is not a valid prompt (the message says why)'),
    401: err('Admin key missing or wrong'),
    404: err('No prompt of this name'),
    413: err('The text is larger than a prompt file may be'),
  },
});

const deletePrompt = createRoute({
  method: 'delete',
  path: '/{name}',
  tags: ['prompts'],
  summary: 'Delete a prompt file',
  request: { params: NameParam },
  responses: {
    200: { description: 'The deleted prompt', content: { 'application/json': { schema: PromptSchema } } },
    400: err('Invalid prompt name'),
    401: err('Admin key missing or wrong'),
    404: err('No prompt of this name'),
  },
});

const previewPrompt = createRoute({
  method: 'post',
  path: '/preview',
  tags: ['prompts'],
  summary: 'Read a draft as the server would and render it with arguments (nothing is written)',
  request: { body: { required: true, content: { 'application/json': { schema: PreviewPromptRequestSchema } } } },
  responses: {
    200: { description: 'The draft and its text', content: { 'application/json': { schema: PromptPreviewSchema } } },
    400: err('Invalid input'),
    401: err('Admin key missing or wrong'),
  },
});

export function promptsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { prompts, logger } = deps;
  app.openapi(listPrompts, (c) => {
    prompts.scan();
    return c.json({ prompts: prompts.list().map(view), dir: prompts.dir, mcpPath: '/mcp' }, 200);
  });
  app.openapi(previewPrompt, (c) => {
    const body = c.req.valid('json');
    const draft = prompts.parseDraft('draft', body.format, body.source);
    let text: string | null = null;
    let error: string | null = draft.error;
    if (error === null) {
      try {
        text = renderPrompt(draft, body.arguments ?? {});
      } catch (e) {
        if (!(e instanceof GatewayError)) throw e;
        error = e.message;
      }
    }
    return c.json({ prompt: view(draft), text, error }, 200);
  });
  app.openapi(getPrompt, (c) => {
    const { entry, source } = prompts.source(c.req.valid('param').name);
    return c.json({ ...view(entry), source }, 200);
  });
  app.openapi(createPrompt, (c) => {
    const { name, format, source } = c.req.valid('json');
    const p = prompts.create(name, format, source);
    logger.info({ prompt: p.name, file: p.file }, 'prompt file created');
    return c.json(view(p), 201);
  });
  app.openapi(updatePrompt, (c) => {
    const p = prompts.update(c.req.valid('param').name, c.req.valid('json').source);
    logger.info({ prompt: p.name, file: p.file }, 'prompt file changed');
    return c.json(view(p), 200);
  });
  app.openapi(deletePrompt, (c) => {
    const p = prompts.remove(c.req.valid('param').name);
    logger.info({ prompt: p.name, file: p.file }, 'prompt file deleted');
    return c.json(view(p), 200);
  });
  return app;
}
