import { existsSync, readFileSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { join, resolve } from 'node:path';
import { GatewayError } from '../errors.js';
import { ccflareModel } from '../shared/ccflare-compat.js';
import { DURATION_RULE, formatDuration, parseDuration } from '../shared/duration.js';
import { isModelId, MODEL_FAMILY_ALIASES, MODEL_RULE } from '../shared/model-ids.js';
import { typedSwitch } from '../shared/typed-switch.js';
import {
  type ConfigValues,
  IGNORED_CCFLARE_SETTINGS,
  OTHER_CCFLARE_VARIABLES,
  SETTINGS,
  type SettingDef,
  settingMeant,
} from './settings.js';

export type Config = Readonly<ConfigValues>;

/** Where a setting's value came from; `database` only for runtime settings (config/live-settings.ts). */
export type SettingSource = 'flag' | 'environment' | 'database' | 'file' | 'default';

const SOURCES = new WeakMap<Config, Partial<Record<keyof ConfigValues, SettingSource>>>();
const WARNINGS = new WeakMap<Config, readonly string[]>();

/** Where `loadConfig` found a value; undefined for a Config it did not build (tests). */
export function configSource(config: Config, key: keyof ConfigValues): SettingSource | undefined {
  return SOURCES.get(config)?.[key];
}

/** What `loadConfig` accepted but had to warn about (ccflare settings it ignores, names it overrode). */
export function configWarnings(config: Config): readonly string[] {
  return WARNINGS.get(config) ?? [];
}

export const CONFIG_FILE = 'config.json';
/** The settings' variables, to tell an unknown `CCFLARE_*` from them. */
const ENV_NAMES: ReadonlySet<string> = new Set(SETTINGS.map((d) => d.env));
/** ccflare's variables naming its config file and database (lower-case prefix: its spelling). */
export const CCFLARE_CONFIG_PATH_ENV = 'ccflare_CONFIG_PATH';
export const CCFLARE_DB_PATH_ENV = 'ccflare_DB_PATH';

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
    case 'json':
      return 'a JSON object, or empty for none';
  }
}

/** What a setting accepts, for error messages ("an integer from 1 to 3650"). */
export const describeSetting = describe;

/** Settings whose command-line flag is `--<key>` (serve's --port and --host, the global --home). */
const FLAG_NAMED = new Set(['port', 'host', 'home']);

