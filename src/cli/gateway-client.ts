/**
 * Where the reporting commands get their data: the management API of the running gateway (found
 * by `gatewayCandidates`, with the admin key from CCFLARE_ADMIN_KEY or `<home>/admin.key`), else
 * the local database (never in place of an address the user gave). `--verbose` says which one was used.
 */
import { localAdminKey } from '../auth/admin-key-file.js';
import type { Config } from '../config/config.js';
import { type GatewayRuntime, reachableUrl, readLiveRuntime, runtimeFilePath } from '../server/runtime-file.js';
import { databaseFingerprint, databaseLabel } from '../storage/open-store.js';
import { type GlobalOptions, loadCliConfig, withConfigStore } from './context.js';
import { CliError, type CliIo, usageError } from './io.js';

/** How long /health may take before the gateway counts as not running. */
export const PROBE_TIMEOUT_MS = 500;
/**
 * The same for the gateway `<home>/gateway.json` names while its process lives (or the address
 * the user gave): it is there, and
 * on a busy machine (load average 15+ on 2 cores) its /health took over 500 ms, which made the
 * TUI and the reporting commands say it did not answer. An address with nothing listening
 * fails at once, so only a slow gateway waits this long.
 */
export const LIVE_PROBE_TIMEOUT_MS = 5_000;
/** Management API calls; compaction or a large history wipe can take a while. */
const API_TIMEOUT_MS = 120_000;

/** The URL to reach a gateway listening on `host`: wildcard addresses are reached over loopback. */
export function gatewayBaseUrl(config: Pick<Config, 'host' | 'port'>): string {
  return reachableUrl(config.host, config.port);
}

export interface GatewayCandidate {
  base: string;
  /** Where the address came from, for --verbose and error messages. */
  from: string;
  /**
   * A live process of this data directory wrote this address, or the user named it: wait
   * `LIVE_PROBE_TIMEOUT_MS` for it, and send it the admin key. The configured host and port alone
   * are neither: while no gateway of this data directory runs, any local process may hold that
   * port, and would collect the key from every command.
   */
  live?: boolean;
}

/**
 * Where to look for the gateway, in order: an explicit address (`--url`, then CCFLARE_URL) alone;
 * otherwise the gateway `<home>/gateway.json` names (it knows the port `serve --port` picked),
 * then the configured host and port.
 */
export function gatewayCandidates(
  config: Pick<Config, 'host' | 'port' | 'home'>,
  explicitUrl: string | undefined,
  runtime: Pick<GatewayRuntime, 'url' | 'pid'> | null,
): GatewayCandidate[] {
  if (explicitUrl !== undefined && explicitUrl.trim() !== '') {
    return [{ base: explicitUrl.trim().replace(/\/+$/, ''), from: '--url or CCFLARE_URL', live: true }];
  }
  const out: GatewayCandidate[] = [];
  if (runtime !== null)
    out.push({ base: runtime.url, from: `${runtimeFilePath(config.home)}, pid ${runtime.pid}`, live: true });
  const configured = gatewayBaseUrl(config);
  if (config.port !== 0 && configured !== runtime?.url)
    out.push({ base: configured, from: 'the configured host and port' });
  return out;
}

/**
 * The address given with `--url` (or CCFLARE_URL), checked: a typo such as `--url notaurl` was
 * probed, found nothing and fell back to the local database without a word. An empty
 * CCFLARE_URL counts as unset; an empty `--url` is a mistake.
 */
export function explicitGatewayUrl(io: CliIo, globals: GlobalOptions): string | undefined {
  const from = addressSource(globals);
  const raw = (globals.url ?? io.env.CCFLARE_URL ?? '').trim();
  if (raw === '') {
    if (globals.url !== undefined)
      throw usageError("--url is empty: give the gateway's address, e.g. http://127.0.0.1:8080");
    return undefined;
  }
  let protocol: string | null = null;
  try {
    protocol = new URL(raw).protocol;
  } catch {
    // Reported below.
  }
  if (protocol !== 'http:' && protocol !== 'https:') {
    throw usageError(
      `${from} ${JSON.stringify(raw)} is not a gateway address: expected http://host:port or https://host`,
    );
  }
  return raw;
}

/** Which of `--url` and CCFLARE_URL gave the gateway's address, for messages. */
function addressSource(globals: GlobalOptions): '--url' | 'CCFLARE_URL' {
  return globals.url !== undefined ? '--url' : 'CCFLARE_URL';
}

/**
 * Nothing answered at the address the user gave. It is never swapped for another gateway or the
 * local database: the commands and the TUI say so, and `without` says what they do when no
 * address is given.
 */
export function noGatewayAtAddress(address: string, globals: GlobalOptions, without: string): CliError {
  const from = addressSource(globals);
  return new CliError(
    `no gateway answered at ${address} (${from}): start it with \`ccflare serve\` or correct the address; ` +
      `without ${from}, ${without}`,
  );
}

