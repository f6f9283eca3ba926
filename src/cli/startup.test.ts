/**
 * What every command loads before it runs. Packages only some commands need are imported when
 * used: together they took a third of `ccflare --version` (on the 2-core VM 520-540 -> 355-400 ms
 * while CI ran beside; 622 -> 293 files read). The shared schemas take zod's OpenAPI extension
 * from shared/zod-openapi.ts, not from @hono/zod-openapi, which loads Hono. And each command's
 * module is imported only when it runs (program.ts: `--version` 430 -> 110 ms, `accounts list`
 * ~420 -> 280 ms). Runs the built CLI modules (dist/, as bin/ccflare does) in a child.
 */
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const PROGRAM = new URL('../../dist/src/cli/program.js', import.meta.url).href;
const dir = mkdtempSync(join(tmpdir(), 'ccflare-startup-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** The packages the CLI's module graph loads: ESM imports seen by a resolve hook, CommonJS ones in require's cache. */
function packagesLoadedBy(moduleUrl: string): Set<string> {
  writeFileSync(
    join(dir, 'hook.mjs'),
    `export async function resolve(s, c, next) {
      const r = await next(s, c);
      process.stderr.write('ESM ' + r.url + '\\n');
      return r;
    }\n`,
  );
  writeFileSync(
    join(dir, 'run.mjs'),
    `import { createRequire, register } from 'node:module';
    register(new URL('./hook.mjs', import.meta.url));
    await import(process.argv[2]);
    process.stdout.write(Object.keys(createRequire(import.meta.url).cache).join('\\n'));\n`,
  );
  const r = spawnSync(process.execPath, [join(dir, 'run.mjs'), moduleUrl], { encoding: 'utf8' });
  expect(r.status, r.stderr).toBe(0);
  const out = new Set<string>();
  for (const line of `${r.stdout}\n${r.stderr}`.split('\n')) {
    const m = /node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(line);
    if (m) out.add(m[1] as string);
  }
  return out;
}

/** Every command module program.ts may import. */
const COMMAND_MODULES = [
  'accounts-command',
  'agents-command',
  'config-command',
  'connect-command',
  'conversations-command',
  'export-command',
  'import-command',
  'keys-command',
  'logs-command',
  'migrate-command',
  'notify-command',
  'report-commands',
  'serve-command',
  'simulate-command',
  'workers-command',
];

describe('the CLI at start', () => {
  it('loads commander alone before it knows which command runs: no store, no logger, no zod', () => {
    const loaded = packagesLoadedBy(PROGRAM);
    expect(loaded).toContain('commander');
    for (const lazy of ['better-sqlite3', 'pino', 'zod', 'undici', 'pg', 'hono'])
      expect([...loaded], lazy).not.toContain(lazy);
  });

  it('loads no zod for accounts and config, the commands run most', () => {
    for (const m of ['accounts-command', 'config-command']) {
      const loaded = packagesLoadedBy(new URL(`../../dist/src/cli/${m}.js`, import.meta.url).href);
      expect(loaded, m).toContain('better-sqlite3');
      expect([...loaded], m).not.toContain('zod');
    }
  });

  it('loads, for any command, neither the OAuth client, the agent files parser, the pretty log printer, CSV, PostgreSQL nor Hono', () => {
    const probe = join(dir, 'commands.mjs');
    writeFileSync(
      probe,
      COMMAND_MODULES.map(
        (m) => `import ${JSON.stringify(new URL(`../../dist/src/cli/${m}.js`, import.meta.url).href)};`,
      ).join('\n'),
    );
    const loaded = packagesLoadedBy(pathToFileURL(probe).href);
    // The list is read: both kinds of module show up.
    expect(loaded).toContain('commander');
    expect(loaded).toContain('better-sqlite3');
    for (const lazy of [
      'undici',
      'yaml',
      'pino-pretty',
      'csv-stringify',
      'pg',
      'pg-copy-streams',
      'hono',
      '@hono/zod-openapi',
    ]) {
      expect([...loaded], lazy).not.toContain(lazy);
    }
  });

  it('the check sees those packages when a module imports them', () => {
    const probe = join(dir, 'probe.mjs');
    const resolveInRepo = createRequire(import.meta.url).resolve;
    writeFileSync(
      probe,
      ['undici', 'yaml', 'pg'].map((p) => `import ${JSON.stringify(pathToFileURL(resolveInRepo(p)).href)};`).join('\n'),
    );
    const loaded = packagesLoadedBy(pathToFileURL(probe).href);
    for (const p of ['undici', 'yaml', 'pg']) expect(loaded).toContain(p);
  });
});
