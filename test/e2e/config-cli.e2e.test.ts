/**
 * `ccflare config get|set|unset` (run in process, test/support/cli-io.ts, on the same database)
 * against a running gateway: the change reaches live traffic and GET /api/config within two
 * seconds, without a restart.
 */
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
    // `list`, as every other command group has it.
    expect((await cli(['config', 'list'])).stdout).toBe(all.stdout);
  });

  it('takes durations with units, as the TUI and the environment do', async () => {
    const set = await cli(['config', 'set', 'sessionMs', '1h']);
    expect(set.code, set.stderr).toBe(0);
    expect(set.stdout).toBe('Set sessionMs = 3600000 (1h); running gateways apply it within a second.\n');
    expect(await gw.store.settings.get()).toEqual({ sessionMs: 3_600_000 });
    const env = await cli(['config', 'get', 'sessionMs', '--json'], { CCFLARE_SESSION_MS: '90m' });
    expect(JSON.parse(env.stdout)).toMatchObject({ value: 5_400_000, source: 'environment' });
    expect((await cli(['config', 'unset', 'sessionMs'])).code).toBe(0);
  });

  it('refuses bad values, unknown keys and pinned settings with one line', async () => {
    const bad = await cli(['config', 'set', 'sessionMs', '5']);
    expect(bad.code).toBe(1);
    expect(bad.stderr).toMatch(
      /^ccflare: Invalid sessionMs: "5"; expected a duration such as 90m, 5h.*, from 1m to 7d/,
    );
    const unknown = await cli(['config', 'set', 'port', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/Unknown setting "port"/);
    const pinned = await cli(['config', 'set', 'sessionMs', '600000'], { CCFLARE_SESSION_MS: '900000' });
    expect(pinned.code).toBe(1);
    expect(pinned.stderr).toMatch(/pinned by the environment variable CCFLARE_SESSION_MS/);
    expect(await gw.store.settings.get()).toEqual({});
  });
});
