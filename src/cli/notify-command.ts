/**
 * `ccflare notify ...`: notification channels from the terminal. Works on the database like the
 * other commands; a running gateway picks changes up within a second. `test` sends from this
 * process, so it also checks that this machine reaches the receiver.
 */
import type { Command } from 'commander';
import { systemClock } from '../clock.js';
import { ChannelService } from '../notify/channel-service.js';
import { DURATION_RULE, formatDuration, parseDuration } from '../shared/duration.js';
import { NOTIFY_EVENT_TYPES, type NotifyEventType } from '../shared/notify-events.js';
import {
  type ChannelView,
  type DeliveryView,
  NOTIFY_SPEND_MAX_USD,
  NOTIFY_WINDOW_MAX_MS,
  NOTIFY_WINDOW_MIN_MS,
  type NotifyRules,
} from '../shared/notify-schemas.js';
import { EXISTING, type GlobalOptions, type StoreUse, secretBoxOf, withStore } from './context.js';
import { formatTime, renderTable } from './format.js';
import {
  CliError,
  type CliIo,
  isInteractive,
  positiveInt,
  readAll,
  readHidden,
  screenWidth,
  usageError,
} from './io.js';
import { parseUsd } from './keys-command.js';
import { formatUsd, plural } from './report-format.js';

function withChannels<T>(
  io: CliIo,
  cmd: Command,
  fn: (svc: ChannelService) => Promise<T>,
  opts: StoreUse = {},
): Promise<T> {
  return withStore(
    io,
    cmd.optsWithGlobals<GlobalOptions>(),
    (store, config) => fn(new ChannelService({ store, box: secretBoxOf(config), clock: systemClock })),
    opts,
  );
}

export function renderChannels(channels: readonly ChannelView[], width: number | null = null): string {
  const rows = channels.map((c) => [
    c.name,
    c.kind,
    c.enabled ? 'on' : 'off',
    c.url ?? '-',
    c.kind === 'webhook' ? (c.signed ? 'yes' : 'no') : '-',
    c.events.length === NOTIFY_EVENT_TYPES.length ? 'all' : c.events.join(',') || 'none',
  ]);
  return renderTable(['NAME', 'KIND', 'ENABLED', 'URL', 'SIGNED', 'EVENTS'], rows, { width, shrink: [3, 5] });
}

export function renderDeliveries(
  deliveries: readonly DeliveryView[],
  now: number,
  width: number | null = null,
): string {
  const rows = deliveries.map((d) => [
    formatTime(d.createdAt, now),
    d.channel,
    d.eventType,
    d.subject,
    d.status,
    String(d.attempts),
    d.lastError ?? '-',
  ]);
  return renderTable(['TIME', 'CHANNEL', 'EVENT', 'SUBJECT', 'STATUS', 'ATTEMPTS', 'LAST ERROR'], rows, {
    width,
    shrink: [3, 6],
  });
}

/** `--events`: `all` (what `list` shows for a channel with every type), names, or '' for none. */
function parseEvents(list: string | undefined): NotifyEventType[] | undefined {
  if (list === undefined) return undefined;
  const known = new Set<string>(NOTIFY_EVENT_TYPES);
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (names.includes('all')) {
    if (names.length > 1) throw new CliError('--events: give all alone, or a list of event types', 2);
    return [...NOTIFY_EVENT_TYPES];
  }
  const bad = names.filter((n) => !known.has(n));
  if (bad.length > 0)
    throw new CliError(`unknown event type ${bad.join(', ')}: use all or ${NOTIFY_EVENT_TYPES.join(', ')}`, 2);
  return names as NotifyEventType[];
}

/** The channel URL from stdin: asked for without echo on a terminal, as `accounts add-key` asks for a key. */
function readHookUrl(io: CliIo): Promise<string> {
  return isInteractive(io) ? readHidden(io, 'Webhook URL: ') : readAll(io);
}

