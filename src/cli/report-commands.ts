/**
 * Reporting and history commands for scripts: `stats`, `requests`, `analyze`, `reset-stats`,
 * `clear-history`. Each asks the running gateway's management API when one answers on the
 * configured host and port, and reads the database directly otherwise (`--verbose` says which).
 * `analyze` always reads the database file: it reports on the file itself.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { requestDetailView, summaryView } from '../api/request-view.js';
import { ANALYTICS_RANGES } from '../shared/analytics-schemas.js';
import type { ClearHistoryResult } from '../shared/clear-history-schemas.js';
import { EXPORT_TIME_RULE } from '../shared/export-schemas.js';
import { type RequestDetail, RequestListQuerySchema } from '../shared/requests-schemas.js';
import { TOKENS_LEGEND } from '../shared/tokens.js';
import type { AnalyticsRange, AnalyticsResult, StatsResult } from '../storage/contract/analytics.js';
import type { DatabaseReport } from '../storage/contract/maintenance.js';
import type { RequestSummary } from '../storage/contract/requests.js';
import type { Store } from '../storage/contract/store.js';
import { cliLiveSettings, type GlobalOptions, withConfigStore } from './context.js';
import { apiPath, checkAccountNames, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo, idArg, isInteractive, positiveInt, readLine, screenWidth, usageError } from './io.js';
import {
  type AnalyzeReport,
  formatBytes,
  plural,
  renderAnalyze,
  renderRangeStats,
  renderRequests,
  renderStats,
  type TrafficSummary,
} from './report-format.js';
import { renderRequestDetail } from './request-format.js';
import { timeRange } from './time-args.js';

const DAY_MS = 86_400_000;
const MIB = 1024 * 1024;
/** Recent errors listed by `stats`. */
const RECENT_ERRORS = 10;
/** The word `clear-history` asks to be typed on a terminal. */
export const CLEAR_CONFIRMATION = 'clear';

interface RequestsOptions {
  limit: number;
  account?: string;
  model?: string;
  agent?: string;
  status?: 'success' | 'error' | number;
  since?: string;
  until?: string;
  session?: string;
  json?: boolean;
}

/** `--status`: read by the API's own `status` filter, so both ways take and refuse the same. */
function parseStatusArg(value: string): 'success' | 'error' | number {
  const r = RequestListQuerySchema.shape.status.safeParse(value);
  if (!r.success || r.data === undefined)
    throw new InvalidArgumentError(`${r.error?.issues[0]?.message ?? 'not a status'}.`);
  return r.data;
}

interface StatsOptions {
  range?: AnalyticsRange;
  account?: string;
  model?: string;
  agent?: string;
  json?: boolean;
}

/** A comma-separated option's items, each once (as the API's list parameters read them). */
function listArg(value: string | undefined): string[] {
  if (value === undefined) return [];
  const items = value.split(',').map((x) => x.trim());
  if (items.some((x) => x === '')) throw usageError(`"${value}": an empty item in the comma-separated list`);
  return [...new Set(items)];
}

function parseRangeArg(value: string): AnalyticsRange {
  if ((ANALYTICS_RANGES as readonly string[]).includes(value)) return value as AnalyticsRange;
  throw new InvalidArgumentError(`expected ${ANALYTICS_RANGES.join(', ')}.`);
}

export const parseLimitArg = positiveInt(500);

function globalsOf(cmd: Command): GlobalOptions {
  return cmd.optsWithGlobals<GlobalOptions>();
}

