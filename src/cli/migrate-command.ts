/**
 * `ccflare migrate --to postgres://…`: moves a SQLite installation to PostgreSQL for several
 * instances (issue 18). Rerunnable: a second run adds nothing twice and completes one that stopped.
 */
import { join } from 'node:path';
import type { Command } from 'commander';
import { SECRET_KEY_FILE } from '../crypto/secret-box.js';
import { isPostgresUrl, sqlitePathFromUrl } from '../storage/open-store.js';
import { redactUrl } from '../storage/postgres/redact-url.js';
import type { TableCount } from '../storage/sqlite-to-postgres.js';
import { type GlobalOptions, loadCliConfig } from './context.js';
import { CliError, type CliIo, usageError } from './io.js';

interface MigrateCliOptions {
  to?: string;
  from?: string;
}

/** How often the progress line is redrawn at most. */
const PROGRESS_EVERY_MS = 250;

function countTable(counts: readonly TableCount[]): string {
  const width = Math.max(...counts.map((c) => c.table.length));
  const lines = counts.map(
    (c) =>
      `  ${c.table.padEnd(width)}  ${String(c.source).padStart(9)}  ${String(c.target).padStart(9)}  ${c.ok ? 'ok' : 'MISSING'}`,
  );
  return `  ${'table'.padEnd(width)}  ${'sqlite'.padStart(9)}  ${'postgres'.padStart(9)}\n${lines.join('\n')}\n`;
}

export function registerMigrateCommand(program: Command, io: CliIo): void {
  program
    .command('migrate')
    .description('Copy this SQLite installation into PostgreSQL (rerunnable; verifies counts per table)')
    .requiredOption('--to <url>', 'the PostgreSQL database: postgres://user@host:port/database')
    .option('--from <url>', 'the SQLite database to copy: sqlite:<path> (default: this installation)')
    .action(async (opts: MigrateCliOptions, cmd: Command) => {
      const to = opts.to ?? '';
      if (!isPostgresUrl(to)) throw usageError('--to must be a postgres:// URL');
      const config = loadCliConfig(io, cmd.optsWithGlobals<GlobalOptions>());
      const from = opts.from ?? config.databaseUrl;
      if (isPostgresUrl(from)) {
        throw usageError(
          'this installation already uses PostgreSQL; name the SQLite database with --from sqlite:<path>',
        );
      }
      const sqlitePath = sqlitePathFromUrl(from);
      const tty = (io.stderr as NodeJS.WriteStream).isTTY === true;
      let drawnAt = 0;
      let tableStart = performance.now();
      let current = '';
      let lineOpen = false;
      // With the PostgreSQL backend it loads (`pg`), imported when a migration runs.
      const { migrateSqliteToPostgres } = await import('../storage/sqlite-to-postgres.js');
      const counts = await migrateSqliteToPostgres({
        sqlitePath,
        pgUrl: to,
        onProgress: ({ table, done, total }) => {
          const t = performance.now();
          if (table !== current) {
            if (lineOpen) io.stderr.write('\n');
            lineOpen = false;
            current = table;
            tableStart = t;
          }
          // Empty tables get no line: most installations have a dozen.
          if (!tty || total === 0 || (done !== total && t - drawnAt < PROGRESS_EVERY_MS)) return;
          drawnAt = t;
          lineOpen = true;
          const rate = Math.round(done / Math.max((t - tableStart) / 1000, 0.001));
          io.stderr.write(
            `\r\x1b[K${table}: ${done.toLocaleString('en-US')}/${total.toLocaleString('en-US')} rows (${rate.toLocaleString('en-US')}/s)`,
          );
        },
      });
      if (lineOpen) io.stderr.write('\n');
      io.stdout.write(`Copied ${sqlitePath} to ${redactUrl(to)}:\n${countTable(counts)}`);
      const missing = counts.filter((c) => !c.ok);
      if (missing.length > 0) {
        throw new CliError(
          `verification failed: ${missing.map((c) => `${c.table} has ${c.target} of ${c.source} rows`).join(', ')}; run the command again to complete the copy`,
        );
      }
      io.stdout.write(
        "Secrets were copied still encrypted: every instance on PostgreSQL needs this installation's key, " +
          `CCFLARE_SECRET_KEY=${config.secretKey === undefined ? `$(cat ${join(config.home, SECRET_KEY_FILE)})` : '<the same value as here>'}.\n` +
          `Then start the instances with CCFLARE_DATABASE_URL=${redactUrl(to)}\n`,
      );
    });
}
