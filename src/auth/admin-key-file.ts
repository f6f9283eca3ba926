/**
 * `<home>/admin.key`: the stored admin key in clear for local tools (the CLI and TUI reporting
 * commands) to authenticate to a gateway on this machine. Owner-only, like the secret key file;
 * the database only ever holds the key's digest.
 */

import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const ADMIN_KEY_FILE = 'admin.key';

export function adminKeyPath(home: string): string {
  return join(home, ADMIN_KEY_FILE);
}

/** Written under a temporary name and renamed, so a rotation never leaves a half-written file. */
export function writeAdminKeyFile(home: string, key: string): string {
  const path = adminKeyPath(home);
  const tmp = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(tmp, `${key}\n`, { mode: 0o600, flag: 'wx' });
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
  if (process.platform !== 'win32') chmodSync(path, 0o600);
  return path;
}

export function removeAdminKeyFile(home: string): boolean {
  const path = adminKeyPath(home);
  if (!existsSync(path)) return false;
  unlinkSync(path);
  return true;
}

/**
 * The admin key local tools should send: `CCFLARE_ADMIN_KEY` when set, else the key file, else
 * null (no admin key, or one kept elsewhere). A file readable by others is refused, not used.
 */
export function localAdminKey(home: string, envKey: string | undefined): string | null {
  if (envKey !== undefined && envKey.trim() !== '') return envKey.trim();
  const path = adminKeyPath(home);
  if (!existsSync(path)) return null;
  if (process.platform !== 'win32' && (statSync(path).mode & 0o077) !== 0) return null;
  const key = readFileSync(path, 'utf8').trim();
  return key === '' ? null : key;
}
