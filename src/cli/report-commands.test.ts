/**
 * The typed confirmation of `clear-history` on a terminal (a fake TTY stdin), and how `logs`
 * reads the event stream. The commands against a running gateway and against its
 * database are in test/e2e/report-cli.e2e.test.ts.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type CliRun, runCommand } from '../../test/support/cli-io.js';
import { freePort } from '../../test/support/free-port.js';
import { sampleRecord } from '../../test/support/sample-record.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import type { StreamEvent } from './event-stream.js';
import { forEachLogLine } from './logs-command.js';

let home: string;
let port: string;

/** On a terminal (a fake TTY stdin carrying `input`), with no gateway on the configured port. */
function onTerminal(args: string[], input: string): Promise<CliRun> {
  return runCommand(args, { home, env: { CCFLARE_PORT: port }, input, tty: true });
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
  port = String(await freePort());
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

describe('clear-history on a terminal', () => {
  it('keeps everything when the typed word is wrong', async () => {
    const r = await onTerminal(['clear-history'], 'yes\n');
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('Type "clear" to continue: ');
    expect(r.stderr).toBe('ccflare: the typed word is not "clear"; nothing was deleted\n');
    expect(await count()).toBe(2);
  });

  it('deletes after "clear" is typed', async () => {
    const r = await onTerminal(['clear-history'], 'clear\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain(`every request record, payload and analytics aggregate of ${join(home, 'ccflare.db')}`);
    expect(r.stdout).toMatch(/Deleted 2 request records, 0 payloads and \d+ analytics rows\./);
    expect(await count()).toBe(0);
  });

  it('with --json, prompts on stderr so stdout is only the JSON result', async () => {
    const r = await onTerminal(['clear-history', '--json'], 'clear\n');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('Type "clear" to continue: ');
    expect(JSON.parse(r.stdout)).toMatchObject({ requestsDeleted: 2, payloadsDeleted: 0 });
  });

  it('fails with one line when stdin ends before an answer', async () => {
    const r = await onTerminal(['clear-history'], '');
    expect(r.code).toBe(1);
    expect(r.stderr).toBe('ccflare: stdin closed before a line was entered\n');
    expect(await count()).toBe(2);
  });
});

describe('a data directory that does not exist', () => {
  it('is named by every command that reads the history, and is not created', async () => {
    const typo = join(home, 'typo');
    const commands = [
      ['stats'],
      ['stats', '--range', '24h'],
      ['requests'],
      ['requests', 'show', 'x'],
      ['analyze'],
      ['conversations', 'list'],
      ['conversations', 'show', 'x'],
      ['export', 'requests'],
      ['simulate', '--from-db'],
      ['reset-stats'],
      ['clear-history', '--yes'],
    ];
    for (const args of commands) {
      const r = await runCommand(args, { home: typo, env: { CCFLARE_PORT: port } });
      expect([args, r.code, r.stdout]).toEqual([args, 1, '']);
      expect(r.stderr).toBe(
        `ccflare: nothing is recorded at ${join(typo, 'ccflare.db')}: no such database (start the gateway with ` +
          '`ccflare serve`, or point --home or CCFLARE_HOME at the data directory it uses)\n',
      );
    }
    expect(existsSync(typo)).toBe(false);
  });
});

describe('forEachLogLine', () => {
  it('hands over log lines only, skips frames that are not JSON, and follows every id', async () => {
    async function* frames(): AsyncGenerator<StreamEvent> {
      yield { id: 4, event: 'log', data: '{"msg":"x"}' };
      yield { id: null, event: 'reset', data: '{}' };
      yield { id: 5, event: 'log', data: 'not json' };
      yield { id: 6, event: 'request.finished', data: '{}' };
    }
    const lines: unknown[] = [];
    const cursor = { last: 3 };
    await forEachLogLine(frames(), cursor, (l) => lines.push(l));
    expect(lines).toEqual([{ msg: 'x' }]);
    expect(cursor.last).toBe(6);
  });
});

/** Raw C0 (but tab and newline), DEL and C1 characters in `s`. */
function rawControls(s: string): string[] {
  return [...s].filter((c) => {
    const n = c.charCodeAt(0);
    return (n < 0x20 && n !== 0x09 && n !== 0x0a) || (n >= 0x7f && n <= 0x9f);
  });
}

describe('strings from clients on the terminal', () => {
  const HOSTILE = 'claude-\u001b[2J\u001b]0;PWNED\u0007\u001b[31mRED\u009b1m';
  const ID = '00000000-0000-7000-8000-000000000003';

  beforeEach(async () => {
    const store = SqliteStore.open(join(home, 'ccflare.db'));
    await store.requests.writeBatch(
      [
        sampleRecord({
          id: ID,
          ts: Date.now(),
          modelRequested: HOSTILE,
          modelApplied: HOSTILE,
          sessionId: 'sess\rion',
          status: 400,
          success: false,
          error: `invalid model ${HOSTILE}`,
        }),
      ],
      [],
    );
    await store.close();
  });

  it.each([
    ['requests', ['requests', '--limit', '3']],
    ['requests show', ['requests', 'show', ID]],
    ['stats', ['stats', '--range', '1h']],
  ])('%s shows control characters as escapes, never raw', async (_name, args) => {
    const r = await runCommand(args, { home, env: { CCFLARE_PORT: port } });
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('claude-\\u001b[2J\\u001b]0;PWNED\\u0007');
    expect(rawControls(r.stdout)).toEqual([]);
  });

  it('--json output still parses to the stored string', async () => {
    const r = await runCommand(['requests', 'show', ID, '--json'], { home, env: { CCFLARE_PORT: port } });
    expect(r.code, r.stderr).toBe(0);
    expect(rawControls(r.stdout)).toEqual([]);
    const detail = JSON.parse(r.stdout) as { modelRequested: string; sessionId: string };
    expect(detail.modelRequested).toBe(HOSTILE);
    expect(detail.sessionId).toBe('sess\rion');
  });
});
