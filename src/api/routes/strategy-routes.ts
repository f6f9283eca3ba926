/**
 * `/api/strategy`: the live strategy, each account's score, thresholds and windows, and the next
 * order; `PUT /api/strategy/thresholds` edits the quota thresholds (stored as the live settings
 * quotaThreshold5h, quotaThreshold7d and quotaThresholds, so the next request uses them).
 */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { STRATEGIES } from '../../config/settings.js';
import { modelFamilyKey } from '../../pricing/model-family.js';
import { thresholdSettingsOf, thresholdSettingValues } from '../../routing/routing-config.js';
import { unusableReason } from '../../routing/session-strategy.js';
import { bucketNow, healthNow, pastThreshold, scoreParts, thresholdsFor } from '../../routing/strategies.js';
import { formatReason, SPREADS_SESSIONS } from '../../routing/strategy.js';
import { ErrorResponseSchema } from '../../shared/api-schemas.js';
import {
  StrategyQuerySchema,
  type StrategyView,
  StrategyViewSchema,
  ThresholdSettingsSchema,
} from '../../shared/strategy-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

const errorResponse = (description: string) => ({
  description,
  content: { 'application/json': { schema: ErrorResponseSchema } },
});

const view = createRoute({
  method: 'get',
  path: '/',
  tags: ['strategy'],
  summary: 'Strategy state and the order the next request would try',
  description:
    'Per account: hybrid score and its parts, effective quota thresholds, 5h/7d window state. `nextOrder` is ' +
    'computed with the same routing state the proxy uses, for a request without a client session.',
  request: { query: StrategyQuerySchema },
  responses: {
    200: { description: 'Strategy state', content: { 'application/json': { schema: StrategyViewSchema } } },
  },
});

const putThresholds = createRoute({
  method: 'put',
  path: '/thresholds',
  tags: ['strategy'],
  summary: 'Set the quota thresholds: global, per model family and per account, in percent',
  description:
    'Replaces every threshold with the document given (what GET returns as `thresholdSettings.thresholds`). ' +
    'Stored as the runtime settings quotaThreshold5h, quotaThreshold7d and quotaThresholds; applied to the next ' +
    'request. Accounts are named by name. Answers the strategy state after the change.',
  request: {
    query: StrategyQuerySchema,
    body: { required: true, content: { 'application/json': { schema: ThresholdSettingsSchema } } },
  },
  responses: {
    200: {
      description: 'Strategy state after the change',
      content: { 'application/json': { schema: StrategyViewSchema } },
    },
    400: errorResponse('Invalid thresholds; nothing changed'),
    401: errorResponse('Admin key missing or wrong'),
    409: errorResponse('A threshold that changes is pinned by an environment variable or flag (named in the message)'),
  },
});

const THRESHOLD_KEYS = ['quotaThreshold5h', 'quotaThreshold7d', 'quotaThresholds'] as const;

function strategyView(deps: ApiDeps, model: string | undefined): StrategyView {
  const now = deps.clock.now();
  const modelKey = model === undefined || model === '' ? null : modelFamilyKey(model);
  const r = deps.routing;
  const accounts = deps.pool.list();
  const settings = deps.liveSettings.describe();
  const input = {
    now,
    sessionMs: deps.liveSettings.current().sessionMs,
    modelKey,
    affinityAccountId: null,
    exclude: new Set<string>(),
  };
  const d = r.decide(accounts, input);
  const ctx = { ...input, thresholds: r.thresholds, options: r.options };
  const strategy = r.strategy();
  return {
    strategy,
    strategyPinnedBy: settings.strategy.pinned ? settings.strategy.env : null,
    strategies: STRATEGIES.map((name) => ({ name, spreadsSessions: SPREADS_SESSIONS.has(name) })),
    spreadsSessions: SPREADS_SESSIONS.has(strategy),
    model: model ?? null,
    nextOrder: d.order.map((a, i) => ({
      account: a.name,
      reason: formatReason(d.reasons[i] ?? { kind: 'priority', priority: a.priority }),
    })),
    delayMs: d.delayMs,
    accounts: accounts.map((a) => ({
      id: a.id,
      name: a.name,
      unusable: unusableReason(a, now, modelKey),
      thresholds: thresholdsFor(r.thresholds, a, modelKey),
      pastThreshold: pastThreshold(a, ctx),
      fiveHour: a.rateLimit?.fiveHour ?? null,
      sevenDay: a.rateLimit?.sevenDay ?? null,
      sevenDayByFamily: {
        opus: a.rateLimit?.sevenDayByFamily?.opus ?? null,
        sonnet: a.rateLimit?.sevenDayByFamily?.sonnet ?? null,
        haiku: a.rateLimit?.sevenDayByFamily?.haiku ?? null,
      },
      health: healthNow(r.state, a.id, now),
      bucketTokens: bucketNow(r.state, a.id, now, r.options),
      score: scoreParts(a, ctx, r.state),
    })),
    thresholdSettings: {
      thresholds: thresholdSettingsOf(deps.liveSettings.current()),
      pinnedBy: THRESHOLD_KEYS.filter((k) => settings[k].pinned).map((k) => settings[k].env),
    },
  };
}

export function strategyRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(view, (c) => c.json(strategyView(deps, c.req.valid('query').model), 200));
  app.openapi(putThresholds, async (c) => {
    const next = thresholdSettingValues(c.req.valid('json'));
    const current = deps.liveSettings.current();
    // Only what changes is written, so a threshold pinned by the environment does not block the others.
    const patch: Record<string, unknown> = {};
    for (const k of THRESHOLD_KEYS) if (next[k] !== current[k]) patch[k] = next[k];
    if (Object.keys(patch).length > 0) {
      await deps.liveSettings.update(patch);
      deps.logger.info({ settings: patch }, 'quota thresholds changed through the API');
    }
    return c.json(strategyView(deps, c.req.valid('query').model), 200);
  });
  return app;
}
