/**
 * What a running gateway leaves in the file system so other processes can find it and so no
 * second gateway opens the same SQLite database:
 *
 * - `<home>/gateway.json` (url, pid, startedAt, version, database; mode 0600) while it listens:
 *   the CLI and the terminal UI read it to reach the gateway on whatever port it was started
 *   with. Removed on a clean close; a file whose pid is dead is stale and ignored.
 * - `<database>.lock` (same fields) from before the database is opened until it is closed: a
 *   second `serve` on that database refuses, naming the running one's url and pid. Only the
 *   embedded SQLite store takes it: a shared server database (PostgreSQL) is meant to have
 *   several gateways.
 *
 * Both are written whole to a temporary file first, so a reader never sees half a record; the
 * lock is created with link(2), which fails when the lock exists (atomic on local file systems).
 */
import { existsSync, linkSync, mkdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { GatewayError } from '../errors.js';

export const RUNTIME_FILE = 'gateway.json';

export interface GatewayRuntime {
  /** Where the gateway answers; empty while it is still starting. */
  url: string;
  pid: number;
  startedAt: number;
  version: string;
  /** The database file it holds (or the database URL's scheme for a server database). */
  database: string;
}

export function runtimeFilePath(home: string): string {
  return join(home, RUNTIME_FILE);
}

/** The lock file of a `sqlite:` database URL; null for other stores and for `:memory:`. */
export function databaseLockPath(databasePath: string | null): string | null {
  if (databasePath === null || databasePath === ':memory:') return null;
  return `${databasePath}.lock`;
}

/** The URL to reach a gateway listening on `host`: wildcard addresses are reached over loopback. */
export function reachableUrl(host: string, port: number): string {
  let h = host.replace(/^\[|\]$/g, '');
  if (h === '' || h === '0.0.0.0') h = '127.0.0.1';
  else if (h === '::') h = '::1';
  return `http://${h.includes(':') ? `[${h}]` : h}:${port}`;
}

/** Whether a process with this pid exists (EPERM: it exists but belongs to another user). */
export function isProcessAlive(pid: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function parseRuntime(text: string): GatewayRuntime | null {
  try {
    const v = JSON.parse(text) as Partial<GatewayRuntime>;
    if (typeof v !== 'object' || v === null || typeof v.pid !== 'number' || typeof v.url !== 'string') return null;
    return {
      url: v.url,
      pid: v.pid,
      startedAt: typeof v.startedAt === 'number' ? v.startedAt : 0,
      version: typeof v.version === 'string' ? v.version : '',
      database: typeof v.database === 'string' ? v.database : '',
    };
  } catch {
    return null;
  }
}

function readRuntime(path: string): GatewayRuntime | null {
  try {
    return parseRuntime(readFileSync(path, 'utf8'));
  } catch {
    return null;
  }
}

/** The gateway that `<home>/gateway.json` names, or null when there is none or its process is gone. */
export function readLiveRuntime(home: string): GatewayRuntime | null {
  const r = readRuntime(runtimeFilePath(home));
  return r !== null && r.url !== '' && isProcessAlive(r.pid) ? r : null;
}

/** Writes `path` whole (temporary file, then rename), owner-only. */
function writeWhole(path: string, r: GatewayRuntime): void {
  const tmp = `${path}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(r)}\n`, { mode: 0o600 });
  renameSync(tmp, path);
}

function removeIfOurs(path: string, pid: number): void {
  if (readRuntime(path)?.pid !== pid) return;
  try {
    unlinkSync(path);
  } catch {
    // Already gone.
  }
}

let cachedVersion: string | null = null;

/** This package's version, from the nearest package.json named ccflare (src/ in tests, dist/src/ built). */
export function packageVersion(): string {
  if (cachedVersion !== null) return cachedVersion;
  cachedVersion = '';
  for (let dir = import.meta.dirname; dirname(dir) !== dir; dir = dirname(dir)) {
    const p = join(dir, 'package.json');
    if (!existsSync(p)) continue;
    try {
      const pkg = JSON.parse(readFileSync(p, 'utf8')) as { name?: string; version?: string };
      if (pkg.name === 'ccflare') {
        cachedVersion = pkg.version ?? '';
        break;
      }
    } catch {
      // Not readable: keep looking upward.
    }
  }
  return cachedVersion;
}

export interface GatewayClaim {
  /** Records where the gateway answers: writes `gateway.json` and updates the lock. */
  announce(url: string): void;
  /** Removes both files, if they still name this process. Idempotent. */
  release(): void;
}

function describeHolder(h: GatewayRuntime): string {
  return h.url === '' ? `pid ${h.pid}, still starting` : `${h.url}, pid ${h.pid}`;
}

/**
 * Takes the database lock (when the store is a SQLite file) before anything opens the database.
 * Throws a `conflict` GatewayError naming the running gateway when a live process holds it; a lock
 * whose process is gone (a crash, SIGKILL) is taken over.
 */
export function claimGateway(home: string, databasePath: string | null, now = Date.now()): GatewayClaim {
  const self: GatewayRuntime = {
    url: '',
    pid: process.pid,
    startedAt: now,
    version: packageVersion(),
    database: databasePath ?? '',
  };
  const lockPath = databaseLockPath(databasePath);
  if (lockPath !== null) takeLock(lockPath, self);
  const runtimePath = runtimeFilePath(home);
  let released = false;
  return {
    announce(url) {
      if (released) return;
      self.url = url;
      if (lockPath !== null) writeWhole(lockPath, self);
      writeWhole(runtimePath, self);
    },
    release() {
      if (released) return;
      released = true;
      removeIfOurs(runtimePath, self.pid);
      if (lockPath !== null) removeIfOurs(lockPath, self.pid);
    },
  };
}

function takeLock(lockPath: string, self: GatewayRuntime): void {
  // A database in a directory that does not exist yet (CCFLARE_DATABASE_URL, ccflare_DB_PATH):
  // the store would create it, but the lock next to the file comes first.
  mkdirSync(dirname(lockPath), { recursive: true, mode: 0o700 });
  const tmp = `${lockPath}.${process.pid}.tmp`;
  writeFileSync(tmp, `${JSON.stringify(self)}\n`, { mode: 0o600 });
  try {
    for (let attempt = 0; ; attempt++) {
      try {
        linkSync(tmp, lockPath);
        return;
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || attempt > 0) throw lockError(lockPath, err);
      }
      const holder = readRuntime(lockPath);
      if (holder !== null && isProcessAlive(holder.pid)) {
        throw new GatewayError(
          'conflict',
          `Another ccflare gateway (${describeHolder(holder)}) is using ${self.database}: two gateways must not share one SQLite database. Use that gateway (the CLI and \`ccflare\` find it from its data directory), stop it first, or give this one another data directory (--home). If no ccflare runs as pid ${holder.pid}, delete ${lockPath}`,
        );
      }
      // The holder is gone (or the file is unreadable): the lock is stale.
      try {
        unlinkSync(lockPath);
      } catch {
        // Removed by someone else meanwhile: try once more.
      }
    }
  } finally {
    try {
      unlinkSync(tmp);
    } catch {
      // Nothing to clean up.
    }
  }
}

function lockError(lockPath: string, err: unknown): GatewayError {
  if (err instanceof GatewayError) return err;
  return new GatewayError(
    'conflict',
    `Could not take the database lock ${lockPath}: ${(err as Error).message}; is another ccflare gateway starting on it?`,
  );
}
