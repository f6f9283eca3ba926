/**
 * `/api/connect/claude-code`: the dashboard's "Connect Claude Code" (src/connect/claude-connect.ts,
 * as `ccflare connect`). It writes a file on the gateway's machine, so it answers only a gateway
 * bound to loopback (the user's own machine) or one that requires the admin key; writes pass the
 * browser guard (same origin, JSON bodies) like every API write.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import { isLoopbackHost } from '../../config/config.js';
import { type ConnectDeps, prepareConnect, prepareDisconnect } from '../../connect/claude-connect.js';
import { GatewayError } from '../../errors.js';
import { reachableUrl, readLiveRuntime } from '../../server/runtime-file.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import { ConnectPlanSchema, ConnectRequestSchema, ConnectResultSchema } from '../../shared/connect-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const error = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});
const errors = {
  400: error('Invalid input'),
  401: error('Admin key missing or wrong'),
  403: error('The gateway listens beyond loopback without an admin key: it does not write files for the network'),
  409: error('The settings file (or the connect record) is malformed or cannot be written: nothing was changed'),
};

const TAGS = ['connect'];

const getPlan = createRoute({
  method: 'get',
  path: '/claude-code',
  tags: TAGS,
  summary: "What connecting Claude Code would change in its user settings on the gateway's machine",
  responses: {
    200: { description: 'The planned change', content: { 'application/json': { schema: ConnectPlanSchema } } },
    ...errors,
  },
});

const connect = createRoute({
  method: 'post',
  path: '/claude-code',
  tags: TAGS,
  summary:
    "Point Claude Code at this gateway (ANTHROPIC_BASE_URL, and a client key when keys are enforced) in its user settings' env",
  description:
    'Every other key of the file is kept; the original is copied to settings.json.ccflare-backup-<UTC time> and the file is replaced atomically.',
  request: { body: { required: true, content: { 'application/json': { schema: ConnectRequestSchema } } } },
  responses: {
    200: {
      description: 'What was (or, with dryRun, would be) changed',
      content: { 'application/json': { schema: ConnectResultSchema } },
    },
    ...errors,
  },
});

const disconnect = createRoute({
  method: 'delete',
  path: '/claude-code',
  tags: TAGS,
  summary:
    'Undo the connect: restore the values it replaced (not ones changed since) and revoke the client key it created',
  request: {
    query: z.object({
      dryRun: z.enum(['true', 'false']).default('false').openapi({ description: 'Only say what would change' }),
    }),
  },
  responses: {
    200: {
      description: 'What was (or would be) restored',
      content: { 'application/json': { schema: ConnectResultSchema } },
    },
    ...errors,
    404: error('Connect has not changed the settings file: nothing to undo'),
  },
});

export function connectRoutes(deps: ApiDeps): OpenAPIHono {
  const { config } = deps;
  const app = newRouter();

  async function connectDeps(): Promise<ConnectDeps> {
    const adminRequired = (config.adminKey ?? '') !== '' || (await deps.keys.hasAdminKey());
    if (!isLoopbackHost(config.host) && !adminRequired) {
      throw new GatewayError(
        'forbidden',
        `This gateway listens on ${config.host} without an admin key, so it does not write Claude Code's settings for whoever reaches it: set an admin key (\`ccflare keys admin\`) or run \`ccflare connect\` on the gateway's machine`,
      );
    }
    // The address the gateway announced (the port it really listens on), else the configured one.
    const url = readLiveRuntime(config.home)?.url ?? reachableUrl(config.host, config.port);
    return {
      home: config.home,
      settingsPath: config.claudeSettingsFile,
      url,
      keys: deps.keys,
      now: () => deps.clock.now(),
    };
  }

  app.openapi(getPlan, async (c) => c.json((await prepareConnect(await connectDeps())).plan, 200));
  app.openapi(connect, async (c) => {
    const { dryRun } = c.req.valid('json');
    const prepared = await prepareConnect(await connectDeps());
    if (dryRun) return c.json({ ...prepared.plan, applied: false, backupPath: null }, 200);
    const result = await prepared.apply();
    if (result.applied) {
      deps.logger.info(
        {
          settingsPath: result.settingsPath,
          keys: result.changes.map((ch) => ch.key),
          clientKey: result.clientKey?.name,
        },
        'Claude Code connected',
      );
    }
    return c.json(result, 200);
  });
  app.openapi(disconnect, async (c) => {
    const { dryRun } = c.req.valid('query');
    const prepared = await prepareDisconnect(await connectDeps());
    if (dryRun === 'true') return c.json({ ...prepared.plan, applied: false, backupPath: null }, 200);
    const result = await prepared.apply();
    deps.logger.info(
      { settingsPath: result.settingsPath, keys: result.changes.map((ch) => ch.key) },
      'Claude Code disconnected',
    );
    return c.json(result, 200);
  });
  return app;
}
