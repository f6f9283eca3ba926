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
import { type ClientKeyLimitsView, type ClientKeyView, MAX_KEY_COST_USD, MAX_KEY_RPM } from '../shared/keys-schemas.js';
import { isWorkerKeyName, NAME_RULE } from '../shared/names.js';
import { formatCountShort } from '../shared/tokens.js';
import { typedCount, typedUsd } from '../shared/typed-amounts.js';
import { EXISTING, type GlobalOptions, type StoreUse, secretBoxOf, withStore } from './context.js';
import { formatTime, renderTable } from './format.js';
import { CliError, type CliIo, screenWidth, usageError } from './io.js';
import { formatUsd } from './report-format.js';

function withKeyService<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (service: KeyService, config: Config) => Promise<T>,
  opts: StoreUse = {},
): Promise<T> {
  return withStore(
    io,
    globals,
    (store, config) => fn(new KeyService({ store, box: secretBoxOf(config), clock: systemClock }), config),
    opts,
  );
}

/** `2M`, `500k`, `1.5m`, `60`: a whole count up to `max`; `off` or `none`: no limit (shared/typed-amounts.ts). */
export function parseCount(flag: string, raw: string, max?: number): number | null {
  // An empty value (`--rpm "$UNSET"`) is a mistake here, not "no limit".
  const n = raw.trim() === '' ? 'invalid' : typedCount(raw);
  if (n === 'invalid' || (n !== null && max !== undefined && n > max)) {
    // The examples must be values the flag takes: 2M suggested for --rpm would be refused next.
    const range = max === undefined ? 'of at least 1 (60, 500k, 2M)' : `from 1 to ${max} (60, 1k)`;
    throw usageError(`${flag} takes a whole number ${range} or off, got ${JSON.stringify(raw)}`);
  }
  return n;
}

const ANY_MODEL = ['any', 'off', 'none'];

/** `--models`: the models a key may use, or null for any model (`any`, `off`, `none`). */
function parseModels(raw: string): string[] | null {
  if (ANY_MODEL.includes(raw.trim().toLowerCase())) return null;
  const models = raw
    .split(',')
    .map((m) => m.trim())
    .filter((m) => m !== '');
  // An empty list (`--models "$UNSET"`) must not lift the restriction: that widens what the key may do.
  if (models.length === 0) {
    throw usageError(
      `--models takes comma-separated model ids or opus, sonnet, haiku, or any for every model, got ${JSON.stringify(raw)}`,
    );
  }
  return models;
}

/** `50`, `$12.50`; `off` or `none`: no limit (shared/typed-amounts.ts); up to `max`, which the schema refuses above. */
export function parseUsd(flag: string, raw: string, max: number): number | null {
  const n = raw.trim() === '' ? 'invalid' : typedUsd(raw);
  if (n === 'invalid' || (n !== null && n > max)) {
    throw new CliError(
      `${flag} takes an amount in USD above 0 up to ${max.toLocaleString('en-US')} (50, 12.50) or off, got ${JSON.stringify(raw)}`,
      2,
    );
  }
  return n;
}

/** As every other report prints cost: four decimals below a cent, so $0.0012 is not $0.00. */
const usd = formatUsd;

/** Use against each limit: `3/60`, `1.2M/2M`, `$4.10/$50.00`; use alone where there is no limit. */
function limitCells(k: ClientKeyView): string[] {
  const l = k.limits;
  const u = k.use;
  if (u === null) return ['-', '-', '-', '-'];
  return [
    l.rpm === null ? '-' : `${u.requestsLastMinute ?? 0}/${l.rpm}`,
    l.tokensPerDay === null
      ? formatCountShort(u.tokensToday)
      : `${formatCountShort(u.tokensToday)}/${formatCountShort(l.tokensPerDay)}`,
    l.costPerMonthUsd === null ? usd(u.costThisMonthUsd) : `${usd(u.costThisMonthUsd)}/${usd(l.costPerMonthUsd)}`,
    l.models === null ? 'any' : l.models.join(','),
  ];
}

export function describeLimits(l: ClientKeyLimitsView): string {
  const parts = [
    l.rpm === null ? null : `${l.rpm} request${l.rpm === 1 ? '' : 's'} per minute`,
    l.tokensPerDay === null ? null : `${l.tokensPerDay.toLocaleString('en-US')} tokens per day`,
    l.costPerMonthUsd === null ? null : `${usd(l.costPerMonthUsd)} per month`,
    l.models === null ? null : `models ${l.models.join(', ')}`,
  ].filter((p): p is string => p !== null);
  return parts.length === 0 ? 'no limits' : parts.join('; ');
}

