/**
 * `ccflare connect` / `disconnect` (the CLI and POST/DELETE /api/connect/claude-code): points
 * Claude Code at the gateway through its user settings' `env` (a settings value wins over the
 * shell's), and undoes exactly that.
 *
 * Claude Code sends ANTHROPIC_AUTH_TOKEN as `authorization: Bearer`; it takes precedence over a
 * claude.ai login and, unlike ANTHROPIC_API_KEY, asks no "use this key?" question in interactive
 * sessions. It is written only when client keys are enforced: otherwise the gateway strips
 * whatever credential the client sends, and Claude Code keeps its own sign-in.
 *
 * What connect set is remembered in `<home>/claude-connect.json` per settings file: the values it
 * replaced (to restore them) and a digest of each value it wrote (so disconnect leaves alone a
 * value the user changed since). The file is 0600 in the 0700 data directory: a replaced value may
 * be a secret.
 */
import { createHash } from 'node:crypto';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { keyHint } from '../auth/access-keys.js';
import type { KeyService } from '../auth/key-service.js';
import { GatewayError } from '../errors.js';
import { isSecretName } from '../log/logger.js';
import type { ConnectPlan, ConnectResult, EnvChange } from '../shared/connect-schemas.js';
import {
  backupSettings,
  envOf,
  readSettings,
  removeSettings,
  writeFileAtomic,
  writeSettings,
} from './claude-settings.js';

export const BASE_URL_ENV = 'ANTHROPIC_BASE_URL';
export const TOKEN_ENV = 'ANTHROPIC_AUTH_TOKEN';
/** The name of the client key connect creates (then `claude-code-2`, … when taken). */
export const CLIENT_KEY_NAME = 'claude-code';
export const CONNECT_STATE_FILE = 'claude-connect.json';

interface Connection {
  connectedAt: number;
  /** Digest of each value connect wrote. */
  set: Record<string, string>;
  /** The value each key had before connect first set it (null: absent). */
  before: Record<string, string | null>;
  /** Whether the file had an `env` object before. */
  hadEnv: boolean;
  /** Whether connect created the file. */
  createdFile: boolean;
  clientKey: { name: string; prefix: string } | null;
}

interface ConnectState {
  version: 1;
  connections: Record<string, Connection>;
}

export interface ConnectDeps {
  /** The gateway's data directory (where the connect state lives). */
  home: string;
  settingsPath: string;
  /** The gateway's URL for Claude Code. */
  url: string;
  keys: Pick<KeyService, 'list' | 'create' | 'revoke'>;
  now: () => number;
}

/** A planned change: what it will do (`plan`), and `apply` to do it. */
export interface Prepared {
  plan: ConnectPlan;
  apply(): Promise<ConnectResult>;
}

const digest = (value: string) => createHash('sha256').update(value, 'utf8').digest('base64url').slice(0, 22);

/** What the plan shows of a value: secrets only as their first characters. */
export function shownValue(key: string, value: string | null): string | null {
  if (value === null) return null;
  return isSecretName(key) || key === TOKEN_ENV ? (keyHint(value) ?? '') : value;
}

function statePath(home: string): string {
  return join(home, CONNECT_STATE_FILE);
}

function loadState(home: string): ConnectState {
  const path = statePath(home);
  if (!existsSync(path)) return { version: 1, connections: {} };
  try {
    const v = JSON.parse(readFileSync(path, 'utf8')) as ConnectState;
    if (typeof v === 'object' && v !== null && typeof v.connections === 'object' && v.connections !== null) return v;
  } catch {
    // Reported below.
  }
  throw new GatewayError('conflict', `${path} is damaged: delete it to start over (nothing was changed)`);
}

function saveState(home: string, state: ConnectState): void {
  writeFileAtomic(statePath(home), `${JSON.stringify(state, null, 2)}\n`, 0o600);
}

const str = (v: unknown): string | null =>
  typeof v === 'string' ? v : v === undefined || v === null ? null : JSON.stringify(v);

