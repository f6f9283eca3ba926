import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { loadConfig } from '../config/config.js';
import { GatewayError } from '../errors.js';
import { assertSafeBind } from './serve-command.js';

describe('assertSafeBind', () => {
  let home: string;
  beforeEach(() => {
    home = mkdtempSync(join(tmpdir(), 'ccflare-bind-'));
  });
  afterEach(() => {
    rmSync(home, { recursive: true, force: true });
  });
  /** With one client key unless a test says otherwise: the admin-key rules are checked first. */
  const check = (env: NodeJS.ProcessEnv, adminKey = false, clientKeys = 1) =>
    assertSafeBind(loadConfig({ env: { CCFLARE_HOME: home, ...env } }), { adminKey, clientKeys });

  it('refuses a non-loopback host with a guessable admin key, saying how to make a strong one', () => {
    let err: unknown;
    try {
      check({ CCFLARE_HOST: '0.0.0.0', CCFLARE_ADMIN_KEY: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(GatewayError);
    const msg = (err as GatewayError).message;
    expect(msg).toMatch(/0\.0\.0\.0/);
    expect(msg).toMatch(/CCFLARE_ADMIN_KEY.*at least 32 characters/);
    expect(msg).toContain('openssl rand -hex 32');
    expect(msg).toContain('ccflare keys admin');
    // The key itself is never echoed.
    expect(msg).not.toMatch(/"x"/);
    // A stored strong key does not make a weak CCFLARE_ADMIN_KEY safe: it is accepted as well.
    expect(() => check({ CCFLARE_HOST: '0.0.0.0', CCFLARE_ADMIN_KEY: 'a'.repeat(31) }, true)).toThrow(
      /at least 32 characters/,
    );
  });

  it('accepts a 32+ character key on a non-loopback host, and loopback without any key', () => {
    expect(() => check({ CCFLARE_HOST: '0.0.0.0', CCFLARE_ADMIN_KEY: 'k'.repeat(32) })).not.toThrow();
    expect(() => check({ CCFLARE_HOST: '0.0.0.0' }, true)).not.toThrow();
    expect(() => check({})).not.toThrow();
    expect(() => check({ CCFLARE_HOST: '127.0.0.1', CCFLARE_ADMIN_KEY: 'x' })).not.toThrow();
    expect(() => check({ CCFLARE_HOST: '0.0.0.0' })).toThrow(/without an admin key/);
  });

  it('refuses a non-loopback host with no client key: /v1 would be open to the network', () => {
    const strong = { CCFLARE_HOST: '0.0.0.0', CCFLARE_ADMIN_KEY: 'k'.repeat(32) };
    expect(() => check(strong, false, 0)).toThrow(GatewayError);
    expect(() => check(strong, false, 0)).toThrow(/Refusing to listen on 0\.0\.0\.0: .*no client key exists/);
    expect(() => check(strong, false, 0)).toThrow(/ccflare keys create <name>.*CCFLARE_ALLOW_OPEN_PROXY=true/);
    expect(() => check({ CCFLARE_HOST: '0.0.0.0' }, true, 0)).toThrow(/no client key exists/);
    // Loopback stays open without keys, as before.
    expect(check({}, false, 0)).toBeNull();
    expect(check(strong, false, 1)).toBeNull();
  });

  it('serves an open proxy only when CCFLARE_ALLOW_OPEN_PROXY says so, with a warning for the log', () => {
    const warning = check(
      { CCFLARE_HOST: '0.0.0.0', CCFLARE_ADMIN_KEY: 'k'.repeat(32), CCFLARE_ALLOW_OPEN_PROXY: 'true' },
      false,
      0,
    );
    expect(warning).toMatch(/\/v1 .*answers anyone who reaches 0\.0\.0\.0:8080: no client key exists/);
    expect(warning).toContain('ccflare keys create <name>');
  });
});
