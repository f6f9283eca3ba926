import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { KeyService } from '../auth/key-service.js';
import { systemClock } from '../clock.js';
import { loadConfig } from '../config/config.js';
import { secretBoxOf, withConfigStore } from './context.js';
import { displayWidth } from './format.js';
import { describeLimits, limitsFromFlags, parseCount, parseUsd, renderClientKeys } from './keys-command.js';

/** The key service over the data directory `home`, as the CLI builds it. */
function withStore(home: string, fn: (service: KeyService) => Promise<void>): Promise<void> {
  const config = loadConfig({ env: { CCFLARE_HOME: home } });
  return withConfigStore(config, (store) =>
    fn(new KeyService({ store, box: secretBoxOf(config), clock: systemClock })),
  );
}

const NONE = { rpm: null, tokensPerDay: null, costPerMonthUsd: null, models: null };

describe('keys limits flags', () => {
  it('reads counts with k and M, amounts with or without $, and off', () => {
    expect(parseCount('--rpm', '60')).toBe(60);
    expect(parseCount('--tokens-per-day', '2M')).toBe(2_000_000);
    expect(parseCount('--tokens-per-day', '1.5m')).toBe(1_500_000);
    expect(parseCount('--tokens-per-day', '500k')).toBe(500_000);
    expect(parseCount('--rpm', 'off')).toBeNull();
    expect(parseUsd('--cost-per-month', '$12.50', 100)).toBe(12.5);
    expect(parseUsd('--cost-per-month', 'none', 100)).toBeNull();
    for (const bad of ['0', '-1', '1.5', 'lots', '2G']) expect(() => parseCount('--rpm', bad)).toThrow(/--rpm takes/);
    for (const bad of ['0', '-5', 'ten']) expect(() => parseUsd('--cost-per-month', bad, 100)).toThrow(/USD above 0/);
    expect(parseCount('--tokens-per-day', '2,000,000')).toBe(2_000_000);
    // An empty value (an unset variable) is a mistake, not "no limit".
    expect(() => parseCount('--rpm', '')).toThrow(/--rpm takes/);
    expect(() => parseUsd('--cost-per-month', ' ', 100)).toThrow(/USD above 0/);
    expect(() => parseUsd('--cost-per-month', '100.01', 100)).toThrow(/--cost-per-month takes .* up to 100 /);
  });

  it('replaces only the limits given; --clear starts from none; models any lifts the list', () => {
    const current = { rpm: 60, tokensPerDay: 1000, costPerMonthUsd: 5, models: ['opus'] };
    expect(limitsFromFlags(current, { rpm: '10' })).toEqual({ ...current, rpm: 10 });
    expect(limitsFromFlags(current, { clear: true, models: 'sonnet, haiku' })).toEqual({
      ...NONE,
      models: ['sonnet', 'haiku'],
    });
    expect(limitsFromFlags(current, { models: 'any' }).models).toBeNull();
    expect(describeLimits(NONE)).toBe('no limits');
    expect(describeLimits(current)).toBe('60 requests per minute; 1,000 tokens per day; $5.00 per month; models opus');
  });

  it('lists use against each limit, use alone where there is none', () => {
    const base = { id: 'i', prefix: 'ccf_AbCd', createdAt: 0, lastUsedAt: null, revokedAt: null, active: true };
    const text = renderClientKeys(
      [
        {
          ...base,
          name: 'capped',
          limits: { rpm: 60, tokensPerDay: 2_000_000, costPerMonthUsd: 50, models: ['sonnet', 'haiku'] },
          use: { requestsLastMinute: 3, tokensToday: 1_234_567, costThisMonthUsd: 4.1 },
        },
        {
          ...base,
          name: 'open',
          limits: NONE,
          use: { requestsLastMinute: null, tokensToday: 950, costThisMonthUsd: 0 },
        },
        {
          ...base,
          name: 'cheap',
          limits: NONE,
          use: { requestsLastMinute: null, tokensToday: 12, costThisMonthUsd: 0.0012 },
        },
      ],
      0,
    );
    const [, capped, open, cheap] = text.trimEnd().split('\n');
    // Below a cent as everywhere else: four decimals, not $0.00.
    expect(cheap).toMatch(/\bactive\s+-\s+12\s+\$0\.0012\s+any$/);
    expect(capped).toMatch(/\bactive\s+3\/60\s+1\.2M\/2M\s+\$4\.10\/\$50\.00\s+sonnet,haiku$/);
    expect(open).toMatch(/\bactive\s+-\s+950\s+\$0\.00\s+any$/);
  });
});

