/**
 * `ccflare logs [-f] [--json] [--lines N]`: the gateway's log lines (info and above). Without -f,
 * the last lines it kept in memory (GET /api/logs); with -f, those and then every new line from
 * the live event stream (GET /api/events?types=log, opened with a single-use ticket) until
 * interrupted. `--lines N` starts from the last N lines of the log file instead, from before
 * restarts too (GET /api/logs/history, or the file itself when no gateway runs).
 */

import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { readLogHistory } from '../log/log-file.js';
import { fromHistoryLine, type LogHistoryLine, type RecentLogs } from '../shared/events-schemas.js';
import type { GlobalOptions } from './context.js';
import { type EventStream, EventStreamError, openEventStream, type StreamEvent } from './event-stream.js';
import { type ApiClient, probeGateway, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo } from './io.js';
import { type LogLineView, renderLogLine } from './report-format.js';
import { parseForTerminal } from './terminal-text.js';

/** The log-line stream from `lastEventId` on (null: new lines only), opened with a single-use ticket. */
export function logStreamUrl(base: string, ticket: string, lastEventId: number | null): string {
  const q = new URLSearchParams({ ticket, types: 'log' });
  if (lastEventId !== null) q.set('lastEventId', String(lastEventId));
  return `${base}/api/events?${q}`;
}

/** Identifies a line across GET /api/logs and the stream, which carry the same record. */
const lineKey = (l: LogLineView) => JSON.stringify([l.time, l.level, l.msg, l.fields]);

/**
 * Hands every log line of `stream` to `onLine`; `cursor.last` follows the ids seen, so a
 * reconnect resumes after them even when the stream breaks off.
 */
export async function forEachLogLine(
  stream: AsyncIterable<StreamEvent>,
  cursor: { last: number | null },
  onLine: (l: LogLineView) => void,
): Promise<void> {
  for await (const e of stream) {
    if (e.id !== null) cursor.last = e.id;
    if (e.event !== 'log') continue;
    try {
      onLine(parseForTerminal(e.data) as LogLineView);
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
  lastEventId: number | null,
  onLine: (l: LogLineView) => void,
  opts: { onOpen: () => Promise<void>; interrupt?: AbortSignal },
): Promise<number | null> {
  const { ticket } = await api.post<{ ticket: string }>('/api/events/ticket');
  let stream: EventStream;
  try {
    stream = await openEventStream(logStreamUrl(api.base, ticket, lastEventId), { signal: opts.interrupt });
  } catch (err) {
    if (err instanceof EventStreamError && err.status !== null) throw api.failure(err.status, err.body);
    if (opts.interrupt?.aborted) return lastEventId;
    throw new CliError(`the gateway at ${api.base} did not open the event stream: ${(err as Error).message}`);
  }
  await opts.onOpen();
  const cursor = { last: lastEventId };
  try {
    await forEachLogLine(stream, cursor, onLine);
  } catch (err) {
    // Broken off (the gateway stopped, or dropped this client): the caller treats it as the end.
    if (!(err instanceof EventStreamError)) throw err;
  }
  return cursor.last;
}

/** Most lines `--lines` reads (GET /api/logs/history's limit). */
export const MAX_HISTORY_LINES = 100_000;

function lineCount(raw: string): number {
  const n = /^\d+$/.test(raw.trim()) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(n) || n < 1 || n > MAX_HISTORY_LINES) {
    throw new InvalidArgumentError(`expected a whole number of lines from 1 to ${MAX_HISTORY_LINES}`);
  }
  return n;
}

export function registerLogsCommand(program: Command, io: CliIo): void {
  program
    .command('logs')
    .description(
      'Recent log lines of the running gateway; -f follows new ones (Ctrl-C to stop); --lines N reads the log file, from before restarts too',
    )
    .option('-f, --follow', 'keep printing new log lines')
    .option('--json', 'one JSON object per line (level, time, msg, fields)')
    .option(
      '-n, --lines <n>',
      'the last N lines of the log file (CCFLARE_LOG_FILE), across restarts; read directly when no gateway runs',
      lineCount,
    )
    .action(async (opts: { follow?: boolean; json?: boolean; lines?: number }, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const t = await resolveTarget(io, globals);
      const print = (l: LogLineView) => {
        io.stdout.write(opts.json ? `${JSON.stringify(l)}\n` : renderLogLine(l));
      };
      if (!t.api && opts.lines !== undefined && !opts.follow) {
        if (t.config.logFile === 'off') {
          throw new CliError(
            `no gateway answered at ${t.base}, and the log file is off (CCFLARE_LOG_FILE=off): there are no lines to read`,
          );
        }
        const lines = await readLogHistory(t.config.logFile, t.config.logFiles, opts.lines);
        for (const l of lines) print(l);
        if (lines.length === 0 && !opts.json) io.stderr.write(`ccflare: ${t.config.logFile} holds no log lines\n`);
        return;
      }
      if (!t.api) {
        throw new CliError(
          `logs are only available from a running gateway (it keeps recent lines in memory; without one, \`ccflare logs --lines N\` reads its log file); none answered at ${t.base}`,
        );
      }
      const api = t.api;
      const limit = opts.lines;
      const recent = async () =>
        limit === undefined
          ? (await api.get<RecentLogs>('/api/logs')).lines
          : (await api.get<LogHistoryLine[]>(`/api/logs/history?limit=${limit}`)).map(fromHistoryLine);
      if (!opts.follow) {
        const lines = await recent();
        for (const l of lines) print(l);
        if (lines.length === 0 && !opts.json) io.stderr.write('ccflare: the gateway has logged nothing yet\n');
        return;
      }
      // The stream is opened first and the recent lines read after, so no line falls in between;
      // the stream's copies of lines already printed are skipped.
      let printed = new Set<string>();
      const onLine = (l: LogLineView) => {
        if (printed.size > 0 && printed.has(lineKey(l))) return;
        print(l);
      };
      let last: number | null = null;
      let first = true;
      for (;;) {
        last = await readLogStream(api, last, onLine, {
          onOpen: async () => {
            if (first) {
              first = false;
              const lines = await recent();
              for (const l of lines) print(l);
              printed = new Set(lines.map(lineKey));
            }
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
