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
  const check = (env: NodeJS.ProcessEnv, stored = false) =>
    assertSafeBind(loadConfig({ env: { CCFLARE_HOME: home, ...env } }), stored);

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
});
