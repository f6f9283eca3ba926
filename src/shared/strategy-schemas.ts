/** Shape of `GET /api/strategy`: why the next request goes where it goes. */
import { z } from '@hono/zod-openapi';

const WindowSchema = z
  .object({
    utilization: z.number().nullable().openapi({ description: 'Fraction used (0.42), from the last response headers' }),
    resetAt: z.number().int().nullable().openapi({ description: 'Unix ms' }),
    status: z.string().nullable(),
  })
  .openapi('StrategyWindow');

const LimitsSchema = z.object({
  fiveHour: z.number().nullable().openapi({ description: 'Fraction; null: none' }),
  sevenDay: z.number().nullable(),
});

const ScorePartsSchema = z
  .object({ health: z.number(), bucket: z.number(), quota: z.number(), rest: z.number(), total: z.number() })
  .openapi('ScoreParts', { description: 'hybrid score: health×w + bucket fill×w + remaining 5h quota×w + rest×w' });

export const StrategyViewSchema = z
  .object({
    strategy: z.string(),
    spreadsSessions: z.boolean().openapi({
      description:
        'The strategy moves one Claude Code session between accounts: cold prompt caches, and may look like account sharing',
    }),
    model: z.string().nullable().openapi({ description: 'Model the order is for (?model=), null: any' }),
    nextOrder: z
      .array(z.object({ account: z.string(), reason: z.string() }))
      .openapi({ description: 'Accounts the next request (no client session) would try, in order, and why' }),
    delayMs: z.number().int().openapi({ description: 'Wait the strategy would ask for before the first attempt' }),
    accounts: z.array(
      z.object({
        id: z.string(),
        name: z.string(),
        unusable: z
          .string()
          .nullable()
          .openapi({ description: 'Why it cannot serve now (paused, cooling down…); null: it can' }),
        thresholds: LimitsSchema.openapi({ description: 'Effective quota thresholds (most specific wins)' }),
        pastThreshold: z.boolean(),
        fiveHour: WindowSchema.nullable(),
        sevenDay: WindowSchema.nullable(),
        sevenDayByFamily: z
          .object({ opus: WindowSchema.nullable(), sonnet: WindowSchema.nullable(), haiku: WindowSchema.nullable() })
          .openapi({
            description:
              'Per-model weekly windows from the usage endpoint (seven_day_opus, ...); null: not known (never read, or the endpoint has none for that family). A request of that family is checked against the fuller of it and sevenDay',
          }),
        health: z.number().openapi({ description: 'hybrid health 0-100, recovering passively' }),
        bucketTokens: z.number().openapi({ description: 'hybrid token bucket fill' }),
        score: ScorePartsSchema,
      }),
    ),
  })
  .openapi('StrategyView');
export type StrategyView = z.infer<typeof StrategyViewSchema>;

export const StrategyQuerySchema = z.object({
  model: z.string().optional().openapi({ description: 'Model id, for per-family thresholds and model cooldowns' }),
});
