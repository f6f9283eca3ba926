/**
 * Strategy options and quota thresholds from the settings (config/settings.ts). Percents in the
 * settings (what users read on the dashboard bars), fractions inside (what the
 * `anthropic-ratelimit-unified-*-utilization` headers carry, protocol.md section 3).
 */
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

/** One window's thresholds in percent as the settings hold them; a missing key: none set here. */
export interface WindowPercent {
  '5h'?: number;
  '7d'?: number;
}
export type FamilyPercent = Partial<Record<ModelFamily, WindowPercent>>;

const FAMILIES: readonly ModelFamily[] = ['opus', 'sonnet', 'haiku'];

/** A problem at `path` (dotted, '' for the document itself). */
class ShapeError extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

function objectAt(v: unknown, path: string): Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ShapeError(path, 'expected an object');
  return v as Record<string, unknown>;
}

const join = (path: string, key: string) => (path === '' ? key : `${path}.${key}`);

/** An account's entry in the document. */
type AccountPercent = WindowPercent & { perFamily?: FamilyPercent };

/** A window's percents; with `withFamilies`, also its own `perFamily` (an account's entry). */
function windowAt(v: unknown, path: string, withFamilies: boolean): AccountPercent {
  const w: AccountPercent = {};
  for (const [k, x] of Object.entries(objectAt(v, path))) {
    const at = join(path, k);
    if (k === '5h' || k === '7d') {
      if (typeof x !== 'number' || !(x >= 0 && x <= 1000)) throw new ShapeError(at, 'expected a number from 0 to 1000');
      w[k] = x;
    } else if (withFamilies && k === 'perFamily') w.perFamily = familiesAt(x, at);
    else throw new ShapeError(at, `unknown key (expected 5h, 7d${withFamilies ? ', perFamily' : ''})`);
  }
  return w;
}

function familiesAt(v: unknown, path: string): FamilyPercent {
  const out: FamilyPercent = {};
  for (const [k, x] of Object.entries(objectAt(v, path))) {
    if (!(FAMILIES as readonly string[]).includes(k)) {
      throw new ShapeError(join(path, k), `unknown model family (expected ${FAMILIES.join(', ')})`);
    }
    out[k as ModelFamily] = windowAt(x, join(path, k), false);
  }
  return out;
}

/**
 * The thresholds document, read by hand rather than with a zod schema: this module is on the
 * way of every command that opens the store (`accounts`, `config`), and loading zod (95 files)
 * was half of their start: `accounts list` 0.40 -> 0.21 s (2026-12-07, alternated runs). The
 * shape is small and fixed:
 * `{"perFamily":{<family>:W},"perAccount":{<name>:W & {"perFamily":{<family>:W}}}}`, W
 * `{"5h"?:percent,"7d"?:percent}`, percents 0-1000, no other keys.
 */
function documentAt(v: unknown): { perFamily?: FamilyPercent; perAccount?: Record<string, AccountPercent> } {
  const out: ReturnType<typeof documentAt> = {};
  for (const [k, x] of Object.entries(objectAt(v, ''))) {
    if (k === 'perFamily') out.perFamily = familiesAt(x, k);
    else if (k === 'perAccount') {
      const accounts: Record<string, AccountPercent> = {};
      for (const [name, a] of Object.entries(objectAt(x, k))) accounts[name] = windowAt(a, join(k, name), true);
      out.perAccount = accounts;
    } else throw new ShapeError(k, 'unknown key (expected perFamily, perAccount)');
  }
  return out;
}

function win(w: WindowPercent | undefined): WindowThresholds {
  return {
    fiveHour: w?.['5h'] === undefined ? null : w['5h'] / 100,
    sevenDay: w?.['7d'] === undefined ? null : w['7d'] / 100,
  };
}

function families(f: FamilyPercent | undefined): Partial<Record<ModelFamily, WindowThresholds>> {
  const out: Partial<Record<ModelFamily, WindowThresholds>> = {};
  if (!f) return out;
  for (const k of FAMILIES) if (f[k]) out[k] = win(f[k]);
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
  let doc: ReturnType<typeof documentAt>;
  try {
    doc = documentAt(json);
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
    throw new GatewayError(
      'config_invalid',
      `CCFLARE_QUOTA_THRESHOLDS: ${e.path || '(top)'}: ${e.message}; expected {"perFamily":{"opus":{"7d":50}},"perAccount":{"name":{"5h":90}}} with percents 0-1000`,
    );
  }
  const perAccount: NonNullable<Thresholds['perAccount']> = {};
  for (const [name, a] of Object.entries(doc.perAccount ?? {})) {
    perAccount[name] = { ...win(a), perFamily: families(a.perFamily) };
  }
  return { global, perFamily: families(doc.perFamily), perAccount };
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

/**
 * Every threshold that is set, where it is set, in percent: the form the UIs edit
 * (`PUT /api/strategy/thresholds`). `global` is off where null.
 */
export interface ThresholdSettings {
  global: { '5h': number | null; '7d': number | null };
  perFamily: FamilyPercent;
  perAccount: Record<string, AccountPercent>;
}

/** The editable form of the settings (already checked by live-settings.ts or at start). */
export function thresholdSettingsOf(
  v: Pick<ConfigValues, 'quotaThreshold5h' | 'quotaThreshold7d' | 'quotaThresholds'>,
): ThresholdSettings {
  const raw = v.quotaThresholds.trim();
  let doc: ReturnType<typeof documentAt> = {};
  try {
    if (raw !== '') doc = documentAt(JSON.parse(raw));
  } catch (e) {
    if (!(e instanceof ShapeError)) throw e;
  }
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
  for (const k of FAMILIES) {
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