/**
 * The first candidate whose /health answers, or null; `tried` lists every address probed, and
 * `explicit` is the address the user gave (`--url`, CCFLARE_URL), if any. A
 * gateway found only at the configured host and port must serve this data directory's database
 * (`database` on /health): another installation's gateway on that port is `foreign`, not used,
 * as writing to it (config set, accounts) would change the wrong installation.
 */
export async function findGateway(
  io: CliIo,
  globals: GlobalOptions,
  config: Config,
): Promise<{ found: GatewayCandidate | null; tried: string[]; foreign: string | null; explicit: string | undefined }> {
  const explicit = explicitGatewayUrl(io, globals);
  const candidates = gatewayCandidates(config, explicit, readLiveRuntime(config.home));
  let foreign: string | null = null;
  for (const c of candidates) {
    const health = await gatewayHealth(c.base, c.live ? LIVE_PROBE_TIMEOUT_MS : PROBE_TIMEOUT_MS);
    if (health === null) continue;
    if (c.live || health.database === databaseFingerprint(config.databaseUrl)) {
      return { found: c, tried: [], foreign, explicit };
    }
    foreign = c.base;
  }
  return { found: null, tried: candidates.map((c) => c.base), foreign, explicit };
}

/**
 * The admin key to send to `found`: only to a gateway this data directory's gateway.json names or
 * the user named (`GatewayCandidate.live`); null `found` is one this process has just started.
 */
export function adminKeyFor(io: CliIo, config: Config, found: GatewayCandidate | null): string | null {
  if (found !== null && found.live !== true) return null;
  return localAdminKey(config.home, io.env.CCFLARE_ADMIN_KEY ?? config.adminKey);
}

/** Whether a ccflare gateway answers /health at `base` within `timeoutMs`. */
export async function probeGateway(base: string, timeoutMs = PROBE_TIMEOUT_MS): Promise<boolean> {
  return (await gatewayHealth(base, timeoutMs)) !== null;
}

/** A ccflare gateway's /health answer at `base` within `timeoutMs`, or null. */
async function gatewayHealth(base: string, timeoutMs: number): Promise<{ database?: unknown } | null> {
  try {
    const res = await fetch(`${base}/health`, { signal: AbortSignal.timeout(timeoutMs) });
    if (!res.ok) return null;
    const body = (await res.json()) as { status?: unknown; uptimeMs?: unknown; inFlight?: unknown; database?: unknown };
    // degraded: running and proxying, with request records waiting or lost (server/health.ts).
    // Many services answer /health with {"status":"ok"}: ccflare's also counts uptime and requests.
    const ours =
      (body.status === 'ok' || body.status === 'degraded') &&
      typeof body.uptimeMs === 'number' &&
      typeof body.inFlight === 'number';
    return ours ? body : null;
  } catch {
    return null;
  }
}

/** `path` with the query `params` given (null, undefined and empty lists left out; a list comma-joined). */
export function apiPath(
  path: string,
  params: Record<string, string | number | readonly string[] | null | undefined>,
): string {
  const q = new URLSearchParams();
  for (const [name, v] of Object.entries(params)) {
    if (v === null || v === undefined) continue;
    if (typeof v === 'object') {
      if (v.length > 0) q.set(name, v.join(','));
    } else q.set(name, String(v));
  }
  const text = q.toString();
  return text === '' ? path : `${path}?${text}`;
}

export class ApiClient {
  constructor(
    readonly base: string,
    private readonly adminKey: string | null,
    private readonly home: string,
    /** Found only at the configured host and port: the admin key was withheld (`GatewayCandidate.live`). */
    private readonly unverified = false,
  ) {}

  headers(extra: Record<string, string> = {}): Record<string, string> {
    return this.adminKey === null ? extra : { authorization: `Bearer ${this.adminKey}`, ...extra };
  }

  get<T>(path: string): Promise<T> {
    return this.call<T>('GET', path);
  }

  /** A GET of one thing: null when the gateway answers 404 (no such id), so callers say so their own way. */
  find<T>(path: string): Promise<T | null> {
    return this.call<T>('GET', path, undefined, true);
  }

  post<T>(path: string, body?: unknown): Promise<T> {
    return this.call<T>('POST', path, body);
  }

  patch<T>(path: string, body: unknown): Promise<T> {
    return this.call<T>('PATCH', path, body);
  }

  delete(path: string): Promise<unknown> {
    return this.call('DELETE', path);
  }

