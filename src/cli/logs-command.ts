/**
 * `ccflare logs [-f] [--json]`: the gateway's log lines (info and above) from the live event
 * stream (GET /api/events?types=log, opened with a single-use ticket). The gateway writes its log
 * to stdout and keeps recent events only in memory, so logs come only from a running gateway:
 * without -f, the buffered lines; with -f, those and then every new line until interrupted.
 */
import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { type EventStream, EventStreamError, openEventStream, type StreamEvent } from './event-stream.js';
import { type ApiClient, probeGateway, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo } from './io.js';
import { type LogLineView, renderLogLine } from './report-format.js';

/** Without -f: the replay of the buffer is written at once; this much silence ends it. */
const IDLE_MS = 300;

/** The log-line stream from `lastEventId` on, opened with a single-use ticket. */
export function logStreamUrl(base: string, ticket: string, lastEventId: number): string {
  const q = new URLSearchParams({ ticket, types: 'log', lastEventId: String(lastEventId) });
  return `${base}/api/events?${q}`;
}

/**
 * Hands every log line of `stream` to `onLine`; `cursor.last` follows the ids seen, so a
 * reconnect resumes after them even when the stream breaks off.
 */
export async function forEachLogLine(
  stream: AsyncIterable<StreamEvent>,
  cursor: { last: number },
  onLine: (l: LogLineView) => void,
): Promise<void> {
  for await (const e of stream) {
    if (e.id !== null) cursor.last = e.id;
    if (e.event !== 'log') continue;
    try {
      onLine(JSON.parse(e.data) as LogLineView);
    } catch {
      // A frame that is not JSON is skipped, never fatal.
    }
  }
}

/**
 * Reads log events from `lastEventId` on. Resolves with the last id seen when the stream ends or
 * breaks off (or, when `idleMs` is set, after that much silence).
 */
async function readLogStream(
  api: ApiClient,
  lastEventId: number,
  onLine: (l: LogLineView) => void,
  opts: { idleMs?: number; onOpen: () => void; interrupt?: AbortSignal },
): Promise<number> {
  const { ticket } = await api.post<{ ticket: string }>('/api/events/ticket');
  let stream: EventStream;
  try {
    stream = await openEventStream(logStreamUrl(api.base, ticket, lastEventId), {
      signal: opts.interrupt,
      idleMs: opts.idleMs,
    });
  } catch (err) {
    if (err instanceof EventStreamError && err.status !== null) throw api.failure(err.status, err.body);
    if (opts.interrupt?.aborted) return lastEventId;
    throw new CliError(`the gateway at ${api.base} did not open the event stream: ${(err as Error).message}`);
  }
  opts.onOpen();
  const cursor = { last: lastEventId };
  try {
    await forEachLogLine(stream, cursor, onLine);
  } catch (err) {
    // Broken off (the gateway stopped, or dropped this client): the caller treats it as the end.
    if (!(err instanceof EventStreamError)) throw err;
  }
  return cursor.last;
}

export function registerLogsCommand(program: Command, io: CliIo): void {
  program
    .command('logs')
    .description('Recent log lines of the running gateway; -f follows new ones (Ctrl-C to stop)')
    .option('-f, --follow', 'keep printing new log lines')
    .option('--json', 'one JSON object per line (level, time, msg, fields)')
    .action(async (opts: { follow?: boolean; json?: boolean }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const t = await resolveTarget(io, globals);
      if (!t.api) {
        throw new CliError(
          `logs are only available from a running gateway (it logs to its own stdout and keeps recent lines in memory); none answered at ${t.base}`,
        );
      }
      const api = t.api;
      let printed = 0;
      const onLine = (l: LogLineView) => {
        printed++;
        io.stdout.write(opts.json ? `${JSON.stringify(l)}\n` : renderLogLine(l));
      };
      if (!opts.follow) {
        await readLogStream(api, 0, onLine, { idleMs: IDLE_MS, onOpen: () => {} });
        if (printed === 0 && !opts.json) {
          io.stderr.write(
            'ccflare: no recent log lines: the gateway buffers log lines only while a client follows them; use `ccflare logs -f`\n',
          );
        }
        return;
      }
      let last = 0;
      for (;;) {
        last = await readLogStream(api, last, onLine, {
          onOpen: () => {
            if (globals.verbose) io.stderr.write(`ccflare: following the log of ${api.base} (Ctrl-C to stop)\n`);
          },
          interrupt: io.interrupt,
        });
        if (io.interrupt?.aborted) return;
        // The stream ended or broke off: the gateway stopped, or dropped this client for reading too slowly.
        if (!(await probeGateway(api.base))) throw new CliError(`the gateway at ${api.base} stopped; the log ended`);
      }
    });
}
