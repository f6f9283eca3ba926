/**
 * Claude Code's user settings file (`$CLAUDE_CONFIG_DIR/settings.json`, else
 * `~/.claude/settings.json`): read whole, its `env` object changed, written back atomically with a
 * backup of the original beside it. JSON.parse keeps key order, so every other key stays where it
 * was; the indentation of the original is reused.
 */
import { randomBytes } from 'node:crypto';
import {
  closeSync,
  constants,
  copyFileSync,
  existsSync,
  fsyncSync,
  lstatSync,
  mkdirSync,
  openSync,
  readFileSync,
  realpathSync,
  renameSync,
  statSync,
  unlinkSync,
  writeSync,
} from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { GatewayError } from '../errors.js';

export interface SettingsFile {
  /** The path as given. */
  path: string;
  /** Where the bytes live: the target of a symlinked settings file (dotfile managers link it). */
  target: string;
  exists: boolean;
  data: Record<string, unknown>;
  indent: string;
  /** Whether the original ended with a newline (a new file does). */
  finalNewline: boolean;
  /** Mode bits of the original; a new file is 0600 (it may hold a client key). */
  mode: number;
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

/** Reads and checks the file; a missing file is an empty one. Never writes. */
export function readSettings(path: string): SettingsFile {
  const target = existsSync(path) && lstatSync(path).isSymbolicLink() ? realpathSync(path) : path;
  if (!existsSync(target)) {
    return { path, target, exists: false, data: {}, indent: '  ', finalNewline: true, mode: 0o600 };
  }
  let text: string;
  try {
    text = readFileSync(target, 'utf8');
  } catch (err) {
    throw new GatewayError('conflict', `Cannot read ${path}: ${(err as Error).message}`);
  }
  let data: unknown;
  try {
    data = text.trim() === '' ? {} : JSON.parse(text);
  } catch (err) {
    throw new GatewayError(
      'conflict',
      `${path} is not valid JSON (${(err as Error).message}); fix it first: nothing was changed`,
    );
  }
  if (!isObject(data)) {
    throw new GatewayError('conflict', `${path} does not hold a JSON object; fix it first: nothing was changed`);
  }
  if (data.env !== undefined && !isObject(data.env)) {
    throw new GatewayError(
      'conflict',
      `"env" in ${path} is not an object of variables; fix it first: nothing was changed`,
    );
  }
  const indent = /^([ \t]+)"/m.exec(text)?.[1] ?? '  ';
  return {
    path,
    target,
    exists: true,
    data,
    indent,
    finalNewline: text === '' || text.endsWith('\n'),
    mode: statSync(target).mode & 0o777,
  };
}

/** The `env` variables whose values are strings (what Claude Code sets in its environment). */
export function envOf(file: SettingsFile): Record<string, unknown> {
  return isObject(file.data.env) ? file.data.env : {};
}

export function renderSettings(file: SettingsFile, data: Record<string, unknown>): string {
  return JSON.stringify(data, null, file.indent) + (file.finalNewline ? '\n' : '');
}

/** `20260105T120000Z` */
function stamp(ms: number): string {
  return new Date(ms)
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

/** Copies the file to `<path>.ccflare-backup-<UTC time>` (never over an existing copy); returns the copy's path. */
export function backupSettings(file: SettingsFile, now: number): string {
  const base = `${file.path}.ccflare-backup-${stamp(now)}`;
  for (let n = 1; ; n++) {
    const candidate = n === 1 ? base : `${base}-${n}`;
    try {
      copyFileSync(file.target, candidate, constants.COPYFILE_EXCL);
      return candidate;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') {
        throw new GatewayError(
          'conflict',
          `Cannot back up ${file.path}: ${(err as Error).message}; nothing was changed`,
        );
      }
    }
  }
}

/** Writes `text` to a temporary file beside `path`, then renames it over: a reader sees the old file or the new one. */
export function writeFileAtomic(path: string, text: string, mode: number): void {
  mkdirSync(dirname(path), { recursive: true });
  const tmp = join(dirname(path), `.${basename(path)}.${process.pid}-${randomBytes(4).toString('hex')}.tmp`);
  const fd = openSync(tmp, 'wx', mode);
  try {
    writeSync(fd, text);
    fsyncSync(fd);
  } catch (err) {
    closeSync(fd);
    unlinkSync(tmp);
    throw err;
  }
  closeSync(fd);
  try {
    renameSync(tmp, path);
  } catch (err) {
    unlinkSync(tmp);
    throw err;
  }
}

export function writeSettings(file: SettingsFile, data: Record<string, unknown>): void {
  try {
    writeFileAtomic(file.target, renderSettings(file, data), file.mode);
  } catch (err) {
    throw new GatewayError('conflict', `Cannot write ${file.path}: ${(err as Error).message}`);
  }
}

/** Removes a settings file connect created itself once nothing is left in it. */
export function removeSettings(file: SettingsFile): void {
  try {
    unlinkSync(file.target);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') {
      throw new GatewayError('conflict', `Cannot remove ${file.path}: ${(err as Error).message}`);
    }
  }
}
