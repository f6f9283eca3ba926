/**
 * `ccflare config get [key] [--json]`, `config set <key> <value>`, `config unset <key>`: the
 * runtime settings (config/live-settings.ts). Values are stored in the database, so running
 * gateways on it apply a change within a second, without a restart. With a gateway running, the
 * commands go through its API: what it shows and refuses follows the gateway's own flags and
 * environment, not those of the shell the CLI runs in.
 */
import type { Command } from 'commander';
import type { Config } from '../config/config.js';
import {
  isLiveSettingKey,
  LIVE_SETTING_KEYS,
  type LiveSettingKey,
  type LiveSettings,
  parseLiveSetting,
  type SettingsDescription,
} from '../config/live-settings.js';
import { SETTINGS, settingMeant } from '../config/settings.js';
import { GatewayError } from '../errors.js';
import { formatDuration } from '../shared/duration.js';
import { cliLiveSettings, EXISTING, type GlobalOptions, type StoreUse, withConfigStore } from './context.js';
import { resolveTarget } from './gateway-client.js';
import type { CliIo } from './io.js';
import { usageError } from './io.js';

function withLiveSettings<T>(config: Config, fn: (live: LiveSettings) => Promise<T>, use: StoreUse): Promise<T> {
  return withConfigStore(
    config,
    async (store) => {
      const live = cliLiveSettings(config, store);
      await live.refresh();
      return fn(live);
    },
    use,
  );
}

interface SettingsAccess {
  describe(): Promise<SettingsDescription>;
  update(patch: Record<string, unknown>): Promise<SettingsDescription>;
  /** Who applies a change, for the confirmation line. */
  applied: string;
}

/** `use`: whether the command may create the database (`set` may be the first thing done in it). */
async function withSettings<T>(
  io: CliIo,
  globals: GlobalOptions,
  fn: (s: SettingsAccess) => Promise<T>,
  use: StoreUse = EXISTING,
): Promise<T> {
  // The config is loaded once (its warnings said once), by the gateway lookup.
  const { api, config } = await resolveTarget(io, globals);
  if (api !== null) {
    return fn({
      describe: () => api.get<SettingsDescription>('/api/config'),
      update: (patch) => api.patch<SettingsDescription>('/api/config', patch),
      applied: `the gateway at ${api.base} applies it now; others on its database within a second`,
    });
  }
  return withLiveSettings(
    config,
    (live) =>
      fn({
        describe: async () => live.describe(),
        update: (patch) => live.update(patch),
        applied: 'running gateways apply it within a second',
      }),
    use,
  );
}

const DURATIONS = new Set<string>(SETTINGS.filter((d) => d.type.kind === 'duration').map((d) => d.key));

/** A value as stored, with the readable form of a duration: `3600000 (1h)`. */
function shown(key: LiveSettingKey, value: unknown): string {
  if (value === '') return '(none)';
  return DURATIONS.has(key) && typeof value === 'number' ? `${value} (${formatDuration(value)})` : String(value);
}

/** A value refused as typed is the user's to fix: exit code 2, as for any bad argument. */
function asUsageError<T>(fn: () => T): T {
  try {
    return fn();
  } catch (err) {
    if (err instanceof GatewayError && err.status === 400) throw usageError(err.message);
    throw err;
  }
}

/** The flags `ccflare serve` takes for startup settings (serve-command.ts). */
const SERVE_FLAGS: Record<string, string> = { port: '--port', host: '--host' };

/**
 * `key` as a runtime setting. Anything else is refused with what to do instead: a startup
 * setting (`port`, `logLevel`) says where it is set; another spelling of a runtime setting (its
 * environment variable, snake case, another case) or a typo of one names the key; else the list.
 */
