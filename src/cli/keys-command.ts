/**
 * `ccflare keys ...`: client keys for the proxy and the admin key of the management API. A key
 * is printed once, when created; the database keeps only its digest. Running gateways pick up
 * changes within a second.
 */
import type { Command } from 'commander';
import { adminKeyPath, removeAdminKeyFile, writeAdminKeyFile } from '../auth/admin-key-file.js';
import { KeyService } from '../auth/key-service.js';
import { systemClock } from '../clock.js';
import type { Config } from '../config/config.js';
import type { ClientKeyView } from '../shared/keys-schemas.js';
import { NAME_RULE } from '../shared/names.js';
import { type GlobalOptions, secretBoxOf, withStore } from './context.js';
import { formatTime, renderTable } from './format.js';
import { CliError, type CliIo } from './io.js';

function withKeyService<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (service: KeyService, config: Config) => Promise<T>,
): Promise<T> {
  return withStore(io, globals, (store, config) =>
    fn(new KeyService({ store, box: secretBoxOf(config), clock: systemClock }), config),
  );
}

export function renderClientKeys(keys: readonly ClientKeyView[], now: number): string {
  const rows = keys.map((k) => [
    k.name,
    k.prefix,
    formatTime(k.createdAt, now),
    formatTime(k.lastUsedAt, now),
    k.revokedAt === null ? 'active' : `revoked ${formatTime(k.revokedAt, now)}`,
  ]);
  return renderTable(['NAME', 'PREFIX', 'CREATED', 'LAST USED', 'STATUS'], rows);
}

function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

export function registerKeysCommands(program: Command, io: CliIo): void {
  const keys = program
    .command('keys')
    .description('Manage client keys for the proxy (/v1/*) and the admin key of the management API');
  const out = (s: string) => io.stdout.write(s);

  keys
    .command('create')
    .description('Create a client key and print it once; once any exists, /v1/* requires one')
    .argument('<name>', `key name: ${NAME_RULE}`)
    .option('--json', 'print the key and its details as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      await withKeyService(io, globalsOf(cmd), async (service) => {
        const { key, view } = await service.create(name);
        if (opts.json) {
          out(`${JSON.stringify({ ...view, key }, null, 2)}\n`);
          return;
        }
        const first = (await service.list()).filter((k) => k.active).length === 1;
        out(`Created client key "${view.name}" (${view.prefix}). It is shown only this once:\n\n${key}\n\n`);
        out('Clients send it as x-api-key (ANTHROPIC_API_KEY) or authorization: Bearer (ANTHROPIC_AUTH_TOKEN).\n');
        if (first) out('This is the first client key: from now on every /v1/* request needs a client key.\n');
      });
    });

  keys
    .command('list')
    .description('List client keys (prefix, created, last used, revoked); never the keys themselves')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withKeyService(io, globalsOf(cmd), async (service) => {
        const list = await service.list();
        if (opts.json) out(`${JSON.stringify(list, null, 2)}\n`);
        else if (list.length === 0) out('No client keys: /v1/* is open to anyone who can reach the gateway.\n');
        else out(renderClientKeys(list, Date.now()));
      });
    });

  keys
    .command('revoke')
    .description('Revoke a client key; running gateways refuse it within a second')
    .argument('<name>')
    .option('--json', 'print the revoked key as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      await withKeyService(io, globalsOf(cmd), async (service) => {
        const view = await service.revoke(name);
        if (opts.json) out(`${JSON.stringify(view, null, 2)}\n`);
        else out(`Revoked client key "${view.name}" (${view.prefix}).\n`);
      });
    });

  keys
    .command('admin')
    .description(
      'Create the admin key of the management API, print it once and save it to <home>/admin.key (0600) for local tools',
    )
    .option('--rotate', 'replace the existing admin key')
    .option('--remove', 'remove the stored admin key (CCFLARE_ADMIN_KEY, if set, still applies)')
    .option('--json', 'print {"key", "file"} as JSON')
    .action(async (opts: { rotate?: boolean; remove?: boolean; json?: boolean }, cmd: Command) => {
      if (opts.rotate && opts.remove) throw new CliError('--rotate and --remove exclude each other', 2);
      await withKeyService(io, globalsOf(cmd), async (service, config) => {
        if (opts.remove) {
          const had = await service.removeAdminKey();
          removeAdminKeyFile(config.home);
          if (!had) throw new CliError('there is no stored admin key');
          out('Removed the stored admin key.\n');
          return;
        }
        const key = await service.createAdminKey({ rotate: opts.rotate });
        let file: string | null = null;
        let fileError: string | null = null;
        try {
          file = writeAdminKeyFile(config.home, key);
        } catch (err) {
          fileError = err instanceof Error ? err.message : String(err);
        }
        if (opts.json) out(`${JSON.stringify({ key, file }, null, 2)}\n`);
        else {
          const verb = opts.rotate ? 'Rotated the admin key; the old one no longer works' : 'Created the admin key';
          out(`${verb}. It is shown only this once:\n\n${key}\n\n`);
          if (file) out(`Saved to ${file} (mode 0600) for local tools.\n`);
          out('Send it as authorization: Bearer <key> or x-ccflare-admin-key: <key> to /api/* and /metrics.\n');
        }
        if (fileError) {
          io.stderr.write(`ccflare: warning: could not write ${adminKeyPath(config.home)}: ${fileError}\n`);
        }
      });
    });
}
