/**
 * `ccflare workers ...` and `ccflare approvals ...`: Agent SDK workers from the terminal. Workers
 * run inside the gateway, so these commands go through its management API and need it running.
 */
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { typedCount, typedUsd } from '../shared/typed-amounts.js';
import { APPROVAL_STATUS_VALUES, POLICY_VALUES } from '../shared/worker-values.js';
import type { ApprovalData, TemplateData, WorkerLogData, WorkerViewData } from '../shared/workers-schemas.js';
import type { GlobalOptions } from './context.js';
import { openEventStream } from './event-stream.js';
import { formatTime, renderTable } from './format.js';
import { type ApiClient, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo, usageError } from './io.js';

const TERMINAL = new Set(['completed', 'failed', 'stopped']);

async function gatewayApi(io: CliIo, cmd: Command): Promise<ApiClient> {
  const target = await resolveTarget(io, cmd.optsWithGlobals<GlobalOptions>());
  if (target.api === null) {
    throw new CliError(
      `workers run inside the gateway, and none answered at ${target.base}: start it with \`ccflare serve\` (or pass --url)`,
    );
  }
  return target.api;
}

const enc = encodeURIComponent;

function usd(n: number | null): string {
  return n === null ? '-' : `$${n.toFixed(4)}`;
}

export function renderWorkers(workers: readonly WorkerViewData[], now: number): string {
  const rows = workers.map((w) => [
    w.name,
    w.state === 'queued' && w.queuePosition !== null ? `queued #${w.queuePosition}` : w.state,
    String(w.pendingApprovals),
    String(w.turns),
    `${usd(w.costUsd)}${w.budgetUsd === null ? '' : ` / ${usd(w.budgetUsd)}`}`,
    formatTime(w.updatedAt, now),
    w.stateReason ?? w.lastAction ?? '-',
  ]);
  return renderTable(['NAME', 'STATE', 'APPROVALS', 'TURNS', 'COST', 'UPDATED', 'LAST'], rows);
}

function workerLine(w: WorkerViewData): string {
  const where = w.state === 'queued' && w.queuePosition !== null ? ` (#${w.queuePosition} in the queue)` : '';
  return `worker ${w.name}: ${w.state.replace('_', ' ')}${where}${w.stateReason === null ? '' : ` (${w.stateReason})`}\n`;
}

export function renderApprovals(approvals: readonly ApprovalData[], now: number): string {
  const rows = approvals.map((a) => [
    a.id,
    a.workerName,
    a.tool,
    a.risk,
    a.status,
    formatTime(a.createdAt, now),
    a.preview.kind === 'command' ? a.preview.command : a.preview.kind === 'diff' ? a.preview.path : a.reason,
  ]);
  return renderTable(['ID', 'WORKER', 'TOOL', 'RISK', 'STATE', 'ASKED', 'WHAT'], rows);
}

function logLine(e: WorkerLogData, now: number): string {
  return `${formatTime(e.at, now)}  ${e.kind.padEnd(11)} ${e.text.replace(/\n/g, '\n             ')}\n`;
}

/** `k=v` pairs of `--value`, collected. */
function collectValue(v: string, prev: Record<string, string>): Record<string, string> {
  const i = v.indexOf('=');
  if (i <= 0) throw usageError(`--value ${JSON.stringify(v)}: expected field=value`);
  return { ...prev, [v.slice(0, i)]: v.slice(i + 1) };
}

/** `--max-turns`: a whole count (`40`, `1k`); `--budget`: an amount in USD (`1.5`, `$2`). shared/typed-amounts.ts. */
function positiveNumber(flag: string, integer: boolean) {
  return (v: string): number => {
    // Empty, `off` and `none` read as null: no limit is no value for these flags.
    const n = (integer ? typedCount : typedUsd)(v);
    if (n === null || n === 'invalid') {
      throw usageError(
        `${flag} ${JSON.stringify(v)}: expected ${integer ? 'a whole number of at least 1 (40, 1k)' : 'an amount in USD above 0 (1.5, $2)'}`,
      );
    }
    return n;
  };
}

