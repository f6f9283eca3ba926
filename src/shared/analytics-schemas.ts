/**
 * Shapes of `/api/analytics` and `/api/stats`. Ratios and averages are null when there was
 * nothing to divide (no requests, no tokens), so charts show a gap rather than a false zero.
 */
import { z } from './zod-openapi.js';

export const ANALYTICS_RANGES = ['1h', '6h', '24h', '7d', '30d'] as const;
export const ANALYTICS_STATUSES = ['success', 'error', 'all'] as const;

export const TokenCountsSchema = z
  .object({
    input: z.number().int(),
    cacheRead: z.number().int(),
    cacheWrite5m: z.number().int(),
    cacheWrite1h: z.number().int(),
    output: z.number().int(),
    total: z.number().int(),
  })
  .openapi('TokenCounts');
export type TokenCounts = z.infer<typeof TokenCountsSchema>;

const perfFields = {
  requests: z.number().int(),
  successes: z.number().int(),
  errors: z.number().int(),
  successRate: z.number().nullable().openapi({ description: 'successes / requests (0..1)' }),
  avgLatencyMs: z.number().nullable(),
  p95LatencyMs: z
    .number()
    .nullable()
    .openapi({ description: 'Estimated from a latency histogram (log-spaced buckets, linear within a bucket)' }),
  avgTtftMs: z.number().nullable().openapi({ description: 'Mean time to first token over requests that had one' }),
  outputTokensPerSecond: z
    .number()
    .nullable()
    .openapi({ description: 'Mean of the per-request output tokens per second' }),
  tokens: TokenCountsSchema,
  costUsd: z.number().openapi({
    description:
      'Sum of known costs, USD: models without a price count 0 (`unpriced` says how many requests that leaves out)',
  }),
  cacheHitRate: z
    .number()
    .nullable()
    .openapi({ description: 'cacheRead / (input + cacheRead + cacheWrite5m + cacheWrite1h)' }),
  failovers: z.number().int().openapi({
    description:
      'Moves to an account the request had not tried yet, summed (retries on the same account are not counted)',
  }),
};

export const PerfSummarySchema = z.object(perfFields).openapi('PerfSummary');
export type PerfSummary = z.infer<typeof PerfSummarySchema>;

export const ModelPerfSchema = z
  .object({ model: z.string().nullable().openapi({ description: 'null: no model known' }), ...perfFields })
  .openapi('ModelPerf');

const accountPerfFields = {
  accountId: z.string().nullable().openapi({ description: 'null: requests no account served (none available)' }),
  name: z.string().nullable().openapi({ description: 'Current name, or the last recorded one of a removed account' }),
  ...perfFields,
};

export const AccountPerfSchema = z.object(accountPerfFields).openapi('AccountPerf');

export const AgentPerfSchema = z
  .object({
    agent: z.string().nullable().openapi({
      description:
        "Agent name: `main`, `subagent` (definition unknown) or a sub-agent's name; null: requests attributed to no agent",
    }),
    ...perfFields,
    p50LatencyMs: z.number().nullable().openapi({ description: 'Estimated from the latency histogram, as p95' }),
  })
  .openapi('AgentPerf');
export type AgentPerf = z.infer<typeof AgentPerfSchema>;

export const SeriesPointSchema = z
  .object({
    ts: z.number().int().openapi({ description: 'Bucket start, Unix ms' }),
    requests: z.number().int(),
    successes: z.number().int(),
    errors: z.number().int(),
    successRate: z.number().nullable(),
    avgLatencyMs: z.number().nullable(),
    avgTtftMs: z.number().nullable(),
    outputTokensPerSecond: z.number().nullable(),
    outputTokensPerSecondMin: z
      .number()
      .nullable()
      .openapi({ description: "Slowest single request's output tokens per second in the bucket" }),
    outputTokensPerSecondMax: z
      .number()
      .nullable()
      .openapi({ description: "Fastest single request's output tokens per second in the bucket" }),
    tokens: TokenCountsSchema,
    costUsd: z.number(),
    cacheHitRate: z.number().nullable(),
  })
  .openapi('SeriesPoint');
export type SeriesPoint = z.infer<typeof SeriesPointSchema>;

export const ModelSeriesSchema = z
  .object({
    model: z.string().nullable().openapi({ description: 'null: no model known' }),
    series: z.array(SeriesPointSchema).openapi({ description: 'Every bucket of the window, oldest first' }),
  })
  .openapi('ModelSeries');

export const UnpricedSchema = z
  .object({
    requests: z.number().int(),
    models: z.array(z.string()).openapi({ description: 'Most requests first' }),
  })
  .openapi('Unpriced', {
    description:
      'Requests of models without a price (tokens recorded, cost unknown): no cost figure includes them, so a total is partial when this is not 0',
  });

