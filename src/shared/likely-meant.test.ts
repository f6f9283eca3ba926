import { describe, expect, it } from 'vitest';
import { likelyMeant } from './likely-meant.js';

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