export function renderClientKeys(keys: readonly ClientKeyView[], now: number, width: number | null = null): string {
  const rows = keys.map((k) => [
    k.name,
    k.prefix,
    formatTime(k.createdAt, now),
    formatTime(k.lastUsedAt, now),
    k.revokedAt === null ? 'active' : `revoked ${formatTime(k.revokedAt, now)}`,
    ...limitCells(k),
  ]);
  return renderTable(
    ['NAME', 'PREFIX', 'CREATED', 'LAST USED', 'STATUS', 'RPM', 'TOKENS TODAY', 'COST THIS MONTH', 'MODELS'],
    rows,
    { width, shrink: [8] },
  );
}

interface LimitsOptions {
  rpm?: string;
  tokensPerDay?: string;
  costPerMonth?: string;
  models?: string;
  clear?: boolean;
  json?: boolean;
}

/** The limits after the flags: `--clear` first, then each flag given replaces its limit, the others stay. */
export function limitsFromFlags(current: ClientKeyLimitsView, o: LimitsOptions): ClientKeyLimitsView {
  const base: ClientKeyLimitsView = o.clear
    ? { rpm: null, tokensPerDay: null, costPerMonthUsd: null, models: null }
    : current;
  return {
    rpm: o.rpm === undefined ? base.rpm : parseCount('--rpm', o.rpm, MAX_KEY_RPM),
    tokensPerDay: o.tokensPerDay === undefined ? base.tokensPerDay : parseCount('--tokens-per-day', o.tokensPerDay),
    costPerMonthUsd:
      o.costPerMonth === undefined
        ? base.costPerMonthUsd
        : parseUsd('--cost-per-month', o.costPerMonth, MAX_KEY_COST_USD),
    models: o.models === undefined ? base.models : parseModels(o.models),
  };
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
    .option('--all', "also workers' revoked keys (one per finished run)")
    .option('--json', 'print a JSON array')
    .action(async (opts: { json?: boolean; all?: boolean }, cmd: Command) => {
      await withKeyService(
        io,
        globalsOf(cmd),
        async (service) => {
          // Every worker run mints a key and revokes it at the end: ten runs left ten rows.
          const list = (await service.list()).filter((k) => opts.all || k.active || !isWorkerKeyName(k.name));
          if (opts.json) out(`${JSON.stringify(list, null, 2)}\n`);
          else if (list.length === 0) out('No client keys: /v1/* is open to anyone who can reach the gateway.\n');
          else out(renderClientKeys(list, Date.now(), screenWidth(io)));
        },
        EXISTING,
      );
    });

  keys
    .command('limits')
    .description(
      'Set what a client key may use; over a limit it gets 429 with retry-after (a model outside --models: 400). Running gateways apply it within a second',
    )
    .argument('<name>')
    .option('--rpm <n>', `requests in any 60 s (1 to ${MAX_KEY_RPM}), or off`)
    .option('--tokens-per-day <n>', 'tokens in + out per UTC day (500k, 2M), or off')
    .option('--cost-per-month <usd>', 'USD per UTC calendar month, or off')
    .option('--models <list>', 'comma-separated model ids or opus, sonnet, haiku; any: every model')
    .option('--clear', 'remove every limit (then apply the other flags given)')
    .option('--json', 'print the key with its limits and use as JSON')
    .action(async (name: string, opts: LimitsOptions, cmd: Command) => {
      await withKeyService(
        io,
        globalsOf(cmd),
        async (service) => {
          const current = (await service.list()).find((k) => k.active && k.name === name);
          if (current === undefined) throw new CliError(`no active client key named "${name}"`);
          const given = [opts.rpm, opts.tokensPerDay, opts.costPerMonth, opts.models].some((o) => o !== undefined);
          if (!given && !opts.clear) {
            out(opts.json ? `${JSON.stringify(current, null, 2)}\n` : `${name}: ${describeLimits(current.limits)}\n`);
            return;
          }
          const view = await service.setLimits(name, limitsFromFlags(current.limits, opts));
          if (opts.json) out(`${JSON.stringify(view, null, 2)}\n`);
          else out(`Client key "${name}": ${describeLimits(view.limits)}.\n`);
        },
        EXISTING,
      );
    });

  keys
    .command('revoke')
    .description('Revoke a client key; running gateways refuse it within a second')
    .argument('<name>')
    .option('--json', 'print the revoked key as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      await withKeyService(
        io,
        globalsOf(cmd),
        async (service) => {
          const view = await service.revoke(name);
          if (opts.json) {
            out(`${JSON.stringify(view, null, 2)}\n`);
            return;
          }
          out(`Revoked client key "${view.name}" (${view.prefix}).\n`);
          // As `create` says when the first key locks the proxy, the last one going opens it again.
          const left = (await service.list()).filter((k) => k.active && !isWorkerKeyName(k.name));
          if (left.length === 0) {
            out(
              'No active client key is left: /v1/* accepts requests without a key again (a gateway listening beyond loopback refuses them all).\n',
            );
          }
        },
        EXISTING,
      );
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
      await withKeyService(
        io,
        globalsOf(cmd),
        async (service, config) => {
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
        },
        opts.remove ? EXISTING : {},
      );
    });
}
