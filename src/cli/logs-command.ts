/**
 * `ccflare logs [-f] [--json]`: the gateway's log lines (info and above) from the live event
 * stream (GET /api/events?types=log, opened with a single-use ticket). The gateway writes its log
 * to stdout and keeps recent events only in memory, so logs come only from a running gateway:
 * without -f, the buffered lines; with -f, those and then every new line until interrupted.
 */
import type { Command } from 'commander';
import type { GlobalOptions } from './context.js';
import { type ApiClient, probeGateway, resolveTarget } from './gateway-client.js';
import { CliError, type CliIo } from './io.js';
import { type LogLineView, renderLogLine } from './report-format.js';

/** Without -f: the replay of the buffer is written at once; this much silence ends it. */
const IDLE_MS = 300;

interface Frame {
  id: number | null;
  event: string;
  data: string;
}

/** Splits an event stream into frames (WHATWG event-stream: blank line dispatches). */
export class SseParser {
  private buf = '';
  private id: number | null = null;
  private event = '';
  private data: string[] = [];

  push(chunk: string): Frame[] {
    this.buf += chunk;
    const frames: Frame[] = [];
    for (let nl = this.buf.indexOf('\n'); nl !== -1; nl = this.buf.indexOf('\n')) {
      const line = this.buf.slice(0, nl).replace(/\r$/, '');
      this.buf = this.buf.slice(nl + 1);
      if (line === '') {
        if (this.data.length > 0) {
          frames.push({ id: this.id, event: this.event || 'message', data: this.data.join('\n') });
        }
        this.id = null;
        this.event = '';
        this.data = [];
        continue;
      }
      if (line.startsWith(':')) continue;
      const colon = line.indexOf(':');
      const field = colon === -1 ? line : line.slice(0, colon);
      const value = colon === -1 ? '' : line.slice(colon + 1).replace(/^ /, '');
      if (field === 'id' && /^\d+$/.test(value)) this.id = Number(value);
      else if (field === 'event') this.event = value;
      else if (field === 'data') this.data.push(value);
    }
    return frames;
  }
}

/**
 * Reads log events from `lastEventId` on. Resolves with the last id seen when the stream ends
 * (or, when `idleMs` is set, after that much silence).
 */
async function readLogStream(
  api: ApiClient,
  lastEventId: number,
  onLine: (l: LogLineView) => void,
  opts: { idleMs: number | null; onOpen: () => void; interrupt?: AbortSignal },
): Promise<number> {
  const { ticket } = await api.post<{ ticket: string }>('/api/events/ticket');
  const q = new URLSearchParams({ ticket, types: 'log', lastEventId: String(lastEventId) });
  const abort = new AbortController();
  const signal = opts.interrupt ? AbortSignal.any([abort.signal, opts.interrupt]) : abort.signal;
  let res: Response;
  try {
    res = await fetch(`${api.base}/api/events?${q}`, {
      headers: { accept: 'text/event-stream' },
      signal,
    });
  } catch (err) {
    if (opts.interrupt?.aborted) return lastEventId;
    throw new CliError(`the gateway at ${api.base} did not open the event stream: ${(err as Error).message}`);
  }
  if (!res.ok || !res.body) {
    let body: unknown = null;
    try {
      body = await res.json();
    } catch {
      // reported by status
    }
    throw api.failure(res.status, body);
  }
  opts.onOpen();
  let last = lastEventId;
  const parser = new SseParser();
  const decoder = new TextDecoder();
  let idle: NodeJS.Timeout | null = null;
  const armIdle = () => {
    if (opts.idleMs === null) return;
    if (idle) clearTimeout(idle);
    idle = setTimeout(() => abort.abort(), opts.idleMs);
  };
  armIdle();
  try {
    for await (const chunk of res.body) {
      armIdle();
      for (const f of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
        if (f.id !== null) last = f.id;
        if (f.event !== 'log') continue;
        try {
          onLine(JSON.parse(f.data) as LogLineView);
        } catch {
          // A frame that is not JSON is skipped, never fatal.
        }
      }
    }
  } catch (err) {
    if (!signal.aborted) throw err;
  } finally {
    if (idle) clearTimeout(idle);
  }
  return last;
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
          idleMs: null,
          onOpen: () => {
            if (globals.verbose) io.stderr.write(`ccflare: following the log of ${api.base} (Ctrl-C to stop)\n`);
          },
          interrupt: io.interrupt,
        });
        if (io.interrupt?.aborted) return;
        // The stream ended: the gateway stopped, or dropped this client for reading too slowly.
        if (!(await probeGateway(api.base))) throw new CliError(`the gateway at ${api.base} stopped; the log ended`);
      }
    });
}
