import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { DURATION_RULE, formatDuration, parseDuration } from '../shared/duration.js';
import { isModelId, MODEL_FAMILY_ALIASES, MODEL_RULE } from '../shared/model-ids.js';
import { type ConfigValues, SETTINGS, type SettingDef } from './settings.js';

export type Config = Readonly<ConfigValues>;

/** Where a setting's value came from; `database` only for runtime settings (config/live-settings.ts). */
export type SettingSource = 'flag' | 'environment' | 'database' | 'file' | 'default';

const SOURCES = new WeakMap<Config, Partial<Record<keyof ConfigValues, SettingSource>>>();

/** Where `loadConfig` found a value; undefined for a Config it did not build (tests). */
export function configSource(config: Config, key: keyof ConfigValues): SettingSource | undefined {
  return SOURCES.get(config)?.[key];
}

export const CONFIG_FILE = 'config.json';

/** Values given on the command line, keyed like ConfigValues. */
export type ConfigOverrides = Partial<Record<keyof ConfigValues, string | number | boolean | undefined>>;

function describe(def: SettingDef): string {
  const t = def.type;
  switch (t.kind) {
    case 'enum':
      return `one of ${t.values.join(', ')}`;
    case 'int':
      return `an integer from ${t.min} to ${t.max}`;
    case 'duration':
      return `${DURATION_RULE}, from ${formatDuration(t.min)} to ${formatDuration(t.max)}`;
    case 'bool':
      return 'true or false (also 1/0, yes/no, on/off)';
    case 'url':
      return 'an http(s) URL';
    case 'string':
      return 'a non-empty string';
    case 'hosts':
      return 'comma-separated host names without scheme or path (gw.example, .example.com for subdomains) or *';
    case 'origins':
      return 'comma-separated origins, each scheme://host[:port] with no path (https://app.example)';
    case 'model':
      return `${MODEL_RULE}, or empty for none`;
  }
}

/** What a setting accepts, for error messages ("an integer from 1 to 3650"). */
export const describeSetting = describe;

function invalid(def: SettingDef, source: string, raw: unknown): GatewayError {
  const shown = def.secret ? '<hidden>' : JSON.stringify(raw);
  return new GatewayError('config_invalid', `Invalid ${def.env} (${source}): ${shown}; expected ${describe(def)}`);
}

/** Parses one raw value (string from env/flags, or a JSON value from the file). */
export function parseSetting(def: SettingDef, raw: unknown, source: string): unknown {
  const t = def.type;
  const s = typeof raw === 'string' ? raw.trim() : raw;
  switch (t.kind) {
    case 'int': {
      const n = typeof s === 'number' ? s : typeof s === 'string' && /^-?\d+$/.test(s) ? Number(s) : Number.NaN;
      if (!Number.isSafeInteger(n) || n < t.min || n > t.max) throw invalid(def, source, raw);
      return n;
    }
    case 'duration': {
      const ms = parseDuration(s);
      if (ms === null || ms < t.min || ms > t.max) throw invalid(def, source, raw);
      return ms;
    }
    case 'bool': {
      if (typeof s === 'boolean') return s;
      const v = String(s).toLowerCase();
      if (['1', 'true', 'yes', 'on'].includes(v)) return true;
      if (['0', 'false', 'no', 'off'].includes(v)) return false;
      throw invalid(def, source, raw);
    }
    case 'enum':
      if (typeof s !== 'string' || !t.values.includes(s)) throw invalid(def, source, raw);
      return s;
    case 'url': {
      if (typeof s !== 'string') throw invalid(def, source, raw);
      try {
        const u = new URL(s);
        if (u.protocol !== 'http:' && u.protocol !== 'https:') throw new Error('protocol');
      } catch {
        throw invalid(def, source, raw);
      }
      return s.replace(/\/+$/, '');
    }
    case 'string':
      if (typeof s !== 'string' || s === '') throw invalid(def, source, raw);
      return s;
    case 'model': {
      if (typeof s !== 'string') throw invalid(def, source, raw);
      const alias = s.toLowerCase();
      if (s === '' || isModelId(s)) return s;
      if ((MODEL_FAMILY_ALIASES as readonly string[]).includes(alias)) return alias;
      throw invalid(def, source, raw);
    }
    case 'hosts':
    case 'origins': {
      if (typeof s !== 'string' || s === '') throw invalid(def, source, raw);
      const items = s
        .split(',')
        .map((x) => x.trim().toLowerCase())
        .filter((x) => x !== '');
      const ok = t.kind === 'hosts' ? items.every(isHostPattern) : items.every(isOrigin);
      if (items.length === 0 || !ok) throw invalid(def, source, raw);
      return items.join(',');
    }
  }
}

