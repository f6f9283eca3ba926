/**
 * Strategy options and quota thresholds from the settings (config/settings.ts). Percents in the
 * settings (what users read on the dashboard bars), fractions inside (what the
 * `anthropic-ratelimit-unified-*-utilization` headers carry, protocol.md section 3).
 */
import { z } from 'zod';
import type { ConfigValues } from '../config/settings.js';
import { GatewayError } from '../errors.js';
import {
  DEFAULT_STRATEGY_OPTIONS,
  type HybridWeights,
  type ModelFamily,
  type StrategyOptions,
  type Thresholds,
  type WindowThresholds,
} from './route-types.js';

const Pct = z.number().min(0).max(1000);
const WindowSchema = z.object({ '5h': Pct.optional(), '7d': Pct.optional() }).strict();
const FamiliesSchema = z
  .object({ opus: WindowSchema.optional(), sonnet: WindowSchema.optional(), haiku: WindowSchema.optional() })
  .strict();
const ThresholdsSchema = z
  .object({
    perFamily: FamiliesSchema.optional(),
    perAccount: z.record(z.string(), WindowSchema.extend({ perFamily: FamiliesSchema.optional() }).strict()).optional(),
  })
  .strict();

type WindowPct = z.infer<typeof WindowSchema>;

function win(w: WindowPct | undefined): WindowThresholds {
  return {
    fiveHour: w?.['5h'] === undefined ? null : w['5h'] / 100,
    sevenDay: w?.['7d'] === undefined ? null : w['7d'] / 100,
  };
}

function families(f: z.infer<typeof FamiliesSchema> | undefined): Partial<Record<ModelFamily, WindowThresholds>> {
  const out: Partial<Record<ModelFamily, WindowThresholds>> = {};
  if (!f) return out;
  for (const k of ['opus', 'sonnet', 'haiku'] as const) if (f[k]) out[k] = win(f[k]);
  return out;
}

/** Thresholds from the settings, or null when none is set (the strategies then skip the check). */
export function thresholdsFrom(
  v: Pick<ConfigValues, 'quotaThreshold5h' | 'quotaThreshold7d' | 'quotaThresholds'>,
): Thresholds | null {
  const global: WindowThresholds = {
    fiveHour: v.quotaThreshold5h > 0 ? v.quotaThreshold5h / 100 : null,
    sevenDay: v.quotaThreshold7d > 0 ? v.quotaThreshold7d / 100 : null,
  };
  const raw = v.quotaThresholds.trim();
  if (raw === '') return global.fiveHour === null && global.sevenDay === null ? null : { global };
  let json: unknown;
  try {
    json = JSON.parse(raw);
  } catch (e) {
    throw new GatewayError('config_invalid', `CCFLARE_QUOTA_THRESHOLDS is not JSON: ${(e as Error).message}`);
  }
  const parsed = ThresholdsSchema.safeParse(json);
  if (!parsed.success) {
    const i = parsed.error.issues[0];
    throw new GatewayError(
      'config_invalid',
      `CCFLARE_QUOTA_THRESHOLDS: ${i ? `${i.path.join('.') || '(top)'}: ${i.message}` : 'invalid'}; expected {"perFamily":{"opus":{"7d":50}},"perAccount":{"name":{"5h":90}}} with percents 0-1000`,
    );
  }
  const perAccount: NonNullable<Thresholds['perAccount']> = {};
  for (const [name, a] of Object.entries(parsed.data.perAccount ?? {})) {
    perAccount[name] = { ...win(a), perFamily: families(a.perFamily) };
  }
  return { global, perFamily: families(parsed.data.perFamily), perAccount };
}

export function hybridWeightsFrom(s: string): HybridWeights {
  const parts = s.split(',').map((x) => Number(x.trim()));
  const [health, bucket, quota, rest] = parts;
  if (
    parts.length !== 4 ||
    health === undefined ||
    bucket === undefined ||
    quota === undefined ||
    rest === undefined ||
    parts.some((n) => !Number.isFinite(n) || n < 0)
  ) {
    throw new GatewayError(
      'config_invalid',
      `CCFLARE_HYBRID_WEIGHTS must be four non-negative numbers health,bucket,quota,rest (like 2,5,1,0.1), not "${s}"`,
    );
  }
  return { health, bucket, quota, rest };
}