export function keyArg(key: string): LiveSettingKey {
  if (isLiveSettingKey(key)) return key;
  // sessionMs, session_ms, CCFLARE_SESSION_MS and sesionMs all name sessionMs.
  const def = settingMeant(key);
  const list = `runtime settings: ${LIVE_SETTING_KEYS.join(', ')}`;
  if (def !== null && isLiveSettingKey(def.key)) {
    throw usageError(`Unknown setting "${key}": did you mean ${def.key}?`);
  }
  if (def !== null) {
    const flag = SERVE_FLAGS[def.key];
    throw usageError(
      `${def.key} is read when the gateway starts, not a runtime setting: set ${def.env} in the gateway's ` +
        `environment${flag === undefined ? ' or' : ','} "${def.key}" in config.json in its data directory` +
        `${flag === undefined ? '' : ` or \`ccflare serve ${flag}\``}, and restart it; ${list}`,
    );
  }
  throw usageError(`Unknown setting "${key}"; ${list}`);
}

export function registerConfigCommands(program: Command, io: CliIo): void {
  const config = program
    .command('config')
    .description('Read and change runtime settings (stored in the database, applied without restart)');
  const out = (s: string) => io.stdout.write(s);

  config
    .command('get')
    // `list` as every other group has it: `config list` shows them all.
    .alias('list')
    .description('Show runtime settings with where each value comes from (alias: list)')
    .argument('[key]', `one of ${LIVE_SETTING_KEYS.join(', ')}`)
    .option('--json', 'machine-readable output')
    .action(async (key: string | undefined, opts: { json?: boolean }, cmd: Command) => {
      const k = key === undefined ? undefined : keyArg(key);
      await withSettings(io, cmd.optsWithGlobals<GlobalOptions>(), async (settings) => {
        const all = await settings.describe();
        if (k !== undefined) {
          // Raw, as scripts read it, but an unset text shows as `list` shows it, not as an empty line.
          const value = all[k].value;
          out(opts.json ? `${JSON.stringify(all[k], null, 2)}\n` : `${value === '' ? '(none)' : String(value)}\n`);
          return;
        }
        if (opts.json) {
          out(`${JSON.stringify(all, null, 2)}\n`);
          return;
        }
        // For reading: a duration with its units, `18000000 (5h)`; `get <key>` and --json stay raw for scripts.
        const width = Math.max(...LIVE_SETTING_KEYS.map((x) => x.length));
        const valueWidth = Math.max(...LIVE_SETTING_KEYS.map((x) => shown(x, all[x].value).length));
        for (const name of LIVE_SETTING_KEYS) {
          const s = all[name];
          const source = s.pinned ? `${s.source}: ${s.env}` : s.source;
          out(`${name.padEnd(width)}  ${shown(name, s.value).padEnd(valueWidth)}  (${source})\n`);
        }
      });
    });

  config
    .command('set')
    .description('Store a runtime setting; refused when a flag or environment variable pins it')
    .argument('<key>', `one of ${LIVE_SETTING_KEYS.join(', ')}`)
    .argument(
      '<value...>',
      'the new value (checked like the environment variable; durations take units: 90m, 1h, 5 hours); words are joined with spaces',
    )
    .action(async (key: string, words: string[], _opts: unknown, cmd: Command) => {
      const k = keyArg(key);
      // `config set sessionMs 5 hours` without quotes: the shell splits the value.
      const value = words.join(' ');
      // Checked here first, with the message the gateway would give; the API takes typed values.
      const typed = asUsageError(() => parseLiveSetting(k, value));
      await withSettings(
        io,
        cmd.optsWithGlobals<GlobalOptions>(),
        async (settings) => {
          const after = await settings.update({ [k]: typed });
          out(`Set ${k} = ${shown(k, after[k].value)}; ${settings.applied}.\n`);
        },
        {},
      );
    });

  config
    .command('unset')
    .description('Remove a stored runtime setting: back to the config file or the default')
    .argument('<key>', `one of ${LIVE_SETTING_KEYS.join(', ')}`)
    .action(async (key: string, _opts: unknown, cmd: Command) => {
      const k = keyArg(key);
      await withSettings(io, cmd.optsWithGlobals<GlobalOptions>(), async (settings) => {
        const after = await settings.update({ [k]: null });
        out(`Unset ${k}; now ${shown(k, after[k].value)} (${after[k].source}).\n`);
      });
    });
}
