/**
 * The settings that may change while the gateway runs (strategy and its options and quota
 * thresholds, session window, retention, payload capture), resolved as flags > environment > database > config file > defaults.
 *
 * The hot path calls `current()`, which returns a plain object swapped on change: no database
 * access per request. Changes come in two ways: through `update()` (the management API, applied
 * at once) and through the `settings_rev` counter in the database, watched every `pollMs` like the
 * accounts revision (revision-watch.ts), so a change made by another instance or the CLI lands
 * within a second.
 */
import type { Logger } from 'pino';
import type { Clock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { type RevisionWatch, watchRevision } from '../revision-watch.js';
import { hybridBucketFrom, hybridWeightsFrom, thresholdSettingsOf, thresholdsFrom } from '../routing/routing-config.js';
import { LIVE_SETTING_KEYS, type LiveSettingKey } from '../shared/live-setting-keys.js';
import type { Store } from '../storage/contract/store.js';
import { type Config, configSource, describeSetting, parseSetting, type SettingSource } from './config.js';
import { type ConfigValues, SETTINGS, type SettingDef } from './settings.js';

export { LIVE_SETTING_KEYS, type LiveSettingKey };

export type RuntimeSettings = Readonly<Pick<ConfigValues, LiveSettingKey>>;

/** What the proxy needs: the effective settings now. */
export interface RuntimeSettingsSource {
  current(): RuntimeSettings;
}

export interface SettingState {
  value: RuntimeSettings[LiveSettingKey];
  source: SettingSource;
  /** The environment variable that pins the setting when set. */
  env: string;
  /** Set by a flag or the environment: runtime writes are refused. */
  pinned: boolean;
  doc: string;
  /** The values the server accepts, so a UI can check input before sending it. */
  accepts: SettingAccepts;
}

export type SettingAccepts =
  | { kind: 'int'; min: number; max: number }
  /** Milliseconds, value and range alike; the UIs show and take units (5h). */
  | { kind: 'duration'; min: number; max: number }
  | { kind: 'enum'; values: string[] }
  | { kind: 'bool' }
  /** A Claude model id or alias (shared/model-ids.ts); empty for none. */
  | { kind: 'model'; examples: string[] }
  /** One line of text in the format of `example`. */
  | { kind: 'text'; example: string }
  /** A JSON object (its text); empty for none. */
  | { kind: 'json'; example: string };

/**
 * Checks beyond the type for the text settings the router parses: the same messages as at start
 * (routing/routing-config.ts), so a bad value through the API is refused before it is stored.
 */
const CHECKS: Partial<Record<LiveSettingKey, { example: string; check(v: string): void }>> = {
  quotaThresholds: {
    example: '{"perFamily":{"opus":{"7d":50}},"perAccount":{"work":{"5h":90}}}',
    check: (v) => thresholdsFrom({ quotaThreshold5h: 0, quotaThreshold7d: 0, quotaThresholds: v }),
  },
  hybridWeights: { example: '2,5,1,0.1', check: hybridWeightsFrom },
  hybridBucket: { example: '50,6', check: hybridBucketFrom },
};

function acceptsOf(def: SettingDef): SettingAccepts {
  const t = def.type;
  if (t.kind === 'int' || t.kind === 'duration') return { kind: t.kind, min: t.min, max: t.max };
  if (t.kind === 'enum') return { kind: 'enum', values: [...t.values] };
  if (t.kind === 'bool') return { kind: 'bool' };
  if (t.kind === 'model') return { kind: 'model', examples: ['claude-sonnet-4-6', 'claude-haiku-4-5', 'haiku'] };
  const example = CHECKS[def.key as LiveSettingKey]?.example ?? String(def.def ?? '');
  if (t.kind === 'json') return { kind: 'json', example };
  if (t.kind === 'string') return { kind: 'text', example };
  throw new Error(`runtime setting ${def.key} has a type the API cannot describe: ${t.kind}`);
}

export type SettingsDescription = { [K in LiveSettingKey]: SettingState & { value: RuntimeSettings[K] } };

export interface LiveSettingsDeps {
  config: Config;
  /** `accounts`: per-account quota thresholds are checked against the account names. */
  store: Pick<Store, 'settings' | 'accounts'>;
  logger: Logger;
  clock: Clock;
  /** How often `settings_rev` is polled (default 1000 ms). */
  pollMs?: number;
}

/** The effective settings and where each came from. */
interface Resolved {
  settings: RuntimeSettings;
  sources: Record<LiveSettingKey, SettingSource>;
}

const DEFS = new Map<string, SettingDef>(SETTINGS.map((d) => [d.key, d]));

function defOf(key: LiveSettingKey): SettingDef {
  return DEFS.get(key) as SettingDef;
}

export function isLiveSettingKey(key: string): key is LiveSettingKey {
  return (LIVE_SETTING_KEYS as readonly string[]).includes(key);
}

/**
 * Parses a value for a runtime setting with the rules of settings.ts; a bad one is a 400 naming
 * the setting (config.ts's own error is a startup error naming the environment variable).
 */
export function parseLiveSetting(key: LiveSettingKey, raw: unknown): RuntimeSettings[LiveSettingKey] {
  const def = defOf(key);
  let value: RuntimeSettings[LiveSettingKey];
  try {
    value = parseSetting(def, raw, 'api') as RuntimeSettings[LiveSettingKey];
  } catch {
    throw new GatewayError('bad_request', `Invalid ${key}: ${JSON.stringify(raw)}; expected ${describeSetting(def)}`);
  }
  const extra = CHECKS[key];
  if (extra !== undefined) {
    try {
      extra.check(value as string);
    } catch (err) {
      // The checks are the environment's and name its variable; this value came from `config set` or the API.
      const why = (err as Error).message.replace(new RegExp(`^${def.env}:? `), '');
      throw new GatewayError('bad_request', `Invalid ${key}: ${why}`);
    }
  }
  return value;
}

export class LiveSettings implements RuntimeSettingsSource {
  private settings: RuntimeSettings;
  private sources: Record<LiveSettingKey, SettingSource>;
  private readonly watch: RevisionWatch;
  /** Stored values already reported as invalid, so a bad row warns once, not every second. */
  private readonly warned = new Set<string>();

  constructor(private readonly deps: LiveSettingsDeps) {
    const resolved = this.resolve({});
    this.settings = resolved.settings;
    this.sources = resolved.sources;
    this.watch = watchRevision({
      revision: () => deps.store.settings.revision(),
      load: async () => this.resolve(await deps.store.settings.get()),
      apply: (next) => this.apply(next),
      intervalMs: deps.pollMs ?? 1000,
      logger: deps.logger,
      what: 'settings',
    });
  }

  current(): RuntimeSettings {
    return this.settings;
  }

  source(key: LiveSettingKey): SettingSource {
    return this.sources[key];
  }

  describe(): SettingsDescription {
    const out: Record<string, SettingState> = {};
    for (const key of LIVE_SETTING_KEYS) {
      const def = defOf(key);
      const base = this.baseSource(key);
      out[key] = {
        value: this.settings[key],
        source: this.sources[key],
        env: def.env,
        pinned: base === 'flag' || base === 'environment',
        doc: def.doc,
        accepts: acceptsOf(def),
      };
    }
    return out as SettingsDescription;
  }

  start(): Promise<void> {
    return this.watch.start();
  }

  stop(): void {
    this.watch.stop();
  }

  /** Rereads the stored settings if `settings_rev` moved; without `start()`, a one-off read. */
  refresh(): Promise<void> {
    return this.watch.refresh();
  }

  private apply(next: Resolved): void {
    const changed: Record<string, unknown> = {};
    for (const key of LIVE_SETTING_KEYS) {
      if (next.settings[key] !== this.settings[key]) changed[key] = next.settings[key];
    }
    this.settings = next.settings;
    this.sources = next.sources;
    if (Object.keys(changed).length > 0) this.deps.logger.info({ changed }, 'runtime settings changed');
  }

  /**
   * Validates and stores `patch` (a `null` value removes the stored value), then applies it at
   * once. All or nothing: one bad or pinned key and nothing is written.
   */
  async update(patch: Record<string, unknown>): Promise<SettingsDescription> {
    const values: Record<string, unknown> = {};
    for (const [key, raw] of Object.entries(patch)) {
      if (raw === undefined) continue;
      if (!isLiveSettingKey(key)) {
        throw new GatewayError(
          'bad_request',
          `Unknown runtime setting "${key}"; these can change at runtime: ${LIVE_SETTING_KEYS.join(', ')}`,
        );
      }
      const base = this.baseSource(key);
      if (base === 'flag' || base === 'environment') {
        const def = defOf(key);
        const how = base === 'flag' ? 'a command-line flag' : `the environment variable ${def.env}`;
        throw new GatewayError(
          'conflict',
          `${key} is pinned by ${how}, which takes precedence over runtime changes; unset ${def.env} and restart to manage it here`,
        );
      }
      values[key] = raw === null ? null : parseLiveSetting(key, raw);
    }
    if (typeof values.quotaThresholds === 'string') await this.checkThresholdAccounts(values.quotaThresholds);
    if (Object.keys(values).length > 0) {
      await this.deps.store.settings.put(values, this.deps.clock.now());
      await this.refresh();
    }
    return this.describe();
  }

  /**
   * Per-account thresholds are keyed by name, and one for a mistyped name would apply to no
   * account (or to whichever account gets that name later). Names the current value already holds
   * pass, so an older leftover entry does not block every other edit.
   */
  private async checkThresholdAccounts(value: string): Promise<void> {
    const named = Object.keys(thresholdSettingsOf({ ...this.settings, quotaThresholds: value }).perAccount);
    if (named.length === 0) return;
    const held = thresholdSettingsOf(this.settings).perAccount;
    const known = (await this.deps.store.accounts.list()).map((a) => a.name);
    const unknown = named.filter((n) => !known.includes(n) && !Object.hasOwn(held, n));
    if (unknown.length === 0) return;
    throw new GatewayError(
      'bad_request',
      `Invalid quotaThresholds: perAccount names no account ${unknown.map((n) => JSON.stringify(n)).join(', ')}; the accounts are ${known.length > 0 ? known.map((n) => JSON.stringify(n)).join(', ') : '(none)'}`,
    );
  }

  /** Where the value would come from without the database. */
  private baseSource(key: LiveSettingKey): SettingSource {
    return configSource(this.deps.config, key) ?? 'default';
  }

  private resolve(stored: Record<string, unknown>): Resolved {
    const { config } = this.deps;
    const settings: Record<string, unknown> = {};
    const sources: Record<string, SettingSource> = {};
    for (const key of LIVE_SETTING_KEYS) {
      const base = this.baseSource(key);
      settings[key] = config[key];
      sources[key] = base;
      if (base === 'flag' || base === 'environment' || stored[key] === undefined) continue;
      try {
        settings[key] = parseLiveSetting(key, stored[key]);
        sources[key] = 'database';
      } catch (err) {
        const mark = `${key}=${JSON.stringify(stored[key])}`;
        if (!this.warned.has(mark)) {
          this.warned.add(mark);
          this.deps.logger.warn({ setting: key, reason: (err as Error).message }, 'ignoring an invalid stored setting');
        }
      }
    }
    return {
      settings: Object.freeze(settings) as unknown as RuntimeSettings,
      sources: sources as Record<LiveSettingKey, SettingSource>,
    };
  }
}
