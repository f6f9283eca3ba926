/**
 * `ccflare conversations rebuild`: recomputes the conversation links of stored requests (after an
 * upgrade, or a change to the linking rules), in arrival order, with a progress line on a
 * terminal. Resumable: it keeps its position in the database after each chunk, so a second run
 * continues where an interrupted one stopped; `--restart` starts over.
 *
 * `ccflare conversations list` and `show <id>`: the list (newest activity first, with the API's
 * filters) and one conversation as a tree, from the running gateway's management API when one
 * answers and from the database otherwise, as `requests` does.
 *
 * `ccflare conversations analyze <id>`: asks the running gateway (POST
 * /api/conversations/{id}/analysis), since the analysis goes through its proxy, and prints it.
 */
import { type Command, InvalidArgumentError } from 'commander';
import { conversationTree } from '../conversations/tree.js';
import {
  type ConversationAnalysis,
  ConversationListQuerySchema,
  type ConversationPage,
  type ConversationTree,
} from '../shared/conversation-schemas.js';
import { EXPORT_TIME_RULE } from '../shared/export-schemas.js';
import type { ConversationQuery, RebuildProgress } from '../storage/contract/conversations.js';
import { type GlobalOptions, withConfigStore, withStore } from './context.js';
import { renderConversations, treeLines } from './conversation-format.js';
import { apiPath, checkAccountNames, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo, idArg, positiveInt, screenWidth } from './io.js';
import { plural } from './report-format.js';
import { timeRange } from './time-args.js';

interface ListOptions {
  limit: number;
  cursor?: string;
  account?: string;
  key?: string;
  agent?: string;
  since?: string;
  until?: string;
  search?: string;
  json?: boolean;
}

/** Most conversations `list` prints: the API's page size. */
const LIST_MAX = 200;

/** `--cursor`: checked as the API checks it, so both ways refuse the same. */
function parseCursor(value: string): string {
  const r = ConversationListQuerySchema.shape.cursor.safeParse(value);
  if (!r.success) throw new InvalidArgumentError(`${r.error.issues[0]?.message ?? 'not a cursor'}.`);
  return value;
}

/** `list`'s filters as the store takes them (times resolved here: the API takes Unix ms too). */
function listQuery(opts: ListOptions, now: number): ConversationQuery {
  const { since, until } = timeRange(opts, now);
  return {
    limit: opts.limit,
    cursor: opts.cursor ?? null,
    account: opts.account ?? null,
    clientKey: opts.key ?? null,
    agent: opts.agent ?? null,
    since: since ?? null,
    until: until ?? null,
    text: opts.search ?? null,
  };
}

function listPath(q: ConversationQuery): string {
  return apiPath('/api/conversations', {
    limit: q.limit,
    cursor: q.cursor,
    account: q.account,
    key: q.clientKey,
    agent: q.agent,
    since: q.since,
    until: q.until,
    q: q.text,
  });
}

function percent(p: RebuildProgress): string {
  return p.total === 0 ? '100' : ((100 * p.done) / p.total).toFixed(0);
}

