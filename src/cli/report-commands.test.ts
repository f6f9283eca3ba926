/**
 * In-process: the typed confirmation of `clear-history` on a terminal (a fake TTY stdin), and the
 * event-stream parser of `logs`. The commands against real processes are in
 * test/e2e/report-cli.e2e.test.ts.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { sampleRecord } from '../../test/support/sample-record.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { CliIo } from './io.js';
import { SseParser } from './logs-command.js';
import { runCli } from './program.js';

let home: string;
let port: string;

async function freePort(): Promise<string> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const p = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return String(p);
}

function ttyIo(input: string): { io: CliIo; out: () => string; err: () => string } {
  const stdin = new PassThrough() as unknown as NodeJS.ReadStream;
  Object.assign(stdin, { isTTY: true });
  (stdin as unknown as PassThrough).end(input);
  let out = '';
  let err = '';
  const sink = (f: (s: string) => void) => {
    const w = new PassThrough();
    w.setEncoding('utf8').on('data', f);
    return w;
  };
  const io: CliIo = {
    stdin,
    stdout: sink((s) => {
      out += s;
    }),
    stderr: sink((s) => {
      err += s;
    }),
    env: { CCFLARE_HOME: home, CCFLARE_PORT: port },
    platform: process.platform,
  };
  return { io, out: () => out, err: () => err };
}

async function count(): Promise<number> {
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  try {
    return await store.requests.count();
  } finally {
    await store.close();
  }
}

beforeEach(async () => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-report-'));
  port = await freePort();
  const store = SqliteStore.open(join(home, 'ccflare.db'));
  await store.requests.writeBatch(
    [
      sampleRecord({ id: '00000000-0000-7000-8000-000000000001', ts: Date.now() - 1000 }),
      sampleRecord({ id: '00000000-0000-7000-8000-000000000002', ts: Date.now() }),
    ],
    [],
  );
  await store.close();
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const tick = () => new Promise((r) => setImmediate(r));

describe('clear-history on a terminal', () => {
  it('keeps everything when the typed word is wrong', async () => {
    const t = ttyIo('yes\n');
    const r = await runCli(['clear-history'], t.io);
    await tick();
    expect(r.code).toBe(1);
    expect(t.out()).toContain('Type "clear" to continue: ');
    expect(t.err()).toBe('ccflare: the typed word is not "clear"; nothing was deleted\n');
    expect(await count()).toBe(2);
  });

  it('deletes after "clear" is typed', async () => {
    const t = ttyIo('clear\n');
    const r = await runCli(['clear-history'], t.io);
    await tick();
    expect(r.code, t.err()).toBe(0);
    expect(t.out()).toContain(`every request record, payload and analytics aggregate of ${join(home, 'ccflare.db')}`);
    expect(t.out()).toMatch(/Deleted 2 request records, 0 payloads and \d+ analytics rows\./);
    expect(await count()).toBe(0);
  });

  it('with --json, prompts on stderr so stdout is only the JSON result', async () => {
    const t = ttyIo('clear\n');
    const r = await runCli(['clear-history', '--json'], t.io);
    await tick();
    expect(r.code, t.err()).toBe(0);
    expect(t.err()).toContain('Type "clear" to continue: ');
    expect(JSON.parse(t.out())).toMatchObject({ requestsDeleted: 2, payloadsDeleted: 0 });
  });

  it('fails with one line when stdin ends before an answer', async () => {
    const t = ttyIo('');
    const r = await runCli(['clear-history'], t.io);
    await tick();
    expect(r.code).toBe(1);
    expect(t.err()).toBe('ccflare: stdin closed before a line was entered\n');
    expect(await count()).toBe(2);
  });
});

describe('SseParser', () => {
  it('splits frames across chunks and skips comments', () => {
    const p = new SseParser();
    expect(p.push('retry: 2000\n\n: ping\n\nid: 4\nevent: log\nda')).toEqual([]);
    expect(p.push('ta: {"msg":"x"}\n\nid: 5\nevent: reset\ndata: {}\r\n\r\n')).toEqual([
      { id: 4, event: 'log', data: '{"msg":"x"}' },
      { id: 5, event: 'reset', data: '{}' },
    ]);
  });
});