describe('keys limits on a key', () => {
  let home: string;
  beforeEach(async () => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-keys-'));
    expect((await runCommand(['keys', 'create', 'k1'], { home })).code).toBe(0);
    expect((await runCommand(['keys', 'limits', 'k1', '--models', 'haiku'], { home })).code).toBe(0);
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const limits = async () => (await runCommand(['keys', 'limits', 'k1'], { home })).stdout;

  it('refuses an empty --models list (an unset variable) and keeps the restriction', async () => {
    for (const empty of ['', ',', ' ', ' , ']) {
      const r = await runCommand(['keys', 'limits', 'k1', '--models', empty], { home });
      expectOneLineError(r, /--models .*any/, 2);
      expect(await limits()).toBe('k1: models haiku\n');
    }
  });

  it('lifts the restriction only when asked to with any, off or none', async () => {
    for (const word of ['any', 'off', 'NONE']) {
      await runCommand(['keys', 'limits', 'k1', '--models', 'haiku'], { home });
      const r = await runCommand(['keys', 'limits', 'k1', '--models', word], { home });
      expect(r.stdout).toBe('Client key "k1": no limits.\n');
    }
  });

  it('--json without a limit flag prints the key as JSON, as with one', async () => {
    const shown = await runCommand(['keys', 'limits', 'k1', '--json'], { home });
    expect(shown.code, shown.stderr).toBe(0);
    const changed = await runCommand(['keys', 'limits', 'k1', '--models', 'haiku', '--json'], { home });
    const view = JSON.parse(shown.stdout) as { name: string; limits: unknown };
    expect(view).toMatchObject({ name: 'k1', limits: { ...NONE, models: ['haiku'] } });
    expect(Object.keys(view).sort()).toEqual(Object.keys(JSON.parse(changed.stdout) as object).sort());
  });

  it('list fits a terminal by cutting the models, and keeps every value whole when piped', async () => {
    const models = 'claude-sonnet-4-5,claude-opus-4-1,claude-haiku-4-5,claude-sonnet-4-6';
    expect((await runCommand(['keys', 'limits', 'k1', '--models', models], { home })).code).toBe(0);
    const tty = await runCommand(['keys', 'list'], { home, columns: 100 });
    expect(tty.code, tty.stderr).toBe(0);
    const lines = tty.stdout.trimEnd().split('\n');
    for (const l of lines) expect(displayWidth(l)).toBeLessThanOrEqual(100);
    expect(lines[1]).toMatch(/^k1\s+ccf_\S+\s.* claude-sonnet-4-5,\S*…$/);
    const piped = await runCommand(['keys', 'list'], { home });
    expect(piped.stdout.split('\n')[1]).toMatch(new RegExp(`${models}$`));
  });

  it('states the accepted --rpm range when a value is above it', async () => {
    for (const big of ['2M', '10001']) {
      const r = await runCommand(['keys', 'limits', 'k1', '--rpm', big], { home });
      expectOneLineError(r, /--rpm takes a whole number from 1 to 10000\b/, 2);
    }
    expectOneLineError(
      await runCommand(['keys', 'limits', 'k1', '--cost-per-month', '2000000000'], { home }),
      /^ccflare: --cost-per-month takes an amount in USD above 0 up to 1,000,000,000 /,
      2,
    );
    const ok = await runCommand(['keys', 'limits', 'k1', '--rpm', '10k'], { home });
    expect(ok.stdout).toBe('Client key "k1": 10000 requests per minute; models haiku.\n');
  });
});

describe("workers' keys", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-keys-workers-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  it("a person cannot take a worker- name, and list leaves out workers' revoked keys unless --all", async () => {
    expectOneLineError(
      await runCommand(['keys', 'create', 'worker-zzz'], { home }),
      /names starting with "worker-" are kept for the workers' own keys/,
    );
    expect((await runCommand(['keys', 'create', 'laptop'], { home })).code).toBe(0);
    await withStore(home, async (service) => {
      await service.create('worker-run1', { internal: true });
      await service.revoke('worker-run1');
      await service.create('worker-run2', { internal: true });
    });
    const names = async (args: string[]) =>
      (JSON.parse((await runCommand(['keys', 'list', '--json', ...args], { home })).stdout) as { name: string }[])
        .map((k) => k.name)
        .sort();
    expect(await names([])).toEqual(['laptop', 'worker-run2']);
    expect(await names(['--all'])).toEqual(['laptop', 'worker-run1', 'worker-run2']);
  });
});
