/**
 * `/api/token-usage`: tokens and cost per account and per client key in the rolling 5-hour
 * window and per day, read from the rollups (minute rollups for the window and today, hour
 * rollups for the 30 days), never from request rows.
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { GatewayError } from '../../errors.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  TOKEN_DAILY_DAYS,
  TOKEN_WINDOW_MS,
  TokenUsageCurrentQuerySchema,
  TokenUsageCurrentSchema,
  TokenUsageDailySchema,
} from '../../shared/token-usage-schemas.js';
import { currentTokenUsage, dailyTokenUsage, utcDayStart, windowStart } from '../../token-usage/token-usage.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const DAY_MS = 86_400_000;
/** Minute rollups are kept two days (storage/analytics/rollup.ts MINUTE_ROLLUP_KEEP_MS). */
const OLDEST_DAY_START_MS = 2 * DAY_MS - 60_000;

const current = createRoute({
  method: 'get',
  path: '/current',
  tags: ['token-usage'],
  summary: 'Tokens and cost per account and client key in the rolling 5-hour window, and today',
  description:
    "Each account carries its own 5h and 7d utilization as the upstream's rate-limit headers last reported " +
    'it. The window is counted to the minute. Every current account and active key is listed, idle ones with zeros.',
  request: { query: TokenUsageCurrentQuerySchema },
  responses: {
    200: { description: 'The window', content: { 'application/json': { schema: TokenUsageCurrentSchema } } },
    400: { description: 'Invalid dayStart', content: { 'application/json': { schema: ErrorResponseSchema } } },
  },
});

const daily = createRoute({
  method: 'get',
  path: '/daily',
  tags: ['token-usage'],
  summary: `Tokens and cost per UTC day for the last ${TOKEN_DAILY_DAYS} days, per account and client key`,
  responses: {
    200: { description: 'One entry per day', content: { 'application/json': { schema: TokenUsageDailySchema } } },
  },
});

export function tokenUsageRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(current, async (c) => {
    const now = deps.clock.now();
    const { dayStart: asked } = c.req.valid('query');
    if (asked !== undefined && (asked > now || asked < now - OLDEST_DAY_START_MS)) {
      throw new GatewayError('bad_request', 'Invalid query: dayStart must be within the last 2 days');
    }
    const dayStart = asked ?? utcDayStart(now);
    const from = windowStart(now, TOKEN_WINDOW_MS);
    const [window, today, accounts, keys] = await Promise.all([
      deps.store.analytics.tokenWindow(from, now + 1),
      deps.store.analytics.tokenWindow(dayStart - (dayStart % 60_000), now + 1),
      deps.store.accounts.list(),
      deps.store.keys.list(),
    ]);
    return c.json(
      currentTokenUsage({ now, from, windowMs: TOKEN_WINDOW_MS, dayStart, window, today, accounts, keys }),
      200,
    );
  });
  app.openapi(daily, async (c) => {
    const now = deps.clock.now();
    const to = utcDayStart(now) + DAY_MS;
    const from = to - TOKEN_DAILY_DAYS * DAY_MS;
    const [rows, accounts] = await Promise.all([deps.store.analytics.tokenDaily(from, to), deps.store.accounts.list()]);
    return c.json(dailyTokenUsage(from, to, rows, accounts), 200);
  });
  return app;
}
