/**
 * Log lines outlive a restart: the gateway also writes them to `<home>/logs/ccflare.log`, and
 * GET /api/logs/history (ccflare's path and shape) and `ccflare logs --lines N` read them back,
 * the latter from the file itself when no gateway runs.
 */
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterAll, describe, expect, it, vi } from 'vitest';
import { loadConfig } from '../../src/config/config.js';
import { type RunningServer, runServer } from '../../src/server/serve.js';
import { LogHistorySchema } from '../../src/shared/events-schemas.js';
import { api } from '../support/api-request.js';
import { runCommand } from '../support/cli-io.js';

const home = mkdtempSync(join(tmpdir(), 'ccflare-log-history-'));
const config = loadConfig({
  env: {
    CCFLARE_HOME: home,
    CCFLARE_PORT: '0',
    CCFLARE_LOG_FORMAT: 'json',
    CCFLARE_CLAUDE_AGENTS_DIR: join(home, 'claude-agents'),
  },
});
const quiet = () =>
  new Writable({
    write(_c, _e, cb) {
      cb();
    },
  });
const start = () => runServer(config, { signals: false, logDestination: quiet() });

let second: RunningServer | null = null;
afterAll(async () => {
  await second?.close();
  rmSync(home, { recursive: true, force: true });
});

describe('log history across a restart', () => {
  it('serves the lines of the run before the restart, in ccflare shape, and `ccflare logs --lines` prints them with or without a gateway', async () => {
    const first = await start();
    // Logs "account usage counters reset" at info.
    expect((await api(first.url, 'POST', '/api/stats/reset')).status).toBe(200);
    await first.close();
    const file = join(home, 'logs', 'ccflare.log');
    expect(statSync(file).mode & 0o777).toBe(0o600);

    second = await start();
    // The file is written a turn behind the logger (log-file.ts): read once the second start's
    // last line, its no-accounts warning, is there, so later reads see the same newest lines.
    const secondUrl = second.url;
    const lines = await vi.waitFor(async () => {
      const res = await api(secondUrl, 'GET', '/api/logs/history');
      expect(res.status).toBe(200);
      const read = LogHistorySchema.parse(res.json);
      expect(read.at(-1)?.msg).toMatch(/^no accounts configured/);
      return read;
    });
    const msgs = lines.map((l) => l.msg);
    const at = (m: string) => msgs.indexOf(m);
    // Newest last: the first run's lines, its stop, then the second start.
    expect(at('account usage counters reset')).toBeGreaterThan(at('ccflare listening'));
    expect(msgs.findIndex((m) => m.startsWith('ccflare stopped'))).toBeGreaterThan(at('account usage counters reset'));
    expect(msgs.lastIndexOf('ccflare listening')).toBeGreaterThan(at('account usage counters reset'));
    // ccflare's fields ({ts, level, msg}, level in its names) with this gateway's own beside them.
    const reset = lines[at('account usage counters reset')];
    expect(reset).toMatchObject({ level: 'INFO', severity: 'info', fields: { accountsReset: 0 } });
    expect(typeof reset?.ts).toBe('number');
    expect(lines.find((l) => l.msg.startsWith('no accounts configured'))).toMatchObject({
      level: 'WARN',
      severity: 'warn',
    });

    const two = await api(second.url, 'GET', '/api/logs/history?limit=2');
    expect(two.json).toEqual(lines.slice(-2));
    const bad = await api(second.url, 'GET', '/api/logs/history?limit=0');
    expect(bad.status).toBe(400);
    expect(bad.text).toContain('limit');

    // From the running gateway: the last 3 lines of the file.
    const port = String(new URL(second.url).port);
    const viaApi = await runCommand(['logs', '--lines', '3', '--json'], { home, env: { CCFLARE_PORT: port } });
    expect(viaApi.code, viaApi.stderr).toBe(0);
    const printed = viaApi.stdout
      .trimEnd()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(printed).toEqual(
      lines.slice(-3).map((l) => ({ level: l.severity, time: l.ts, msg: l.msg, fields: l.fields })),
    );

    await second.close();
    second = null;
    // No gateway: the file itself, both runs.
    const direct = await runCommand(['logs', '--lines', '1000'], { home });
    expect(direct.code, direct.stderr).toBe(0);
    expect(direct.stdout).toMatch(/ INFO {2}account usage counters reset accountsReset=0/);
    expect(direct.stdout.match(/ INFO {2}ccflare listening/g)).toHaveLength(2);
    expect(direct.stdout.trimEnd().split('\n').at(-1)).toMatch(/ INFO {2}ccflare stopped/);

    const wrong = await runCommand(['logs', '--lines', 'lots'], { home });
    expect(wrong.code).toBe(2);
    expect(wrong.stderr).toContain('expected a whole number of lines from 1 to 100000');
  });

  it('is no error when the data directory has no log file yet', async () => {
    const empty = mkdtempSync(join(tmpdir(), 'ccflare-log-history-empty-'));
    try {
      const r = await runCommand(['logs', '--lines', '10'], { home: empty });
      expect(r.code, r.stderr).toBe(0);
      expect(r.stdout).toBe('');
      expect(r.stderr).toBe(`ccflare: ${join(empty, 'logs', 'ccflare.log')} holds no log lines\n`);
    } finally {
      rmSync(empty, { recursive: true, force: true });
    }
  });
});
