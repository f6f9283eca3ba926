/**
 * `/api/accounts`: list, add by API key, OAuth login (init + callback), remove, pause, resume,
 * rename, priority. The rules live in AccountService (shared with the CLI); every change
 * reloads the pool so the next proxied request sees it.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AccountView } from '../../accounts/account-status.js';
import { completeFlow, OAuthFlows } from '../../accounts/oauth-flows.js';
import { GatewayError } from '../../errors.js';
import {
  AccountListSchema,
  AccountSchema,
  AddApiKeyAccountSchema,
  OAuthCallbackRequestSchema,
  OAuthInitRequestSchema,
  OAuthInitResponseSchema,
  RenameAccountSchema,
  SetPrioritySchema,
} from '../../shared/accounts-schemas.js';
import { OkSchema } from '../../shared/api-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { errorResponse, jsonBody, jsonResponse, UNAUTHORIZED } from '../openapi-parts.js';
import { newRouter } from '../router.js';

const E400 = errorResponse('Invalid input; the message names the field');
const E404 = errorResponse('No account with this name');
const E409 = errorResponse('The name is taken');

const NameParam = z.object({
  name: z.string().openapi({ param: { name: 'name', in: 'path' }, example: 'work-max' }),
});

const list = createRoute({
  method: 'get',
  path: '/',
  tags: ['accounts'],
  summary: 'Accounts with status, cooldown and rate-limit windows (never credentials)',
  responses: { 200: jsonResponse(AccountListSchema, 'Accounts, by priority'), 401: UNAUTHORIZED },
});

const getOne = createRoute({
  method: 'get',
  path: '/{name}',
  tags: ['accounts'],
  summary: 'One account',
  request: { params: NameParam },
  responses: { 200: jsonResponse(AccountSchema, 'The account'), 401: UNAUTHORIZED, 404: E404 },
});

const addKey = createRoute({
  method: 'post',
  path: '/',
  tags: ['accounts'],
  summary: 'Add an account by API key (stored encrypted)',
  request: jsonBody(AddApiKeyAccountSchema),
  responses: { 201: jsonResponse(AccountSchema, 'The new account'), 400: E400, 401: UNAUTHORIZED, 409: E409 },
});

const oauthInit = createRoute({
  method: 'post',
  path: '/oauth/init',
  tags: ['accounts'],
  summary: 'Start an OAuth (PKCE) login; open authorizeUrl, then post the code#state it shows to /oauth/callback',
  request: jsonBody(OAuthInitRequestSchema),
  responses: {
    200: jsonResponse(OAuthInitResponseSchema, 'The login to complete within 10 minutes'),
    400: E400,
    401: UNAUTHORIZED,
    409: errorResponse('The name belongs to an account of another kind'),
  },
});

const oauthCallback = createRoute({
  method: 'post',
  path: '/oauth/callback',
  tags: ['accounts'],
  summary: 'Complete an OAuth login: adds the account, or signs an existing one in again',
  request: jsonBody(OAuthCallbackRequestSchema),
  responses: {
    200: jsonResponse(AccountSchema, 'The account'),
    400: errorResponse('Malformed code or state mismatch (the flow stays open)'),
    401: UNAUTHORIZED,
    404: errorResponse('Unknown, expired or already completed flow'),
    409: E409,
    502: errorResponse('The OAuth server rejected the code or failed; start again'),
  },
});

const remove = createRoute({
  method: 'delete',
  path: '/{name}',
  tags: ['accounts'],
  summary: 'Remove an account (its request records stay)',
  request: { params: NameParam },
  responses: { 200: jsonResponse(OkSchema, 'Removed'), 401: UNAUTHORIZED, 404: E404 },
});

const action = (path: string, summary: string) =>
  createRoute({
    method: 'post',
    path,
    tags: ['accounts'],
    summary,
    request: { params: NameParam },
    responses: { 200: jsonResponse(AccountSchema, 'The account'), 401: UNAUTHORIZED, 404: E404 },
  });
const pause = action('/{name}/pause', 'Pause: no traffic until resumed');
const resume = action('/{name}/resume', 'Resume: also lifts cooldowns and a disabled state (not needs_reauth)');

const rename = createRoute({
  method: 'post',
  path: '/{name}/rename',
  tags: ['accounts'],
  summary: 'Rename an account',
  request: { params: NameParam, ...jsonBody(RenameAccountSchema) },
  responses: { 200: jsonResponse(AccountSchema, 'The account'), 400: E400, 401: UNAUTHORIZED, 404: E404, 409: E409 },
});

const priority = createRoute({
  method: 'post',
  path: '/{name}/priority',
  tags: ['accounts'],
  summary: 'Set the priority (lower is tried first)',
  request: { params: NameParam, ...jsonBody(SetPrioritySchema) },
  responses: { 200: jsonResponse(AccountSchema, 'The account'), 400: E400, 401: UNAUTHORIZED, 404: E404 },
});

export function accountsRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  const { accounts, pool, logger, clock } = deps;
  const flows = deps.oauthFlows ?? new OAuthFlows(clock);

  /** The change is in the store; the pool rereads it now rather than at the next poll. */
  async function applied<T>(result: T): Promise<T> {
    await pool.refresh();
    return result;
  }

  /** The pool's rate-limit state is fresher than the stored one (persisted at most every 10 s). */
  function withLiveState(v: AccountView): AccountView {
    const live = pool.get(v.id)?.rateLimit;
    if (live && (v.rateLimit === null || live.observedAt > v.rateLimit.observedAt)) return { ...v, rateLimit: live };
    return v;
  }

  app.openapi(list, async (c) => c.json((await accounts.list()).map(withLiveState), 200));

  app.openapi(getOne, async (c) => c.json(withLiveState(await accounts.get(c.req.valid('param').name)), 200));

  app.openapi(addKey, async (c) => {
    const { name, apiKey, priority: p } = c.req.valid('json');
    const view = await applied(await accounts.addApiKey(name, apiKey, { priority: p }));
    logger.info({ account: name, kind: view.kind }, 'account added');
    return c.json(view, 201);
  });

  app.openapi(oauthInit, async (c) => {
    const { mode, name, priority: p } = c.req.valid('json');
    const existing = await accounts.checkOAuthName(name, mode);
    const start = accounts.beginOAuth(mode);
    const flow = await flows.create({ name, mode, priority: p, state: start.state, verifier: start.verifier });
    return c.json(
      { flowId: flow.flowId, authorizeUrl: start.url, expiresAt: flow.expiresAt, reauthenticate: existing !== null },
      200,
      { 'cache-control': 'no-store' },
    );
  });

  app.openapi(oauthCallback, async (c) => {
    const { flowId, code } = c.req.valid('json');
    // Taken out first so two concurrent callbacks cannot spend the single-use code twice.
    const flow = await flows.take(flowId);
    if (flow === null) {
      throw new GatewayError(
        'not_found',
        'No pending OAuth login with this flowId (unknown, completed, or older than 10 minutes); start again with /api/accounts/oauth/init',
      );
    }
    const view = await completeFlow(deps, flows, flow, code, 'account signed in with OAuth');
    return c.json(view, 200);
  });

  app.openapi(remove, async (c) => {
    const { name } = c.req.valid('param');
    await applied(await accounts.remove(name));
    logger.info({ account: name }, 'account removed');
    return c.json({ ok: true as const }, 200);
  });

  // One line per change made through the API, as for add and remove: who paused what is in the log.
  app.openapi(pause, async (c) => {
    const { name } = c.req.valid('param');
    const view = await applied(await accounts.pause(name));
    logger.info({ account: name }, 'account paused');
    return c.json(view, 200);
  });
  app.openapi(resume, async (c) => {
    const { name } = c.req.valid('param');
    const view = await applied(await accounts.resume(name));
    logger.info({ account: name }, 'account resumed');
    return c.json(view, 200);
  });

  app.openapi(rename, async (c) => {
    const { name } = c.req.valid('param');
    const { newName } = c.req.valid('json');
    const view = await applied(await accounts.rename(name, newName));
    logger.info({ account: newName, from: name }, 'account renamed');
    return c.json(view, 200);
  });

  app.openapi(priority, async (c) => {
    const { name } = c.req.valid('param');
    const { priority: p } = c.req.valid('json');
    const view = await applied(await accounts.setPriority(name, p));
    logger.info({ account: name, priority: p }, 'account priority changed');
    return c.json(view, 200);
  });

  return app;
}