interface RulesOptions {
  window?: string;
  spendDaily?: string;
  spendMonthly?: string;
  keySpendDaily?: string;
  keySpendMonthly?: string;
  errorRate?: string;
  errorMinRequests?: number;
  json?: boolean;
}

function rulesGiven(o: RulesOptions): boolean {
  const given = [
    o.window,
    o.spendDaily,
    o.spendMonthly,
    o.keySpendDaily,
    o.keySpendMonthly,
    o.errorRate,
    o.errorMinRequests,
  ];
  return given.some((v) => v !== undefined);
}

/** The rules with the flags given applied, or null when none was given (then they are only shown). */
export function rulesFromFlags(current: NotifyRules, o: RulesOptions): NotifyRules | null {
  if (!rulesGiven(o)) return null;
  const usd = (flag: string, raw: string | undefined, was: number | null) =>
    raw === undefined ? was : parseUsd(flag, raw, NOTIFY_SPEND_MAX_USD);
  let windowMs = current.windowMs;
  if (o.window !== undefined) {
    const ms = parseDuration(o.window);
    if (ms === null || ms < NOTIFY_WINDOW_MIN_MS || ms > NOTIFY_WINDOW_MAX_MS) {
      throw usageError(
        `--window takes ${DURATION_RULE}, from ${formatDuration(NOTIFY_WINDOW_MIN_MS)} to ` +
          `${formatDuration(NOTIFY_WINDOW_MAX_MS)}, got ${JSON.stringify(o.window)}`,
      );
    }
    windowMs = ms;
  }
  let percent = current.errorRate.percent;
  if (o.errorRate !== undefined) {
    const raw = o.errorRate.trim().replace(/%$/, '');
    const n = /^(off|none)$/i.test(raw) ? null : raw === '' ? Number.NaN : Number(raw);
    if (n !== null && !(n > 0 && n <= 100)) {
      throw usageError(
        `--error-rate takes a percent above 0 up to 100 (20, 12.5) or off, got ${JSON.stringify(o.errorRate)}`,
      );
    }
    percent = n;
  }
  return {
    windowMs,
    spend: {
      dailyUsd: usd('--spend-daily', o.spendDaily, current.spend.dailyUsd),
      monthlyUsd: usd('--spend-monthly', o.spendMonthly, current.spend.monthlyUsd),
      keyDailyUsd: usd('--key-spend-daily', o.keySpendDaily, current.spend.keyDailyUsd),
      keyMonthlyUsd: usd('--key-spend-monthly', o.keySpendMonthly, current.spend.keyMonthlyUsd),
    },
    errorRate: { percent, minRequests: o.errorMinRequests ?? current.errorRate.minRequests },
  };
}

export function renderRules(r: NotifyRules): string {
  const usd = (n: number | null) => (n === null ? 'off' : formatUsd(n));
  return renderTable(
    ['RULE', 'THRESHOLD'],
    [
      ['spend per day', usd(r.spend.dailyUsd)],
      ['spend per month', usd(r.spend.monthlyUsd)],
      ['one key per day', usd(r.spend.keyDailyUsd)],
      ['one key per month', usd(r.spend.keyMonthlyUsd)],
      [
        'error rate (5 min)',
        r.errorRate.percent === null
          ? 'off'
          : `${r.errorRate.percent}% of at least ${plural(r.errorRate.minRequests, 'request')}`,
      ],
      ['repeat window', formatDuration(r.windowMs)],
    ],
  );
}