/** `env` replaced in place (or appended), so the key keeps its position in the file. */
function withEnv(data: Record<string, unknown>, env: Record<string, unknown> | null): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(data)) {
    if (k !== 'env') out[k] = v;
    else if (env !== null) out[k] = env;
  }
  if (env !== null && !('env' in data)) out.env = env;
  return out;
}

async function freeKeyName(keys: ConnectDeps['keys']): Promise<string> {
  const active = new Set((await keys.list()).filter((k) => k.active).map((k) => k.name));
  let name = CLIENT_KEY_NAME;
  for (let n = 2; active.has(name); n++) name = `${CLIENT_KEY_NAME}-${n}`;
  return name;
}

async function revokeQuietly(keys: ConnectDeps['keys'], name: string): Promise<void> {
  try {
    await keys.revoke(name);
  } catch (err) {
    if (!(err instanceof GatewayError && err.code === 'not_found')) throw err;
  }
}

export async function prepareConnect(deps: ConnectDeps): Promise<Prepared> {
  const file = readSettings(deps.settingsPath);
  const state = loadState(deps.home);
  const prior = state.connections[deps.settingsPath];
  const env = envOf(file);
  const keyList = await deps.keys.list();
  const enforced = keyList.some((k) => k.active);
  const notes: string[] = [];

  const ours = (key: string) => {
    const cur = str(env[key]);
    return prior?.set[key] !== undefined && cur !== null && digest(cur) === prior.set[key];
  };
  // The key connect made before still works and is still what the file holds: keep it.
  const keptKey =
    enforced &&
    prior?.clientKey != null &&
    ours(TOKEN_ENV) &&
    keyList.some((k) => k.active && k.name === prior.clientKey?.name && k.prefix === prior.clientKey?.prefix);
  const newKeyName = enforced && !keptKey ? await freeKeyName(deps.keys) : null;

  const changes: EnvChange[] = [];
  if (str(env[BASE_URL_ENV]) !== deps.url) {
    changes.push({ key: BASE_URL_ENV, before: shownValue(BASE_URL_ENV, str(env[BASE_URL_ENV])), after: deps.url });
  }
  if (newKeyName !== null) {
    changes.push({
      key: TOKEN_ENV,
      before: shownValue(TOKEN_ENV, str(env[TOKEN_ENV])),
      after: `(new client key "${newKeyName}")`,
    });
  }
  if (!enforced) {
    notes.push(
      "No client key is required by this gateway: Claude Code keeps its own sign-in, whose credentials ccflare replaces with an account's.",
    );
  }
  if (env.ANTHROPIC_API_KEY !== undefined) {
    notes.push(
      'ANTHROPIC_API_KEY is also set in this file: Claude Code sends it too (the gateway replaces it), and warns about two credentials.',
    );
  }
  const clientKey =
    newKeyName !== null
      ? { name: newKeyName, created: true }
      : keptKey && prior?.clientKey
        ? { name: prior.clientKey.name, created: false }
        : null;
  const plan: ConnectPlan = {
    action: 'connect',
    settingsPath: deps.settingsPath,
    url: deps.url,
    connected: prior !== undefined,
    changes,
    clientKey,
    notes,
  };

  async function apply(): Promise<ConnectResult> {
    if (changes.length === 0) return { ...plan, applied: false, backupPath: null };
    const created = newKeyName === null ? null : await deps.keys.create(newKeyName);
    const values: Record<string, string> = { [BASE_URL_ENV]: deps.url };
    if (created !== null) values[TOKEN_ENV] = created.key;
    const connection: Connection = {
      connectedAt: deps.now(),
      set: { ...(prior?.set ?? {}) },
      before: { ...(prior?.before ?? {}) },
      hadEnv: prior?.hadEnv ?? file.data.env !== undefined,
      createdFile: prior?.createdFile ?? !file.exists,
      clientKey:
        created === null ? (prior?.clientKey ?? null) : { name: created.view.name, prefix: created.view.prefix },
    };
    for (const [key, value] of Object.entries(values)) {
      // A value connect wrote earlier is replaced, but the user's original is still the one to restore.
      if (!ours(key)) connection.before[key] = str(env[key]);
      connection.set[key] = digest(value);
    }
    const previous = structuredClone(state);
    state.connections[deps.settingsPath] = connection;
    let backupPath: string | null = null;
    try {
      saveState(deps.home, state);
      backupPath = file.exists ? backupSettings(file, deps.now()) : null;
      writeSettings(file, withEnv(file.data, { ...env, ...values }));
    } catch (err) {
      try {
        saveState(deps.home, previous);
      } finally {
        if (created !== null) await revokeQuietly(deps.keys, created.view.name);
      }
      throw err;
    }
    // The key an earlier connect made is no longer in the file: it would only be a spare credential.
    if (created !== null && prior?.clientKey && prior.clientKey.name !== created.view.name) {
      await revokeQuietly(deps.keys, prior.clientKey.name);
    }
    return { ...plan, applied: true, backupPath };
  }
  return { plan, apply };
}

