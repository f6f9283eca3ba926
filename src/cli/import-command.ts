/**
 * `ccflare import ccflare [--from <path>] [--dry-run] [--json]`: brings an original ccflare
 * installation into this gateway's database (src/import/ccflare-import.ts). Progress goes to
 * stderr, the summary to stdout. Safe while the gateway runs (see the importer's header).
 */
import { realpathSync } from 'node:fs';
import type { Command } from 'commander';
import { AgentRegistry } from '../agents/agent-registry.js';
import { systemClock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { type CcflareImportSummary, importCcflare, readCcflareConfig } from '../import/ccflare-import.js';
import { locateCcflare } from '../import/ccflare-location.js';
import { createLogger } from '../log/logger.js';
import { openCcflareSource } from '../storage/open-ccflare-source.js';
import { isPostgresUrl, sqlitePathFromUrl } from '../storage/open-store.js';
import { type GlobalOptions, loadCliConfig, secretBoxOf, withStore } from './context.js';
import { renderTable } from './format.js';
import { CliError, type CliIo } from './io.js';
import { formatInt, plural } from './report-format.js';

interface ImportOptions {
  from?: string;
  dryRun?: boolean;
  json?: boolean;
}

function samePath(a: string, b: string): boolean {
  try {
    return realpathSync(a) === realpathSync(b);
  } catch {
    return false;
  }
}

function renderSummary(s: CcflareImportSummary): string {
  const out: string[] = [];
  const added = s.dryRun ? 'to add' : 'added';
  const applied = s.dryRun ? 'to apply' : 'applied';
  out.push(
    s.dryRun
      ? `Dry run: nothing was written. From ccflare at ${s.source.database}:`
      : `Imported from ccflare at ${s.source.database}:`,
  );
  if (s.source.config === null) out.push('  (no ccflare.json found: no settings to import)');

  const a = s.accounts;
  out.push('', `Accounts: ${a.added.length} ${added}, ${a.present.length} already here, ${a.skipped.length} skipped`);
  if (a.added.length > 0) {
    const rows = a.added.map((x) => [
      x.name,
      x.kind,
      `tier ${x.tier} -> priority ${x.priority}`,
      [x.paused ? 'paused' : '', x.ccflareName !== x.name ? `was "${x.ccflareName}"` : ''].filter(Boolean).join(', '),
    ]);
    out.push(
      ...renderTable(['NAME', 'KIND', 'PRIORITY', 'NOTE'], rows)
        .trimEnd()
        .split('\n')
        .map((l) => `  ${l}`),
    );
  }
  for (const p of a.present) if (p.note) out.push(`  ${p.name}: already here (${p.note})`);
  for (const k of a.skipped) out.push(`  skipped ${k.item}: ${k.reason}`);

  const st = s.settings;
  out.push(
    '',
    `Settings: ${st.applied.length} ${applied}, ${st.present.length} already set, ${st.skipped.length} not imported`,
  );
  for (const x of st.applied) {
    out.push(`  ${x.key} = ${JSON.stringify(x.value)} (from ${x.from})${x.note ? `; ${x.note}` : ''}`);
  }
  for (const k of st.skipped) out.push(`  ${k.item}: ${k.reason}`);

  const ap = s.agentPreferences;
  out.push(
    '',
    `Agent preferences: ${ap.applied.length} ${applied}, ${ap.present.length} already set, ${ap.skipped.length} skipped`,
  );
  for (const x of ap.applied) out.push(`  ${x.agent} -> ${x.model}`);
  for (const k of ap.skipped) out.push(`  skipped ${k.item}: ${k.reason}`);

  out.push('', `Interceptor: ${s.interceptor.note}`);

  const r = s.requests;
  out.push(
    '',
    `Requests: ${formatInt(r.inSource)} in ccflare; ${formatInt(r.imported)} ${s.dryRun ? 'would be imported' : 'imported'} ` +
      `(${formatInt(r.withPayload)} with payloads), ${formatInt(r.alreadyPresent)} already here` +
      (r.olderThanRetention > 0
        ? `, ${plural(r.olderThanRetention, 'request')} older than the request retention left out`
        : ''),
  );
  if (r.payloadsUnreadable > 0)
    out.push(`  ${plural(r.payloadsUnreadable, 'payload')} could not be read: imported without it`);
  return `${out.join('\n')}\n`;
}

export function registerImportCommand(program: Command, io: CliIo): void {
  const group = program.command('import').description('Bring data over from another gateway');
  group
    .command('ccflare')
    .description(
      'Import an original ccflare installation: accounts (tokens encrypted), tiers as priorities, paused state, ' +
        'strategy and retention settings, agent model preferences, request history with payloads and costs. ' +
        'The source is only read; running it again changes nothing; safe while the gateway runs.',
    )
    .option('--from <path>', "ccflare's folder or its ccflare.db (default: ccflare_DB_PATH, then ccflare's own folder)")
    .option('--dry-run', 'show what would be imported and write nothing')
    .option('--json', 'print the summary as JSON')
    .action(async (opts: ImportOptions, cmd: Command) => {
      const globals = cmd.optsWithGlobals<GlobalOptions>();
      const config = loadCliConfig(io, globals);
      const location = locateCcflare(opts.from, io.env, io.platform);
      // On PostgreSQL the two cannot be one file.
      const target = isPostgresUrl(config.databaseUrl) ? null : sqlitePathFromUrl(config.databaseUrl);
      if (target !== null && samePath(location.dbPath, target)) {
        // Read only, to tell the two cases apart: moving the folder aside is the advice only when
        // the file really is ccflare's; on a fresh install it holds this gateway's own data.
        let ours = false;
        try {
          openCcflareSource(location.dbPath).close();
        } catch (err) {
          ours = err instanceof GatewayError && /is a database of this gateway/.test(err.message);
        }
        if (ours) {
          throw new CliError(
            `${location.dbPath} holds this gateway's own data, not an original ccflare installation ` +
              "(both use that path by default): if ccflare's database is elsewhere, give it with --from <folder or ccflare.db>",
          );
        }
        throw new CliError(
          `${location.dbPath} is both ccflare's database and this gateway's (both default to ~/.config/ccflare/ccflare.db); ` +
            "move ccflare's folder aside (e.g. mv ~/.config/ccflare ~/.config/ccflare-old) and run " +
            '`ccflare import ccflare --from ~/.config/ccflare-old`, or give this gateway another home with --home or CCFLARE_HOME',
        );
      }
      // Refused before the target is opened: a refusal must not leave a new database and key behind.
      if (location.configPath !== null) readCcflareConfig(location.configPath);
      const source = openCcflareSource(location.dbPath);
      try {
        await withStore(io, globals, async (store) => {
          const agents = new AgentRegistry({
            store,
            clock: systemClock,
            logger: createLogger({ level: 'silent', format: 'json' }),
            userDir: config.claudeAgentsDir,
            watchFiles: false,
          });
          const summary = await importCcflare(
            {
              source,
              configPath: location.configPath,
              workspacesPath: location.workspacesPath,
              store,
              box: secretBoxOf(config),
              config,
              clock: systemClock,
              agents,
              onProgress: (done, total) =>
                io.stderr.write(`ccflare: import: ${formatInt(done)}/${formatInt(total)} requests read\n`),
            },
            { dryRun: opts.dryRun === true },
          );
          io.stdout.write(opts.json ? `${JSON.stringify(summary, null, 2)}\n` : renderSummary(summary));
        });
      } finally {
        await source.close();
      }
    });
}
