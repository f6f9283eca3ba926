/**
 * One gateway per SQLite database: a second `ccflare serve` on a data directory whose gateway
 * runs refuses, naming it; the running gateway's gateway.json goes away when it stops.
 */
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCommand } from '../support/cli-io.js';
import { type FakeUpstream, startFakeUpstream } from '../support/fake-upstream.js';
import { startGateway, type TestGateway } from '../support/gateway.js';

let up: FakeUpstream;
let gw: TestGateway;

describe('a second gateway on the same database', () => {
  beforeAll(async () => {
    up = await startFakeUpstream();
    gw = await startGateway({ upstreamUrl: up.url });
  });
  afterAll(async () => {
    await gw?.close();
    await up?.close();
  });

  it('is refused with the running one’s url and pid, and the first keeps serving', async () => {
    const second = await runCommand(['serve', '--port', '0'], { home: gw.home });
    await second.server?.close();
    expect(second.code).toBe(1);
    expect(second.server).toBeNull();
    expect(second.stderr).toContain(
      `ccflare: Another ccflare gateway (${gw.url}, pid ${process.pid}) is using ${join(gw.home, 'ccflare.db')}`,
    );
    expect(second.stderr.trim().split('\n')).toHaveLength(1);
    expect((await fetch(`${gw.url}/health`)).status).toBe(200);
  });

  it('a port another program holds is refused in words, saying how to pick another, and leaves nothing behind', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-port-taken-'));
    try {
      const port = new URL(gw.url).port;
      const r = await runCommand(['serve', '--port', port], { home });
      await r.server?.close();
      expect(r.code).toBe(1);
      expect(r.stderr).toBe(
        `ccflare: 127.0.0.1:${port} is already in use by another program: pick another port with --port or CCFLARE_PORT (0 picks a free one)\n`,
      );
      expect(existsSync(join(home, 'gateway.json'))).toBe(false);
      expect(existsSync(join(home, 'ccflare.db.lock'))).toBe(false);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });

  it('removes gateway.json and the lock when the gateway stops', async () => {
    const g = await startGateway({ upstreamUrl: up.url });
    const runtime = join(g.home, 'gateway.json');
    expect(existsSync(runtime)).toBe(true);
    await g.server.close(1000);
    expect(existsSync(runtime)).toBe(false);
    expect(existsSync(join(g.home, 'ccflare.db.lock'))).toBe(false);
    await g.close();
  });
});
