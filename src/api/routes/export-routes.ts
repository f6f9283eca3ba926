/**
 * `GET /api/export/{kind}`: stored rows as JSON Lines or CSV, streamed. The body is pulled a page
 * at a time as the client reads (node-server waits for the socket to drain), so a slow client
 * holds one page, and a client that goes away cancels the read.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { GatewayError } from '../../errors.js';
import { rowSource } from '../../export/export-rows.js';
import { contentTypeOf, exportChunks } from '../../export/export-stream.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  EXPORT_TIME_RULE,
  ExportKindParamSchema,
  ExportQuerySchema,
  parseExportTime,
} from '../../shared/export-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const exportRoute = createRoute({
  method: 'get',
  path: '/{kind}',
  tags: ['export'],
  summary: 'Stored requests or conversations as JSON Lines or CSV, streamed',
  description:
    'One JSON object per line (`format=jsonl`) or CSV with a header row (RFC 4180, UTF-8, CRLF). Payloads, ' +
    'when asked for, are JSON text columns in CSV. `requests`: oldest first. `conversations`: one row per conversation ' +
    '(the list item), most recently active first; with payloads each also holds its requests in order per branch ' +
    '(`requestPayloads`, beside the `requests` count).',
  request: { params: ExportKindParamSchema, query: ExportQuerySchema },
  responses: {
    200: {
      description: 'The rows',
      content: {
        'application/x-ndjson': { schema: { type: 'string' } },
        'text/csv': { schema: { type: 'string' } },
      },
    },
    400: {
      description: 'A parameter is invalid',
      content: { 'application/json': { schema: ErrorResponseSchema } },
    },
  },
});

function timeParam(name: string, value: string | undefined, now: number): number | undefined {
  if (value === undefined) return undefined;
  const t = parseExportTime(value, now);
  if (t === null) throw new GatewayError('bad_request', `Invalid query: ${name}: expected ${EXPORT_TIME_RULE}`);
  return t;
}

export function exportRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(exportRoute, async (c) => {
    const { kind } = c.req.valid('param');
    const q = c.req.valid('query');
    const now = deps.clock.now();
    const since = timeParam('since', q.since, now);
    const until = timeParam('until', q.until, now);
    if (since !== undefined && until !== undefined && since >= until) {
      throw new GatewayError('bad_request', 'Invalid query: since must be before until');
    }
    const source = rowSource(kind, deps.store, {
      since,
      until,
      account: q.account,
      clientKey: q.key,
      agent: q.agent,
      withPayloads: q.payloads === 'true' || q.payloads === '1',
    });
    const chunks = exportChunks(source, q.format);
    const encoder = new TextEncoder();
    const body = new ReadableStream<Uint8Array>(
      {
        async pull(controller) {
          try {
            const next = await chunks.next();
            if (next.done) controller.close();
            else controller.enqueue(encoder.encode(next.value.text));
          } catch (err) {
            deps.logger.warn({ err, kind }, 'export stopped: the store read failed');
            controller.error(err);
          }
        },
        async cancel() {
          await chunks.return(undefined);
        },
      },
      // One chunk (a page) ahead of the client at most.
      { highWaterMark: 1 },
    );
    const stamp = new Date(now).toISOString().replace(/[:.]/g, '-');
    return new Response(body, {
      status: 200,
      headers: {
        'content-type': contentTypeOf(q.format),
        'content-disposition': `attachment; filename="ccflare-${kind}-${stamp}.${q.format}"`,
        'cache-control': 'no-store',
        'x-content-type-options': 'nosniff',
      },
    }) as never;
  });
  return app;
}
