import { describe, expect, it } from 'vitest';
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
