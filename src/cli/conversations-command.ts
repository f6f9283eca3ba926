/**
 * `ccflare conversations rebuild`: recomputes the conversation links of stored requests (after an
 * upgrade, or a change to the linking rules), in arrival order, with a progress line on a
 * terminal. Resumable: it keeps its position in the database after each chunk, so a second run
 * continues where an interrupted one stopped; `--restart` starts over.
 *
 * `ccflare conversations analyze <id>`: asks the running gateway (POST
 * /api/conversations/{id}/analysis), since the analysis goes through its proxy, and prints it.
 */
import type { Command } from 'commander';
import type { ConversationAnalysis } from '../shared/conversation-schemas.js';
import type { RebuildProgress } from '../storage/contract/conversations.js';
import { type GlobalOptions, withStore } from './context.js';
import { resolveTarget } from './gateway-client.js';
import { CliError, type CliIo } from './io.js';

function percent(p: RebuildProgress): string {
  return p.total === 0 ? '100' : ((100 * p.done) / p.total).toFixed(0);
}

export function registerConversationsCommands(program: Command, io: CliIo): void {
  const conversations = program
    .command('conversations')
    .description('Conversations: requests linked by their messages');
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
      const result = await withStore(io, globals, (store) =>
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
      );
      if (tty) io.stderr.write('\n');
      const seconds = (performance.now() - t0) / 1000;
      if (opts.json) io.stdout.write(`${JSON.stringify({ ...result, seconds: Number(seconds.toFixed(2)) })}\n`);
      else io.stdout.write(`Relinked ${result.done} requests in ${seconds.toFixed(1)} s.\n`);
    });
  conversations
    .command('analyze')
    .description(
      'Analyze a conversation with a Claude model through the running gateway (conversationAnalysis must be on)',
    )
    .argument('<id>', 'conversation id (its first request id)')
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