export const AnalyticsSchema = z
  .object({
    range: z.enum(ANALYTICS_RANGES),
    from: z.number().int().openapi({ description: 'Window start (inclusive), Unix ms: whole buckets' }),
    to: z.number().int().openapi({ description: 'Window end (exclusive); the last bucket holds the current time' }),
    bucketMs: z.number().int().openapi({ description: '1h: 1 min, 6h: 5 min, 24h: 15 min, 7d: 1 h, 30d: 6 h' }),
    filters: z.object({
      accounts: z.array(z.string()),
      models: z.array(z.string()),
      agents: z.array(z.string()),
      status: z.enum(ANALYTICS_STATUSES),
    }),
    totals: PerfSummarySchema,
    previous: z
      .object({
        from: z.number().int(),
        to: z.number().int(),
        totals: PerfSummarySchema,
      })
      .openapi({
        description:
          'The window of the same length just before this one (same filters), for trends: "+12% vs the previous 24h"',
      }),
    series: z.array(SeriesPointSchema).openapi({ description: 'Every bucket of the window, oldest first' }),
    modelSeries: z.array(ModelSeriesSchema).optional().openapi({
      description: 'One series per model (the order of `models`); only with `modelSeries=true`',
    }),
    tokens: TokenCountsSchema.openapi({ description: 'Token breakdown of the window' }),
    models: z.array(ModelPerfSchema).openapi({ description: 'Per model, most requests first' }),
    accounts: z.array(AccountPerfSchema).openapi({ description: 'Per account, most requests first' }),
    costByModel: z
      .array(
        z.object({
          model: z.string().nullable(),
          costUsd: z.number(),
          priced: z
            .boolean()
            .openapi({ description: 'false: the model has no price, so its cost is unknown (costUsd 0)' }),
          share: z.number().nullable().openapi({ description: 'Of the total cost (0..1)' }),
        }),
      )
      .openapi({ description: 'Most expensive first' }),
    unpriced: UnpricedSchema,
    agents: z.array(AgentPerfSchema).openapi({
      description: 'Per agent, most requests first; the unattributed rest last (left out under an agent filter)',
    }),
  })
  .openapi('Analytics');
export type Analytics = z.infer<typeof AnalyticsSchema>;

const listParam = (what: string) =>
  z
    .string()
    .max(4000)
    .transform((v, ctx) => {
      const items = v.split(',').map((s) => s.trim());
      if (v.trim() === '') return [];
      if (items.some((s) => s === '')) {
        ctx.addIssue({ code: 'custom', message: 'empty item in the comma-separated list' });
        return z.NEVER;
      }
      return [...new Set(items)];
    })
    .optional()
    .openapi({ type: 'string', description: what });

export const AnalyticsQuerySchema = z
  .strictObject({
    range: z.enum(ANALYTICS_RANGES).default('24h').openapi({ description: 'Time window ending now' }),
    accounts: listParam('Comma-separated account ids or names'),
    models: listParam('Comma-separated models'),
    agents: listParam(
      'Comma-separated agent names (main, subagent, a sub-agent name): every figure then counts only their requests',
    ),
    status: z.enum(ANALYTICS_STATUSES).default('all'),
    modelSeries: z
      .enum(['true', 'false'])
      .default('false')
      .transform((v) => v === 'true')
      .openapi({ type: 'string', description: '`true`: also answer one series per model (`modelSeries`)' }),
  })
  .openapi('AnalyticsQuery');

export const StatsAccountSchema = z
  .object({
    ...accountPerfFields,
    exists: z.boolean().openapi({ description: 'false: history of a removed account' }),
    lastUsedAt: z.number().int().nullable(),
    requestCount: z
      .number()
      .int()
      .nullable()
      .openapi({ description: "The account's request counter (reset by POST /api/stats/reset)" }),
    sessionRequestCount: z.number().int().nullable().openapi({ description: 'Requests in the current session window' }),
  })
  .openapi('StatsAccount');

export const RecentErrorSchema = z
  .object({
    id: z.string(),
    ts: z.number().int(),
    accountId: z.string().nullable(),
    accountName: z.string().nullable(),
    model: z.string().nullable(),
    method: z.string(),
    path: z.string(),
    status: z.number().int().nullable(),
    error: z.string().nullable(),
    latencyMs: z.number(),
  })
  .openapi('RecentError');

export const StatsSchema = z
  .object({
    since: z
      .number()
      .int()
      .nullable()
      .openapi({ description: 'Start of the oldest retained hour the totals cover; null when empty' }),
    totals: PerfSummarySchema,
    unpriced: UnpricedSchema,
    accounts: z.array(StatsAccountSchema).openapi({
      description: 'Every account (in routing order), then removed accounts and account-less requests with history',
    }),
    agents: z
      .array(AgentPerfSchema)
      .openapi({ description: 'Per agent, most requests first; the unattributed rest last' }),
    recentErrors: z.array(RecentErrorSchema).openapi({ description: 'Newest first' }),
  })
  .openapi('Stats');
export type Stats = z.infer<typeof StatsSchema>;

export const StatsQuerySchema = z.strictObject({
  recentErrors: z.coerce
    .number()
    .int()
    .min(0)
    .max(200)
    .default(20)
    .openapi({ description: 'How many recent errors to list (0-200)' }),
});

export const StatsResetSchema = z
  .object({
    accountsReset: z.number().int(),
  })
  .openapi('StatsReset');
