import { join } from 'node:path';
import type { Command } from 'commander';
import { CONFIG_FILE, type Config, isLoopbackHost } from '../config/config.js';
import { GatewayError } from '../errors.js';
import { ensureHome, type GlobalOptions, loadCliConfig } from './context.js';
import type { CliIo } from './io.js';
import { hasStoredAdminKey } from './keys-command.js';

/**
 * Shortest CCFLARE_ADMIN_KEY accepted on a non-loopback host: 32 characters of `openssl rand -hex
 * 32` (128 bits) are beyond online guessing; `ccflare keys admin` makes 45.
 */
export const MIN_EXPOSED_ADMIN_KEY_CHARS = 32;

/** Checked before anything listens: an exposed gateway without an admin key hands out every account. */
export function assertSafeBind(config: Config, storedAdminKey = false): void {
  if (isLoopbackHost(config.host)) return;
  const envKey = config.adminKey?.trim();
  // The management API accepts CCFLARE_ADMIN_KEY besides a stored key, so a weak one is refused either way.
  if (envKey !== undefined && envKey !== '' && envKey.length < MIN_EXPOSED_ADMIN_KEY_CHARS) {
    throw new GatewayError(
      'config_invalid',
      `Refusing to listen on ${config.host} with a ${envKey.length}-character CCFLARE_ADMIN_KEY: on a non-loopback host the admin key must be at least ${MIN_EXPOSED_ADMIN_KEY_CHARS} characters; generate one with \`openssl rand -hex 32\`, or unset it and create one with \`ccflare keys admin\`, or use a loopback host such as 127.0.0.1`,
    );
  }
  if (envKey || storedAdminKey) return;
  throw new GatewayError(
    'config_invalid',
    `Refusing to listen on ${config.host} without an admin key: set CCFLARE_ADMIN_KEY (or "adminKey" in ${join(config.home, CONFIG_FILE)}), create one with \`ccflare keys admin\`, or use a loopback host such as 127.0.0.1`,
  );
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
      const config = loadCliConfig(io, globals, {
        port: opts.port,
        host: opts.host,
        logLevel: globals.verbose ? 'debug' : undefined,
      });
      // The database is opened only when it can change the answer (an admin key stored by `keys admin`).
      const exposed = !isLoopbackHost(config.host) && !config.adminKey;
      if (exposed) ensureHome(config);
      assertSafeBind(config, exposed && (await hasStoredAdminKey(config)));
      ensureHome(config);
      // Loaded lazily so account commands never pay for (or depend on) the server's module graph.
      const { runServer } = await import('../server/serve.js');
      onStarted(await runServer(config, io.ownsProcess ? {} : { signals: false, logDestination: io.stderr }));
    });
}
