/**
 * `ccflare conversations rebuild`: recomputes the conversation links of stored requests (after an
 * upgrade, or a change to the linking rules), in arrival order, with a progress line on a
 * terminal. Resumable: it keeps its position in the database after each chunk, so a second run
 * continues where an interrupted one stopped; `--restart` starts over.
 */
import type { Command } from 'commander';
import type { RebuildProgress } from '../storage/contract/conversations.js';
import { type GlobalOptions, withStore } from './context.js';
import type { CliIo } from './io.js';

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
}
