/**
 * `/api/workers`, `/api/approvals`, `/api/templates`: Claude Agent SDK workers run by the
 * gateway (src/workers). Without the optional SDK every route answers 503 naming the package.
 *
 * `GET /api/workers/{id}/logs` is a Server-Sent Events stream (`event: log`, `id:` the entry's
 * sequence number, replayed from `Last-Event-ID` or `?after=`; `event: worker` with the worker
 * after the replay and on every change; `event: deleted` last when it is deleted), or one JSON page when the client
 * accepts JSON and not an event stream.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  ApprovalListSchema,
  ApprovalSchema,
  ApprovalsQuerySchema,
  ApproveRequestSchema,
  CreateWorkerRequestSchema,
  EditWorkerRequestSchema,
  RejectRequestSchema,
  TemplateListSchema,
  WorkerListSchema,
  WorkerLogListSchema,
  WorkerLogsQuerySchema,
  WorkerSchema,
} from '../../shared/workers-schemas.js';
import type { WorkerLogRow } from '../../storage/contract/workers.js';
import type { WorkerView } from '../../workers/types.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const err = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const UNAVAILABLE = err('The Claude Agent SDK is not installed (the message says how to add it)');
const LOG_PAGE_MAX = 1000;
const HEARTBEAT_MS = 15_000;

const IdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'The worker id or name' }),
});

const ApprovalIdParam = z.object({
  id: z
    .string()
    .min(1)
    .openapi({ param: { name: 'id', in: 'path' }, description: 'The approval id' }),
});

const workerJson = (description: string) => ({
  description,
  content: { 'application/json': { schema: WorkerSchema } },
});

const listWorkers = createRoute({
  method: 'get',
  path: '/',
  tags: ['workers'],
  summary: 'Workers, oldest first, with state, progress, cost and queue place',
  responses: {
    200: { description: 'Workers', content: { 'application/json': { schema: WorkerListSchema } } },
    401: err('Admin key missing or wrong'),
    503: UNAVAILABLE,
  },
});

const createWorker = createRoute({
  method: 'post',
  path: '/',
  tags: ['workers'],
  summary: 'Create a worker from a prompt or a template with values; it queues at once unless start is false',
  request: { body: { required: true, content: { 'application/json': { schema: CreateWorkerRequestSchema } } } },
  responses: {
    201: workerJson('The new worker'),
    400: err('Invalid input (the message names it)'),
    401: err('Admin key missing or wrong'),
    404: err('No template of this id'),
    409: err('A worker of this name exists'),
    503: UNAVAILABLE,
  },
});

const getWorker = createRoute({
  method: 'get',
  path: '/{id}',
  tags: ['workers'],
  summary: 'One worker',
  request: { params: IdParam },
  responses: {
    200: workerJson('The worker'),
    401: err('Admin key missing or wrong'),
    404: err('No such worker'),
    503: UNAVAILABLE,
  },
});

const editWorker = createRoute({
  method: 'patch',
  path: '/{id}',
  tags: ['workers'],
  summary: 'Change the budget or max turns, also while it runs',
  description:
    'A budget applies at once: at or below the cost so far, a running worker stops with "budget reached". ' +
    'Claude Code keeps the max turns it started with: a higher one applies from the next start or resume; ' +
    'past a lower one a running worker pauses at its next turn.',
  request: {
    params: IdParam,
    body: { required: true, content: { 'application/json': { schema: EditWorkerRequestSchema } } },
  },
  responses: {
    200: workerJson('The worker after the change'),
    400: err('Invalid input (the message names it)'),
    401: err('Admin key missing or wrong'),
    404: err('No such worker'),
    503: UNAVAILABLE,
  },
});

const deleteWorker = createRoute({
  method: 'delete',
  path: '/{id}',
  tags: ['workers'],
  summary: 'Delete a worker with its logs and approvals (a running one is stopped first)',
  request: { params: IdParam },
  responses: {
    200: workerJson('The worker as it was before deletion'),
    401: err('Admin key missing or wrong'),
    404: err('No such worker'),
    503: UNAVAILABLE,
  },
});

function action(name: 'start' | 'pause' | 'resume' | 'stop', summary: string) {
  return createRoute({
    method: 'post',
    path: `/{id}/${name}`,
    tags: ['workers'],
    summary,
    request: { params: IdParam },
    responses: {
      200: workerJson('The worker after the change'),
      401: err('Admin key missing or wrong'),
      404: err('No such worker'),
      409: err('Not possible in its state (the message says which)'),
      503: UNAVAILABLE,
    },
  });
}

const startWorker = action('start', 'Run the task from the beginning (a new session); it queues behind the others');
const pauseWorker = action('pause', 'Pause at the next turn boundary (a queued worker leaves the queue)');
const resumeWorker = action('resume', 'Continue the paused session where it stopped');
const stopWorker = action('stop', 'Stop now; a stopped worker can be started again');

const workerLogs = createRoute({
  method: 'get',
  path: '/{id}/logs',
  tags: ['workers'],
  summary: "The worker's log: an event stream with replay, or JSON when Accept is application/json",
  description:
    'Stream: `event: log` frames (WorkerLog; `id:` is its seq) replayed after `Last-Event-ID` or `?after=`, then live; ' +
    '`event: worker` (Worker) after the replay and on every change; `event: deleted` when the worker is deleted. A comment line ' +
    'is sent every 15 s.',
  request: {
    params: IdParam,
    query: WorkerLogsQuerySchema,
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
      description: 'Log entries',
      content: {
        'application/json': { schema: WorkerLogListSchema },
        'text/event-stream': { schema: z.string().openapi({ example: 'event: log\ndata: {}\nid: 1\n\n' }) },
      },
    },
    400: err('Invalid parameter'),
    401: err('Admin key missing or wrong'),
    404: err('No such worker'),
    503: UNAVAILABLE,
  },
});

const listApprovals = createRoute({
  method: 'get',
  path: '/',
  tags: ['workers'],
  summary: 'Tool calls waiting for (or given) a decision, oldest first, with a preview: diff, command or input',
  request: { query: ApprovalsQuerySchema },
  responses: {
    200: { description: 'Approvals', content: { 'application/json': { schema: ApprovalListSchema } } },
    400: err('Invalid parameter'),
    401: err('Admin key missing or wrong'),
    404: err('No such worker'),
    503: UNAVAILABLE,
  },
});

const decided = (
  summary: string,
  schema: typeof ApproveRequestSchema | typeof RejectRequestSchema,
  path: string,
  required: boolean,
) =>
  createRoute({
    method: 'post',
    path,
    tags: ['workers'],
    summary,
    request: { params: ApprovalIdParam, body: { required, content: { 'application/json': { schema } } } },
    responses: {
      200: { description: 'The approval decided', content: { 'application/json': { schema: ApprovalSchema } } },
      400: err('Invalid input'),
      401: err('Admin key missing or wrong'),
      404: err('No approval of this id'),
      409: err('Already decided, or the session that asked has ended'),
      503: UNAVAILABLE,
    },
  });

const approve = decided('Run the call, optionally with edited input', ApproveRequestSchema, '/{id}/approve', false);
const reject = decided('Refuse the call; the worker reads the message', RejectRequestSchema, '/{id}/reject', true);

const listTemplates = createRoute({
  method: 'get',
  path: '/',
  tags: ['workers'],
  summary: 'Worker templates (built-in and <data dir>/templates), with their form fields and use counts',
  responses: {
    200: { description: 'Templates', content: { 'application/json': { schema: TemplateListSchema } } },
    401: err('Admin key missing or wrong'),
    503: UNAVAILABLE,
  },
});

/** JSON when the client asks for it and not for an event stream (browsers' EventSource send text/event-stream). */
function wantsJson(c: Context): boolean {
  const accept = c.req.header('accept') ?? '';
  return accept.includes('application/json') && !accept.includes('text/event-stream');
}

