import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { captureLogger } from '../../test/support/log-lines.js';
import { systemClock } from '../clock.js';
import { GatewayError } from '../errors.js';
import { SqliteStore } from '../storage/sqlite/sqlite-store.js';
import { CONFIG_FILE, configSource, loadConfig } from './config.js';
import { LiveSettings } from './live-settings.js';

function expectError(p: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  return p.then(
    () => {
      throw new Error('expected a failure');
    },
    (e: unknown) => {
      expect(e).toBeInstanceOf(GatewayError);
      expect((e as GatewayError).code).toBe(code);
      expect((e as GatewayError).message).toMatch(message);
    },
  );
}

describe('LiveSettings', () => {
  let home: string;
  let dbPath: string;
  const stores: SqliteStore[] = [];
  const live: LiveSettings[] = [];
  const { logger, lines } = captureLogger();

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-live-'));
    dbPath = join(home, 'ccflare.db');
    lines.length = 0;
  });
  afterEach(async () => {
    for (const l of live.splice(0)) l.stop();
    for (const s of stores.splice(0)) await s.close();
    rmSync(home, { recursive: true, force: true });
  });

  function make(env: Record<string, string> = {}, overrides = {}, pollMs = 1000) {
    const config = loadConfig({ env: { CCFLARE_HOME: home, ...env }, overrides });
    const store = SqliteStore.open(dbPath);
    stores.push(store);
    const l = new LiveSettings({ config, store, logger, clock: systemClock, pollMs });
    live.push(l);
    return { l, store, config };
  }

  it('records where loadConfig found each value', () => {
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify({ payloadMaxBytes: 1000 }));
    const config = loadConfig({
      env: { CCFLARE_HOME: home, CCFLARE_SESSION_MS: '600000' },
      overrides: { port: 9 },
    });
    expect(configSource(config, 'sessionMs')).toBe('environment');
    expect(configSource(config, 'payloadMaxBytes')).toBe('file');
    expect(configSource(config, 'port')).toBe('flag');
    expect(configSource(config, 'strategy')).toBe('default');
    expect(configSource({ ...config }, 'strategy')).toBeUndefined();
  });

  it('resolves flags > environment > database > file > defaults', async () => {
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify({ payloadMaxBytes: 1000, requestRetentionDays: 30 }));
    const { l, store } = make({ CCFLARE_SESSION_MS: '600000' }, { payloadRetentionDays: 3 });
    await store.settings.put({ sessionMs: 900_000, payloadMaxBytes: 2000, payloadCapture: false }, 1);
    await l.start();
    expect(l.current()).toEqual({
      strategy: 'session',
      sessionMs: 600_000,
      quotaThreshold5h: 0,
      quotaThreshold7d: 0,
      quotaThresholds: '',
      stickyWaitMs: 120_000,
      strategyAffinity: true,
      hybridWeights: '2,5,1,0.1',
      hybridBucket: '50,6',
      requestRetentionDays: 30,
      payloadRetentionDays: 3,
      payloadCapture: false,
      payloadMaxBytes: 2000,
      defaultAgentModel: '',
      conversationAnalysis: false,
      conversationAnalysisModel: 'claude-sonnet-4-6',
    });
    const d = l.describe();
    expect(d.sessionMs).toMatchObject({ source: 'environment', pinned: true, env: 'CCFLARE_SESSION_MS' });
    expect(d.payloadRetentionDays).toMatchObject({ source: 'flag', pinned: true });
    expect(d.payloadMaxBytes).toMatchObject({ value: 2000, source: 'database', pinned: false });
    expect(d.payloadCapture).toMatchObject({ value: false, source: 'database' });
    expect(d.requestRetentionDays).toMatchObject({ value: 30, source: 'file' });
    expect(d.strategy).toMatchObject({ value: 'session', source: 'default' });
  });

  it('applies an update at once, and null goes back to the file or default', async () => {
    const { l, store } = make();
    await l.start();
    const before = l.current();
    const d = await l.update({ sessionMs: 60_000, payloadCapture: 'off' });
    expect(d.sessionMs).toMatchObject({ value: 60_000, source: 'database' });
    expect(l.current()).toMatchObject({ sessionMs: 60_000, payloadCapture: false });
    expect(before.sessionMs).toBe(5 * 3_600_000);
    expect(await store.settings.get()).toEqual({ sessionMs: 60_000, payloadCapture: false });
    await l.update({ sessionMs: null });
    expect(l.current().sessionMs).toBe(5 * 3_600_000);
    expect(l.describe().sessionMs.source).toBe('default');
    expect(lines.some((x) => x.includes('runtime settings changed'))).toBe(true);
  });

  it('refuses bad values by name, pinned settings with 409, and writes nothing then', async () => {
    const { l, store } = make({ CCFLARE_PAYLOAD_CAPTURE: 'true' });
    await l.start();
    await expectError(
      l.update({ sessionMs: 5 }),
      'bad_request',
      /^Invalid sessionMs: 5; expected a duration such as 90m, 5h.*, from 1m to 7d$/,
    );
    await expectError(
      l.update({ strategy: 'random' }),
      'bad_request',
      /Invalid strategy: "random"; expected one of session/,
    );
    await expectError(l.update({ port: 1 }), 'bad_request', /Unknown runtime setting "port"/);
    await expectError(
      l.update({ sessionMs: 60_000, payloadCapture: false }),
      'conflict',
      /payloadCapture is pinned by the environment variable CCFLARE_PAYLOAD_CAPTURE/,
    );
    expect(await store.settings.get()).toEqual({});
    expect(l.current().sessionMs).toBe(5 * 3_600_000);
  });

  it('follows changes made by another process through settings_rev within one poll', async () => {
    // Date too: revision watches check on the multiples of their interval on the clock.
    vi.useFakeTimers({ toFake: ['setTimeout', 'clearTimeout', 'Date'] });
    vi.setSystemTime(Date.UTC(2026, 11, 5, 12));
    try {
      const { l } = make({}, {}, 1000);
      await l.start();
      const other = SqliteStore.open(dbPath);
      stores.push(other);
      await other.settings.put({ payloadMaxBytes: 4096 }, Date.now());
      await vi.advanceTimersByTimeAsync(999);
      expect(l.current().payloadMaxBytes).not.toBe(4096);
      await vi.advanceTimersByTimeAsync(1);
      expect(l.current().payloadMaxBytes).toBe(4096);
      expect(l.describe().payloadMaxBytes.source).toBe('database');
    } finally {
      vi.useRealTimers();
    }
  });

  it('ignores an invalid stored value with one warning', async () => {
    const { l, store } = make();
    await store.settings.put({ sessionMs: 'soon', payloadMaxBytes: 10 }, 1);
    await l.start();
    // Another change reads the stored values again; the bad one is not reported twice.
    await store.settings.put({ payloadMaxBytes: 20 }, 2);
    await l.refresh();
    expect(l.current()).toMatchObject({ sessionMs: 5 * 3_600_000, payloadMaxBytes: 20 });
    expect(l.describe().sessionMs.source).toBe('default');
    expect(lines.filter((x) => x.includes('ignoring an invalid stored setting'))).toHaveLength(1);
  });

  it('takes every strategy setting live, checking the text ones as at start, and describes what they accept', async () => {
    const { l, store } = make();
    await store.accounts.insert({ name: 'work', kind: 'api_key', apiKeyEnc: 'x' }, 1);
    await l.start();
    const d = await l.update({
      quotaThreshold5h: 80,
      quotaThresholds: '{"perAccount":{"work":{"7d":70}}}',
      stickyWaitMs: '30s',
      strategyAffinity: 'off',
      hybridWeights: '1,1,1,0',
      hybridBucket: '10,2',
    });
    expect(l.current()).toMatchObject({
      quotaThreshold5h: 80,
      quotaThresholds: '{"perAccount":{"work":{"7d":70}}}',
      stickyWaitMs: 30_000,
      strategyAffinity: false,
      hybridWeights: '1,1,1,0',
      hybridBucket: '10,2',
    });
    expect(d.quotaThresholds.accepts).toEqual({ kind: 'json', example: expect.stringContaining('perAccount') });
    expect(d.hybridWeights.accepts).toEqual({ kind: 'text', example: '2,5,1,0.1' });
    expect(d.stickyWaitMs.accepts).toEqual({ kind: 'duration', min: 0, max: 3_600_000 });
    // Clearing the per-family and per-account thresholds is an empty document.
    await l.update({ quotaThresholds: '' });
    expect(l.current().quotaThresholds).toBe('');
    expect(l.describe().quotaThresholds.source).toBe('database');
    const stored = await store.settings.get();
    await expectError(
      l.update({ quotaThresholds: '{"perAccount":{"work":{"5h":"ninety"}}}' }),
      'bad_request',
      /^Invalid quotaThresholds: perAccount\.work\.5h: .*percents 0-1000$/,
    );
    await expectError(
      l.update({ quotaThresholds: '[1]' }),
      'bad_request',
      /^Invalid quotaThresholds: "\[1\]"; expected a JSON object/,
    );
    await expectError(
      l.update({ hybridWeights: '1,2', hybridBucket: '10,2' }),
      'bad_request',
      /^Invalid hybridWeights: must be four non-negative numbers/,
    );
    await expectError(
      l.update({ hybridBucket: '0,5' }),
      'bad_request',
      /^Invalid hybridBucket: must be capacity,refill per minute/,
    );
    expect(await store.settings.get()).toEqual(stored);
  });

  it('refuses per-account quota thresholds for an account that does not exist, naming the accounts', async () => {
    const { l, store } = make();
    await store.accounts.insert({ name: 'work', kind: 'api_key', apiKeyEnc: 'x' }, 1);
    await store.accounts.insert({ name: 'home', kind: 'api_key', apiKeyEnc: 'x' }, 1);
    await l.start();
    await expectError(
      l.update({ quotaThresholds: '{"perAccount":{"work":{"5h":90},"nosuch":{"5h":50}}}' }),
      'bad_request',
      /^Invalid quotaThresholds: perAccount names no account "nosuch"; the accounts are ("work", "home"|"home", "work")$/,
    );
    expect(await store.settings.get()).toEqual({});
    // An entry already stored for an account since gone does not block editing the others.
    await store.settings.put({ quotaThresholds: '{"perAccount":{"gone":{"5h":50}}}' }, 2);
    await l.refresh();
    await l.update({ quotaThresholds: '{"perAccount":{"gone":{"5h":50},"work":{"5h":90}}}' });
    expect(l.current().quotaThresholds).toBe('{"perAccount":{"gone":{"5h":50},"work":{"5h":90}}}');
  });

  it('config set refuses per-account quota thresholds for an unknown account', async () => {
    const env = { CCFLARE_PORT: '0' };
    expect((await runCommand(['accounts', 'add-key', 'work', '--key', 'sk-ant-x'], { home, env })).code).toBe(0);
    const r = await runCommand(['config', 'set', 'quotaThresholds', '{"perAccount":{"nosuch":{"5h":50}}}'], {
      home,
      env,
    });
    expectOneLineError(r, /Invalid quotaThresholds: perAccount names no account "nosuch"; the accounts are "work"$/);
  });

  it('reads a JSON setting written as an object in the config file', () => {
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify({ quotaThresholds: { perFamily: { opus: { '7d': 50 } } } }));
    const { l } = make();
    expect(l.current().quotaThresholds).toBe('{"perFamily":{"opus":{"7d":50}}}');
    expect(l.describe().quotaThresholds.source).toBe('file');
  });
});