function invalid(def: SettingDef, source: string, raw: unknown): GatewayError {
  const shown = def.secret ? '<hidden>' : JSON.stringify(raw);
  // The flags named like their setting are named as typed (--port), with the variable they override.
  const name = source === 'flag' && FLAG_NAMED.has(def.key) ? `--${def.key} (${def.env})` : `${def.env} (${source})`;
  return new GatewayError('config_invalid', `Invalid ${name}: ${shown}; expected ${describe(def)}`);
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
      const b = typedSwitch(String(s));
      if (b === null) throw invalid(def, source, raw);
      return b;
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
    case 'json': {
      // A config file may write the document itself rather than its text.
      if (s !== null && typeof s === 'object' && !Array.isArray(s)) return JSON.stringify(s);
      if (typeof s !== 'string') throw invalid(def, source, raw);
      if (s === '') return s;
      try {
        const v: unknown = JSON.parse(s);
        if (v === null || typeof v !== 'object' || Array.isArray(v)) throw new Error('not an object');
      } catch {
        throw invalid(def, source, raw);
      }
      return s;
    }
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

/** A config file's values by setting key, with where they came from. */
export interface ConfigFile {
  /** The file read; null when there was none. */
  path: string | null;
  /** Values keyed like ConfigValues (ccflare's snake_case keys already mapped). */
  values: Record<string, unknown>;
  /** For each key, the name it had in the file (for error messages). */
  names: Record<string, string>;
  warnings: string[];
}

/**
 * The config file: `ccflare_CONFIG_PATH` when set (ccflare's variable), else <home>/config.json.
 * Keys are this gateway's camelCase names or ccflare's snake_case ones. A malformed file or an
 * unknown key is an error naming the file; a ccflare key with no counterpart here is a warning.
 * A file ccflare_CONFIG_PATH names may hold keys of later ccflare versions: those are warned
 * about, not fatal. (A ccflare.json in the data directory is ccflare's own installation, which
 * `ccflare import ccflare` brings over; it is not read as configuration.)
 */
export function readConfigFile(home: string, env: NodeJS.ProcessEnv = {}): ConfigFile {
  const named = env[CCFLARE_CONFIG_PATH_ENV];
  const candidates = named !== undefined && named !== '' ? [resolve(expandTilde(named))] : [join(home, CONFIG_FILE)];
  const path = candidates.find((p) => existsSync(p));
  const out: ConfigFile = { path: path ?? null, values: {}, names: {}, warnings: [] };
  if (path === undefined) {
    if (named !== undefined && named !== '') {
      throw new GatewayError(
        'config_invalid',
        `${CCFLARE_CONFIG_PATH_ENV} names ${candidates[0]}, which does not exist`,
      );
    }
    return out;
  }
  const ccflareFormat = path !== join(home, CONFIG_FILE);
  let parsed: unknown;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8'));
  } catch (e) {
    throw new GatewayError('config_invalid', `Invalid config file ${path}: ${(e as Error).message}`);
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) {
    throw new GatewayError('config_invalid', `Invalid config file ${path}: expected a JSON object`);
  }
  const byKey = new Map<string, SettingDef>();
  for (const d of SETTINGS) {
    if (d.key !== 'home') byKey.set(d.key, d);
    if (d.ccflare?.key !== undefined) byKey.set(d.ccflare.key, d);
  }
  const ignored = new Map(IGNORED_CCFLARE_SETTINGS.map((i) => [i.key, i]));
  const unknown: string[] = [];
  for (const [k, v] of Object.entries(parsed)) {
    const def = byKey.get(k);
    if (def === undefined) {
      const skip = ignored.get(k);
      if (skip !== undefined) out.warnings.push(`"${k}" in ${path} is ccflare's and is ignored: ${skip.instead}`);
      else unknown.push(k);
      continue;
    }
    // Both spellings in one file: this gateway's name wins, as CCFLARE_* does over ccflare's variables.
    if (out.values[def.key] !== undefined && k !== def.key) {
      out.warnings.push(`"${k}" in ${path} is ignored: "${def.key}" is also set`);
      continue;
    }
    out.values[def.key] = k === def.key ? v : fromCcflare(def, v);
    out.names[def.key] = k;
  }
  const secrets = SETTINGS.filter((d) => d.secret && out.values[d.key] !== undefined).map((d) => out.names[d.key]);
  if (secrets.length > 0 && process.platform !== 'win32') {
    // admin.key and secret.key are kept owner-only; the same secrets in a config file deserve it too.
    const mode = statSync(path).mode & 0o777;
    if ((mode & 0o077) !== 0) {
      out.warnings.push(
        `${path} holds ${secrets.map((k) => `"${k}"`).join(', ')} and other users can read it ` +
          `(mode ${mode.toString(8).padStart(4, '0')}): run chmod 600 ${path}`,
      );
    }
  }
  if (unknown.length > 0) {
    const fileSettings = SETTINGS.filter((x) => x.key !== 'home');
    if (!ccflareFormat) {
      const meant = settingMeant(unknown[0] as string, fileSettings);
      throw new GatewayError(
        'config_invalid',
        `Unknown setting "${unknown[0]}" in ${path}` +
          (meant === null
            ? `; known settings: ${fileSettings.map((x) => x.key).join(', ')}`
            : `: did you mean "${meant.key}"?`),
      );
    }
    out.warnings.push(
      `${unknown.map((k) => `"${k}"`).join(', ')} in ${path} ${unknown.length === 1 ? 'is' : 'are'} not a setting of this gateway and ignored`,
    );
  }
  return out;
}

/** A value as ccflare wrote it, in this gateway's terms (upper-case log levels, short model names). */
function fromCcflare(def: SettingDef, raw: unknown): unknown {
  if (typeof raw !== 'string') return raw;
  if (def.type.kind === 'enum') return raw.trim().toLowerCase();
  if (def.type.kind === 'model') return ccflareModel(raw);
  return raw;
}

