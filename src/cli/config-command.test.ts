import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { expectOneLineError, runCommand } from '../../test/support/cli-io.js';
import { freePort } from '../../test/support/free-port.js';
import { LIVE_SETTING_KEYS } from '../config/live-settings.js';
import { keyArg } from './config-command.js';

const refusal = (key: string): string => {
  try {
    keyArg(key);
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error(`${key} was accepted`);
};

describe('config key', () => {
  it('takes every runtime setting by its name', () => {
    for (const k of LIVE_SETTING_KEYS) expect(keyArg(k)).toBe(k);
  });

  it('names the key a runtime setting is spelled as elsewhere (its variable, snake case, another case)', () => {
    expect(refusal('CCFLARE_SESSION_MS')).toBe('Unknown setting "CCFLARE_SESSION_MS": did you mean sessionMs?');
    expect(refusal('session_ms')).toBe('Unknown setting "session_ms": did you mean sessionMs?');
    expect(refusal('Strategy')).toBe('Unknown setting "Strategy": did you mean strategy?');
  });

  it('names the key a typo of a runtime setting meant', () => {
    expect(refusal('sesionMs')).toBe('Unknown setting "sesionMs": did you mean sessionMs?');
    expect(refusal('payloadCaptrue')).toBe('Unknown setting "payloadCaptrue": did you mean payloadCapture?');
    expect(refusal('prot')).toMatch(/^port is read when the gateway starts, not a runtime setting: /);
  });

  it('says where a startup setting is set instead of calling it unknown', () => {
    expect(refusal('port')).toMatch(
      /^port is read when the gateway starts, not a runtime setting: set CCFLARE_PORT in the gateway's environment, "port" in config\.json in its data directory or `ccflare serve --port`, and restart it; runtime settings: strategy, /,
    );
    expect(refusal('LOG_LEVEL')).toMatch(
      /^logLevel is read when the gateway starts, not a runtime setting: set CCFLARE_LOG_LEVEL in the gateway's environment or "logLevel" in config\.json in its data directory, and restart it; /,
    );
  });

  it('lists the runtime settings for a name that is none of them', () => {
    expect(refusal('nope')).toBe(`Unknown setting "nope"; runtime settings: ${LIVE_SETTING_KEYS.join(', ')}`);
    expect(refusal('ccflare')).toMatch(/^Unknown setting "ccflare"; /);
  });
});

describe('config get and set on a data directory', () => {
  it('names a refused value by the setting typed, not its environment variable, with exit code 2', async () => {
    const home = mkdtempSync(join(tmpdir(), 'ccflare-config-'));
    try {
      const env = { CCFLARE_PORT: String(await freePort()) };
      for (const [key, value] of [
        ['hybridWeights', 'abc'],
        ['hybridBucket', '0,5'],
        ['quotaThresholds', '{"x":1}'],
      ] as const) {
        const r = await runCommand(['config', 'set', key, value], { home, env });
        expectOneLineError(r, new RegExp(`^ccflare: Invalid ${key}: `), 2);
        expect(r.stderr).not.toMatch(/CCFLARE_/);
      }
      // Unset, `get <key>` shows what `list` shows rather than an empty line.
      expect((await runCommand(['config', 'set', 'strategy', 'session'], { home, env })).code).toBe(0);
      const get = await runCommand(['config', 'get', 'defaultAgentModel'], { home, env });
      expect([get.code, get.stdout]).toEqual([0, '(none)\n']);
      const list = await runCommand(['config', 'list'], { home, env });
      expect(list.stdout).toMatch(/^defaultAgentModel\s+\(none\)\s/m);
    } finally {
      rmSync(home, { recursive: true, force: true });
    }
  });
});
