/**
 * Terminal input and output of the CLI, passed in so commands never reach for `process`
 * directly. Secrets are read from stdin, never from arguments, so they stay out of shell history.
 */
import { createInterface } from 'node:readline';
import { InvalidArgumentError } from 'commander';

export interface CliIo {
  stdin: NodeJS.ReadStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  env: NodeJS.ProcessEnv;
  platform: NodeJS.Platform;
  /**
   * Set by bin/ccflare, which is the process: `serve` then closes gracefully and exits on
   * SIGTERM/SIGINT and logs synchronously to file descriptor 2 (no line lost at exit). Unset when
   * commands run inside another program (tests): `serve` logs to `stderr`, installs no signal
   * handlers, and the caller closes the server runCli returns.
   */
  ownsProcess?: boolean;
  /**
   * Ctrl-C for a caller that runs commands in process: `logs -f` stops following when it aborts.
   * (The real process ends on SIGINT instead.)
   */
  interrupt?: AbortSignal;
}

/** A failure with its own exit code: 2 for usage errors, 130 for a cancelled prompt. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = 1,
  ) {
    super(message);
    this.name = 'CliError';
  }
}

export function usageError(message: string): CliError {
  return new CliError(message, 2);
}

/** A count option's parser: a whole number from 1 to `max` (`--limit`, `--streams`). */
export function positiveInt(max: number): (value: string) => number {
  return (value: string): number => {
    const n = /^\d+$/.test(value) ? Number(value) : Number.NaN;
    if (!Number.isSafeInteger(n) || n < 1 || n > max)
      throw new InvalidArgumentError(`expected an integer from 1 to ${max}.`);
    return n;
  };
}

/**
 * An `<id>` argument (a request's or a conversation's): one the API would take. An empty one
 * would otherwise have asked the gateway for `/api/requests/`, the list.
 */
export function idArg(value: string): string {
  const id = value.trim();
  if (id === '' || id.length > 200) throw new InvalidArgumentError('expected an id of 1 to 200 characters.');
  return id;
}

/**
 * The width tables fit in: the terminal's, when stdout is one (its columns, else COLUMNS); null
 * when piped, so scripts get every value whole.
 */
export function screenWidth(io: CliIo): number | null {
  const out = io.stdout as Partial<NodeJS.WriteStream>;
  if (out.isTTY !== true) return null;
  if (typeof out.columns === 'number' && out.columns > 0) return out.columns;
  const env = Number(io.env.COLUMNS);
  return Number.isSafeInteger(env) && env > 0 ? env : null;
}

export function isInteractive(io: CliIo): boolean {
  return io.stdin.isTTY === true;
}

export async function readAll(io: CliIo): Promise<string> {
  io.stdin.setEncoding('utf8');
  let data = '';
  for await (const chunk of io.stdin) data += chunk;
  return data;
}

/** Reads one line (the prompt goes to stdout); fails instead of hanging when stdin ends first. */
export function readLine(io: CliIo, prompt: string): Promise<string> {
  io.stdout.write(prompt);
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input: io.stdin, crlfDelay: Number.POSITIVE_INFINITY });
    let answered = false;
    rl.once('line', (line) => {
      answered = true;
      rl.close();
      resolve(line);
    });
    rl.once('close', () => {
      if (!answered) reject(new CliError('stdin closed before a line was entered'));
    });
  });
}

/** Reads a line from a terminal without echoing it. Only valid when stdin is a TTY. */
export function readHidden(io: CliIo, prompt: string): Promise<string> {
  const input = io.stdin;
  io.stdout.write(prompt);
  return new Promise((resolve, reject) => {
    let buf = '';
    const finish = (err: Error | null) => {
      input.off('data', onData);
      input.setRawMode(false);
      input.pause();
      io.stdout.write('\n');
      if (err) reject(err);
      else resolve(buf);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString()) {
        if (ch === '\r' || ch === '\n' || ch === '\u0004') return finish(null);
        if (ch === '\u0003') return finish(new CliError('cancelled', 130));
        if (ch === '\u007f' || ch === '\b') buf = buf.slice(0, -1);
        else buf += ch;
      }
    };
    input.setRawMode(true);
    input.on('data', onData);
    input.resume();
  });
}