/** A positive number, or `none` to clear the limit (commander keeps a parser's null as the raw text). */
function limitOrNone(flag: string, integer: boolean) {
  const parse = positiveNumber(flag, integer);
  return (v: string): number | 'none' => (v.trim().toLowerCase() === 'none' ? 'none' : parse(v));
}

const noneToNull = (v: number | 'none'): number | null => (v === 'none' ? null : v);

interface CreateOptions {
  prompt?: string;
  template?: string;
  value: Record<string, string>;
  cwd?: string;
  model?: string;
  policy?: string;
  maxTurns?: number;
  budget?: number;
  start: boolean;
  json?: boolean;
}

export function registerWorkersCommands(program: Command, io: CliIo): void {
  const out = (s: string) => io.stdout.write(s);
  const workers = program
    .command('workers')
    .description(
      'Claude Agent SDK workers run by the gateway: create, list, edit, start, pause, resume, stop, delete, logs',
    );

  workers
    .command('create <name>')
    .description('Create a worker from a prompt or a template; it queues at once unless --no-start')
    .option('--prompt <text>', 'what the worker should do')
    .option('--template <id>', 'a template instead of a prompt (`ccflare workers templates`)')
    .option('--value <field=value>', "a template field's value (repeatable)", collectValue, {})
    .option('--cwd <dir>', 'working directory on the gateway machine (default: this directory)')
    .option('--model <model>', 'model (default: Claude Code’s)')
    .option('--policy <policy>', `what runs unasked: ${POLICY_VALUES.join(', ')} (default auto-low)`)
    .option('--max-turns <n>', 'stop after this many model turns', positiveNumber('--max-turns', true))
    .option('--budget <usd>', 'stop once it has cost this much (USD)', positiveNumber('--budget', false))
    .option('--no-start', 'create it paused; start it later')
    .option('--json', 'print the worker as JSON')
    .action(async (name: string, opts: CreateOptions, cmd: Command) => {
      if ((opts.prompt === undefined) === (opts.template === undefined)) {
        throw usageError('give --prompt or --template (one of them)');
      }
      if (opts.template === undefined && Object.keys(opts.value).length > 0) {
        throw usageError('--value fills a template: give --template too');
      }
      if (opts.policy !== undefined && !(POLICY_VALUES as readonly string[]).includes(opts.policy)) {
        throw usageError(`--policy ${JSON.stringify(opts.policy)}: use one of ${POLICY_VALUES.join(', ')}`);
      }
      const cwd = opts.cwd ?? io.env.PWD;
      if (cwd === undefined || cwd === '') throw usageError('--cwd: the working directory is required here');
      const api = await gatewayApi(io, cmd);
      const w = await api.post<WorkerViewData>('/api/workers', {
        name,
        ...(opts.prompt === undefined ? {} : { prompt: opts.prompt }),
        ...(opts.template === undefined ? {} : { template: opts.template, values: opts.value }),
        cwd: resolve(io.env.PWD ?? '/', cwd),
        ...(opts.model === undefined ? {} : { model: opts.model }),
        ...(opts.policy === undefined ? {} : { policy: opts.policy }),
        ...(opts.maxTurns === undefined ? {} : { maxTurns: opts.maxTurns }),
        ...(opts.budget === undefined ? {} : { budgetUsd: opts.budget }),
        start: opts.start,
      });
      out(opts.json ? `${JSON.stringify(w, null, 2)}\n` : workerLine(w));
    });

  workers
    .command('list')
    .description('Workers with state, pending approvals, turns, cost and the last action')
    .option('--json', 'print {"workers": [...]} as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const api = await gatewayApi(io, cmd);
      const { workers: list } = await api.get<{ workers: WorkerViewData[] }>('/api/workers');
      if (opts.json) out(`${JSON.stringify({ workers: list }, null, 2)}\n`);
      else
        out(
          list.length === 0
            ? 'No workers yet: `ccflare workers create <name> --prompt ...`\n'
            : renderWorkers(list, Date.now()),
        );
    });

  for (const [verb, description] of [
    ['start', 'Run the task from the beginning (a new session); it queues behind the others'],
    ['pause', 'Pause at the next turn boundary (a queued worker leaves the queue)'],
    ['resume', 'Continue a paused worker’s session where it stopped'],
    ['stop', 'Stop now (a stopped worker can be started again)'],
  ] as const) {
    workers
      .command(`${verb} <worker>`)
      .description(description)
      .option('--json', 'print the worker as JSON')
      .action(async (worker: string, opts: { json?: boolean }, cmd: Command) => {
        const api = await gatewayApi(io, cmd);
        const w = await api.post<WorkerViewData>(`/api/workers/${enc(worker)}/${verb}`);
        out(opts.json ? `${JSON.stringify(w, null, 2)}\n` : workerLine(w));
      });
  }

  workers
    .command('edit <worker>')
    .description(
      'Change the budget or max turns, also while it runs (a budget at its cost so far stops it; ' +
        'past a lowered max turns it pauses at the next turn)',
    )
    .option('--budget <usd>', 'the new budget in USD, or `none`', limitOrNone('--budget', false))
    .option('--max-turns <n>', 'the new max turns, or `none`', limitOrNone('--max-turns', true))
    .option('--json', 'print the worker as JSON')
    .action(
      async (worker: string, opts: { budget?: number | 'none'; maxTurns?: number | 'none'; json?: boolean }, cmd) => {
        if (opts.budget === undefined && opts.maxTurns === undefined) {
          throw usageError('give --budget, --max-turns or both');
        }
        const api = await gatewayApi(io, cmd);
        const w = await api.patch<WorkerViewData>(`/api/workers/${enc(worker)}`, {
          ...(opts.budget === undefined ? {} : { budgetUsd: noneToNull(opts.budget) }),
          ...(opts.maxTurns === undefined ? {} : { maxTurns: noneToNull(opts.maxTurns) }),
        });
        out(
          opts.json
            ? `${JSON.stringify(w, null, 2)}\n`
            : `worker ${w.name}: budget ${usd(w.budgetUsd)}, max turns ${w.maxTurns ?? '-'} (cost so far ${usd(w.costUsd)}, ${w.turns} turns)\n`,
        );
      },
    );

  workers
    .command('delete <worker>')
    .description('Delete a worker with its log and approvals; a running one is stopped first')
    .action(async (worker: string, _opts: unknown, cmd: Command) => {
      const api = await gatewayApi(io, cmd);
      await api.delete(`/api/workers/${enc(worker)}`);
      out(`worker ${worker} deleted\n`);
    });

  workers
    .command('logs <worker>')
    .description('The worker’s log: its messages, tool calls, results and approvals')
    .option('-f, --follow', 'keep printing new entries until the worker completes, fails or stops')
    .option('--after <seq>', 'only entries after this sequence number', '0')
    .option('--json', 'one JSON object per entry (JSON Lines)')
    .action(async (worker: string, opts: { follow?: boolean; after: string; json?: boolean }, cmd: Command) => {
      if (!/^\d+$/.test(opts.after))
        throw usageError(`--after ${JSON.stringify(opts.after)}: expected a sequence number`);
      const api = await gatewayApi(io, cmd);
      const print = (e: WorkerLogData) => out(opts.json ? `${JSON.stringify(e)}\n` : logLine(e, Date.now()));
      if (!opts.follow) {
        let after = Number(opts.after);
        for (;;) {
          const page = await api.get<{ entries: WorkerLogData[]; lastSeq: number }>(
            `/api/workers/${enc(worker)}/logs?after=${after}&limit=1000`,
          );
          for (const e of page.entries) print(e);
          if (page.entries.length < 1000) return;
          after = page.lastSeq;
        }
      }
      let stream: Awaited<ReturnType<typeof openEventStream>>;
      try {
        stream = await openEventStream(`${api.base}/api/workers/${enc(worker)}/logs?after=${opts.after}`, {
          headers: api.headers(),
          signal: io.interrupt,
        });
      } catch (err) {
        const e = err as { status?: number | null; body?: unknown; message: string };
        if (typeof e.status === 'number') throw api.failure(e.status, e.body);
        throw new CliError(`the gateway at ${api.base} did not answer: ${e.message}`);
      }
      for await (const ev of stream) {
        if (ev.event === 'log') print(JSON.parse(ev.data) as WorkerLogData);
        else if (ev.event === 'deleted') break;
        else if (ev.event === 'worker' && TERMINAL.has((JSON.parse(ev.data) as WorkerViewData).state)) break;
      }
      stream.close();
    });

  workers
    .command('templates')
    .description('Templates a worker can be created from, with their fields and use counts')
    .option('--json', 'print {"templates", "problems", "dir"} as JSON')
    .action(async (opts: { json?: boolean }, cmd: Command) => {
      const api = await gatewayApi(io, cmd);
      const r = await api.get<{ templates: TemplateData[]; problems: { file: string; reason: string }[]; dir: string }>(
        '/api/templates',
      );
      if (opts.json) {
        out(`${JSON.stringify(r, null, 2)}\n`);
        return;
      }
      out(
        renderTable(
          ['ID', 'NAME', 'CATEGORY', 'FIELDS', 'USES'],
          r.templates.map((t) => [
            t.id,
            t.name,
            t.category,
            t.fields.map((f) => `${f.name}${f.required ? '*' : ''}`).join(',') || '-',
            String(t.uses),
          ]),
        ),
      );
      for (const p of r.problems) io.stderr.write(`ccflare: ${r.dir}/${p.file} skipped: ${p.reason}\n`);
    });

  const approvals = program
    .command('approvals')
    .description('Tool calls of workers waiting for a decision: list, approve, reject');

  approvals
    .command('list')
    .description('Pending approvals (or others with --state), oldest first')
    .option('--state <state>', `${APPROVAL_STATUS_VALUES.join(', ')} or all`, 'pending')
    .option('--worker <worker>', 'only this worker’s')
    .option('--json', 'print {"approvals": [...]} as JSON, previews included')
    .action(async (opts: { state: string; worker?: string; json?: boolean }, cmd: Command) => {
      if (opts.state !== 'all' && !(APPROVAL_STATUS_VALUES as readonly string[]).includes(opts.state)) {
        throw usageError(`--state ${JSON.stringify(opts.state)}: use ${APPROVAL_STATUS_VALUES.join(', ')} or all`);
      }
      const api = await gatewayApi(io, cmd);
      const q = new URLSearchParams({
        state: opts.state,
        ...(opts.worker === undefined ? {} : { worker: opts.worker }),
      });
      const { approvals: list } = await api.get<{ approvals: ApprovalData[] }>(`/api/approvals?${q}`);
      if (opts.json) out(`${JSON.stringify({ approvals: list }, null, 2)}\n`);
      else
        out(
          list.length === 0
            ? `No ${opts.state === 'all' ? '' : `${opts.state} `}approvals\n`
            : renderApprovals(list, Date.now()),
        );
    });

  approvals
    .command('approve <id>')
    .description('Let the worker run the call')
    .option('--input <json>', 'the tool input to run instead, as a JSON object')
    .option('--json', 'print the approval as JSON')
    .action(async (id: string, opts: { input?: string; json?: boolean }, cmd: Command) => {
      let input: unknown;
      if (opts.input !== undefined) {
        try {
          input = JSON.parse(opts.input);
        } catch (err) {
          throw usageError(`--input is not JSON: ${(err as Error).message}`);
        }
        if (input === null || typeof input !== 'object' || Array.isArray(input)) {
          throw usageError('--input: expected a JSON object, e.g. {"command": "ls"}');
        }
      }
      const api = await gatewayApi(io, cmd);
      const a = await api.post<ApprovalData>(`/api/approvals/${enc(id)}/approve`, input === undefined ? {} : { input });
      out(opts.json ? `${JSON.stringify(a, null, 2)}\n` : `approved: ${a.workerName} may run ${a.tool}\n`);
    });

  approvals
    .command('reject <id>')
    .description('Refuse the call; the worker reads the message')
    .requiredOption('-m, --message <text>', 'what the worker is told')
    .option('--json', 'print the approval as JSON')
    .action(async (id: string, opts: { message: string; json?: boolean }, cmd: Command) => {
      const api = await gatewayApi(io, cmd);
      const a = await api.post<ApprovalData>(`/api/approvals/${enc(id)}/reject`, { message: opts.message });
      out(opts.json ? `${JSON.stringify(a, null, 2)}\n` : `rejected: ${a.workerName}'s ${a.tool} call\n`);
    });
}
