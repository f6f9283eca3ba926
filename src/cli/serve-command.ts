import { join } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE, type Config, configWarnings, isLoopbackHost } from '../config/config.js';
import { GatewayError } from '../errors.js';
import { openStoreFromUrl } from '../storage/open-store.js';
import { ensureHome, type GlobalOptions, loadCliConfig } from './context.js';
import type { CliIo } from './io.js';

/**
 * Shortest CCFLARE_ADMIN_KEY accepted on a non-loopback host: 32 characters of `openssl rand -hex
 * 32` (128 bits) are beyond online guessing; `ccflare keys admin` makes 45.
 */
export const MIN_EXPOSED_ADMIN_KEY_CHARS = 32;

/** What the database holds that decides whether a non-loopback bind is safe. */
export interface StoredKeys {
  adminKey: boolean;
  /** Client keys not revoked. */
  clientKeys: number;
}

/**
 * Checked before anything listens: an exposed gateway without an admin key hands out every
 * account, and one without a client key lets anyone on the network spend them through /v1.
 * Refused rather than warned about (as Redis's protected mode and Docker's unauthenticated TCP
 * socket are): a warning in a log nobody reads leaves the accounts open. CCFLARE_ALLOW_OPEN_PROXY
 * opts in knowingly; the returned warning is then logged at start.
 */
export function assertSafeBind(config: Config, stored: StoredKeys = { adminKey: false, clientKeys: 0 }): string | null {
  if (isLoopbackHost(config.host)) return null;
  const envKey = config.adminKey?.trim();
  // The management API accepts CCFLARE_ADMIN_KEY besides a stored key, so a weak one is refused either way.
  if (envKey !== undefined && envKey !== '' && envKey.length < MIN_EXPOSED_ADMIN_KEY_CHARS) {
    throw new GatewayError(
      'config_invalid',
      `Refusing to listen on ${config.host} with a ${envKey.length}-character CCFLARE_ADMIN_KEY: on a non-loopback host the admin key must be at least ${MIN_EXPOSED_ADMIN_KEY_CHARS} characters; generate one with \`openssl rand -hex 32\`, or unset it and create one with \`ccflare keys admin\`, or use a loopback host such as 127.0.0.1`,
    );
  }
  if (!envKey && !stored.adminKey) {
    throw new GatewayError(
      'config_invalid',
      `Refusing to listen on ${config.host} without an admin key: set CCFLARE_ADMIN_KEY (or "adminKey" in ${join(config.home, CONFIG_FILE)}), create one with \`ccflare keys admin\`, or use a loopback host such as 127.0.0.1`,
    );
  }
  if (stored.clientKeys > 0) return null;
  const open = `/v1 (the proxy to your Claude accounts) answers anyone who reaches ${config.host}:${config.port}: no client key exists`;
  if (config.allowOpenProxy) {
    return `${open}, and CCFLARE_ALLOW_OPEN_PROXY=true allows it; create one with \`ccflare keys create <name>\` to require keys`;
  }
  throw new GatewayError(
    'config_invalid',
    `Refusing to listen on ${config.host}: ${open}. Create one with \`ccflare keys create <name>\` (clients then send it as their API key), use a loopback host such as 127.0.0.1, or set CCFLARE_ALLOW_OPEN_PROXY=true to serve it open knowingly`,
  );
}

/** Whether the database holds an admin key and how many client keys are active (what `serve` checks for a non-loopback host). */
export async function storedKeys(config: Config): Promise<StoredKeys> {
  const store = await openStoreFromUrl(config.databaseUrl);
  try {
    await store.migrate();
    return {
      adminKey: (await store.keys.getAdmin()) !== null,
      clientKeys: (await store.keys.list()).filter((k) => k.revokedAt === null).length,
    };
  } finally {
    await store.close();
  }
}

export interface ServeResult {
  url: string;
  close(): Promise<void>;
}

export function registerServeCommand(program: Command, io: CliIo, onStarted: (server: ServeResult) => void): void {
  program
    .command('serve')
    .description('Run the gateway (the proxy for /v1/*)')
    .option('--port <n>', 'port to listen on (0 picks a free one)')
    .option('--host <host>', 'address to listen on; non-loopback needs an admin key')
    .action(async (opts: { port?: string; host?: string }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(
        io,
        globals,
        { port: opts.port, host: opts.host, logLevel: globals.verbose ? 'debug' : undefined },
        { printWarnings: false },
      );
      ensureHome(config);
      // The database is opened only when it can change the answer (keys stored by `ccflare keys`).
      const exposed = !isLoopbackHost(config.host);
      const warning = assertSafeBind(config, exposed ? await storedKeys(config) : undefined);
      // Loaded lazily so account commands never pay for (or depend on) the server's module graph.
      const { runServer } = await import('../server/serve.js');
      const base = io.ownsProcess ? {} : { signals: false, logDestination: io.stderr };
      const startupWarnings = [...configWarnings(config), ...(warning === null ? [] : [warning])];
      onStarted(await runServer(config, { ...base, startupWarnings }));
    });
}
