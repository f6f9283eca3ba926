/** `/api/strategy`: the live strategy, each account's score, thresholds and windows, and the next order. */
import { createRoute, type OpenAPIHono } from '@hono/zod-openapi';
import { modelFamilyKey } from '../../pricing/model-family.js';
import { unusableReason } from '../../routing/session-strategy.js';
import { bucketNow, healthNow, pastThreshold, scoreParts, thresholdsFor } from '../../routing/strategies.js';
import { formatReason, SPREADS_SESSIONS } from '../../routing/strategy.js';
import { StrategyQuerySchema, StrategyViewSchema } from '../../shared/strategy-schemas.js';
import type { ApiDeps } from '../api-deps.js';
import { newRouter } from '../router.js';

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

export function strategyRoutes(deps: ApiDeps): OpenAPIHono {
  const app = newRouter();
  app.openapi(view, (c) => {
    const { model } = c.req.valid('query');
    const now = deps.clock.now();
    const modelKey = model === undefined || model === '' ? null : modelFamilyKey(model);
    const r = deps.routing;
    const accounts = deps.pool.list();
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
    return c.json(
      {
        strategy,
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
      },
      200,
    );
  });
  return app;
}