export function hybridBucketFrom(s: string): { bucketCapacity: number; bucketRefillPerMin: number } {
  const parts = s.split(',').map((x) => Number(x.trim()));
  const [cap, refill] = parts;
  if (parts.length !== 2 || cap === undefined || refill === undefined || !(cap >= 1) || !(refill >= 0)) {
    throw new GatewayError(
      'config_invalid',
      `CCFLARE_HYBRID_BUCKET must be capacity,refill per minute (like 50,6; capacity at least 1), not "${s}"`,
    );
  }
  return { bucketCapacity: cap, bucketRefillPerMin: refill };
}

export function strategyOptionsFrom(
  v: Pick<ConfigValues, 'stickyWaitMs' | 'strategyAffinity' | 'hybridWeights'> &
    Partial<Pick<ConfigValues, 'hybridBucket'>>,
): StrategyOptions {
  return {
    ...DEFAULT_STRATEGY_OPTIONS,
    ...hybridBucketFrom(v.hybridBucket ?? '50,6'),
    stickyMaxWaitMs: v.stickyWaitMs,
    sessionAffinity: v.strategyAffinity,
    hybridWeights: hybridWeightsFrom(v.hybridWeights),
  };
}

/** One window's thresholds in percent as the settings hold them; a missing key: none set here. */
export interface WindowPercent {
  '5h'?: number;
  '7d'?: number;
}
export type FamilyPercent = Partial<Record<ModelFamily, WindowPercent>>;

/**
 * Every threshold that is set, where it is set, in percent: the form the UIs edit
 * (`PUT /api/strategy/thresholds`). `global` is off where null.
 */
export interface ThresholdSettings {
  global: { '5h': number | null; '7d': number | null };
  perFamily: FamilyPercent;
  perAccount: Record<string, WindowPercent & { perFamily?: FamilyPercent }>;
}

/** The editable form of the settings (already checked by live-settings.ts or at start). */
export function thresholdSettingsOf(
  v: Pick<ConfigValues, 'quotaThreshold5h' | 'quotaThreshold7d' | 'quotaThresholds'>,
): ThresholdSettings {
  const raw = v.quotaThresholds.trim();
  const parsed = raw === '' ? null : ThresholdsSchema.safeParse(JSON.parse(raw));
  const doc = parsed?.success ? parsed.data : {};
  return {
    global: {
      '5h': v.quotaThreshold5h > 0 ? v.quotaThreshold5h : null,
      '7d': v.quotaThreshold7d > 0 ? v.quotaThreshold7d : null,
    },
    perFamily: doc.perFamily ?? {},
    perAccount: doc.perAccount ?? {},
  };
}

function windowSet(w: WindowPercent | undefined): w is WindowPercent {
  return w !== undefined && (w['5h'] !== undefined || w['7d'] !== undefined);
}

function familiesSet(f: FamilyPercent | undefined): FamilyPercent | undefined {
  if (!f) return undefined;
  const out: FamilyPercent = {};
  for (const k of ['opus', 'sonnet', 'haiku'] as const) {
    const w = f[k];
    if (windowSet(w)) out[k] = w;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

/**
 * The settings that hold `t`: the global percents and the JSON document of the rest, with
 * empty entries left out ('' when nothing but the global ones is set).
 */
export function thresholdSettingValues(
  t: ThresholdSettings,
): Pick<ConfigValues, 'quotaThreshold5h' | 'quotaThreshold7d' | 'quotaThresholds'> {
  const doc: { perFamily?: FamilyPercent; perAccount?: ThresholdSettings['perAccount'] } = {};
  const fam = familiesSet(t.perFamily);
  if (fam) doc.perFamily = fam;
  const perAccount: ThresholdSettings['perAccount'] = {};
  for (const [name, a] of Object.entries(t.perAccount)) {
    const entry: WindowPercent & { perFamily?: FamilyPercent } = {};
    if (a['5h'] !== undefined) entry['5h'] = a['5h'];
    if (a['7d'] !== undefined) entry['7d'] = a['7d'];
    const f = familiesSet(a.perFamily);
    if (f) entry.perFamily = f;
    if (Object.keys(entry).length > 0) perAccount[name] = entry;
  }
  if (Object.keys(perAccount).length > 0) doc.perAccount = perAccount;
  return {
    quotaThreshold5h: t.global['5h'] ?? 0,
    quotaThreshold7d: t.global['7d'] ?? 0,
    quotaThresholds: Object.keys(doc).length > 0 ? JSON.stringify(doc) : '',
  };
}
