/** `ccflare accounts ...`: every change goes to the database; a running server picks it up by itself. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { OAuthMode } from '../accounts/account-service.js';
import {
  NAME_RULE,
  PRIORITY_ERROR,
  PRIORITY_MAX,
  PRIORITY_MIN,
  PRIORITY_RULE,
  validatePriority,
} from '../shared/names.js';
import { openBrowser } from './browser.js';
import { EXISTING, type GlobalOptions, withAccountService } from './context.js';
import { formatTime, renderAccounts } from './format.js';
import { CliError, type CliIo, isInteractive, readAll, readHidden, readLine, screenWidth, usageError } from './io.js';

export function parsePriorityArg(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (validatePriority(n)) throw new InvalidArgumentError(`${PRIORITY_ERROR}.`);
  return n;
}

function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

async function readApiKey(io: CliIo): Promise<string> {
  if (isInteractive(io)) return (await readHidden(io, 'API key: ')).trim();
  return (await readAll(io)).trim();
}

export function registerAccountsCommands(program: Command, io: CliIo): void {
  const accounts = program.command('accounts').description('Manage the Claude accounts the gateway routes to');
  const out = (s: string) => io.stdout.write(s);

  accounts
    .command('add-key')
    .description('Add an API-key account (the key is read from stdin unless --key is given)')
    .argument('<name>', `account name: ${NAME_RULE}`)
    .option('--key <key>', 'the API key (prefer stdin: arguments end up in shell history)')
    .option('--priority <n>', `lower is tried first (${PRIORITY_MIN}-${PRIORITY_MAX})`, parsePriorityArg)
    .action(async (name: string, opts: { key?: string; priority?: number }, cmd: Command) => {
      await withAccountService(io, globalsOf(cmd), async (service) => {
        await service.checkNewName(name);
        const key = opts.key ?? (await readApiKey(io));
        const view = await service.addApiKey(name, key, { priority: opts.priority });
        out(`Added account "${view.name}" (api_key, priority ${view.priority}).\n`);
      });
    });

  accounts
    .command('add')
    .description('Add a Claude account with the OAuth flow: open the URL, sign in, paste back code#state')
    .argument('<name>', `account name: ${NAME_RULE}`)
    .addOption(
      new Option('--mode <mode>', 'required: max for a Claude Pro/Max subscription, console to mint an API key')
        .choices(['max', 'console'])
        .makeOptionMandatory(),
    )
    .option('--priority <n>', `lower is tried first (${PRIORITY_MIN}-${PRIORITY_MAX})`, parsePriorityArg)
    .option('--no-browser', 'only print the URL')
    .action(async (name: string, opts: { mode: OAuthMode; priority?: number; browser: boolean }, cmd: Command) => {
      await withAccountService(io, globalsOf(cmd), async (service) => {
        const existing = await service.checkOAuthName(name, opts.mode);
        if (existing) out(`Account "${name}" exists: signing in again replaces its credentials.\n`);
        const start = service.beginOAuth(opts.mode);
        out(`Open this URL in a browser, sign in and authorize:\n\n  ${start.url}\n\n`);
        if (opts.browser) openBrowser(start.url, io.env, io.platform);
        const pasted = await readLine(io, 'Paste the code (code#state): ');
        const view = await service.completeOAuth(name, opts.mode, pasted.trim(), start, { priority: opts.priority });
        const expiry =
          view.tokenExpiresAt === null ? '' : `, token expires ${formatTime(view.tokenExpiresAt, Date.now())}`;
        const verb = existing ? 'Re-authenticated' : 'Added';
        out(`${verb} account "${view.name}" (${view.kind}, priority ${view.priority}${expiry}).\n`);
      });
    });

  accounts
    .command('list')
    .description('List accounts with status, usage and rate-limit state')
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          const views = await service.list();
          if (opts.json) out(`${JSON.stringify(views, null, 2)}\n`);
          else if (views.length === 0) {
            out(
              'No accounts. Add one with `ccflare accounts add <name> --mode max` or `ccflare accounts add-key <name>`.\n',
            );
          } else out(renderAccounts(views, Date.now(), screenWidth(io)));
        },
        EXISTING,
      );
    });

  accounts
    .command('remove')
    .description('Remove an account (asks to type its name unless --yes)')
    .argument('<name>')
    .option('--yes', 'do not ask for confirmation')
    .action(async (name: string, opts: { yes?: boolean }, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          await service.get(name);
          if (!opts.yes) {
            if (!isInteractive(io))
              throw usageError(`refusing to remove "${name}" without confirmation: use --yes to confirm`);
            const typed = await readLine(io, `Type the account name to remove "${name}": `);
            if (typed.trim() !== name) throw new CliError('the typed name does not match; nothing was removed');
          }
          await service.remove(name);
          out(`Removed account "${name}".\n`);
        },
        EXISTING,
      );
    });

  accounts
    .command('pause')
    .description('Take an account out of rotation until resumed')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          await service.pause(name);
          out(`Paused "${name}".\n`);
        },
        EXISTING,
      );
    });

  accounts
    .command('resume')
    .description('Put an account back into rotation, lifting any cooldown')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          const view = await service.resume(name);
          const note = view.status === 'needs_reauth' ? ' It still needs re-authentication: add it again.' : '';
          out(`Resumed "${name}".${note}\n`);
        },
        EXISTING,
      );
    });

  accounts
    .command('rename')
    .description('Rename an account')
    .argument('<old>')
    .argument('<new>')
    .action(async (oldName: string, newName: string, _opts: unknown, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          await service.rename(oldName, newName);
          out(`Renamed "${oldName}" to "${newName}".\n`);
        },
        EXISTING,
      );
    });

  accounts
    .command('priority')
    .description('Set the priority of an account (lower is tried first)')
    .argument('<name>')
    .argument('<n>', PRIORITY_RULE, parsePriorityArg)
    .action(async (name: string, n: number, _opts: unknown, cmd: Command) => {
      await withAccountService(
        io,
        globalsOf(cmd),
        async (service) => {
          await service.setPriority(name, n);
          out(`Priority of "${name}" set to ${n}.\n`);
        },
        EXISTING,
      );
    });
}
