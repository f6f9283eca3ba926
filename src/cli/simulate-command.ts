/**
 * `ccflare simulate`: runs each strategy over one workload against simulated accounts and prints
 * how they compare. Reads the database only with `--from-db`; never talks to a gateway.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { thresholdsFrom } from '../routing/routing-config.js';
import { STRATEGY_NAMES, type StrategyName } from '../routing/strategy.js';
import { SEVEN_DAYS, type SimAccountSpec, type SimRequest, simulate } from '../simulate/simulate.js';
import { recordedWorkload, syntheticWorkload } from '../simulate/workload.js';
import type { Store } from '../storage/contract/store.js';
import { type GlobalOptions, withStore } from './context.js';
import { CliError, type CliIo, positiveInt, usageError } from './io.js';
import { plural } from './report-format.js';
import { COLUMN_LEGEND, renderComparison, type StrategyRun } from './simulate-format.js';
import { timeRange } from './time-args.js';

const DAY_MS = 86_400_000;
/** Rows per read of `--from-db`: a month of a busy team in a few dozen reads. */
const PAGE = 5_000;

/**
 * Default quota per account, in the simulator's units (see src/simulate/simulate.ts). Chosen so
 * that one developer in a long session reaches the 5h limit and a team of four on three accounts
 * reaches the 7d one by the end of the week, where strategies start to differ.
 */
export const DEFAULT_LIMIT_5H = 10_000_000;
export const DEFAULT_LIMIT_7D = 120_000_000;

interface SimulateOptions {
  strategies?: string;
  accounts: number;
  developers: number;
  days: number;
  seed: number;
  limit5h: number;
  limit7d: number;
  sessionHours: number;
  threshold5h: number;
  threshold7d: number;
  fromDb?: boolean;
  since?: string;
  until?: string;
  json?: boolean;
}

function nonNegativeInt(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError('expected a whole number.');
  return n;
}

function positiveNumber(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0)
    throw new InvalidArgumentError('expected a number above 0.');
  return n;
}

function percent(value: string): number {
  const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
  if (!Number.isSafeInteger(n) || n > 100) throw new InvalidArgumentError('expected a percent from 0 to 100.');
  return n;
}

export function pickStrategies(list: string | undefined): StrategyName[] {
  const known: readonly string[] = STRATEGY_NAMES;
  if (list === undefined) return [...STRATEGY_NAMES];
  const names = list
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
  const unknown = names.filter((n) => !known.includes(n));
  if (names.length === 0 || unknown.length > 0) {
    throw usageError(
      `unknown strategy ${unknown.length > 0 ? unknown.map((n) => `"${n}"`).join(', ') : '""'}: choose from ${known.join(', ')}`,
    );
  }
  return [...new Set(names)] as StrategyName[];
}

/**
 * The recorded requests in [since, until) as simulator input, oldest first, read page by page
 * through the store contract. Each page is reduced to what the simulator needs at once: a month
 * of full records held together cost more in garbage collection than the simulation itself.
 */
async function readRecorded(store: Store, since: number, until: number): Promise<SimRequest[]> {
  const pages: SimRequest[][] = [];
  let before: { ts: number; id: string } | undefined;
  for (;;) {
    // Summaries: no attempt logs to parse, which the replay does not need.
    const { items, more } = await store.requests.list({ limit: PAGE, since, until, ...(before ? { before } : {}) });
    pages.push(recordedWorkload(items));
    const last = items.at(-1);
    if (!more || !last) break;
    before = { ts: last.ts, id: last.id };
  }
  // Pages come newest first, each sorted oldest first.
  return pages.reverse().flat();
}

export function simulationAccounts(n: number, limit5h: number, limit7d: number): SimAccountSpec[] {
  // Weekly resets spread over the week, as accounts subscribed on different days have them.
  return Array.from({ length: n }, (_, i) => ({
    name: `account-${i + 1}`,
    limit5h,
    limit7d,
    weeklyResetOffsetMs: SEVEN_DAYS - Math.floor((i * SEVEN_DAYS) / n / DAY_MS) * DAY_MS,
  }));
}

