/**
 * `ccflare export` in process with a fake terminal, on a seeded database: JSON Lines and CSV on
 * stdout (CSV parsed back with csv-parse), --output written whole or refused up front, a failed
 * write named, a closed stdout ending the export quietly, the filters, relative and ISO times, a
 * progress line only when stderr is a terminal, and one-line usage errors.
 */
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough, Writable } from 'node:stream';
import { parse } from 'csv-parse/sync';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { requireTool } from '../../test/support/required-tool.js';
import { samplePayload, sampleRecord } from '../../test/support/sample-record.js';
import { PAGE_ROWS } from '../export/export-rows.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { CliIo } from './io.js';
import { runCli } from './program.js';

interface FixtureRequest {
  at: number;
  sessionId: string | null;
  agentId: string | null;
  body: { model: string };
}

/** A recorded Claude Code session spawning two sub-agents, stored as the proxy would store it. */
async function seedSubtaskSession(dir: string): Promise<void> {
  const file = join(import.meta.dirname, '..', 'conversations', '__fixtures__', 'subtasks.json');
  const requests = (JSON.parse(readFileSync(file, 'utf8')) as { requests: FixtureRequest[] }).requests;
  const store = SqliteStore.open(join(dir, 'ccflare.db'));
  for (const [i, r] of requests.entries()) {
    const body = JSON.stringify(r.body);
    await store.requests.writeBatch(
      [
        sampleRecord({
          id: `s-${String(i).padStart(2, '0')}`,
          ts: r.at,
          sessionId: r.sessionId,
          agentInstance: r.agentId,
          agent: r.agentId === null ? 'main' : 'reviewer',
          accountName: 'acct-a',
          clientKey: 'laptop',
          path: '/v1/messages?beta=true',
          modelRequested: r.body.model,
          modelApplied: r.body.model,
          linkBody: Buffer.from(body),
          payload: samplePayload({ requestBody: body, responseBody: `answer ${i}` }),
        }),
      ],
      [],
    );
  }
  await store.close();
}

let home: string;
const NOW = Date.now();

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-export-'));
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  await store.requests.writeBatch(
    [
      sampleRecord({ id: 'r-old', ts: NOW - 10 * 86_400_000, clientKey: 'ci', agent: 'main' }),
      sampleRecord({ id: 'r-mid', ts: NOW - 2 * 3_600_000, clientKey: 'laptop', agent: 'reviewer', error: 'a,"b"' }),
      sampleRecord({ id: 'r-new', ts: NOW - 60_000, clientKey: 'laptop', agent: 'main' }),
    ],
    [],
  );
  await store.close();
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const run = (args: string[]) => runCommand(args, { home });

/** Enough more requests that the export spans several pages and outgrows a stream's buffer. */
async function seedPages(pages: number): Promise<void> {
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  await store.requests.writeBatch(
    Array.from({ length: pages * PAGE_ROWS }, (_, i) => sampleRecord({ id: `bulk-${i}`, ts: NOW - 5_000 + i })),
    [],
  );
  await store.close();
}
const ids = (text: string) =>
  text
    .split('\n')
    .filter((l) => l !== '')
    .map((l) => (JSON.parse(l) as { id: string }).id);

