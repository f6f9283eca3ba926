/**
 * `ccflare config get|set|unset` (another process, same database) against a running gateway:
 * the change reaches live traffic and GET /api/config within two seconds, without a restart.
 */
import { execFile } from 'node:child_process';
import { join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { request } from 'undici';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ConfigSchema } from '../../src/shared/config-schemas.js';
import { api } from '../support/api-request.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

const run = promisify(execFile);
const BIN = join(resolve(import.meta.dirname, '../..'), 'bin', 'ccflare');

let up: FakeUpstream;
let gw: TestGateway;

async function cli(
  args: string[],
  env: Record<string, string> = {},
): Promise<{ code: number; out: string; err: string }> {
  const base = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('CCFLARE_')));
  try {
    const { stdout, stderr } = await run(process.execPath, [BIN, ...args], {
      env: { ...base, CCFLARE_HOME: gw.home, ...env },
    });
    return { code: 0, out: stdout, err: stderr };
  } catch (e) {
    const x = e as { code: number; stdout: string; stderr: string };
    return { code: x.code, out: x.stdout, err: x.stderr };
  }
}

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
  it('set reaches a running gateway within two seconds; get shows it; unset reverts it', async () => {
    const set = await cli(['config', 'set', 'payloadCapture', 'false']);
    expect(set.code, set.err).toBe(0);
    expect(set.out).toContain('Set payloadCapture = false');
    const t0 = Date.now();
    let c = ConfigSchema.parse((await api(gw.url, 'GET', '/api/config')).json);
    while (c.payloadCapture.value !== false && Date.now() - t0 < 3000) {
      await new Promise((r) => setTimeout(r, 50));
      c = ConfigSchema.parse((await api(gw.url, 'GET', '/api/config')).json);
    }
    expect(Date.now() - t0).toBeLessThanOrEqual(2000);
    expect(c.payloadCapture).toMatchObject({ value: false, source: 'database' });

    const res = await request(`${gw.url}/v1/messages`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': 'c', 'anthropic-version': '2023-06-01' },
      body: JSON.stringify({ model: 'claude-sonnet-4-5', max_tokens: 5, messages: [{ role: 'user', content: 'x' }] }),
    });
    await res.body.text();
    const [rec] = await gw.records(1);
    expect((await gw.store.requests.get(rec?.id as string))?.payload).toBeNull();

    const get = await cli(['config', 'get', '--json']);
    expect(ConfigSchema.parse(JSON.parse(get.out)).payloadCapture).toMatchObject({ value: false, source: 'database' });
    expect((await cli(['config', 'get', 'payloadCapture'])).out).toBe('false\n');

    expect((await cli(['config', 'unset', 'payloadCapture'])).out).toContain('now true (default)');
    expect((await cli(['config', 'get'])).out).toMatch(/^payloadCapture\s+true\s+\(default\)$/m);
  });

  it('refuses bad values, unknown keys and pinned settings with one line', async () => {
    const bad = await cli(['config', 'set', 'sessionMs', '5']);
    expect(bad.code).toBe(1);
    expect(bad.err).toMatch(/^ccflare: Invalid sessionMs: "5"; expected an integer from 60000/);
    const unknown = await cli(['config', 'set', 'port', '1']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/Unknown setting "port"/);
    const pinned = await cli(['config', 'set', 'sessionMs', '600000'], { CCFLARE_SESSION_MS: '900000' });
    expect(pinned.code).toBe(1);
    expect(pinned.err).toMatch(/pinned by the environment variable CCFLARE_SESSION_MS/);
    expect(await gw.store.settings.get()).toEqual({});
  });
});
