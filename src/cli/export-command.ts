/**
 * `ccflare export requests|conversations`: stored rows as JSON Lines or CSV, to stdout or a file,
 * read straight from the database (WAL: a running gateway keeps writing meanwhile, its requests
 * never wait for the export). Writes wait for the output to drain, so memory holds one page; a
 * progress line goes to stderr when stderr is a terminal.
 */
import { createWriteStream, type WriteStream } from 'node:fs';
import { rename, rm, stat } from 'node:fs/promises';
import { dirname, sep } from 'node:path';
import type { Writable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { rowSource } from '../export/export-rows.js';
import { type ExportChunk, exportChunks } from '../export/export-stream.js';
import {
  EXPORT_FORMATS,
  EXPORT_KINDS,
  EXPORT_TIME_RULE,
  type ExportFormat,
  type ExportKind,
} from '../shared/export-schemas.js';
import { type GlobalOptions, withStore } from './context.js';
import { unknownAccountsError } from './gateway-client.js';
import { CliError, type CliIo, usageError } from './io.js';
import { timeRange } from './time-args.js';

interface ExportOptions {
  format: ExportFormat;
  since?: string;
  until?: string;
  account?: string;
  key?: string;
  agent?: string;
  withPayloads?: boolean;
  output?: string;
}

/** How often the progress line is redrawn at most (a redraw per page would flood a slow terminal). */
const PROGRESS_EVERY_MS = 250;

/** Resolves once `out` can take more, or rejects when it fails or closes first. */
function drained(out: Writable): Promise<void> {
  return new Promise((resolve, reject) => {
    // Already failed or closed: neither 'drain' nor 'close' will come again.
    if (out.destroyed) {
      reject(out.errored ?? new CliError('the output closed before the export finished'));
      return;
    }
    const done = (err?: unknown) => {
      out.off('drain', onDrain);
      out.off('error', onError);
      out.off('close', onClose);
      if (err) reject(err);
      else resolve();
    };
    const onDrain = () => done();
    const onError = (err: unknown) => done(err);
    const onClose = () => done(new CliError('the output closed before the export finished'));
    out.once('drain', onDrain);
    out.once('error', onError);
    out.once('close', onClose);
  });
}

/**
 * Where the chunks go. The stream's first error is kept from the start: a write that fails after
 * write() returned true reports it while no one waits for a drain, and an 'error' without a
 * listener would end the process with a stack trace instead of stopping the export.
 */
class Output {
  failure: unknown = null;
  private readonly onError = (err: unknown) => {
    this.failure ??= err;
  };

  constructor(readonly stream: Writable) {
    stream.on('error', this.onError);
  }

  async write(text: string): Promise<void> {
    this.check();
    if (!this.stream.write(text)) await drained(this.stream);
    this.check();
  }

  check(): void {
    if (this.failure !== null) throw this.failure;
  }

  detach(): void {
    this.stream.off('error', this.onError);
  }
}

/** The reader of stdout went away (`| head -1`). */
function isClosedPipe(err: unknown): boolean {
  return (err as NodeJS.ErrnoException | null)?.code === 'EPIPE';
}

/** A file system error as a reason after the path: "ENOSPC: no space left on device" without the syscall and paths. */
function fsReason(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  const message = e.message ?? String(err);
  const cut = e.syscall === undefined ? -1 : message.indexOf(`, ${e.syscall}`);
  return cut === -1 ? message : message.slice(0, cut);
}

function cannotWrite(output: string, err: unknown, exitCode = 1): CliError {
  return new CliError(`cannot write ${output}: ${fsReason(err)}`, exitCode);
}

/**
 * Refuses an --output that could never be renamed into place, before the database is opened: the
 * rename at the end would otherwise fail only after the whole export ran.
 */
async function checkOutput(output: string): Promise<void> {
  if (output.trim() === '') throw usageError('--output needs a file path');
  const statOrNull = (path: string) =>
    stat(path).catch((err: NodeJS.ErrnoException) => {
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') return null;
      throw cannotWrite(output, err, 2);
    });
  const target = await statOrNull(output);
  if (target?.isDirectory() || output.endsWith('/') || output.endsWith(sep))
    throw usageError(`cannot write ${output}: it is a directory`);
  const dir = dirname(output);
  const parent = await statOrNull(dir);
  if (parent === null) throw usageError(`cannot write ${output}: the directory ${dir} does not exist`);
  if (!parent.isDirectory()) throw usageError(`cannot write ${output}: ${dir} is not a directory`);
}

/** Opens `path` for writing, failing here (permission, read-only disk) rather than at the first write. */
function openFile(path: string): Promise<WriteStream> {
  return new Promise((resolve, reject) => {
    const file = createWriteStream(path, { mode: 0o600 });
    file.once('error', reject);
    file.once('ready', () => {
      file.off('error', reject);
      resolve(file);
    });
  });
}

async function writeAll(chunks: AsyncIterable<ExportChunk>, out: Output, counted: (rows: number) => void) {
  for await (const chunk of chunks) {
    await out.write(chunk.text);
    counted(chunk.rows);
  }
}

export function registerExportCommand(program: Command, io: CliIo): void {
  program
    .command('export')
    .description(
      'Write stored requests or conversations as JSON Lines or CSV (streamed: any number of rows in constant memory)',
    )
    .argument('<kind>', `what to export: ${EXPORT_KINDS.join(' or ')}`, (v: string) => {
      if (!(EXPORT_KINDS as readonly string[]).includes(v)) {
        throw new InvalidArgumentError(`expected ${EXPORT_KINDS.join(' or ')}.`);
      }
      return v as ExportKind;
    })
    .addOption(new Option('--format <format>', 'output format').choices(EXPORT_FORMATS).default('jsonl'))
    .option('--since <time>', `first request, inclusive: ${EXPORT_TIME_RULE}`)
    .option('--until <time>', 'end, exclusive (same forms as --since)')
    .option('--account <name>', 'only requests served by this account (id or name)')
    .option('--key <name>', 'only requests made with this client key')
    .option('--agent <name>', 'only requests of this agent (main, a sub-agent name, subagent)')
    .option('--with-payloads', 'include stored headers and bodies (JSON text columns in CSV)')
    .option('--output <file>', 'write to this file instead of stdout (written whole, then renamed into place)')
    .action(async (kind: ExportKind, opts: ExportOptions, cmd: Command) => {
      const { since, until } = timeRange(opts, Date.now());
      const output = opts.output;
      if (output !== undefined) await checkOutput(output);
      await withStore(
        io,
        cmd.optsWithGlobals<GlobalOptions>(),
        async (store) => {
          const source = rowSource(kind, store, {
            since,
            until,
            account: opts.account,
            clientKey: opts.key,
            agent: opts.agent,
            withPayloads: opts.withPayloads === true,
          });
          const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
          let rows = 0;
          let drawnAt = 0;
          const started = performance.now();
          const progress = (final: boolean) => {
            if (!tty) return;
            const t = performance.now();
            if (!final && t - drawnAt < PROGRESS_EVERY_MS) return;
            drawnAt = t;
            const rate = Math.round(rows / Math.max((t - started) / 1000, 0.001));
            io.stderr.write(
              `\r\x1b[Kexported ${rows.toLocaleString('en-US')} rows (${rate.toLocaleString('en-US')}/s)`,
            );
            if (final) io.stderr.write('\n');
          };
          const counted = (n: number) => {
            rows += n;
            progress(false);
          };
          const chunks = exportChunks(source, opts.format);
          // No rows for an account name nobody has: a typo, said as such rather than an empty export.
          const checkAccount = async () => {
            if (rows > 0 || opts.account === undefined) return;
            const err = unknownAccountsError([opts.account], await store.accounts.list());
            if (err) throw err;
          };

          if (output === undefined) {
            const out = new Output(io.stdout as Writable);
            try {
              await writeAll(chunks, out, counted);
            } catch (err) {
              // Leaving the loop ends the row reads; the rows are no longer wanted, which is no failure.
              if (!isClosedPipe(out.failure ?? err)) throw err;
            } finally {
              out.detach();
            }
            progress(true);
            await checkAccount();
            return;
          }

          const temp = `${output}.${process.pid}.partial`;
          const file = await openFile(temp).catch((err: unknown) => {
            throw cannotWrite(output, err, 2);
          });
          const out = new Output(file);
          try {
            await writeAll(chunks, out, counted);
            await checkAccount();
            file.end();
            await finished(file);
            out.check();
            await rename(temp, output).catch((err: unknown) => {
              throw cannotWrite(output, err);
            });
            progress(true);
          } catch (err) {
            file.destroy();
            await finished(file).catch(() => undefined);
            await rm(temp, { force: true });
            throw out.failure === null ? err : cannotWrite(output, out.failure);
          } finally {
            out.detach();
          }
        },
        { read: true },
      );
    });
}