export function workersRoutes(deps: Pick<ApiDeps, 'workers' | 'events' | 'logger'>): OpenAPIHono {
  const app = newRouter();
  const { workers, events } = deps;
  app.openapi(listWorkers, async (c) => c.json({ workers: await workers.list() }, 200));
  app.openapi(createWorker, async (c) => {
    const w = await workers.create(c.req.valid('json'));
    deps.logger.info({ worker: w.name, state: w.state }, 'worker created');
    return c.json(w, 201);
  });
  app.openapi(getWorker, async (c) => c.json(await workers.get(c.req.valid('param').id), 200));
  app.openapi(editWorker, async (c) => {
    const w = await workers.edit(c.req.valid('param').id, c.req.valid('json'));
    deps.logger.info({ worker: w.name, maxTurns: w.maxTurns, budgetUsd: w.budgetUsd }, 'worker edited');
    return c.json(w, 200);
  });
  app.openapi(deleteWorker, async (c) => {
    const w = await workers.delete(c.req.valid('param').id);
    deps.logger.info({ worker: w.name }, 'worker deleted');
    return c.json(w, 200);
  });
  app.openapi(startWorker, async (c) => c.json(await workers.start(c.req.valid('param').id), 200));
  app.openapi(pauseWorker, async (c) => c.json(await workers.pause(c.req.valid('param').id), 200));
  app.openapi(resumeWorker, async (c) => c.json(await workers.resume(c.req.valid('param').id), 200));
  app.openapi(stopWorker, async (c) => c.json(await workers.stop(c.req.valid('param').id), 200));

  app.openapi(workerLogs, async (c) => {
    const { id } = c.req.valid('param');
    const query = c.req.valid('query');
    const header = c.req.valid('header')['last-event-id'];
    const after = Number(header ?? query.after ?? 0);
    if (wantsJson(c)) {
      const limit = query.limit === undefined ? 500 : Number(query.limit);
      if (limit < 1 || limit > LOG_PAGE_MAX) {
        throw new GatewayError('bad_request', `Invalid query: limit: expected 1 to ${LOG_PAGE_MAX}, got ${limit}`);
      }
      const entries = await workers.logs(id, after, limit);
      return c.json({ entries, lastSeq: entries.at(-1)?.seq ?? after }, 200);
    }
    // Before the stream opens: an unknown worker is a 404, not an empty stream.
    const worker = await workers.get(id);
    return streamSSE(c, async (stream) => {
      let lastSeq = after;
      let replaying = true;
      const held: WorkerLogRow[] = [];
      let chain: Promise<void> = Promise.resolve();
      let ended!: () => void;
      const done = new Promise<void>((r) => {
        ended = r;
      });
      const send = (fn: () => Promise<void>) => {
        chain = chain.then(fn).catch(() => ended());
      };
      const sendEntries = (entries: readonly WorkerLogRow[]) => {
        for (const e of entries) {
          if (e.seq <= lastSeq) continue;
          lastSeq = e.seq;
          send(() => stream.writeSSE({ event: 'log', id: String(e.seq), data: JSON.stringify(e) }));
        }
      };
      // Subscribed before the replay is read, so nothing falls between the two.
      const onLog = (e: { workerId: string; entries: WorkerLogRow[] }) => {
        if (e.workerId !== worker.id) return;
        if (replaying) held.push(...e.entries);
        else sendEntries(e.entries);
      };
      const sendWorker = (w: WorkerView) => send(() => stream.writeSSE({ event: 'worker', data: JSON.stringify(w) }));
      // During the replay the worker is read once after it instead, so its state follows the entries it explains.
      const onChanged = (w: WorkerView) => {
        if (w.id === worker.id && !replaying) sendWorker(w);
      };
      const onDeleted = (d: { id: string; name: string }) => {
        if (d.id !== worker.id) return;
        send(() => stream.writeSSE({ event: 'deleted', data: JSON.stringify(d) }));
        send(async () => ended());
      };
      events.on('worker.log', onLog);
      events.on('worker.changed', onChanged);
      events.on('worker.deleted', onDeleted);
      const heartbeat = setInterval(() => send(() => stream.write(': ping\n\n').then(() => undefined)), HEARTBEAT_MS);
      heartbeat.unref();
      stream.onAbort(() => ended());
      try {
        for (;;) {
          const page = await workers.logs(worker.id, lastSeq, 500);
          sendEntries(page);
          if (page.length < 500) break;
        }
        const current = await workers.get(worker.id).catch(() => null);
        replaying = false;
        sendEntries(held.splice(0).sort((a, b) => a.seq - b.seq));
        if (current === null) {
          send(() => stream.writeSSE({ event: 'deleted', data: JSON.stringify({ id: worker.id, name: worker.name }) }));
          send(async () => ended());
        } else sendWorker(current);
        await done;
      } finally {
        clearInterval(heartbeat);
        events.off('worker.log', onLog);
        events.off('worker.changed', onChanged);
        events.off('worker.deleted', onDeleted);
      }
    }) as never;
  });
  return app;
}

export function approvalsRoutes(deps: Pick<ApiDeps, 'workers' | 'logger'>): OpenAPIHono {
  const app = newRouter();
  const { workers } = deps;
  app.openapi(listApprovals, async (c) => c.json({ approvals: await workers.approvals(c.req.valid('query')) }, 200));
  app.openapi(approve, async (c) => {
    const a = await workers.approve(
      c.req.valid('param').id,
      (c.req.valid('json') as { input?: Record<string, unknown> } | undefined)?.input,
    );
    deps.logger.info(
      { worker: a.workerName, tool: a.tool, edited: a.decidedInput !== null },
      'worker tool call approved',
    );
    return c.json(a, 200);
  });
  app.openapi(reject, async (c) => {
    const a = await workers.reject(c.req.valid('param').id, (c.req.valid('json') as { message: string }).message);
    deps.logger.info({ worker: a.workerName, tool: a.tool }, 'worker tool call rejected');
    return c.json(a, 200);
  });
  return app;
}

export function templatesRoutes(deps: Pick<ApiDeps, 'workers'>): OpenAPIHono {
  const app = newRouter();
  app.openapi(listTemplates, async (c) => c.json(await deps.workers.templates(), 200));
  return app;
}
