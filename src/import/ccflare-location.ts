/**
 * Where an original ccflare installation keeps its files (packages/config/src/paths-common.ts and
 * paths.ts, packages/database/src/paths.ts of snipeship/ccflare): one folder, `ccflare` under
 * %LOCALAPPDATA% (else %APPDATA%, else ~/AppData/Local) on Windows and under $XDG_CONFIG_HOME
 * (else ~/.config) elsewhere, macOS included; the database `ccflare.db` and the config file
 * `ccflare.json` in it unless `ccflare_DB_PATH` / `ccflare_CONFIG_PATH` name other files.
 */
import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { GatewayError } from '../errors.js';

export interface CcflareLocation {
  /** The database file to read. */
  dbPath: string;
  /** `ccflare.json`, null when there is none. */
  configPath: string | null;
  /** ccflare's record of the workspaces it saw (agents in `<workspace>/.claude/agents`), null when none. */
  workspacesPath: string | null;
}

export const CCFLARE_DB_FILE = 'ccflare.db';
export const CCFLARE_CONFIG_FILE = 'ccflare.json';
const WORKSPACES_FILE = 'workspaces.json';

export function defaultCcflareDir(env: NodeJS.ProcessEnv, platform: NodeJS.Platform, home = homedir()): string {
  if (platform === 'win32') {
    return join(env.LOCALAPPDATA || env.APPDATA || join(home, 'AppData', 'Local'), 'ccflare');
  }
  return join(env.XDG_CONFIG_HOME || join(home, '.config'), 'ccflare');
}

function fileOrNull(path: string): string | null {
  return existsSync(path) && statSync(path).isFile() ? path : null;
}

function expand(p: string, home: string): string {
  if (p === '~') return home;
  if (p.startsWith('~/')) return join(home, p.slice(2));
  return resolve(p);
}

/**
 * `from`: ccflare's folder or its database file; without it, ccflare's own environment
 * variables, then its default folder. Throws a not_found error naming what was looked for.
 */
export function locateCcflare(
  from: string | undefined,
  env: NodeJS.ProcessEnv,
  platform: NodeJS.Platform,
  home = homedir(),
): CcflareLocation {
  let dbPath: string;
  let dir: string;
  let configPath: string | null;
  if (from !== undefined) {
    const p = expand(from, home);
    if (!existsSync(p)) throw new GatewayError('not_found', `--from ${from}: no such file or folder (${p})`);
    if (statSync(p).isDirectory()) {
      dir = p;
      dbPath = join(p, CCFLARE_DB_FILE);
      if (!existsSync(dbPath)) {
        throw new GatewayError('not_found', `--from ${from}: the folder has no ${CCFLARE_DB_FILE} (${dbPath})`);
      }
    } else {
      dbPath = p;
      dir = dirname(p);
    }
    configPath = fileOrNull(join(dir, CCFLARE_CONFIG_FILE));
  } else {
    dir = defaultCcflareDir(env, platform, home);
    const envDb = env.ccflare_DB_PATH;
    dbPath = envDb ? expand(envDb, home) : join(dir, CCFLARE_DB_FILE);
    if (!existsSync(dbPath)) {
      const where = envDb ? `ccflare_DB_PATH (${dbPath})` : dbPath;
      throw new GatewayError(
        'not_found',
        `No ccflare installation found: ${where} does not exist; name it with --from <folder or ccflare.db>`,
      );
    }
    const envConfig = env.ccflare_CONFIG_PATH;
    configPath = fileOrNull(envConfig ? expand(envConfig, home) : join(dir, CCFLARE_CONFIG_FILE));
  }
  return { dbPath, configPath, workspacesPath: fileOrNull(join(dir, WORKSPACES_FILE)) };
}
