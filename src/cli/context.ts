/** Config and store plumbing shared by the commands. */
import { existsSync, mkdirSync } from 'node:fs';
import { AccountService, oauthEndpointsFromConfig } from '../accounts/account-service.js';
import { systemClock } from '../clock.js';
import { type Config, type ConfigOverrides, configWarnings, loadConfig } from '../config/config.js';
import { LiveSettings } from '../config/live-settings.js';
import { createSecretBox, loadSecretKey, type SecretBox } from '../crypto/secret-box.js';
import { createLogger } from '../log/logger.js';
import type { Store } from '../storage/contract/store.js';
import { openStoreFromUrl, sqlitePathFromUrl } from '../storage/open-store.js';
import { CliError, type CliIo, usageError } from './io.js';

export interface GlobalOptions {
  home?: string;
  /** A running gateway's address (--url); overrides CCFLARE_URL and `<home>/gateway.json`. */
  url?: string;
  verbose?: boolean;
}

/**
 * The configuration of one command. What it had to warn about (ccflare settings it ignores) goes
 * to stderr, one line each, unless the caller reports it itself (`serve` logs it).
 */
export function loadCliConfig(
  io: CliIo,
  globals: GlobalOptions,
  overrides: ConfigOverrides = {},
  opts: { printWarnings?: boolean } = {},
): Config {
  const config = loadConfig({ env: io.env, overrides: { ...overrides, home: globals.home } });
  if (opts.printWarnings !== false) {
    for (const w of configWarnings(config)) io.stderr.write(`ccflare: warning: ${w}\n`);
  }
  return config;
}

/** The data directory holds secrets (key file, tokens): owner-only from the start. */
export function ensureHome(config: Config): void {
  try {
    mkdirSync(config.home, { recursive: true, mode: 0o700 });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const why =
      code === 'EEXIST' || code === 'ENOTDIR'
        ? 'a file is in the way'
        : code === 'EACCES' || code === 'EPERM'
          ? 'permission denied'
          : (err as Error).message;
    throw new CliError(
      `cannot use ${config.home} as the data directory (${why}): pick another with --home or CCFLARE_HOME`,
    );
  }
}

/** Opens the store for one command and always closes it, so the CLI never leaves a handle behind. */
export function withStore<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (store: Store, config: Config) => Promise<T>,
  opts: StoreUse = {},
): Promise<T> {
  if (globals.url !== undefined) {
    // Silently ignored, it made `--url <gateway> accounts pause x` answer from another database.
    throw usageError(
      `--url names a running gateway, but this command works on a data directory's database directly: ` +
        "give that gateway's --home (or CCFLARE_HOME), on the machine it runs on",
    );
  }
  const config = loadCliConfig(io, globals);
  return withConfigStore(config, (store) => fn(store, config), opts);
}

export interface StoreUse {
  /**
   * The command only reads what was recorded: a SQLite database that does not exist is an error
   * naming it, instead of a new empty one (a mistyped --home read as "no requests", and left a
   * directory behind).
   */
  read?: boolean;
  /**
   * The command shows or changes what must already be there (accounts, keys, channels, settings):
   * a SQLite database that does not exist is an error too. Only the commands that add the first
   * thing (an account, a key, a channel, a setting) or start the gateway may create one.
   */
  existing?: boolean;
}

/** For the commands that work on what must already be there. */
export const EXISTING: StoreUse = { existing: true };

function sqliteFileOf(url: string): string | null {
  try {
    return sqlitePathFromUrl(url);
  } catch {
    // PostgreSQL (or a bad URL, which opening the store reports).
    return null;
  }
}

/** The runtime settings over `store`, unlogged: the CLI reports what happens itself. */
export function cliLiveSettings(config: Config, store: Store): LiveSettings {
  return new LiveSettings({
    config,
    store,
    logger: createLogger({ level: 'silent', format: 'json' }),
    clock: systemClock,
  });
}

/** `withStore` for a command that has loaded its config itself (extra overrides, or a gateway lookup first). */
export async function withConfigStore<T>(
  config: Config,
  fn: (store: Store) => Promise<T>,
  opts: StoreUse = {},
): Promise<T> {
  const file = opts.read || opts.existing ? sqliteFileOf(config.databaseUrl) : null;
  if (file !== null && file !== ':memory:' && !existsSync(file)) {
    if (opts.read) {
      throw new CliError(
        `nothing is recorded at ${file}: no such database (start the gateway with \`ccflare serve\`, ` +
          'or point --home or CCFLARE_HOME at the data directory it uses)',
      );
    }
    throw new CliError(
      `nothing is set up at ${file}: no such database (add an account with \`ccflare accounts add\` to start ` +
        'one, or point --home or CCFLARE_HOME at the data directory the gateway uses)',
    );
  }
  ensureHome(config);
  const store = await openStoreFromUrl(config.databaseUrl);
  try {
    await store.migrate();
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** The secret box of the data directory (tokens and keys are encrypted with it). */
export function secretBoxOf(config: Config): SecretBox {
  return createSecretBox(loadSecretKey(config.home, config.secretKey));
}

export function withAccountService<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (service: AccountService, config: Config) => Promise<T>,
  opts: StoreUse = {},
): Promise<T> {
  return withStore(
    io,
    globals,
    (store, config) =>
      fn(
        new AccountService({
          store,
          box: secretBoxOf(config),
          oauth: oauthEndpointsFromConfig(config),
          clock: systemClock,
          onWarning: (message) => io.stderr.write(`ccflare: warning: ${message}\n`),
          settings: cliLiveSettings(config, store),
        }),
        config,
      ),
    opts,
  );
}
