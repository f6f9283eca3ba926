/**
 * `ccflare export requests|conversations`: stored rows as JSON Lines or CSV, to stdout or a file,
 * read straight from the database (WAL: a running gateway keeps writing meanwhile, its requests
 * never wait for the export). Writes wait for the output to drain, so memory holds one page; a
 * progress line goes to stderr when stderr is a terminal.
 */
import { createWriteStream } from 'node:fs';
import { rename, rm } from 'node:fs/promises';
import { type Command, InvalidArgumentError, Option } from 'commander';
import { rowSource } from '../export/export-rows.js';
import { exportChunks } from '../export/export-stream.js';
import {
  EXPORT_FORMATS,
  EXPORT_KINDS,
  EXPORT_TIME_RULE,
  type ExportFormat,
  type ExportKind,
} from '../shared/export-schemas.js';
import { type GlobalOptions, withStore } from './context.js';
import { CliError, type CliIo } from './io.js';
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
function drained(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
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

function endStream(out: NodeJS.WritableStream): Promise<void> {
  return new Promise((resolve, reject) => {
    out.once('error', reject);
    out.end(() => resolve());
  });
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
      await withStore(io, cmd.optsWithGlobals<GlobalOptions>(), async (store) => {
        const source = rowSource(kind, store, {
          since,
          until,
          account: opts.account,
          clientKey: opts.key,
          agent: opts.agent,
          withPayloads: opts.withPayloads === true,
        });
        const temp = opts.output === undefined ? null : `${opts.output}.${process.pid}.partial`;
        const out: NodeJS.WritableStream = temp === null ? io.stdout : createWriteStream(temp, { mode: 0o600 });
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
          io.stderr.write(`\r\x1b[Kexported ${rows.toLocaleString('en-US')} rows (${rate.toLocaleString('en-US')}/s)`);
          if (final) io.stderr.write('\n');
        };
        try {
          for await (const chunk of exportChunks(source, opts.format)) {
            if (!out.write(chunk.text)) await drained(out);
            rows += chunk.rows;
            progress(false);
          }
          if (temp !== null && opts.output !== undefined) {
            await endStream(out);
            await rename(temp, opts.output);
          }
          progress(true);
        } catch (err) {
          if (temp !== null) {
            out.end();
            await rm(temp, { force: true });
          }
          throw err;
        }
      });
    });
}