describe('ccflare export requests', () => {
  it('writes JSON Lines, oldest first, and nothing but rows on stdout', async () => {
    const r = await run(['export', 'requests']);
    expect(r.code, r.stderr).toBe(0);
    expect(ids(r.stdout)).toEqual(['r-old', 'r-mid', 'r-new']);
    expect(r.stderr).toBe('');
  });

  it('writes CSV that csv-parse reads back', async () => {
    const r = await run(['export', 'requests', '--format', 'csv']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.id)).toEqual(['r-old', 'r-mid', 'r-new']);
    expect(rows[1]).toMatchObject({ clientKey: 'laptop', agent: 'reviewer', error: 'a,"b"', success: 'true' });
  });

  it('filters by relative and ISO times, key and agent', async () => {
    expect(ids((await run(['export', 'requests', '--since', '24h'])).stdout)).toEqual(['r-mid', 'r-new']);
    expect(ids((await run(['export', 'requests', '--until', '1h'])).stdout)).toEqual(['r-old', 'r-mid']);
    const iso = new Date(NOW - 3 * 86_400_000).toISOString().slice(0, 10);
    expect(ids((await run(['export', 'requests', '--since', iso])).stdout)).toEqual(['r-mid', 'r-new']);
    expect(ids((await run(['export', 'requests', '--key', 'laptop', '--agent', 'main'])).stdout)).toEqual(['r-new']);
  });

  it('writes --output whole and leaves no partial file', async () => {
    const file = join(home, 'out.csv');
    const r = await run(['export', 'requests', '--format', 'csv', '--output', file, '--with-payloads']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toBe('');
    const rows = parse(readFileSync(file, 'utf8'), { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(3);
    expect(Object.keys(rows[0] as object)).toContain('requestBody');
    expect(readdirSync(home).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  it('refuses an --output it cannot write before exporting, with one line and exit code 2', async () => {
    const missing = join(home, 'missing', 'x.csv');
    expectOneLineError(
      await run(['export', 'requests', '--format', 'csv', '--output', missing]),
      new RegExp(`cannot write ${missing}: the directory ${join(home, 'missing')} does not exist$`),
      2,
    );
    expectOneLineError(await run(['export', 'requests', '--output', home]), /cannot write .+: it is a directory$/, 2);
    expectOneLineError(await run(['export', 'requests', '--output', '']), /--output needs a file path$/, 2);
    expect(readdirSync(home).filter((f) => f.includes('.partial'))).toEqual([]);
  });

  // The partial file is made a link to /dev/full, which fails every write as a full disk does.
  // A device whose every write fails with ENOSPC, as a full disk does (Linux).
  const hasDevFull = requireTool('export write failure test', '/dev/full', existsSync('/dev/full'), 'a Linux /dev');
  it.skipIf(!hasDevFull)('reports a failed write of --output as such and leaves no file', async () => {
    await seedPages(2);
    const file = join(home, 'out.jsonl');
    symlinkSync('/dev/full', `${file}.${process.pid}.partial`);
    expectOneLineError(
      await run(['export', 'requests', '--output', file]),
      new RegExp(`cannot write ${file}: ENOSPC`),
      1,
    );
    expect(readdirSync(home).filter((f) => f.startsWith('out.'))).toEqual([]);
  });

  it('stops quietly, reading no further, when the reader of stdout goes away (| head -1)', async () => {
    await seedPages(4);
    let writes = 0;
    let err = '';
    // What process.stdout does once `head` has exited: the next write fails with EPIPE.
    const stdout = new Writable({
      write(_chunk, _enc, cb) {
        writes++;
        cb(writes === 1 ? null : Object.assign(new Error('write EPIPE'), { code: 'EPIPE', syscall: 'write' }));
      },
    });
    const stdin = new PassThrough();
    stdin.end();
    const io: CliIo = {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout,
      stderr: new Writable({
        write(chunk, _enc, cb) {
          err += chunk.toString();
          cb();
        },
      }),
      env: { CCFLARE_HOME: home, NO_COLOR: '1' },
      platform: process.platform,
    };
    const r = await runCli(['export', 'requests'], io);
    expect(r.code, err).toBe(0);
    expect(err).toBe('');
    expect(writes).toBe(2);
  });

  it('refuses bad times and formats with one line and exit code 2', async () => {
    expectOneLineError(await run(['export', 'requests', '--since', 'last week']), /--since "last week": expected/, 2);
    expectOneLineError(
      await run(['export', 'requests', '--since', '1h', '--until', '2h']),
      /--since must be before --until/,
      2,
    );
    expectOneLineError(await run(['export', 'requests', '--format', 'xml']), /--format/, 2);
    expectOneLineError(await run(['export', 'calls']), /expected requests or conversations/, 2);
  });

  it('draws a progress line on stderr only when it is a terminal', async () => {
    let out = '';
    let err = '';
    const sink = (add: (s: string) => void) =>
      new Writable({
        write(chunk, _enc, cb) {
          add(chunk.toString());
          cb();
        },
      });
    const stderr = Object.assign(
      sink((s) => (err += s)),
      { isTTY: true },
    );
    const stdin = new PassThrough();
    stdin.end();
    const io: CliIo = {
      stdin: stdin as unknown as NodeJS.ReadStream,
      stdout: sink((s) => (out += s)),
      stderr,
      env: { CCFLARE_HOME: home, NO_COLOR: '1' },
      platform: process.platform,
    };
    const r = await runCli(['export', 'requests'], io);
    expect(r.code, err).toBe(0);
    expect(ids(out)).toHaveLength(3);
    expect(err).toMatch(/exported 3 rows \([\d,]+\/s\)\n$/);
  });
});

describe('ccflare export conversations', () => {
  beforeEach(async () => {
    await seedSubtaskSession(home);
  });

  it('writes one JSON line per conversation with its totals and facets', async () => {
    const r = await run(['export', 'conversations']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    // The linked session, and the three unrelated single requests each as its own conversation.
    const session = lines.map((l) => JSON.parse(l)).find((c) => c.id === 's-00');
    expect(session).toMatchObject({ requests: 4, branches: 3, subtasks: 2, agents: ['main', 'reviewer'] });
    expect(session.firstUserText).toMatch(/^DELEGATE-TWO/);
  });

  it('writes CSV a spreadsheet parser reads back, lists as JSON text', async () => {
    const r = await run(['export', 'conversations', '--format', 'csv', '--key', 'laptop', '--agent', 'reviewer']);
    expect(r.code, r.stderr).toBe(0);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows.map((x) => x.id)).toEqual(['s-00']);
    expect(rows[0]).toMatchObject({ requests: '4', subtasks: '2', keys: '["laptop"]', accounts: '["acct-a"]' });
  });

  it('with --with-payloads keeps the request count and holds each request in order per branch with its bodies', async () => {
    const r = await run(['export', 'conversations', '--with-payloads', '--agent', 'reviewer']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stdout.split('\n').filter((l) => l !== '');
    expect(lines).toHaveLength(1);
    const c = JSON.parse(lines[0] as string) as {
      requests: number;
      requestPayloads: { id: string; branch: string; payload: { responseBody: string } | null }[];
    };
    expect(c.requests).toBe(4);
    expect(c.requestPayloads.map((x) => [x.id, x.branch])).toEqual([
      ['s-00', 'main'],
      ['s-03', 'main'],
      ['s-01', 'subtask_1'],
      ['s-02', 'subtask_2'],
    ]);
    expect(c.requestPayloads[2]?.payload?.responseBody).toBe('answer 1');
  });

  it('with --with-payloads in CSV keeps the request count in its own column', async () => {
    const r = await run(['export', 'conversations', '--format', 'csv', '--with-payloads', '--agent', 'reviewer']);
    expect(r.code, r.stderr).toBe(0);
    const header = (parse(r.stdout, { to_line: 1 }) as string[][])[0] ?? [];
    expect(new Set(header).size).toBe(header.length);
    const rows = parse(r.stdout, { columns: true }) as Record<string, string>[];
    expect(rows).toHaveLength(1);
    expect(rows[0]?.requests).toBe('4');
    const payloads = JSON.parse(rows[0]?.requestPayloads ?? 'null') as { id: string }[];
    expect(payloads.map((x) => x.id)).toEqual(['s-00', 's-03', 's-01', 's-02']);
  });
});
