/** `ccflare simulate` through runCli with a fake terminal. */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { historySeed } from '../../test/support/history-seed.js';
import { sampleRecord } from '../../test/support/sample-record.js';
import { STRATEGY_NAMES } from '../routing/strategy.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';

let home: string;
const HOUR = 3_600_000;
const T = Date.UTC(2026, 2, 2, 10);

beforeEach(() => {
  home = mkdtempSync(join(tmpdir(), 'ccflare-simulate-'));
});
afterEach(() => {
  rmSync(home, { recursive: true, force: true });
});

const run = (args: string[]) => runCommand(['simulate', ...args], { home });

describe('ccflare simulate', () => {
  it('prints one row per strategy for a synthetic team, and the time it took', async () => {
    const r = await run(['--developers', '2', '--days', '2', '--accounts', '2']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^synthetic: 2 developers, 2 days, seed 1 \(\d+ requests\); 2 accounts/);
    expect(r.stdout).toMatch(/strategy +served +503s +failovers +held +continuity/);
    for (const name of STRATEGY_NAMES) expect(r.stdout).toMatch(new RegExp(`^${name} +[\\d,]+ `, 'm'));
    expect(r.stdout).toMatch(/\d+ strategies simulated in \d+ ms/);
  });

  it('counts one of a kind in the singular', async () => {
    const r = await run(['--developers', '1', '--days', '1', '--accounts', '1', '--strategies', 'session']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/^synthetic: 1 developer, 1 day, seed 1 \(\d+ requests\); 1 account, /);
    expect(r.stdout).toMatch(/\n1 strategy simulated in \d+ ms\n/);
  });

  it('gives the same results for the same seed', async () => {
    const once = async (seed: string) => {
      const r = await run(['--developers', '2', '--days', '3', '--seed', seed, '--strategies', 'session', '--json']);
      return JSON.parse(r.stdout).runs;
    };
    expect(await once('5')).toEqual(await once('5'));
    expect(await once('6')).not.toEqual(await once('5'));
  });

  it('replays the recorded requests of a date range (--from-db)', async () => {
    const store = SqliteStore.open(join(home, 'ccflare.db'));
    await store.requests.writeBatch(
      [
        ...historySeed({
          prefix: '00000000-0000-7000-8000-00000000000',
          at: [T + 4 * HOUR, T + 3 * HOUR, T + 2 * HOUR, T + HOUR, T - 24 * HOUR, T - 10 * 24 * HOUR],
          alpha: { id: 'a', name: 'alpha' },
          beta: { id: 'b', name: 'beta' },
          models: { sonnet: 'claude-sonnet-4-6', opus: 'claude-opus-4-1', haiku: 'claude-haiku-4-5' },
        }),
        // Not a message: left out of the replay.
        sampleRecord({ id: '00000000-0000-7000-8000-000000000009', ts: T + HOUR, path: '/v1/messages/count_tokens' }),
      ],
      [],
    );
    await store.close();
    const r = await run([
      '--from-db',
      '--since',
      '2026-03-02T10:00:00Z',
      '--until',
      '2026-03-02T15:00:00Z',
      '--accounts',
      '1',
      '--strategies',
      'session',
      '--json',
    ]);
    expect(r.stderr).toBe('');
    const out = JSON.parse(r.stdout);
    // Requests 1-4; 3 failed without usage (0 units); 1 and 2 are session s1 on the same account.
    // 1: 100 + 200 + 5 x 50 + 0.1 x 1000 = 650; 2: 200 + 300 + 5 x 100 = 1000; 4: 10 + 5 x 10 = 60.
    expect(out.requests).toBe(4);
    expect(out.runs[0].result).toMatchObject({ served: 4, unavailable: 0, cacheMisses: 0, continuity: 1 });
    expect(out.runs[0].result.accounts[0].unitsUsed).toBe(1710);
  });

  it('--from-db over a range with no recorded message says there is nothing to simulate', async () => {
    const store = SqliteStore.open(join(home, 'ccflare.db'));
    await store.requests.writeBatch(
      [
        sampleRecord({ id: '00000000-0000-7000-8000-000000000001', ts: T }),
        sampleRecord({ id: '00000000-0000-7000-8000-000000000002', ts: T + HOUR, path: '/v1/messages/count_tokens' }),
      ],
      [],
    );
    await store.close();
    for (const range of [
      ['--since', '2026-01-01', '--until', '2026-01-02'],
      ['--since', '2026-03-02T10:30:00Z', '--until', '2026-03-02T12:00:00Z'],
    ]) {
      const r = await run(['--from-db', ...range]);
      expect(r.stdout).toBe('');
      expectOneLineError(r, /^ccflare: nothing to simulate: no messages were recorded from 2026-0\S+ to 2026-0\S+ \(/);
    }
  });

  it('refuses an unknown strategy and a range without --from-db, naming what is wrong', async () => {
    expectOneLineError(
      await run(['--strategies', 'session,fastest']),
      /unknown strategy "fastest": choose from session, sticky/,
      2,
    );
    expectOneLineError(await run(['--since', '2026-01-01']), /--since and --until need --from-db/, 2);
    expectOneLineError(await run(['--accounts', '0']), /--accounts.*expected an integer from 1 to 100/, 2);
    expectOneLineError(
      await run(['--from-db', '--since', 'yesterday']),
      /--since "yesterday": expected an ISO 8601 date or date-time .*, Unix ms, or a time ago such as 7d/,
      2,
    );
    expectOneLineError(
      await run(['--from-db', '--since', '2026-02-01', '--until', '2026-01-01']),
      /--since must be before --until/,
      2,
    );
  });
});