/** What `analyze` recommends, from the report and the retention settings. */
export function analyzeSuggestions(
  r: DatabaseReport,
  retention: { requestRetentionDays: number; payloadRetentionDays: number },
  now: number,
): string[] {
  const out: string[] = [];
  const total = r.fileBytes + r.walBytes;
  if (r.reclaimableBytes >= MIB || (r.reclaimableBytes >= 64 * 1024 && r.reclaimableBytes >= r.fileBytes / 4)) {
    out.push(
      `run compaction: ${formatBytes(r.reclaimableBytes)} reclaimable (POST /api/maintenance/compact on the running gateway)`,
    );
  }
  if (r.walBytes >= 64 * MIB) {
    out.push(`the write-ahead log is ${formatBytes(r.walBytes)}: compaction truncates it`);
  }
  if (retention.payloadRetentionDays > 14 || (r.payloadBytes >= 100 * MIB && r.payloadBytes > total / 2)) {
    out.push(
      `payload retention is long (${retention.payloadRetentionDays} days; payloads take ${formatBytes(r.payloadBytes)}): ` +
        'lower it with `ccflare config set payloadRetentionDays 7`, or stop capturing with `ccflare config set payloadCapture false`',
    );
  }
  if (retention.requestRetentionDays > 365) {
    out.push(
      `request retention is long (${retention.requestRetentionDays} days): consider \`ccflare config set requestRetentionDays 90\``,
    );
  }
  const expiredRequests =
    r.oldestRequestTs !== null && r.oldestRequestTs < now - retention.requestRetentionDays * DAY_MS;
  const expiredPayloads =
    r.oldestPayloadTs !== null && r.oldestPayloadTs < now - retention.payloadRetentionDays * DAY_MS;
  if (expiredRequests || expiredPayloads) {
    out.push(
      `${expiredRequests ? 'request records' : 'payloads'} older than the retention are still stored: a running gateway deletes them within the hour (or now: POST /api/maintenance/cleanup)`,
    );
  }
  for (const q of r.queries) {
    if (q.fullScans.length > 0) {
      out.push(`"${q.name}" scans ${q.fullScans.join(', ')} without an index: the schema may be damaged`);
    }
  }
  return out;
}

/** The last day's traffic from the rollups (never a scan of request rows). */
async function trafficSummary(store: Store, now: number): Promise<TrafficSummary> {
  const a = await store.analytics.query({ range: '24h', now, accounts: [], models: [], status: 'all' });
  const accounts = await store.accounts.list();
  return {
    since: a.from,
    requests: a.totals.requests,
    successRate: a.totals.successRate,
    avgLatencyMs: a.totals.avgLatencyMs,
    activeAccounts: accounts.filter((x) => !x.paused).length,
    topModels: [...a.models]
      .sort((x, y) => y.requests - x.requests)
      .slice(0, 5)
      .map((m) => ({ model: m.model, requests: m.requests })),
  };
}