export async function prepareDisconnect(deps: ConnectDeps): Promise<Prepared> {
  const state = loadState(deps.home);
  const found = state.connections[deps.settingsPath];
  if (found === undefined) {
    throw new GatewayError(
      'not_found',
      `ccflare connect has not changed ${deps.settingsPath}: there is nothing to undo`,
    );
  }
  const prior: Connection = found;
  const file = readSettings(deps.settingsPath);
  const env = envOf(file);
  const changes: EnvChange[] = [];
  const notes: string[] = [];
  const restored: Record<string, unknown> = { ...env };
  for (const [key, fingerprint] of Object.entries(prior.set)) {
    const cur = str(env[key]);
    if (cur === null || digest(cur) !== fingerprint) {
      if (file.exists) notes.push(`${key} was changed since ccflare connect: left as it is.`);
      continue;
    }
    const before = prior.before[key] ?? null;
    changes.push({ key, before: shownValue(key, cur), after: shownValue(key, before) });
    if (before === null) delete restored[key];
    else restored[key] = before;
  }
  // The plan is shown before anything is written (a dry run, a confirmation): "is revoked" misled there.
  const keyNote = (verb: string) => `The client key "${prior.clientKey?.name}" that connect created ${verb} revoked.`;
  if (prior.clientKey) notes.push(keyNote('would be'));
  const plan: ConnectPlan = {
    action: 'disconnect',
    settingsPath: deps.settingsPath,
    url: deps.url,
    connected: true,
    changes,
    clientKey: prior.clientKey ? { name: prior.clientKey.name, created: false } : null,
    notes,
  };

  async function apply(): Promise<ConnectResult> {
    let backupPath: string | null = null;
    if (changes.length > 0) {
      backupPath = backupSettings(file, deps.now());
      const empty = Object.keys(restored).length === 0;
      const data = withEnv(file.data, empty && !prior.hadEnv ? null : restored);
      if (prior.createdFile && Object.keys(data).length === 0) removeSettings(file);
      else writeSettings(file, data);
    }
    if (prior.clientKey) await revokeQuietly(deps.keys, prior.clientKey.name);
    delete state.connections[deps.settingsPath];
    saveState(deps.home, state);
    const done = plan.notes.map((n) => (n === keyNote('would be') ? keyNote('was') : n));
    return { ...plan, notes: done, applied: true, backupPath };
  }
  return { plan, apply };
}

/** The plan as lines for a terminal: a diff of the `env` keys. */
export function renderPlan(plan: ConnectPlan): string[] {
  const lines = [`--- ${plan.settingsPath}`, `+++ ${plan.settingsPath} (after ccflare ${plan.action})`, ' "env": {'];
  for (const c of plan.changes) {
    if (c.before !== null) lines.push(`-  "${c.key}": ${JSON.stringify(c.before)}`);
    if (c.after !== null) lines.push(`+  "${c.key}": ${c.after.startsWith('(') ? c.after : JSON.stringify(c.after)}`);
  }
  lines.push(' }');
  return lines;
}
