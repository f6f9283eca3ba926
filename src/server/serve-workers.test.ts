/**
 * Workers across gateway restarts, through the real server (runServer) with a fake engine: a
 * stop pauses the running worker instead of losing it, a gateway without the Agent SDK still
 * starts and serves everything else (the workers API says how to install it), and once the SDK
 * is back the paused worker resumes its session.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { api } from '../../test/support/api-request.js';
import { FakeEngine } from '../../test/support/fake-worker-engine.js';
import { loadConfig } from '../config/config.js';
import { type RunningServer, runServer } from './serve.js';

describe('workers and gateway restarts', () => {
  let home: string;
  let logs: string;
  const servers: RunningServer[] = [];

  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-serve-workers-'));
    logs = '';
  });
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close(1000);
    rmSync(home, { recursive: true, force: true });
  });

  async function start(engine: FakeEngine): Promise<RunningServer> {
    const config = loadConfig({
      env: {
        CCFLARE_HOME: home,
        CCFLARE_PORT: '0',
        CCFLARE_UPSTREAM_URL: 'http://127.0.0.1:9',
        CCFLARE_LOG_FORMAT: 'json',
        CCFLARE_CLAUDE_AGENTS_DIR: join(home, 'claude-agents'),
        CCFLARE_CLAUDE_SETTINGS_FILE: join(home, 'claude-settings.json'),
      },
    });
    const sink = new Writable({
      write(chunk, _enc, cb) {
        logs += chunk.toString();
        cb();
      },
    });
    const s = await runServer(config, { signals: false, logDestination: sink, workerEngine: engine });
    servers.push(s);
    return s;
  }

  async function stop(s: RunningServer): Promise<void> {
    servers.splice(servers.indexOf(s), 1);
    await s.close(1000);
  }

  const state = async (s: RunningServer, name: string) => (await api(s.url, 'GET', `/api/workers/${name}`)).json;

  it('pauses a running worker at stop, starts without the SDK, and resumes the session once it is back', async () => {
    const first = new FakeEngine();
    let s = await start(first);
    const created = await api(s.url, 'POST', '/api/workers', { name: 'long', prompt: 'A long task', cwd: home });
    expect(created.status, created.text).toBe(201);
    await vi.waitFor(async () => expect((await state(s, 'long')).state).toBe('running'));
    await stop(s);
    expect(first.runOf('long').stopAsked).toBe('gateway stopping');

    const missing = new FakeEngine();
    missing.available = false;
    s = await start(missing);
    expect((await api(s.url, 'GET', '/health')).json.status).toBe('ok');
    expect((await api(s.url, 'GET', '/api/accounts')).status).toBe(200);
    const refused = await api(s.url, 'GET', '/api/workers');
    expect(refused.status).toBe(503);
    expect(refused.json.error.message).toContain('npm install @anthropic-ai/claude-agent-sdk');
    expect(logs).toContain('workers not started');
    await stop(s);

    const back = new FakeEngine();
    s = await start(back);
    expect(await state(s, 'long')).toMatchObject({
      state: 'paused',
      stateReason: 'gateway stopped while it ran; resume to continue',
      sessionId: 'sess-long',
    });
    expect((await api(s.url, 'POST', '/api/workers/long/resume')).status).toBe(200);
    await vi.waitFor(async () => expect((await state(s, 'long')).state).toBe('running'));
    expect(back.runOf('long').spec.resumeSessionId).toBe('sess-long');
  });
});