export function registerReportCommands(program: Command, io: CliIo): void {
  const out = (s: string) => io.stdout.write(s);
  const json = (v: unknown) => out(`${JSON.stringify(v, null, 2)}\n`);

  program
    .command('stats')
    .description(
      'Totals, per-account and per-agent figures and recent errors over all retained history, or over the last --range',
    )
    .option(
      '--range <range>',
      `only the last ${ANALYTICS_RANGES.join(', ')}, against the same length before it; per account, model and agent`,
      parseRangeArg,
    )
    .option('--account <names>', 'with --range: only these accounts (comma-separated names or ids)')
    .option('--model <models>', 'with --range: only these models (comma-separated)')
    .option('--agent <names>', 'with --range: only these agents (comma-separated: main, subagent, a sub-agent name)')
    .option('--json', 'machine-readable output (the shape of GET /api/stats, with --range of GET /api/analytics)')
    .action(async (opts: StatsOptions, cmd: Command) => {
      const filters = { accounts: listArg(opts.account), models: listArg(opts.model), agents: listArg(opts.agent) };
      const range = opts.range;
      if (range === undefined && (opts.account ?? opts.model ?? opts.agent) !== undefined) {
        throw usageError(
          '--account, --model and --agent narrow a --range report: add --range 24h (or 1h, 6h, 7d, 30d)',
        );
      }
      const t = await resolveTarget(io, globalsOf(cmd));
      if (range !== undefined) {
        const a = t.api
          ? await t.api.get<AnalyticsResult>(apiPath('/api/analytics', { range, ...filters }))
          : await withConfigStore(
              t.config,
              (s) => s.analytics.query({ range, now: Date.now(), status: 'all', ...filters }),
              { read: true },
            );
        // Names the answer has no row for: each an account without traffic in the range, or a typo.
        const absent = filters.accounts.filter((n) => !a.accounts.some((p) => p.name === n || p.accountId === n));
        await checkAccountNames(t, absent);
        if (opts.json) json(a);
        else out(renderRangeStats(a, Date.now(), screenWidth(io)));
        return;
      }
      const stats = t.api
        ? await t.api.get<StatsResult>(`/api/stats?recentErrors=${RECENT_ERRORS}`)
        : await withConfigStore(t.config, (s) => s.analytics.stats({ recentErrors: RECENT_ERRORS }), { read: true });
      if (opts.json) json(stats);
      else out(renderStats(stats, Date.now(), screenWidth(io)));
    });

  const requests = program
    .command('requests')
    .description('Recent requests, newest first (`requests show <id>`: one request in full)')
    .addHelpText('after', `\nTOKENS: ${TOKENS_LEGEND}.`)
    .option('--limit <n>', 'how many (1-500)', parseLimitArg, 20)
    .option('--account <name>', 'only this account (name or id)')
    .option('--model <model>', 'only this model')
    .option('--agent <name>', 'only this agent (main, subagent or a sub-agent name)')
    .option('--status <status>', 'only success, error, or one HTTP status (429)', parseStatusArg)
    .option('--since <time>', `at or after: ${EXPORT_TIME_RULE}`)
    .option('--until <time>', 'before (same forms as --since)')
    .option('--session <id>', "only this client session (Claude Code's session id)")
    .option('--json', 'print a JSON array of request summaries')
    .action(async (opts: RequestsOptions, cmd: Command) => {
      const now = Date.now();
      const { since, until } = timeRange(opts, now);
      const t = await resolveTarget(io, globalsOf(cmd));
      // The API's query parameters and the store's query have the same names.
      const filter = {
        limit: opts.limit,
        account: opts.account,
        model: opts.model,
        agent: opts.agent,
        status: opts.status,
        since,
        until,
        session: opts.session,
      };
      let items: RequestSummary[];
      // The accounts there are now, so the table marks a removed account's rows (as `stats` does).
      let accounts: { id: string }[];
      if (t.api) {
        items = (await t.api.get<{ items: RequestSummary[] }>(apiPath('/api/requests', filter))).items;
        accounts = opts.json || items.length === 0 ? [] : await t.api.get<{ id: string }[]>('/api/accounts');
      } else {
        [items, accounts] = await withConfigStore(
          t.config,
          async (s) => [(await s.requests.list(filter)).items.map(summaryView), await s.accounts.list()] as const,
          { read: true },
        );
      }
      if (items.length === 0 && opts.account !== undefined) await checkAccountNames(t, [opts.account]);
      if (opts.json) json(items);
      else if (items.length === 0) out('No requests match.\n');
      else out(renderRequests(items, now, new Set(accounts.map((a) => a.id)), screenWidth(io)));
    });
  requests
    .command('show')
    .description('One request in full: status, error, attempts, tokens, cost, timing, its conversation')
    .argument('<id>', 'request id (the ID column of `ccflare requests`)', idArg)
    .option('--bodies', 'also its stored headers and bodies (credentials redacted)')
    .option('--json', 'print it as JSON (as GET /api/requests/{id}, payload included)')
    .action(async (id: string, opts: { bodies?: boolean; json?: boolean }, cmd: Command) => {
      const t = await resolveTarget(io, globalsOf(cmd));
      const detail = t.api
        ? await t.api.find<RequestDetail>(`/api/requests/${encodeURIComponent(id)}`)
        : await withConfigStore(
            t.config,
            async (s) => {
              const r = await s.requests.get(id);
              return r === null ? null : requestDetailView(r, await s.conversations.linkOf(id));
            },
            { read: true },
          );
      if (detail === null) throw new CliError(`no request with id "${id}" (\`ccflare requests\` lists them)`);
      // `requests` has a --json of its own, which takes the flag wherever it stands.
      if (cmd.optsWithGlobals<{ json?: boolean }>().json) json(detail);
      else out(renderRequestDetail(detail, Date.now(), { bodies: opts.bodies === true }));
    });

  program
    .command('analyze')
    .description('Database health: size, free pages, row counts, indexes and their use, suggestions')
    .option('--traffic', 'also the last 24 hours: requests, success rate, active accounts, top models')
    .option('--json', 'machine-readable output')
    .action(async (opts: { json?: boolean; traffic?: boolean }, cmd: Command) => {
      const globals = globalsOf(cmd);
      const t = await resolveTarget(io, globals);
      if (t.api && globals.verbose) {
        io.stderr.write(`ccflare: analyze reads ${t.dbPath} directly (read-only queries next to the gateway)\n`);
      }
      const report = await withConfigStore(
        t.config,
        async (store) => {
          const live = cliLiveSettings(t.config, store);
          await live.refresh();
          const { requestRetentionDays, payloadRetentionDays } = live.current();
          const db = await store.maintenance.report();
          const now = Date.now();
          const retention = { requestRetentionDays, payloadRetentionDays };
          const r: AnalyzeReport = { ...db, ...retention, suggestions: analyzeSuggestions(db, retention, now) };
          if (opts.traffic) r.traffic = await trafficSummary(store, now);
          return r;
        },
        { read: true },
      );
      if (opts.json) json(report);
      else out(renderAnalyze(report, Date.now()));
    });

  program
    .command('reset-stats')
    .description("Reset every account's usage counters (request history stays)")
    .option('--json', 'print {"accountsReset"} as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const t = await resolveTarget(io, globalsOf(cmd));
      const accountsReset = t.api
        ? (await t.api.post<{ accountsReset: number }>('/api/stats/reset')).accountsReset
        : await withConfigStore(t.config, (s) => s.accounts.resetUsage(), { read: true });
      if (opts.json) json({ accountsReset });
      else {
        out(`Reset the usage counters of ${plural(accountsReset, 'account')}; request history is unchanged.\n`);
      }
    });

  program
    .command('clear-history')
    .description(
      `Delete every request record, stored payload and analytics aggregate (asks to type "${CLEAR_CONFIRMATION}" unless --yes)`,
    )
    .option('--yes', 'do not ask for confirmation')
    .option('--json', 'print what was deleted as JSON')
    .action(async (opts: { yes?: boolean; json?: boolean }, cmd: Command) => {
      const t = await resolveTarget(io, globalsOf(cmd));
      const where = t.api ? `the gateway at ${t.base}` : t.dbPath;
      if (!opts.yes) {
        if (!isInteractive(io)) {
          throw usageError('refusing to clear the request history without confirmation: use --yes to confirm');
        }
        // With --json the prompt goes to stderr: stdout carries only the result.
        const promptIo = opts.json ? { ...io, stdout: io.stderr } : io;
        const typed = await readLine(
          promptIo,
          `This deletes every request record, payload and analytics aggregate of ${where}.\nType "${CLEAR_CONFIRMATION}" to continue: `,
        );
        if (typed.trim() !== CLEAR_CONFIRMATION) {
          throw new CliError(`the typed word is not "${CLEAR_CONFIRMATION}"; nothing was deleted`);
        }
      }
      let result: ClearHistoryResult;
      if (t.api) result = await t.api.post<ClearHistoryResult>('/api/maintenance/clear-history');
      else {
        result = await withConfigStore(
          t.config,
          async (s) => {
            const started = performance.now();
            const counts = await s.maintenance.clearHistory();
            return { ...counts, durationMs: performance.now() - started };
          },
          { read: true },
        );
      }
      if (opts.json) json(result);
      else {
        out(
          `Deleted ${plural(result.requestsDeleted, 'request record')}, ${plural(result.payloadsDeleted, 'payload')} and ` +
            `${plural(result.rollupRowsDeleted, 'analytics row')}. Accounts, keys and settings are unchanged.\n`,
        );
      }
    });
}
