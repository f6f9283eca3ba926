/** Shape of `GET /api/strategy`: why the next request goes where it goes. */
import { z } from './zod-openapi.js';

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

const Percent = z.number().min(0).max(1000);
const WindowPercentSchema = z
  .object({ '5h': Percent.optional(), '7d': Percent.optional() })
  .strict()
  .openapi('ThresholdWindowPercent', { description: 'Percent of the window (90 = 90 %); a missing key: not set here' });
const FamilyPercentSchema = z
  .object({
    opus: WindowPercentSchema.optional(),
    sonnet: WindowPercentSchema.optional(),
    haiku: WindowPercentSchema.optional(),
  })
  .strict()
  .openapi('ThresholdFamilyPercent', { description: 'Per model family (their weekly limits differ)' });
const GlobalPercent = z.number().int().min(0).max(1000).nullable();

export const ThresholdSettingsSchema = z
  .object({
    global: z
      .object({ '5h': GlobalPercent, '7d': GlobalPercent })
      .openapi({ description: 'Whole percents for every account and model; null (or 0): off' }),
    perFamily: FamilyPercentSchema,
    perAccount: z
      .record(z.string(), WindowPercentSchema.extend({ perFamily: FamilyPercentSchema.optional() }).strict())
      .openapi({ description: 'By account name; its own perFamily wins over everything else' }),
  })
  .strict()
  .openapi('ThresholdSettings', {
    description:
      'Quota thresholds where they are set, in percent. The most specific wins: account+family, account, family, global.',
  });
export type ThresholdSettingsView = z.infer<typeof ThresholdSettingsSchema>;

export const ThresholdEditSchema = z
  .object({
    thresholds: ThresholdSettingsSchema,
    pinnedBy: z.array(z.string()).openapi({
      description:
        'Environment variables (or flags) that set some of these and win over edits here; empty: all editable',
    }),
  })
  .openapi('ThresholdEdit');

export const StrategyViewSchema = z
  .object({
    strategy: z.string(),
    strategyPinnedBy: z
      .string()
      .nullable()
      .openapi({ description: 'The environment variable (or flag) that fixes the strategy; null: switchable here' }),
    strategies: z
      .array(z.object({ name: z.string(), spreadsSessions: z.boolean() }))
      .openapi({ description: 'Every strategy, and whether it moves one session between accounts' }),
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
    thresholdSettings: ThresholdEditSchema.openapi({
      description: 'The thresholds as set (global, per family, per account), the form PUT /thresholds takes',
    }),
  })
  .openapi('StrategyView');
export type StrategyView = z.infer<typeof StrategyViewSchema>;

export const StrategyQuerySchema = z.object({
  model: z.string().optional().openapi({ description: 'Model id, for per-family thresholds and model cooldowns' }),
});
