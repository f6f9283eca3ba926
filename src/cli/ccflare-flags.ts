/**
 * ccflare's command line (`ccflare --list`, `--add-account work --tier 5`, …) read as this
 * gateway's commands. runCli rewrites the arguments before commander sees them and prints one
 * line on stderr with the new spelling, so scripts written for ccflare keep working and their
 * stdout (`--stats` JSON, say) stays clean.
 */
import { ccflareModel, isCcflareTier, TIER_RULE, tierToPriority } from '../shared/ccflare-compat.js';
import { usageError } from './io.js';

export interface Translation {
  /** The arguments of the equivalent command. */
  args: string[];
  /** One line for stderr: the old spelling and the new one. */
  hint: string;
}

/** ccflare's action flags: each names one command; the value says whether it takes an argument. */
const ACTIONS = {
  '--serve': 'none',
  '--logs': 'optional',
  '--stats': 'none',
  '--add-account': 'required',
  '--list': 'none',
  '--remove': 'required',
  '--pause': 'required',
  '--resume': 'required',
  '--analyze': 'none',
  '--reset-stats': 'none',
  '--clear-history': 'none',
  '--get-model': 'none',
  '--set-model': 'required',
} as const;
type Action = keyof typeof ACTIONS;

/** ccflare's modifiers, with the actions they belong to. */
const MODIFIERS: Record<string, { value: boolean; of: readonly Action[] }> = {
  '--port': { value: true, of: ['--serve'] },
  '--mode': { value: true, of: ['--add-account'] },
  '--tier': { value: true, of: ['--add-account'] },
  '--force': { value: false, of: ['--remove'] },
};

/** This gateway's global options, passed through unchanged (with their value). */
const GLOBALS: Record<string, boolean> = { '--home': true, '--url': true, '--verbose': false };
/** Options of the new commands a ccflare spelling may carry along (`--clear-history --yes`). */
const PASSED: Record<string, boolean> = { '--json': false, '--yes': false, '--no-browser': false };

function isAction(a: string): a is Action {
  return Object.hasOwn(ACTIONS, a);
}

/** `--opt=value` as two arguments. */
function split(args: readonly string[]): string[] {
  const out: string[] = [];
  for (const a of args) {
    const eq = a.startsWith('--') ? a.indexOf('=') : -1;
    if (eq > 2) out.push(a.slice(0, eq), a.slice(eq + 1));
    else out.push(a);
  }
  return out;
}

/** Whether `args` are ccflare's spelling: the first argument that is not a global option is one of its flags. */
export function isCcflareSpelling(args: readonly string[]): boolean {
  const a = split(args);
  for (let i = 0; i < a.length; i++) {
    const arg = a[i] as string;
    if (Object.hasOwn(GLOBALS, arg)) {
      if (GLOBALS[arg]) i++;
      continue;
    }
    return isAction(arg) || arg === '--port';
  }
  return false;
}

/**
 * The command `args` spell in ccflare's words, or null when they are this gateway's own. Bad
 * ccflare input (two actions, a tier of 3) is a usage error saying what ccflare accepted.
 */