/** `*`, `gw.example`, `.example.com`, `[::1]`; a port is not part of it (any port matches). */
function isHostPattern(h: string): boolean {
  return h === '*' || /^\.?[a-z0-9_-]+(\.[a-z0-9_-]+)*$|^\[[0-9a-f:.]+\]$/.test(h);
}

/** What browsers send in `Origin`: scheme, host and a port only when not the default. */
function isOrigin(o: string): boolean {
  try {
    const u = new URL(o);
    return (u.protocol === 'http:' || u.protocol === 'https:') && u.origin === o;
  } catch {
    return false;
  }
}

export interface LoadOptions {
  env?: NodeJS.ProcessEnv;
  overrides?: ConfigOverrides;
}

/** Reads <home>/config.json; a malformed file is an error naming the file, never ignored. */
export function readConfigFile(home: string): Record<string, unknown> {
  const path = join(home, CONFIG_FILE);
  if (!existsSync(path)) return {};
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GatewayError('config_invalid', `Invalid config file ${path}: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError('config_invalid', `Invalid config file ${path}: expected a JSON object`);
  }
  const known = new Set<string>(SETTINGS.map((s) => s.key));
  for (const k of Object.keys(parsed)) {
    if (!known.has(k)) {
      throw new GatewayError(
        'config_invalid',
        `Unknown setting "${k}" in ${path}; known settings: ${[...known].filter((x) => x !== 'home').join(', ')}`,
      );
    }
  }
  return parsed as Record<string, unknown>;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const overrides = opts.overrides ?? {};
  const homeDef = SETTINGS.find((s) => s.key === 'home') as SettingDef;
  const homeRaw = overrides.home ?? env[homeDef.env] ?? (homeDef.def as string);
  const home = resolve(
    expandTilde(parseSetting(homeDef, homeRaw, overrides.home !== undefined ? 'flag' : 'environment') as string),
  );
  const file = readConfigFile(home);

  const out: Record<string, unknown> = { home };
  const sources: Partial<Record<keyof ConfigValues, SettingSource>> = {};
  for (const def of SETTINGS) {
    if (def.key === 'home') continue;
    const flag = overrides[def.key];
    const fromEnv = env[def.env];
    let value: unknown;
    let source: SettingSource = 'default';
    if (flag !== undefined) {
      value = parseSetting(def, flag, 'flag');
      source = 'flag';
    } else if (fromEnv !== undefined && fromEnv !== '') {
      value = parseSetting(def, fromEnv, 'environment');
      source = 'environment';
    } else if (file[def.key] !== undefined) {
      value = parseSetting(def, file[def.key], `${CONFIG_FILE}`);
      source = 'file';
    } else value = typeof def.def === 'function' ? def.def(home) : def.def;
    out[def.key] = value;
    sources[def.key] = source;
  }
  // Claude Code's own variable moves its whole config folder (protocol.md §7).
  const claudeDir = resolve(env.CLAUDE_CONFIG_DIR ? expandTilde(env.CLAUDE_CONFIG_DIR) : join(homedir(), '.claude'));
  if (out.claudeAgentsDir === undefined) out.claudeAgentsDir = join(claudeDir, 'agents');
  else out.claudeAgentsDir = resolve(expandTilde(out.claudeAgentsDir as string));
  if (out.claudeSettingsFile === undefined) out.claudeSettingsFile = join(claudeDir, 'settings.json');
  else out.claudeSettingsFile = resolve(expandTilde(out.claudeSettingsFile as string));
  // One file for the gateway and `ccflare logs --lines`, whatever directory each starts in.
  if (out.logFile !== 'off') out.logFile = resolve(expandTilde(out.logFile as string));
  const config = Object.freeze(out as unknown as ConfigValues);
  SOURCES.set(config, sources);
  return config;
}

/** `~/x` as a shell would expand it: values copied from .env.example or a service file keep the tilde. */
export function expandTilde(p: string): string {
  if (p === '~') return homedir();
  if (p.startsWith('~/')) return join(homedir(), p.slice(2));
  return p;
}

export function isLoopbackHost(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '').toLowerCase();
  return h === 'localhost' || h === '::1' || /^127\.\d+\.\d+\.\d+$/.test(h);
}
