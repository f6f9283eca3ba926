/**
 * ccflare's environment variables and ccflare.json keys, read as aliases of this gateway's
 * settings (config.ts, settings.ts `ccflare`).
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { GatewayError } from '../errors.js';
import { CONFIG_FILE, configSource, configWarnings, loadConfig } from './config.js';

describe("ccflare's setting names", () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-names-'));
  });
  afterEach(() => rmSync(home, { recursive: true, force: true }));

  const load = (env: NodeJS.ProcessEnv = {}) => loadConfig({ env: { CCFLARE_HOME: home, ...env } });

  it('reads each of ccflare’s environment variables into the matching setting', () => {
    const c = load({
      PORT: '9123',
      LB_STRATEGY: 'session',
      LOG_LEVEL: 'DEBUG',
      LOG_FORMAT: 'json',
      CLIENT_ID: 'my-oauth-client',
      SESSION_DURATION_MS: '3600000',
      DEFAULT_AGENT_MODEL: 'sonnet-4',
      DATA_RETENTION_DAYS: '3',
      REQUEST_RETENTION_DAYS: '30',
      ccflare_DB_PATH: join(home, 'elsewhere.db'),
    });
    expect(c.port).toBe(9123);
    expect(c.strategy).toBe('session');
    expect(c.logLevel).toBe('debug');
    expect(c.logFormat).toBe('json');
    expect(c.oauthClientId).toBe('my-oauth-client');
    expect(c.sessionMs).toBe(3_600_000);
    expect(c.defaultAgentModel).toBe('claude-sonnet-4-20250514');
    expect(c.payloadRetentionDays).toBe(3);
    expect(c.requestRetentionDays).toBe(30);
    expect(c.databaseUrl).toBe(`sqlite:${join(home, 'elsewhere.db')}`);
    for (const k of ['port', 'logLevel', 'sessionMs', 'payloadRetentionDays', 'databaseUrl'] as const) {
      expect(configSource(c, k), k).toBe('environment');
    }
    expect(configWarnings(c)).toEqual([]);
  });

  it('lets the CCFLARE_ name win and says so when the two differ', () => {
    const c = load({ PORT: '9123', CCFLARE_PORT: '9124', LOG_LEVEL: 'WARN', CCFLARE_LOG_LEVEL: 'warn' });
    expect(c.port).toBe(9124);
    expect(c.logLevel).toBe('warn');
    expect(configWarnings(c)).toEqual(['PORT is ignored: CCFLARE_PORT is also set and wins']);
  });

  it('accepts the retry settings it has no counterpart for, with a warning naming what to use', () => {
    const c = load({ RETRY_ATTEMPTS: '3', RETRY_DELAY_MS: '1000', RETRY_BACKOFF: '2' });
    const w = configWarnings(c);
    expect(w).toHaveLength(3);
    expect(w[0]).toMatch(/^RETRY_ATTEMPTS is ccflare's and is ignored: .*CCFLARE_MAX_ATTEMPTS/);
    expect(w[1]).toMatch(/^RETRY_DELAY_MS is ccflare's and is ignored: .*CCFLARE_REQUEST_DEADLINE_MS/);
    expect(w[2]).toMatch(/^RETRY_BACKOFF is ccflare's and is ignored/);
    expect(c.maxAttempts).toBe(6);
  });

  it('names the ccflare variable in the error for a bad value', () => {
    try {
      load({ PORT: 'eighty' });
      throw new Error('expected an error');
    } catch (e) {
      expect(e).toBeInstanceOf(GatewayError);
      expect((e as Error).message).toBe(
        `Invalid CCFLARE_PORT (environment: ccflare's PORT): "eighty"; expected an integer from 0 to 65535`,
      );
    }
  });

  it('maps ccflare.json’s snake_case keys from the file ccflare_CONFIG_PATH names', () => {
    const path = join(home, 'old', 'ccflare.json');
    mkdirSync(join(home, 'old'));
    writeFileSync(
      path,
      JSON.stringify({
        lb_strategy: 'session',
        client_id: 'file-client',
        session_duration_ms: 7_200_000,
        port: 8181,
        default_agent_model: 'claude-opus-4-1-20250805',
        data_retention_days: 14,
        request_retention_days: 365,
        retry_attempts: 3,
        cleanup_interval_hours: 6,
      }),
    );
    const c = load({ ccflare_CONFIG_PATH: path });
    expect(c.oauthClientId).toBe('file-client');
    expect(c.sessionMs).toBe(7_200_000);
    expect(c.port).toBe(8181);
    expect(c.defaultAgentModel).toBe('claude-opus-4-1-20250805');
    expect(c.payloadRetentionDays).toBe(14);
    expect(c.requestRetentionDays).toBe(365);
    expect(configSource(c, 'sessionMs')).toBe('file');
    expect(configWarnings(c)).toEqual([
      `"retry_attempts" in ${path} is ccflare's and is ignored: failover moves to the next account by itself and backs off per account; CCFLARE_MAX_ATTEMPTS caps the upstream attempts of a request`,
      `"cleanup_interval_hours" in ${path} is not a setting of this gateway and ignored`,
    ]);
  });

  it('leaves a ccflare.json in the data directory to `ccflare import ccflare` (not read as configuration)', () => {
    writeFileSync(join(home, 'ccflare.json'), JSON.stringify({ session_duration_ms: 7_200_000, retry_attempts: 3 }));
    const c = load();
    expect(c.sessionMs).toBe(5 * 3_600_000);
    expect(configWarnings(c)).toEqual([]);
  });

  it('takes snake_case keys in config.json too, the camelCase one winning', () => {
    writeFileSync(join(home, CONFIG_FILE), JSON.stringify({ data_retention_days: 5, requestRetentionDays: 9 }));
    const c = load();
    expect(c.payloadRetentionDays).toBe(5);
    expect(c.requestRetentionDays).toBe(9);
  });

  it('refuses a ccflare_CONFIG_PATH that names no file', () => {
    expect(() => load({ ccflare_CONFIG_PATH: join(home, 'missing.json') })).toThrow(
      `ccflare_CONFIG_PATH names ${join(home, 'missing.json')}, which does not exist`,
    );
  });

  it('lets CCFLARE_DATABASE_URL win over ccflare_DB_PATH, with a warning', () => {
    const c = load({ ccflare_DB_PATH: join(home, 'a.db'), CCFLARE_DATABASE_URL: `sqlite:${join(home, 'b.db')}` });
    expect(c.databaseUrl).toBe(`sqlite:${join(home, 'b.db')}`);
    expect(configWarnings(c)).toContain('ccflare_DB_PATH is ignored: CCFLARE_DATABASE_URL is set');
  });
});
