/**
 * `ccflare config get|set|unset` (run in process, test/support/cli-io.ts, on the same home)
 * against a running gateway: through its API, so the change reaches live traffic and GET
 * /api/config without a restart, and what the gateway pinned (not the CLI's shell) is refused.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/shared/config-schemas.js';
import { api } from '../support/api-request.js';
import { type CliRun, runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';
import { timeUntil } from '../support/wait.js';

let up: FakeUpstream;
let gw: TestGateway;

const cli = (args: string[], env: Record<string, string> = {}): Promise<CliRun> =>
  runCommand(args, { home: gw.home, env });

beforeAll(async () => {
  up = await startFakeUpstream();
  // The gateway's real one-second settings poll.
  gw = await startGateway({
    upstreamUrl: up.url,
    accountPollMs: 1000,
    setup: async (g) => {
      await g.addApiKey('a', 'sk-ant-api03-config-cli-a-000000000');
    },
  });
});
afterAll(async () => {
  await gw?.close();
  await up?.close();
});

describe('ccflare config', () => {
  it('set reaches a running gateway without a restart; get shows it; unset reverts it', async () => {
    const set = await cli(['config', 'set', 'payloadCapture', 'false']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toContain('Set payloadCapture = false');
    await timeUntil(
      async () => {
        const c = ConfigSchema.parse((await api(gw.url, 'GET', '/api/config')).json);
        expect(c.payloadCapture).toMatchObject({ value: false, source: 'database' });
      },
      10_000,
      50,
    );

    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'c', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    await res.body.text();
    const [rec] = await gw.records(1);
    expect((await gw.store.requests.get(rec?.id as string))?.payload).toBeNull();

    const get = await cli(['config', 'get', '--json']);
    expect(ConfigSchema.parse(JSON.parse(get.stdout)).payloadCapture).toMatchObject({
      value: false,
      source: 'database',
    });
    expect((await cli(['config', 'get', 'payloadCapture'])).stdout).toBe('false\n');

    expect((await cli(['config', 'unset', 'payloadCapture'])).stdout).toContain('now true (default)');
    const all = await cli(['config', 'get']);
    expect(all.stdout).toMatch(/^payloadCapture\s+true\s+\(default\)$/m);
    // A duration is read with its units in the table, raw for scripts.
    expect(all.stdout).toMatch(/^sessionMs\s+18000000 \(5h\)\s+\(default\)$/m);
    expect((await cli(['config', 'get', 'sessionMs'])).stdout).toBe('18000000\n');
    // `list`, as every other command group has it.
    expect((await cli(['config', 'list'])).stdout).toBe(all.stdout);
  });

  it('takes durations with units, as the TUI and the environment do', async () => {
    const set = await cli(['config', 'set', 'sessionMs', '1h']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe(
      `Set sessionMs = 3600000 (1h); the gateway at ${gw.url} applies it now; others on its database within a second.\n`,
    );
    expect(await gw.store.settings.get()).toEqual({ sessionMs: 3_600_000 });
    // What the gateway runs with: the CLI's own environment does not change it.
    const env = await cli(['config', 'get', 'sessionMs', '--json'], { CCFLARE_SESSION_MS: '90m' });
    expect(JSON.parse(env.stdout)).toMatchObject({ value: 3_600_000, source: 'database' });
    // Spelt out and unquoted, as the shell splits it.
    const words = await cli(['config', 'set', 'sessionMs', '2', 'hours']);
    expect(words.code, words.stderr).toBe(0);
    expect(words.stdout).toMatch(/^Set sessionMs = 7200000 \(2h\);/);
    expect((await cli(['config', 'unset', 'sessionMs'])).code).toBe(0);
  });

  it('refuses bad values, unknown keys and pinned settings with one line', async () => {
    // A value refused as typed is a usage error, as a bad flag value is.
    const bad = await cli(['config', 'set', 'sessionMs', '5']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toMatch(
      /^ccflare: Invalid sessionMs: "5"; expected a duration such as 90m, 5h.*, from 1m to 7d/,
    );
    const unknown = await cli(['config', 'set', 'port', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(
      /^ccflare: port is read when the gateway starts, not a runtime setting: set CCFLARE_PORT in the gateway's environment, "port" in config\.json in its data directory or `ccflare serve --port`, and restart it; runtime settings: strategy, sessionMs, /,
    );
    // Pinned in the CLI's shell only: the running gateway is not, so the change goes through.
    const shellOnly = await cli(['config', 'set', 'strategyAffinity', 'false'], { CCFLARE_STRATEGY_AFFINITY: 'true' });
    expect(shellOnly.code, shellOnly.stderr).toBe(0);
    expect((await cli(['config', 'unset', 'strategyAffinity'])).code).toBe(0);
    expect(await gw.store.settings.get()).toEqual({});
  });

  it("refuses what the running gateway's environment pins, and shows it as pinned", async () => {
    const pinnedUp = await startFakeUpstream();
    const pinnedGw = await startGateway({ upstreamUrl: pinnedUp.url, env: { CCFLARE_STRATEGY: 'round-robin' } });
    try {
      const set = await runCommand(['config', 'set', 'strategy', 'sticky'], { home: pinnedGw.home });
      expect(set.code).toBe(1);
      expect(set.stderr).toMatch(/strategy is pinned by the environment variable CCFLARE_STRATEGY/);
      expect(await pinnedGw.store.settings.get()).toEqual({});
      const get = await runCommand(['config', 'get', 'strategy', '--json'], { home: pinnedGw.home });
      expect(JSON.parse(get.stdout)).toMatchObject({ value: 'round-robin', source: 'environment', pinned: true });
    } finally {
      await pinnedGw.close();
      await pinnedUp.close();
    }
  });

  it('without a running gateway, reads and refuses by the local environment', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-config-offline-'));
    try {
      const pinned = await runCommand(['config', 'set', 'sessionMs', '600000'], {
        home,
        env: { CCFLARE_SESSION_MS: '900000', CCFLARE_PORT: '0' },
      });
      expect(pinned.code).toBe(1);
      expect(pinned.stderr).toMatch(/pinned by the environment variable CCFLARE_SESSION_MS/);
      const set = await runCommand(['config', 'set', 'sessionMs', '2h'], { home, env: { CCFLARE_PORT: '0' } });
      expect(set.stdout).toBe('Set sessionMs = 7200000 (2h); running gateways apply it within a second.\n');
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