export function registerSimulateCommand(program: Command, io: CliIo): void {
  program
    .command('simulate')
    .description(
      "Compare routing strategies on simulated accounts with 5h/7d limits: a synthetic Claude Code team, or this gateway's recorded requests (--from-db)",
    )
    .option('--strategies <list>', `comma-separated (default: all: ${STRATEGY_NAMES.join(', ')})`)
    .option('--accounts <n>', 'simulated subscription accounts (1-100)', positiveInt(100), 3)
    .option('--developers <n>', 'synthetic workload: developers (1-1000)', positiveInt(1000), 4)
    .option('--days <n>', 'synthetic workload: days, weekends off (1-366)', positiveInt(366), 14)
    .option('--seed <n>', 'synthetic workload: random seed (same seed, same workload)', nonNegativeInt, 1)
    .option('--limit-5h <units>', 'quota units per account per 5h window', positiveNumber, DEFAULT_LIMIT_5H)
    .option('--limit-7d <units>', 'quota units per account per 7d window', positiveNumber, DEFAULT_LIMIT_7D)
    .option(
      '--session-hours <h>',
      'the session window the session strategy keeps (config sessionMs)',
      positiveNumber,
      5,
    )
    .option(
      '--threshold-5h <percent>',
      'quota protection: skip an account past this share of its 5h window (0: off)',
      percent,
      0,
    )
    .option(
      '--threshold-7d <percent>',
      'quota protection: skip an account past this share of its 7d window (0: off)',
      percent,
      0,
    )
    .option('--from-db', "replay this gateway's recorded requests instead of the synthetic workload")
    .option('--since <time>', '--from-db: first instant, inclusive (default: 30 days before --until)')
    .option('--until <time>', '--from-db: end, exclusive (default: now)')
    .option('--json', 'print the results as JSON')
    .addHelpText(
      'after',
      '\nQuota units: input + cache writes + 5 x output + 0.1 x cache reads tokens; a request that moves its\n' +
        "session to another account pays its cache reads as writes. See README 'Strategy simulator'.",
    )
    .action(async (opts: SimulateOptions, cmd: Command) => {
      const strategies = pickStrategies(opts.strategies);
      if (!opts.fromDb && (opts.since !== undefined || opts.until !== undefined)) {
        throw usageError('--since and --until need --from-db');
      }
      let requests: SimRequest[];
      let workload: string;
      let readMs: number | null = null;
      if (opts.fromDb) {
        const now = Date.now();
        const range = timeRange(opts, now);
        const until = range.until ?? now;
        const since = range.since ?? until - 30 * DAY_MS;
        if (since >= until) throw usageError('--since must be before --until');
        const readStarted = performance.now();
        requests = await withStore(
          io,
          cmd.optsWithGlobals<GlobalOptions>(),
          (store) => readRecorded(store, since, until),
          {
            read: true,
          },
        );
        readMs = performance.now() - readStarted;
        // A table of zeros at 100 % continuity would read as a result.
        if (requests.length === 0) {
          throw new CliError(
            `nothing to simulate: no messages were recorded from ${new Date(since).toISOString()} to ` +
              `${new Date(until).toISOString()} (widen --since/--until; without them, the last 30 days)`,
          );
        }
        workload = `${requests.length} recorded requests from ${new Date(since).toISOString()} to ${new Date(until).toISOString()}`;
      } else {
        requests = syntheticWorkload({ developers: opts.developers, days: opts.days, seed: opts.seed });
        workload = `synthetic: ${plural(opts.developers, 'developer')}, ${plural(opts.days, 'day')}, seed ${opts.seed} (${requests.length} requests)`;
      }
      const accounts = simulationAccounts(opts.accounts, opts.limit5h, opts.limit7d);
      const thresholds = thresholdsFrom({
        quotaThreshold5h: opts.threshold5h,
        quotaThreshold7d: opts.threshold7d,
        quotaThresholds: '',
      });
      const started = performance.now();
      const runs: StrategyRun[] = strategies.map((strategy) => ({
        strategy,
        result: simulate({
          accounts,
          requests,
          strategy,
          thresholds,
          sessionMs: opts.sessionHours * 3_600_000,
        }),
      }));
      const elapsedMs = performance.now() - started;
      if (opts.json) {
        io.stdout.write(
          `${JSON.stringify(
            {
              workload,
              requests: requests.length,
              accounts,
              readMs: readMs === null ? null : Math.round(readMs),
              elapsedMs: Math.round(elapsedMs),
              runs,
            },
            null,
            2,
          )}\n`,
        );
        return;
      }
      io.stdout.write(
        `${workload}; ${plural(opts.accounts, 'account')}, ${opts.limit5h.toLocaleString('en-US')} units/5h, ${opts.limit7d.toLocaleString('en-US')} units/7d\n\n`,
      );
      io.stdout.write(renderComparison(runs));
      io.stdout.write(`\n${COLUMN_LEGEND.join('\n')}\n`);
      const read = readMs === null ? '' : ` (reading the records took ${Math.round(readMs)} ms)`;
      io.stdout.write(
        `\n${strategies.length === 1 ? '1 strategy' : `${strategies.length} strategies`} simulated in ${Math.round(elapsedMs)} ms${read}\n`,
      );
      if (requests.length === 0) io.stdout.write('no requests to replay: nothing was recorded in that range\n');
    });
}
