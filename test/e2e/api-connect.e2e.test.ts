/**
 * `/api/connect/claude-code` (the dashboard's "Connect Claude Code") over real sockets: the plan,
 * the write with the other keys kept and a backup, the browser guard in front of it, the undo;
 * and the refusal of a gateway that listens beyond loopback with no admin key.
 */
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { Pool } from 'undici';
import { describe, expect, it } from 'vitest';
import { systemClock } from '../../src/clock.js';
import { loadConfig } from '../../src/config/config.js';
import { createSecretBox } from '../../src/crypto/secret-box.js';
import { EventBus } from '../../src/events.js';
import { createLogger } from '../../src/log/logger.js';
import { buildApp } from '../../src/server/build-app.js';
import { ConnectPlanSchema, ConnectResultSchema } from '../../src/shared/connect-schemas.js';
import { SqliteStore } from '../../src/storage/sqlite/sqlite-store.js';
import { InlineRecordWriter } from '../../src/storage/writer/inline-writer.js';
import { api } from '../support/api-request.js';
import { gatewayForFile } from '../support/gateway.js';

const ORIGINAL = `${JSON.stringify({ model: 'sonnet', env: { DISABLE_TELEMETRY: '1' }, hooks: {} }, null, 2)}\n`;

describe('Connect Claude Code through the management API', () => {
  const t = gatewayForFile({});
  const settings = () => t.gw.config.claudeSettingsFile;
  const backups = () =>
    readdirSync(dirname(settings())).filter((f) => f.startsWith('claude-settings.json.ccflare-backup-'));

  it('plans, refuses foreign pages, writes keeping the other keys with a backup, and undoes it', async () => {
    writeFileSync(settings(), ORIGINAL);
    const plan = await api(t.gw.url, 'GET', '/api/connect/claude-code');
    expect(plan.status, plan.text).toBe(200);
    const p = ConnectPlanSchema.parse(plan.json);
    expect(p).toMatchObject({ action: 'connect', settingsPath: settings(), url: t.gw.url, connected: false });
    expect(p.changes).toEqual([{ key: 'ANTHROPIC_BASE_URL', before: null, after: t.gw.url }]);

    const dry = await api(t.gw.url, 'POST', '/api/connect/claude-code', { dryRun: true });
    expect(ConnectResultSchema.parse(dry.json).applied).toBe(false);
    // The browser guard: another site's page, or a form body, changes nothing.
    const foreign = await api(t.gw.url, 'POST', '/api/connect/claude-code', {}, { origin: 'http://evil.example' });
    expect(foreign.status).toBe(403);
    const form = await api(t.gw.url, 'POST', '/api/connect/claude-code', 'dryRun=false', {
      'content-type': 'application/x-www-form-urlencoded',
    });
    expect(form.status).toBe(415);
    expect(readFileSync(settings(), 'utf8')).toBe(ORIGINAL);
    expect(backups()).toEqual([]);

    const done = await api(t.gw.url, 'POST', '/api/connect/claude-code', {}, { origin: t.gw.url });
    expect(done.status, done.text).toBe(200);
    const r = ConnectResultSchema.parse(done.json);
    expect(r.applied).toBe(true);
    expect(JSON.parse(readFileSync(settings(), 'utf8'))).toEqual({
      model: 'sonnet',
      env: { DISABLE_TELEMETRY: '1', ANTHROPIC_BASE_URL: t.gw.url },
      hooks: {},
    });
    expect(r.backupPath).not.toBeNull();
    expect(readFileSync(r.backupPath as string, 'utf8')).toBe(ORIGINAL);
    expect(ConnectPlanSchema.parse((await api(t.gw.url, 'GET', '/api/connect/claude-code')).json)).toMatchObject({
      connected: true,
      changes: [],
    });

    const undoPlan = await api(t.gw.url, 'DELETE', '/api/connect/claude-code?dryRun=true');
    expect(ConnectResultSchema.parse(undoPlan.json)).toMatchObject({
      applied: false,
      changes: [{ key: 'ANTHROPIC_BASE_URL', before: t.gw.url, after: null }],
    });
    const undo = await api(t.gw.url, 'DELETE', '/api/connect/claude-code');
    expect(undo.status, undo.text).toBe(200);
    expect(readFileSync(settings(), 'utf8')).toBe(ORIGINAL);
    const again = await api(t.gw.url, 'DELETE', '/api/connect/claude-code');
    expect(again.status).toBe(404);
    expect(again.json.error.message).toMatch(/nothing to undo/);
  });

  it('answers a malformed settings file with 409 and writes nothing', async () => {
    writeFileSync(settings(), '{"env": {');
    const r = await api(t.gw.url, 'POST', '/api/connect/claude-code', {});
    expect(r.status).toBe(409);
    expect(r.json.error.message).toMatch(/is not valid JSON .*nothing was changed/);
    expect(readFileSync(settings(), 'utf8')).toBe('{"env": {');
  });
});

describe('Connect Claude Code on a gateway beyond loopback', () => {
  it('is refused without an admin key (it would write files for whoever reaches the port)', async () => {
    const store = SqliteStore.open(':memory:');
    await store.migrate();
    const home = '/nonexistent/ccflare-connect-e2e';
    const config = loadConfig({
      env: { CCFLARE_HOME: home, CCFLARE_HOST: '0.0.0.0', CCFLARE_CLAUDE_SETTINGS_FILE: `${home}/settings.json` },
    });
    const upstream = new Pool('http://127.0.0.1:9');
    const app = buildApp({
      config,
      store,
      writer: new InlineRecordWriter(store),
      clock: systemClock,
      logger: createLogger({ level: 'silent', format: 'json' }),
      events: new EventBus(),
      upstream,
      box: createSecretBox(Buffer.alloc(32, 7)),
    });
    try {
      const r = await api(app.api, 'POST', '/api/connect/claude-code', {});
      expect(r.status).toBe(403);
      expect(r.json.error.message).toMatch(/without an admin key.*ccflare keys admin/);
      expect(existsSync(`${home}/settings.json`)).toBe(false);
    } finally {
      app.stop();
      await upstream.close();
      await store.close();
    }
  });
});
