import { describe, expect, it } from 'vitest';
import { likelyMeant, nameMeant } from './likely-meant.js';

describe('likelyMeant', () => {
  const keys = ['port', 'host', 'sessionMs', 'stickyWaitMs', 'payloadCapture', 'payloadMaxBytes'];

  it('names the setting a typo was meant for, case aside', () => {
    expect(likelyMeant('prot', keys)).toBe('port');
    expect(likelyMeant('sesionMs', keys)).toBe('sessionMs');
    expect(likelyMeant('SESSIONMS', keys)).toBe('sessionMs');
    expect(likelyMeant('payloadCaptur', keys)).toBe('payloadCapture');
  });

  it('names none when nothing is close, or two are equally close', () => {
    expect(likelyMeant('retention', keys)).toBeNull();
    expect(likelyMeant('post', keys)).toBeNull();
    expect(likelyMeant('nope', ['home', 'port'])).toBeNull();
    expect(likelyMeant('stickyWiatMss', keys)).toBe('stickyWaitMs');
    expect(likelyMeant('stikyWiatMss', keys)).toBeNull();
  });
});

describe('nameMeant', () => {
  const keys = ['sessionMs', 'payloadCapture', 'requestRetentionDays', 'quotaThreshold5h'];

  it('names the key another spelling of it stands for: snake case, kebab case, the variable', () => {
    expect(nameMeant('payload_capture', keys)).toBe('payloadCapture');
    expect(nameMeant('CCFLARE_REQUEST_RETENTION_DAYS', keys)).toBe('requestRetentionDays');
    expect(nameMeant('quota-threshold-5h', keys)).toBe('quotaThreshold5h');
  });

  it('also through a typo of another spelling, and none when nothing is close', () => {
    expect(nameMeant('CCFLARE_SESION_MS', keys)).toBe('sessionMs');
    expect(nameMeant('retention', keys)).toBeNull();
  });
});