export function registerNotifyCommands(program: Command, io: CliIo): void {
  const notify = program
    .command('notify')
    .description('Notification channels (webhook, Slack, the dashboard bell): list, add, edit, test, remove');
  const out = (s: string) => io.stdout.write(s);

  notify
    .command('list')
    .description('List channels (URLs masked) and the last deliveries with their status, attempts and last error')
    .option('--limit <n>', 'deliveries shown', '20')
    .option('--json', 'print {"channels", "deliveries"} as JSON')
    .action(async (opts: { limit: string; json?: boolean }, cmd: Command) => {
      const limit = Number(opts.limit);
      if (!Number.isInteger(limit) || limit < 0 || limit > 500) throw new CliError('--limit: 0 to 500', 2);
      await withChannels(
        io,
        cmd,
        async (svc) => {
          const channels = await svc.list();
          const deliveries = limit === 0 ? [] : await svc.deliveries(limit);
          if (opts.json) {
            out(`${JSON.stringify({ channels, deliveries }, null, 2)}\n`);
            return;
          }
          out(renderChannels(channels, screenWidth(io)));
          out(
            deliveries.length === 0
              ? '\nNo deliveries yet.\n'
              : `\n${renderDeliveries(deliveries, Date.now(), screenWidth(io))}`,
          );
        },
        EXISTING,
      );
    });

  notify
    .command('add')
    .description(
      'Add a webhook or Slack channel; the URL is read from stdin unless --hook-url is given (it is a secret)',
    )
    .argument('<name>', 'channel name')
    .option('--slack', 'a Slack incoming webhook (formatted blocks)')
    .option('--hook-url <url>', 'the http(s) URL (ends up in shell history: prefer stdin)')
    .option('--secret <secret>', 'HMAC-SHA256 signing secret for a webhook (x-ccflare-signature)')
    .option('--events <list>', `all (the default) or comma-separated event types: ${NOTIFY_EVENT_TYPES.join(', ')}`)
    .option('--json', 'print the channel as JSON')
    .action(
      async (
        name: string,
        opts: { slack?: boolean; hookUrl?: string; secret?: string; events?: string; json?: boolean },
        cmd: Command,
      ) => {
        const events = parseEvents(opts.events);
        const url = (opts.hookUrl ?? (await readHookUrl(io))).trim();
        if (url === '') throw new CliError('give the URL with --hook-url or on stdin', 2);
        await withChannels(io, cmd, async (svc) => {
          const view = await svc.create({
            name,
            kind: opts.slack ? 'slack' : 'webhook',
            url,
            ...(opts.secret !== undefined ? { secret: opts.secret } : {}),
            ...(events !== undefined ? { events } : {}),
          });
          if (opts.json) out(`${JSON.stringify(view, null, 2)}\n`);
          else out(`Added ${view.kind} channel "${view.name}" (${view.url}).\n`);
        });
      },
    );

  // --secret and --no-secret set one option, the last given winning; which were given is seen
  // as commander parses them, so the pair can be refused like --enable --disable.
  const secretFlags = new Set<string>();
  notify
    .command('edit')
    .description('Change a channel: name, URL, signing secret, event switches, on/off (what is not given stays)')
    .argument('<name>', 'channel name')
    .option('--rename <new>', 'a new name')
    .option('--hook-url-stdin', 'read the new URL from stdin (keeps it out of shell history)')
    .option('--hook-url <url>', 'the new http(s) URL (ends up in shell history: prefer --hook-url-stdin)')
    .option('--secret <secret>', 'set the HMAC-SHA256 signing secret (webhook)')
    .option('--no-secret', 'remove the signing secret')
    .option('--events <list>', `all, or comma-separated event types replacing the current ones ('' for none)`)
    .option('--enable', 'switch the channel on')
    .option('--disable', 'switch the channel off')
    .option('--json', 'print the channel as JSON')
    .on('option:secret', () => secretFlags.add('secret'))
    .on('option:no-secret', () => secretFlags.add('no-secret'))
    .action(
      async (
        name: string,
        opts: {
          rename?: string;
          hookUrlStdin?: boolean;
          hookUrl?: string;
          secret?: string | false;
          events?: string;
          enable?: boolean;
          disable?: boolean;
          json?: boolean;
        },
        cmd: Command,
      ) => {
        if (opts.enable && opts.disable) throw new CliError('give --enable or --disable, not both', 2);
        if (secretFlags.size > 1) throw new CliError('give --secret or --no-secret, not both', 2);
        if (opts.hookUrlStdin && opts.hookUrl !== undefined)
          throw new CliError('give --hook-url or --hook-url-stdin, not both', 2);
        const events = parseEvents(opts.events);
        let url: string | undefined = opts.hookUrl?.trim();
        if (opts.hookUrlStdin) {
          url = (await readHookUrl(io)).trim();
          if (url === '') throw new CliError('--hook-url-stdin: no URL on stdin', 2);
        }
        const patch = {
          ...(opts.rename !== undefined ? { name: opts.rename } : {}),
          ...(url !== undefined ? { url } : {}),
          ...(opts.secret !== undefined ? { secret: opts.secret === false ? null : opts.secret } : {}),
          ...(events !== undefined ? { events } : {}),
          ...(opts.enable || opts.disable ? { enabled: opts.enable === true } : {}),
        };
        if (Object.keys(patch).length === 0)
          throw new CliError(
            'nothing to change: give --rename, --hook-url(-stdin), --secret/--no-secret, --events, --enable or --disable',
            2,
          );
        await withChannels(
          io,
          cmd,
          async (svc) => {
            const view = await svc.update(name, patch);
            if (opts.json) out(`${JSON.stringify(view, null, 2)}\n`);
            else out(`Changed channel "${view.name}".\n${renderChannels([view])}`);
          },
          EXISTING,
        );
      },
    );

  notify
    .command('rules')
    .description(
      'Show the thresholds (spend per day and month, overall and per client key; error rate) and the repeat window, or change the ones given; running gateways apply them within a second',
    )
    .option('--window <duration>', 'one message per event and subject within this (5m, 1h)')
    .option('--spend-daily <usd>', 'spend over all requests per UTC day, or off')
    .option('--spend-monthly <usd>', 'spend over all requests per UTC month, or off')
    .option('--key-spend-daily <usd>', 'spend of any one client key per UTC day, or off')
    .option('--key-spend-monthly <usd>', 'spend of any one client key per UTC month, or off')
    .option('--error-rate <percent>', 'share of failed requests over 5 minutes (1-100), or off')
    .option(
      '--error-min-requests <n>',
      'fewer requests than this in the 5 minutes never fire (1-1000000)',
      positiveInt(1_000_000),
    )
    .option('--json', 'print the rules as JSON')
    .action(async (opts: RulesOptions, cmd: Command) => {
      // Setting a threshold may be the first thing done in a data directory; showing them may not.
      await withChannels(
        io,
        cmd,
        async (svc) => {
          const current = await svc.rules();
          const next = rulesFromFlags(current, opts);
          const rules = next === null ? current : await svc.putRules(next);
          if (opts.json) out(`${JSON.stringify(rules, null, 2)}\n`);
          else out(`${next === null ? '' : 'Changed the rules.\n'}${renderRules(rules)}`);
        },
        rulesGiven(opts) ? {} : EXISTING,
      );
    });

  notify
    .command('test')
    .description('Send a test notification to a channel now and print the result (logged like any delivery)')
    .argument('<name>', 'channel name (dashboard: the bell)')
    .option('--json', 'print the delivery as JSON')
    .action(async (name: string, opts: { json?: boolean }, cmd: Command) => {
      await withChannels(
        io,
        cmd,
        async (svc) => {
          const d = await svc.sendTest(name);
          if (opts.json) out(`${JSON.stringify(d, null, 2)}\n`);
          else if (d.status === 'delivered') out(`Test notification delivered to "${name}".\n`);
          if (d.status !== 'delivered') throw new CliError(`test notification to "${name}" failed: ${d.lastError}`);
        },
        EXISTING,
      );
    });

  notify
    .command('remove')
    .description('Remove a channel (the dashboard channel can only be switched off)')
    .argument('<name>')
    .action(async (name: string, _opts: unknown, cmd: Command) => {
      await withChannels(
        io,
        cmd,
        async (svc) => {
          await svc.remove(name);
          out(`Removed channel "${name}".\n`);
        },
        EXISTING,
      );
    });
}