export function translateCcflareArgs(
  args: readonly string[],
  opts: { logsTakesLines?: boolean } = {},
): Translation | null {
  if (!isCcflareSpelling(args)) return null;
  const a = split(args);
  const globals: string[] = [];
  const passed: string[] = [];
  const mods: Record<string, string | true> = {};
  let action: Action | null = null;
  let value: string | undefined;
  for (let i = 0; i < a.length; i++) {
    const arg = a[i] as string;
    const next = a[i + 1];
    if (Object.hasOwn(GLOBALS, arg) || Object.hasOwn(PASSED, arg)) {
      const takes = GLOBALS[arg] ?? PASSED[arg];
      const into = Object.hasOwn(GLOBALS, arg) ? globals : passed;
      into.push(arg);
      if (takes) {
        if (next === undefined) throw usageError(`option '${arg}' argument missing`);
        into.push(next);
        i++;
      }
      continue;
    }
    if (isAction(arg)) {
      if (action !== null) {
        throw usageError(`${action} and ${arg} cannot be combined: ccflare's flags run one action at a time`);
      }
      action = arg;
      const kind = ACTIONS[arg];
      const hasValue = next !== undefined && !next.startsWith('--');
      if (kind === 'required') {
        if (!hasValue) throw usageError(`${arg} needs a value: ${arg} <${arg === '--set-model' ? 'model' : 'name'}>`);
        value = next;
        i++;
      } else if (kind === 'optional' && hasValue) {
        value = next;
        i++;
      }
      continue;
    }
    const mod = MODIFIERS[arg];
    if (mod !== undefined) {
      if (mod.value) {
        if (next === undefined || next.startsWith('--')) throw usageError(`option '${arg}' argument missing`);
        mods[arg] = next;
        i++;
      } else mods[arg] = true;
      continue;
    }
    throw usageError(`unknown option '${arg}' in ccflare's spelling; see \`ccflare --help\` for the commands`);
  }
  // ccflare's `--port N` alone started the server (with its TUI) on that port.
  if (action === null) action = '--serve';
  for (const m of Object.keys(mods)) {
    if (!(MODIFIERS[m]?.of ?? []).includes(action))
      throw usageError(`${m} goes with ${MODIFIERS[m]?.of.join(', ')}, not ${action}`);
  }
  const cmd = commandFor(action, value, mods, opts.logsTakesLines === true);
  const out = [...globals, ...cmd, ...passed];
  // As typed, without this gateway's own options.
  const old = a.filter((_, i) => !isOwnOption(a, i)).join(' ');
  const now = [...cmd, ...passed].join(' ');
  const dropped =
    action === '--logs' && value !== undefined && opts.logsTakesLines !== true
      ? ` (the ${value} is not used: the gateway's recent lines are printed, then new ones)`
      : '';
  return {
    args: out,
    hint: `ccflare: note: "${old}" is ccflare's spelling; this is \`ccflare ${now}\`${dropped}`,
  };
}

/** Whether a[i] is one of this gateway's options (or its value) rather than ccflare's. */
function isOwnOption(a: readonly string[], i: number): boolean {
  const own = (x: string | undefined) => x !== undefined && (Object.hasOwn(GLOBALS, x) || Object.hasOwn(PASSED, x));
  const takes = (x: string | undefined) => x !== undefined && (GLOBALS[x] ?? PASSED[x]) === true;
  return own(a[i]) || takes(a[i - 1]);
}

function commandFor(
  action: Action,
  value: string | undefined,
  mods: Record<string, string | true>,
  logsTakesLines: boolean,
): string[] {
  const name = value as string;
  switch (action) {
    case '--serve':
      return ['serve', ...(typeof mods['--port'] === 'string' ? ['--port', mods['--port']] : [])];
    case '--logs': {
      // ccflare printed the last N lines (when given) and then followed the live log.
      if (value !== undefined && !/^\d+$/.test(value))
        throw usageError(`--logs takes a number of lines, got "${value}"`);
      return ['logs', '--follow', ...(value !== undefined && logsTakesLines ? ['--lines', value] : [])];
    }
    case '--stats':
      // ccflare printed its statistics as JSON.
      return ['stats', '--json'];
    case '--add-account': {
      const mode = mods['--mode'] ?? 'max';
      if (mode !== 'max' && mode !== 'console')
        throw usageError(`--mode must be max or console, got "${String(mode)}"`);
      const out = ['accounts', 'add', name, '--mode', mode];
      const tier = mods['--tier'];
      if (tier !== undefined) {
        const n = Number(tier);
        if (!isCcflareTier(n)) throw usageError(`--tier must be ${TIER_RULE}; got "${String(tier)}"`);
        out.push('--priority', String(tierToPriority(n)));
      }
      return out;
    }
    case '--list':
      return ['accounts', 'list'];
    case '--remove':
      return ['accounts', 'remove', name, ...(mods['--force'] ? ['--yes'] : [])];
    case '--pause':
      return ['accounts', 'pause', name];
    case '--resume':
      return ['accounts', 'resume', name];
    case '--analyze':
      // ccflare's analysis: index use, then the last day's requests, active accounts and top models.
      return ['analyze', '--traffic'];
    case '--reset-stats':
      return ['reset-stats'];
    case '--clear-history':
      return ['clear-history'];
    case '--get-model':
      return ['config', 'get', 'defaultAgentModel'];
    case '--set-model':
      return ['config', 'set', 'defaultAgentModel', ccflareModel(name)];
  }
}