export function registerConversationsCommands(program: Command, io: CliIo): void {
  const conversations = program
    .command('conversations')
    .description('Conversations: requests linked by their messages');
  conversations
    .command('list')
    .description('Conversations, most recently active first: requests, branches, sub-tasks, tokens, cost')
    .option('--limit <n>', `how many (1-${LIST_MAX})`, positiveInt(LIST_MAX), 20)
    .option('--account <name>', 'only those with a request served by this account (name or id)')
    .option('--key <name>', 'only those with a request sent with this client key')
    .option('--agent <name>', 'only those with a request attributed to this agent')
    .option('--since <time>', `active at or after: ${EXPORT_TIME_RULE}`)
    .option('--until <time>', 'begun before (same forms as --since)')
    .option('--search <text>', 'only those whose first user message contains this text (any case)')
    .option(
      '--cursor <cursor>',
      'the next page: the cursor a list named (its last line, or nextCursor), with the same filters',
      parseCursor,
    )
    .option('--json', 'print the page as JSON: { items, nextCursor }')
    .action(async (opts: ListOptions, cmd: Command) => {
      const now = Date.now();
      const q = listQuery(opts, now);
      const target = await resolveTarget(io, cmd.optsWithGlobals<GlobalOptions>());
      const page = target.api
        ? await target.api.get<ConversationPage>(listPath(q))
        : await withConfigStore(target.config, (s) => s.conversations.list(q), { read: true });
      if (page.items.length === 0 && opts.account !== undefined) await checkAccountNames(target, [opts.account]);
      if (opts.json) io.stdout.write(`${JSON.stringify(page)}\n`);
      else if (page.items.length === 0) io.stdout.write('No conversations match.\n');
      else {
        io.stdout.write(renderConversations(page.items, now, screenWidth(io)));
        if (page.nextCursor !== null) {
          // Not "the next N": the next page may hold fewer, and only the API knows how many.
          io.stdout.write(`(more: --cursor ${page.nextCursor} shows the next page)\n`);
        }
      }
    });
  conversations
    .command('show')
    .description('One conversation as a tree: branches with their requests in order, branch points, sub-tasks')
    .argument('<id>', 'conversation id (its first request id, as `list` shows it)', idArg)
    .option('--json', 'print the tree as JSON (as GET /api/conversations/{id})')
    .action(async (id: string, opts: { json?: boolean }, cmd: Command) => {
      const target = await resolveTarget(io, cmd.optsWithGlobals<GlobalOptions>());
      const tree = target.api
        ? await target.api.find<ConversationTree>(`/api/conversations/${encodeURIComponent(id)}`)
        : await withConfigStore(
            target.config,
            async (s) => {
              const detail = await s.conversations.get(id);
              return detail === null ? null : conversationTree(detail);
            },
            { read: true },
          );
      if (tree === null) {
        throw new CliError(`no conversation with id "${id}" (\`ccflare conversations list\` shows the ids)`);
      }
      if (opts.json) io.stdout.write(`${JSON.stringify(tree)}\n`);
      else io.stdout.write(`${treeLines(tree, Date.now()).join('\n')}\n`);
    });
  conversations
    .command('rebuild')
    .description('Recompute the conversation links of stored requests (resumes an interrupted run)')
    .option('--restart', 'start over instead of continuing an interrupted run')
    .option('--json', 'machine-readable result')
    .action(async (opts: { restart?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const tty = (io.stderr as { isTTY?: boolean }).isTTY === true;
      const t0 = performance.now();
      let lastPrinted = -1;
      const result = await withStore(
        io,
        globals,
        (store) =>
          store.conversations.rebuild({
            restart: opts.restart === true,
            onProgress: (p) => {
              if (tty) {
                io.stderr.write(
                  `\rccflare: relinking ${p.done.toLocaleString('en')} / ${p.total.toLocaleString('en')} requests (${percent(p)}%)`,
                );
                return;
              }
              // Not a terminal: a line per tenth, not a line per chunk.
              const tenth = Math.floor((10 * p.done) / Math.max(1, p.total));
              if (tenth !== lastPrinted) {
                lastPrinted = tenth;
                io.stderr.write(`ccflare: relinked ${p.done} of ${p.total} requests\n`);
              }
            },
          }),
        { read: true },
      );
      if (tty) io.stderr.write('\n');
      const seconds = (performance.now() - t0) / 1000;
      if (opts.json) io.stdout.write(`${JSON.stringify({ ...result, seconds: Number(seconds.toFixed(2)) })}\n`);
      else io.stdout.write(`Relinked ${plural(result.done, 'request')} in ${seconds.toFixed(1)} s.\n`);
    });
  conversations
    .command('analyze')
    .description(
      'Analyze a conversation with a Claude model through the running gateway (conversationAnalysis must be on)',
    )
    .argument('<id>', 'conversation id (its first request id, as `list` shows it)', idArg)
    .option('--model <model>', 'the Claude model to ask (default: the conversationAnalysisModel setting)')
    .option('--json', 'machine-readable result')
    .action(async (id: string, opts: { model?: string; json?: boolean }, cmd: Command) => {
      const target = await resolveTarget(io, cmd.optsWithGlobals<GlobalOptions>());
      if (target.api === null) {
        throw new CliError(
          `no gateway answered at ${target.base}: an analysis goes through the running gateway (start it with \`ccflare serve\`)`,
        );
      }
      const a = await target.api.post<ConversationAnalysis>(
        `/api/conversations/${encodeURIComponent(id)}/analysis`,
        opts.model === undefined ? {} : { model: opts.model },
      );
      if (opts.json) {
        io.stdout.write(`${JSON.stringify(a)}\n`);
        return;
      }
      if (a.status === 'failed')
        throw new CliError(`the analysis failed (${a.model}): ${a.error ?? 'no reason given'}`);
      io.stdout.write(`Analysis by ${a.model} (request ${a.requestId ?? 'unknown'}):\n\n${a.text ?? ''}\n`);
    });
}
