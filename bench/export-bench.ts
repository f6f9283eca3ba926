/**
 * Export benchmark: `npm run bench:export` (= build, then `node dist/bench/export-bench.js`).
 *
 * Seeds request records through the real write path (bench/seed-records.ts, 30 days, no
 * payloads), then exports all of them, each run in a fresh child process so its peak RSS
 * (`process.resourceUsage().maxRSS`) is the export's alone:
 *   - `ccflare export requests --format csv --output FILE` (the CLI, through runCli),
 *   - the same as JSON Lines,
 *   - `GET /api/export/requests?format=csv` from the real server, read to the end over HTTP.
 * The CSV file is then read back with csv-parse's streaming parser and its rows counted.
 *
 * Target (issue 16): constant memory over 1,000,000 rows: peak RSS does not grow with the rows
 * (compare --rows 100000 with the default).
 *
 * Options: --rows <n> (default 1000000), --home <dir> (reuse a seeded data directory), --keep.
 */
import { fork } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { parse } from 'csv-parse';
import { request } from 'undici';
import { runCli } from '../src/cli/program.js';
import { argValue } from './child-ipc.js';
import { seedRequests, serveSeeded } from './seed-records.js';

const argv = process.argv.slice(2);
const ROWS = Number(argValue(argv, 'rows') ?? 1_000_000);
const REUSE = argValue(argv, 'home');
const KEEP = argv.includes('--keep');
const CHILD = argValue(argv, 'child');

interface ChildResult {
  what: string;
  seconds: number;
  bytes: number;
  maxRssMb: number;
}

const mb = (b: number) => (b / 1024 / 1024).toFixed(1);

function discard(): Writable {
  return new Writable({
    write(_chunk, _enc, cb) {
      cb();
    },
  });
}

/** One export inside this process; prints its result as JSON on the last line. */
async function child(mode: string, home: string): Promise<void> {
  const started = performance.now();
  let bytes = 0;
  if (mode === 'api') {
    const server = await serveSeeded(home);
    try {
      const res = await request(`${server.url}/api/export/requests?format=csv`);
      if (res.statusCode !== 200) throw new Error(`HTTP ${res.statusCode}`);
      for await (const chunk of res.body) bytes += (chunk as Buffer).length;
    } finally {
      await server.close();
    }
  } else {
    const format = mode === 'cli-jsonl' ? 'jsonl' : 'csv';
    const file = join(home, `export.${format}`);
    const stdin = new PassThrough();
    stdin.end();
    const r = await runCli(['export', 'requests', '--format', format, '--output', file], {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: discard(),
      stderr: process.stderr,
      env: { CCFLARE_HOME: home, NO_COLOR: '1' },
      platform: process.platform,
    });
    if (r.code !== 0) throw new Error(`export exited ${r.code}`);
    bytes = statSync(file).size;
  }
  const result: ChildResult = {
    what: mode,
    seconds: (performance.now() - started) / 1000,
    bytes,
    // maxRSS is in KiB.
    maxRssMb: process.resourceUsage().maxRSS / 1024,
  };
  console.log(JSON.stringify(result));
}

function runChild(mode: string, home: string): Promise<ChildResult> {
  return new Promise((resolve, reject) => {
    const p = fork(fileURLToPath(import.meta.url), ['--child', mode, '--home', home], { stdio: 'pipe' });
    let out = '';
    p.stdout?.on('data', (d: Buffer) => {
      out += d.toString();
    });
    p.stderr?.pipe(process.stderr);
    p.once('exit', (code) => {
      const last = out.trim().split('\n').pop() ?? '';
      if (code !== 0) reject(new Error(`${mode}: exit ${code}\n${out}`));
      else resolve(JSON.parse(last) as ChildResult);
    });
  });
}

async function countCsvRows(file: string): Promise<number> {
  let n = 0;
  const parser = createReadStream(file).pipe(parse({ columns: true }));
  for await (const _row of parser) n++;
  return n;
}

async function main(): Promise<void> {
  if (CHILD !== undefined && REUSE !== undefined) return child(CHILD, REUSE);
  const home = REUSE ?? mkdtempSync(join(tmpdir(), 'ccflare-export-bench-'));
  if (!REUSE) {
    await seedRequests(join(home, 'ccflare.db'), ROWS);
    console.log(`data directory: ${home}`);
  }
  try {
    for (const mode of ['cli-csv', 'cli-jsonl', 'api']) {
      const r = await runChild(mode, home);
      console.log(
        `${r.what.padEnd(10)} ${mb(r.bytes).padStart(8)} MB in ${r.seconds.toFixed(1).padStart(5)} s ` +
          `(${(ROWS / r.seconds).toFixed(0)} rows/s)  peak RSS ${r.maxRssMb.toFixed(0)} MB`,
      );
    }
    const rows = await countCsvRows(join(home, 'export.csv'));
    console.log(`csv-parse read ${rows} rows back from export.csv`);
  } finally {
    if (!KEEP && !REUSE) rmSync(home, { recursive: true, force: true });
  }
}

await main();