export function loadConfig(opts: LoadOptions = {}): Config {
  const env = opts.env ?? process.env;
  const overrides = opts.overrides ?? {};
  const homeDef = SETTINGS.find((s) => s.key === 'home') as SettingDef;
  const homeRaw = overrides.home ?? env[homeDef.env] ?? (homeDef.def as string);
  const home = resolve(
    expandTilde(parseSetting(homeDef, homeRaw, overrides.home !== undefined ? 'flag' : 'environment') as string),
  );
  const file = readConfigFile(home, env);
  const warnings = [...file.warnings];

  const out: Record<string, unknown> = { home };
  const sources: Partial<Record<keyof ConfigValues, SettingSource>> = {};
  for (const def of SETTINGS) {
    if (def.key === 'home') continue;
    const flag = overrides[def.key];
    const fromEnv = settingFromEnv(def, env, warnings);
    let value: unknown;
    let source: SettingSource = 'default';
    if (flag !== undefined) {
      value = parseSetting(def, flag, 'flag');
      source = 'flag';
    } else if (fromEnv !== null) {
      value = parseSetting(
        def,
        fromEnv.value,
        fromEnv.name === def.env ? 'environment' : `environment: ccflare's ${fromEnv.name}`,
      );
      source = 'environment';
    } else if (file.values[def.key] !== undefined) {
      value = parseSetting(def, file.values[def.key], `"${file.names[def.key]}" in ${file.path}`);
      source = 'file';
    } else if (def.key === 'databaseUrl' && nonEmpty(env[CCFLARE_DB_PATH_ENV])) {
      // ccflare's variable names a file; after the config file, which may name a URL.
      value = `sqlite:${resolve(expandTilde(env[CCFLARE_DB_PATH_ENV] as string))}`;
      source = 'environment';
    } else value = typeof def.def === 'function' ? def.def(home) : def.def;
    out[def.key] = value;
    sources[def.key] = source;
  }
  if (nonEmpty(env[CCFLARE_DB_PATH_ENV]) && sources.databaseUrl !== 'environment') {
    warnings.push(
      `${CCFLARE_DB_PATH_ENV} is ignored: the database is set by ${sources.databaseUrl === 'flag' ? 'a flag' : `"databaseUrl" in ${file.path}`}`,
    );
  }
  if (nonEmpty(env[CCFLARE_DB_PATH_ENV]) && nonEmpty(env.CCFLARE_DATABASE_URL)) {
    warnings.push(`${CCFLARE_DB_PATH_ENV} is ignored: CCFLARE_DATABASE_URL is set`);
  }
  for (const i of IGNORED_CCFLARE_SETTINGS) {
    if (nonEmpty(env[i.env])) warnings.push(`${i.env} is ccflare's and is ignored: ${i.instead}`);
  }
  for (const name of Object.keys(env)) {
    if (!name.startsWith('CCFLARE_') || !nonEmpty(env[name])) continue;
    if (OTHER_CCFLARE_VARIABLES.has(name) || ENV_NAMES.has(name)) continue;
    const meant = settingMeant(name);
    warnings.push(`${name} is not a setting and is ignored${meant === null ? '' : `: did you mean ${meant.env}?`}`);
  }
  // Claude Code's own variable moves its whole config folder (protocol.md §7).
  const claudeDir = resolve(env.CLAUDE_CONFIG_DIR ? expandTilde(env.CLAUDE_CONFIG_DIR) : join(homedir(), '.claude'));
  if (out.claudeAgentsDir === undefined) out.claudeAgentsDir = join(claudeDir, 'agents');
  else out.claudeAgentsDir = resolve(expandTilde(out.claudeAgentsDir as string));
  if (out.claudeSettingsFile === undefined) out.claudeSettingsFile = join(claudeDir, 'settings.json');
  else out.claudeSettingsFile = resolve(expandTilde(out.claudeSettingsFile as string));
  // One file for the gateway and `ccflare logs --lines`, whatever directory each starts in.
  if (out.logFile !== 'off') out.logFile = resolve(expandTilde(out.logFile as string));
  out.promptsDir = resolve(expandTilde(out.promptsDir as string));
  const config = Object.freeze(out as unknown as ConfigValues);
  SOURCES.set(config, sources);
  WARNINGS.set(config, warnings);
  return config;
}

function nonEmpty(v: string | undefined): v is string {
  return v !== undefined && v !== '';
}

/**
 * A setting's value from the environment: its CCFLARE_ variable, else ccflare's name for it
 * (read the way ccflare wrote it). Both set: the CCFLARE_ one wins, with a warning when they differ.
 */
function settingFromEnv(
  def: SettingDef,
  env: NodeJS.ProcessEnv,
  warnings: string[],
): { value: unknown; name: string } | null {
  const own = env[def.env];
  const oldName = def.ccflare?.env;
  const old = oldName === undefined ? undefined : env[oldName];
  if (nonEmpty(own)) {
    if (nonEmpty(old) && String(fromCcflare(def, old)).trim() !== own.trim()) {
      warnings.push(`${oldName} is ignored: ${def.env} is also set and wins`);
    }
    return { value: own, name: def.env };
  }
  if (nonEmpty(old) && oldName !== undefined) return { value: fromCcflare(def, old), name: oldName };
  return null;
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