  /** One line for a refused or failed call, naming what to do about it. */
  failure(status: number, body: unknown): CliError {
    if (status === 401 && this.unverified) {
      return new CliError(
        `the gateway at ${this.base} requires the admin key, which goes only to the gateway ${runtimeFilePath(this.home)} ` +
          `names or to an address given with --url or CCFLARE_URL (this one is only the configured host and port): ` +
          `if it is yours, run the command again with --url ${this.base}`,
      );
    }
    if (status === 401) {
      const why = this.adminKey === null ? 'requires the admin key' : 'refused the admin key';
      return new CliError(
        // Not plain `keys admin`: the gateway requires a key, so one is usually stored, and that refuses to replace it.
        `the gateway at ${this.base} ${why}: set CCFLARE_ADMIN_KEY to it, or make a new one with ` +
          `\`ccflare keys admin --rotate\` (it saves ${this.home}/admin.key; a stored admin key it replaces stops working)`,
      );
    }
    const message = (body as { error?: { message?: unknown } } | null)?.error?.message;
    return new CliError(
      `the gateway at ${this.base} answered ${status}${typeof message === 'string' ? `: ${message}` : ''}`,
    );
  }

  private async call<T>(method: string, path: string, body?: unknown, notFoundIsNull = false): Promise<T> {
    let res: Response;
    try {
      res = await fetch(`${this.base}${path}`, {
        method,
        headers: this.headers(
          body === undefined
            ? { accept: 'application/json' }
            : { accept: 'application/json', 'content-type': 'application/json' },
        ),
        body: body === undefined ? undefined : JSON.stringify(body),
        signal: AbortSignal.timeout(API_TIMEOUT_MS),
      });
    } catch (err) {
      const cause = (err as { cause?: { message?: string } }).cause?.message ?? (err as Error).message;
      throw new CliError(`the gateway at ${this.base} did not answer ${method} ${path}: ${cause}`);
    }
    const text = await res.text();
    let answer: unknown = null;
    try {
      answer = JSON.parse(text);
    } catch {
      // Not JSON: reported by status below.
    }
    if (notFoundIsNull && res.status === 404) return null as T;
    if (!res.ok) throw this.failure(res.status, answer);
    return answer as T;
  }
}

export interface Target {
  config: Config;
  /** The running gateway's API, or null when none answered and the database is read directly. */
  api: ApiClient | null;
  base: string;
  /** The database, for messages: a SQLite file's path or a PostgreSQL URL without its password. */
  dbPath: string;
}

/**
 * The usage error for account filter names that match no account, or null when all do. Callers
 * ask only for names an answer did not find: a removed account's name still finds its history,
 * so only a name with neither an account nor a stored request is a typo, which would otherwise
 * read as "no traffic".
 */
export function unknownAccountsError(
  names: readonly string[],
  known: readonly { id: string; name: string }[],
): CliError | null {
  const unknown = names.filter((n) => !known.some((a) => a.name === n || a.id === n));
  if (unknown.length === 0) return null;
  const what =
    unknown.length === 1
      ? `unknown account "${unknown[0]}"`
      : `unknown accounts ${unknown.map((n) => `"${n}"`).join(', ')}`;
  return usageError(
    known.length === 0 ? `${what}: there are no accounts` : `${what}; accounts: ${known.map((a) => a.name).join(', ')}`,
  );
}

/** `unknownAccountsError` against the target's current accounts; throws it. */
export async function checkAccountNames(t: Target, names: readonly string[]): Promise<void> {
  if (names.length === 0) return;
  const known = t.api
    ? await t.api.get<{ id: string; name: string }[]>('/api/accounts')
    : await withConfigStore(t.config, (s) => s.accounts.list(), { read: true });
  const err = unknownAccountsError(names, known);
  if (err) throw err;
}

/**
 * Finds the running gateway, or settles for the database; with --verbose, says which. An address
 * the user gave (`--url`, CCFLARE_URL) must answer: it is never swapped for the local database.
 */
export async function resolveTarget(io: CliIo, globals: GlobalOptions): Promise<Target> {
  const config = loadCliConfig(io, globals);
  const dbPath = databaseLabel(config.databaseUrl);
  const verbose = (s: string) => {
    if (globals.verbose) io.stderr.write(`ccflare: ${s}\n`);
  };
  const { found, tried, foreign, explicit } = await findGateway(io, globals, config);
  if (foreign !== null) verbose(`the gateway at ${foreign} serves another data directory's database: not used`);
  if (found !== null) {
    verbose(`using the running gateway at ${found.base} (${found.from})`);
    const api = new ApiClient(found.base, adminKeyFor(io, config, found), config.home, !found.live);
    return { config, api, base: found.base, dbPath };
  }
  if (explicit !== undefined) {
    // Reading this data directory's database instead showed another installation's requests
    // (or none) as if they were the named gateway's, and `config set` changed the wrong one.
    throw noGatewayAtAddress(
      tried[0] ?? explicit,
      globals,
      `ccflare uses this data directory's gateway or reads ${dbPath} directly`,
    );
  }
  const where =
    tried.length === 0 ? 'no gateway address is configured' : `no gateway answered at ${tried.join(' or ')}`;
  verbose(`${where}; reading ${dbPath} directly`);
  return { config, api: null, base: tried[0] ?? gatewayBaseUrl(config), dbPath };
}
